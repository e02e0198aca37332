"""Open311 GeoReport v2 over HTTP on the demo database: a real client (georeport), the spec's
request parameters, the staff workflow, duplicates, photos, notifications and privacy."""
from __future__ import annotations

import io
import socket
import uuid
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor

import mapbox_vector_tile
import pytest
import requests
from aiosmtpd.controller import Controller
from georeport import GeoReport
from PIL import Image
from pyproj import Transformer

from tests.helpers import dimos, rows

TO_2100 = Transformer.from_crs(4326, 2100, always_xy=True)
TO_4326 = Transformer.from_crs(2100, 4326, always_xy=True)
PLACE = (24.4747, 35.3676)  # the old town


@pytest.fixture(scope="module")
def api(live_server):
    return f"{live_server}/open311/v2"


@pytest.fixture(scope="module")
def keys(demo_url):
    issued = {}
    for role in ("staff", "citizen"):
        dimos("token", "revoke", f"open311-{role}", url=demo_url)
        made = dimos("token", "create", f"open311-{role}", "--role", role, "--jurisdiction",
                     "rethymno", url=demo_url)
        assert made.returncode == 0, made.stderr
        issued[role] = made.stdout.strip()
    return issued


@pytest.fixture(scope="module")
def inland(demo_url):
    """Places on land, 300 m or more from the coast: buildings of the town, far apart."""
    found = rows(demo_url, """
        SELECT ST_X(p), ST_Y(p) FROM (
          SELECT ST_Transform(ST_PointOnSurface(b.geom), 4326) AS p, b.id
          FROM buildings b JOIN jurisdictions j ON j.id = b.jurisdiction_id
          WHERE ST_Distance(b.geom, ST_Boundary(j.boundary)) > 300) AS inland
        ORDER BY id""")
    return found[::max(1, len(found) // 12)][:12]


def moved(lon, lat, east_m, north_m=0.0):
    x, y = TO_2100.transform(lon, lat)
    return TO_4326.transform(x + east_m, y + north_m)


def submit(api, lon=PLACE[0], lat=PLACE[1], files=None, **fields):
    data = {"service_code": "pothole", "lat": str(lat), "long": str(lon),
            "description": "Λακκούβα μπροστά στο σπίτι", **fields}
    return requests.post(f"{api}/requests.json", data=data, files=files, timeout=30)


def staff_update(api, keys, number, status, **fields):
    return requests.post(f"{api}/servicerequestupdates.json", timeout=30,
                         headers={"Authorization": f"Bearer {keys['staff']}"},
                         data={"service_request_id": number, "status": status, **fields})


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1600, 1200), (120, 90, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (35.0, 22.0, 3.0), 3: "E", 4: (24.0, 28.0, 29.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert b"Exif" in out.getvalue()
    return out.getvalue()


def test_a_real_open311_client_reads_services_and_requests_in_json_and_xml(api, demo_url):
    for output_format in ("json", "xml"):
        client = GeoReport(api, jurisdiction="rethymno", output_format=output_format)
        services = client.get_service_list()
        codes = {s["service_code"] for s in services}
        assert {"pothole", "street_light", "rubbish"} <= codes
        definition = client.get_service_definition("pothole")
        assert definition["service_code"] == "pothole"
        recent = client.get_service_requests(start_date="2026-01-01T00:00:00Z",
                                             end_date="2026-03-31T23:59:59Z")
        recent = recent if isinstance(recent, list) else [recent]
        (expected,), = rows(demo_url, "SELECT count(*) FROM service_requests WHERE requested_at "
                                      "BETWEEN '2026-01-01T00:00:00Z' AND '2026-03-31T23:59:59Z'")
        assert len(recent) == expected > 0
        one = client.get_service_request(recent[0]["service_request_id"])
        assert one["service_request_id"] == recent[0]["service_request_id"]
        assert float(one["lat"]) == pytest.approx(35.3, abs=0.2)


def test_the_spec_s_example_post_creates_a_request(inland, api, keys, demo_url):
    """GeoReport v2's POST example parameters, with an app's api_key, to requests.xml."""
    lon, lat = inland[0]
    answer = requests.post(f"{api}/requests.xml", timeout=30, data={
        "api_key": keys["citizen"], "jurisdiction_id": "rethymno", "service_code": "street_light",
        "lat": f"{lat:.8f}", "long": f"{lon:.8f}", "address_string": "Αρκαδίου 10",
        "email": "smit222@example.gr", "device_id": "tt222111", "account_id": "123456",
        "first_name": "john", "last_name": "smith", "phone": "111111111",
        "description": "A large sinkhole is destroying the street"})
    assert answer.status_code == 201, answer.text
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    token = root.find("request/token").text
    assert rows(demo_url, "SELECT service_code, status FROM service_requests "
                          "WHERE service_request_id = %s", (number,)) == [("street_light", "open")]
    by_token = requests.get(f"{api}/tokens/{token}.json", timeout=30).json()
    assert by_token == [{"service_request_id": number, "token": token}]


def test_a_wrong_api_key_is_refused(api):
    answer = submit(api, api_key="not-a-key")
    assert answer.status_code == 401


def test_the_whole_lifecycle_with_history_and_notifications(inland, api, keys, demo_url):
    lon, lat = inland[1]
    created = submit(api, lon, lat, email="citizen.lifecycle@example.gr", service_code="tree")
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]
    steps = [("acknowledged", "Το είδαμε"), ("in_progress", "Συνεργείο καθ' οδόν"),
             ("closed", "Κλαδεύτηκε")]
    for status, note in steps:
        answer = staff_update(api, keys, number, status, description=note, crew="crew-3")
        assert answer.status_code == 201, answer.text
    public = requests.get(f"{api}/requests/{number}.json", timeout=30).json()[0]
    assert public["status"] == "closed" and public["detailed_status"] == "closed"
    assert public["status_notes"] == "Κλαδεύτηκε"
    assert public["agency_responsible"] == "Τμήμα Πρασίνου"
    history = requests.get(f"{api}/servicerequestupdates.json",
                           params={"service_request_id": number}, timeout=30).json()
    assert [u["detailed_status"] for u in history] == ["open", "acknowledged", "in_progress",
                                                       "closed"]
    assert [u["description"] for u in history][1:] == [note for _, note in steps]
    stored = rows(demo_url, """SELECT u.actor FROM service_request_updates u
        JOIN service_requests r ON r.id = u.request_id WHERE r.service_request_id = %s
        ORDER BY u.id""", (number,))
    assert [a for (a,) in stored] == ["citizen"] + ["staff:open311-staff"] * 3
    # a closed request cannot jump back to in progress; reopening is the allowed way
    assert staff_update(api, keys, number, "in_progress").status_code == 409

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent = dimos("notify", "send", url=demo_url, DIMOS_SMTP_PORT=str(port))
    finally:
        controller.stop()
    assert sent.returncode == 0, sent.stderr
    mine = [e for e in received if "citizen.lifecycle@example.gr" in e.rcpt_tos]
    assert len(mine) == 3
    assert all(number in e.content.decode("utf-8", "replace") for e in mine)
    assert not rows(demo_url, """SELECT o.id FROM notification_outbox o JOIN service_requests r
        ON r.id = o.request_id WHERE r.service_request_id = %s AND o.sent_at IS NULL""",
                    (number,))


def test_reject_needs_who_is_responsible_and_duplicates_link_both_ways(inland, api, keys):
    lon, lat = inland[2]
    first = submit(api, lon, lat, service_code="water_leak").json()[0]["service_request_id"]
    second = submit(api, lon, lat, service_code="water_leak").json()[0]["service_request_id"]
    refused = staff_update(api, keys, first, "rejected", description="Δεν είναι δημοτικό")
    assert refused.status_code == 400 and "agency_responsible" in refused.text
    assert staff_update(api, keys, second, "duplicate").status_code == 400
    merged = staff_update(api, keys, second, "duplicate", duplicate_of=first)
    assert merged.status_code == 201, merged.text
    original = requests.get(f"{api}/requests/{first}.json", timeout=30).json()[0]
    copy = requests.get(f"{api}/requests/{second}.json", timeout=30).json()[0]
    assert original["duplicates"] == [second] and copy["duplicate_of"] == first
    rejected = staff_update(api, keys, first, "rejected", description="Αρμοδιότητα ΔΕΔΔΗΕ",
                            agency_responsible="ΔΕΔΔΗΕ")
    assert rejected.status_code == 201
    assert requests.get(f"{api}/requests/{first}.json", timeout=30
                        ).json()[0]["agency_responsible"] == "ΔΕΔΔΗΕ"


def test_duplicates_are_suggested_within_50_m_and_not_at_60_m(inland, api):
    here = inland[3]
    first = submit(api, *here, service_code="graffiti").json()[0]["service_request_id"]
    near = submit(api, *moved(*here, 40), service_code="graffiti").json()[0]
    far = submit(api, *moved(*here, 0, 60), service_code="graffiti").json()[0]
    assert first in {d["service_request_id"] for d in near["possible_duplicates"]}
    assert first not in {d["service_request_id"] for d in far["possible_duplicates"]}
    distance = next(d["distance_m"] for d in near["possible_duplicates"]
                    if d["service_request_id"] == first)
    assert distance == pytest.approx(40, abs=0.5)
    lon, lat = moved(*here, 30)
    before = requests.get(f"{api}/requests/nearby.json", timeout=30, params={
        "service_code": "graffiti", "lat": lat, "long": lon}).json()
    assert first in {d["service_request_id"] for d in before}


def test_district_settlement_and_department_come_from_the_location(api, demo_url):
    (lon, lat, district, settlement), = rows(demo_url, """
        SELECT ST_X(ST_Transform(p, 4326)), ST_Y(ST_Transform(p, 4326)), d.district_code,
               s.settlement_code
        FROM (SELECT ST_PointOnSurface(geom) AS p, settlement_code FROM settlements) AS s
        JOIN districts d ON ST_Intersects(d.geom, s.p)
        WHERE d.district_code <> '73010101'  -- a village, outside the town's community
        ORDER BY s.settlement_code LIMIT 1""")
    number = submit(api, lon, lat, service_code="rubbish").json()[0]["service_request_id"]
    public = requests.get(f"{api}/requests/{number}.json", timeout=30).json()[0]
    assert (public["district_code"], public["settlement_code"]) == (district, settlement)
    assert public["agency_responsible"] == "Τμήμα Καθαριότητας Υπαίθρου"  # rural rubbish rule


def test_a_request_in_the_sea_is_refused(api, demo_url):
    before = rows(demo_url, "SELECT count(*) FROM service_requests")
    answer = submit(api, 24.47, 35.40)  # the Cretan Sea, north of the town beach
    assert answer.status_code == 400
    assert "outside the municipality" in answer.json()[0]["description"]
    assert rows(demo_url, "SELECT count(*) FROM service_requests") == before


def test_a_photo_is_stored_without_its_gps_exif_and_served_resized(inland, api, demo_url):
    original = jpeg_with_gps()
    answer = submit(api, *inland[4], service_code="sidewalk",
                    files={"media": ("photo.jpg", original, "image/jpeg")})
    assert answer.status_code == 201, answer.text
    number = answer.json()[0]["service_request_id"]
    public = requests.get(f"{api}/requests/{number}.json", timeout=30).json()[0]
    stored = requests.get(public["media_url"], timeout=30)
    assert stored.status_code == 200 and stored.headers["Content-Type"] == "image/jpeg"
    assert b"Exif" not in stored.content and b"PhoneMaker" not in stored.content
    with Image.open(io.BytesIO(stored.content)) as image:
        assert image.size == (1600, 1200) and not image.getexif()
    thumb = requests.get(public["media_url"], params={"size": "thumb"}, timeout=30)
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert max(image.size) == 320


@pytest.mark.parametrize("files, status, words", [
    ({"media": ("big.jpg", b"\xff\xd8" + b"0" * (10 * 2 ** 20 + 10), "image/jpeg")}, 413, "MB"),
    ({"media": ("notes.jpg", "Αυτό δεν είναι φωτογραφία".encode(), "image/jpeg")}, 400,
     "not a readable"),
    ([("media", (f"p{i}.jpg", b"x", "image/jpeg")) for i in range(4)], 400, "at most 3"),
])
def test_bad_uploads_are_refused_and_store_nothing(inland, api, demo_url, files, status, words):
    before = rows(demo_url, "SELECT (SELECT count(*) FROM service_requests), "
                            "(SELECT count(*) FROM service_request_media)")
    answer = submit(api, *inland[5], files=files)
    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert rows(demo_url, "SELECT (SELECT count(*) FROM service_requests), "
                          "(SELECT count(*) FROM service_request_media)") == before


@pytest.mark.parametrize("path, params, status, words", [
    ("requests.json", {"status": "maybe"}, 400, "status"),
    ("requests.xml", {"start_date": "yesterday"}, 400, "start_date"),
    ("requests.json", {"jurisdiction_id": "athens"}, 400, "jurisdiction_id"),
    ("requests.json", {"bbox": "24.5,35.3,24.4,35.4"}, 400, "bbox"),
    ("services/nothing.json", {}, 404, "no service"),
    ("media/-1", {}, 404, "photo ids are whole numbers"),
    ("media/999999999", {}, 404, "no photo 999999999"),
])
def test_bad_queries_are_open311_errors(api, path, params, status, words):
    answer = requests.get(f"{api}/{path}", params=params, timeout=30)
    assert answer.status_code == status, answer.text
    if path.endswith(".xml"):
        error = ElementTree.fromstring(answer.content).find("error")
        assert int(error.find("code").text) == answer.status_code
        assert words in error.find("description").text
    else:
        assert words in answer.json()[0]["description"]


def test_an_unknown_municipality_is_echoed_cut_short(api):
    answer = requests.get(f"{api}/services.json", params={"jurisdiction_id": "z" * 3000},
                          timeout=30)
    assert answer.status_code == 400, answer.text
    description = answer.json()[0]["description"]
    assert f"'{'z' * 40}' unknown" in description and len(description) < 200, description


@pytest.mark.parametrize("fields, words", [
    ({"service_code": ""}, "service_code: required"),
    ({"service_code": "unicorns"}, "not a service"),
    ({"attribute[size]": "huge"}, "attribute[size]"),
    ({"attribute[colour]": "red"}, "attribute[colour]"),
    ({"lat": "not-a-number"}, "lat: a number"),
])
def test_bad_submissions_are_400_naming_the_field(api, fields, words):
    answer = submit(api, **fields)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()[0]["description"]


def test_personal_data_appears_only_to_staff(inland, api, keys, live_server, demo_url):
    secret = {"first_name": "Ζωή", "last_name": "Κρυφοπούλου", "email": "zoi.kryfo@example.gr",
              "phone": "6900011122"}
    lon, lat = inland[6]
    made = submit(api, lon, lat, service_code="stray_animals", **secret).json()[0]
    number = made["service_request_id"]
    assert staff_update(api, keys, number, "acknowledged", description="Ενημερώθηκε το κυνοκομείο"
                        ).status_code == 201
    (feature_id,), = rows(demo_url, "SELECT id FROM service_requests WHERE service_request_id = %s",
                          (number,))
    ogc = f"{live_server}/ogc/collections/service_requests"
    public = [
        requests.get(f"{api}/requests/{number}.json", timeout=30).text,
        requests.get(f"{api}/requests/{number}.xml", timeout=30).text,
        requests.get(f"{api}/requests.json", params={"service_code": "stray_animals"},
                     timeout=30).text,
        requests.get(f"{api}/requests.xml", params={"service_request_id": number},
                     timeout=30).text,
        requests.get(f"{api}/tokens/{made['token']}.json", timeout=30).text,
        requests.get(f"{api}/servicerequestupdates.json", timeout=30).text,
        requests.get(f"{api}/requests/nearby.json", timeout=30,
                     params={"service_code": "stray_animals", "lat": lat, "long": lon}).text,
        requests.get(f"{ogc}/items/{feature_id}", params={"f": "json"}, timeout=30).text,
        requests.get(f"{ogc}/items/{feature_id}", params={"f": "html"}, timeout=30).text,
        requests.get(f"{ogc}/items", params={"f": "json", "limit": 50, "sortby": "-requested_at"},
                     timeout=30).text,
        requests.post(f"{live_server}/ogc/processes/nearest/execution", timeout=30, json={
            "inputs": {"layer": "service_requests", "location": {"type": "Point",
                                                                 "coordinates": [lon, lat]}}}).text,
        str(mapbox_vector_tile.decode(requests.get(
            f"{ogc}/tiles/WebMercatorQuad/18/{_tile(lon, lat, 18)[1]}/{_tile(lon, lat, 18)[0]}",
            params={"f": "mvt"}, timeout=30).content)),
    ]
    # each answer shows the request (so its silence about the reporter means something)
    for body in public:
        assert number in body, body[:300]
        for value in secret.values():
            assert value not in body
    anonymous = requests.get(f"{api}/requests/{number}/contact.json", timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    for value in secret.values():
        assert value not in anonymous.text
    staff = requests.get(f"{api}/requests/{number}/contact.json", timeout=30,
                         headers={"Authorization": f"Bearer {keys['staff']}"}).json()
    assert staff == {"reporter_name": "Ζωή Κρυφοπούλου", "reporter_email": "zoi.kryfo@example.gr",
                     "reporter_phone": "6900011122"}
    citizen = requests.get(f"{api}/requests/{number}/contact.json", timeout=30,
                           headers={"Authorization": f"Bearer {keys['citizen']}"})
    assert citizen.status_code == 403


def _tile(lon, lat, z):
    import math
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def test_metrics_count_requests_and_submissions_without_personal_data(api, live_server, inland):
    def value(text, name):
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith(name) and not line.startswith("#"))

    before = requests.get(f"{live_server}/metrics", timeout=30).text
    made = submit(api, *inland[7], email="metrics.person@example.gr", first_name="Μετρικός")
    assert made.status_code == 201
    after = requests.get(f"{live_server}/metrics", timeout=30).text
    assert value(after, "dimos_open311_requests_submitted_total") == \
        value(before, "dimos_open311_requests_submitted_total") + 1
    assert 'route="/open311/v2/requests.<fmt>"' in after
    assert "dimos_db_pool_connections_in_use" in after
    assert "metrics.person" not in after and "Μετρικός" not in after
    assert made.json()[0]["service_request_id"] not in after


def _keyed(api, key, description, place, files=None):
    data = {"service_code": "pothole", "lat": str(place[1]), "long": str(place[0]),
            "description": description}
    return requests.post(f"{api}/requests.json", data=data, files=files, timeout=30,
                         headers={"Idempotency-Key": f'"{key}"'})


def _filed(demo_url, description) -> int:
    (count,), = rows(demo_url, "SELECT count(*) FROM service_requests WHERE description = %s",
                     (description,))
    return count


def test_a_report_sent_again_with_its_idempotency_key_is_filed_once(inland, api, demo_url):
    key, description = uuid.uuid4(), f"Σπασμένο φανάρι {uuid.uuid4().hex[:8]}"
    photo = {"media": ("photo.jpg", jpeg_with_gps(), "image/jpeg")}
    first = _keyed(api, key, description, inland[5], photo)
    assert first.status_code == 201, first.text
    again = _keyed(api, key, description, inland[5], photo)
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert _filed(demo_url, description) == 1
    (photos,), = rows(demo_url, "SELECT count(*) FROM service_request_media m "
                                "JOIN service_requests r ON r.id = m.request_id "
                                "WHERE r.description = %s", (description,))
    assert photos == 1
    # without a key, the same report is a second one
    assert submit(api, *inland[5], description=description).status_code == 201
    assert _filed(demo_url, description) == 2


def test_copies_sent_at_once_with_one_key_are_filed_once(inland, api, demo_url):
    key, description = uuid.uuid4(), f"Πεσμένο δέντρο {uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _keyed(api, key, description, inland[6]), range(8)))
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()[0]["service_request_id"] for a in answers}) == 1
    assert _filed(demo_url, description) == 1


def test_a_key_sent_again_with_another_report_is_422_and_files_nothing(inland, api, demo_url):
    key, description = uuid.uuid4(), f"Σκουπίδια {uuid.uuid4().hex[:8]}"
    assert _keyed(api, key, description, inland[7]).status_code == 201
    other = _keyed(api, key, description + " και μπάζα", inland[7])
    assert other.status_code == 422 and "Idempotency-Key" in other.json()[0]["description"]
    assert _filed(demo_url, description + " και μπάζα") == 0


@pytest.mark.parametrize("key", ['""', "x" * 256, "κλειδί".encode(), '"two words"'])
def test_a_malformed_idempotency_key_is_400_and_files_nothing(api, inland, demo_url, key):
    description = f"Λακκούβα {uuid.uuid4().hex[:8]}"
    answer = requests.post(f"{api}/requests.json", timeout=30, headers={"Idempotency-Key": key},
                           data={"service_code": "pothole", "lat": str(inland[8][1]),
                                 "long": str(inland[8][0]), "description": description})
    assert answer.status_code == 400 and "Idempotency-Key" in answer.json()[0]["description"]
    assert _filed(demo_url, description) == 0
