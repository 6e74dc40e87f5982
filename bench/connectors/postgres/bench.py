"""Driver of bench/connectors/postgres/run.sh (see there)."""
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../tests/e2e"))
from server_postgres import PostgresServer  # noqa: E402

ROWS = int(os.environ.get("ROWS", "200000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
METHODS = os.environ.get("METHODS", "copy insert").split()
# insert, or upsert (ON CONFLICT (id) DO UPDATE: psql's \copy has no such mode).
MODE = os.environ.get("MODE", "insert")
CONFLICT = "\n        conflict: [id]" if MODE == "upsert" else ""
BIN = os.environ["JUNCTION_BIN"]

TABLE = "(id bigint PRIMARY KEY, customer text, total numeric, status text, created timestamptz)"
COLUMNS = "{ id: id, customer: customer, total: total, status: status, created: created }"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def count(pg, table):
    return int(pg.psql(f"SELECT count(*) FROM {table}")[0][0])


class Session:
    """One psql session answering queries on demand: watching a run costs the
    server one connection, not one per check."""

    def __init__(self, pg):
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(pg.port), "-U", "postgres", "-d", "postgres"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def value(self, sql):
        self.proc.stdin.write(sql + ";\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"psql ended on: {sql}")
        return int(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def wait_for_rows(session, proc, work):
    """Returns once b holds every row. max(id) is an index lookup, cheap to ask
    often; it reaches ROWS possibly before an earlier batch, written by the other
    connection, committed, so the end is confirmed with a count."""
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"junction exited {proc.returncode}: see {work}/junction.log")
        if session.value("SELECT coalesce(max(id), 0) FROM b") >= ROWS and \
                session.value("SELECT count(*) FROM b") >= ROWS:
            return
        time.sleep(0.01)


def bench_junction(pg, work, method):
    spec = os.path.join(work, "junction.yaml")
    with open(spec, "w") as f:
        f.write(f"""\
apiVersion: junction/v1
storage: {{ dir: {work}/data }}
flows:
  copy:
    input:
      postgres:
        dsn: "{pg.dsn}"
        query: SELECT * FROM a WHERE id > $1 ORDER BY id LIMIT 2000
        cursor: id
        start: "0"
        interval: 100ms
        max_in_flight: 20000
    output:
      postgres:
        dsn: "{pg.dsn}"
        table: b
        columns: {COLUMNS}
        connections: 2
        method: {method}
        mode: {MODE}{CONFLICT}
    max_in_flight: 4
""")
    log = open(os.path.join(work, "junction.log"), "w")
    session = Session(pg)
    session.value("SELECT 1")  # connected before the clock starts
    start = time.monotonic()
    proc = subprocess.Popen([BIN, "run", spec], stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_rows(session, proc, work)
        elapsed = time.monotonic() - start
    finally:
        proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        log.close()
        session.close()
    return elapsed, usage.ru_utime + usage.ru_stime


def client_backends(postmaster):
    """Pids of the server's backends serving TCP clients (not its own workers),
    and of those ending or ended but not reaped yet (no command line, or a
    zombie): their CPU is counted in the postmaster's only once reaped."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError):
            continue
        if int(ppid) == postmaster and (state == "Z" or not cmdline or b"127.0.0.1(" in cmdline):
            pids.append(int(entry))
    return pids


def server_cpu(pg):
    """CPU seconds of the server's ended backends and of the postmaster itself,
    once the backends of the last run have ended: the server's share of a run is
    the difference across it, whatever else loads the machine."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    deadline = time.monotonic() + 10
    while client_backends(postmaster) and time.monotonic() < deadline:
        time.sleep(0.02)
    with open(f"/proc/{postmaster}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # u, s, cu, cs


def bench_psql(pg):
    """Returns the seconds and the CPU seconds of the two psql processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    conn = ["-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "postgres"]
    start = time.monotonic()
    out = subprocess.Popen(["psql", *conn, "-c", r"\copy a to stdout"], stdout=subprocess.PIPE)
    subprocess.run(["psql", *conn, "-v", "ON_ERROR_STOP=1", "-c", r"\copy b from stdin"],
                   stdin=out.stdout, check=True)
    out.stdout.close()
    if out.wait() != 0:
        raise RuntimeError("psql \\copy a to stdout failed")
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def check_copy(pg):
    assert count(pg, "b") == ROWS
    assert pg.psql("SELECT count(*) FROM a JOIN b USING (id, customer, total, status, created)") \
        == [[str(ROWS)]], "b differs from a"
    pg.psql("TRUNCATE b")


def main():
    work = tempfile.mkdtemp(prefix="junction-pg-bench-")
    pg = PostgresServer().start()
    try:
        pg.psql(f"CREATE TABLE a {TABLE}")
        pg.psql(f"INSERT INTO a SELECT g, 'customer-' || (g % 1000), g * 0.25, "
                f"CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END, "
                f"now() - g * interval '1 second' FROM generate_series(1, {ROWS}) g")
        pg.psql("VACUUM ANALYZE a")
        pg.psql(f"CREATE TABLE b {TABLE}")

        # Rounds alternate the contenders, so a load that comes and goes on
        # a shared machine touches each of them; the median of each is kept.
        # CPU seconds (the client's, the server's backends') do not depend
        # on that load as the elapsed time does.
        names = [f"junction, method: {m}" for m in METHODS] + ["psql"]
        seconds = {n: [] for n in names}
        client = {n: [] for n in names}
        server = {n: [] for n in names}
        for r in range(ROUNDS):
            for method, name in zip(METHODS + [None], names):
                before = server_cpu(pg)
                if method:
                    run_dir = os.path.join(work, f"{method}-{r}")  # a fresh checkpoint
                    os.makedirs(run_dir)
                    s, c = bench_junction(pg, run_dir, method)
                else:
                    s, c = bench_psql(pg)
                server[name].append(server_cpu(pg) - before)
                seconds[name].append(s)
                client[name].append(c)
                check_copy(pg)

        med = statistics.median
        p = ROWS / med(seconds["psql"])
        print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; nproc: {os.cpu_count()}; "
              f"cpu: {cpu_model()}; rows: {ROWS}; rounds: {ROUNDS}; junction mode: {MODE}; "
              f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| copy a -> b | seconds (each round) | rows/s (median) | ratio to psql "
              "| client CPU s | server CPU s |")
        print("|---|---|---|---|---|---|")
        for name in names:
            rate = ROWS / med(seconds[name])
            runs = " / ".join(f"{x:.2f}" for x in seconds[name])
            label = name if name != "psql" else "psql \\copy to \\| \\copy from"
            print(f"| {label} | {runs} | {rate:,.0f} | {rate / p:.2f} | {med(client[name]):.2f} "
                  f"| {med(server[name]):.2f} |")
        print("CPU: medians; client = junction, or both psql processes; server = the backends "
              "of the run (a junction run's also include its progress checks: an index "
              "lookup every 10 ms on one connection)")
    finally:
        pg.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
