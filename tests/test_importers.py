"""Importing the files planners have: every format, the refusals, provenance — on real PostGIS.

One throw-away database for the module (migrated, with the municipality of Rethymno from the
Kallikratis boundaries), so nothing here touches the demo database other modules share.
"""
from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon

from dimos.cli import main
from gis import db, migrate
from gis.load import upsert_jurisdiction
from importers.boundaries import read_municipality
from tests.helpers import rows as query

SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"
KALLIKRATIS = SOURCES / "boundaries" / "crete_municipalities_kallikratis_wgs84.geojson"
TO_2100 = Transformer.from_crs(4326, 2100, always_xy=True)
# Rethymno's old town in Greek Grid (EPSG:2100)
X0, Y0 = TO_2100.transform(24.4745, 35.3680)


def rethymno_database(make_database, prefix: str) -> str:
    """A fresh, migrated database holding the municipality of Rethymno; its URL."""
    url = make_database(prefix)
    migrate.upgrade(url)
    name, boundary = read_municipality(KALLIKRATIS, "9318")
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        upsert_jurisdiction(cur, {"id": "rethymno", "name_el": name, "name_en": "Rethymno",
                                  "ypes_code": "9318", "elstat_code": "7301", "boundary": boundary})
    conn.close()
    return url


@pytest.fixture(scope="module")
def url(make_database):
    return rethymno_database(make_database, "dimos_import")


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory) -> Path:
    """The module's DIMOS_STATE_DIR: scans' COGs are stored there."""
    return tmp_path_factory.mktemp("dimos-state")


def cli_on(url, state_dir, monkeypatch, capsys):
    """Run `dimos ARGS...` against the database at ``url``: (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DIMOS_STATE_DIR", str(state_dir))

    def run(*args) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def dimos(url, state_dir, monkeypatch, capsys):
    """Run `dimos ARGS...` against the module's database: (exit code, stdout, stderr)."""
    return cli_on(url, state_dir, monkeypatch, capsys)


def import_id_of(out: str) -> int:
    """The id `dimos import` printed ("import #N:"): the rows an import wrote carry it."""
    import re

    return int(re.search(r"import #(\d+)", out).group(1))


def checksum(url, table):
    """Row count and an md5 of every row of ``table``: any change to the layer changes it."""
    table, _, where = table.partition(" WHERE ")  # constants of this module only
    return query(url, f"SELECT count(*), md5(coalesce(string_agg(t::text, '' ORDER BY id), '')) "
                      f"FROM {table} t" + (f" WHERE {where}" if where else ""))[0]


def real_file(tmp_path: Path, relative: str) -> Path:
    """A copy of a file of data/sources: the reject report is written beside the input, and
    the repository's data stays untouched."""
    import shutil

    return Path(shutil.copy(SOURCES / relative, tmp_path))


def permits_frame(n=3, start=1, crs=2100, **extra) -> gpd.GeoDataFrame:
    rows = {"permit_no": [f"Α-{start + i}/2024" for i in range(n)],
            "issued": [f"2024-0{1 + i % 9}-1{i % 9}" for i in range(n)],
            "kind": ["new_building"] * n, "status": ["issued"] * n,
            "address": [f"Αρκαδίου {10 + i}, Ρέθυμνο" for i in range(n)],
            "area_m2": [120.5 + i for i in range(n)], **extra}
    points = [Point(X0 + 20 * i, Y0 + 10 * i) for i in range(n)]
    frame = gpd.GeoDataFrame(rows, geometry=points, crs=2100)
    return frame.to_crs(crs) if crs != 2100 else frame


PERMIT_MAP = ["--map", "permit_number=permit_no", "--map", "issue_date=issued",
              "--map", "permit_type=kind", "--map", "built_area_m2=area_m2"]


def write_shapefile(frame, path: Path, encoding="cp1253", prj=True, cpg=True) -> Path:
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not prj:
        path.with_suffix(".prj").unlink()
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


# --- every format ---------------------------------------------------------------------------

def test_a_windows_1253_shapefile_keeps_its_greek_text(url, dimos, tmp_path):
    shp = write_shapefile(permits_frame(3, start=100), tmp_path / "adeies.shp", encoding="cp1253")
    assert shp.with_suffix(".cpg").read_text().strip() in ("1253", "CP1253", "cp1253")
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "Αρκαδίου".encode("cp1253") in raw  # really Windows-1253 bytes on disk
    code, out, err = dimos("import", shp, "--layer", "building_permits", *PERMIT_MAP)
    assert code == 0, err
    assert "3 added" in out
    rows = query(url, "SELECT permit_number, address, built_area_m2, issue_date::text, import_id "
                      "FROM building_permits WHERE permit_number LIKE 'Α-10_/2024' ORDER BY 1")
    assert [r[1] for r in rows] == ["Αρκαδίου 10, Ρέθυμνο", "Αρκαδίου 11, Ρέθυμνο",
                                    "Αρκαδίου 12, Ρέθυμνο"]
    assert rows[0][0] == "Α-100/2024" and rows[0][2] == 120.5 and rows[0][3] == "2024-01-10"
    import_id = rows[0][4]
    (file_name, sha, layer, actor, added, status), = query(
        url, "SELECT file_name, sha256, layer_id, actor, added, status FROM imports WHERE id = %s",
        (import_id,))
    assert (file_name, layer, added, status) == ("adeies.shp", "building_permits", 3, "committed")
    assert len(sha) == 64 and actor.startswith("cli:")


def test_greek_shapefiles_without_cpg_in_1253_or_with_iso_8859_7_named(url, dimos, tmp_path):
    no_cpg = write_shapefile(permits_frame(2, start=200), tmp_path / "nocpg.shp", cpg=False)
    assert not no_cpg.with_suffix(".cpg").exists()
    assert dimos("import", no_cpg, "--layer", "building_permits", *PERMIT_MAP)[0] == 0
    iso = write_shapefile(permits_frame(2, start=210), tmp_path / "iso.shp", encoding="iso8859-7")
    iso.with_suffix(".cpg").write_text("ISO-8859-7")
    assert dimos("import", iso, "--layer", "building_permits", *PERMIT_MAP)[0] == 0
    assert [r[0] for r in query(url, "SELECT address FROM building_permits WHERE permit_number IN "
                                     "('Α-200/2024', 'Α-210/2024') ORDER BY 1")] == [
        "Αρκαδίου 10, Ρέθυμνο", "Αρκαδίου 10, Ρέθυμνο"]


def test_a_shapefile_without_prj_needs_crs_and_then_imports(url, dimos, tmp_path):
    shp = write_shapefile(permits_frame(2, start=300), tmp_path / "noprj.shp", prj=False)
    before = checksum(url, "building_permits")
    code, _, err = dimos("import", shp, "--layer", "building_permits", *PERMIT_MAP)
    assert code == 1 and "no CRS in noprj.shp: pass --crs EPSG:2100" in err
    assert checksum(url, "building_permits") == before
    code, out, err = dimos("import", shp, "--layer", "building_permits", "--crs", "EPSG:2100",
                           *PERMIT_MAP)
    assert code == 0, err
    (x, y), = query(url, "SELECT ST_X(geom), ST_Y(geom) FROM building_permits "
                         "WHERE permit_number = 'Α-300/2024'")
    assert abs(x - X0) < 0.01 and abs(y - Y0) < 0.01


def test_a_zipped_shapefile_in_a_folder_imports(url, dimos, tmp_path):
    write_shapefile(permits_frame(2, start=400), tmp_path / "z.shp", encoding="utf-8")
    archive = tmp_path / "adeies.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("z.*"):
            z.write(part, f"Άδειες 2024/{part.name}")
    code, out, err = dimos("import", archive, "--layer", "building_permits", *PERMIT_MAP)
    assert code == 0, err
    assert "2 added" in out


def test_a_geopackage_layer_is_chosen_and_4326_is_reprojected(url, dimos, tmp_path):
    gpkg = tmp_path / "permits.gpkg"
    pyogrio.write_dataframe(permits_frame(2, start=500, crs=4326), gpkg, layer="adeies")
    pyogrio.write_dataframe(permits_frame(1, start=900), gpkg, layer="other")
    code, _, err = dimos("import", gpkg, "--layer", "building_permits", *PERMIT_MAP)
    assert code == 1 and "choose one with --source-layer" in err and "adeies" in err
    code, out, err = dimos("import", gpkg, "--layer", "building_permits", "--source-layer", "adeies",
                           *PERMIT_MAP)
    assert code == 0, err
    assert "(EPSG:4326)" in out
    (x, y), = query(url, "SELECT ST_X(geom), ST_Y(geom) FROM building_permits "
                         "WHERE permit_number = 'Α-500/2024'")
    # the GGRS87 datum shift round-trips: back within centimetres of where it was drawn
    assert abs(x - X0) < 0.05 and abs(y - Y0) < 0.05


def test_geojson_and_kml_import(url, dimos, tmp_path):
    geojson = tmp_path / "permits.geojson"
    pyogrio.write_dataframe(permits_frame(2, start=600, crs=4326), geojson, driver="GeoJSON")
    assert dimos("import", geojson, "--layer", "building_permits", *PERMIT_MAP)[0] == 0
    kml = tmp_path / "stops.kml"
    stops = gpd.GeoDataFrame({"Name": ["Πλατεία Ηρώων", "Λιμάνι"], "stop": ["K1", "K2"]},
                             geometry=[Point(24.4745, 35.3680), Point(24.4790, 35.3700)], crs=4326)
    pyogrio.write_dataframe(stops, kml, driver="KML")
    code, out, err = dimos("import", kml, "--layer", "bus_stops", "--map", "stop_id=Name",
                           "--map", "name=Name", "--set", "smart=false")
    assert code == 0, err
    assert query(url, "SELECT name, smart FROM bus_stops WHERE import_id = %s ORDER BY name",
                 (import_id_of(out),)) == [("Λιμάνι", False), ("Πλατεία Ηρώων", False)]


def test_csv_with_xy_or_wkt_columns(url, dimos, tmp_path):
    xy = tmp_path / "cameras.csv"
    xy.write_text("camera,name,x,y\nC1,Κουντουριώτη,%f,%f\nC2,Γιαμπουδάκη,%f,%f\n"
                  % (X0, Y0, X0 + 50, Y0 + 50), encoding="utf-8")
    code, _, err = dimos("import", xy, "--layer", "traffic_cameras", "--map", "camera_id=camera")
    assert code == 1 and "no CRS in cameras.csv" in err
    code, out, err = dimos("import", xy, "--layer", "traffic_cameras", "--crs", "EPSG:2100",
                           "--map", "camera_id=camera")
    assert code == 1 and "required field camera_type" in err and "--set camera_type=VALUE" in err
    code, out, err = dimos("import", xy, "--layer", "traffic_cameras", "--crs", "EPSG:2100",
                           "--map", "camera_id=camera", "--set", "camera_type=thermal")
    assert code == 0, err
    assert query(url, "SELECT name, round(ST_X(geom) - %s) FROM traffic_cameras WHERE import_id = %s "
                      "ORDER BY camera_id", (X0, import_id_of(out))) == [
        ("Κουντουριώτη", 0), ("Γιαμπουδάκη", 50)]
    greek_excel = tmp_path / "cameras-1253.csv"  # what Excel saves on a Greek Windows
    greek_excel.write_bytes(f"camera;name;x;y\nC3;Πλατεία Τεσσάρων Μαρτύρων;{X0};{Y0}\n"
                            .replace(";", ",").encode("cp1253"))
    code, out, err = dimos("import", greek_excel, "--layer", "traffic_cameras", "--crs", "EPSG:2100",
                           "--map", "camera_id=camera", "--set", "camera_type=video")
    assert code == 0, err
    assert query(url, "SELECT name FROM traffic_cameras WHERE camera_id = 'C3'") == [
        ("Πλατεία Τεσσάρων Μαρτύρων",)]
    plain = tmp_path / "no-geometry.csv"
    plain.write_text("camera,name\nC9,Λιμάνι\n", encoding="utf-8")
    code, _, err = dimos("import", plain, "--layer", "traffic_cameras", "--crs", "EPSG:2100")
    assert code == 1 and "no-geometry.csv: no geometry: it needs x/y" in err
    wkt = tmp_path / "stops.csv"
    with wkt.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stop_id", "name", "smart", "wkt"])
        writer.writerow(["W1", "Δημοτικός Κήπος", "ναι", f"POINT ({X0} {Y0})"])
    code, out, err = dimos("import", wkt, "--layer", "bus_stops", "--crs", "2100")
    assert code == 0, err
    assert query(url, "SELECT name, smart FROM bus_stops WHERE stop_id = 'W1'") == [
        ("Δημοτικός Κήπος", True)]


def test_a_dxf_in_greek_grid_lands_in_rethymno_within_a_metre(url, dimos, tmp_path):
    import ezdxf

    drawing = ezdxf.new()
    space = drawing.modelspace()
    square = [(X0, Y0), (X0 + 12, Y0), (X0 + 12, Y0 + 9), (X0, Y0 + 9)]
    space.add_lwpolyline(square, close=True, dxfattribs={"layer": "residential"})
    space.add_lwpolyline([(x + 40, y) for x, y in square], close=True,
                         dxfattribs={"layer": "commercial"})
    space.add_line((X0, Y0 - 5), (X0 + 30, Y0 - 5), dxfattribs={"layer": "kerb"})  # not a building
    path = tmp_path / "ktiria.dxf"
    drawing.saveas(path)
    code, _, err = dimos("import", path, "--layer", "buildings", "--crs", "EPSG:2100",
                         "--map", "building_id=handle", "--map", "building_type=layer")
    assert code == 1 and "wrong geometry type: a LineString" in err  # the kerb line
    drawing.modelspace().delete_entity(next(e for e in space if e.dxftype() == "LINE"))
    drawing.saveas(path)
    code, out, err = dimos("import", path, "--layer", "buildings", "--crs", "EPSG:2100",
                           "--map", "building_id=handle", "--map", "building_type=layer")
    assert code == 0, err
    rows = query(url, "SELECT building_type, ST_XMin(geom), ST_YMin(geom), ST_Area(geom) "
                      "FROM buildings WHERE import_id = %s ORDER BY ST_XMin(geom)",
                 (import_id_of(out),))
    assert [r[0] for r in rows] == ["residential", "commercial"]
    assert abs(rows[0][1] - X0) < 1 and abs(rows[0][2] - Y0) < 1 and abs(rows[0][3] - 108) < 0.01
    assert abs(rows[1][1] - (X0 + 40)) < 1


def test_private_fields_go_to_the_private_table_and_upsert_updates_them(url, dimos, tmp_path):
    path = tmp_path / "aitimata.csv"
    path.write_text("id,code,status,when,name,email,wkt\n"
                    f"R-1,pothole,open,2026-05-01T09:00:00+03:00,Μαρία Παπαδάκη,maria@example.gr,"
                    f"POINT ({X0} {Y0})\n", encoding="utf-8")
    args = ("--layer", "service_requests", "--crs", "EPSG:2100", "--map", "service_request_id=id",
            "--map", "service_code=code", "--map", "requested_at=when", "--map", "reporter_name=name",
            "--map", "reporter_email=email")
    code, out, err = dimos("import", path, *args)
    assert code == 0, err
    assert query(url, "SELECT r.requested_at = '2026-05-01T06:00:00Z', p.reporter_name, p.reporter_email "
                      "FROM service_requests r JOIN service_requests_private p ON p.feature_id = r.id "
                      "WHERE r.service_request_id = 'R-1'") == [(True, "Μαρία Παπαδάκη", "maria@example.gr")]
    path.write_text(path.read_text(encoding="utf-8").replace("maria@example.gr", "m.p@example.gr"),
                    encoding="utf-8")
    code, out, err = dimos("import", path, *args, "--mode", "upsert")
    assert code == 0, err
    assert "0 added, 0 updated, 1 unchanged" in out  # the public record; the private one changed
    assert query(url, "SELECT p.reporter_email FROM service_requests r JOIN service_requests_private p "
                      "ON p.feature_id = r.id WHERE r.service_request_id = 'R-1'") == [("m.p@example.gr",)]

# --- refusals: clear message, exit 1, the layer unchanged -------------------------------------

def refused(url, dimos, table, *args) -> str:
    before = checksum(url, table)
    code, out, err = dimos("import", *args)
    assert code == 1, out
    assert err.startswith("dimos: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert checksum(url, table) == before
    return err


def test_a_truncated_file_is_refused(url, dimos, tmp_path):
    gpkg = tmp_path / "cut.gpkg"
    pyogrio.write_dataframe(permits_frame(50, start=1000), gpkg)
    gpkg.write_bytes(gpkg.read_bytes()[: gpkg.stat().st_size // 3])
    err = refused(url, dimos, "building_permits", gpkg, "--layer", "building_permits", *PERMIT_MAP)
    assert "cut.gpkg" in err
    shp = write_shapefile(permits_frame(50, start=1000), tmp_path / "cut.shp")
    shp.write_bytes(shp.read_bytes()[:300])
    err = refused(url, dimos, "building_permits", shp, "--layer", "building_permits", *PERMIT_MAP)
    assert "cut.shp" in err
    geojson = tmp_path / "cut.geojson"
    pyogrio.write_dataframe(permits_frame(50, start=1000), geojson, driver="GeoJSON")
    geojson.write_bytes(geojson.read_bytes()[:5000])
    err = refused(url, dimos, "building_permits", geojson, "--layer", "building_permits", *PERMIT_MAP)
    assert "cut.geojson: not a readable file" in err
    osm = tmp_path / "cut.osm"
    osm.write_bytes((SOURCES / "osm" / "rethymno.osm").read_bytes()[:900_000])
    err = refused(url, dimos, "roads", osm, "--layer", "roads")
    assert "cut.osm: not a readable OpenStreetMap extract" in err


def test_a_zip_without_shp_is_refused(url, dimos, tmp_path):
    archive = tmp_path / "only-dbf.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("adeies/adeies.dbf", b"not really")
    err = refused(url, dimos, "building_permits", archive, "--layer", "building_permits")
    assert "only-dbf.zip: no .shp" in err


def test_a_self_intersecting_polygon_is_refused_and_reported(url, dimos, tmp_path):
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    frame = gpd.GeoDataFrame({"building_id": ["B1", "B2"]},
                             geometry=[Polygon([(X0, Y0), (X0 + 5, Y0), (X0 + 5, Y0 + 5)]), bowtie],
                             crs=2100)
    path = tmp_path / "bowtie.gpkg"
    pyogrio.write_dataframe(frame, path)
    err = refused(url, dimos, "buildings", path, "--layer", "buildings")
    assert "row 2, geometry: invalid geometry: Self-intersection" in err
    report = path.with_name("bowtie.gpkg.reject.csv")
    assert report.exists() and str(report) in err
    lines = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert [(r["row"], r["field"], r["outcome"]) for r in lines] == [("2", "geometry", "rejected")]
    (status, rejected), = query(url, "SELECT status, rejected FROM imports WHERE file_name = "
                                     "'bowtie.gpkg'")
    assert (status, rejected) == ("refused", 1)


def test_the_report_goes_to_the_state_folder_when_it_cannot_go_beside_the_input(url, dimos, state_dir,
                                                                                tmp_path):
    path = tmp_path / "unwritable.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"building_id": ["P9"]}, geometry=[Point(X0, Y0)],
                                             crs=2100), path, driver="GeoJSON")
    (tmp_path / "unwritable.geojson.reject.csv").mkdir()  # the name beside it is taken
    err = refused(url, dimos, "buildings", path, "--layer", "buildings")
    report = state_dir / "imports" / "unwritable.geojson.reject.csv"
    assert str(report) in err and report.exists()


def test_a_repairable_polygon_is_repaired_and_reported(url, dimos, tmp_path):
    # a ring that touches itself at one point (an inverted hole): make_valid keeps the area
    ring = [(X0, Y0), (X0 + 20, Y0), (X0 + 20, Y0 + 20), (X0 + 10, Y0 + 20), (X0 + 12, Y0 + 10),
            (X0 + 8, Y0 + 10), (X0 + 10, Y0 + 20), (X0, Y0 + 20)]
    shape = Polygon(ring)
    assert not shape.is_valid
    path = tmp_path / "touching.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"building_id": ["R1"]}, geometry=[shape], crs=2100),
                            path)
    code, out, err = dimos("import", path, "--layer", "buildings")
    assert code == 0, err
    assert "1 repaired" in out
    assert query(url, "SELECT ST_IsValid(geom), round(ST_Area(geom)) FROM buildings "
                      "WHERE building_id = 'R1'") == [(True, 380)]
    report = list(csv.DictReader(path.with_name("touching.gpkg.reject.csv").open(encoding="utf-8-sig")))
    assert report[0]["outcome"] == "repaired" and "make_valid" in report[0]["reason"]


def test_a_point_in_a_polygon_layer_is_refused(url, dimos, tmp_path):
    path = tmp_path / "points.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"building_id": ["P1"]}, geometry=[Point(X0, Y0)],
                                             crs=2100), path, driver="GeoJSON")
    err = refused(url, dimos, "buildings", path, "--layer", "buildings")
    assert "wrong geometry type: a Point in a layer of MultiPolygon" in err


def test_a_missing_required_field_is_refused(url, dimos, tmp_path):
    frame = permits_frame(2, start=700).drop(columns=["status"])
    path = tmp_path / "nostatus.gpkg"
    pyogrio.write_dataframe(frame, path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "no column for the required field status of building_permits" in err
    # present but empty in one row, and a value that is not a date in another
    frame = permits_frame(3, start=710)
    frame.loc[1, "status"] = None
    frame.loc[2, "issued"] = "χθες"
    path = tmp_path / "holes.gpkg"
    pyogrio.write_dataframe(frame, path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "row 2, status: required value missing" in err
    rows = list(csv.DictReader(path.with_name("holes.gpkg.reject.csv").open(encoding="utf-8-sig")))
    assert {(r["row"], r["field"]) for r in rows} == {("2", "status"), ("3", "issue_date")}


def test_duplicate_keys_in_the_file_or_already_stored_are_refused(url, dimos, tmp_path):
    frame = permits_frame(3, start=800)
    frame.loc[2, "permit_no"] = frame.loc[0, "permit_no"]
    path = tmp_path / "dup.gpkg"
    pyogrio.write_dataframe(frame, path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "row 3, permit_number: duplicate key: Α-800/2024 is also row 1" in err
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits",
                  "--mode", "upsert", *PERMIT_MAP)
    assert "row 3, permit_number: duplicate key: Α-800/2024 is also row 1" in err
    first = tmp_path / "first.gpkg"
    pyogrio.write_dataframe(permits_frame(1, start=950), first)
    assert dimos("import", first, "--layer", "building_permits", *PERMIT_MAP)[0] == 0
    path = tmp_path / "stored.gpkg"
    pyogrio.write_dataframe(permits_frame(2, start=949), path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "row 2, permit_number: duplicate key: Α-950/2024 is already stored (use --mode upsert" in err


def test_a_file_in_the_wrong_crs_falls_in_the_sea_and_is_refused(url, dimos, tmp_path):
    # Greek Grid coordinates labelled as UTM zone 35N: they land ~250 km away
    frame = permits_frame(2, start=850).set_crs(32635, allow_override=True)
    path = tmp_path / "utm.gpkg"
    pyogrio.write_dataframe(frame, path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "outside the municipality" in err and "is the CRS right? read as EPSG:32635" in err


# --- re-import, upsert, dry run --------------------------------------------------------------

def test_reimporting_the_same_file_is_a_no_op_and_upsert_updates_by_key(url, dimos, tmp_path):
    path = tmp_path / "batch.gpkg"
    pyogrio.write_dataframe(permits_frame(3, start=1100), path)
    assert dimos("import", path, "--layer", "building_permits", *PERMIT_MAP)[0] == 0
    before = checksum(url, "building_permits")
    code, out, _ = dimos("import", path, "--layer", "building_permits", *PERMIT_MAP)
    assert code == 0 and "already imported" in out and "nothing to do" in out
    assert checksum(url, "building_permits") == before
    changed = permits_frame(4, start=1100)
    changed.loc[0, "status"] = "completed"
    path2 = tmp_path / "batch2.gpkg"
    pyogrio.write_dataframe(changed, path2)
    code, out, err = dimos("import", path2, "--layer", "building_permits", "--mode", "upsert",
                           "--dry-run", *PERMIT_MAP)
    assert code == 0 and "would import" in out and "1 added, 1 updated, 2 unchanged" in out
    assert checksum(url, "building_permits") == before
    code, out, err = dimos("import", path2, "--layer", "building_permits", "--mode", "upsert",
                           *PERMIT_MAP)
    assert code == 0 and "1 added, 1 updated, 2 unchanged" in out, err
    assert query(url, "SELECT status FROM building_permits WHERE permit_number = 'Α-1100/2024'") == [
        ("completed",)]


# --- bulk loads (a file large relative to its layer) ------------------------------------------

@pytest.fixture
def bulk(monkeypatch) -> list:
    """Every streamed import tries a bulk load; what each attempt dropped (None: not locked)."""
    from gis import imports as sqlio
    from importers import pipeline

    monkeypatch.setattr(pipeline, "BULK_MIN_FEATURES", 1)
    monkeypatch.setattr(pipeline, "BULK_SHARE", 0)
    attempts = []
    suspend = sqlio.suspend_keys_and_indexes

    def recorded(cur, layer):
        attempts.append(suspend(cur, layer))
        return attempts[-1]
    monkeypatch.setattr(sqlio, "suspend_keys_and_indexes", recorded)
    return attempts


def table_definition(url, table="building_permits"):
    """The table's indexes, constraints and own triggers (with their enabled state)."""
    return (query(url, "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass "
                       "ORDER BY 1", (table,)),
            query(url, "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                       "WHERE conrelid = %s::regclass ORDER BY 1", (table,)),
            query(url, "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass "
                       "AND NOT tgisinternal ORDER BY 1", (table,)))


def test_a_bulk_load_leaves_indexes_keys_and_the_row_audit_as_they_were(url, dimos, tmp_path, bulk):
    definition = table_definition(url)
    path = tmp_path / "bulk.gpkg"
    pyogrio.write_dataframe(permits_frame(12, start=6000), path)
    code, out, err = dimos("import", path, "--layer", "building_permits", *PERMIT_MAP)
    assert code == 0 and "12 added" in out, err
    # every secondary index, the search's trigram ones (migration 0020) and the tiles' Web
    # Mercator one (0029) too, dropped and rebuilt
    assert [sorted(name for name, _ in a.indexes) for a in bulk] == [
        ["building_permits_jurisdiction_id_idx", "building_permits_kaek_search_idx",
         "building_permits_permit_number_search_idx", "idx_building_permits_geom",
         "idx_building_permits_geom_mercator"]]
    assert table_definition(url) == definition
    import_id = import_id_of(out)
    assert query(url, "SELECT count(*) FROM building_permits WHERE import_id = %s", (import_id,)) == [(12,)]
    # the import is one audit row (its provenance), not one per feature
    assert query(url, "SELECT operation, after ->> 'added' FROM audit_log WHERE table_name = 'imports' "
                      "AND row_id = %s", (import_id,)) == [("INSERT", "12")]
    assert query(url, "SELECT count(*) FROM audit_log a JOIN building_permits b ON a.row_id = b.id "
                      "AND a.table_name = 'building_permits' WHERE b.import_id = %s", (import_id,)) == [(0,)]
    # an ordinary edit afterwards is audited row by row, as before
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE building_permits SET floors = 3 WHERE permit_number = 'Α-6000/2024' "
                    "RETURNING id")
        (edited,), = cur.fetchall()
    conn.close()
    assert query(url, "SELECT after ->> 'floors' FROM audit_log WHERE table_name = 'building_permits' "
                      "AND row_id = %s", (edited,)) == [("3",)]


def test_a_bulk_load_with_repeated_keys_is_refused_reported_and_changes_nothing(url, dimos, tmp_path,
                                                                                bulk):
    definition = table_definition(url)
    frame = permits_frame(12, start=6100)
    frame.loc[11, "permit_no"] = frame.loc[3, "permit_no"]
    path = tmp_path / "bulk-dup.gpkg"
    pyogrio.write_dataframe(frame, path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "row 12, permit_number: duplicate key: Α-6103/2024 is also row 4" in err
    first = tmp_path / "bulk-first.gpkg"
    pyogrio.write_dataframe(permits_frame(1, start=6200), first)
    assert dimos("import", first, "--layer", "building_permits", *PERMIT_MAP)[0] == 0
    path = tmp_path / "bulk-stored.gpkg"
    pyogrio.write_dataframe(permits_frame(10, start=6191), path)
    err = refused(url, dimos, "building_permits", path, "--layer", "building_permits", *PERMIT_MAP)
    assert "row 10, permit_number: duplicate key: Α-6200/2024 is already stored" in err
    assert table_definition(url) == definition


def test_a_bulk_replace_swaps_the_municipalitys_features(make_database, tmp_path, bulk, monkeypatch,
                                                         capsys):
    url = rethymno_database(make_database, "dimos_import_replace")  # replace empties the layer
    monkeypatch.setenv("DATABASE_URL", url)
    old, new = tmp_path / "old.gpkg", tmp_path / "new.gpkg"
    pyogrio.write_dataframe(permits_frame(5, start=6500), old)
    pyogrio.write_dataframe(permits_frame(3, start=6600), new)
    assert main(["import", str(old), "--layer", "building_permits", *PERMIT_MAP]) == 0
    definition = table_definition(url)
    capsys.readouterr()
    assert main(["import", str(new), "--layer", "building_permits", "--mode", "replace",
                 *PERMIT_MAP]) == 0
    assert "3 added, 0 updated, 0 unchanged, 5 deleted" in capsys.readouterr().out
    assert query(url, "SELECT permit_number FROM building_permits ORDER BY 1") == [
        ("Α-6600/2024",), ("Α-6601/2024",), ("Α-6602/2024",)]
    assert table_definition(url) == definition
    assert len(bulk) == 2 and None not in bulk


def test_a_bulk_load_that_cannot_lock_the_layer_takes_the_ordinary_path(url, dimos, tmp_path, bulk,
                                                                        monkeypatch):
    from gis import imports as sqlio

    monkeypatch.setattr(sqlio, "BULK_LOCK_TIMEOUT", "200ms")
    reader = db.connect(url)  # a reader in the middle of a transaction holds the layer
    try:
        with reader.cursor() as cur:
            cur.execute("SELECT count(*) FROM building_permits")
        path = tmp_path / "bulk-busy.gpkg"
        pyogrio.write_dataframe(permits_frame(10, start=6300), path)
        code, out, err = dimos("import", path, "--layer", "building_permits", *PERMIT_MAP)
        assert code == 0 and "10 added" in out, err
        assert bulk == [None]
    finally:
        reader.rollback()
        reader.close()


def test_binary_copy_stores_what_csv_copy_stores(url):
    """Every catalogue type, NULLs, Greek text and a polygon: the same rows either way."""
    import io
    from datetime import date

    import pandas as pd
    import shapely

    from gis import copy_binary
    from gis.imports import _csv, hex_ewkb

    kinds = {"t": "text", "i": "integer", "b": "bigint", "r": "real", "ok": "boolean",
             "d": "date", "ts": "timestamptz", "a": "text[]"}
    frame = pd.DataFrame({
        "t": pd.array(["Αρκαδίου 10", None, ""], dtype="string"),
        "i": pd.array([7, None, -2], dtype="Int64"), "b": pd.array([2 ** 40, None, 1], dtype="Int64"),
        "r": [120.5, float("nan"), -0.25], "ok": pd.Series([True, None, False], dtype=object),
        "d": pd.Series([date(2015, 5, 20), None, date(1969, 12, 31)], dtype=object),
        "ts": pd.to_datetime(["2024-01-02T03:04:05.123456Z", None, "1999-12-31T23:59:59Z"], utc=True,
                             format="ISO8601"),
        "a": pd.Series([None, None, None], dtype=object)})
    geometries = [shapely.Point(X0, Y0), shapely.box(X0, Y0, X0 + 5, Y0 + 5), shapely.Point(X0, Y0 + 1)]
    sql_types = {"real": "double precision"}  # as gis/schema.py declares a real field
    columns = ", ".join(f"{name} {sql_types.get(kind, kind)}" for name, kind in kinds.items())
    columns += ", geom geometry"
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            for table in ("via_binary", "via_csv"):
                cur.execute(f"CREATE TEMP TABLE {table} (n serial, {columns})")
            stream = copy_binary.encode([*(copy_binary.column(kind, frame[name])
                                           for name, kind in kinds.items()),
                                         copy_binary.geometry_column(geometries, 2100)])
            names = ", ".join([*kinds, "geom"])
            cur.copy_expert(f"COPY via_binary ({names}) FROM STDIN WITH (FORMAT binary)",
                            io.BytesIO(stream))
            text = frame.assign(geom=pd.arrays.ArrowExtensionArray(hex_ewkb(geometries, 2100)))
            cur.copy_expert(f"COPY via_csv ({names}) FROM STDIN WITH (FORMAT csv)", _csv(text))
            cur.execute(f"SELECT {names}, ST_AsEWKT(geom) FROM via_binary ORDER BY n")
            binary = cur.fetchall()
            cur.execute(f"SELECT {names}, ST_AsEWKT(geom) FROM via_csv ORDER BY n")
            assert binary == cur.fetchall()
            assert binary[0][:7] == ("Αρκαδίου 10", 7, 2 ** 40, 120.5, True, date(2015, 5, 20),
                                     pd.Timestamp("2024-01-02T03:04:05.123456Z").to_pydatetime())
            assert binary[1][:8] == (None,) * 8 and binary[2][0] == ""
    finally:
        conn.rollback()
        conn.close()


# --- exports ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(url, tmp_path_factory) -> str:
    """Three permits (Α-5000..5002/2024) at the old town for the export tests; their filter."""
    path = tmp_path_factory.mktemp("export") / "to-export.gpkg"
    pyogrio.write_dataframe(permits_frame(3, start=5000), path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        assert main(["import", str(path), "--layer", "building_permits", *PERMIT_MAP]) == 0
    return "permit_number LIKE 'Α-500_/2024'"


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "csv", "dxf"])
@pytest.mark.parametrize("crs", ["EPSG:2100", "EPSG:4326"])
def test_a_layer_exports_to_every_format_in_both_crs(url, exported, dimos, tmp_path, fmt, crs):
    out = tmp_path / f"permits.{'zip' if fmt == 'shp' else fmt}"
    code, printed, err = dimos("export", "building_permit_sites", "--format", fmt, "--crs", crs,
                               "--filter", exported, "-o", out)
    assert code == 0, err
    assert "exported 3 features" in printed
    if fmt == "shp":
        with zipfile.ZipFile(out) as archive:
            names = archive.namelist()
            assert "building_permit_sites.cpg" in names
            assert archive.read("building_permit_sites.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        frame = pyogrio.read_dataframe(f"/vsizip/{out}/building_permit_sites.shp")
        addresses = sorted(frame["address"])
    elif fmt == "csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
        frame = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries.from_wkt([r["wkt"] for r in rows]),
                                 crs=crs)
        addresses = sorted(r["address"] for r in rows)
    else:
        frame = pyogrio.read_dataframe(out)
        addresses = sorted(frame["address"]) if fmt != "dxf" else None
    assert len(frame) == 3
    if addresses is not None:
        assert addresses == ["Αρκαδίου 10, Ρέθυμνο", "Αρκαδίου 11, Ρέθυμνο", "Αρκαδίου 12, Ρέθυμνο"]
    # where it was drawn, in the CRS asked for
    x, y = (X0, Y0) if crs == "EPSG:2100" else Transformer.from_crs(2100, 4326, always_xy=True
                                                                     ).transform(X0, Y0)
    first = min(frame.geometry, key=lambda g: (g.x, g.y))
    tolerance = 0.01 if crs == "EPSG:2100" else 1e-7
    assert abs(first.x - x) < tolerance and abs(first.y - y) < tolerance
    if fmt in ("gpkg", "shp", "geojson") and frame.crs is not None:
        assert frame.crs.to_epsg() == int(crs.split(":")[1])


def test_an_export_by_bbox_and_its_refusals(url, exported, dimos, tmp_path):
    lon, lat = Transformer.from_crs(2100, 4326, always_xy=True).transform(X0, Y0)
    out = tmp_path / "box.geojson"
    code, printed, err = dimos("export", "building_permit_sites", "--format", "geojson", "--bbox",
                               f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}", "-o", out)
    assert code == 0, err
    assert set(pyogrio.read_dataframe(out)["permit_number"]) >= {"Α-5000/2024"}
    # a .shp name gives the shapefile's parts, .cpg included, rather than a zip
    code, printed, err = dimos("export", "building_permit_sites", "--format", "shp", "--filter",
                               "permit_number = 'Α-5000/2024'", "-o", tmp_path / "one.shp")
    assert code == 0, err
    assert (tmp_path / "one.cpg").exists()
    assert pyogrio.read_dataframe(tmp_path / "one.shp")["address"].tolist() == ["Αρκαδίου 10, Ρέθυμνο"]
    code, _, err = dimos("export", "building_permit_sites", "--bbox", "1,2,3", "-o", out)
    assert code == 1 and "--bbox '1,2,3': four numbers" in err
    code, _, err = dimos("export", "building_permit_sites", "--filter", "permit_number = 'none'", "-o", out)
    assert code == 1 and "the selection is empty" in err


# --- HTTP upload for staff -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def web(url, state_dir):
    """The app (no OGC: pygeoapi is configured once per process) on the module's database, and
    a staff and a citizen token."""
    from accounts.tokens import issue_token
    from dimos.app import create_app
    from settings import Settings

    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        tokens = {role: issue_token(cur, f"import-test-{role}", role) for role in ("staff", "citizen")}
    conn.close()
    app = create_app(Settings(database_url=url, import_max_mb=1, state_dir=state_dir),
                     with_ogc=False)
    return app.test_client(), tokens


def _upload(client, token, path: Path, **form):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with path.open("rb") as handle:
        data = {"file": (handle, path.name), **form}
        return client.post("/api/imports", data=data, headers=headers,
                           content_type="multipart/form-data")


def test_staff_upload_a_file_through_the_same_pipeline(url, web, tmp_path):
    client, tokens = web
    path = tmp_path / "στάσεις.geojson"
    stops = gpd.GeoDataFrame({"stop_id": ["U1", "U2"], "name": ["Πύλη Γουόρα", "Φορτέτσα"]},
                             geometry=[Point(X0 + 5, Y0 + 5), Point(X0 + 60, Y0 + 60)], crs=2100)
    pyogrio.write_dataframe(stops.to_crs(4326), path, driver="GeoJSON")
    assert _upload(client, None, path, layer="bus_stops").status_code == 401
    assert _upload(client, tokens["citizen"], path, layer="bus_stops").status_code == 403
    answer = _upload(client, tokens["staff"], path, layer="bus_stops", set="smart=true")
    assert answer.status_code == 200, answer.json
    assert answer.json["added"] == 2 and answer.json["source_crs"] == "EPSG:4326"
    (file_name, actor), = query(url, "SELECT file_name, actor FROM imports WHERE id = %s",
                                (answer.json["import_id"],))
    assert (file_name, actor) == ("στάσεις.geojson", "staff:import-test-staff")
    assert query(url, "SELECT name, smart FROM bus_stops WHERE import_id = %s ORDER BY stop_id",
                 (answer.json["import_id"],)) == [("Πύλη Γουόρα", True), ("Φορτέτσα", True)]
    again = _upload(client, tokens["staff"], path, layer="bus_stops", set="smart=true")
    assert again.status_code == 200 and again.json["already_imported"] is True
    staff = {"Authorization": f"Bearer {tokens['staff']}"}
    assert client.get("/api/imports").status_code == 401
    listed = client.get("/api/imports", query_string={"layer": "bus_stops"}, headers=staff).json
    newest = listed["imports"][0]
    assert (newest["id"], newest["file_name"], newest["added"], newest["status"]) == (
        answer.json["import_id"], "στάσεις.geojson", 2, "committed")
    assert {i["layer"] for i in listed["imports"]} == {"bus_stops"}


def test_an_upload_with_bad_rows_answers_422_with_every_rejection(url, web, tmp_path):
    client, tokens = web
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    path = tmp_path / "bad.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"building_id": ["X1", None]},
                                             geometry=[bowtie, Point(X0, Y0)], crs=2100), path)
    before = checksum(url, "buildings")
    answer = _upload(client, tokens["staff"], path, layer="buildings")
    assert answer.status_code == 422
    assert answer.json["description"].startswith("bad.gpkg: nothing imported: 2 rows")
    assert {(r["row"], r["field"]) for r in answer.json["rejects"]} == {
        (1, "geometry"), (2, "building_id"), (2, "geometry")}
    assert checksum(url, "buildings") == before


def test_an_upload_above_the_size_limit_is_refused_unread(web, tmp_path):
    client, tokens = web
    path = tmp_path / "big.geojson"
    path.write_bytes(b" " * (2 * 2 ** 20))
    answer = _upload(client, tokens["staff"], path, layer="bus_stops")
    assert answer.status_code == 413 and "larger than 1 MB" in answer.json["description"]


def test_the_export_link_gives_a_zipped_shapefile_in_4326_or_csv_of_a_bbox(web, exported):
    import io

    client, _ = web
    answer = client.get("/api/export", query_string={
        "layer": "building_permit_sites", "format": "shp", "crs": "EPSG:4326",
        "filter": exported})
    assert answer.status_code == 200 and answer.content_type == "application/zip"
    assert 'filename="building_permit_sites.zip"' in answer.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        assert archive.read("building_permit_sites.cpg").decode().strip().upper() == "UTF-8"
    lon, lat = Transformer.from_crs(2100, 4326, always_xy=True).transform(X0, Y0)
    answer = client.get("/api/export", query_string={
        "layer": "building_permit_sites", "format": "csv",
        "bbox": f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}"})
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8"))))
    assert "Α-5000/2024" in {r["permit_number"] for r in rows}
    assert rows[0]["wkt"].startswith("POINT (")
    assert client.get("/api/export", query_string={"layer": "building_permit_sites", "format": "xlsx"}
                      ).status_code == 400
    assert client.get("/api/export", query_string={"layer": "building_permit_sites", "crs": "EPSG:3857"}
                      ).status_code == 400

def test_an_export_names_a_collection_and_holds_its_geometry_type_only(url, web, exported,
                                                                      tmp_path):
    """Permits are one table, two collections (parcels, sites): each exports as the OGC API
    serves it, its own geometry type and nothing else."""
    import io

    frame = permits_frame(1, start=5100)
    frame = frame.set_geometry(gpd.GeoSeries([MultiPolygon([Point(X0, Y0 - 200).buffer(8)])],
                                             crs=2100))
    path = tmp_path / "parcel.gpkg"
    pyogrio.write_dataframe(frame, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        assert main(["import", str(path), "--layer", "building_permits", *PERMIT_MAP]) == 0
    client, _ = web
    both = "permit_number LIKE 'Α-5%/2024'"  # the three sites of `exported` and this parcel

    def exported_rows(collection):
        answer = client.get("/api/export", query_string={"layer": collection, "format": "csv",
                                                         "filter": both})
        assert answer.status_code == 200, answer.json
        return {r["permit_number"]: r["wkt"].split(" ")[0]
                for r in csv.DictReader(io.StringIO(answer.data.decode("utf-8")))}

    sites, parcels = exported_rows("building_permit_sites"), exported_rows("building_permits")
    assert {"Α-5000/2024", "Α-5001/2024", "Α-5002/2024"} <= set(sites)
    assert set(sites.values()) == {"POINT"} and "Α-5100/2024" not in sites
    assert "Α-5100/2024" in parcels and set(parcels.values()) == {"MULTIPOLYGON"}
    assert "Α-5000/2024" not in parcels
    answer = client.get("/api/export", query_string={"layer": "permits"})
    assert answer.status_code == 400
    assert "building_permit_sites" in answer.json["description"]


# --- scanned plans: COGs, footprints, tiles ---------------------------------------------------

def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _scan_pixels(width=200, height=100):
    """An RGB scan: white paper with a red block in its middle."""
    import numpy as np

    pixels = np.full((3, height, width), 255, dtype="uint8")
    pixels[1:, height // 4: 3 * height // 4, width // 4: 3 * width // 4] = 0
    return pixels


def _write_scan(path: Path, left: float, top: float) -> Path:
    """A 100 m × 50 m GeoTIFF scan (EPSG:2100, 0.5 m pixels) with its top left at (left, top)."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=3, dtype="uint8",
                       crs="EPSG:2100", transform=from_origin(left, top, 0.5, 0.5)) as out:
        out.write(_scan_pixels())
    return path


def test_a_geotiff_scan_becomes_a_cog_with_its_footprint_and_is_served_as_tiles(
        url, dimos, web, state_dir, tmp_path):
    import io

    import numpy as np
    import rasterio
    from PIL import Image

    plan = tmp_path / "plan.geojson"
    area = Polygon([(X0 - 200, Y0 - 200), (X0 + 300, Y0 - 200), (X0 + 300, Y0 + 200),
                    (X0 - 200, Y0 + 200)])
    pyogrio.write_dataframe(gpd.GeoDataFrame(
        {"plan_id": ["RS-1987"], "plan_type": ["Ρυμοτομικό"], "title": ["Ρυμοτομικό παλιάς πόλης"],
         "fek": ["ΦΕΚ 123/Δ/1987"], "approval_date": ["1987-03-02"], "valid_from": ["1987-03-02"]},
        geometry=[MultiPolygon([area])], crs=2100), plan, driver="GeoJSON")
    assert dimos("import", plan, "--layer", "plans")[0] == 0
    scan = _write_scan(tmp_path / "σάρωση.tif", X0, Y0 + 50)
    before = query(url, "SELECT count(*) FROM scanned_plans")
    code, _, err = dimos("import", scan, "--layer", "scanned_plans", "--set", "plan_id=RS-1999")
    assert code == 1 and "no such plan" in err
    assert query(url, "SELECT count(*) FROM scanned_plans") == before
    code, out, err = dimos("import", scan, "--layer", "scanned_plans", "--set", "plan_id=RS-1987")
    assert code == 0, err
    (scan_id, plan_id, cog, area_m2, xmin, ymin, resolution), = query(
        url, "SELECT id, plan_id, cog, ST_Area(footprint), ST_XMin(footprint), ST_YMin(footprint), "
             "resolution_m FROM scanned_plans WHERE import_id = %s", (import_id_of(out),))
    assert plan_id == "RS-1987" and abs(area_m2 - 100 * 50) < 0.01 and resolution == 0.5
    assert abs(xmin - X0) < 0.01 and abs(ymin - Y0) < 0.01
    # the COG is in the scan's row (every node reads it there), not in this node's folder
    (data,), = query(url, "SELECT cog_data FROM scanned_plans WHERE id = %s", (scan_id,))
    assert not (state_dir / "rasters" / cog).exists()
    with rasterio.MemoryFile(bytes(data)) as memory, memory.open() as stored:
        assert stored.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert stored.crs.to_epsg() == 2100 and stored.read().tolist() == _scan_pixels().tolist()
    client, _ = web
    footprints = client.get("/api/scanned-plans").json
    assert [f["properties"]["plan_id"] for f in footprints["features"] if f["id"] == scan_id] == [
        "RS-1987"]
    lon, lat = Transformer.from_crs(2100, 4326, always_xy=True).transform(X0 + 50, Y0 + 25)
    x, y = _tile_of(lon, lat, 19)
    answer = client.get(f"/api/scanned-plans/{scan_id}/tiles/19/{x}/{y}.png")
    assert answer.status_code == 200 and answer.content_type == "image/png"
    pixels = np.asarray(Image.open(io.BytesIO(answer.data)).convert("RGBA"))
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 50) & (pixels[..., 3] == 255)
    assert red.any()  # the block drawn in the scan's middle is in the tile over its middle
    far_x, far_y = _tile_of(25.0, 35.3, 19)
    assert client.get(f"/api/scanned-plans/{scan_id}/tiles/19/{far_x}/{far_y}.png").status_code == 404
    code, out, _ = dimos("import", scan, "--layer", "scanned_plans", "--set", "plan_id=RS-1987")
    assert "already imported" in out


def test_a_scan_imported_on_one_node_is_tiled_by_another_with_an_empty_state_folder(
        url, dimos, tmp_path, monkeypatch, capsys):
    from dimos.app import create_app
    from settings import Settings

    plan_area = MultiPolygon([Polygon([(X0 - 900, Y0 - 900), (X0 - 500, Y0 - 900),
                                       (X0 - 500, Y0 - 500), (X0 - 900, Y0 - 500)])])
    plan = tmp_path / "plan.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame(
        {"plan_id": ["RS-2001"], "plan_type": ["Ρυμοτομικό"], "title": ["Επέκταση 2001"],
         "fek": ["ΦΕΚ 77/Δ/2001"], "approval_date": ["2001-05-02"], "valid_from": ["2001-05-02"]},
        geometry=[plan_area], crs=2100), plan, driver="GeoJSON")
    assert dimos("import", plan, "--layer", "plans")[0] == 0
    scan = _write_scan(tmp_path / "node-a.tif", X0 - 800, Y0 - 600)
    node_a = tmp_path / "node-a"
    code, out, err = cli_on(url, node_a, monkeypatch, capsys)(
        "import", scan, "--layer", "scanned_plans", "--set", "plan_id=RS-2001")
    assert code == 0, err
    (scan_id,), = query(url, "SELECT id FROM scanned_plans WHERE import_id = %s",
                        (import_id_of(out),))
    node_b = tmp_path / "node-b"  # another node: nothing of A's folder
    client = create_app(Settings(database_url=url, state_dir=node_b), with_ogc=False).test_client()
    lon, lat = Transformer.from_crs(2100, 4326, always_xy=True).transform(X0 - 750, Y0 - 625)
    x, y = _tile_of(lon, lat, 19)
    first = client.get(f"/api/scanned-plans/{scan_id}/tiles/19/{x}/{y}.png")
    assert first.status_code == 200 and first.content_type == "image/png"
    cached = list((node_b / "raster-cache").iterdir())
    assert [p.suffix for p in cached] == [".tif"]  # B's own copy, whole (no .part left)
    shutil.rmtree(node_b / "raster-cache")  # safe to lose: fetched again
    again = client.get(f"/api/scanned-plans/{scan_id}/tiles/19/{x}/{y}.png")
    assert again.status_code == 200 and again.data == first.data


def test_an_image_with_a_world_file_needs_crs_and_lands_within_a_metre(url, dimos, tmp_path):
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.fromarray(_scan_pixels().transpose(1, 2, 0)).save(image)
    before = query(url, "SELECT count(*), md5(string_agg(sha256, '' ORDER BY id)) FROM scanned_plans")
    code, _, err = dimos("import", image, "--layer", "scanned_plans")
    assert code == 1 and "scan.png: not georeferenced" in err
    # world file: pixel size, rotations, then the centre of the top-left pixel
    image.with_suffix(".pgw").write_text(f"0.5\n0\n0\n-0.5\n{X0 + 1000.25}\n{Y0 + 49.75}\n")
    code, _, err = dimos("import", image, "--layer", "scanned_plans")
    assert code == 1 and "no CRS in scan.png (it has a world file" in err
    code, _, err = dimos("import", image, "--layer", "scanned_plans", "--crs", "EPSG:32635")
    assert code == 1 and "outside the municipality" in err
    assert query(url, "SELECT count(*), md5(string_agg(sha256, '' ORDER BY id)) "
                      "FROM scanned_plans") == before
    code, out, err = dimos("import", image, "--layer", "scanned_plans", "--crs", "EPSG:2100",
                           "--set", "title=Τοπογραφικό")
    assert code == 0, err
    (xmin, ymax, title), = query(url, "SELECT ST_XMin(footprint), ST_YMax(footprint), title "
                                      "FROM scanned_plans WHERE file_name = 'scan.png'")
    assert abs(xmin - (X0 + 1000)) < 1 and abs(ymax - (Y0 + 50)) < 1 and title == "Τοπογραφικό"


def _osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="dimos-test">']
    for node_id, (lon, lat) in nodes.items():
        lines.append(f'<node id="{node_id}" version="1" lat="{lat}" lon="{lon}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'<way id="{way_id}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    return "\n".join(lines)


def test_a_small_osm_file_gives_one_ways_speeds_and_a_noded_topology(make_database, tmp_path,
                                                                      monkeypatch, capsys):
    """Three streets meeting at one node: a one-way (tagged -1: drawn against its direction), a
    40 km/h street and a residential street with the default speed."""
    url = rethymno_database(make_database, "dimos_import_osm")
    lon, lat = 24.4745, 35.3680
    d = 0.001  # ~100 m
    nodes = {1: (lon - d, lat), 2: (lon, lat), 3: (lon + d, lat), 4: (lon, lat + d), 5: (lon, lat - d)}
    ways = [(10, [3, 2, 1], {"highway": "tertiary", "name": "Αρκαδίου", "oneway": "-1"}),
            (11, [4, 2], {"highway": "primary", "name": "Κουντουριώτη", "maxspeed": "40"}),
            (12, [2, 5], {"highway": "residential"})]
    path = tmp_path / "small.osm"
    path.write_text(_osm_xml(nodes, ways), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["import", str(path), "--layer", "roads"]) == 0, capsys.readouterr().err
    rows = query(url, "SELECT road_id, road_class, oneway, maxspeed_kmh, round(length_m), "
                      "round(cost_s::numeric, 1), reverse_cost_s < 0, source, target FROM roads "
                      "ORDER BY road_id")
    by_id = {r[0]: r[1:] for r in rows}
    # way 10 is cut at node 2 into two pieces, both reversed to run 1 → 2 → 3
    assert set(by_id) == {"osm:way/10:0", "osm:way/10:1", "osm:way/11:0", "osm:way/12:0"}
    assert by_id["osm:way/10:0"][:3] == ("tertiary", True, 40) and by_id["osm:way/10:0"][5] is True
    assert by_id["osm:way/11:0"][:3] == ("primary", False, 40) and by_id["osm:way/11:0"][5] is False
    assert by_id["osm:way/12:0"][2] == 30  # Greek urban default for residential streets
    length, cost = by_id["osm:way/11:0"][3], by_id["osm:way/11:0"][4]
    assert 105 < length < 115 and abs(float(cost) - float(length) / (40 / 3.6)) < 0.2
    # node 2 is one vertex shared by all four pieces; the one-way now runs west to east
    (x_first,), = query(url, "SELECT ST_X(ST_StartPoint(geom)) < ST_X(ST_EndPoint(geom)) FROM roads "
                             "WHERE road_id = 'osm:way/10:0'")
    assert x_first is True
    assert query(url, "SELECT count(*) FROM road_vertices") == [(5,)]
    (shared,), = query(url, """
        SELECT count(*) FROM roads r JOIN road_vertices v ON v.id IN (r.source, r.target)
        WHERE ST_DWithin(v.geom, ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 2100), 0.5)""",
                       (lon, lat))
    assert shared == 4

# --- the real files of data/sources ------------------------------------------------------------

def test_the_elstat_zip_of_greece_imports_rethymno_as_a_district(url, dimos, tmp_path):
    """333 municipalities in EPSG:2100, in a folder named in a legacy code page."""
    path = real_file(tmp_path, "boundaries/elstat_municipalities_2021_epsg2100.zip")
    code, _, err = dimos("import", path, "--layer", "districts", "--map", "district_code=CODE",
                         "--map", "name=NAME_GR", "--dry-run")
    assert code == 1 and "outside the municipality" in err  # Greece is not Rethymno
    code, out, err = dimos("import", path, "--layer", "districts", "--map", "district_code=CODE",
                           "--map", "name=NAME_GR", "--skip-outside")
    assert code == 0, err
    assert "(EPSG:2100)" in out and "333 read, 1 added" in out and "332 left out" in out
    assert query(url, "SELECT name, round(ST_Area(geom) / 1e6) FROM districts "
                      "WHERE district_code = '7301'") == [("ΔΗΜΟΣ ΡΕΘΥΜΝΗΣ", 394)]


def test_the_kallikratis_geojson_imports(url, dimos, tmp_path):
    path = real_file(tmp_path, "boundaries/crete_municipalities_kallikratis_wgs84.geojson")
    code, out, err = dimos("import", path, "--layer", "districts", "--map", "district_code=KWD_YPES",
                           "--map", "name=NAME", "--skip-outside")
    assert code == 0, err
    assert "(EPSG:4326)" in out and "24 read, 1 added" in out
    # the two sources' outlines of the municipality, reprojected, agree on its area
    assert query(url, "SELECT name, round(ST_Area(geom) / 1e6) FROM districts "
                      "WHERE district_code = '9318'") == [("Ρεθύμνης", 394)]


def test_the_settlements_geopackage_updates_the_census_figures_of_stored_boundaries(url, dimos,
                                                                                    tmp_path):
    """Its points cannot go into a polygon layer (the catalogue's settlements are boundaries);
    they update the attributes of the boundaries stored, by ELSTAT code."""
    from importers.sources import open_source

    path = real_file(tmp_path, "settlements/crete_settlements_2021_epsg2100.gpkg")
    source = open_source(path, path.parent)
    assert source.crs.to_epsg() == 2100 and source.features == 1594
    frame = next(source.chunks())
    town = frame[frame["settlement_code"] == "7301010101"].iloc[0]
    assert town["name"] == "Ρέθυμνον"
    assert abs(town.geometry.x - town["egsa87_x"]) < 0.01
    # the properly transformed WGS84 columns agree with pyproj's GGRS87 datum shift within 1 m
    x, y = TO_2100.transform(town["lon_wgs84"], town["lat_wgs84"])
    assert abs(x - town["egsa87_x"]) < 1 and abs(y - town["egsa87_y"]) < 1
    code, out, err = dimos("import", path, "--layer", "settlements", "--skip-outside", "--set",
                           "category=under_2000", "--dry-run")
    assert code == 1 and "wrong geometry type: a Point in a layer of MultiPolygon" in err
    # what the points are for: census figures onto the settlement boundaries already stored
    ours = frame[frame["settlement_code"].isin(["7301010101", "7301020101"])]
    boundaries = tmp_path / "oria.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame(
        {"settlement_code": list(ours["settlement_code"]), "name": list(ours["name"]),
         "category": ["town_plan", "under_2000"], "population_2021": [1, 1]},
        geometry=[MultiPolygon([g.buffer(300)]) for g in ours.geometry], crs=2100),
        boundaries, driver="GeoJSON")
    assert dimos("import", boundaries, "--layer", "settlements")[0] == 0
    geometry_before = query(url, "SELECT md5(string_agg(ST_AsEWKB(geom)::text, '' ORDER BY id)) "
                                 "FROM settlements")
    census = ("--map", "population_2021=community_pop_2021", "--map", "community_name=community_name",
              "--map", "municipal_unit_name=municipal_unit_name")
    code, _, err = dimos("import", path, "--layer", "settlements", "--attributes-only", *census)
    assert code == 1 and "--attributes-only updates stored features: use it with --mode upsert" in err
    code, out, err = dimos("import", path, "--layer", "settlements", "--mode", "upsert",
                           "--attributes-only", "--skip-outside", *census)
    assert code == 0, err
    assert "0 added, 2 updated, 0 unchanged" in out and "1592 left out" in out
    assert query(url, "SELECT settlement_code, population_2021, community_name FROM settlements "
                      "WHERE settlement_code IN %s ORDER BY 1",
                 (tuple(ours["settlement_code"]),)) == [
        (row.settlement_code, row.community_pop_2021, row.community_name)
        for row in ours.sort_values("settlement_code").itertuples()]
    assert query(url, "SELECT md5(string_agg(ST_AsEWKB(geom)::text, '' ORDER BY id)) "
                      "FROM settlements") == geometry_before


def test_openstreetmap_gives_a_routable_street_network_and_its_amenities(url, dimos, tmp_path):
    path = real_file(tmp_path, "osm/rethymno.osm")
    code, out, err = dimos("import", path, "--layer", "roads", "--skip-outside")
    assert code == 0, err
    assert "road topology rebuilt" in out
    roads = import_id_of(out)
    (segments, oneways, unrouted, named), = query(
        url, "SELECT count(*), count(*) FILTER (WHERE oneway AND reverse_cost_s < 0), "
             "count(*) FILTER (WHERE source IS NULL OR target IS NULL), "
             "count(*) FILTER (WHERE name LIKE 'Αρκαδίου%%') FROM roads WHERE import_id = %s",
        (roads,))
    assert segments > 600 and oneways > 50 and unrouted == 0 and named > 0
    # a route across the old town: pgRouting finds it on the imported network
    (cost,), = query(url, f"""
        SELECT max(agg_cost) FROM pgr_dijkstra(
            'SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM roads
             WHERE import_id = {roads:d}',
            (SELECT source FROM roads WHERE import_id = %s ORDER BY road_id LIMIT 1),
            (SELECT target FROM roads WHERE import_id = %s ORDER BY road_id DESC LIMIT 1))""",
                   (roads, roads))
    assert cost and cost > 0
    for layer, expected in (("buildings", 300), ("bus_stops", 10), ("parking_lots", 15),
                            ("refuge_areas", 10)):
        code, out, err = dimos("import", path, "--layer", layer, "--skip-outside")
        assert code == 0, err
        osm_only = " AND building_id LIKE 'osm:%%'" if layer == "buildings" else ""
        assert query(url, f"SELECT count(*) FROM {layer} WHERE import_id = %s{osm_only}",
                     (import_id_of(out),))[0][0] > expected
    # the same extract again: a no-op
    code, out, _ = dimos("import", path, "--layer", "roads", "--skip-outside")
    assert "already imported" in out


def test_the_same_extract_as_osm_pbf_gives_the_same_street_network(make_database, state_dir,
                                                                   monkeypatch, capsys, tmp_path):
    import osmium

    # a database of its own: replace swaps the municipality's whole road network
    url = rethymno_database(make_database, "dimos_import_pbf")
    dimos = cli_on(url, state_dir, monkeypatch, capsys)

    signature = ("SELECT count(*), round(sum(ST_Length(geom))), count(*) FILTER (WHERE oneway), "
                 "count(DISTINCT name), count(*) FILTER (WHERE source IS NULL) FROM roads "
                 "WHERE jurisdiction_id = 'rethymno'")
    code, _, err = dimos("import", real_file(tmp_path, "osm/rethymno.osm"), "--layer", "roads",
                         "--skip-outside", "--mode", "replace")
    assert code == 0, err
    from_osm = query(url, signature)
    assert from_osm[0][0] > 600
    pbf = tmp_path / "rethymno.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:  # the binary format extracts come in
        for entity in osmium.FileProcessor(str(SOURCES / "osm" / "rethymno.osm")):
            writer.add(entity)
    code, out, err = dimos("import", pbf, "--layer", "roads", "--skip-outside", "--mode",
                           "replace")
    assert code == 0, err
    assert "road topology rebuilt" in out
    assert query(url, signature) == from_osm


def test_chania_and_agios_nikolaos_extracts_go_to_their_own_municipalities(make_database, state_dir,
                                                                           monkeypatch, capsys,
                                                                           tmp_path):
    # a database of its own: three municipalities make every import without --jurisdiction
    # ambiguous, which the other tests of the module do not expect
    url = rethymno_database(make_database, "dimos_import_neighbours")
    dimos = cli_on(url, state_dir, monkeypatch, capsys)
    code, _, err = dimos("import", real_file(tmp_path, "osm/rethymno.osm"), "--layer", "roads",
                         "--skip-outside")
    assert code == 0, err
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        for jid, code in (("chania", "9325"), ("agios_nikolaos", "9310")):
            name, boundary = read_municipality(KALLIKRATIS, code)
            upsert_jurisdiction(cur, {"id": jid, "name_el": name, "name_en": jid,
                                      "ypes_code": code, "elstat_code": None, "boundary": boundary})
    conn.close()
    rethymno_roads = checksum(url, "roads WHERE jurisdiction_id = 'rethymno'")
    assert rethymno_roads[0] > 600  # Rethymno's real network, for its neighbours to leave alone
    path = real_file(tmp_path, "osm/chania.osm")
    code, _, err = dimos("import", path, "--layer", "roads")
    assert code == 1 and "3 municipalities" in err and "--jurisdiction" in err
    for jid, file in (("chania", "chania.osm"), ("agios_nikolaos", "agios_nikolaos.osm")):
        before = checksum(url, "roads")
        code, out, err = dimos("import", real_file(tmp_path, f"osm/{file}"), "--layer", "roads",
                               "--jurisdiction", jid, "--skip-outside")
        assert code == 0, err
        assert query(url, "SELECT count(*) > 300, count(*) FILTER (WHERE source IS NULL) "
                          "FROM roads WHERE jurisdiction_id = %s", (jid,)) == [(True, 0)]
        assert before != checksum(url, "roads")
    # Rethymno's network is untouched by its neighbours' imports
    assert checksum(url, "roads WHERE jurisdiction_id = 'rethymno'") == rethymno_roads


def test_the_repositorys_data_is_left_as_it_was():
    """Imports of the real files run on copies: no report lands in data/sources."""
    assert not list(SOURCES.rglob("*.reject.csv"))
