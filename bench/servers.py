"""Starting and stopping the servers under test: dimos, tipg, stock pygeoapi and MapServer,
2 workers (processes) each."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy.engine import make_url

from gis.tiles import BUFFER, TILE_BUDGET
from settings import PROJECT_DIR, Settings

WORKERS = 2
#: threads per worker: dimos's default (DIMOS_THREADS), given to every threaded peer alike
THREADS = Settings.model_fields["threads"].default
PYGEOAPI_YAML = Path(__file__).resolve().parent / "pygeoapi-stock.yml"
START_TIMEOUT_S = 90
VENV_BIN = PROJECT_DIR / ".venv" / "bin"
BENCH_VENV_BIN = PROJECT_DIR / ".bench-venv" / "bin"


class BenchError(Exception):
    """The benchmark could not run (a server did not start, an answer was wrong)."""


@dataclass
class Server:
    name: str
    url: str  # base URL, no trailing slash
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_process(name: str, args: list[str], env: dict, ready_path: str, port: int, folder: Path,
           cwd: Path = PROJECT_DIR) -> Server:
    log = folder / f"{name}.log"
    # a session of its own: stop() signals the whole group (master and workers)
    process = subprocess.Popen(args, env={**os.environ, **env}, cwd=cwd, start_new_session=True,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(server.url + ready_path, headers={"Connection": "close"},
                            timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(server)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    raise BenchError(f"{name} did not answer {ready_path} within {START_TIMEOUT_S} s "
                     f"(log {log}):\n{tail}")


def start_dimos(database_url: str, folder: Path, tile_cache_mb: int = 0,
                name: str = "dimos", extra_env: dict | None = None) -> Server:
    """dimos as deployed (`dimos serve`, gunicorn); tile cache off unless asked."""
    port = free_port()
    state = folder / f"{name}-state"
    env = {"DATABASE_URL": database_url, "DIMOS_STATE_DIR": str(state),
           "DIMOS_TILE_CACHE_MB": str(tile_cache_mb),
           # the benchmark is one client hammering on purpose: no per-address limits
           "DIMOS_RATE_LIMIT_REPORTS_PER_MIN": "0",
           "DIMOS_RATE_LIMIT_PROCESSES_PER_MIN": "0",
           # no sensors' worker unless the benchmark feeds one (bench/sensors.py)
           "DIMOS_SENSORS_INGEST": "0", **(extra_env or {})}
    return start_process(name, [str(VENV_BIN / "dimos"), "serve", "--port", str(port),
                         "--workers", str(WORKERS)], env, "/health", port, folder)


def start_tipg(database_url: str, folder: Path, name: str = "tipg") -> Server:
    """tipg from PyPI under uvicorn, publishing our one table and no functions.

    Its tiles are set to dimos's buffer and feature cap, so both cut the same tiles.
    """
    port = free_port()
    env = {"DATABASE_URL": database_url,
           "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": '["public.building_permits"]',
           "TIPG_DB_FUNCTIONS": "[]",  # none of PostGIS's/pgRouting's functions
           "TIPG_CATALOG_TTL": "0",  # no catalogue refresh in the middle of a measurement
           "TIPG_TILE_BUFFER": str(BUFFER),
           "TIPG_MAX_FEATURES_PER_TILE": str(TILE_BUDGET)}
    args = [str(BENCH_VENV_BIN / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(WORKERS), "--no-access-log"]
    # cwd: tipg reads a .env file from its working directory; give it an empty one of its own
    home = folder / name
    home.mkdir(exist_ok=True)
    return start_process(name, args, env, "/healthz", port, folder, cwd=home)


def start_stock_pygeoapi(database_url: str, folder: Path, count: bool = True,
                         name: str = "pygeoapi-stock") -> Server:
    """pygeoapi 0.24's own Flask app, configured by its own YAML (bench/pygeoapi-stock.yml),
    under gunicorn with dimos's concurrency: WORKERS gthread workers of THREADS threads.
    ``count``: the provider's count switch (numberMatched on every request, or none)."""
    port = free_port()
    db = make_url(database_url)
    env = {"PYGEOAPI_PORT": str(port), "PYGEOAPI_URL": f"http://127.0.0.1:{port}",
           "PG_HOST": db.host, "PG_PORT": str(db.port or 5432), "PG_DATABASE": db.database,
           "PG_USER": db.username, "PG_PASSWORD": db.password or "",
           "PYGEOAPI_COUNT": "true" if count else "false"}
    # the OpenAPI document, as pygeoapi's own command writes it from the same YAML
    openapi_path = folder / f"{name}-openapi.json"
    generated = subprocess.run([str(VENV_BIN / "pygeoapi"), "openapi", "generate",
                                str(PYGEOAPI_YAML), "--format", "json", "--output-file",
                                str(openapi_path)], env={**os.environ, **env},
                               capture_output=True, text=True)
    if generated.returncode != 0:
        raise BenchError(f"pygeoapi openapi generate: {generated.stderr[-500:]}")
    env |= {"PYGEOAPI_CONFIG": str(PYGEOAPI_YAML), "PYGEOAPI_OPENAPI": str(openapi_path)}
    args = [str(VENV_BIN / "python"), "-m", "gunicorn", "--workers", str(WORKERS),
            "--worker-class", "gthread", "--threads", str(THREADS),
            "--bind", f"127.0.0.1:{port}", "pygeoapi.flask_app:APP"]
    return start_process(name, args, env, "/collections?f=json", port, folder)


def stop(server: Server) -> None:
    """Stop a server's process group: TERM, then KILL after 10 s; then KILL what is left of
    the group (an idle FastCGI mapserv heeds TERM only at its next request)."""
    try:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(server.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.process.wait()
