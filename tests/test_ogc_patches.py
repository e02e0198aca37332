"""Each change dimos makes inside pygeoapi (ogc/patches.py) has its effect on real requests, and
a pygeoapi that changed where dimos patches it does not start, naming the symbol."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from pyproj import Transformer

from ogc.conformance import CLASSES
from ogc.patches import PATCHES
from tests.helpers import rows

CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"
CRS3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
TO_3857 = Transformer.from_crs(4326, 3857, always_xy=True)


@pytest.fixture(scope="module")
def items(live_server):
    return f"{live_server}/ogc/collections/service_requests/items"


def _ids(answer) -> set[str]:
    assert answer.status_code == 200, answer.text[:300]
    return {f["properties"]["service_request_id"] for f in answer.json()["features"]}


def test_pygeoapi_conformance_classes_are_replaced_by_those_with_a_test(live_server):
    served = requests.get(f"{live_server}/ogc/conformance", params={"f": "json"}, timeout=30)
    # pygeoapi's own lists hold classes no test of ours exercises (schemas, callbacks...)
    assert served.json()["conformsTo"] == sorted(CLASSES)


def test_cql2_text_filters_read_s_dwithin_and_filter_lang_json(items, demo_url):
    from lark.exceptions import LarkError
    from pygeofilter.parsers.cql2_text import parse as stock_parse

    text = "S_DWITHIN(geometry, POINT(24.4735 35.3695), 80, meters)"
    with pytest.raises(LarkError):  # what pygeoapi would parse it with
        stock_parse(text)
    expected = {row[0] for row in rows(demo_url, """
        SELECT service_request_id FROM service_requests WHERE ST_DWithin(
          geom, ST_Transform(ST_SetSRID(ST_MakePoint(24.4735, 35.3695), 4326), 2100), 80)""")}
    assert expected
    params = {"f": "json", "limit": 1000, "skipGeometry": "true"}
    assert _ids(requests.get(items, params={**params, "filter": text}, timeout=60)) == expected
    as_json = {"op": "s_dwithin", "args": [{"property": "geometry"},
                                          {"type": "Point", "coordinates": [24.4735, 35.3695]},
                                          80]}
    # pygeoapi reads a GET filter as CQL2 text whatever filter-lang says
    assert _ids(requests.get(items, timeout=60, params={
        **params, "filter": json.dumps(as_json), "filter-lang": "cql2-json"})) == expected


def test_cql2_json_bodies_read_s_dwithin(items, demo_url):
    from pygeofilter.parsers.cql2_json import parse as stock_parse

    body = {"op": "s_dwithin", "args": [{"property": "geometry"},
                                       {"type": "Point", "coordinates": [24.4735, 35.3695]}, 80]}
    with pytest.raises(Exception):  # noqa: B017 (pygeofilter fails as it may: KeyError today)
        stock_parse(body)
    expected = {row[0] for row in rows(demo_url, """
        SELECT service_request_id FROM service_requests WHERE ST_DWithin(
          geom, ST_Transform(ST_SetSRID(ST_MakePoint(24.4735, 35.3695), 4326), 2100), 80)""")}
    posted = requests.post(items, params={"f": "json", "limit": 1000, "skipGeometry": "true"},
                           data=json.dumps(body), timeout=60,
                           headers={"Content-Type": "application/query-cql-json"})
    assert expected and _ids(posted) == expected


def test_a_wide_web_mercator_bbox_finds_a_request_its_corners_alone_would_miss(items, demo_url):
    """In Greek Grid (a transverse Mercator on 24°E) a parallel bows: the middle of a wide box's
    bottom edge lies ~4 km south of its corners. pygeoapi transforms the four corners only;
    dimos' transformer densifies the edges, so the box it queries holds the whole box asked."""
    from pygeoapi.crs import transform_bbox as stock_transform

    (number, lon, lat, northing), = rows(demo_url, """
        SELECT service_request_id, ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326)),
               ST_Y(geom) FROM service_requests ORDER BY id LIMIT 1""")
    west, south = TO_3857.transform(lon - 3, lat)
    east, _ = TO_3857.transform(lon + 3, lat)
    bbox = [west, south - 100, east, south + 20_000]  # the request 100 m above the bottom edge
    assert stock_transform(bbox, CRS3857, CRS2100)[1] > northing  # the corners miss it
    found = requests.get(items, timeout=60, params={
        "f": "json", "limit": 10000, "skipGeometry": "true", "properties": "service_request_id",
        "bbox": ",".join(map(str, bbox)), "bbox-crs": CRS3857})
    assert number in _ids(found)


START_WITHOUT = """
import importlib, sys, tempfile
module = importlib.import_module(sys.argv[1])
{change}
from dimos.app import create_app
from settings import Settings
create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none",
                    state_dir=tempfile.mkdtemp()))
"""


def _start(change: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", START_WITHOUT.format(change=change), *args],
                          capture_output=True, text=True, timeout=120)


def test_a_pygeoapi_without_a_patched_symbol_does_not_start_and_says_which():
    started = _start("delattr(module, sys.argv[2])", "pygeoapi.api.itemtypes", "transform_bbox")
    assert started.returncode != 0
    assert ("pygeoapi.api.itemtypes.transform_bbox: missing (dimos patches it"
            in started.stderr), started.stderr[-800:]
    assert "pygeoapi 0.24 expected" in started.stderr


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.symbol)
def test_every_patched_symbol_is_checked_before_patching(patch, monkeypatch):
    import importlib

    from ogc.patches import PygeoapiChanged, check

    monkeypatch.delattr(importlib.import_module(patch.module), patch.name)
    with pytest.raises(PygeoapiChanged, match=f"{patch.symbol}: missing"):
        check()


def test_a_patched_function_of_another_shape_does_not_start_and_says_which():
    started = _start("module.transform_bbox = lambda box, crs: box", "pygeoapi.api.itemtypes")
    assert started.returncode != 0
    assert ("pygeoapi.api.itemtypes.transform_bbox: takes (box, crs), not "
            "(bbox, from_crs, to_crs, always_xy)") in started.stderr, started.stderr[-800:]
