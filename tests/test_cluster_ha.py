"""`dimos cluster up`: read-your-writes across app nodes with a paused replica, the live feed
across nodes, an app node killed under load, the primary killed (Patroni promotes the
synchronous replica)."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from accounts.tokens import issue_token
from gis import db
from servers.ha import HACluster, port_open
from tests.helpers import DIMOS, rows, wait_until

pytestmark = pytest.mark.skipif(shutil.which("patroni") is None,
                                reason="Patroni is not installed (scripts/install-system-packages)")

PORT_BASE = 5600
HTTP_PORT = PORT_BASE + 40
PROJECT = Path(__file__).resolve().parent.parent
OLD_TOWN = (24.4747, 35.3676)
#: how long after a node's death HAProxy may still send it a request: its check runs every
#: 500 ms and marks the node down at the first failure (servers/ha.py); twice that, for slack
MARK_DOWN_S = 1.0
#: how many times a report with an Idempotency-Key is sent before its client gives up
KEYED_SENDS = 4


@pytest.fixture(scope="module")
def cluster():
    state_dir = PROJECT / ".dimos" / f"test-cluster-{uuid.uuid4().hex[:8]}"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DIMOS_STATE_DIR": str(state_dir),
           "DIMOS_CLUSTER_PORT_BASE": str(PORT_BASE), "DIMOS_PORT": str(HTTP_PORT),
           "DIMOS_RATE_LIMIT_REPORTS_PER_MIN": "0"}
    ha = HACluster(state_dir, PORT_BASE, HTTP_PORT)
    try:
        up = subprocess.run([DIMOS, "cluster", "up"], env=env, capture_output=True, text=True,
                            timeout=240)
        assert up.returncode == 0, up.stdout + up.stderr
        demo = subprocess.run([DIMOS, "demo", "load", "--jurisdiction", "rethymno"],
                              env={**env, "DATABASE_URL": ha.owner_url}, capture_output=True,
                              text=True, timeout=120)
        assert demo.returncode == 0, demo.stderr
        yield ha, env
    finally:
        ha.remove()  # its folders too (under /var/lib/dimos when the checkout is closed)
        shutil.rmtree(state_dir, ignore_errors=True)


def _report(base: str, session=requests, key: str | None = None,
            description: str | None = None) -> requests.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return session.post(f"{base}/open311/v2/requests.json", timeout=15, headers=headers, data={
        "service_code": "pothole", "lat": str(OLD_TOWN[1]), "long": str(OLD_TOWN[0]),
        "description": description or f"Λακκούβα {uuid.uuid4().hex[:8]}"})


def _keyed_report(base: str, session: requests.Session) -> requests.Response:
    """A report with an Idempotency-Key, sent again with the same key and body when it got no
    answer or a 502 — what the map's outbox does (web_map/static/map/outbox.js). HAProxy
    resends most of these itself, but not every one: a request on a client connection that
    HAProxy closes as the node dies gets no answer (seen once in about four runs, HAProxy 2.6)."""
    key, description = str(uuid.uuid4()), f"Λακκούβα {uuid.uuid4().hex[:8]}"
    for _ in range(KEYED_SENDS - 1):
        try:
            response = _report(base, session, key, description)
        except requests.ConnectionError:
            time.sleep(0.2)
            continue
        if response.status_code != 502:
            return response
        time.sleep(0.2)
    return _report(base, session, key, description)


def _node(ha: HACluster, node: int) -> str:
    return f"http://127.0.0.1:{ha.ports.app_port(node)}"


def _replica_url(ha: HACluster) -> str:
    return f"postgresql://postgres@127.0.0.1:{ha.ports.read_only}/dimos"


def _restore(ha: HACluster, env: dict) -> None:
    """Start again whatever a fault test killed, and wait for the replica to stream."""
    up = subprocess.run([DIMOS, "cluster", "up"], env=env, capture_output=True, text=True,
                        timeout=240)
    assert up.returncode == 0, up.stdout + up.stderr


def test_a_writer_reads_its_report_through_the_other_node_while_the_replica_is_paused(cluster):
    ha, _ = cluster
    writer, other = requests.Session(), requests.Session()
    rows(_replica_url(ha), "SELECT pg_wal_replay_pause()")
    try:
        made = _report(_node(ha, 0), writer)
        assert made.status_code == 201, made.text
        assert made.headers["X-Dimos-LSN"]
        number = made.json()[0]["service_request_id"]

        mine = writer.get(f"{_node(ha, 1)}/open311/v2/requests/{number}.json", timeout=15)
        assert mine.status_code == 200, mine.text
        assert mine.json()[0]["service_request_id"] == number
        assert mine.headers["X-Dimos-Read-From"] == "primary"

        theirs = other.get(f"{_node(ha, 1)}/open311/v2/requests/{number}.json", timeout=15)
        assert theirs.headers["X-Dimos-Read-From"] == "replica"
        assert theirs.status_code == 404, theirs.text
    finally:
        rows(_replica_url(ha), "SELECT pg_wal_replay_resume()")
    # the others see it once the replica has replayed it, and the writer then reads there too
    wait_until(lambda: other.get(f"{_node(ha, 1)}/open311/v2/requests/{number}.json",
                                 timeout=15).status_code == 200, 10, "the replica to replay")
    again = writer.get(f"{_node(ha, 1)}/open311/v2/requests/{number}.json", timeout=15)
    assert again.status_code == 200 and again.headers["X-Dimos-Read-From"] == "replica"


class _LiveStream:
    """A map's live feed (/api/live) on ``base``, read in a thread: its (event, data) pairs."""

    def __init__(self, base: str):
        self.response = requests.get(f"{base}/api/live", params={"jurisdiction_id": "rethymno"},
                                     stream=True, timeout=30)
        assert self.response.status_code == 200, self.response.text
        self.events: list[tuple[str, object]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    self.events.append((event, json.loads(line[6:])))
        except (requests.RequestException, AttributeError):
            pass  # closed by the test

    def snapshot_clients(self, ap_id: str) -> int:
        (event, data), = wait_until(lambda: self.events[:1], 15, "the live snapshot")
        assert event == "snapshot"
        return next(a["clients_now"] for a in data["wifi_access_points"] if a["id"] == ap_id)

    def close(self) -> None:
        self.response.close()


def _post_clients(base: str, token: str, sensor: str, clients: int) -> None:
    answer = requests.post(f"{base}/api/sensors/readings", timeout=15, json={
        "jurisdiction_id": "rethymno", "readings": [{
            "sensor_id": sensor, "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "up": True, "clients": clients}]}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text


def test_the_live_map_on_one_node_hears_a_reading_posted_on_the_other(cluster):
    ha, _ = cluster
    (sensor, ap_id), = rows(ha.owner_url, "SELECT s.sensor_id, a.ap_id FROM sensors s "
                                          "JOIN wifi_access_points a ON a.id = s.feature_id "
                                          "WHERE s.kind = 'ap' AND s.jurisdiction_id = 'rethymno' "
                                          "ORDER BY s.sensor_id LIMIT 1")
    conn = db.connect(ha.owner_url)
    with conn, conn.cursor() as cur:
        token = issue_token(cur, f"gw-live-{uuid.uuid4().hex[:6]}", "gateway", "rethymno")
    conn.close()
    listening = _LiveStream(_node(ha, 1))
    try:
        listening.snapshot_clients(ap_id)
        _post_clients(_node(ha, 0), token, sensor, 301)
        wait_until(lambda: [e for e in listening.events[1:] if e[0] == "change" and any(
            c["id"] == ap_id and c.get("clients_now") == 301 for c in e[1])], 5,
            "node 1's stream to hear node 0's reading")
    finally:
        listening.close()
    # a stream that starts after a change begins from a snapshot that has it, replica lag or not
    rows(_replica_url(ha), "SELECT pg_wal_replay_pause()")
    try:
        _post_clients(_node(ha, 0), token, sensor, 302)
        late = _LiveStream(_node(ha, 1))
        try:
            assert late.snapshot_clients(ap_id) == 302
        finally:
            late.close()
    finally:
        rows(_replica_url(ha), "SELECT pg_wal_replay_resume()")


def _load(base: str, stop: threading.Event, answers: list, read: str | None = None,
          keyed: bool = False) -> None:
    """Requests in a loop until ``stop``, reports filed (each with an Idempotency-Key if
    ``keyed``, sent again with it when unanswered) or ``read`` (a path) read: (time answered,
    status, Retry-After, report number or None, time sent) of each."""
    session = requests.Session()
    while not stop.is_set():
        sent = time.monotonic()
        try:
            if keyed:
                response = _keyed_report(base, session)
            elif read is None:
                response = _report(base, session)
            else:
                response = session.get(f"{base}{read}", timeout=15)
        except requests.RequestException as exc:
            answers.append((time.monotonic(), f"no answer: {exc}", None, None, sent))
            continue
        number = response.json()[0]["service_request_id"] if response.status_code == 201 else None
        answers.append((time.monotonic(), response.status_code,
                        response.headers.get("Retry-After"), number, sent))
        time.sleep(0.05)


def _a_report_to_read(base: str) -> str:
    made = _report(base)
    assert made.status_code == 201, made.text
    return f"/open311/v2/requests/{made.json()[0]['service_request_id']}.json"


def test_killing_an_app_node_under_load_is_routed_around_and_files_no_report_twice(cluster):
    ha, env = cluster
    base = f"http://127.0.0.1:{HTTP_PORT}"
    stop, reads, keyed, reports = threading.Event(), [], [], []
    read = _a_report_to_read(base)
    workers = [threading.Thread(target=_load, args=(base, stop, *load))
               for load in ((reads, read), (reads, read), (reads, "/open311/v2/services.json"),
                            (keyed, None, True), (reports, None))]
    try:
        for worker in workers:
            worker.start()
        time.sleep(2)
        dying = time.monotonic()
        ha.kill("app-1")
        killed = time.monotonic()
        time.sleep(4)
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)
        _restore(ha, env)
    # a read that met the dead node is answered by the other (HAProxy sends it again); so is a
    # report with an Idempotency-Key, by HAProxy or by its client sending it again with the key
    # (a report the dead node had stored is not filed twice: checked below)
    wrong = [a for a in reads + keyed if not (isinstance(a[1], int) and (
        200 <= a[1] < 300 or (a[1] == 503 and a[2])))]
    # a report without a key is never sent twice (the dead node may have stored it): one sent
    # before HAProxy marks the node down (its check: every 500 ms, down at the first failure)
    # may meet the dead node, and get a 502 or its connection closed with no answer (HAProxy
    # closes it as a server would, on a reused connection); the citizen looks before sending
    # again
    marked_down = killed + MARK_DOWN_S
    wrong += [a for a in reports if not (isinstance(a[1], int) and (
        200 <= a[1] < 300 or (a[1] == 503 and a[2])
        or (a[1] == 502 and a[4] <= marked_down and a[0] >= dying)))
        and not (str(a[1]).startswith("no answer: ") and a[4] <= marked_down and a[0] >= dying)]
    # what HAProxy does not mend: a request in flight at the node's death may see its
    # connection broken (an answer cut short — HAProxy cannot resend a request whose answer it
    # has passed on — or, rarely, closed with none). Only requests sent before the kill and
    # broken from its start on: at most one a client, each having one request in flight.
    cut = [a for a in wrong if str(a[1]).startswith("no answer: ")
           and a[4] <= killed and a[0] >= dying]
    def kind(a):
        return "read" if a in reads else "keyed report" if a in keyed else "report"

    print(f"{len(cut)} connections broken by the kill ({[kind(a) for a in cut]}): "
          f"{[a[1] for a in cut]}")
    # each with its kind, and when it was sent and answered from the kill's start
    assert len(cut) <= len(workers) and not [a for a in wrong if a not in cut], [
        (kind(a), a[1], round(a[4] - dying, 3), round(a[0] - dying, 3),
         round(killed - dying, 3)) for a in wrong if a not in cut][:5]
    assert any(a[0] > killed + 1 and isinstance(a[1], int) and 200 <= a[1] < 300
               for a in reads + keyed + reports), "nothing was answered after the kill"
    twice = rows(f"postgresql://postgres@127.0.0.1:{ha.ports.read_write}/dimos",
                 "SELECT description FROM service_requests WHERE description LIKE 'Λακκούβα %%' "
                 "GROUP BY description HAVING count(*) > 1")
    assert twice == []


def _app_errors(ha: HACluster) -> str:
    """The error lines of both app nodes' logs (a 500's traceback among them)."""
    return "\n".join(line[:3000] for node in (0, 1)
                     for line in ha._tail(f"app-{node}", 4000).splitlines()
                     if '"level": "ERROR"' in line)[-12000:]


def test_killing_the_primary_loses_no_accepted_report_and_service_resumes(cluster):
    ha, env = cluster
    base = f"http://127.0.0.1:{HTTP_PORT}"
    old = ha._leader()
    assert old is not None
    stop, answers, reads = threading.Event(), [], []
    writer = threading.Thread(target=_load, args=(base, stop, answers))
    # reads too: from the replica, which becomes the primary, leaving no replica to read from
    reader = threading.Thread(target=_load, args=(base, stop, reads, _a_report_to_read(base)))
    survivor = 1 - old
    # only the synchronous standby may be promoted (synchronous_mode): wait for it to be one
    wait_until(ha._sync_standby_streaming, 60, "the replica streaming as synchronous", 0.5)
    try:
        writer.start()
        reader.start()
        wait_until(lambda: sum(a[1] == 201 for a in answers) >= 5, 30, "reports before the kill")
        ha.kill(f"patroni-{old}")
        killed = time.monotonic()
        try:
            wait_until(lambda: ha._leader() == survivor, 60, "Patroni to promote the replica",
                       every=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the end of patroni-{survivor}'s log:\n"
                                 f"{ha._tail(f'patroni-{survivor}', 40)}") from None
        promoted = time.monotonic()
        wait_until(lambda: sum(a[1] == 201 and a[0] > promoted for a in answers) >= 5, 30,
                   "reports accepted after the promotion")
        # past HAProxy's checks (1 s, 2 failures) taking the promoted node off the read-only port
        wait_until(lambda: sum(a[1] == 200 and a[0] > promoted + 5 for a in reads) >= 5, 30,
                   "reads answered after the promotion")
    finally:
        stop.set()
        writer.join(30)
        reader.join(30)
        if ha._leader() != old:  # the next test gets both members back, whatever failed here
            _restore(ha, env)
            wait_until(ha._sync_standby_streaming, 60, "the old primary back as replica", 0.5)
    print(f"promoted pg{survivor} {promoted - killed:.1f} s after the kill")
    # a dead primary's leader key expires after Patroni's ttl (10 s, servers/ha.py)
    assert promoted - killed < 60
    wrong = [a for a in answers if a[1] != 201 and not (a[1] == 503 and a[2])]
    wrong += [a for a in reads if a[1] != 200 and not (a[1] == 503 and a[2])]
    assert not wrong, (f"{wrong[:5]} (killed at {killed:.2f}, promoted at {promoted:.2f}); the "
                       f"apps' errors:\n{_app_errors(ha)}")
    refused = [a[0] for a in answers + reads if a[1] == 503]
    print(f"{len(refused)} requests answered 503, the last "
          f"{max(refused, default=killed) - killed:.1f} s after the kill")
    assert not [a for a in answers if a[1] == 503 and a[0] < killed], "503 before the kill"
    accepted = [a[3] for a in answers if a[1] == 201 and a[0] < killed]
    stored = {n for (n,) in rows(f"postgresql://postgres@127.0.0.1:{ha.ports.pg_port(survivor)}/dimos",
                                 "SELECT service_request_id FROM service_requests "
                                 "WHERE service_request_id = ANY(%s)", (accepted,))}
    assert stored == set(accepted)


def test_status_lists_every_member_with_its_role_and_lag(cluster):
    ha, env = cluster
    listed = subprocess.run([DIMOS, "cluster", "status", "--json"], env=env, capture_output=True,
                            text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    members = json.loads(listed.stdout)
    databases = [m for m in members if m["kind"] == "database"]
    assert sorted(m["role"] for m in databases) == ["primary", "replica"]
    assert [m["synchronous"] for m in databases if m["role"] == "replica"] == [True]
    assert all(isinstance(m["lag_bytes"], int) for m in databases)
    apps = [m for m in members if m["kind"] == "app"]
    assert [m["state"] for m in apps] == ["running", "running"]
    assert [m["state"] for m in members if m["kind"] == "proxy"] == ["running"]


def test_metrics_give_the_replicas_lag(cluster):
    ha, _ = cluster
    rows(_replica_url(ha), "SELECT pg_wal_replay_pause()")
    try:
        # a write the paused replica receives but does not replay: its lag grows past zero
        made = _report(_node(ha, 0))
        assert made.status_code == 201, made.text
        try:
            wait_until(lambda: _received(ha, made.headers["X-Dimos-LSN"]), 30,
                       "the replica to receive the write")
        except AssertionError as late:
            raise AssertionError(f"{late}; its WAL receiver: {_wal_receiver(ha)}") from None
        lag = _lag_bytes(_node(ha, 1))  # measured as /metrics is asked
    finally:
        rows(_replica_url(ha), "SELECT pg_wal_replay_resume()")
    assert lag > 0
    wait_until(lambda: _lag_bytes(_node(ha, 1)) == 0, 10, "the lag back at zero")


def _received(ha: HACluster, lsn: str) -> bool:
    ((received,),) = rows(_replica_url(ha), "SELECT coalesce(pg_last_wal_receive_lsn() >= %s::pg_lsn, "
                                            "false)", (lsn,))
    return received


def _wal_receiver(ha: HACluster) -> str:
    return repr(rows(_replica_url(ha), "SELECT status, sender_host, sender_port, flushed_lsn "
                                       "FROM pg_stat_wal_receiver"))


def _lag_bytes(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=15).text
    (line,) = [row for row in text.splitlines()
               if row.startswith('dimos_replica_lag_bytes{replica="0"}')]
    return float(line.split()[-1])


def test_down_stops_every_member_and_up_again_keeps_the_reports(cluster):
    ha, env = cluster
    base = f"http://127.0.0.1:{HTTP_PORT}"
    read = _a_report_to_read(base)
    down = subprocess.run([DIMOS, "cluster", "down"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert down.returncode == 0, down.stderr
    ports = [ha.ports.etcd_client, ha.ports.read_write, ha.ports.read_only, HTTP_PORT,
             *(ha.ports.pg_port(n) for n in (0, 1)), *(ha.ports.app_port(n) for n in (0, 1))]
    assert [p for p in ports if port_open(p)] == []
    _restore(ha, env)
    again = requests.get(f"{base}{read}", timeout=15)
    assert again.status_code == 200, again.text
