"""Hostile values: every value an importer cannot store as written — an infinite coordinate,
undecodable text, an impossible date, a NUL, a boolean or a fraction where a whole number
belongs — is refused with a finding naming its row and field, through `dimos import` (one
line, no traceback) and POST /api/imports (422), and the layer is left exactly as it was.
Nothing is rolled over, truncated or converted silently."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dimos.cli import main
from gis import db
from tests.test_importers import X0, Y0, _upload, checksum, cli_on, rethymno_database

SQUARE = [[X0, Y0], [X0 + 10, Y0], [X0 + 10, Y0 + 10], [X0, Y0 + 10], [X0, Y0]]
ZONE = {"zone_id": "HV1", "plan_id": "P1", "zone_code": "Α1", "land_use": "green",
        "valid_from": "2020-01-01"}
STOP = {"stop_id": "HV1", "smart": True}
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2100"}}


def feature_collection(properties: dict, geometry: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "crs": CRS, "features": [
        {"type": "Feature", "properties": properties, "geometry": geometry}]}, ensure_ascii=False)


def zone(**values) -> bytes:
    return feature_collection({**ZONE, **values},
                              {"type": "Polygon", "coordinates": [SQUARE]}).encode()


def stop(**values) -> bytes:
    return feature_collection({**STOP, **values},
                              {"type": "Point", "coordinates": [X0, Y0]}).encode()


def infinite_coordinate() -> bytes:
    text = feature_collection(STOP, {"type": "Point", "coordinates": ["X", Y0]})
    return text.replace('"X"', "Infinity").encode()


def nan_coordinate() -> bytes:
    text = feature_collection(ZONE, {"type": "Polygon", "coordinates": [[*SQUARE[:2], ["X", Y0],
                                                                         *SQUARE[2:]]]})
    return text.replace('"X"', "NaN").encode()


def windows_1253_text() -> bytes:
    return stop(name="@@").replace('"@@"'.encode(), '"Ρέθυμνο"'.encode("cp1253"))


#: (layer, file content, the refused row's field, words of the reason)
CASES = {
    "an infinite coordinate": ("bus_stops", infinite_coordinate, "geometry", "not finite"),
    "a NaN coordinate": ("zoning", nan_coordinate, "geometry", "not finite"),
    "text that is not UTF-8": ("bus_stops", windows_1253_text, "name", "UTF-8"),
    "an impossible date (30 February)": ("zoning", lambda: zone(valid_from="2021-02-30"),
                                         "valid_from", "not a valid date"),
    "the year 0": ("zoning", lambda: zone(valid_from="0000-01-01"), "valid_from", "year"),
    "a NUL in text": ("bus_stops", lambda: stop(name="a\u0000b"), "name", "NUL"),
    "true into an integer": ("zoning", lambda: zone(max_floors=True), "max_floors", "boolean"),
    "true into a bigint": ("bus_stops", lambda: stop(osm_id=True), "osm_id", "boolean"),
    "true into a real": ("zoning", lambda: zone(coverage_pct=True), "coverage_pct", "boolean"),
    "a fraction into an integer": ("zoning", lambda: zone(max_floors=2.5), "max_floors",
                                   "not a whole number"),
    "text into a number": ("zoning", lambda: zone(building_coefficient="high"),
                           "building_coefficient", "not a valid real"),
    "a bigint out of range": ("bus_stops", lambda: stop(osm_id="99999999999999999999"), "osm_id",
                              "out of range"),
    "an infinite real": ("zoning", lambda: zone(min_plot_area_m2="1e400"), "min_plot_area_m2",
                         "not finite"),
}


@pytest.fixture(scope="module")
def url(make_database, tmp_path_factory):
    """The module's database, with one zone and one stop already stored."""
    url = rethymno_database(make_database, "dimos_hostile_values")
    folder = tmp_path_factory.mktemp("seed")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", url)
        env.setenv("DIMOS_STATE_DIR", str(folder / "state"))
        for layer, content in (("zoning", zone(zone_id="SEED")), ("bus_stops", stop(stop_id="SEED"))):
            path = folder / f"{layer}.geojson"
            path.write_bytes(content)
            assert main(["import", str(path), "--layer", layer, "--crs", "EPSG:2100"]) == 0
    return url


@pytest.fixture
def dimos(url, tmp_path, monkeypatch, capsys):
    return cli_on(url, tmp_path / "state", monkeypatch, capsys)


@pytest.fixture(scope="module")
def web(url, tmp_path_factory):
    from accounts.tokens import issue_token
    from dimos.app import create_app
    from settings import Settings

    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        staff = issue_token(cur, "hostile-values-staff", "staff")
    conn.close()
    app = create_app(Settings(database_url=url, state_dir=tmp_path_factory.mktemp("state")),
                     with_ogc=False)
    return app.test_client(), staff


def _refused_by_the_cli(dimos, path: Path, layer: str, *extra) -> str:
    code, out, err = dimos("import", path, "--layer", layer, "--crs", "EPSG:2100", *extra)
    assert code == 1, (out, err)
    assert err.startswith("dimos: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_value_is_refused_with_its_row_and_field_and_nothing_changes(case, url, dimos, web,
                                                                           tmp_path):
    layer, content, field, reason = CASES[case]
    path = tmp_path / "hostile.geojson"
    key = f'"HV{list(CASES).index(case)}"'.encode()  # were one stored, the next case is not a repeat
    path.write_bytes(content().replace(b'"HV1"', key))
    before = checksum(url, layer)
    err = _refused_by_the_cli(dimos, path, layer)
    assert f"row 1, {field}: " in err and reason in err, err
    assert checksum(url, layer) == before
    client, staff = web
    answer = _upload(client, staff, path, layer=layer, crs="EPSG:2100")
    assert answer.status_code == 422, answer.json
    assert any(r["row"] == 1 and r["field"] == field and reason in r["reason"]
               for r in answer.json["rejects"]), answer.json
    assert checksum(url, layer) == before


@pytest.mark.parametrize("value, reason", [("0000-01-01", "year"), ("2021-02-30", "not a valid date"),
                                           ("soon", "not a valid date")])
def test_a_bad_set_value_is_one_line_naming_the_field(value, reason, url, dimos, web, tmp_path):
    path = tmp_path / "zone.geojson"
    path.write_bytes(zone(zone_id="HVSET"))
    before = checksum(url, "zoning")
    err = _refused_by_the_cli(dimos, path, "zoning", "--set", f"valid_from={value}")
    assert f"--set valid_from={value}: " in err and reason in err, err
    client, staff = web
    answer = _upload(client, staff, path, layer="zoning", crs="EPSG:2100", set=f"valid_from={value}")
    assert answer.status_code == 422, answer.json
    assert f"--set valid_from={value}: " in answer.json["description"]
    assert checksum(url, "zoning") == before


def test_a_bad_set_value_for_a_whole_number_is_refused_like_a_file_value(url, dimos, tmp_path):
    path = tmp_path / "zone.geojson"
    path.write_bytes(zone(zone_id="HVSET2"))
    before = checksum(url, "zoning")
    for value in ("2.5", "true", "x"):
        err = _refused_by_the_cli(dimos, path, "zoning", "--set", f"max_floors={value}")
        assert f"--set max_floors={value}: " in err, err
    assert checksum(url, "zoning") == before


def test_good_values_of_every_type_still_import_as_written(url, dimos, tmp_path):
    """The checks refuse only what would change: a whole float, a Greek day-first date and a
    plain text still go in, unchanged."""
    path = tmp_path / "good.geojson"
    path.write_bytes(zone(zone_id="HVOK", max_floors=3.0, valid_from="20/05/2015",
                          coverage_pct="60", zone_code="Α\u00a01"))
    code, out, err = dimos("import", path, "--layer", "zoning", "--crs", "EPSG:2100")
    assert code == 0, err
    from tests.helpers import rows

    assert rows(url, "SELECT max_floors, valid_from::text, coverage_pct, zone_code FROM zoning "
                     "WHERE zone_id = 'HVOK'") == [(3, "2015-05-20", 60.0, "Α\u00a01")]
