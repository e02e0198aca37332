"""DXF drawings (CAD, usually EPSG:2100) as features: closed polylines and circles become
polygons, and a text drawn inside a polygon becomes its label.

Each entity of the model space gives one feature with its CAD layer name (``layer``), its
handle (``handle``: stable within the drawing, a usable key) and, for texts, the ``text``.
``layers`` and ``entity_types`` choose what is read; entities left out (not chosen, or
drawing furniture such as arcs, hatches and dimensions) are counted, not refused. A TEXT or
MTEXT whose insertion point lies inside a polygon of the drawing is that polygon's ``label``
(as CAD users write a zone's code inside it; several are joined with "; ", the innermost polygon
takes it) and is no feature of its own. Z is dropped: the layers are 2D.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from gis.errors import ImportRefused

ENTITY_TYPES = ("LWPOLYLINE", "POLYLINE", "LINE", "CIRCLE", "POINT", "INSERT", "TEXT", "MTEXT")
TEXTS = ("TEXT", "MTEXT")
CIRCLE_SEGMENTS = 16  # per quarter: a 10 m circle's area is within 0.2 % of π r²


@dataclass
class Drawing:
    """What was read from a drawing: its features, and how many entities were left out."""

    frame: gpd.GeoDataFrame
    not_selected: int
    labels: int


def _geometry(entity):
    kind = entity.dxftype()
    if kind == "LWPOLYLINE":
        points = [(x, y) for x, y, *_ in entity.get_points("xy")]
        return _polyline(points, entity.closed)
    if kind == "POLYLINE":
        points = [(v.dxf.location.x, v.dxf.location.y) for v in entity.vertices]
        return _polyline(points, entity.is_closed)
    if kind == "LINE":
        return LineString([(entity.dxf.start.x, entity.dxf.start.y),
                           (entity.dxf.end.x, entity.dxf.end.y)])
    if kind == "CIRCLE":
        centre = Point(entity.dxf.center.x, entity.dxf.center.y)
        return centre.buffer(entity.dxf.radius, quad_segs=CIRCLE_SEGMENTS)
    if kind == "POINT":
        return Point(entity.dxf.location.x, entity.dxf.location.y)
    if kind in ("INSERT", *TEXTS):
        return Point(entity.dxf.insert.x, entity.dxf.insert.y)
    return None  # arcs, hatches, dimensions: drawing furniture, not features


def _polyline(points, closed: bool):
    if closed or (len(points) > 3 and points[0] == points[-1]):
        return Polygon(points) if len(points) >= 3 else None
    return LineString(points) if len(points) >= 2 else None


def _text(entity) -> str | None:
    if entity.dxftype() == "TEXT":
        return entity.dxf.text
    return entity.plain_text() if entity.dxftype() == "MTEXT" else None


def parse_entity_types(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``--entity-types`` (repeated or comma-separated) as DXF type names; refused if unknown."""
    chosen = tuple(dict.fromkeys(v.strip().upper() for value in values for v in value.split(",")
                                 if v.strip()))
    unknown = [v for v in chosen if v not in ENTITY_TYPES]
    if unknown:
        raise ImportRefused(f"--entity-types {','.join(unknown)}: dimos reads "
                            f"{', '.join(ENTITY_TYPES)}")
    return chosen


def _chosen_layers(document, shown: str, layers: tuple[str, ...]) -> set[str] | None:
    """The CAD layers asked for, lower case (CAD layer names ignore case); None: all."""
    if not layers:
        return None
    known = {layer.dxf.name.lower(): layer.dxf.name for layer in document.layers}
    known.update({e.dxf.layer.lower(): e.dxf.layer for e in document.modelspace()})
    missing = [name for name in layers if name.lower() not in known]
    if missing:
        raise ImportRefused(f"{shown}: no CAD layer {', '.join(map(repr, missing))}; it has "
                            f"{', '.join(sorted(known.values()))}")
    return {name.lower() for name in layers}


def read_dxf(path: Path, layers: tuple[str, ...] = (), entity_types: tuple[str, ...] = ()
             ) -> Drawing:
    """The model space's chosen features (no CRS: a DXF carries none), texts inside polygons
    as their ``label``."""
    import ezdxf

    try:
        document = ezdxf.readfile(path)
    except (OSError, ezdxf.DXFError) as exc:
        raise ImportRefused(f"{path.name}: not a readable DXF drawing ({exc})") from None
    chosen_layers = _chosen_layers(document, path.name, layers)
    rows, geometries, texts, not_selected = [], [], [], 0
    for entity in document.modelspace():
        kind = entity.dxftype()
        geometry = _geometry(entity)
        if geometry is None or (chosen_layers is not None
                                and entity.dxf.layer.lower() not in chosen_layers):
            not_selected += 1
            continue
        if kind in TEXTS:  # a label, or (when texts are chosen) a point of its own
            texts.append(({"layer": entity.dxf.layer, "handle": entity.dxf.handle,
                           "text": _text(entity)}, geometry))
            continue
        if entity_types and kind not in entity_types:
            not_selected += 1
            continue
        rows.append({"layer": entity.dxf.layer, "handle": entity.dxf.handle, "text": None})
        geometries.append(geometry)
    labels, unused = _label_polygons(rows, geometries, texts)
    texts_chosen = not entity_types or any(t in entity_types for t in TEXTS)
    for row, point in unused:
        if texts_chosen:
            rows.append(row)
            geometries.append(point)
        else:
            not_selected += 1
    if not rows:
        raise ImportRefused(f"{path.name}: no polylines, circles, lines, points or texts "
                            + ("of the chosen layers and types " if layers or entity_types else "")
                            + "in the model space")
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs=None)
    frame["label"] = _label_column(labels, len(frame))
    return Drawing(frame, not_selected, sum(len(v) for v in labels.values()))


def _label_polygons(rows, geometries, texts):
    """({feature position: [label texts]}, the texts inside no polygon)."""
    polygons = [i for i, g in enumerate(geometries) if g.geom_type == "Polygon"]
    if not polygons or not texts:
        return {}, texts
    tree = shapely.STRtree([geometries[i] for i in polygons])
    labels: dict[int, list[str]] = {}
    unused = []
    for row, point in texts:
        inside = [polygons[j] for j in tree.query(point, predicate="within")]
        if not inside or not row["text"]:
            unused.append((row, point))
            continue
        innermost = min(inside, key=lambda i: geometries[i].area)
        labels.setdefault(innermost, []).append(row["text"].strip())
    return labels, unused


def _label_column(labels: dict[int, list[str]], count: int) -> np.ndarray:
    """The ``label`` column: each polygon's texts joined, None where it has none."""
    column = np.full(count, None, dtype=object)
    for position, texts in labels.items():
        column[position] = "; ".join(texts)
    return column
