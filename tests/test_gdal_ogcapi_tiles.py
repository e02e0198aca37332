"""GDAL's OGC API Tiles reader (Debian's GDAL 3.6) against dimos's vector tilesets."""
from __future__ import annotations

import re
import subprocess

import pytest
import requests

#: the members that name a TMS 1.0 (OGC 17-083r2) JSON document, the only encoding GDAL 3.6
#: recognises; TMS 2.0 (OGC 17-083r4), which OGC API - Tiles 1.0 requires, renamed them
TMS_1_0_MEMBERS = {"type", "identifier", "supportedCRS"}
TMS_1_0_MATRIX_MEMBERS = {"identifier", "topLeftCorner"}


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def gdal_version() -> str:
    return subprocess.run(["ogrinfo", "--version"], capture_output=True, text=True,
                          timeout=60).stdout.strip()


def test_the_tile_matrix_set_gdal_fetches_is_a_tms_2_0_definition(ogc):
    # what the tileset's tiling-scheme link gives: the standard's encoding, nothing of 1.0's
    tileset = requests.get(f"{ogc}/collections/zoning/tiles/WebMercatorQuad", params={"f": "json"},
                           timeout=60).json()
    (link,) = [link for link in tileset["links"]
               if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"]
    assert link["type"] == "application/json"
    tms = requests.get(link["href"], headers={"Accept": "application/json"}, timeout=60).json()
    assert tms["id"] == "WebMercatorQuad"
    assert tms["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    assert [matrix["id"] for matrix in tms["tileMatrices"]] == [str(z) for z in range(25)]
    for matrix in tms["tileMatrices"]:
        assert {"cellSize", "pointOfOrigin", "scaleDenominator", "tileWidth", "tileHeight",
                "matrixWidth", "matrixHeight"} <= set(matrix)
        assert not TMS_1_0_MATRIX_MEMBERS & set(matrix)
    assert not TMS_1_0_MEMBERS & set(tms)


@pytest.mark.parametrize("collection", ["zoning", "bus_stops"])
def test_gdal_3_6_reads_our_tilesets_up_to_the_tms_2_0_definition_it_cannot_parse(ogc,
                                                                                 collection):
    """GDAL 3.6.2 cannot read any OGC API - Tiles 1.0 server: its fault, pinned down here.

    Its driver walks collection → tilesets → tileset → the tileset's tiling-scheme link (each
    of ours passes: it fetches every one of them), then hands the downloaded tile matrix set
    document to ``gdal::TileMatrixSet::parse()`` (frmts/ogcapi/gdalogcapidataset.cpp:1673 at
    v3.6.2). ``parse()`` (gcore/tilematrixset.cpp:151-156) takes the text for a definition
    only when it holds TMS 1.0's ``"type": "TileMatrixSetType"`` or ``"identifier"`` +
    ``"boundingBox"``; TMS 2.0 renamed ``identifier`` to ``id`` and made ``boundingBox``
    optional, so the whole document is taken for a file name: ``CPLFindFile("gdal",
    "tms_<document>.json")`` (line 175) overflows CPLFormFilename()'s path buffer
    ("Destination buffer too small", port/cpl_path.cpp:64, once for each place it looks: "."
    and the data directory) and ends in "Invalid tiling matrix set name" (line 184). Even if
    recognised, 3.6 reads the CRS from ``supportedCRS``, each matrix's id from ``identifier``
    and its origin from ``topLeftCorner`` (lines 223, 255, 270), all 1.0 names. Fixed
    upstream by OSGeo/gdal PR 8130 "TileMatrixSet::parse(): add support for OGC 2D Tile
    Matrix Set v2 (fixes #6882)", merged to master in July 2023, so in GDAL 3.8.0.

    When this fails because Debian's GDAL reads the tilesets, replace it by a test that
    ``ogrinfo`` lists each collection's layer with its extent and features.
    """
    assert gdal_version().startswith("GDAL 3.6."), gdal_version()
    proc = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OGCAPI:{ogc}/collections/{collection}", "-oo", "API=TILES",
         "--config", "CPL_DEBUG", "ON"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    fetched = re.findall(r"^HTTP: Fetch\((.*)\)$", proc.stderr, re.MULTILINE)
    assert fetched == [f"{ogc}/collections/{collection}",
                       f"{ogc}/collections/{collection}/tiles?f=json",
                       f"{ogc}/collections/{collection}/tiles/WebMercatorQuad?f=json",
                       f"{ogc}/TileMatrixSets/WebMercatorQuad"], proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
    assert errors == ["ERROR 1: Destination buffer too small"] * 2 + [
        "ERROR 1: Invalid tiling matrix set name"], proc.stderr[-2000:]
