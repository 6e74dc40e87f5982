"""Kafka for the e2e tests: librdkafka's mock cluster run by the
junction_kafka_mock tool (Debian ships no Kafka broker), driven and read with
kcat, a client independent of Junction.

The mock keeps its topics in memory, so "stopping the server" for a reconnect
test means setting its brokers down (connections refused) and up again on
the same ports, through commands on the tool's stdin."""
import os
import subprocess
import time

BUILD_DIR = os.environ.get("JUNCTION_BUILD_DIR",
                           os.path.join(os.path.dirname(__file__), "../../build"))

# The 2.0.2 mock cluster drops a member that left the group only once its
# session times out, and a group's next member waits for that: keep it short.
GROUP_OPTIONS = {"session.timeout.ms": "4000", "heartbeat.interval.ms": "500"}


class KafkaMock:
    def __init__(self, brokers=1):
        tool = os.path.join(BUILD_DIR, "junction_kafka_mock")
        self.proc = subprocess.Popen([tool, "--brokers", str(brokers)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            raise AssertionError("junction_kafka_mock printed no bootstrap servers")

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if reply != "ok":
            raise AssertionError(f"mock command {line!r}: {reply!r}")

    def create_topic(self, name, partitions):
        self.command(f"topic {name} {partitions}")

    def down(self):
        self.command("down")

    def up(self):
        self.command("up")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()

    # --- kcat, the independent client ---

    def produce(self, topic, values, key=None, headers=()):
        """Produces each value (one line each) with kcat -P; returns once acked."""
        args = ["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-X", "acks=all"]
        if key is not None:
            args += ["-k", key]
        for name, value in headers:
            args += ["-H", f"{name}={value}"]
        data = "".join(v + "\n" for v in values)
        subprocess.run(args, input=data, text=True, check=True, timeout=30,
                       capture_output=True)

    def consume(self, topic, fmt="%s\\n", binary=False):
        """Every record of `topic` now, read with kcat -C -e, as kcat formats them."""
        r = subprocess.run(["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-e", "-q",
                            "-f", fmt], capture_output=True, timeout=30, text=not binary)
        return r.stdout

    def group_consume(self, topic, group):
        """What group `group` has not consumed yet: kcat as a member of the group,
        from its committed offsets, until the end of every partition."""
        args = ["kcat", "-b", self.bootstrap, "-G", group, topic, "-e", "-q", "-f", "%s\\n",
                "-X", "auto.offset.reset=earliest"]
        for k, v in GROUP_OPTIONS.items():
            args += ["-X", f"{k}={v}"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return r.stdout
