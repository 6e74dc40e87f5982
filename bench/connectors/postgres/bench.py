"""Driver of bench/connectors/postgres/run.sh (see there)."""
import os
import platform
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
    max_in_flight: 4
""")
    log = open(os.path.join(work, "junction.log"), "w")
    start = time.monotonic()
    proc = subprocess.Popen([BIN, "run", spec], stdout=subprocess.DEVNULL, stderr=log)
    try:
        while count(pg, "b") < ROWS:
            if proc.poll() is not None:
                raise RuntimeError(f"junction exited {proc.returncode}: see {work}/junction.log")
            time.sleep(0.1)  # each check is a psql process: keep them rare
        elapsed = time.monotonic() - start
    finally:
        proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        log.close()
    return elapsed, usage.ru_utime + usage.ru_stime


def bench_psql(pg):
    conn = ["-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "postgres"]
    start = time.monotonic()
    out = subprocess.Popen(["psql", *conn, "-c", r"\copy a to stdout"], stdout=subprocess.PIPE)
    subprocess.run(["psql", *conn, "-v", "ON_ERROR_STOP=1", "-c", r"\copy b from stdin"],
                   stdin=out.stdout, check=True)
    out.stdout.close()
    if out.wait() != 0:
        raise RuntimeError("psql \\copy a to stdout failed")
    return time.monotonic() - start


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
        seconds = {m: [] for m in METHODS}
        cpu = {m: [] for m in METHODS}
        seconds["psql"] = []
        for r in range(ROUNDS):
            for method in METHODS:
                run_dir = os.path.join(work, f"{method}-{r}")  # a fresh checkpoint
                os.makedirs(run_dir)
                s, c = bench_junction(pg, run_dir, method)
                check_copy(pg)
                seconds[method].append(s)
                cpu[method].append(c)
            seconds["psql"].append(bench_psql(pg))
            check_copy(pg)

        p = ROWS / statistics.median(seconds["psql"])
        print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; nproc: {os.cpu_count()}; "
              f"cpu: {cpu_model()}; rows: {ROWS}; rounds: {ROUNDS}; "
              f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| copy a -> b | seconds (each round) | rows/s (median) | ratio to psql |")
        print("|---|---|---|---|")
        for method in METHODS:
            j = ROWS / statistics.median(seconds[method])
            runs = " / ".join(f"{x:.2f}" for x in seconds[method])
            print(f"| junction postgres -> postgres, method: {method} | {runs} | {j:,.0f} | "
                  f"{j / p:.2f} |")
        runs = " / ".join(f"{x:.2f}" for x in seconds["psql"])
        print(f"| psql \\copy to \\| \\copy from | {runs} | {p:,.0f} | 1.00 |")
        for method in METHODS:
            print(f"junction ({method}) used {statistics.median(cpu[method]):.2f} s of CPU "
                  f"(median; the rest of the time is the server's)")
    finally:
        pg.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
