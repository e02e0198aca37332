"""What many test modules do: read the database, run the `dimos` command, issue a token, start
`dimos serve` on a free port and wait until it answers, wait for a condition with a deadline."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import requests

from gis import db

#: Debian's Chromium, headless, for the browser tests (Playwright drives it)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

DIMOS = str(Path(sys.executable).parent / "dimos")


def wait_until(condition, timeout: float, what: str, every: float = 0.05):
    """Poll ``condition()`` until it returns something truthy (which is returned), failing with
    ``what`` once ``timeout`` seconds have passed: how a test waits for something to happen."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s still waiting for {what}")
        time.sleep(every)


def rows(url: str, query: str, params=()) -> list[tuple]:
    """The rows of one query on a connection of its own (psycopg2 formats it: % is %%)."""
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    finally:
        conn.close()


def add_municipality(url: str, jurisdiction_id: str, name: str, x: float = 0, y: float = 0,
                     size_m: float = 1) -> None:
    """A municipality whose land is the square of ``size_m`` metres from (x, y) in EPSG:2100."""
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO jurisdictions (id, name_el, name_en, boundary) VALUES
                       (%s, %s, %s, ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 2100)))""",
                    (jurisdiction_id, name, name, x, y, x + size_m, y + size_m))
    conn.close()


def dimos(*args, url: str, stdin: str | None = None, timeout: int = 60,
          **env) -> subprocess.CompletedProcess:
    """`dimos ARGS` against the database at ``url``, with a bare environment."""
    return subprocess.run([DIMOS, *map(str, args)], input=stdin, capture_output=True, text=True,
                          env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", **env},
                          timeout=timeout)


def token(url: str, name: str, role: str, jurisdiction: str | None = None) -> str:
    """A fresh token named ``name`` with ``role`` (an earlier run's is revoked first), of
    ``jurisdiction``: the demo's rethymno unless told (an admin's: every municipality)."""
    dimos("token", "revoke", name, url=url)
    if role not in ("admin", "citizen"):
        jurisdiction = jurisdiction or "rethymno"
    bound = ("--jurisdiction", jurisdiction) if jurisdiction else ()
    made = dimos("token", "create", name, "--role", role, *bound, url=url)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: a free port found can be taken before gunicorn binds it (another test's server, a client's
#: ephemeral port): the start is tried on another port
PORT_ATTEMPTS = 3


@contextmanager
def serving(url: str, state_dir: Path, workers: int = 2, preexec_fn=None, **env):
    """`dimos serve` on the database at ``url``, on a free port, until the block ends: its
    base URL. Its log is ``state_dir/server.log``; DIMOS_* settings come as keywords."""
    log_path = state_dir / "server.log"
    settings = {f"DIMOS_{name.upper()}": str(value) for name, value in env.items()}
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [DIMOS, "serve", "--port", str(port), "--workers", str(workers)],
                env={**os.environ, "DATABASE_URL": url, "DIMOS_STATE_DIR": str(state_dir),
                     **settings},
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(base, server, log_path)
        except RuntimeError:
            _stop(server)
            if "Address already in use" in log_path.read_text() and attempt < PORT_ATTEMPTS - 1:
                continue
            raise
        break
    try:
        yield base
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """A graceful stop, then a kill: a loaded machine can keep gunicorn's workers past their
    graceful timeout, and a test's verdict must not depend on how fast a server winds down."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def _wait_until_healthy(base: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            # bound by this server (not answered by another one holding the port)
            if (requests.get(f"{base}/health", timeout=5).status_code == 200
                    and f"Listening at: {base} (" in log_path.read_text()):
                return
        except requests.RequestException:  # not listening yet, or busy starting
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("dimos serve did not start: " + log_path.read_text()[-2000:])
        time.sleep(0.2)


def mqtt_sign_in(port: int, username: str, password: str, wait: float = 10.0,
                 **options) -> mqtt.Client | None:
    """One sign-in to the broker on ``port``: the client, its network loop running, if the
    broker lets ``username`` in; None if it refuses; TimeoutError if it does not answer."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **{"client_id": "", **options})
    client.username_pw_set(username, password)
    answered, accepted = threading.Event(), []

    def on_connect(c, userdata, flags, reason_code, properties):
        accepted.append(not reason_code.is_failure)
        answered.set()
    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    if answered.wait(wait) and accepted[0]:
        return client
    client.loop_stop()
    client.disconnect()
    if not answered.is_set():
        raise TimeoutError(f"the broker on port {port} did not answer {username}")
    return None

