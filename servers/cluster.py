"""The project-local PostgreSQL cluster: install PostGIS/pgRouting, initdb, start, stop.

PostgreSQL refuses to run as root, so when dimos runs as root the cluster's folder belongs to
the ``postgres`` OS user and every server command runs through ``runuser -u postgres``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gis.errors import SetupError

PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
EXTENSION_DIR = Path(f"/usr/share/postgresql/{PG_VERSION}/extension")
DEBIAN_PACKAGES = (
    f"postgresql-{PG_VERSION}",
    f"postgresql-{PG_VERSION}-postgis-3",
    f"postgresql-{PG_VERSION}-pgrouting",
)
# When the project folder cannot be traversed by the postgres user (e.g. a clone under /root),
# the data lives here instead and .dimos/pg is a symlink to it.
FALLBACK_ROOT = Path("/var/lib/dimos/clusters")

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    # ST_AsMVT and small spatial queries run slower and give unstable output with parallel
    # plans on 2 cores (measured on the 2-core machines this project is built on).
    "max_parallel_workers_per_gather": "0",
    "shared_buffers": "'256MB'",
    "work_mem": "'32MB'",
    "max_connections": "200",
}


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if _is_root() else args


def _run(args: list[str], what: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True)
    if check and proc.returncode != 0:
        output = (proc.stderr or proc.stdout).strip().splitlines()
        last = output[-1] if output else f"exit status {proc.returncode}"
        raise SetupError(f"{what} failed: {last}", detail=proc.stderr + proc.stdout)
    return proc


def reachable_by_postgres(link: Path, parent: Path) -> Path:
    """``link`` itself if the postgres user can reach ``parent``, else a folder under
    FALLBACK_ROOT with ``link`` made a symlink to it (only root can need this)."""
    if not _is_root() or _postgres_can_traverse(parent):
        return link
    target = FALLBACK_ROOT / hashlib.sha1(str(link.absolute()).encode()).hexdigest()[:12]
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o755)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
    return target


def _postgres_can_traverse(path: Path) -> bool:
    return _run(["runuser", "-u", "postgres", "--", "test", "-x", str(path)],
                "checking folder permissions", check=False).returncode == 0


def packages_missing() -> list[str]:
    """Debian packages of PostgreSQL/PostGIS/pgRouting not yet on this machine."""
    needed = {
        DEBIAN_PACKAGES[0]: PG_BIN / "postgres",
        DEBIAN_PACKAGES[1]: EXTENSION_DIR / "postgis.control",
        DEBIAN_PACKAGES[2]: EXTENSION_DIR / "pgrouting.control",
    }
    return [package for package, path in needed.items() if not path.exists()]


def install_packages() -> list[str]:
    """Install the missing server packages from Debian's archive; return what was installed."""
    missing = packages_missing()
    if not missing:
        return []
    sudo = [] if _is_root() else ["sudo", "-n"]
    if not _is_root() and not shutil.which("sudo"):
        raise SetupError(
            f"PostgreSQL packages missing ({', '.join(missing)}) and no root: install them with "
            "apt-get as root, or set DATABASE_URL to a PostgreSQL server with PostGIS 3 and pgRouting"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        proc = subprocess.run(sudo + args, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise SetupError(
                f"could not install {', '.join(missing)} with apt-get: "
                f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}",
                detail=proc.stderr,
            )
    return missing


@dataclass(frozen=True)
class LocalCluster:
    """A PostgreSQL cluster whose data folder belongs to this project checkout."""

    state_dir: Path
    port: int

    @property
    def link(self) -> Path:
        return self.state_dir / "pg"

    @property
    def data_dir(self) -> Path:
        """The real data folder (``.dimos/pg`` or, through its symlink, the fallback folder)."""
        return self.link.resolve() if self.link.is_symlink() else self.link

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        proc = _run(_as_server_user([str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data_dir)]),
                    "pg_ctl status", check=False)
        return proc.returncode == 0

    def up(self) -> str:
        """Initialise (once) and start (unless running) the cluster; say what was done."""
        install_packages()
        if self.is_running():
            return f"reused the running cluster in {self.data_dir} on port {self.port}"
        if not self.is_initialised():
            self._initialise()
        self._check_port_free()
        _run(
            _as_server_user([
                str(PG_BIN / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data_dir),
                "-l", str(self.log_file),
            ]),
            f"starting PostgreSQL (log: {self.log_file})",
        )
        return f"started the cluster in {self.data_dir} on 127.0.0.1:{self.port}"

    def down(self) -> str:
        if not self.is_running():
            return "the project's cluster is not running"
        _run(_as_server_user([str(PG_BIN / "pg_ctl"), "stop", "-m", "fast", "-w",
                              "-D", str(self.data_dir)]), "stopping PostgreSQL")
        return f"stopped the cluster in {self.data_dir}"

    def remove(self) -> None:
        """Stop the cluster and delete its data (the fallback folder too): for throw-away
        clusters such as the tests'."""
        self.down()
        data_dir = self.data_dir
        if self.link.is_symlink():
            self.link.unlink()
        shutil.rmtree(data_dir, ignore_errors=True)

    def _initialise(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o755)
        data_dir = self._choose_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        if _is_root():
            shutil.chown(data_dir, "postgres", "postgres")
        _run(_as_server_user([
            str(PG_BIN / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        ]), "initdb")
        settings = {**SERVER_SETTINGS, "port": str(self.port),
                    "unix_socket_directories": f"'{data_dir}'"}
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with open(data_dir / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write("\n# dimos: project-local cluster\n" + conf)

    def _choose_data_dir(self) -> Path:
        return reachable_by_postgres(self.link, self.state_dir)

    def _check_port_free(self) -> None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SetupError(
                    f"port {self.port} on 127.0.0.1 is taken by another server: stop it, or choose "
                    "another port for the project's cluster with DIMOS_PG_PORT=<port>"
                )

