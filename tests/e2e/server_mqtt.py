"""A real mosquitto broker for the e2e tests (Python stdlib only).

Started on 127.0.0.1 on a free port with persistence in a temp dir; stop()
(SIGTERM: the broker saves its sessions) and start() again keep the port and
the persisted sessions, as a broker restart does."""
import json
import os
import shutil
import subprocess
import tempfile

from junction_e2e import free_port, port_open, wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
BUILD_DIR = os.environ.get("JUNCTION_BUILD_DIR",
                           os.path.join(os.path.dirname(__file__), "../../build"))
TOOL = os.path.join(BUILD_DIR, "junction_mqtt_tool")


def make_certs(dir):
    """A CA and a server certificate for 127.0.0.1 (openssl CLI); returns the
    CA file's path."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=dir, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=junction test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(dir, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
    return os.path.join(dir, "ca.pem")


class MosquittoServer:
    def __init__(self, tls=False):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="junction-mqtt-")
        self.proc = None
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        self.cafile = make_certs(self.dir) if tls else None
        with open(self.conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\n")
            if tls:
                f.write(f"cafile {self.dir}/ca.pem\n"
                        f"certfile {self.dir}/server.pem\n"
                        f"keyfile {self.dir}/server.key\n")
            f.write("allow_anonymous true\n"
                    "persistence true\n"
                    f"persistence_location {self.dir}/\n"
                    # Run as root in CI: do not switch to the mosquitto user,
                    # who could not write the temp dir.
                    "user root\n"
                    f"log_dest file {self.dir}/mosquitto.log\n"
                    "log_type all\n")

    def start(self):
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port) or self.proc.poll() is not None,
                   what="mosquitto to listen")
        if self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited:\n{self.server_log()}")
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
        shutil.rmtree(self.dir, ignore_errors=True)

    def server_log(self):
        try:
            with open(os.path.join(self.dir, "mosquitto.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    # --- the independent client (tests/tools/mqtt) ---

    def publish(self, topic, lines, qos=1):
        r = subprocess.run([TOOL, "pub", "--port", str(self.port), "--topic", topic,
                            "--qos", str(qos)],
                           input="".join(l + "\n" for l in lines), capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"junction_mqtt_tool pub failed: {r.stderr}")

    def create_session(self, client_id, topic, qos=1):
        """Makes a persistent session subscribed to `topic`, as if `client_id`
        had connected before: the broker keeps what is published from now on."""
        r = subprocess.run([TOOL, "sub", "--port", str(self.port), "--topic", topic,
                            "--count", "0", "--qos", str(qos), "--id", client_id,
                            "--persist", "1"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"junction_mqtt_tool sub --persist failed: {r.stderr}")

    def subscribe(self, topic, count, qos=1, timeout=30):
        """Starts a subscriber that reads `count` messages; returns a handle
        whose result() waits for them. Returns once the subscription is in
        place, so nothing published afterwards is missed."""
        return Subscriber(self, topic, count, qos, timeout)


class Subscriber:
    def __init__(self, server, topic, count, qos, timeout):
        self.proc = subprocess.Popen(
            [TOOL, "sub", "--port", str(server.port), "--topic", topic, "--count", str(count),
             "--qos", str(qos), "--timeout", str(timeout)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "subscribed" not in line:
            self.proc.kill()
            raise AssertionError(f"junction_mqtt_tool sub did not subscribe: {line}")

    def result(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise AssertionError(f"junction_mqtt_tool sub: exit {self.proc.returncode}, read "
                                 f"{len(out.splitlines())} messages: {err}")
        return [json.loads(l) for l in out.splitlines() if l.strip()]
