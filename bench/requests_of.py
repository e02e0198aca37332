"""What each server under test is asked, by kind of server: the URL of an items page and of a
vector tile. One place, so every case asks every server for the same thing."""
from __future__ import annotations

import layers
from gis.tiles import tile_fields

# dimos publishes the table's points as this collection (its polygons as building_permits);
# the benchmark table holds points only (bench/data.py), so it is the whole table, as the
# peers serve it.
DIMOS_COLLECTION = "building_permit_sites"


def items_url(kind: str, base: str, limit: int, bbox: tuple | None = None,
              offset: int = 0) -> str:
    """An items page of the permits, GeoJSON, ``bbox`` in CRS84."""
    query = f"limit={limit}"
    if bbox is not None:
        query += "&bbox=" + ",".join(f"{v:.7f}" for v in bbox)
    if offset:
        query += f"&offset={offset}"
    if kind == "dimos":
        return f"{base}/ogc/collections/{DIMOS_COLLECTION}/items?f=json&{query}"
    if kind == "tipg":
        return f"{base}/collections/public.building_permits/items?f=geojson&{query}"
    if kind == "pygeoapi":
        return f"{base}/collections/building_permits/items?f=json&{query}"
    if kind == "mapserver":
        return f"{base}/ogcapi/collections/building_permits/items?f=json&{query}"
    raise ValueError(kind)


def tile_url(kind: str, base: str, z: int, x: int, y: int) -> str | None:
    """A WebMercatorQuad vector tile of the permits; None for a server that serves none."""
    if kind == "dimos":  # OGC API Tiles via pygeoapi: row before column
        return (f"{base}/ogc/collections/{DIMOS_COLLECTION}/tiles/WebMercatorQuad/"
                f"{z}/{y}/{x}?f=mvt")
    if kind == "tipg":  # asked for the attributes dimos's tiles carry, so both hold the same
        fields = ",".join(tile_fields(layers.get("building_permits")))
        return (f"{base}/collections/public.building_permits/tiles/WebMercatorQuad/"
                f"{z}/{x}/{y}?properties={fields}")
    if kind == "mapserver":
        return f"{base}/tiles/{z}/{x}/{y}.mvt"
    return None
