"""OpenStreetMap extracts (.osm, .osm.pbf) as sources of catalogue layers.

GDAL's OSM driver reads the file (importers/osm.py); this module shapes what it reads into
the fields of one layer, in EPSG:2100, so the usual checks and writer take it from there:

- roads: routable highways cut at every node shared with another way (so streets meet at
  equal endpoints), with class, one-way (``oneway=-1`` ways reversed), speed (the tag, else
  the Greek urban default of the class), length and travel times; the writer then rebuilds
  the pgRouting topology.
- buildings, bus_stops, parking_lots, refuge_areas (parks, squares, pitches, school grounds).

Keys are OSM ids (``osm:way/123``, ``osm:way/123:4`` for the 5th piece of a way), stable from
one extract to the next, so re-importing a newer extract with ``--mode upsert`` updates.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gis.errors import ImportRefused
from importers import osm
from importers.noding import split_at_shared_nodes
from importers.sources import Source
from layers.model import STORAGE_SRID, Layer

M2_PER_PARKING_SPACE = 25  # gross area of a space with its aisle, where no capacity is tagged
M2_PER_REFUGEE = 2  # civil protection norm for a refuge area
REFUGE_KINDS = {"park": "open_space", "square": "open_space", "playground": "open_space",
                "pitch": "sports_ground", "stadium": "sports_ground", "school": "school_yard"}


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _roads(path: Path) -> gpd.GeoDataFrame:
    ways = osm.read_osm_roads(path)
    pieces = split_at_shared_nodes(list(ways.geometry))  # in degrees: shared nodes are equal
    projected = gpd.GeoSeries([p for _, p in pieces], crs=ways.crs).to_crs(STORAGE_SRID)
    records, seen = [], {}
    for (index, _), line in zip(pieces, projected):
        way = ways.iloc[index]
        n = seen[index] = seen.get(index, -1) + 1
        speed = int(way.maxspeed_kmh)
        cost = line.length / (speed / 3.6)
        records.append({"road_id": f"osm:way/{way.osm_id}:{n}", "osm_id": int(way.osm_id),
                        "name": _text(way["name"]), "road_class": way.highway,
                        "oneway": bool(way.oneway), "maxspeed_kmh": speed,
                        "length_m": line.length, "cost_s": cost,
                        "reverse_cost_s": -1.0 if way.oneway else cost})
    return gpd.GeoDataFrame(records, geometry=list(projected), crs=STORAGE_SRID)


def _buildings(path: Path) -> gpd.GeoDataFrame:
    found = osm.read_osm_buildings(path).to_crs(STORAGE_SRID)
    address = [" ".join(p for p in (_text(s), _text(h)) if p) or None
               for s, h in zip(found["street"], found["housenumber"])]
    return gpd.GeoDataFrame({
        "building_id": [f"osm:{k}/{i}" for k, i in zip(found["kind"], found["osm_id"])],
        "osm_id": found["osm_id"], "building_type": found["building"],
        "levels": found["levels"], "name": found["name"], "address": address,
    }, geometry=found.geometry, crs=STORAGE_SRID)


def _bus_stops(path: Path) -> gpd.GeoDataFrame:
    found = osm.read_osm_bus_stops(path).to_crs(STORAGE_SRID)
    return gpd.GeoDataFrame({"stop_id": [f"osm:node/{i}" for i in found["osm_id"]],
                             "name": found["name"], "smart": False, "osm_id": found["osm_id"]},
                            geometry=found.geometry, crs=STORAGE_SRID)


def _parking_lots(path: Path) -> gpd.GeoDataFrame:
    found = osm.read_osm_parking(path).to_crs(STORAGE_SRID)
    estimated = (found.geometry.area / M2_PER_PARKING_SPACE).round().clip(lower=1).astype("Int64")
    return gpd.GeoDataFrame({
        "lot_id": [f"osm:{i}" for i in found["osm_id"]],
        "name": [_text(n) or f"Χώρος στάθμευσης {i}" for n, i in zip(found["name"], found["osm_id"])],
        "capacity": found["capacity"].fillna(estimated), "osm_id": found["osm_id"],
    }, geometry=found.geometry, crs=STORAGE_SRID)


def _refuge_areas(path: Path) -> gpd.GeoDataFrame:
    found = osm.read_osm_open_spaces(path).to_crs(STORAGE_SRID)
    return gpd.GeoDataFrame({
        "refuge_id": [f"osm:{i}" for i in found["osm_id"]],
        "name": [_text(n) or f"Χώρος καταφυγής {i}" for n, i in zip(found["name"], found["osm_id"])],
        "area_type": found["kind"].map(REFUGE_KINDS),
        "capacity_persons": (found.geometry.area / M2_PER_REFUGEE).astype(int),
    }, geometry=found.geometry.representative_point(), crs=STORAGE_SRID)


READERS = {"roads": _roads, "buildings": _buildings, "bus_stops": _bus_stops,
           "parking_lots": _parking_lots, "refuge_areas": _refuge_areas}


def osm_source(path: Path, layer: Layer, workdir: Path) -> Source:
    """The features of ``layer`` found in the extract, as a Source in EPSG:2100."""
    reader = READERS.get(layer.id)
    if reader is None:
        raise ImportRefused(f"{path.name}: an OpenStreetMap extract feeds {', '.join(READERS)}; "
                            f"not {layer.id}")
    try:
        frame = reader(path)
    except ImportRefused:
        raise
    except Exception as exc:  # GDAL's OSM driver: unreadable or truncated XML/PBF
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ImportRefused(f"{path.name}: not a readable OpenStreetMap extract ({message})",
                            detail=repr(exc)) from None
    frame = frame.reset_index(drop=True)
    from pyproj import CRS

    return Source(path, path, "OSM", None, CRS.from_epsg(STORAGE_SRID), len(frame),
                  [c for c in frame.columns if c != "geometry"], frame=frame)
