"""Feature changes a client can subscribe to, for real: `dimos serve` with its change relay
(mqtt/changes.py) on a Mosquitto of this module's own, a paho subscriber signed in as the
changes' reader, OGC API Part 4 writes and an Open311 report; and the AsyncAPI document that
describes them (/ogc/asyncapi), checked against the AsyncAPI 3.0 JSON Schema."""
from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from pathlib import Path

import jsonschema
import pygeoapi
import pytest
import requests

import layers
from gis import db
from mqtt.ingest import is_change_topic
from servers import broker_accounts
from servers.broker import LocalBroker
from tests.helpers import dimos, free_port, mqtt_sign_in, rows, serving, token, wait_until

J = "rethymno"
OLD_TOWN = [24.4747, 35.3676]
GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
WITHIN_S = 2.0
# the AsyncAPI 3.0.0 JSON Schema as @asyncapi/specs bundles it, shipped in pygeoapi's wheel
ASYNCAPI_SCHEMA = (Path(pygeoapi.__file__).parent / "resources" / "schemas" / "asyncapi"
                   / "asyncapi-3.0.0.json")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    local = LocalBroker(tmp_path_factory.mktemp("changes-mqtt"), free_port())
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def server(demo_url, broker):
    """`dimos serve` with the change relay (and no ingest), on this module's demo database."""
    log_path = broker.state_dir / "server.log"
    with serving(demo_url, broker.state_dir, workers=1, mqtt_port=broker.port,
                 sensors_ingest=0, changes_relay=1, rate_limit_reports_per_min=0) as base:
        wait_until(lambda: "change relay connected to the broker" in log_path.read_text(), 30,
                   "the change relay to connect to the broker")
        yield base


@pytest.fixture(scope="module")
def staff(demo_url):
    return token(demo_url, "changes-staff", "staff")


def service_account(broker, account: str) -> tuple[str, str]:
    entry = json.loads((broker.folder / "service-accounts.json").read_text())[account]
    return entry["username"], entry["password"]


class Subscriber:
    """A paho client subscribed to ``topic``: what it receives, with when it arrived."""

    def __init__(self, port: int, username: str, password: str, topic: str, **options):
        self.messages: queue.Queue = queue.Queue()
        self.client = mqtt_sign_in(port, username, password, **options)
        assert self.client is not None, f"the broker refused {username}"
        subscribed = threading.Event()
        self.client.on_message = lambda c, u, m: self.messages.put(
            (time.monotonic(), m.topic, m.payload))
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.subscribe(topic, qos=1)
        assert subscribed.wait(10), f"no SUBACK for {topic}"

    def until(self, match, deadline: float) -> tuple[float, str, bytes, dict]:
        """The first message whose CloudEvent ``match`` accepts, received before ``deadline``
        (time.monotonic()); the others are skipped."""
        while True:
            left = deadline - time.monotonic()
            try:
                at, topic, payload = self.messages.get(timeout=max(left, 0.001))
            except queue.Empty:
                raise AssertionError("no matching change arrived in time") from None
            event = json.loads(payload)
            if match(event):
                return at, topic, payload, event

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def reader(server, broker):
    subscriber = Subscriber(broker.port, *service_account(broker, broker_accounts.READER),
                            f"dimos/{J}/changes/#")
    yield subscriber
    subscriber.close()


@pytest.fixture(scope="module")
def asyncapi(server) -> dict:
    answer = requests.get(f"{server}/ogc/asyncapi", params={"f": "json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/asyncapi+json")
    return answer.json()


def within(reader: Subscriber, answered: float, event_type: str, subject) -> tuple[str, bytes,
                                                                                  dict]:
    """The change ``event_type`` of feature ``subject``, received at most WITHIN_S after the
    write's answer (the write had committed by then)."""
    at, topic, payload, event = reader.until(
        lambda e: e["type"] == event_type and e["subject"] == str(subject),
        answered + WITHIN_S)
    assert at - answered <= WITHIN_S
    return topic, payload, event


def message_schema(document: dict, collection: str, operation: str) -> dict:
    """The payload schema of one message, its local references resolvable."""
    payload = document["components"]["messages"][f"{collection}_{operation}"]["payload"]
    return {**payload, "components": document["components"]}


def permit(number: str, **properties) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": OLD_TOWN},
            "properties": {"permit_number": number, "issue_date": "2026-11-02",
                           "permit_type": "new_building", "status": "issued",
                           "kaek": "491157393460", "floors": 2, **properties}}


def test_a_subscriber_gets_a_cloudevent_within_2_s_of_each_ogc_write(server, staff, reader,
                                                                     asyncapi):
    items = f"{server}/ogc/collections/building_permit_sites/items"
    topic = f"dimos/{J}/changes/building_permit_sites"
    auth = {"Authorization": f"Bearer {staff}"}
    number = f"CE-{uuid.uuid4().hex[:8]}/2026"

    created = requests.post(items, json=permit(number), timeout=30,
                            headers={**auth, "Content-Type": GEOJSON})
    answered = time.monotonic()
    assert created.status_code == 201, created.text
    feature_id = int(created.headers["Location"].rsplit("/", 1)[1])
    got_topic, _, event = within(reader, answered, "gr.dimos.feature.created", feature_id)
    assert got_topic == topic
    assert {k: event[k] for k in ("specversion", "datacontenttype", "jurisdiction")} == {
        "specversion": "1.0", "datacontenttype": GEOJSON, "jurisdiction": J}
    assert event["source"].endswith("/ogc/collections/building_permit_sites")
    served = requests.get(f"{items}/{feature_id}", params={"f": "json"}, timeout=30).json()
    assert event["data"]["properties"] == served["properties"]
    assert event["data"]["geometry"]["coordinates"] == pytest.approx(OLD_TOWN, abs=1e-7)
    jsonschema.validate(event, message_schema(asyncapi, "building_permit_sites", "created"))

    replaced = requests.put(f"{items}/{feature_id}", json=permit(number, floors=3), timeout=30,
                            headers={**auth, "Content-Type": GEOJSON})
    answered = time.monotonic()
    assert replaced.status_code == 204, replaced.text
    _, _, event = within(reader, answered, "gr.dimos.feature.updated", feature_id)
    assert event["data"]["properties"]["floors"] == 3

    patched = requests.patch(f"{items}/{feature_id}", data=json.dumps(
        {"properties": {"floors": 4}}), timeout=30, headers={**auth, "Content-Type": MERGE_PATCH})
    answered = time.monotonic()
    assert patched.status_code == 204, patched.text
    _, _, event = within(reader, answered, "gr.dimos.feature.updated", feature_id)
    assert event["data"]["properties"]["floors"] == 4
    jsonschema.validate(event, message_schema(asyncapi, "building_permit_sites", "updated"))

    deleted = requests.delete(f"{items}/{feature_id}", headers=auth, timeout=30)
    answered = time.monotonic()
    assert deleted.status_code == 200, deleted.text
    _, _, event = within(reader, answered, "gr.dimos.feature.deleted", feature_id)
    assert event["data"] == {"id": feature_id}
    assert event["datacontenttype"] == "application/json"
    jsonschema.validate(event, message_schema(asyncapi, "building_permit_sites", "deleted"))


def test_a_citizens_personal_data_is_in_no_change(server, staff, reader, demo_url, asyncapi):
    secret = {"first_name": "Ευτέρπη", "last_name": f"Κρυφή{uuid.uuid4().hex[:6]}",
              "email": f"secret.{uuid.uuid4().hex[:8]}@example.gr", "phone": "6900055566"}
    report = requests.post(f"{server}/open311/v2/requests.json", timeout=30, data={
        "service_code": "pothole", "lat": str(OLD_TOWN[1]), "long": str(OLD_TOWN[0]),
        "description": "Λακκούβα", **secret})
    answered = time.monotonic()
    assert report.status_code in (200, 201), report.text
    number = report.json()[0]["service_request_id"]
    ((feature_id,),) = rows(demo_url, "SELECT id FROM service_requests "
                                      "WHERE service_request_id = %s", (number,))
    # what the database holds about the reporter, to look for in every payload
    ((name, email, phone),) = rows(demo_url, "SELECT reporter_name, reporter_email, "
                                             "reporter_phone FROM service_requests_private "
                                             "WHERE feature_id = %s", (feature_id,))
    assert email == secret["email"]
    public = {f.name for f in layers.get("service_requests").public_fields}
    payloads = []
    _, payload, event = within(reader, answered, "gr.dimos.feature.created", feature_id)
    payloads.append(payload)
    assert set(event["data"]["properties"]) == public
    jsonschema.validate(event, message_schema(asyncapi, "service_requests", "created"))

    item = f"{server}/ogc/collections/service_requests/items/{feature_id}"
    auth = {"Authorization": f"Bearer {staff}"}
    patched = requests.patch(item, data=json.dumps({"properties": {"status": "acknowledged"}}),
                             headers={**auth, "Content-Type": MERGE_PATCH}, timeout=30)
    answered = time.monotonic()
    assert patched.status_code == 204, patched.text
    _, payload, event = within(reader, answered, "gr.dimos.feature.updated", feature_id)
    payloads.append(payload)
    assert set(event["data"]["properties"]) == public
    assert event["data"]["properties"]["status"] == "acknowledged"

    deleted = requests.delete(item, headers=auth, timeout=30)
    answered = time.monotonic()
    assert deleted.status_code == 200, deleted.text
    _, payload, _ = within(reader, answered, "gr.dimos.feature.deleted", feature_id)
    payloads.append(payload)
    for payload in payloads:
        text = payload.decode("utf-8")
        for value in (name, email, phone, secret["last_name"]):
            assert value not in text
        for private in layers.get("service_requests").private_fields:
            assert f'"{private.name}"' not in text


def _bus_stop(cur, stop_id: str) -> int:
    cur.execute("INSERT INTO bus_stops (jurisdiction_id, stop_id, smart, geom) "
                "SELECT %s, %s, false, ST_PointOnSurface(boundary) FROM jurisdictions "
                "WHERE id = %s RETURNING id", (J, stop_id, J))
    return cur.fetchone()[0]


def test_a_rolled_back_write_sends_nothing(server, reader, demo_url):
    ((updated, deleted),) = rows(demo_url, "SELECT min(id), max(id) FROM bus_stops "
                                           "WHERE jurisdiction_id = %s", (J,))
    conn = db.connect(demo_url)
    try:
        with conn.cursor() as cur:
            inserted = _bus_stop(cur, f"rolled-back-{uuid.uuid4().hex[:6]}")
            cur.execute("UPDATE bus_stops SET smart = NOT smart WHERE id = %s", (updated,))
            cur.execute("DELETE FROM bus_stops WHERE id = %s", (deleted,))
        conn.rollback()
        # then a write that commits: the relay publishes in order, so once its change is here
        # the rolled-back ones would have come before it
        with conn, conn.cursor() as cur:
            marker = _bus_stop(cur, f"marker-{uuid.uuid4().hex[:6]}")
        committed = time.monotonic()
        seen = []
        reader.until(lambda e: seen.append(e) or e["subject"] == str(marker), committed + 10)
        time.sleep(1.0)  # and nothing late either
        while not reader.messages.empty():
            seen.append(json.loads(reader.messages.get()[2]))
        assert {str(inserted), str(updated), str(deleted)}.isdisjoint(e["subject"] for e in seen)
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM bus_stops WHERE id = %s", (marker,))
    finally:
        conn.close()


def test_a_change_committed_while_the_broker_is_down_arrives_when_it_is_back(
        server, broker, staff, demo_url):
    items = f"{server}/ogc/collections/building_permit_sites/items"
    # a persistent session: the broker keeps what comes for it while it is away
    subscriber = Subscriber(broker.port, *service_account(broker, broker_accounts.READER),
                            f"dimos/{J}/changes/building_permit_sites",
                            client_id=f"test-changes-{uuid.uuid4().hex[:6]}",
                            clean_session=False)
    try:
        broker.down()
        created = requests.post(items, json=permit(f"CE-DOWN-{uuid.uuid4().hex[:6]}/2026"),
                                timeout=30, headers={"Authorization": f"Bearer {staff}",
                                                     "Content-Type": GEOJSON})
        assert created.status_code == 201, created.text
        feature_id = int(created.headers["Location"].rsplit("/", 1)[1])
        time.sleep(1.0)
        assert rows(demo_url, "SELECT count(*) FROM feature_changes WHERE feature_id = %s "
                              "AND table_name = 'building_permits' AND published_at IS NULL",
                    (feature_id,)) == [(1,)]
        broker.up()
        subscriber.until(lambda e: e["subject"] == str(feature_id)
                         and e["type"] == "gr.dimos.feature.created", time.monotonic() + 30)
        wait_until(lambda: rows(demo_url, "SELECT count(*) FROM feature_changes WHERE "
                                          "feature_id = %s AND table_name = 'building_permits' "
                                          "AND published_at IS NOT NULL", (feature_id,)) == [(1,)],
                   10, "the relay to mark the change published")
    finally:
        if not broker.is_running():
            broker.up()
        subscriber.close()


def test_only_the_relay_publishes_changes_and_the_ingest_does_not_receive_them(
        server, broker, reader, staff, demo_url):
    name = f"gw-{uuid.uuid4().hex[:6]}"
    password = broker_accounts.create_gateway(broker.state_dir, name, J)
    assert broker.reload()
    time.sleep(0.5)
    ingest = Subscriber(broker.port, *service_account(broker, broker_accounts.INGEST),
                        "dimos/+/+/+", client_id=f"test-ingest-{uuid.uuid4().hex[:6]}")
    forgers = [mqtt_sign_in(broker.port, *service_account(broker, broker_accounts.READER)),
               mqtt_sign_in(broker.port, *service_account(broker, broker_accounts.SIMULATOR))]
    forgers.append(mqtt_sign_in(broker.port, name, password))
    assert None not in forgers, "every forger signs in (and is then refused the topic)"
    try:
        forged = {"specversion": "1.0", "id": "forged", "type": "gr.dimos.feature.deleted",
                  "subject": "1", "source": "x", "data": {"id": 1}}
        for client in forgers:
            client.publish(f"dimos/{J}/changes/zoning", json.dumps(forged), qos=1
                           ).wait_for_publish(10)
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:
            marker = _bus_stop(cur, f"acl-{uuid.uuid4().hex[:6]}")
        conn.close()
        seen = []
        reader.until(lambda e: seen.append(e) or e["subject"] == str(marker),
                     time.monotonic() + 10)
        assert "forged" not in {e["id"] for e in seen}
        time.sleep(1.0)  # what the ingest account would have received by now
        topics = []
        while not ingest.messages.empty():
            topics.append(ingest.messages.get()[1])
        assert not [t for t in topics if is_change_topic(t)], topics
    finally:
        for client in forgers:
            client.loop_stop()
            client.disconnect()
        ingest.close()
    assert is_change_topic(f"dimos/{J}/changes/zoning")
    assert not is_change_topic(f"dimos/{J}/bay/S-1")


def test_the_asyncapi_document_is_valid_linked_and_names_every_collection(server, asyncapi,
                                                                          broker):
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    assert schema["$id"] == "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
    jsonschema.validate(asyncapi, schema)  # raises, naming what is wrong
    broken = {**asyncapi, "operations": {"x": {"action": "publish",
                                               "channel": {"$ref": "#/channels/zoning"}}}}
    with pytest.raises(jsonschema.ValidationError):  # the schema does check
        jsonschema.validate(broken, schema)
    assert asyncapi["asyncapi"] == "3.0.0"
    assert {c["address"] for c in asyncapi["channels"].values()} == {
        f"dimos/{{jurisdiction}}/changes/{layer.id}" for layer in layers.COLLECTIONS}
    assert asyncapi["channels"]["zoning"]["parameters"]["jurisdiction"]["enum"] == [J]
    assert asyncapi["servers"]["broker"]["host"] == f"127.0.0.1:{broker.port}"
    text = json.dumps(asyncapi)
    for account in (broker_accounts.READER, broker_accounts.RELAY):
        assert service_account(broker, account)[1] not in text
    assert "https://raw.githubusercontent.com" not in text
    landing = requests.get(f"{server}/ogc/", params={"f": "json"}, timeout=30).json()
    described = [link for link in landing["links"] if link["rel"] == "service-desc"
                 and link["type"] == "application/asyncapi+json"]
    assert [link["href"] for link in described] == [f"{server}/ogc/asyncapi?f=json"]
    page = requests.get(f"{server}/ogc/asyncapi", params={"f": "html"}, timeout=30)
    assert page.status_code == 200
    assert "dimos/{jurisdiction}/changes/zoning" in page.text
    assert "unpkg.com" not in page.text and "<script src=\"http" not in page.text


def test_bulk_loads_write_no_changes_but_an_edit_does(make_database, demo_template, tmp_path):
    """The demo and a file import switch the audit off for their transaction (one recorded
    event, not a row per feature): the outbox stays empty; an ordinary write fills it."""
    url = make_database("dimos_changes_bulk", template=demo_template)
    assert rows(url, "SELECT count(*) > 1000 FROM service_requests") == [(True,)]
    assert rows(url, "SELECT count(*) FROM feature_changes") == [(0,)]
    stops = tmp_path / "stops.geojson"
    stops.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [24.4747 + i / 1000,
                                                                         35.3676]},
         "properties": {"stop_id": f"BULK-{i}", "smart": False}} for i in range(3)]}))
    imported = dimos("import", stops, "--layer", "bus_stops", "--crs", "EPSG:4326", url=url)
    assert imported.returncode == 0, imported.stderr
    assert rows(url, "SELECT count(*) FROM bus_stops WHERE stop_id LIKE 'BULK-%%'") == [(3,)]
    assert rows(url, "SELECT count(*) FROM feature_changes") == [(0,)]
    conn = db.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE bus_stops SET smart = true WHERE stop_id = 'BULK-0'")
    finally:
        conn.close()
    assert rows(url, "SELECT table_name, operation FROM feature_changes") == [
        ("bus_stops", "updated")]
