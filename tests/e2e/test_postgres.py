"""The postgres input and output against a real PostgreSQL server (psql reads back)."""
import hashlib
import json
import os
import unittest

from junction_e2e import JunctionTest, http_request, wait_until
from server_postgres import PostgresServer


def lines(text):
    # A line still being written (no newline yet) is not a record yet.
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


class PostgresTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.pg = PostgresServer().start()
        self.addCleanup(self.pg.close)

    def write_jsonl(self, name, records, mode="w"):
        with open(self.path(name), mode) as f:
            for r in records:
                f.write(json.dumps(r) + "\n")

    def out(self, name="out.jsonl"):
        if not os.path.exists(self.path(name)):
            return []
        return lines(self.read(name))

    def start_flow(self, flow):
        before = self.log().count(f"flow {flow}: running")
        p = self.start_junction("run", "junction.yaml")
        wait_until(lambda: self.log().count(f"flow {flow}: running") > before or p.poll() is not None,
                   what="the flow to start")
        self.assertIsNone(p.poll(), self.log())
        return p

    def run_flows(self, flows):
        """Runs a spec of the flows in `flows` (YAML indented for `flows:`) to its end."""
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:""" + flows.replace("\n", "\n    ") + "\n")
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)

    def log_statements(self):
        """Has the server log every statement, to tell which path wrote a batch."""
        self.pg.psql("ALTER SYSTEM SET log_statement = 'all'")
        self.pg.psql("SELECT pg_reload_conf()")

    def statements(self, prefix):
        """The statements the server logged that start with `prefix`."""
        found = []
        for line in self.pg.server_log().splitlines():
            for marker in ("statement: ", "execute <unnamed>: "):
                at = line.find(marker)
                if at >= 0 and line[at + len(marker):].startswith(prefix):
                    found.append(line[at + len(marker):])
        return found

    def test_output_inserts_and_upserts_rows_with_copy_and_insert(self):
        self.log_statements()
        flows = ""
        for method in ("copy", "insert"):
            self.pg.psql(f"CREATE TABLE events_{method} (id text, n int, name text, "
                         "at timestamptz, doc jsonb)")
            self.pg.psql(f"CREATE TABLE accounts_{method} (id text PRIMARY KEY, balance int, "
                         "owner text)")
            flows += f"""
              events_{method}:
                input: {{ file: events.jsonl, format: json, batch_size: 64 }}
                output:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    table: public.events_{method}
                    columns: {{ id: id, n: n, name: who.name, at: $timestamp, doc: $payload }}
                    method: {method}
              accounts_{method}:
                input: {{ file: accounts.jsonl, format: json, batch_size: 16 }}
                output:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    table: accounts_{method}
                    columns: {{ id: id, balance: balance, owner: owner }}
                    mode: upsert
                    conflict: [id]
                    method: {method}"""
        self.write_jsonl("events.jsonl", [{"id": f"e-{i}", "n": i, "who": {"name": f"n{i}"},
                                           "tags": [i]} for i in range(300)])
        # The same keys several times, within one batch and across batches.
        self.write_jsonl("accounts.jsonl", [{"id": f"a-{i % 7}", "balance": i, "owner": "o"}
                                            for i in range(50)])
        self.run_flows(flows)
        for method in ("copy", "insert"):
            with self.subTest(method=method):
                rows = self.pg.psql(f"SELECT id, n, name, doc->'tags'->>0, "
                                    f"at > now() - interval '1 hour' FROM events_{method} "
                                    "ORDER BY n")
                self.assertEqual(len(rows), 300)
                self.assertEqual(rows[0], ["e-0", "0", "n0", "0", "t"])
                self.assertEqual(rows[299], ["e-299", "299", "n299", "299", "t"])
                # Each account holds its last balance.
                accounts = self.pg.psql(f"SELECT id, balance FROM accounts_{method} ORDER BY id")
                self.assertEqual(accounts, [[f"a-{k}", str(max(i for i in range(50) if i % 7 == k))]
                                            for k in range(7)])
        # Each method took its own path, and COPY needed no row-by-row replay
        # for the keys repeated within a batch.
        self.assertTrue(self.statements('COPY "public"."events_copy"'))
        self.assertEqual(self.statements('INSERT INTO "public"."events_copy"'), [])
        self.assertTrue(self.statements("COPY pg_temp.junction_upsert_stage"))
        self.assertEqual(self.statements('INSERT INTO "accounts_copy" ("id", "balance", "owner") '
                                         "VALUES"), [])
        self.assertEqual(self.statements('COPY "public"."events_insert"'), [])
        self.assertTrue(self.statements('INSERT INTO "public"."events_insert"'))

    def test_copy_upsert_keeps_the_last_row_of_each_key_in_a_batch(self):
        self.log_statements()
        # `code` is a nullable unique key: NULL matches nothing, so rows
        # without a code are each inserted, as INSERT ... ON CONFLICT does.
        self.pg.psql("CREATE TABLE items (code text UNIQUE, qty int, note text, seq serial)")
        self.pg.psql("INSERT INTO items (code, qty, note) VALUES ('a', 0, 'old'), ('z', 0, 'kept')")
        records = [
            {"code": "a", "qty": 1, "note": "first"},
            {"code": "b", "qty": 2, "note": "b1"},
            {"code": None, "qty": 3, "note": "no code 1"},
            {"code": "a", "qty": 4, "note": "second"},
            {"qty": 5, "note": "no code 2"},
            {"code": "b", "qty": 6},
            {"code": "a", "qty": 7, "note": "last"},
            {"code": "c", "qty": 8, "note": "c"},
        ]
        self.write_jsonl("in.jsonl", records)
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              items:
                input: {{ file: in.jsonl, format: json, batch_size: 100 }}
                output:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    table: items
                    columns: {{ code: code, qty: qty, note: note }}
                    mode: upsert
                    conflict: [code]
                    connections: 1
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.pg.psql("SELECT coalesce(code, '-'), qty, coalesce(note, '-') FROM items "
                            "ORDER BY code NULLS LAST, qty")
        self.assertEqual(rows, [["a", "7", "last"], ["b", "6", "-"], ["c", "8", "c"],
                                ["z", "0", "kept"], ["-", "3", "no code 1"],
                                ["-", "5", "no code 2"]])
        # New rows were numbered in the order of the messages they kept.
        order = [row[0] for row in self.pg.psql("SELECT coalesce(code, note) FROM items "
                                                "WHERE seq > 2 ORDER BY seq")]
        self.assertEqual(order, ["no code 1", "no code 2", "b", "c"])
        # One batch, one COPY, the staging table made once; no replay.
        self.assertEqual(len(self.statements("COPY pg_temp.junction_upsert_stage")), 1)
        self.assertEqual(len(self.statements("CREATE TEMP TABLE pg_temp.junction_upsert_stage")), 1)
        self.assertEqual(self.statements("BEGIN"), [])

    def test_hostile_values_arrive_intact_through_copy(self):
        self.pg.psql("CREATE TABLE hostile (id int PRIMARY KEY, t text, j json, jb jsonb, n int)")
        nested = {"s": "tab\there\nnew \\ \"q\" \\N \\.", "u": "zoë ✓ 日本 🚀", "a": [1, None]}
        texts = ["tab\there", "line\nbreak", "cr\r\nlf", "back\\slash", "\\N", "\\.",
                 "\\.\nafter", "ends with \\", "", "zoë ✓ 日本 🚀", "|pipe|", "'quote\"",
                 "\x7f\x01 control"]
        records = [{"id": i, "t": t, "j": nested, "jb": nested, "n": i} for i, t in enumerate(texts)]
        base = len(texts)
        records += [
            {"id": base, "t": None, "j": None, "jb": None, "n": None},  # NULLs
            {"id": base + 1},                                         # missing: NULL too
            {"id": base + 2, "t": "nul\u0000byte", "n": 1},          # refused: text has no NUL
            {"id": base + 3, "t": "ok", "jb": {"s": "\u0000"}},       # refused by jsonb (22P05)
            {"id": base + 4, "t": "after the refused ones", "j": [1, "two"], "jb": 12.5},
        ]
        self.write_jsonl("in.jsonl", records)
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              hostile:
                input: {{ file: in.jsonl, format: json, batch_size: 100 }}
                output:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    table: hostile
                    columns: {{ id: id, t: t, j: j, jb: jb, n: n }}
                on_error:
                  dead_letter: {{ file: dead.jsonl, format: json_envelope }}
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        # jsonb_agg prints one line, whatever the values hold; json keeps its text.
        got = json.loads("|".join(self.pg.psql(
            "SELECT jsonb_agg(jsonb_build_object('id', id, 't', t, 'j', j::text, 'jb', jb, 'n', n) "
            "ORDER BY id) FROM hostile")[0]))
        want = [{"id": i, "t": t, "j": json.dumps(nested, separators=(",", ":"),
                                                  ensure_ascii=False),
                 "jb": nested, "n": i} for i, t in enumerate(texts)]
        want += [{"id": base, "t": None, "j": None, "jb": None, "n": None},
                 {"id": base + 1, "t": None, "j": None, "jb": None, "n": None},
                 {"id": base + 4, "t": "after the refused ones", "j": '[1,"two"]', "jb": 12.5,
                  "n": None}]
        self.assertEqual(got, want)
        dead = {d["payload"]["id"]: d["headers"] for d in self.out("dead.jsonl")}
        self.assertEqual(set(dead), {base + 2, base + 3})
        self.assertIn("NUL byte", dead[base + 2]["x-junction-error"])
        self.assertIn("22P05", dead[base + 3]["x-junction-error"])

    def test_a_batch_larger_than_the_socket_buffers_streams_whole(self):
        # 3 MiB in one COPY: many chunks, each waiting for the socket to drain.
        self.pg.psql("CREATE TABLE big (id int PRIMARY KEY, t text)")
        texts = [(f"{i:04}\t\\" * 2000)[: 15000 + i] for i in range(200)]
        self.write_jsonl("in.jsonl", [{"id": i, "t": t} for i, t in enumerate(texts)])
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              big:
                input: {{ file: in.jsonl, format: json, batch_size: 1000 }}
                output:
                  postgres: {{ dsn: "{self.pg.dsn}", table: big, columns: {{ id: id, t: t }} }}
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        want = hashlib.md5("".join(texts).encode()).hexdigest()
        self.assertEqual(self.pg.psql("SELECT count(*), md5(string_agg(t, '' ORDER BY id)) "
                                      "FROM big"), [["200", want]])

    def test_a_missing_table_is_a_permanent_failure_not_retried(self):
        # The COPY fails before the server asks for data; the upsert's staging
        # table cannot be made. Both are the spec's fault: dead letter, no retry.
        self.pg.psql("CREATE TABLE present (id int PRIMARY KEY)")
        self.write_jsonl("in.jsonl", [{"id": i} for i in range(5)])
        flows = ""
        for name, table, extra in [("copy_missing", "missing", ""),
                                   ("upsert_missing", "missing", "mode: upsert, conflict: [id], "),
                                   ("copy_present", "present", "")]:
            flows += f"""
              {name}:
                input: {{ file: in.jsonl, format: json }}
                output:
                  postgres: {{ dsn: "{self.pg.dsn}", table: {table}, columns: {{ id: id }}, {extra}connections: 1 }}
                on_error:
                  retry: {{ attempts: 3, base: 10ms, max: 50ms }}
                  dead_letter: {{ file: dead_{name}.jsonl, format: json_envelope }}"""
        self.run_flows(flows)
        for name in ("copy_missing", "upsert_missing"):
            with self.subTest(flow=name):
                dead = self.out(f"dead_{name}.jsonl")
                self.assertEqual(sorted(d["payload"]["id"] for d in dead), list(range(5)))
                self.assertEqual(dead[0]["headers"]["x-junction-error-class"], "permanent")
                self.assertIn("42P01", dead[0]["headers"]["x-junction-error"])
                self.assertEqual(dead[0]["headers"]["x-junction-attempts"], "1")
        self.assertEqual(self.out("dead_copy_present.jsonl"), [])
        self.assertEqual(self.pg.psql("SELECT count(*) FROM present"), [["5"]])

    def test_a_rejected_row_goes_to_the_dead_letter_with_the_reason(self):
        self.log_statements()
        flows = ""
        cases = [("copy", "insert"), ("insert", "insert"), ("copy", "upsert")]
        for method, mode in cases:
            name = f"orders_{method}_{mode}"
            self.pg.psql(f"CREATE TABLE {name} (id text PRIMARY KEY, total int NOT NULL)")
            upsert = "mode: upsert, conflict: [id], " if mode == "upsert" else ""
            flows += f"""
              {name}:
                input: {{ file: in.jsonl, format: json }}
                output:
                  postgres: {{ dsn: "{self.pg.dsn}", table: {name}, columns: {{ id: id, total: total }}, {upsert}method: {method} }}
                on_error:
                  retry: {{ attempts: 2, base: 10ms, max: 50ms }}
                  dead_letter: {{ file: dead_{name}.jsonl, format: json_envelope }}"""
        records = [{"id": f"o-{i}", "total": i} for i in range(10)]
        records[4]["total"] = "lots"  # 22P02: not an integer
        records[7]["total"] = None  # 23502: NOT NULL (the upsert's INSERT ... SELECT finds it)
        self.write_jsonl("in.jsonl", records)
        self.run_flows(flows)
        for method, mode in cases:
            name = f"orders_{method}_{mode}"
            with self.subTest(method=method, mode=mode):
                written = {row[0] for row in self.pg.psql(f"SELECT id FROM {name}")}
                dead = {d["payload"]["id"]: d["headers"] for d in self.out(f"dead_{name}.jsonl")}
                # Only the bad rows are dead-lettered, each with the server's
                # reason; every other row of the batch is written, once.
                self.assertEqual(set(dead), {"o-4", "o-7"})
                self.assertEqual(written, {f"o-{i}" for i in range(10)} - {"o-4", "o-7"})
                self.assertEqual(dead["o-4"]["x-junction-error-class"], "invalid")
                self.assertIn("invalid input syntax for type integer",
                              dead["o-4"]["x-junction-error"])
                self.assertIn("22P02", dead["o-4"]["x-junction-error"])
                self.assertIn("23502", dead["o-7"]["x-junction-error"])
        # COPY was tried first, and the rejected batches replayed row by row.
        self.assertTrue(self.statements('COPY "orders_copy_insert"'))
        self.assertTrue(self.statements('INSERT INTO "orders_copy_insert" ("id", "total") VALUES'))

    def test_input_extracts_incrementally_and_resumes_after_restart(self):
        self.pg.psql("CREATE TABLE src (id bigserial PRIMARY KEY, name text, amount numeric, "
                     "ok boolean, meta jsonb)")
        self.pg.psql("INSERT INTO src (name, amount, ok, meta) SELECT "
                     "CASE WHEN g = 10 THEN 'poison' ELSE 'n' || g END, g * 1.5, g % 2 = 0, "
                     "jsonb_build_object('g', g) FROM generate_series(1, 30) g")
        # No dead letter: a failed row is settled failed, so the input
        # retries it and the checkpoint waits for it.
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              extract:
                input:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    query: SELECT * FROM src WHERE id > $1 ORDER BY id LIMIT 7
                    cursor: id
                    start: "0"
                    interval: 100ms
                    commit_interval: 50ms
                    max_in_flight: 5
                pipeline:
                  - map: |
                      if msg.name == "poison" then error("cannot take row " .. msg.id) end
                      out = msg
                output: {{ file: out.jsonl, fsync: false }}
                on_error:
                  retry: {{ attempts: 1 }}
            """)
        checkpoint = self.path("data", "checkpoints", "postgres-extract.json")

        def cursor():
            try:
                with open(checkpoint) as f:
                    return json.load(f)["cursor"]
            except (OSError, ValueError):
                return None

        def ids():
            return {r["id"] for r in self.out()}

        p = self.start_flow("extract")
        wait_until(lambda: ids() >= set(range(1, 31)) - {10}, what="rows 1..30 but 10")
        wait_until(lambda: self.log().count("cannot take row 10") >= 3, what="row 10 retried")
        wait_until(lambda: cursor() == "9", what="the checkpoint to stop before row 10")
        first = self.out()[0]
        self.assertEqual(first, {"id": 1, "name": "n1", "amount": "1.5", "ok": False,
                                 "meta": {"g": 1}})
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(cursor(), "9")
        self.assertNotIn(10, ids())

        # The row is fixed; more arrive. The restart continues from the
        # checkpoint: row 10 and the new rows arrive.
        self.pg.psql("UPDATE src SET name = 'fixed' WHERE id = 10")
        self.pg.psql("INSERT INTO src (name, amount, ok) SELECT 'n' || g, g, true "
                     "FROM generate_series(31, 40) g")
        p = self.start_flow("extract")
        wait_until(lambda: ids() == set(range(1, 41)), what="every row 1..40")
        wait_until(lambda: cursor() == "40", what="the checkpoint to reach 40")
        self.assertEqual(self.stop(p), 0, self.log())
        # At-least-once, and nothing before the checkpoint came twice.
        counts = {}
        for r in self.out():
            counts[r["id"]] = counts.get(r["id"], 0) + 1
        self.assertTrue(all(counts[i] == 1 for i in range(1, 10)), counts)

    def test_lookup_enriches_messages(self):
        self.pg.psql("CREATE TABLE customers (id int PRIMARY KEY, name text, tier text, "
                     "credit numeric)")
        self.pg.psql("INSERT INTO customers SELECT g, 'c' || g, CASE WHEN g % 2 = 0 THEN 'gold' "
                     "ELSE 'basic' END, g * 10 FROM generate_series(1, 20) g")
        orders = [{"order": i, "customer_id": i % 25 + 1} for i in range(60)]
        self.write_jsonl("in.jsonl", orders)
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              enrich:
                input: {{ file: in.jsonl, format: json }}
                pipeline:
                  - postgres_lookup:
                      dsn: "{self.pg.dsn}"
                      query: SELECT name, tier, credit FROM customers WHERE id = $1
                      params: [customer_id]
                      into: customer
                      on_missing: null
                  - postgres_lookup:
                      dsn: "{self.pg.dsn}"
                      query: SELECT tier AS also_tier FROM customers WHERE id = $1 AND tier = $2
                      params: [customer_id, customer.tier]
                      on_missing: skip
                  - postgres_lookup:
                      dsn: "{self.pg.dsn}"
                      query: SELECT 1 AS known FROM customers WHERE id = $1
                      params: [customer_id]
                      on_missing: fail
                output: {{ file: out.jsonl, fsync: false }}
                on_error:
                  dead_letter: {{ file: dead.jsonl, format: json_envelope }}
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = {o["order"]: o for o in self.out()}
        dead = {d["payload"]["order"]: d["headers"] for d in self.out("dead.jsonl")}
        unknown = {i for i in range(60) if i % 25 + 1 > 20}
        self.assertEqual(set(out), set(range(60)) - unknown)
        self.assertEqual(set(dead), unknown)
        self.assertIn("no row found", dead[min(unknown)]["x-junction-error"])
        # Into a field, typed like the input's rows; merged at the top level.
        self.assertEqual(out[1], {"order": 1, "customer_id": 2, "known": 1, "also_tier": "gold",
                                  "customer": {"name": "c2", "tier": "gold", "credit": "20"}})
        self.assertEqual(out[0]["customer"]["tier"], "basic")

    def test_reconnects_after_the_server_restarts(self):
        self.pg.psql("CREATE TABLE t (id int PRIMARY KEY, v text)")
        self.write("in.jsonl", "")
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              load:
                input: {{ file: in.jsonl, format: json, watch: true }}
                output:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    table: t
                    columns: {{ id: id, v: v }}
                    mode: upsert
                    conflict: [id]
                    timeout: 5s
                on_error:
                  retry: {{ attempts: 1000, base: 50ms, max: 500ms }}
              extract:
                input:
                  postgres:
                    dsn: "{self.pg.dsn}"
                    query: SELECT id, v FROM t WHERE id > $1 ORDER BY id LIMIT 50
                    cursor: id
                    start: "-1"
                    interval: 50ms
                    timeout: 5s
                output: {{ file: out.jsonl, fsync: false }}
            """)
        p = self.start_flow("extract")
        obs = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))
        ready = lambda: http_request(obs, "GET", "/health/ready")[0] == 200
        wait_until(ready, what="ready")

        def out_ids():
            return {r["id"] for r in self.out()}

        self.write_jsonl("in.jsonl", [{"id": i, "v": f"v{i}"} for i in range(100)], mode="a")
        wait_until(lambda: len(out_ids()) >= 100, what="the first 100 rows through")

        self.pg.stop()
        wait_until(lambda: not ready(), what="readiness to drop while the server is down")
        self.write_jsonl("in.jsonl", [{"id": i, "v": f"v{i}"} for i in range(100, 200)], mode="a")
        self.pg.start()
        wait_until(lambda: out_ids() == set(range(200)), timeout=60,
                   what="every row after the restart")
        wait_until(ready, what="ready again")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(self.pg.psql("SELECT count(*) FROM t"), [["200"]])


if __name__ == "__main__":
    unittest.main()
