"""A CAD drawing as planners send it: zones drawn as closed polylines on a layer of their own,
their codes written inside them as texts, and roads, notes, arcs and dimension lines besides.
Choosing layers and entity types takes the zones (the rest is skipped and counted, not
refused), and each text inside a zone becomes its label — through `dimos import` and the upload."""
from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest

from gis import db
from tests.helpers import rows
from tests.test_importers import X0, Y0, _upload, checksum, cli_on, rethymno_database

ZONE_SETTINGS = ["--set", "plan_id=GPS-2024", "--set", "land_use=green", "--set",
                 "valid_from=2024-01-01", "--map", "zone_id=handle", "--map", "zone_code=label"]


@pytest.fixture(scope="module")
def url(make_database):
    return rethymno_database(make_database, "dimos_dxf")


@pytest.fixture
def dimos(url, tmp_path, monkeypatch, capsys):
    return cli_on(url, tmp_path / "state", monkeypatch, capsys)


def square(x, y, side=20):
    return [(x, y), (x + side, y), (x + side, y + side), (x, y + side)]


def drawing(path: Path) -> Path:
    """Two zones with their codes inside (a TEXT, an MTEXT), a round zone with its code, a
    note outside every zone, a road line, an arc and a dimension polyline on other layers."""
    document = ezdxf.new()
    space = document.modelspace()
    space.add_lwpolyline(square(X0, Y0), close=True, dxfattribs={"layer": "ZONES"})
    space.add_text("Α1", dxfattribs={"layer": "ZONES", "insert": (X0 + 5, Y0 + 5)})
    space.add_lwpolyline(square(X0 + 40, Y0), close=True, dxfattribs={"layer": "ZONES"})
    space.add_mtext("Β2", dxfattribs={"layer": "ZONES", "insert": (X0 + 50, Y0 + 10)})
    space.add_circle((X0 + 100, Y0 + 10), 8, dxfattribs={"layer": "ZONES"})
    space.add_text("Γ3", dxfattribs={"layer": "ZONES", "insert": (X0 + 100, Y0 + 10)})
    space.add_text("σημείωση", dxfattribs={"layer": "ZONES", "insert": (X0 - 30, Y0 - 30)})
    space.add_line((X0, Y0 - 5), (X0 + 60, Y0 - 5), dxfattribs={"layer": "ROADS"})
    space.add_arc((X0 + 10, Y0 + 10), 3, 0, 90, dxfattribs={"layer": "ZONES"})
    space.add_lwpolyline([(X0, Y0 + 30), (X0 + 20, Y0 + 30)], dxfattribs={"layer": "DIM"})
    document.saveas(path)
    return path


def test_everything_in_the_drawing_is_refused_as_before_without_a_choice(url, dimos, tmp_path):
    path = drawing(tmp_path / "zones.dxf")
    before = checksum(url, "zoning")
    code, _, err = dimos("import", path, "--layer", "zoning", "--crs", "EPSG:2100", *ZONE_SETTINGS)
    assert code == 1 and "wrong geometry type" in err, err
    assert checksum(url, "zoning") == before


def test_chosen_layers_and_types_import_the_zones_labelled_by_the_texts_inside(url, dimos,
                                                                               tmp_path):
    path = drawing(tmp_path / "zones.dxf")
    code, out, err = dimos("import", path, "--layer", "zoning", "--crs", "EPSG:2100",
                           "--source-layer", "zones", "--entity-types", "LWPOLYLINE",
                           *ZONE_SETTINGS)
    assert code == 0, err
    # the circle (a type not chosen), its text and the note (texts not chosen and inside no
    # chosen polygon), the arc (furniture), the road and the dimension (other layers)
    assert "2 added" in out and "6 CAD entities not selected" in out, out
    assert "2 texts taken as polygon labels" in out, out
    assert rows(url, "SELECT zone_code, round(ST_Area(geom)) FROM zoning WHERE plan_id = "
                     "'GPS-2024' ORDER BY ST_XMin(geom)") == [("Α1", 400), ("Β2", 400)]


def test_the_upload_takes_the_same_choices_and_a_circle_is_a_round_zone(make_database, tmp_path):
    from accounts.tokens import issue_token
    from dimos.app import create_app
    from settings import Settings

    # a database of its own: the drawing's zones are keyed by their CAD handles, the same in
    # every copy of it, and another test of the module stores them too
    url = rethymno_database(make_database, "dimos_dxf_upload")
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        staff = issue_token(cur, "dxf-staff", "staff")
    conn.close()
    client = create_app(Settings(database_url=url, state_dir=tmp_path / "state"),
                        with_ogc=False).test_client()
    path = drawing(tmp_path / "ζώνες.dxf")
    answer = _upload(client, staff, path, layer="zoning", crs="EPSG:2100", mode="upsert",
                     source_layer=["ZONES", "DIM"], entity_types="LWPOLYLINE,CIRCLE",
                     set=["plan_id=GPS-2025", "land_use=green", "valid_from=2025-01-01"],
                     map=["zone_id=handle", "zone_code=label"])
    # the open dimension polyline is chosen too: a line is no zone, and that is said
    assert answer.status_code == 422, answer.json
    assert any(r["field"] == "geometry" and "wrong geometry type: a LineString" in r["reason"]
               for r in answer.json["rejects"]), answer.json
    answer = _upload(client, staff, path, layer="zoning", crs="EPSG:2100", mode="upsert",
                     source_layer="ZONES", entity_types=["LWPOLYLINE", "CIRCLE"],
                     set=["plan_id=GPS-2025", "land_use=green", "valid_from=2025-01-01"],
                     map=["zone_id=handle", "zone_code=label"])
    assert answer.status_code == 200, answer.json
    assert (answer.json["not_selected"], answer.json["labels"]) == (4, 3)  # note, arc, road, dim
    (code, area), = rows(url, "SELECT zone_code, ST_Area(geom) FROM zoning WHERE plan_id = "
                              "'GPS-2025' AND zone_code = 'Γ3'")
    assert abs(area - 3.14159 * 64) < 0.01 * area


def test_unknown_layers_or_types_are_refused_naming_what_there_is(url, dimos, tmp_path):
    path = drawing(tmp_path / "zones.dxf")
    code, _, err = dimos("import", path, "--layer", "zoning", "--crs", "EPSG:2100",
                         "--source-layer", "ZONES,ZONEN", *ZONE_SETTINGS)
    assert code == 1 and "no CAD layer 'ZONEN'" in err and "ROADS" in err, err
    code, _, err = dimos("import", path, "--layer", "zoning", "--crs", "EPSG:2100",
                         "--entity-types", "SPLINE", *ZONE_SETTINGS)
    assert code == 1 and "--entity-types SPLINE" in err and "LWPOLYLINE" in err, err
    assert err.count("\n") == 1
