"""A real nats-server with JetStream for the e2e tests (Python stdlib only).

Started on 127.0.0.1 on a free port with its store in a temp dir; stop() and
start() again keep the port and the store, as a broker restart does."""
import os
import shutil
import subprocess
import tempfile

from junction_e2e import free_port, port_open, wait_until

NATS_SERVER = shutil.which("nats-server") or "/usr/bin/nats-server"
BUILD_DIR = os.environ.get("JUNCTION_BUILD_DIR",
                           os.path.join(os.path.dirname(__file__), "../../build"))
TOOL = os.path.join(BUILD_DIR, "junction_nats_tool")


class NatsServer:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="junction-nats-")
        self.proc = None
        self.log = open(os.path.join(self.dir, "nats-server.log"), "ab")

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port),
             "-sd", os.path.join(self.dir, "store")],
            stdout=self.log, stderr=self.log)
        wait_until(lambda: port_open(self.port) or self.proc.poll() is not None,
                   what="nats-server to listen")
        if self.proc.poll() is not None:
            raise AssertionError(f"nats-server exited:\n{self.server_log()}")
        # JetStream answers once its store is recovered.
        wait_until(lambda: self.tool("stream", "READY_CHECK", "junction.ready.check",
                                     check=False).returncode == 0,
                   what="JetStream to answer")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def server_log(self):
        with open(os.path.join(self.dir, "nats-server.log"), "rb") as f:
            return f.read().decode(errors="replace")

    # --- the independent client (tests/tools/nats) ---

    def tool(self, command, *args, input=None, check=True):
        r = subprocess.run([TOOL, command, self.url, *args], capture_output=True,
                           text=input is None or isinstance(input, str), input=input,
                           timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"junction_nats_tool {command} failed: {r.stderr}")
        return r

    def create_stream(self, name, *subjects):
        self.tool("stream", name, *subjects)

    def publish(self, subject, lines, *args):
        self.tool("pub", subject, *args, input="".join(l + "\n" for l in lines))

    def messages(self, stream):
        """Every message stored in `stream`; none while it does not exist yet."""
        import json
        r = self.tool("get", stream, check=False)
        if r.returncode != 0 and "stream info: Not Found" in r.stderr:
            return []
        if r.returncode != 0:
            raise AssertionError(f"junction_nats_tool get failed: {r.stderr}")
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def consumer(self, stream, durable):
        import json
        return json.loads(self.tool("consumer", stream, durable).stdout)
