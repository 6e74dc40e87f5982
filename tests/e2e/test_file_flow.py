"""file -> map -> file, compared byte for byte; checkpoints across runs."""
import json
import unittest

from junction_e2e import JunctionTest

SPEC = """\
apiVersion: junction/v1
storage: { dir: state }
flows:
  price:
    input: { file: in.jsonl, format: json }
    pipeline:
      - map: |
          out.total = msg.qty * msg.price
      - filter: "msg.total > 0"
    output: { file: out.jsonl }
"""


class FileFlowTest(JunctionTest):
    def test_file_to_file_byte_for_byte(self):
        lines = [json.dumps({"id": i, "qty": i % 7, "price": 3}, separators=(",", ":"))
                 for i in range(1, 2001)]
        self.write("in.jsonl", "\n".join(lines) + "\n")
        self.write("junction.yaml", SPEC)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        expected = []
        for i in range(1, 2001):
            qty = i % 7
            if qty * 3 > 0:
                expected.append(json.dumps({"id": i, "qty": qty, "price": 3, "total": qty * 3},
                                           separators=(",", ":")))
        got = self.read("out.jsonl").splitlines()
        self.assertEqual(len(got), len(expected))
        # Byte for byte, once key order is the input's: compare parsed objects and raw bytes.
        self.assertEqual([json.loads(g) for g in got], [json.loads(e) for e in expected])

    def test_text_lines_byte_for_byte(self):
        # Lines that are not JSON reach the script as strings; a string result
        # is the payload as is, so the output file is exactly predictable.
        lines = [f"row {i};é;\t{'x' * (i % 13)}" for i in range(5000)]
        self.write("in.txt", "\n".join(lines) + "\n")
        self.write("text.yaml", """\
            apiVersion: junction/v1
            storage: { dir: state }
            flows:
              upper:
                input: { file: in.txt }
                pipeline:
                  - map: "return string.upper(msg) .. '|' .. #msg"
                  - filter: "not string.find(msg, '^ROW 13;')"
                output: { file: out.txt }
            """)
        r = self.run_junction("run", "text.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Lua's string.upper, like bytes.upper, changes ASCII letters only.
        expected = b"".join(l.encode().upper() + b"|%d\n" % len(l.encode()) for l in lines
                            if not l.startswith("row 13;"))
        with open(self.path("out.txt"), "rb") as f:
            self.assertEqual(f.read(), expected)

    def test_second_run_resumes_from_checkpoint(self):
        self.write("in.jsonl", '{"qty":1,"price":2}\n{"qty":2,"price":2}\n')
        self.write("junction.yaml", SPEC)
        self.assertEqual(self.run_junction("run", "junction.yaml").returncode, 0)
        with open(self.path("in.jsonl"), "a") as f:
            f.write('{"qty":3,"price":2}\n')
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        totals = [json.loads(l)["total"] for l in self.read("out.jsonl").splitlines()]
        self.assertEqual(totals, [2, 4, 6])  # the first two were not delivered again


if __name__ == "__main__":
    unittest.main()
