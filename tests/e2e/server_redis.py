"""A real redis-server for the end-to-end tests: loopback only, its own
temporary directory, append-only file on (so a restart keeps the streams
and their consumer groups), stoppable and restartable on the same port."""
import os
import shutil
import subprocess
import tempfile
import time

from junction_e2e import free_port, port_open, wait_until


class RedisServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="junction-redis-")
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(self.dir, "redis.log"), "ab")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        # appendfsync always: a SIGKILL of the server must not lose what it
        # answered, or a test could not tell loss by junction from loss by Redis.
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--protected-mode", "no"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.ping() or self.proc.poll() is not None, timeout=30,
                   what="redis-server to answer PING")
        if self.proc.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.proc.returncode}")

    def ping(self):
        if not port_open(self.port):
            return False
        r = subprocess.run(["redis-cli", "-p", str(self.port), "PING"],
                           capture_output=True, text=True)
        return r.stdout.strip() == "PONG"

    def stop(self):
        """Stops the server (SIGTERM: it writes out its append-only file)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        wait_until(lambda: not port_open(self.port), timeout=10, what="redis port closed")

    def restart(self):
        self.stop()
        self.start()

    def cli(self, *args, check=True):
        """Runs redis-cli against the server; returns its stdout lines."""
        r = subprocess.run(["redis-cli", "-p", str(self.port), *map(str, args)],
                           capture_output=True, text=True, timeout=30)
        if check and (r.returncode != 0 or r.stdout.startswith("ERR")
                      or r.stdout.startswith("(error)")):
            raise AssertionError(f"redis-cli {args}: {r.stdout} {r.stderr}")
        return r.stdout.splitlines()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
