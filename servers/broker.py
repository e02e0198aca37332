"""The project-local MQTT broker: Mosquitto from Debian, its config and data under .dimos/mqtt.

Like the database: started by the project's own commands unless ``MQTT_URL`` names a broker.
Persistence is on and the queues are deep, so QoS 1 readings the broker accepted survive a
restart of the broker and wait for the ingest worker while it is down.

Every client signs in (``servers.broker_accounts``): the ingest worker reads every municipality's
topics, the simulator writes them, and a gateway writes only ``dimos/<its municipality>/#``;
anonymous clients are refused.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gis.errors import SetupError
from servers import broker_accounts
from servers.processes import alive

MOSQUITTO = Path("/usr/sbin/mosquitto")

CONFIG = """\
# dimos: project-local broker (written by servers/broker.py; edits are overwritten)
listener {port} 127.0.0.1
# every client signs in; the ACL says which topics each account may read or write
allow_anonymous false
password_file {folder}/passwords
acl_file {folder}/acl
persistence true
persistence_location {folder}/
# the in-memory store is written out every second as well as at shutdown
autosave_interval 1
# the ingest worker acknowledges after its database commit: let a batch be in flight
max_inflight_messages 5000
max_queued_messages 2000000
max_queued_bytes 0
pid_file {folder}/mosquitto.pid
log_dest file {folder}/mosquitto.log
log_type error
log_type warning
log_type notice
user {user}
"""


def install_package() -> bool:
    """Install Debian's mosquitto when missing; True if it was installed now."""
    if MOSQUITTO.exists():
        return False
    root = os.geteuid() == 0
    if not root and not shutil.which("sudo"):
        raise SetupError("the MQTT broker is missing: install Debian's mosquitto as root, or set "
                         "MQTT_URL to a broker")
    sudo = [] if root else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "mosquitto"]):
        proc = subprocess.run(sudo + args, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise SetupError("could not install mosquitto with apt-get: "
                             f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}",
                             detail=proc.stderr)
    return True


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class LocalBroker:
    """A Mosquitto whose config, persistence file and log live in this checkout."""

    state_dir: Path
    port: int

    @property
    def folder(self) -> Path:
        return self.state_dir / "mqtt"

    @property
    def pid_file(self) -> Path:
        return self.folder / "mosquitto.pid"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def is_running(self) -> bool:
        return self.pid() is not None and port_open("127.0.0.1", self.port)

    @property
    def config_file(self) -> Path:
        return self.folder / "mosquitto.conf"

    def _config(self) -> str:
        # as root mosquitto would switch to its own user, who cannot write here: stay who we are
        return CONFIG.format(port=self.port, folder=self.folder,
                             user=pwd.getpwuid(os.geteuid()).pw_name)

    def up(self) -> str:
        install_package()
        self.folder.mkdir(parents=True, exist_ok=True)
        broker_accounts.write_broker_files(self.state_dir)
        if self.is_running():
            if self.config_file.exists() and self.config_file.read_text() == self._config():
                self.reload()
                return f"reused the running broker on 127.0.0.1:{self.port}"
            # started by an older dimos (anonymous clients allowed): restart it signing in
            self.down()
            return self._start() + " (restarted: its configuration changed)"
        if port_open("127.0.0.1", self.port):
            raise SetupError(f"port {self.port} on 127.0.0.1 is taken by another server: stop it, "
                             "or choose another port for the broker with DIMOS_MQTT_PORT=<port>")
        return self._start()

    def reload(self) -> bool:
        """Make a running broker read its password and ACL files again; False if not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGHUP)
        return True

    def _start(self) -> str:
        config = self.config_file
        config.write_text(self._config())
        proc = subprocess.run([str(MOSQUITTO), "-d", "-c", str(config)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise SetupError(f"starting mosquitto failed: {proc.stderr.strip() or proc.stdout}"
                             f" (log: {self.folder / 'mosquitto.log'})")
        deadline = time.monotonic() + 10
        while not self.is_running():
            if time.monotonic() > deadline:
                raise SetupError("mosquitto did not start listening within 10 s "
                                 f"(log: {self.folder / 'mosquitto.log'})")
            time.sleep(0.05)
        return f"started the broker on 127.0.0.1:{self.port} (data in {self.folder})"

    def down(self) -> str:
        pid = self.pid()
        if pid is None:
            return "the project's broker is not running"
        # SIGTERM: mosquitto writes its persistence file before it exits
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        return "stopped the broker"
