"""A real RabbitMQ node (Debian's rabbitmq-server) for the AMQP end-to-end tests.

Each node is isolated: its own node name, AMQP port, distribution port and
epmd port, with its database, logs, config and Erlang cookie in a temp dir, so
it neither meets a system RabbitMQ nor other tests' nodes. The fixture starts
its own epmd on the chosen port (foreground, so it owns the process and can
end it) and the node registers there.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from junction_e2e import free_port, port_open

RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"
EPMD = shutil.which("epmd") or "/usr/bin/epmd"
START_BOUND = float(os.environ.get("JUNCTION_AMQP_START_TIMEOUT", "60"))


def available():
    """Why the broker cannot run here, or None."""
    for tool in ("rabbitmq-server", "rabbitmqctl"):
        if not os.path.exists(os.path.join(RABBITMQ_BIN, tool)):
            return f"{RABBITMQ_BIN}/{tool} is missing (apt-get install rabbitmq-server)"
    for tool in ("amqp-publish", "amqp-get", "amqp-declare-queue"):
        if not shutil.which(tool):
            return f"{tool} is missing (apt-get install amqp-tools)"
    return None


class RabbitServer:
    def __init__(self):
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.node = f"junction{self.port}@localhost"
        self.dir = tempfile.mkdtemp(prefix="junction-rabbitmq-")
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}"
        self.proc = None
        self.epmd = None
        self.start_seconds = None  # how long the last start took
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                    # guest may connect over 127.0.0.1 only anyway; say so.
                    "loopback_users.guest = false\n")
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[].\n")

    def env(self):
        e = dict(os.environ)
        e.update({
            "HOME": self.dir,  # the Erlang cookie lives here
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.dir, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.dir, "log"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.dir, "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.dir, "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.dir, "enabled_plugins"),
            "RABBITMQ_PID_FILE": os.path.join(self.dir, "rabbit.pid"),
        })
        return e

    def start(self, bound=START_BOUND):
        """Starts the node; returns None when ready, else why it is not."""
        began = time.monotonic()
        if self.epmd is None or self.epmd.poll() is not None:
            self.epmd = subprocess.Popen([EPMD, "-port", str(self.epmd_port)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         env=self.env())
        self.out = open(os.path.join(self.dir, "server.out"), "ab")
        self.proc = subprocess.Popen([os.path.join(RABBITMQ_BIN, "rabbitmq-server")],
                                     cwd=self.dir, env=self.env(), stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = began + bound
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"rabbitmq-server exited with {self.proc.returncode}:\n{self.output()}"
            if port_open(self.port) and self.declare_queue("junction.probe"):
                self.start_seconds = time.monotonic() - began
                return None
            time.sleep(0.2)
        return f"rabbitmq-server not ready within {bound:.0f}s:\n{self.output()}"

    def output(self):
        try:
            with open(os.path.join(self.dir, "server.out"), "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self):
        """Stops the node gracefully (not its epmd): clients get connection.close
        (320 CONNECTION_FORCED) and the port refuses connections after.

        SIGTERM to the Erlang VM runs the same orderly shutdown as
        `rabbitmqctl stop` without booting a second VM for rabbitmqctl, which
        costs seconds on a busy machine. (The rabbitmq-server script itself
        answers SIGTERM by running rabbitmqctl, so the signal goes to the VM,
        whose pid the node writes to RABBITMQ_PID_FILE.)"""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            vm = self.vm_pid()
            if vm:
                os.kill(vm, signal.SIGTERM)
            else:
                subprocess.run([os.path.join(RABBITMQ_BIN, "rabbitmqctl"), "-n", self.node, "stop"],
                               env=self.env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.out.close()
        try:
            os.unlink(os.path.join(self.dir, "rabbit.pid"))
        except FileNotFoundError:
            pass

    def vm_pid(self):
        try:
            with open(os.path.join(self.dir, "rabbit.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def close(self):
        """Stops everything the fixture started and removes its files."""
        try:
            self.stop()
        finally:
            if self.epmd is not None and self.epmd.poll() is None:
                self.epmd.kill()
                self.epmd.wait()
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- independent client: the amqp-tools CLIs -------------------------

    def declare_queue(self, queue, durable=True, args=None):
        """amqp-declare-queue cannot set arguments; arguments need rabbitmqctl."""
        cmd = ["amqp-declare-queue", "--url", self.url, "-q", queue]
        if durable:
            cmd.append("-d")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return r.returncode == 0

    def publish(self, routing_key, body, exchange="", content_type=None, headers=None):
        cmd = ["amqp-publish", "--url", self.url, "-r", routing_key, "-b", body, "-p"]
        if exchange:
            cmd += ["-e", exchange]
        if content_type:
            cmd += ["-C", content_type]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        subprocess.run(cmd, check=True, capture_output=True, timeout=30)

    def get(self, queue):
        """One message body from the queue (auto-acked), or None when empty."""
        r = subprocess.run(["amqp-get", "--url", self.url, "-q", queue], capture_output=True,
                           timeout=30)
        return r.stdout.decode() if r.returncode == 0 else None

    def drain(self, queue, limit=10000):
        bodies = []
        while len(bodies) < limit:
            body = self.get(queue)
            if body is None:
                break
            bodies.append(body)
        return bodies
