"""The high-availability cluster on one machine: etcd, two Patroni-managed PostgreSQL nodes
(a primary and a synchronous replica), HAProxy in front of them and of two `dimos serve` nodes.

For development and tests (`dimos cluster up|down|status`); a deployment spreads the same
members over machines (compose.yaml, profile ``cluster``). Ports come from one block
(``DIMOS_CLUSTER_PORT_BASE``, 5600); data, configuration and logs live under
``state_dir/cluster``. PostgreSQL refuses to run as root, so Patroni runs as ``postgres``.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gis.errors import SetupError
from servers.cluster import PG_BIN, _is_root, reachable_by_postgres
from servers.processes import alive

#: how long each member may take to come up before `up` fails with its log's tail
START_TIMEOUT_S = 60
DATABASE = "dimos"
SCOPE = "dimos"


@dataclass(frozen=True)
class Layout:
    """Every member's port, from one block of 50 starting at ``base``."""

    base: int = 5600

    @property
    def etcd_client(self) -> int:
        return self.base

    @property
    def etcd_peer(self) -> int:
        return self.base + 1

    def pg_port(self, node: int) -> int:
        return self.base + 10 + 2 * node

    def patroni_port(self, node: int) -> int:
        return self.base + 11 + 2 * node

    @property
    def read_write(self) -> int:
        return self.base + 20

    @property
    def read_only(self) -> int:
        return self.base + 21

    def app_port(self, node: int) -> int:
        return self.base + 30 + node


DB_NODES = (0, 1)
APP_NODES = (0, 1)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _http_json(url: str, timeout: float = 1.0):
    """(status, JSON body or None) of a GET; (None, None) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None
    except (OSError, ValueError):
        return None, None


class HACluster:
    """The members of the cluster, their files under ``state_dir/cluster`` and their processes."""

    def __init__(self, state_dir: Path, base_port: int = 5600, http_port: int = 5000,
                 python: str | None = None):
        self.state_dir = state_dir
        self.link = state_dir / "cluster"
        self.ports = Layout(base_port)
        self.http_port = http_port
        self.python = python or sys.executable

    # ---- where things are
    @property
    def root(self) -> Path:
        """``state_dir/cluster``, or where it points when the checkout is closed to postgres."""
        return self.link.resolve() if self.link.is_symlink() else self.link

    def _dir(self, member: str) -> Path:
        return self.root / member

    def _log(self, member: str) -> Path:
        return self._dir(member) / "log"

    def _pid_file(self, member: str) -> Path:
        return self._dir(member) / "pid"

    def _pid(self, member: str) -> int | None:
        try:
            pid = int(self._pid_file(member).read_text())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    @property
    def owner_url(self) -> str:
        """The owner's URL through HAProxy's read-write port: migrations go to the primary."""
        return f"postgresql://postgres@127.0.0.1:{self.ports.read_write}/{DATABASE}"

    @property
    def app_url(self) -> str:
        return f"postgresql://dimos_app@127.0.0.1:{self.ports.read_write}/{DATABASE}"

    @property
    def replica_url(self) -> str:
        return f"postgresql://dimos_app@127.0.0.1:{self.ports.read_only}/{DATABASE}"

    # ---- lifecycle
    def up(self, migrate) -> list[str]:
        """Start every member in order, waiting on each; ``migrate(owner_url)`` runs once the
        primary answers. Returns what was done, a line per member."""
        missing = [tool for tool in ("patroni", "etcd", "haproxy") if not shutil.which(tool)]
        if missing:
            raise SetupError(f"{', '.join(missing)} not installed: run scripts/install-system-"
                             "packages (Debian: patroni etcd-server etcd-client haproxy)")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.link.exists():  # Patroni runs as postgres: its folders must be in reach
            reachable_by_postgres(self.link, self.state_dir).mkdir(exist_ok=True)
        os.chmod(self.root, 0o755)
        done = [self._start_etcd()]
        done += [self._start_patroni(node) for node in DB_NODES]
        done.append(self._start_haproxy())
        self._wait(lambda: self._leader() is not None, "patroni-0", "a Patroni leader")
        self._wait(lambda: self._sync_standby_streaming(), "patroni-1",
                   "the synchronous replica streaming")
        self._wait(lambda: port_open(self.ports.read_write), "haproxy", "HAProxy's read-write port")
        self._create_database()
        migrate(self.owner_url)
        done += [self._start_app(node) for node in APP_NODES]
        return done

    def down(self) -> list[str]:
        """Stop every member (apps first, etcd last); data stays for the next `up`."""
        done = []
        for member in ([f"app-{n}" for n in APP_NODES] + ["haproxy"]
                       + [f"patroni-{n}" for n in DB_NODES] + ["etcd"]):
            pid = self._pid(member)
            if pid is not None:
                self._stop(pid)
                done.append(f"stopped {member}")
            postmaster = self._postmaster_pid(member)
            if postmaster is not None:  # Patroni starts it in a session of its own
                self._stop(postmaster, group=False)
                done.append(f"stopped {member}'s PostgreSQL")
        return done or ["the cluster is not running"]

    def remove(self) -> None:
        """Stop every member and delete the cluster's folders: for throw-away clusters."""
        self.down()
        root = self.root
        if self.link.is_symlink():
            self.link.unlink()
        shutil.rmtree(root, ignore_errors=True)

    def _postmaster_pid(self, member: str) -> int | None:
        """The PostgreSQL server of a Patroni member, if it runs (from its postmaster.pid)."""
        try:
            pid = int((self._dir(member) / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if alive(pid) else None

    def _stop(self, pid: int, timeout: float = 20, group: bool = True) -> None:
        # PostgreSQL: SIGINT is the fast shutdown; a process group: SIGTERM
        try:
            if group:
                os.killpg(pid, signal.SIGTERM)
            else:
                os.kill(pid, signal.SIGINT)
        except OSError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.2)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def kill(self, member: str) -> int:
        """Kill a member at once (SIGKILL to its process group, and a Patroni member's
        PostgreSQL): the fault tests' hammer, as a machine's loss."""
        pid = self._pid(member)
        if pid is None:
            raise SetupError(f"{member} is not running")
        postmaster = self._postmaster_pid(member)
        os.killpg(pid, signal.SIGKILL)
        if postmaster is not None:
            os.killpg(os.getpgid(postmaster), signal.SIGKILL)
        return pid

    def _spawn(self, member: str, args: list[str], env: dict | None = None,
               as_postgres: bool = False) -> None:
        folder = self._dir(member)
        folder.mkdir(parents=True, exist_ok=True)
        if as_postgres and _is_root():
            args = ["runuser", "-u", "postgres", "--", *args]
        with open(self._log(member), "ab") as log:
            # a session of its own: `down` and the fault tests signal the whole group
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                    env={**os.environ, **(env or {})}, start_new_session=True)
        self._pid_file(member).write_text(str(proc.pid))

    def _wait(self, ready, member: str, what: str, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if self._pid(member) is None:
                raise SetupError(f"{member} stopped before {what} came up; the end of "
                                 f"{self._log(member)}:\n{self._tail(member)}")
            time.sleep(0.3)
        raise SetupError(f"{what} did not come up within {timeout:g} s; the end of "
                         f"{self._log(member)}:\n{self._tail(member)}")

    def _tail(self, member: str, lines: int = 15) -> str:
        try:
            return "\n".join(self._log(member).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _start_etcd(self) -> str:
        if self._pid("etcd"):
            return f"reused etcd on 127.0.0.1:{self.ports.etcd_client}"
        self._check_free(self.ports.etcd_client, "etcd")
        client = f"http://127.0.0.1:{self.ports.etcd_client}"
        peer = f"http://127.0.0.1:{self.ports.etcd_peer}"
        self._spawn("etcd", [
            "etcd", "--name", "dimos", "--data-dir", str(self._dir("etcd") / "data"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"dimos={peer}", "--initial-cluster-state", "new"])
        self._wait(lambda: _http_json(f"{client}/health")[0] == 200, "etcd", "etcd")
        return f"started etcd on {client}"

    def _start_patroni(self, node: int) -> str:
        member = f"patroni-{node}"
        if self._pid(member):
            return f"reused {member}"
        self._check_free(self.ports.pg_port(node), member)
        folder = self._dir(member)
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "patroni.yml"
        config.write_text(json.dumps(self._patroni_config(node), indent=1))  # JSON is YAML
        if _is_root():
            for path in (folder, config):
                shutil.chown(path, "postgres", "postgres")
            if self._log(member).exists():
                shutil.chown(self._log(member), "postgres", "postgres")
        self._spawn(member, ["patroni", str(config)], as_postgres=True)
        self._wait(lambda: _http_json(self._patroni_url(node) + "/health")[0] is not None,
                   member, f"Patroni's REST API of {member}")
        return f"started {member} (PostgreSQL on 127.0.0.1:{self.ports.pg_port(node)})"

    def _patroni_url(self, node: int) -> str:
        return f"http://127.0.0.1:{self.ports.patroni_port(node)}"

    def _patroni_config(self, node: int) -> dict:
        folder = self._dir(f"patroni-{node}")
        pg = f"127.0.0.1:{self.ports.pg_port(node)}"
        rest = f"127.0.0.1:{self.ports.patroni_port(node)}"
        return {
            "scope": SCOPE, "name": f"pg{node}",
            "restapi": {"listen": rest, "connect_address": rest},
            "etcd3": {"hosts": f"127.0.0.1:{self.ports.etcd_client}"},
            "bootstrap": {
                "dcs": {
                    # a dead primary's leader key expires after ttl: promotion within ~15 s
                    "ttl": 10, "loop_wait": 2, "retry_timeout": 4,
                    "maximum_lag_on_failover": 1048576,
                    # an acknowledged commit is on both nodes: a failover loses none
                    "synchronous_mode": True,
                    "postgresql": {"use_pg_rewind": True, "parameters": {
                        "max_connections": 200, "wal_level": "replica", "hot_standby": "on",
                        "wal_log_hints": "on", "max_wal_senders": 10,
                        "max_replication_slots": 10, "synchronous_commit": "on",
                        "max_parallel_workers_per_gather": 0, "jit": "off"}},
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}],
                "pg_hba": ["local all all trust", "host replication all 127.0.0.1/32 trust",
                           "host all all 127.0.0.1/32 trust"],
            },
            "postgresql": {
                "listen": pg, "connect_address": pg, "data_dir": str(folder / "data"),
                "bin_dir": str(PG_BIN), "pgpass": str(folder / "pgpass"),
                # initdb wants a password; the cluster's pg_hba trusts 127.0.0.1 like `db up`
                "authentication": {"superuser": {"username": "postgres",
                                                 "password": self._secret("pg_password")},
                                   "replication": {"username": "postgres",
                                                   "password": self._secret("pg_password")}},
                "parameters": {"unix_socket_directories": str(folder)},
            },
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
        }

    def _start_haproxy(self) -> str:
        if self._pid("haproxy"):
            return "reused haproxy"
        for port in (self.ports.read_write, self.ports.read_only, self.http_port):
            self._check_free(port, "haproxy")
        folder = self._dir("haproxy")
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "haproxy.cfg"
        config.write_text(self._haproxy_config())
        # -db: stay in the foreground, so the pid file names the process `down` signals
        self._spawn("haproxy", ["haproxy", "-db", "-f", str(config)])
        self._wait(lambda: port_open(self.http_port), "haproxy", "HAProxy")
        return (f"started haproxy (read-write 127.0.0.1:{self.ports.read_write}, read-only "
                f":{self.ports.read_only}, HTTP :{self.http_port})")

    def _haproxy_config(self) -> str:
        def pg_backend(name: str, port: int, check: str) -> str:
            servers = "".join(
                f"  server pg{n} 127.0.0.1:{self.ports.pg_port(n)} check port "
                f"{self.ports.patroni_port(n)}\n" for n in DB_NODES)
            # Patroni answers 200 on /primary only on the leader, /replica only on a streaming
            # standby; sessions to a node marked down are cut, so clients reconnect elsewhere
            return (f"listen {name}\n  bind 127.0.0.1:{port}\n  option httpchk GET {check}\n"
                    "  http-check expect status 200\n"
                    "  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions\n"
                    + servers)
        apps = "".join(f"  server app{n} 127.0.0.1:{self.ports.app_port(n)} check inter 500ms "
                       "fall 1 rise 2\n" for n in APP_NODES)
        return (
            "global\n  maxconn 1000\n\n"
            "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 120s\n"
            "  timeout server 120s\n  timeout check 1s\n\n"
            + pg_backend("postgres_rw", self.ports.read_write, "/primary") + "\n"
            + pg_backend("postgres_ro", self.ports.read_only, "/replica") + "\n"
            + f"frontend web\n  mode http\n  bind 127.0.0.1:{self.http_port}\n"
            "  option forwardfor\n  default_backend dimos\n\n"
            "backend dimos\n  mode http\n"
            # a request that met a dead node (refused, or closed without an answer) is tried on
            # the other; with no node up, a 503 that says when to come back. Once it reached a
            # node, only a read, or a write with an Idempotency-Key (dimos/idempotency.py), is
            # sent again: that node may have stored a report before it died, and a second copy
            # would be a second report (a write without a key gets no answer, or a 502)
            "  retries 3\n  option redispatch 1\n  retry-on conn-failure empty-response\n"
            "  http-request disable-l7-retry unless METH_GET"
            " || { req.hdr(idempotency-key) -m found }\n"
            "  http-error status 503 content-type application/json hdr Retry-After 5 string "
            "\"{\\\"code\\\": \\\"ServiceUnavailable\\\", \\\"description\\\": \\\"no dimos node "
            "is up; try again shortly\\\"}\"\n"
            + apps)

    def _leader(self) -> int | None:
        for node in DB_NODES:
            if _http_json(self._patroni_url(node) + "/primary")[0] == 200:
                return node
        return None

    def _sync_standby_streaming(self) -> bool:
        _, body = _http_json(self._patroni_url(DB_NODES[0]) + "/cluster")
        members = (body or {}).get("members", [])
        return any(m.get("role") == "sync_standby" and m.get("state") in ("streaming", "running")
                   for m in members)

    def _create_database(self) -> None:
        from gis import db

        server = f"postgresql://postgres@127.0.0.1:{self.ports.read_write}/postgres"
        db.create_database(server, DATABASE)

    def _start_app(self, node: int) -> str:
        member = f"app-{node}"
        port = self.ports.app_port(node)
        if self._pid(member):
            return f"reused {member} on 127.0.0.1:{port}"
        self._check_free(port, member)
        env = {
            "DATABASE_URL": self.owner_url, "DIMOS_APP_DATABASE_URL": self.app_url,
            "DATABASE_REPLICA_URLS": self.replica_url, "DIMOS_PORT": str(port),
            "DIMOS_WORKERS": "1", "DIMOS_THREADS": "8",
            # both nodes sign sessions alike; the sensors' workers are not clustered here
            "DIMOS_SECRET_KEY": self._secret(), "DIMOS_SENSORS_INGEST": "0",
            "DIMOS_CHANGES_RELAY": "0", "DIMOS_TRUSTED_PROXIES": "1",
            "DIMOS_PUBLIC_URL": f"http://127.0.0.1:{self.http_port}",
            "DIMOS_STATE_DIR": str(self._dir(member) / "state"),
        }
        self._spawn(member, [self.python, "-m", "dimos.cli", "serve", "--port", str(port)], env)
        self._wait(lambda: _http_json(f"http://127.0.0.1:{port}/health", 2)[0] == 200,
                   member, f"dimos node {member}", timeout=90)
        return f"started {member} on http://127.0.0.1:{port}/"

    def _secret(self, name: str = "secret_key") -> str:
        path = self.root / name
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
            os.chmod(path, 0o600)
        return path.read_text().strip()

    def _check_free(self, port: int, member: str) -> None:
        if port_open(port):
            raise SetupError(f"port {port} on 127.0.0.1, for the cluster's {member}, is taken: "
                             "stop what holds it or choose another block with "
                             "DIMOS_CLUSTER_PORT_BASE=<port>")

    # ---- status
    def status(self) -> list[dict]:
        """Every member: kind, name, role, URL, state and (databases) replication lag in bytes."""
        members = [{"kind": "dcs", "name": "etcd", "role": None,
                    "url": f"http://127.0.0.1:{self.ports.etcd_client}",
                    "state": "running" if _http_json(
                        f"http://127.0.0.1:{self.ports.etcd_client}/health")[0] == 200
                    else "stopped", "lag_bytes": None}]
        cluster = {}
        for node in DB_NODES:
            _, body = _http_json(self._patroni_url(node) + "/cluster")
            if body:
                cluster = {m["name"]: m for m in body.get("members", [])}
                break
        for node in DB_NODES:
            info = cluster.get(f"pg{node}", {})
            role = {"leader": "primary", "sync_standby": "replica",
                    "replica": "replica"}.get(info.get("role"))
            lag = info.get("lag")
            members.append({
                "kind": "database", "name": f"pg{node}", "role": role,
                "url": f"postgresql://127.0.0.1:{self.ports.pg_port(node)}/{DATABASE}",
                "state": info.get("state", "stopped"),
                "synchronous": info.get("role") == "sync_standby",
                "lag_bytes": 0 if role == "primary" else (lag if isinstance(lag, int) else None)})
        members.append({"kind": "proxy", "name": "haproxy", "role": None,
                        "url": f"http://127.0.0.1:{self.http_port}",
                        "read_write": f"postgresql://127.0.0.1:{self.ports.read_write}",
                        "read_only": f"postgresql://127.0.0.1:{self.ports.read_only}",
                        "state": "running" if self._pid("haproxy") and port_open(self.http_port)
                        else "stopped", "lag_bytes": None})
        for node in APP_NODES:
            url = f"http://127.0.0.1:{self.ports.app_port(node)}"
            code, _ = _http_json(url + "/health", 2)
            members.append({"kind": "app", "name": f"app-{node}", "role": None, "url": url,
                            "state": {200: "running", None: "stopped"}.get(code, f"http {code}"),
                            "lag_bytes": None})
        return members
