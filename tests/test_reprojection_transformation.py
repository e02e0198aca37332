"""Clients get EPSG:4326 from the stored EPSG:2100 by PROJ's GGRS87 → WGS 84 transformation
EPSG:1272 (a 3-parameter Helmert shift of about 200 m), as README.md says: PostGIS's
ST_Transform, which every reprojected answer uses, agrees with that operation named by its EPSG
code, and not with the datum shift left out."""
from __future__ import annotations

import pytest
from pyproj import Transformer

from tests.helpers import rows

# Greek Grid points across Rethymno (x, y in metres): the town, the hills to the east and south
POINTS = [(551_300.0, 3_913_700.0), (560_000.0, 3_905_000.0), (545_000.0, 3_895_000.0)]

TO_GGRS87 = Transformer.from_crs("EPSG:2100", "EPSG:4121")  # the grid's own geographic CRS
EPSG_1272 = Transformer.from_pipeline("urn:ogc:def:coordinateOperation:EPSG::1272")


@pytest.mark.parametrize("x, y", POINTS)
def test_postgis_reprojects_greek_grid_by_epsg_1272(migrated_url, x, y):
    (lon, lat), = rows(migrated_url, "SELECT ST_X(p), ST_Y(p) FROM ST_Transform("
                                     "ST_SetSRID(ST_MakePoint(%s, %s), 2100), 4326) AS p", (x, y))
    lat_87, lon_87 = TO_GGRS87.transform(x, y)  # EPSG:4121 and EPSG:1272 are latitude first
    expected_lat, expected_lon = EPSG_1272.transform(lat_87, lon_87)
    assert abs(lon - expected_lon) < 1e-8 and abs(lat - expected_lat) < 1e-8  # ~1 mm
    # without the shift the point would land far off: the comparison tells them apart
    assert abs(lon - lon_87) + abs(lat - lat_87) > 1e-3
