"""Geometry checks before anything is written: presence, type against the layer, validity
(repaired with make_valid only where the repair keeps the shape), and position in the
municipality. Works on the storage CRS (EPSG:2100, metres)."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon

from importers.report import REPAIRED, SKIPPED, Finding
from layers.model import Layer

GEOMETRY = "geometry"
#: a repair may change a polygon's area (a line's length) by this share at most
REPAIR_TOLERANCE = 0.01
#: a feature whose representative point lies this close outside the boundary is still inside
#: (coastlines and boundaries are generalised differently in every source)
BOUNDARY_TOLERANCE_M = 100.0

_FAMILY = {"Point": "Point", "MultiPoint": "Point", "LineString": "LineString",
           "MultiLineString": "LineString", "Polygon": "Polygon", "MultiPolygon": "Polygon"}
_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5,
             "MultiPolygon": 6}
_MULTI = {"Point": MultiPoint, "LineString": MultiLineString, "Polygon": MultiPolygon}


def _allowed(layer: Layer) -> set[str]:
    """The simple geometry types (shapely names) the layer's column takes."""
    if layer.allowed_geometries:
        names = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
                 "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
                 "MULTIPOLYGON": "MultiPolygon"}
        return {names[g] for g in layer.allowed_geometries}
    return {layer.geometry_type}


def _fit_type(geometry, allowed: set[str]):
    """``geometry`` cast to an allowed type of the same family (Polygon ↔ one-part Multi), or None."""
    kind = geometry.geom_type
    if kind in allowed:
        return geometry
    family = _FAMILY.get(kind)
    if family is None:
        return None
    if kind == family and f"Multi{family}" in allowed:
        return _MULTI[family]([geometry])
    if kind == f"Multi{family}" and family in allowed and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    return None


def _same_family_part(geometry, family: str):
    """The parts of ``geometry`` of one family, as a single or multi geometry (None if none)."""
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if _FAMILY.get(g.geom_type) == family]
    parts = [p for g in parts for p in getattr(g, "geoms", [g])]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else _MULTI[family](parts)


def _measure(geometry) -> float:
    return geometry.area if _FAMILY.get(geometry.geom_type) == "Polygon" else geometry.length


def _repair(geometry, reason: str) -> tuple[object | None, str]:
    """(repaired geometry or None, what was done / why not)."""
    family = _FAMILY.get(geometry.geom_type)
    fixed = _same_family_part(shapely.make_valid(geometry), family) if family else None
    if fixed is None or fixed.is_empty:
        return None, f"invalid geometry: {reason}; make_valid leaves no {family}"
    before, after = abs(_measure(geometry)), _measure(fixed)
    if after and abs(after - before) > REPAIR_TOLERANCE * after:
        return None, (f"invalid geometry: {reason}; repairing it would change its "
                      f"{'area' if family == 'Polygon' else 'length'} from {before:.1f} to {after:.1f}: "
                      "fix it in the source")
    return fixed, f"repaired with make_valid: {reason}"


def municipality_area(boundary):
    """Where features may lie: the municipality's land polygon (EPSG:2100) and
    BOUNDARY_TOLERANCE_M around it, prepared for many tests (None if there is no boundary)."""
    if boundary is None:
        return None
    area = boundary.buffer(BOUNDARY_TOLERANCE_M)
    shapely.prepare(area)
    return area


def _representative_points(geometries: np.ndarray) -> np.ndarray:
    """A point on each geometry: a point is its own (most imports of many rows are points)."""
    points = geometries.copy()
    other = shapely.get_type_id(geometries) != _TYPE_IDS["Point"]
    points[other] = shapely.point_on_surface(geometries[other])
    return points


def _not_finite(geometries: np.ndarray) -> np.ndarray:
    """True for each geometry with a coordinate that is infinite or NaN."""
    coordinates, which = shapely.get_coordinates(geometries, return_index=True)
    bad = np.zeros(len(geometries), dtype=bool)
    bad[which[~np.isfinite(coordinates).all(axis=1)]] = True
    return bad


def check_geometries(layer: Layer, geometries: np.ndarray, rows: np.ndarray, area,
                     skip_outside: bool, place_only: bool = False
                     ) -> tuple[np.ndarray, np.ndarray, list[Finding]]:
    """(geometries to store, rows kept, findings) for one chunk in the storage CRS.

    ``area`` is :func:`municipality_area` of the municipality; features whose representative
    point is outside it are rejected, or left out (``skip_outside``) and reported as skipped.
    ``place_only``: the geometry is not stored (an attributes-only update), only its position
    is checked.
    """
    allowed = _allowed(layer)
    geometries = np.asarray(geometries, dtype=object)
    if shapely.has_z(geometries).any():
        geometries = shapely.force_2d(geometries)
    out = geometries.copy()
    keep = np.ones(len(geometries), dtype=bool)
    findings: list[Finding] = []
    missing = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    # GEOS cannot repair (nor place) a shape with an infinite or NaN coordinate: refuse it first
    missing |= _not_finite(geometries)
    invalid = np.zeros(len(geometries), dtype=bool) if place_only else ~shapely.is_valid(geometries)
    for i in np.flatnonzero(missing):
        findings.append(Finding(int(rows[i]), GEOMETRY, "no geometry" if shapely.is_missing(
            geometries[i]) or shapely.is_empty(geometries[i]) else
            "coordinates not finite (Infinity or NaN): fix the source"))
        keep[i] = False
    for i in np.flatnonzero(invalid & ~missing):
        fixed, reason = _repair(geometries[i], shapely.is_valid_reason(geometries[i]))
        findings.append(Finding(int(rows[i]), GEOMETRY, reason,
                                outcome=REPAIRED if fixed is not None else "rejected"))
        if fixed is None:
            keep[i] = False
        else:
            out[i] = fixed
    # vectorised first (a million points must not go through a Python loop), then one by one
    fits = np.isin(shapely.get_type_id(out), [_TYPE_IDS[name] for name in allowed]) | place_only
    for i in np.flatnonzero(keep & ~fits):
        fitted = _fit_type(out[i], allowed)
        if fitted is None:
            findings.append(Finding(int(rows[i]), GEOMETRY,
                                    f"wrong geometry type: a {out[i].geom_type} in a layer of "
                                    f"{' / '.join(sorted(allowed))}"))
            keep[i] = False
        else:
            out[i] = fitted
    if area is not None and keep.any():
        points = _representative_points(out[keep])
        inside = shapely.contains(area, points)
        for i, point in zip(np.flatnonzero(keep)[~inside], points[~inside]):
            findings.append(Finding(int(rows[i]), GEOMETRY,
                                    f"outside the municipality: at EPSG:2100 ({point.x:.0f}, {point.y:.0f})",
                                    outcome=SKIPPED if skip_outside else "rejected"))
            keep[i] = False
    return out, keep, findings
