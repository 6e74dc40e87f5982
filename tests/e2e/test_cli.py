"""The CLI: validate lists every error with file:line:col, and never a stack
trace; list, doc and version work; examples validate."""
import glob
import os
import unittest

from junction_e2e import JunctionTest, BIN

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class CliTest(JunctionTest):
    def test_validate_lists_every_error_with_location(self):
        self.write("bad.yaml", """\
            apiVersion: junction/v1
            flows:
              one:
                input: { generate: '{}', intervall: 1s }
                pipeline:
                  - mapp: "out = msg"
                  - filter: "msg.x >"
                output: { stdout: {} }
            """)
        r = self.run_junction("validate", "bad.yaml")
        self.assertEqual(r.returncode, 1)
        err = r.stderr
        self.assertIn("bad.yaml:4:", err)
        self.assertIn("intervall", err)
        self.assertIn("did you mean 'interval'", err)
        self.assertIn("bad.yaml:6:", err)
        self.assertIn("did you mean 'map'", err)
        self.assertNotIn("terminate called", err)

    def test_validate_compiles_scripts_without_running(self):
        self.write("lua.yaml", """\
            apiVersion: junction/v1
            flows:
              one:
                input: { generate: '{}' }
                pipeline:
                  - filter: "msg.x >"
                  - map: |
                      out.y = (msg.x
                output: { drop: {} }
            """)
        r = self.run_junction("validate", "lua.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("lua.yaml:6:", r.stderr)
        self.assertIn("lua.yaml:7:", r.stderr)
        self.assertIn("2 error(s)", r.stderr)

    def test_validate_reports_spec_and_component_errors_in_one_run(self):
        # A spec-level error in one flow must not hide a bad script in another.
        self.write("mixed.yaml", """\
            apiVersion: junction/v1
            flows:
              broken:
                input: { generate: '{}', intervall: 1s }
                output: { drop: {} }
              scripted:
                input: { generate: '{}' }
                pipeline:
                  - map: "out.y = (msg.x"
                output: { drop: {} }
            """)
        r = self.run_junction("validate", "mixed.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("mixed.yaml:4:", r.stderr)
        self.assertIn("intervall", r.stderr)
        self.assertIn("mixed.yaml:9:", r.stderr)
        self.assertIn("2 error(s)", r.stderr)

    def test_missing_env_is_named_and_secrets_never_printed(self):
        self.write("spec.yaml", """\
            apiVersion: junction/v1
            flows:
              one:
                input: { generate: "${JUNCTION_TEST_SECRET}", interval: "${JUNCTION_TEST_UNSET}" }
                output: { drop: {} }
            """)
        env = dict(os.environ, JUNCTION_TEST_SECRET="hunter2-secret")
        import subprocess
        r = subprocess.run([BIN, "validate", "spec.yaml"], cwd=self.dir, capture_output=True,
                           text=True, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("JUNCTION_TEST_UNSET", r.stderr)
        self.assertNotIn("hunter2", r.stderr + r.stdout)

    def test_unreadable_and_malformed_specs(self):
        r = self.run_junction("validate", "does-not-exist.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does-not-exist.yaml", r.stderr)
        self.write("broken.yaml", "apiVersion: junction/v1\nflows: [\n")
        r = self.run_junction("validate", "broken.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("broken.yaml:", r.stderr)

    def test_list_doc_version(self):
        r = self.run_junction("list")
        self.assertEqual(r.returncode, 0)
        for name in ["generate", "file", "http_server", "map", "filter", "switch", "stdout", "drop"]:
            self.assertIn(name, r.stdout)
        r = self.run_junction("doc", "map")
        self.assertEqual(r.returncode, 0)
        self.assertIn("script", r.stdout)
        r = self.run_junction("doc", "mapp")
        self.assertEqual(r.returncode, 1)
        self.assertIn("did you mean 'map'", r.stderr)
        self.assertEqual(self.run_junction("version").returncode, 0)
        r = self.run_junction("frobnicate")
        self.assertNotEqual(r.returncode, 0)

    def test_every_example_validates(self):
        specs = glob.glob(os.path.join(ROOT, "examples", "**", "*.yaml"), recursive=True)
        self.assertTrue(specs)
        for spec in specs:
            if os.path.basename(spec) != "junction.yaml":
                continue
            r = self.run_junction("validate", spec)
            self.assertEqual(r.returncode, 0, f"{spec}: {r.stderr}")

    def test_generate_flow_runs_to_its_count(self):
        self.write("spec.yaml", """\
            apiVersion: junction/v1
            flows:
              gen:
                input: { generate: '{"n": {{counter}}}', interval: 0, count: 5 }
                pipeline:
                  - map: "out.double = msg.n * 2"
                output: { stdout: {} }
            """)
        r = self.run_junction("run", "spec.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        got = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual([g["double"] for g in got], [2, 4, 6, 8, 10])


if __name__ == "__main__":
    unittest.main()
