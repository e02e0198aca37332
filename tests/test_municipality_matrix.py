"""Every endpoint that writes or reads private data, for every role, in its own municipality
and in the other: the expected status of each cell is computed from the rules (the role rule
of dimos/access.py's RULES, and whether the principal holds in the target municipality), never
read off a response; a 2xx shows what changed (or what was seen), a 403 that nothing did.

The two square towns of tests/test_municipalities.py. Every principal is Chania's (tokens of
each role, a signed-in staff account), but one admin of the installation (every municipality).
"""
from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import paho.mqtt.client as mqtt
import pytest
import requests
from shapely.geometry import Point, box

import layers
from dimos.access import RULES
from gis import db, migrate, sensors
from gis import service_requests as sr
from gis.load import insert_features, replace_services
from mqtt.ingest import IngestWorker
from servers.broker import LocalBroker
from tests.helpers import dimos, free_port, mqtt_sign_in, rows, serving, wait_until
from tests.test_municipalities import SQUARES, _town, point_in

HOME, OTHER = "chania", "rethymno"
TOWNS = (HOME, OTHER)
PASSWORD = "a long enough password"


@dataclass(frozen=True)
class Who:
    """A principal of the matrix: a token (or a signed-in account) with a role, of Chania
    unless ``everywhere``."""
    name: str
    role: str
    everywhere: bool = False
    account: bool = False

    def holds_in(self, town: str) -> bool:
        return self.everywhere or town == HOME


WHO = {w.name: w for w in (
    *(Who(f"{role}-{HOME}", role) for role in
      ("citizen", "crew", "planner", "staff", "admin", "gateway", "payment")),
    Who("admin-all", "admin", everywhere=True),
    Who(f"clerk-{HOME}", "staff", account=True),
)}


@dataclass(frozen=True)
class Endpoint:
    #: the Flask endpoint (RULES' key) and method
    name: str
    method: str
    #: the status a call the rules allow answers with
    ok: int


ENDPOINTS = {e.name: e for e in (
    Endpoint("open311.post_update", "POST", 201),
    Endpoint("open311.get_contact", "GET", 200),
    Endpoint("own_rows.crew_assignments", "GET", 200),
    Endpoint("sensors.post_readings", "POST", 200),
    Endpoint("sensors.post_session", "POST", 201),
    Endpoint("sensors.get_violations", "GET", 200),
    Endpoint("imports.upload", "POST", 200),
    Endpoint("imports.recent", "GET", 200),
    # an export with the layer's private fields (the public one is anyone's: no cell)
    Endpoint("web_map.export", "GET", 200),
    # a process of the OGC API: no role rule (dimos/access.py), anyone may run it; signed-in
    # principals but citizens within their municipalities (gis/access_rules.confined)
    Endpoint("ogc.request_clusters", "POST", 200),
)}
#: endpoints no role rule names: public, but confined to the caller's municipalities unless
#: the caller is a citizen (who may report anywhere, and reads what is public)
PROCESSES = {"ogc.request_clusters"}


def role_allowed(role: str, endpoint: Endpoint) -> bool:
    """The role rule of dimos/access.py for the endpoint (the first rule naming it decides)."""
    if endpoint.name in PROCESSES:
        return True
    rule = next(r for r in RULES if r.endpoint == endpoint.name and endpoint.method in r.methods)
    return rule.roles is None or role in rule.roles


def expected(who: Who, target: str, endpoint: Endpoint) -> int:
    """The status the rules give ``who`` calling ``endpoint`` about ``target``'s rows: the
    role first (dimos/access.py), then the municipality (gis/access_rules.check_acts_in). A
    list of every municipality's rows (recent imports) is not refused: it is filtered."""
    if not role_allowed(who.role, endpoint):
        return 403
    if endpoint.name == "imports.recent":
        return endpoint.ok
    if endpoint.name in PROCESSES and who.role == "citizen":
        return endpoint.ok
    return endpoint.ok if who.holds_in(target) else 403


def sees(who: Who, target: str) -> bool:
    """Whether a list shows ``target``'s rows to ``who``."""
    return who.holds_in(target)


# --- the two towns, their rows and the principals, set up once ----------------------------

SERVICE = {"service_code": "pothole", "name_el": "Λακκούβα", "name_en": "Pothole",
           "description": "", "group_name": "roads", "keywords": [], "sla_hours": 48,
           "department": "roads", "attributes": []}


def _request(cur, town: str, **contact) -> str:
    """A new request in ``town`` (as dimos itself), its number."""
    lon, lat = point_in(town, len(contact) * 7)
    return sr.submit(cur, town, sr.NewRequest("pothole", Point(lon, lat), **contact))[
        "service_request_id"]


def _bays(town: str) -> gpd.GeoDataFrame:
    """A bay occupied since 2026-01-01 with no paid session (an offender, for the wardens)
    and a bay whose sensor the matrix posts readings for."""
    x, y = SQUARES[town]
    bays = [{"bay_id": f"{kind}-{town}", "sensor_id": f"S{kind}-{town}", "street": "Οδός",
             "parking_zone": "Z1", "tariff_eur_h": 1.0, "bay_type": "regular",
             "occupancy_state": "occupied", "state_since": datetime(2026, 1, 1, tzinfo=UTC),
             "battery_low": None, "geometry": box(x + dx, y + 100, x + dx + 2.5, y + 105)}
            for kind, dx in (("V", 100), ("R", 200))]
    return gpd.GeoDataFrame(bays, crs=2100)


@dataclass(frozen=True)
class Seeded:
    contact: dict[str, str]      # town → a request's number whose reporter left an e-mail
    assigned: dict[str, str]     # town → a request assigned to Chania's crew
    imported: dict[str, int]     # town → an import's id
    everything: dict[str, list[str]]  # town → the numbers of the requests seeded in it


@pytest.fixture(scope="module")
def towns(make_database) -> str:
    url = make_database("dimos_matrix")
    migrate.upgrade(url)
    for town in TOWNS:
        _town(url, town, town.capitalize())
    return url


@pytest.fixture(scope="module")
def seeded(towns, tmp_path_factory) -> Seeded:
    contact, assigned = {}, {}
    conn = db.connect(towns)
    with conn, conn.cursor() as cur:
        for town in TOWNS:
            replace_services(cur, town, [SERVICE], [])
            contact[town] = _request(cur, town, email=f"reporter@{town}.example")
            # both towns' work assigned to a crew named as Chania's: only the rule keeps
            # Rethymno's from it
            assigned[town] = _request(cur, town)
            sr.change_status(cur, town, assigned[town], "acknowledged", "test",
                             crew=f"crew-{HOME}")
            insert_features(cur, layers.get("parking_bays"), town, _bays(town))
            sensors.register_sensors(cur, town)
    conn.close()
    imported = {}
    folder = tmp_path_factory.mktemp("seed")
    for town in TOWNS:
        path = folder / f"{town}.geojson"
        path.write_text(_stops_file(town, f"seed-{town}"))
        done = dimos("import", str(path), "--layer", "bus_stops", "--jurisdiction", town,
                     "--set", "smart=true", url=towns)
        assert done.returncode == 0, done.stderr
        imported[town] = rows(towns, "SELECT max(id) FROM imports WHERE jurisdiction_id = %s",
                              (town,))[0][0]
    return Seeded(contact, assigned, imported, {town: [contact[town], assigned[town]]
                                                for town in TOWNS})


@pytest.fixture(scope="module")
def auth(towns) -> dict[str, dict]:
    """Each principal's credentials, by name: {"headers": ...} or {"session": ...}."""
    made = {}
    for who in WHO.values():
        if who.account:
            continue
        bound = () if who.everywhere else ("--jurisdiction", HOME)
        done = dimos("token", "create", who.name, "--role", who.role, *bound, url=towns)
        assert done.returncode == 0, done.stderr
        made[who.name] = {"headers": {"Authorization": f"Bearer {done.stdout.strip()}"}}
    return made


@pytest.fixture(scope="module")
def server(towns, seeded, auth, tmp_path_factory):
    with serving(towns, tmp_path_factory.mktemp("matrix"), workers=1) as base:
        for who in WHO.values():
            if who.account:
                auth[who.name] = _signed_in(towns, base, who)
        yield base


def _signed_in(url: str, base: str, who: Who) -> dict:
    done = dimos("account", "create", who.name, "--role", who.role, "--jurisdiction", HOME,
                 "--password-stdin", stdin=PASSWORD + "\n", url=url)
    assert done.returncode == 0, done.stderr
    session = requests.Session()
    signed = session.post(f"{base}/api/session", json={"username": who.name,
                                                        "password": PASSWORD}, timeout=30)
    assert signed.status_code == 200, signed.text
    return {"session": session, "headers": {"X-CSRF-Token": signed.json()["csrf_token"]}}


def call(server, credentials: dict, method: str, path: str, **kwargs) -> requests.Response:
    client = credentials.get("session") or requests
    headers = {**credentials["headers"], **kwargs.pop("headers", {})}
    return client.request(method, f"{server}{path}", headers=headers, timeout=30, **kwargs)


def description(answer: requests.Response) -> str:
    """An error's description (Open311 answers a list of errors, the others one)."""
    body = answer.json()
    return (body[0] if isinstance(body, list) else body)["description"]


_serial = itertools.count(1)


def _stops_file(town: str, stop_id: str) -> str:
    lon, lat = point_in(town, next(_serial))
    return json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"stop_id": stop_id, "name": "Στάση"}}]})


# --- the cells: one function per endpoint, each says what a 2xx changed or showed ----------

def cell_post_update(server, towns, seeded, credentials, target):
    conn = db.connect(towns)
    with conn, conn.cursor() as cur:
        number = _request(cur, target)
    conn.close()
    answer = call(server, credentials, "POST", "/open311/v2/servicerequestupdates.json",
                  data={"service_request_id": number, "status": "acknowledged",
                        "jurisdiction_id": target})
    status = rows(towns, "SELECT status FROM service_requests WHERE service_request_id = %s",
                  (number,))
    return answer, status == [("acknowledged",)]


def cell_get_contact(server, towns, seeded, credentials, target):
    number = seeded.contact[target]
    answer = call(server, credentials, "GET", f"/open311/v2/requests/{number}/contact.json",
                  params={"jurisdiction_id": target})
    return answer, f"reporter@{target}.example" in answer.text


def cell_crew_assignments(server, towns, seeded, credentials, target):
    answer = call(server, credentials, "GET", "/api/crew/assignments",
                  params={"jurisdiction_id": target})
    return answer, seeded.assigned[target] in answer.text


def cell_post_readings(server, towns, seeded, credentials, target):
    at = datetime.now(UTC).replace(microsecond=next(_serial) % 1_000_000)
    answer = call(server, credentials, "POST", "/api/sensors/readings", json={
        "jurisdiction_id": target,
        "readings": [{"sensor_id": f"SR-{target}", "ts": at.isoformat(), "occupied": True}]})
    return answer, _reading_stored(towns, target, at)


def _reading_stored(towns: str, target: str, at: datetime) -> bool:
    return rows(towns, """SELECT count(*) FROM sensor_readings r JOIN sensors s ON s.id = r.sensor
                          WHERE s.jurisdiction_id = %s AND s.sensor_id = %s
                            AND r.observed_at = %s""", (target, f"SR-{target}", at)) == [(1,)]


def cell_post_session(server, towns, seeded, credentials, target):
    ref = f"pay-{uuid.uuid4().hex[:10]}"
    ended = datetime.now(UTC) - timedelta(hours=1)  # in the past: the offender stays one
    answer = call(server, credentials, "POST", "/api/parking/sessions", json={
        "jurisdiction_id": target, "session_ref": ref, "bay_id": f"V-{target}",
        "plate": "ΧΝΑ1234", "starts_at": (ended - timedelta(hours=1)).isoformat(),
        "ends_at": ended.isoformat()})
    stored = rows(towns, "SELECT jurisdiction_id FROM parking_sessions WHERE session_ref = %s",
                  (ref,))
    return answer, stored == [(target,)]


def cell_get_violations(server, towns, seeded, credentials, target):
    answer = call(server, credentials, "GET", "/api/parking/violations",
                  params={"jurisdiction_id": target})
    return answer, f"V-{target}" in answer.text


def cell_upload(server, towns, seeded, credentials, target):
    stop_id = f"up-{uuid.uuid4().hex[:10]}"
    answer = call(server, credentials, "POST", "/api/imports",
                  data={"layer": "bus_stops", "jurisdiction": target, "set": "smart=true"},
                  files={"file": ("stops.geojson", _stops_file(target, stop_id))})
    stored = rows(towns, "SELECT jurisdiction_id FROM bus_stops WHERE stop_id = %s", (stop_id,))
    return answer, stored == [(target,)]


def cell_recent(server, towns, seeded, credentials, target):
    answer = call(server, credentials, "GET", "/api/imports")
    listed = answer.json().get("imports", []) if answer.status_code == 200 else []
    return answer, seeded.imported[target] in {i["id"] for i in listed}


def _clustered(answer: requests.Response) -> set[str]:
    """The request numbers of the clusters a request-clusters run answered with."""
    if answer.status_code != 200:
        return set()
    return {number for cluster in answer.json()["features"]
            for number in cluster["properties"]["requests"]}


def cell_request_clusters(server, towns, seeded, credentials, target):
    answer = call(server, credentials, "POST", "/ogc/processes/request-clusters/execution",
                  json={"inputs": {"jurisdiction": target, "min_points": 1}})
    found = _clustered(answer)
    # only the asked municipality's rows (other tests of the module may add requests of theirs)
    held_by = rows(towns, "SELECT DISTINCT jurisdiction_id FROM service_requests "
                          "WHERE service_request_id = ANY(%s)", (sorted(found),))
    assert set(held_by) <= {(target,)}, held_by
    return answer, seeded.contact[target] in found


def _exported(answer: requests.Response) -> dict[str, dict]:
    """An export's features by request number (GeoJSON), none unless it answered 200."""
    if answer.status_code != 200:
        return {}
    return {f["properties"]["service_request_id"]: f["properties"]
            for f in answer.json()["features"]}


def _export(server, credentials, **params) -> requests.Response:
    return call(server, credentials, "GET", "/api/export",
                params={"layer": "service_requests", "format": "geojson", **params})


def cell_export(server, towns, seeded, credentials, target):
    answer = _export(server, credentials, private="true", jurisdiction_id=target)
    found = _exported(answer)
    # the municipality's rows only (other tests of the module add requests of theirs)
    assert not set(found) - _numbers_of(towns, target)
    email = found.get(seeded.contact[target], {}).get("reporter_email")
    return answer, email == f"reporter@{target}.example" or f"@{target}.example" in answer.text


CELLS = {"ogc.request_clusters": cell_request_clusters, "web_map.export": cell_export,
         "open311.post_update": cell_post_update, "open311.get_contact": cell_get_contact,
         "own_rows.crew_assignments": cell_crew_assignments,
         "sensors.post_readings": cell_post_readings, "sensors.post_session": cell_post_session,
         "sensors.get_violations": cell_get_violations, "imports.upload": cell_upload,
         "imports.recent": cell_recent}


@pytest.mark.parametrize("target", TOWNS)
@pytest.mark.parametrize("name", WHO)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_matrix(server, towns, seeded, auth, endpoint, name, target):
    who, where = WHO[name], ENDPOINTS[endpoint]
    want = expected(who, target, where)
    answer, effect = CELLS[endpoint](server, towns, seeded, auth[name], target)
    assert answer.status_code == want, answer.text
    if endpoint == "imports.recent":
        assert effect == (want == 200 and sees(who, target))  # filtered, not refused
    elif want == 403:
        assert not effect  # nothing written, nothing shown
        if role_allowed(who.role, where):  # refused for the municipality: it is named
            assert target in description(answer)
    else:
        assert effect


# --- Chania's gateway: its broker account and its token, as `dimos` makes them ----------------

@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """The project's Mosquitto for this module (its own folder and port)."""
    local = LocalBroker(tmp_path_factory.mktemp("matrix-mqtt"), free_port())
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def ingest(settings, towns, seeded, broker):
    """The ingest worker on the module's broker and database, as `dimos serve` runs it."""
    worker = IngestWorker(settings.model_copy(update={
        "database_url": towns, "mqtt_port": broker.port, "mqtt_url": None,
        "state_dir": broker.state_dir}), client_id=f"matrix-{uuid.uuid4().hex[:6]}")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    assert worker.connected.wait(10), "the ingest worker did not connect to the broker"
    yield worker
    worker.stop()
    thread.join(10)


@dataclass(frozen=True)
class Gateway:
    """One gateway of Chania: its broker account (user, password) and its HTTP token."""
    user: str
    password: str
    headers: dict


@pytest.fixture(scope="module")
def chania_gateway(towns, broker) -> Gateway:
    name = f"gw-{HOME}"
    made = dimos("broker", "account", "create", name, "--jurisdiction", HOME, url=towns,
                 DIMOS_STATE_DIR=str(broker.state_dir), DIMOS_MQTT_PORT=str(broker.port))
    assert made.returncode == 0, made.stderr
    assert "now" in made.stderr  # the running broker read the account
    issued = dimos("token", "create", name, "--role", "gateway", "--jurisdiction", HOME, url=towns)
    assert issued.returncode == 0, issued.stderr
    return Gateway(name, made.stdout.strip(),
                   {"headers": {"Authorization": f"Bearer {issued.stdout.strip()}"}})


def _signed_in_mqtt(port: int, user: str, password: str) -> mqtt.Client:
    """A client signed in (the broker reads a new account a moment after its reload)."""
    return wait_until(lambda: mqtt_sign_in(port, user, password), 10,
                      f"the broker to let {user} in")


def _moment() -> datetime:
    """A reading time no other reading of the module has (milliseconds apart)."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(milliseconds=next(_serial))


def test_a_chania_gateway_may_write_chanias_sensors_only_over_mqtt_and_http(
        server, towns, broker, ingest, chania_gateway):
    services = json.loads((broker.state_dir / "mqtt" / "service-accounts.json").read_text())
    heard: list[str] = []
    monitor = _signed_in_mqtt(broker.port, "dimos-ingest", services["ingest"]["password"])
    subscribed = threading.Event()
    monitor.on_subscribe = lambda *args: subscribed.set()
    monitor.on_message = lambda c, u, message: heard.append(message.topic)
    monitor.subscribe("dimos/#", qos=1)
    assert subscribed.wait(10)
    gateway = _signed_in_mqtt(broker.port, chania_gateway.user, chania_gateway.password)
    try:
        foreign, own = _moment(), _moment()
        for town, at in ((OTHER, foreign), (HOME, own)):  # Rethymno's topic first
            gateway.publish(f"dimos/{town}/bay/SR-{town}", json.dumps(
                {"ts": at.isoformat(), "occupied": True}), qos=1).wait_for_publish(5)
        # its own topic is delivered and stored; Rethymno's never reaches a subscriber
        wait_until(lambda: _reading_stored(towns, HOME, own), 10, "Chania's reading stored")
        assert f"dimos/{HOME}/bay/SR-{HOME}" in heard
        assert f"dimos/{OTHER}/bay/SR-{OTHER}" not in heard
        assert not _reading_stored(towns, OTHER, foreign)
    finally:
        for client in (monitor, gateway):
            client.loop_stop()
            client.disconnect()

    # the same gateway over HTTP: Rethymno's sensor refused, naming the municipality
    at = _moment()
    answer = call(server, chania_gateway.headers, "POST", "/api/sensors/readings", json={
        "jurisdiction_id": OTHER,
        "readings": [{"sensor_id": f"SR-{OTHER}", "ts": at.isoformat(), "occupied": True}]})
    assert answer.status_code == 403, answer.text
    assert OTHER in description(answer)
    assert not _reading_stored(towns, OTHER, at)
    # its own Chania sensor accepted
    answer = call(server, chania_gateway.headers, "POST", "/api/sensors/readings", json={
        "readings": [{"sensor_id": f"SR-{HOME}", "ts": at.isoformat(), "occupied": False}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 1 and answer.json()["rejected"] == []
    assert _reading_stored(towns, HOME, at)


def test_a_gateways_batch_with_another_municipalitys_sensor_is_refused_whole(
        server, towns, chania_gateway):
    """No partial write: a batch naming Rethymno's sensor among Chania's stores nothing, and
    the refusal names the foreign sensor and its municipality."""
    at = _moment()
    before = rows(towns, "SELECT count(*) FROM sensor_readings")
    answer = call(server, chania_gateway.headers, "POST", "/api/sensors/readings", json={
        "readings": [{"sensor_id": f"SR-{HOME}", "ts": at.isoformat(), "occupied": True},
                     {"sensor_id": f"SR-{OTHER}", "ts": at.isoformat(), "occupied": True}]})
    assert answer.status_code == 403, answer.text
    said = description(answer)
    assert f"readings[1]: sensor 'SR-{OTHER}' of {OTHER}" in said and "nothing" in said
    assert f"SR-{HOME}" not in said
    assert not _reading_stored(towns, HOME, at) and not _reading_stored(towns, OTHER, at)
    assert rows(towns, "SELECT count(*) FROM sensor_readings") == before


def test_an_upload_of_features_in_another_municipality_stores_nothing(server, towns, auth):
    stop_id = f"across-{uuid.uuid4().hex[:10]}"
    committed = "SELECT count(*) FROM imports WHERE status = 'committed'"
    before = rows(towns, committed)
    answer = call(server, auth[f"staff-{HOME}"], "POST", "/api/imports",
                  data={"layer": "bus_stops", "set": "smart=true"},  # into Chania, its only one
                  files={"file": ("stops.geojson", _stops_file(OTHER, stop_id))})
    assert answer.status_code == 422, answer.text
    assert rows(towns, "SELECT count(*) FROM bus_stops WHERE stop_id = %s", (stop_id,)) == [(0,)]
    assert rows(towns, committed) == before


def test_a_principal_of_several_municipalities_names_the_one_it_imports_into(server, towns):
    done = dimos("token", "create", "staff-both", "--role", "staff", "--jurisdiction", HOME,
                 "--jurisdiction", OTHER, url=towns)
    assert done.returncode == 0, done.stderr
    stop_id = f"both-{uuid.uuid4().hex[:10]}"
    answer = requests.post(f"{server}/api/imports", timeout=30,
                           headers={"Authorization": f"Bearer {done.stdout.strip()}"},
                           data={"layer": "bus_stops", "set": "smart=true"},
                           files={"file": ("stops.geojson", _stops_file(HOME, stop_id))})
    assert answer.status_code == 400, answer.text
    assert "jurisdiction" in description(answer)
    assert rows(towns, "SELECT count(*) FROM bus_stops WHERE stop_id = %s", (stop_id,)) == [(0,)]


def test_staff_of_one_municipality_default_to_it(server, towns, seeded, auth):
    """With two municipalities on the server a staff read need not name its one."""
    answer = call(server, auth[f"staff-{HOME}"], "GET", "/api/parking/violations")
    assert answer.status_code == 200, answer.text
    assert f"V-{HOME}" in answer.text and f"V-{OTHER}" not in answer.text
    admin = call(server, auth["admin-all"], "GET", "/api/parking/violations")
    assert admin.status_code == 400 and "jurisdiction_id" in description(admin)



def _async_job(base: str, headers: dict, town: str) -> str:
    """A job started with ``headers`` (a crew plan, asked for asynchronously): its id, once it
    has ended (the towns have no roads to plan on: it may fail, a job all the same)."""
    crew = {"id": "paint", "skills": ["graffiti"], "depot": point_in(town),
            "shift_start": "2026-11-24T07:00:00+02:00", "shift_end": "2026-11-24T15:00:00+02:00"}
    answer = requests.post(f"{base}/ogc/processes/plan-crew-routes/execution", timeout=60,
                           headers={"Prefer": "respond-async", **headers}, json={"inputs": {
                               "filter": "service_code = 'graffiti'", "crews": [crew],
                               "time_limit_s": 1}})
    assert answer.status_code == 201, answer.text
    job = answer.headers["Location"]
    wait_until(lambda: requests.get(job, params={"f": "json"}, headers=headers, timeout=30)
               .json()["status"] in ("successful", "failed"), 60, "the job to finish", every=0.3)
    return job.rstrip("/").rsplit("/", 1)[1]


def test_staff_see_and_dismiss_only_their_municipalitys_jobs(server, towns, auth):
    other_staff = dimos("token", "create", f"staff-{OTHER}", "--role", "staff",
                        "--jurisdiction", OTHER, url=towns)
    assert other_staff.returncode == 0, other_staff.stderr
    theirs = {"Authorization": f"Bearer {other_staff.stdout.strip()}"}
    job_id = _async_job(server, theirs, OTHER)
    assert rows(towns, "SELECT jurisdiction_id FROM jobs WHERE identifier = %s",
                (job_id,)) == [(OTHER,)]

    def seen(who: str) -> tuple[int, bool]:
        headers = auth[who]["headers"]
        one = requests.get(f"{server}/ogc/jobs/{job_id}", params={"f": "json"},
                           headers=headers, timeout=30).status_code
        listed = requests.get(f"{server}/ogc/jobs", params={"f": "json"}, headers=headers,
                              timeout=30).json()["jobs"]
        return one, job_id in {j["jobID"] for j in listed}

    for who in (f"staff-{HOME}", f"admin-{HOME}"):  # Chania's staff: as if it did not exist
        assert seen(who) == (404, False), who
        dismissed = requests.delete(f"{server}/ogc/jobs/{job_id}", headers=auth[who]["headers"],
                                    timeout=30)
        assert dismissed.status_code == 404, dismissed.text
    assert rows(towns, "SELECT count(*) FROM jobs WHERE identifier = %s", (job_id,)) == [(1,)]
    assert seen("admin-all") == (200, True)  # the installation's admin sees every municipality's
    own = _async_job(server, auth[f"staff-{HOME}"]["headers"], HOME)
    assert rows(towns, "SELECT jurisdiction_id FROM jobs WHERE identifier = %s",
                (own,)) == [(HOME,)]
    assert requests.get(f"{server}/ogc/jobs/{own}", params={"f": "json"},
                        headers=auth[f"admin-{HOME}"]["headers"], timeout=30).status_code == 200


def _numbers_of(towns: str, town: str) -> set[str]:
    return {n for n, in rows(towns, "SELECT service_request_id FROM service_requests "
                                    "WHERE jurisdiction_id = %s", (town,))}


def test_a_dispatchers_clusters_default_to_their_municipality_and_hold_only_its_requests(
        server, towns, seeded, auth):
    answer = call(server, auth[f"clerk-{HOME}"], "POST",
                  "/ogc/processes/request-clusters/execution", json={"inputs": {"min_points": 1}})
    assert answer.status_code == 200, answer.text
    found = _clustered(answer)
    assert seeded.contact[HOME] in found
    assert found <= _numbers_of(towns, HOME)  # every row Chania's, by its jurisdiction_id
    assert not found & _numbers_of(towns, OTHER)


def test_a_chania_crew_plan_takes_neither_rethymnos_municipality_nor_its_requests(
        server, towns, seeded, auth):
    crew = {"id": "A", "skills": ["pothole"],
            "depot": {"type": "Point", "coordinates": list(point_in(HOME))},
            "shift_start": "2026-11-24T07:00:00+02:00", "shift_end": "2026-11-24T15:00:00+02:00"}
    plan = "/ogc/processes/plan-crew-routes/execution"
    other = call(server, auth[f"staff-{HOME}"], "POST", plan, json={"inputs": {
        "jurisdiction": OTHER, "crews": [crew]}})
    assert other.status_code == 403, other.text
    assert OTHER in description(other)
    # Rethymno's request named by a Chania dispatcher is not one of Chania's open requests
    named = call(server, auth[f"staff-{HOME}"], "POST", plan, json={"inputs": {
        "requests": [seeded.contact[OTHER]], "crews": [crew]}})
    assert named.status_code == 400, named.text
    assert seeded.contact[OTHER] in description(named) and HOME in description(named)


def test_a_chania_clerks_private_export_holds_chanias_rows_only(server, towns, seeded, auth):
    """Not naming the municipality: the clerk's own; every row Chania's, with its reporter's
    e-mail; Rethymno's reporters nowhere in the file."""
    answer = _export(server, auth[f"clerk-{HOME}"], private="true")
    assert answer.status_code == 200, answer.text
    found = _exported(answer)
    assert found[seeded.contact[HOME]]["reporter_email"] == f"reporter@{HOME}.example"
    assert set(found) <= _numbers_of(towns, HOME)
    assert not set(found) & _numbers_of(towns, OTHER)
    assert f"@{OTHER}.example" not in answer.text
    assert "submission_token" not in found[seeded.contact[HOME]]  # a credential, not data


def test_a_public_export_stays_public_and_holds_no_private_field(server, seeded):
    answer = _export(server, {"headers": {}})
    assert answer.status_code == 200, answer.text
    found = _exported(answer)
    assert {seeded.contact[HOME], seeded.contact[OTHER]} <= set(found)  # both municipalities
    assert not any(name.startswith("reporter_") for row in found.values() for name in row)
    assert ".example" not in answer.text
    refused = _export(server, {"headers": {}}, private="true")
    assert refused.status_code == 401 and ".example" not in refused.text


@pytest.mark.parametrize("params, said", [
    ({"private": "yes"}, "private: true or false"),
    ({"private": "true", "layer": "zoning"}, "has no private fields"),
])
def test_a_private_export_asked_wrongly_is_a_400_saying_what(server, auth, params, said):
    answer = _export(server, auth[f"staff-{HOME}"], **params)
    assert answer.status_code == 400, answer.text
    assert said in description(answer)


def test_dimos_export_of_private_fields_names_its_municipality(towns, seeded, tmp_path):
    out = tmp_path / "requests.geojson"
    done = dimos("export", "service_requests", "--format", "geojson", "--private",
                 "--jurisdiction", HOME, "-o", out, url=towns)
    assert done.returncode == 0, done.stderr
    found = {f["properties"]["service_request_id"]: f["properties"]
             for f in json.loads(out.read_text())["features"]}
    assert found[seeded.contact[HOME]]["reporter_email"] == f"reporter@{HOME}.example"
    assert set(found) <= _numbers_of(towns, HOME)
    assert f"@{OTHER}.example" not in out.read_text()
    refused = dimos("export", "service_requests", "--private", "-o", tmp_path / "all.gpkg",
                    url=towns)
    assert refused.returncode == 1 and not (tmp_path / "all.gpkg").exists()
    assert refused.stderr.startswith("dimos: error: --private:"), refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
