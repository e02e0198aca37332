"""Figures README.md gives about the storage CRS, checked on the demo's municipality: Greek Grid
(central meridian 24°E, k₀ 0.9996) distorts lengths across Rethymno by less than 0.04 %
(< 4 cm per 100 m), and the municipality lies within 0.7° of the central meridian."""
from __future__ import annotations

import shapely
from pyproj import Proj, Transformer

from tests.helpers import rows

GREEK_GRID = Proj("EPSG:2100")
TO_LONLAT = Transformer.from_crs(2100, 4326, always_xy=True)


def test_greek_grid_scale_error_across_the_municipality_is_below_0_04_percent(demo_url):
    (wkt,), = rows(demo_url, "SELECT ST_AsText(boundary) FROM jurisdictions "
                             "WHERE id = 'rethymno'")
    land = shapely.from_wkt(wkt)
    minx, miny, maxx, maxy = land.bounds
    step = 1000  # a point every kilometre of the land area
    points = [shapely.Point(minx + i * step, miny + j * step)
              for i in range(int((maxx - minx) / step) + 1)
              for j in range(int((maxy - miny) / step) + 1)]
    inside = [p for p in points if land.contains(p)]
    assert len(inside) > 300  # ~394 km²
    lon, lat = TO_LONLAT.transform([p.x for p in inside], [p.y for p in inside])
    assert max(abs(x - 24) for x in lon) < 0.7
    scale = GREEK_GRID.get_factors(lon, lat).meridional_scale
    assert max(abs(k - 1) for k in scale) < 0.0004  # 0.04 %: 4 cm per 100 m
