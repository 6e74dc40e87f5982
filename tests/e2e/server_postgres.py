"""A real PostgreSQL server for the end-to-end tests.

initdb into a temporary directory, then pg_ctl runs the server on
127.0.0.1:<free port> with its unix socket in that directory. PostgreSQL
refuses to run as root (CI runs the tests as root), so the server's commands
run as the `postgres` user through runuser, with the directory chowned to it.
fsync is off: the tests check what the server answered, not crash safety of
its disk. stop() and start() keep the port, for reconnect tests.
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from junction_e2e import free_port


def _bin_dir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                       "(install the postgresql package)")


class PostgresServer:
    def __init__(self):
        self.bin = _bin_dir()
        self.dir = tempfile.mkdtemp(prefix="junction-pg-")
        self.data = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("tests run as root need the `postgres` user to run the "
                                   "server (the postgresql package creates it)")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")

    def _cmd(self, tool, *args):
        cmd = [os.path.join(self.bin, tool), *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def _run(self, tool, *args, check=True):
        r = subprocess.run(self._cmd(tool, *args), capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stderr}{r.stdout}\n"
                               f"{self.server_log()}")
        return r

    def start(self):
        options = (f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=50")
        self._run("pg_ctl", "-D", self.data, "-l", self.logfile, "-o", options, "-w", "-t", "30",
                  "start")
        return self

    def stop(self, mode="fast"):
        """Stops the server; `fast` ends the sessions, `immediate` is a crash."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop", check=False)

    def running(self):
        return self._run("pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def close(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def psql(self, sql):
        """Runs SQL with the psql client (an independent reader); returns its rows as
        lists of strings (unaligned, `|`-separated)."""
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-d", "postgres", "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stderr}")
        return [line.split("|") for line in r.stdout.splitlines() if line]

    def server_log(self):
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""
