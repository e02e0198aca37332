"""OSM ways noded: split wherever they share a node, so road segments meet at equal endpoints.

Used by the OSM importer (importers/osm_import.py) and the demo generator's town streets
(data/demo/roads.py); the coordinates are in degrees, where a shared OSM node is equal.
"""
from __future__ import annotations

from collections import Counter

from shapely.geometry import LineString

COORD_DIGITS = 7  # ~1 cm in degrees: vertices equal to this precision are one OSM node


def _key(coord) -> tuple[float, float]:
    return (round(coord[0], COORD_DIGITS), round(coord[1], COORD_DIGITS))


def split_at_shared_nodes(lines: list[LineString]) -> list[tuple[int, LineString]]:
    """Each line cut at every vertex it shares with another line (or itself); (index, piece)."""
    uses = Counter(_key(c) for line in lines for c in line.coords)
    pieces = []
    for index, line in enumerate(lines):
        coords = list(line.coords)
        start = 0
        for i in range(1, len(coords) - 1):
            if uses[_key(coords[i])] > 1:  # another way (or this one again) passes here
                pieces.append((index, LineString(coords[start:i + 1])))
                start = i
        pieces.append((index, LineString(coords[start:])))
    return [(i, p) for i, p in pieces if p.length > 0]
