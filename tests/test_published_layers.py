"""A GIS officer publishes a file as a layer (`dimos layer publish`): no code, no restart. The
layer is served by every worker within 2 s (items with CQL2 and CRS, tiles, legend), read by
GDAL and OWSLib, keeps its private field out of public outputs, upserts by its key, survives a
backup, a restore and a restart, and a retired one is gone everywhere until restored. Bad specs
are refused with nothing created."""
from __future__ import annotations

import json
import math
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import pytest
import requests
from owslib.ogcapi.features import Features
from shapely import wkt

from tests.helpers import dimos, rows, serving, wait_until

WORKERS = 4
LIVE_WITHIN_S = 2.0
LIGHTS = 2000
PHONE = "+30 697 000 "  # the private field's values begin so
CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def land_points(url: str, count: int, seed: int) -> list:
    """``count`` points on Rethymno's land (CRS84), the same for the same seed."""
    found = rows(url, "SELECT ST_AsText(ST_Transform((ST_Dump(ST_GeneratePoints(boundary, %s, %s)))"
                      ".geom, 4326)) FROM jurisdictions WHERE id = 'rethymno'", (count, seed))
    return [wkt.loads(text) for (text,) in found]


def street_lights(url: str, path: Path, watts: int = 60, count: int = LIGHTS) -> Path:
    """The first ``count`` of the same 2,000 street lights: odd ones of ``watts``, even 90 W."""
    points = land_points(url, LIGHTS, seed=20)[:count]
    gpd.GeoDataFrame({
        "Κωδικός": [f"SL-{n:05d}" for n in range(count)],
        "Ισχύς (W)": [watts if n % 2 else 90 for n in range(count)],
        "contractor_phone": [f"{PHONE}{n:03d}" for n in range(count)],
    }, geometry=points, crs="EPSG:4326").to_file(path, driver="GPKG")
    return path


def publish(url: str, path: Path, layer_id: str, *extra: str):
    return dimos("layer", "publish", path, "--id", layer_id, "--title-el", "Φωτιστικά οδών",
                 "--title-en", "Street lights", "--jurisdiction", "rethymno", *extra, url=url,
                 timeout=120)


def publish_points(url: str, folder: Path, layer_id: str, count: int, seed: int):
    """A layer of its own for a test that changes it: ``count`` points with a private note."""
    path = folder / f"{layer_id}.gpkg"
    gpd.GeoDataFrame({"code": [f"{layer_id}-{n}" for n in range(count)],
                      "note": [f"{PHONE}{n:03d}" for n in range(count)]},
                     geometry=land_points(url, count, seed), crs="EPSG:4326").to_file(path)
    made = dimos("layer", "publish", path, "--id", layer_id, "--title-el", layer_id, "--title-en",
                 layer_id, "--key", "code", "--private", "note", "--jurisdiction", "rethymno",
                 url=url, timeout=120)
    assert made.returncode == 0, made.stderr


def access_lines(log: Path, since: float) -> list[dict]:
    lines = []
    for line in log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("logger") == "access" and "pid" in record:
            lines.append(record)
    return [r for r in lines if _epoch(r["time"]) >= since]


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


@pytest.fixture(scope="module")
def server(demo_url, tmp_path_factory):
    state = tmp_path_factory.mktemp("published-state")
    with serving(demo_url, state, workers=WORKERS) as base:
        yield base, state / "server.log"


@pytest.fixture(scope="module")
def lights(server, demo_url, tmp_path_factory):
    """street_lights published by the command line while the server runs; when it returned."""
    path = street_lights(demo_url, tmp_path_factory.mktemp("lights") / "lights.gpkg")
    made = publish(demo_url, path, "street_lights", "--key", "kodikos",
                   "--private", "contractor_phone")
    assert made.returncode == 0, made.stderr
    assert f"{LIGHTS} features of {LIGHTS} read" in made.stdout, made.stdout
    return time.time(), path


def _ask_every_worker(base: str, paths: list[str], log: Path, since: float):
    """Ask ``paths`` on fresh connections, 8 at a time, until each of the workers has answered
    each of them after ``since``: those answers' log lines."""
    def ask(path):
        return requests.get(base + path, timeout=30, headers={"Connection": "close"})

    def every_worker_answered():
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(ask, paths * 4))
        lines = access_lines(log, since)
        answered = {(r["path"], r["pid"]) for r in lines}
        pids = {r["pid"] for r in lines}
        done = len(pids) >= WORKERS and all((p.split("?")[0], pid) in answered
                                            for p in paths for pid in pids)
        return lines if done else None

    return wait_until(every_worker_answered, 60, f"each of {WORKERS} workers answering {paths}",
                      every=0.2)


def test_a_published_layer_is_served_by_every_worker_within_two_seconds(server, lights, demo_url):
    base, log = server
    published_at, _ = lights
    lon, lat = land_points(demo_url, LIGHTS, seed=20)[0].coords[0]
    z, x, y = tile_of(lon, lat, 14)
    tile = f"/ogc/collections/street_lights/tiles/WebMercatorQuad/{z}/{y}/{x}"
    items = "/ogc/collections/street_lights/items"
    time.sleep(max(0.0, published_at + LIVE_WITHIN_S - time.time()))
    lines = _ask_every_worker(base, [items, tile, "/api/legend"], log, published_at + LIVE_WITHIN_S)
    # 2 s after publishing, no worker answered anything but 200 for the layer
    refused = [(r["path"], r["status"], r["pid"]) for r in lines
               if "street_lights" in r["path"] and r["status"] != 200]
    assert refused == [], refused
    filtered = requests.get(base + items, timeout=30, params={
        "filter": "ischys_w = 90 AND kodikos LIKE 'SL-0%'", "crs": CRS2100, "limit": 5000})
    assert filtered.status_code == 200, filtered.text
    assert filtered.headers["Content-Crs"] == f"<{CRS2100}>"
    features = filtered.json()["features"]
    assert len(features) == LIGHTS // 2
    assert {f["properties"]["ischys_w"] for f in features} == {90}
    assert all(300_000 < f["geometry"]["coordinates"][0] < 700_000 for f in features)  # metres
    decoded = mapbox_vector_tile.decode(requests.get(base + tile, timeout=30).content)
    assert decoded["street_lights"]["features"]
    legend = requests.get(base + "/api/legend", timeout=30).json()["layers"]
    entry = next(e for e in legend if e["id"] == "street_lights")
    assert entry["title"] == {"el": "Φωτιστικά οδών", "en": "Street lights"}
    assert entry["geometry_type"] == "Point"


def test_gdal_and_owslib_read_the_published_layer(server, lights):
    base, _ = server
    info = subprocess.run(["ogrinfo", "-ro", "-so", "-oo", "PAGE_SIZE=1000", f"OAPIF:{base}/ogc",
                           "street_lights"], capture_output=True, text=True, timeout=300)
    assert info.returncode == 0, info.stderr
    assert f"Feature Count: {LIGHTS}" in info.stdout
    assert "Geometry: Point" in info.stdout
    assert "contractor_phone" not in info.stdout
    ogc = Features(f"{base}/ogc")
    assert "street_lights" in [c["id"] for c in ogc.collections()["collections"]]
    page = ogc.collection_items("street_lights", limit=10)
    assert len(page["features"]) == 10
    assert set(page["features"][0]["properties"]) == {"kodikos", "ischys_w"}


def test_the_private_field_is_in_no_public_output(server, lights, demo_url):
    base, _ = server
    _, path = lights
    lon, lat = land_points(demo_url, LIGHTS, seed=20)[0].coords[0]
    z, x, y = tile_of(lon, lat, 16)
    public = [
        "/ogc/collections/street_lights/items?limit=5000",
        "/ogc/collections/street_lights/items?limit=5&f=html",
        "/ogc/collections/street_lights/queryables?f=json",
        "/ogc/collections/street_lights/schema?f=json",
        "/ogc/collections/street_lights?f=json",
        f"/ogc/collections/street_lights/tiles/WebMercatorQuad/{z}/{y}/{x}",
        "/ogc/openapi?f=json", "/api/legend", "/api/config",
        "/api/export?layer=street_lights&format=geojson",
    ]
    for asked in public:
        answer = requests.get(base + asked, timeout=60)
        assert answer.status_code == 200, (asked, answer.text[:300])
        assert PHONE.encode() not in answer.content and b"contractor_phone" not in answer.content, asked
    # ...and it is stored, apart, for staff
    stored = rows(demo_url, "SELECT count(*), min(contractor_phone) FROM street_lights_private")
    assert stored == [(LIGHTS, f"{PHONE}000")]


def test_a_second_file_upserts_by_the_key(server, lights, demo_url, tmp_path):
    base, _ = server
    second = street_lights(demo_url, tmp_path / "lights-2.gpkg", watts=40, count=10)
    made = dimos("import", second, "--layer", "street_lights", "--mode", "upsert",
                 "--jurisdiction", "rethymno", url=demo_url, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "5 updated" in made.stdout, made.stdout  # the odd ones: 60 W became 40 W
    assert rows(demo_url, "SELECT count(*), count(*) FILTER (WHERE ischys_w = 40) "
                          "FROM street_lights") == [(LIGHTS, 5)]
    answer = requests.get(f"{base}/ogc/collections/street_lights/items", timeout=30,
                          params={"filter": "ischys_w = 40"}).json()
    assert answer["numberMatched"] == 5


def test_a_windows_1253_shapefile_without_cpg_publishes_with_its_greek_names(server, demo_url,
                                                                              tmp_path):
    base, _ = server
    names = ["Κοιμητήριο Αγίου Κωνσταντίνου", "Κοιμητήριο Μασταμπά", "Νεκροταφείο Περιβολίων"]
    shp = tmp_path / "cemeteries.shp"
    points = land_points(demo_url, 3, seed=3)
    gpd.GeoDataFrame({"ONOMA": names, "KOD": ["K1", "K2", "K3"]},
                     geometry=[p.buffer(0.0005) for p in points], crs="EPSG:4326"
                     ).to_crs(2100).to_file(shp, encoding="cp1253")
    shp.with_suffix(".cpg").unlink()
    assert "Μασταμπά".encode("cp1253") in shp.with_suffix(".dbf").read_bytes()
    made = dimos("layer", "publish", shp, "--id", "cemeteries", "--title-el", "Κοιμητήρια",
                 "--title-en", "Cemeteries", "--key", "kod", "--jurisdiction", "rethymno",
                 url=demo_url, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "MultiPolygon" in made.stdout

    def served():
        answer = requests.get(f"{base}/ogc/collections/cemeteries/items", timeout=30)
        return answer.json() if answer.status_code == 200 else None

    found = wait_until(served, LIVE_WITHIN_S + 1.5, "the cemeteries served")
    assert sorted(f["properties"]["onoma"] for f in found["features"]) == sorted(names)


def _nothing_made(url: str, layer_id: str) -> None:
    assert rows(url, "SELECT to_regclass(quote_ident(%s)), to_regclass(quote_ident(%s))",
                (layer_id, f"{layer_id}_private")) == [(None, None)]
    assert rows(url, "SELECT count(*) FROM published_layers WHERE id = %s", (layer_id,)) == [(0,)]


@pytest.mark.parametrize(("layer_id", "said"), [
    ("select", "'select' is an SQL keyword"),
    ("zoning", "a layer of that id exists already"),
    ("Street Lights", "lower-case Latin letters"),
    ("a" * 31, "at most 30"),
    ("lamps_private", "private table"),
])
def test_a_bad_layer_id_is_refused_with_nothing_created(demo_url, tmp_path, layer_id, said):
    before = rows(demo_url, "SELECT version FROM catalogue_version")
    path = street_lights(demo_url, tmp_path / "lights.gpkg", count=5)
    made = publish(demo_url, path, layer_id, "--key", "kodikos")
    assert made.returncode == 1
    assert said in made.stderr, made.stderr
    assert "Traceback" not in made.stderr
    if layer_id != "zoning":
        _nothing_made(demo_url, layer_id)
    assert rows(demo_url, "SELECT version FROM catalogue_version") == before


def test_an_id_already_published_is_refused(server, lights, demo_url, tmp_path):
    path = street_lights(demo_url, tmp_path / "again.gpkg", count=5)
    made = publish(demo_url, path, "street_lights", "--key", "kodikos")
    assert made.returncode == 1
    assert "--id street_lights: a layer of that id exists already" in made.stderr
    assert rows(demo_url, "SELECT count(*) FROM street_lights") == [(LIGHTS,)]


def _frame(url: str, columns: dict, count: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=land_points(url, count, seed=5), crs="EPSG:4326")


def test_bad_files_are_refused_naming_the_problem_with_nothing_created(demo_url, tmp_path):
    collide = tmp_path / "collide.gpkg"
    _frame(demo_url, {"Όνομα": ["a", "b", "c"], "onoma": ["x", "y", "z"]}).to_file(collide)
    listed = tmp_path / "listed.geojson"
    listed.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.x, p.y]},
         "properties": {"code": f"c{n}", "counts": [1, 2, 3]}}
        for n, p in enumerate(land_points(demo_url, 3, seed=6))]}))
    no_geometry = tmp_path / "no-geometry.csv"
    no_geometry.write_text("code,name\nA,one\nB,two\n", encoding="utf-8")
    at_sea = tmp_path / "at-sea.gpkg"
    gpd.GeoDataFrame({"code": ["s1", "s2"]}, geometry=gpd.points_from_xy([24.40, 24.41],
                     [35.45, 35.46]), crs="EPSG:4326").to_file(at_sea)
    system = tmp_path / "system.gpkg"
    _frame(demo_url, {"code": ["a", "b", "c"], "Import_ID": ["1", "2", "3"]}).to_file(system)
    cases = [
        (collide, "onoma", "columns 'Όνομα' and 'onoma' are both named onoma"),
        (listed, "code", "column counts: type IntegerList cannot be published"),
        (no_geometry, "code", "no geometry"),
        (at_sea, "code", "outside the municipality"),
        (system, "code", "import_id is a column every layer has"),
        (at_sea, "nothing", "--key nothing: no such field"),
    ]
    for path, key, said in cases:
        made = publish(demo_url, path, "bad_layer", "--key", key)
        assert made.returncode == 1, (path.name, made.stdout)
        assert said in made.stderr, (path.name, made.stderr)
        assert "Traceback" not in made.stderr and "psycopg2" not in made.stderr
        _nothing_made(demo_url, "bad_layer")
    # editors are people's roles below staff, each named once
    made = publish(demo_url, at_sea, "bad_layer", "--key", "code", "--editors", "planner,wizard")
    assert made.returncode == 1 and "editors: 'wizard' is not one of" in made.stderr, made.stderr
    _nothing_made(demo_url, "bad_layer")


def test_retired_it_is_gone_from_every_public_output_and_restored_it_is_back(server, demo_url,
                                                                             tmp_path):
    base, _ = server
    publish_points(demo_url, tmp_path, "benches", 20, seed=8)
    outputs = {
        "/ogc/collections/benches/items": lambda a: a.status_code == 200,
        "/ogc/collections?f=json": lambda a: '"benches"' in a.text,
        "/api/legend": lambda a: '"benches"' in a.text,
        "/ogc/openapi?f=json": lambda a: "/collections/benches/items" in a.text,
        "/api/export?layer=benches&format=geojson": lambda a: a.status_code == 200,
    }

    def shown() -> set[str]:
        return {path for path, there in outputs.items()
                if there(requests.get(base + path, timeout=60))}

    time.sleep(LIVE_WITHIN_S)
    assert shown() == set(outputs)
    retired = dimos("layer", "retire", "benches", url=demo_url)
    assert retired.returncode == 0, retired.stderr
    time.sleep(LIVE_WITHIN_S)
    for _ in range(3 * WORKERS):  # fresh connections: several workers asked
        assert shown() == set()
    assert rows(demo_url, "SELECT count(*) FROM benches") == [(20,)]  # kept
    restored = dimos("layer", "restore", "benches", url=demo_url)
    assert restored.returncode == 0, restored.stderr
    time.sleep(LIVE_WITHIN_S)
    for _ in range(3 * WORKERS):
        assert shown() == set(outputs)


def test_it_survives_a_backup_a_restore_and_a_restart(make_database, demo_template, tmp_path):
    # a database of its own: a restore under the module's running server would leave its
    # pooled connections with PostGIS's types of before (restart a server after a restore)
    demo_url = make_database("dimos_test_publish_restore", template=demo_template)
    publish_points(demo_url, tmp_path, "bins", 50, seed=9)
    backup = tmp_path / "with-bins.dump"
    made = dimos("db", "backup", backup, url=demo_url, timeout=300)
    assert made.returncode == 0, made.stderr
    refused = dimos("layer", "delete", "bins", url=demo_url)
    assert refused.returncode == 1 and "--confirm bins" in refused.stderr
    gone = dimos("layer", "delete", "bins", "--confirm", "bins", "--backup-dir", tmp_path,
                 url=demo_url, timeout=120)
    assert gone.returncode == 0, gone.stderr
    (kept,) = tmp_path.glob("bins-*.dump")
    assert json.loads(next(tmp_path.glob("bins-*.json")).read_text())["id"] == "bins"
    assert "TABLE DATA public bins_private" in subprocess.run(
        ["pg_restore", "--list", str(kept)], capture_output=True, text=True).stdout
    _nothing_made(demo_url, "bins")
    assert rows(demo_url, "SELECT operation FROM audit_log WHERE table_name = 'published_layers' "
                          "AND coalesce(after, before) ->> 'id' = 'bins' ORDER BY id"
                ) == [("PUBLISH",), ("DELETE",)]
    back = dimos("db", "restore", backup, url=demo_url, timeout=300)
    assert back.returncode == 0, back.stderr
    (tmp_path / "state").mkdir()
    with serving(demo_url, tmp_path / "state", workers=1) as base:  # a fresh start
        answer = requests.get(f"{base}/ogc/collections/bins/items", timeout=30,
                              params={"limit": 1, "resulttype": "hits"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["numberMatched"] == 50
    assert rows(demo_url, "SELECT count(*) FROM bins_private") == [(50,)]


def test_an_update_retitles_restyles_and_adds_a_field_on_every_worker(server, demo_url, tmp_path):
    base, _ = server
    publish_points(demo_url, tmp_path, "trees", 10, seed=11)
    for wrong, said in ((("--add-field", "geom:text"), "not a column every layer has"),
                        (("--add-field", "height:float"), "TYPE one of"),
                        (("--field-title", "nosuch=Α|B"), "trees has no such field"),
                        (("--field-title", "code=Κωδικός"), "NAME=Ελληνικά|English"),
                        (("--editors", "gateway"), "editors: 'gateway' is not one of")):
        refused = dimos("layer", "update", "trees", *wrong, url=demo_url)
        assert refused.returncode == 1 and said in refused.stderr, refused.stderr
    made = dimos("layer", "update", "trees", "--title-el", "Δέντρα", "--title-en", "Town trees",
                 "--color", "#228b22", "--field-title", "code=Αριθμός δέντρου|Tree number",
                 "--add-field", "species:text", "--editors", "planner,planner", url=demo_url)
    assert made.returncode == 0, made.stderr
    time.sleep(LIVE_WITHIN_S)
    for _ in range(3 * WORKERS):
        entry = next(e for e in requests.get(f"{base}/api/legend", timeout=30).json()["layers"]
                     if e["id"] == "trees")
        assert entry["title"] == {"el": "Δέντρα", "en": "Town trees"}
        assert entry["style"]["color"] == "#228b22"
        assert entry["fields"]["code"] == {"el": "Αριθμός δέντρου", "en": "Tree number"}
        queryables = requests.get(f"{base}/ogc/collections/trees/queryables?f=json",
                                  timeout=30).json()["properties"]
        assert "species" in queryables and "note" not in queryables
    # a planner may now edit it: an editable layer's table keeps each feature's change time
    assert rows(demo_url, "SELECT count(*) FROM information_schema.columns WHERE table_name = "
                          "'trees' AND column_name IN ('species', 'modified_at')") == [(2,)]
    assert rows(demo_url, "SELECT operation, before -> 'title_en', after -> 'title_en' FROM "
                          "audit_log WHERE table_name = 'published_layers' AND after ->> 'id' = "
                          "'trees' ORDER BY id") == [("PUBLISH", None, "trees"),
                                                     ("UPDATE", "trees", "Town trees")]
    shown = json.loads(dimos("layer", "show", "trees", url=demo_url).stdout)
    assert (shown["status"], shown["spec"]["title_en"]) == ("published", "Town trees")
    assert shown["spec"]["editors"] == ["planner"]
    listed = json.loads(dimos("layer", "list", "--json", url=demo_url).stdout)
    assert {"id": "trees", "status": "published"}.items() <= next(
        e for e in listed if e["id"] == "trees").items()


def test_db_migrate_leaves_a_published_layer_alone(lights, demo_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gis import db
    from gis.migrate import include_object
    from gis.schema import metadata

    migrated = dimos("db", "migrate", url=demo_url, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert rows(demo_url, "SELECT count(*) FROM street_lights") == [(LIGHTS,)]
    engine = db.make_engine(demo_url)
    try:
        with engine.connect() as conn:  # what a migration would compare: no published table
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_staff_publish_a_layer_in_the_browser_and_every_worker_serves_it(server, demo_url,
                                                                         browser, tmp_path):
    from tests.helpers import token
    from tests.test_web_map import Visit

    base, log = server
    path = street_lights(demo_url, tmp_path / "park-lights.gpkg")
    page = Visit(browser, base)
    try:
        page.page.click("#tab-staff")
        page.page.click("#token-sign-in summary")
        page.page.fill("#token", token(demo_url, "publisher", "staff"))
        page.page.click("#signin-token button[type=submit]")
        page.page.wait_for_selector("#publish-layer:not([hidden])", timeout=30_000)
        page.page.click("#publish-layer summary")
        page.page.set_input_files("#publish-file", str(path))
        page.page.click("#publish-preview")
        page.page.wait_for_selector("#publish-fields table", timeout=30_000)
        assert page.page.locator("#publish-fields tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.field)") == ["kodikos", "ischys_w", "contractor_phone"]
        assert f"{LIGHTS}" in page.page.inner_text("#publish-summary")
        assert page.page.evaluate("dimos.map.getBounds().isValid()")
        page.page.check("#publish-fields tr[data-field=contractor_phone] input[name=private]")
        page.page.fill("#publish-id", "park_lights")
        page.page.fill("#publish-title-el", "Φωτισμός πάρκων")
        page.page.fill("#publish-title-en", "Park lights")
        page.page.click("#publish-details button[type=submit]")
        page.page.wait_for_function(
            "document.getElementById('publish-result').textContent.includes('park_lights')",
            timeout=60_000)
        published_at = time.time()
        # listed in the layers panel and drawn, without reloading the page
        page.page.wait_for_selector("#layers li[data-layer=park_lights] input:checked",
                                    timeout=15_000)
        page.screenshot("staff-published-layer")
        assert page.axe_violations() == []
        assert page.errors == []
    finally:
        page.context.close()
    time.sleep(max(0.0, published_at + LIVE_WITHIN_S - time.time()))
    lon, lat = land_points(demo_url, LIGHTS, seed=20)[0].coords[0]
    z, x, y = tile_of(lon, lat, 14)
    paths = ["/ogc/collections/park_lights/items",
             f"/ogc/collections/park_lights/tiles/WebMercatorQuad/{z}/{y}/{x}"]
    lines = _ask_every_worker(base, paths, log, published_at + LIVE_WITHIN_S)
    assert [r for r in lines if "park_lights" in r["path"] and r["status"] != 200] == []
    answer = requests.get(f"{base}/ogc/collections/park_lights/items", timeout=30,
                          params={"limit": 5000}).json()
    assert answer["numberMatched"] == LIGHTS
    assert "contractor_phone" not in answer["features"][0]["properties"]
    assert rows(demo_url, "SELECT created_by FROM published_layers WHERE id = 'park_lights'"
                ) == [("staff:publisher",)]


def test_its_editors_edit_it_through_the_ogc_api_within_their_municipality(server, demo_url,
                                                                           tmp_path):
    from tests.helpers import add_municipality, token

    base, _ = server
    path = tmp_path / "hydrants.gpkg"
    gpd.GeoDataFrame({"code": ["H-1", "H-2"]}, geometry=land_points(demo_url, 2, seed=12),
                     crs="EPSG:4326").to_file(path)
    made = dimos("layer", "publish", path, "--id", "hydrants", "--title-el", "Κρουνοί",
                 "--title-en", "Hydrants", "--key", "code", "--editors", "planner",
                 "--jurisdiction", "rethymno", url=demo_url, timeout=120)
    assert made.returncode == 0, made.stderr
    time.sleep(LIVE_WITHIN_S)
    lon, lat = land_points(demo_url, 1, seed=13)[0].coords[0]
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": {"code": "H-3"}}
    items = f"{base}/ogc/collections/hydrants/items"

    def post(role_token):
        return requests.post(items, json=feature, timeout=30, headers={
            "Authorization": f"Bearer {role_token}", "Content-Type": "application/geo+json"})

    assert post(token(demo_url, "hydrant-crew", "crew")).status_code == 403
    add_municipality(demo_url, "hydrant_town", "Hydrant town", 0, 0)
    other = post(token(demo_url, "hydrant-planner-away", "planner", "hydrant_town"))
    assert other.status_code in (400, 403), other.text  # a Rethymno point, another's planner
    created = post(token(demo_url, "hydrant-planner", "planner"))
    assert created.status_code == 201, created.text
    assert rows(demo_url, "SELECT jurisdiction_id, modified_at IS NOT NULL FROM hydrants "
                          "WHERE code = 'H-3'") == [("rethymno", True)]
    assert rows(demo_url, "SELECT count(*) FROM audit_log WHERE table_name = 'hydrants' "
                          "AND operation = 'INSERT' AND actor LIKE 'planner:%%'") == [(1,)]


def test_types_units_and_time_given_at_publishing_are_served(server, demo_url, tmp_path):
    base, _ = server
    path = tmp_path / "dated.gpkg"
    gpd.GeoDataFrame({"code": ["D-1", "D-2", "D-3"], "watts": [40, 60, 90],
                      "installed": ["2021-05-01", "2022-06-15", "2023-07-30"]},
                     geometry=land_points(demo_url, 3, seed=14), crs="EPSG:4326").to_file(path)
    common = ("layer", "publish", path, "--id", "dated_lights", "--title-el", "Φωτιστικά",
              "--title-en", "Lights", "--key", "code", "--jurisdiction", "rethymno")
    refused = dimos(*common, "--time", "installed", url=demo_url)
    assert refused.returncode == 1
    assert "--time installed: a text field" in refused.stderr, refused.stderr
    made = dimos(*common, "--type", "installed=date", "--time", "installed", "--unit", "watts=W",
                 url=demo_url, timeout=120)
    assert made.returncode == 0, made.stderr
    time.sleep(LIVE_WITHIN_S)
    schema = requests.get(f"{base}/ogc/collections/dated_lights/schema?f=json",
                          timeout=30).json()["properties"]
    assert schema["installed"]["format"] == "date"
    assert schema["watts"]["x-ogc-unit"] == "W"
    found = requests.get(f"{base}/ogc/collections/dated_lights/items", timeout=30,
                         params={"datetime": "2022-01-01/2023-12-31"}).json()
    assert sorted(f["properties"]["code"] for f in found["features"]) == ["D-2", "D-3"]
    assert rows(demo_url, "SELECT pg_typeof(installed)::text FROM dated_lights LIMIT 1") == [("date",)]
