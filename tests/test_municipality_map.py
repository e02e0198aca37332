"""Several municipalities on one map: /api/config tells the map which one it shows (asked, by
host name, by setting, or the first) with its centre, extent, services, routing and branding;
/m/<id>/ opens the map there and the picker switches it (issue 17's map).

Two towns of this module's own database, each a square of 10 km in EPSG:2100 with services of
its own: Rethymno (no settlements: the map opens on its land) and Chania (two settlements: the
map opens on the more populous one).
"""
from __future__ import annotations

import json

import pytest
from pyproj import Transformer

from dimos.app import create_app
from settings import Settings
from tests.helpers import add_municipality, dimos, rows

SQUARES = {"rethymno": (560_000, 3_910_000), "chania": (500_000, 3_920_000)}
SIZE_M = 10_000
NAMES = {"rethymno": ("Δήμος Ρεθύμνης", "Municipality of Rethymno"),
         "chania": ("Δήμος Χανίων", "Municipality of Chania")}
#: (code, name_el, name_en, group, department) of each town's services
SERVICES = {
    "rethymno": [("pothole", "Λακκούβα", "Pothole", "Οδοποιία", "Τεχνικές Υπηρεσίες"),
                 ("streetlight", "Φωτισμός", "Street light", "Ηλεκτροφωτισμός", "Ηλεκτρολογικό")],
    "chania": [("beach_cleaning", "Καθαρισμός παραλίας", "Beach cleaning", "Καθαριότητα",
                "Καθαριότητα Ακτών"),
               ("pothole", "Λακκούβα", "Pothole", "Οδοποιία", "Διεύθυνση Έργων Χανίων")],
}
#: a routing rule of Chania's: potholes in its old town go to another department
CHANIA_RULE = ("pothole", "7401010101", "Παλιά Πόλη — Συνεργείο")
#: Chania's settlements: (code, name, population, offset of its 1 km square in the town's)
SETTLEMENTS = [("7401010101", "Χανιά", 50_000, (2_000, 6_000)),
               ("7401020101", "Σούδα", 6_000, (7_000, 2_000))]
TO_CRS84 = Transformer.from_crs(2100, 4326, always_xy=True)
BRANDING = {"chania": {"title_el": "Χανιά — Δημοτικός χάρτης", "title_en": "Chania — city map",
                       "logo": "/vendor/leaflet/dist/images/marker-icon.png",
                       "hosts": ["dimos.chania.gr"]}}


def _extent(jurisdiction: str) -> list[float]:
    """The CRS84 box of the town's square (its corners: ST_Transform moves vertices only)."""
    x, y = SQUARES[jurisdiction]
    lons, lats = TO_CRS84.transform([x, x + SIZE_M, x, x + SIZE_M], [y, y, y + SIZE_M, y + SIZE_M])
    return [min(lons), min(lats), max(lons), max(lats)]


def point_in(jurisdiction: str, dx: float = 5_000, dy: float = 5_000) -> tuple[float, float]:
    x, y = SQUARES[jurisdiction]
    return TO_CRS84.transform(x + dx, y + dy)


@pytest.fixture(scope="module")
def towns(migrated_url) -> str:
    from gis import db

    url = migrated_url
    for jurisdiction, (x, y) in SQUARES.items():
        add_municipality(url, jurisdiction, NAMES[jurisdiction][0], x, y, size_m=SIZE_M)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        for jurisdiction, (name_el, name_en) in NAMES.items():
            cur.execute("UPDATE jurisdictions SET name_el = %s, name_en = %s WHERE id = %s",
                        (name_el, name_en, jurisdiction))
            for code, el, en, group, department in SERVICES[jurisdiction]:
                cur.execute("""INSERT INTO services (jurisdiction_id, service_code, name_el, name_en,
                                 group_name, sla_hours, department)
                               VALUES (%s, %s, %s, %s, %s, 72, %s)""",
                            (jurisdiction, code, el, en, group, department))
        cur.execute("""INSERT INTO service_routing (jurisdiction_id, service_code, settlement_code,
                         department) VALUES ('chania', %s, %s, %s)""", CHANIA_RULE)
        x, y = SQUARES["chania"]
        for code, name, population, (dx, dy) in SETTLEMENTS:
            cur.execute("""INSERT INTO settlements (jurisdiction_id, settlement_code, name, category,
                             population_2021, geom)
                           VALUES ('chania', %s, %s, 'town_plan', %s,
                                   ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 2100)))""",
                        (code, name, population, x + dx, y + dy, x + dx + 1_000, y + dy + 1_000))
    conn.close()
    return url


def _client(url: str, tmp_path, **settings):
    return create_app(Settings(database_url=url, state_dir=tmp_path / "state", **settings),
                      with_ogc=False).test_client()


@pytest.fixture
def client(towns, tmp_path):
    return _client(towns, tmp_path, municipalities=BRANDING, default_jurisdiction="rethymno")


def _inside(url: str, jurisdiction: str, lat: float, lon: float, table: str = "jurisdictions",
            key: str = "id") -> bool:
    query = {"jurisdictions": "SELECT ST_Intersects(boundary, p) FROM jurisdictions WHERE id = %s",
             "settlements": "SELECT ST_Intersects(geom, p) FROM settlements WHERE name = %s"}[table]
    (inside,), = rows(url, query.replace(" FROM ", " FROM (SELECT ST_Transform(ST_SetSRID("
                                         "ST_MakePoint(%s, %s), 4326), 2100) AS p) AS q, ", 1),
                      (lon, lat, jurisdiction))
    return inside


@pytest.mark.parametrize("jurisdiction", SQUARES)
def test_each_municipality_opens_inside_its_own_land_with_its_extent(client, towns, jurisdiction):
    answer = client.get(f"/api/config?jurisdiction={jurisdiction}")
    assert answer.status_code == 200, answer.json
    shown = answer.json["jurisdiction"]
    assert shown["id"] == jurisdiction
    assert (shown["name_el"], shown["name_en"]) == NAMES[jurisdiction]
    lat, lon = shown["centre"]
    assert answer.json["centre"] == shown["centre"]
    assert _inside(towns, jurisdiction, lat, lon)
    assert shown["extent"] == pytest.approx(_extent(jurisdiction), abs=1e-9)
    assert {m["id"] for m in answer.json["municipalities"]} == set(SQUARES)


def test_chania_opens_on_its_most_populous_settlement(client, towns):
    lat, lon = client.get("/api/config?jurisdiction=chania").json["jurisdiction"]["centre"]
    most_populous = max(SETTLEMENTS, key=lambda s: s[2])[1]
    assert _inside(towns, most_populous, lat, lon, table="settlements")


def test_each_municipality_lists_its_own_services_and_routing(client):
    for jurisdiction, services in SERVICES.items():
        shown = client.get(f"/api/config?jurisdiction={jurisdiction}").json["jurisdiction"]
        assert [(s["service_code"], s["service_name"], s["service_name_en"], s["group"])
                for s in shown["services"]] == [s[:4] for s in sorted(services)]
        rules = {"chania": {CHANIA_RULE[0]: [{"district_code": None,
                                              "settlement_code": CHANIA_RULE[1],
                                              "department": CHANIA_RULE[2]}]}}.get(jurisdiction, {})
        assert shown["routing"] == [{"service_code": code, "department": department,
                                     "rules": rules.get(code, [])}
                                    for code, _, _, _, department in sorted(services)]
    codes = {j: {s[0] for s in SERVICES[j]} for j in SERVICES}
    assert codes["chania"] != codes["rethymno"]  # the towns' lists differ: the test can tell


def test_the_branding_is_the_settings_and_the_name_where_there_is_none(client):
    chania = client.get("/api/config?jurisdiction=chania").json["jurisdiction"]["branding"]
    assert chania == {k: BRANDING["chania"][k] for k in ("title_el", "title_en", "logo")}
    rethymno = client.get("/api/config?jurisdiction=rethymno").json["jurisdiction"]["branding"]
    assert rethymno == {"title_el": None, "title_en": None, "logo": None}


def test_a_centre_and_zoom_of_the_settings_are_where_the_map_opens(towns, tmp_path):
    lon, lat = point_in("chania", 9_000, 9_000)
    client = _client(towns, tmp_path, municipalities={"chania": {"centre": [lat, lon], "zoom": 12}})
    answer = client.get("/api/config?jurisdiction=chania").json
    assert answer["jurisdiction"]["centre"] == answer["centre"] == [lat, lon]
    assert answer["zoom"] == answer["jurisdiction"]["zoom"] == 12
    rethymno = client.get("/api/config?jurisdiction=rethymno").json
    assert rethymno["zoom"] == 15 and _inside(towns, "rethymno", *rethymno["centre"])


def test_an_unknown_municipality_is_a_404_naming_it_cut_short(client):
    answer = client.get("/api/config?jurisdiction=heraklion")
    assert answer.status_code == 404 and "heraklion" in answer.json["description"]
    long = "a" * 5000
    answer = client.get(f"/api/config?jurisdiction={long}")
    assert answer.status_code == 404
    assert "a" * 40 in answer.json["description"] and "a" * 41 not in answer.json["description"]
    assert client.get("/m/heraklion/").status_code == 404
    assert client.get("/m/Chania!/").status_code == 404


@pytest.mark.parametrize("bad", ["", "Chania", "chania'--", "1chania", "χανιά"])
def test_a_value_that_cannot_be_a_municipality_id_is_a_400(client, bad):
    answer = client.get("/api/config", query_string={"jurisdiction": bad})
    assert answer.status_code == 400, answer.json
    assert answer.json["code"] == "InvalidParameterValue"


def test_the_host_name_chooses_before_the_default_setting(client):
    for host in ("dimos.chania.gr", "DIMOS.chania.gr:8443"):
        answer = client.get("/api/config", headers={"Host": host})
        assert answer.json["jurisdiction"]["id"] == "chania", host
    # another host: the installation's default (rethymno, not the first by id: chania)
    assert client.get("/api/config", headers={"Host": "dimos.example.gr"}
                      ).json["jurisdiction"]["id"] == "rethymno"


def test_without_settings_the_first_municipality_is_shown(towns, tmp_path):
    assert _client(towns, tmp_path).get("/api/config").json["jurisdiction"]["id"] == "chania"
    chosen = _client(towns, tmp_path, default_jurisdiction="rethymno").get("/api/config")
    assert chosen.json["jurisdiction"]["id"] == "rethymno"


def test_the_map_page_opens_for_each_municipality(client):
    for jurisdiction in SQUARES:
        page = client.get(f"/m/{jurisdiction}/")
        assert page.status_code == 200 and b'id="map"' in page.data


def test_a_report_filed_in_chania_with_a_point_in_rethymno_is_refused(client, towns):
    lon, lat = point_in("rethymno")
    answer = client.post("/open311/v2/requests.json", data={
        "jurisdiction_id": "chania", "service_code": "pothole", "lat": lat, "long": lon,
        "description": "on the wrong side"})
    assert answer.status_code == 400
    assert "rethymno" in answer.json[0]["description"]
    assert rows(towns, "SELECT count(*) FROM service_requests WHERE description = %s",
                ("on the wrong side",)) == [(0,)]


@pytest.mark.parametrize("setting, value", [
    ("DIMOS_MUNICIPALITIES", json.dumps({"heraklion": {"title_en": "Heraklion"}})),
    ("DIMOS_DEFAULT_JURISDICTION", "heraklion"),
])
def test_a_setting_naming_an_unknown_municipality_stops_the_server_saying_which(towns, tmp_path,
                                                                                 setting, value):
    done = dimos("serve", "--port", "1", url=towns, timeout=60,
                 **{setting: value, "DIMOS_STATE_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert setting in done.stderr and "heraklion" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("logo", ["https://cdn.example.com/logo.png", "//cdn.example.com/l.png",
                                  "javascript:alert(1)", "/assets/../../etc/passwd", "logo.png"])
def test_a_logo_from_elsewhere_is_refused_in_one_line(towns, logo):
    done = dimos("doctor", url=towns, DIMOS_MUNICIPALITIES=json.dumps({"chania": {"logo": logo}}))
    assert done.returncode == 1
    assert done.stderr.startswith("dimos: error: DIMOS_MUNICIPALITIES chania.logo:"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

