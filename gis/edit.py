"""Create, replace and delete one feature of an editable layer, checked before it is written.

A feature arrives as GeoJSON (geometry in CRS84 unless the caller names another CRS). What
can be checked from the catalogue is checked here, naming the property; what needs the
database (choices, ranges, patterns, natural keys, geometry validity) is enforced by its
constraints, whose names this module turns back into the same kind of message. Every
statement runs in the caller's transaction: a rejected feature writes nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

import psycopg2
from psycopg2 import errorcodes, sql

from gis.access_rules import check_acts_in
from gis.errors import Conflict, DimosError, InvalidParameter, NotFound, PreconditionFailed
from gis.feature_versions import FeatureState, feature_state
from gis.features import geometry_type_clause, get_feature
from gis.roles import Principal
from layers.model import Field, Layer

MAX_VERTICES = 100_000

_PYTHON_TYPES = {"text": (str,), "integer": (int,), "bigint": (int,), "real": (int, float),
                 "boolean": (bool,), "date": (str,), "timestamptz": (str,), "text[]": (list,)}

JURISDICTION_SQL = """
SELECT j.id FROM jurisdictions AS j
WHERE ST_Intersects(j.boundary, ST_PointOnSurface(ST_GeomFromWKB(%(wkb)s, %(srid)s)))
ORDER BY j.id LIMIT 1
"""

STORED_JURISDICTION_SQL = "SELECT jurisdiction_id FROM {table} WHERE id = %s{one_type} FOR UPDATE"
# row-level security (0016) hides another municipality's rows from FOR UPDATE, as from a write;
# the public read still finds the feature, so the refusal can name its municipality
PUBLIC_JURISDICTION_SQL = "SELECT jurisdiction_id FROM {table} WHERE id = %s{one_type}"

GEOMETRY_SQL = """
SELECT ST_AsBinary(g), ST_IsValid(g), ST_IsValidReason(g), GeometryType(g), ST_NPoints(g)
FROM (SELECT ST_Transform(ST_SetSRID(CASE WHEN %(swap)s THEN ST_FlipCoordinates(parsed.g)
                                          ELSE parsed.g END, %(srid)s), %(storage_srid)s) AS g
      FROM (SELECT ST_GeomFromGeoJSON(%(geojson)s) AS g) AS parsed) AS stored
"""




def _json_body(body: bytes | str):
    """A request body parsed as JSON; InvalidParameter saying where it is not."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidParameter(f"body: not JSON ({exc.msg} at character {exc.pos})") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("body: not UTF-8 JSON") from None


def read_feature(body: bytes | str | dict) -> dict:
    """The GeoJSON Feature in a request body; InvalidParameter saying what is wrong."""
    if isinstance(body, (bytes, str)):
        body = _json_body(body)
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise InvalidParameter('body: a GeoJSON Feature ({"type": "Feature", ...})')
    if not isinstance(body.get("geometry"), dict):
        raise InvalidParameter("geometry: required (a GeoJSON geometry object)")
    if not isinstance(body.get("properties"), dict):
        raise InvalidParameter("properties: required (an object)")
    return body


def _check_value(layer: Layer, f: Field, value) -> object:
    if value is None:
        if f.required:
            raise InvalidParameter(f"{f.name}: required for {layer.id}")
        return None
    if isinstance(value, bool) and f.type != "boolean":
        raise InvalidParameter(f"{f.name}: a {f.type}, not {value!r}")
    if not isinstance(value, _PYTHON_TYPES[f.type]):
        raise InvalidParameter(f"{f.name}: a {f.type}, not {type(value).__name__} {value!r}")
    if f.type == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidParameter(f"{f.name}: {value!r} is not an ISO date") from None
    if f.type == "timestamptz":
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidParameter(f"{f.name}: {value!r} is not an ISO date-time") from None
        if stamp.tzinfo is None:
            raise InvalidParameter(f"{f.name}: {value!r} needs a time zone (e.g. +02:00 or Z)")
        return stamp
    if f.type == "text[]" and not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"{f.name}: a list of strings")
    if f.choices and value not in f.codes:
        raise InvalidParameter(f"{f.name}: {value!r} is not one of {', '.join(f.codes)}")
    return value


def check_properties(layer: Layer, properties: dict) -> dict[str, object]:
    """The public field values of a full feature, each checked against the catalogue."""
    public = {f.name: f for f in layer.public_fields}
    private = {f.name for f in layer.private_fields}
    for name in properties:
        if name in private:
            raise InvalidParameter(f"{name}: personal data is not written through this API")
        if name not in public and name != "id":
            raise InvalidParameter(f"{name}: not a property of {layer.id}; properties: "
                                   f"{', '.join(public)}")
    return {name: _check_value(layer, f, properties.get(name)) for name, f in public.items()}


def _geometry(cur, layer: Layer, geometry: dict, crs: tuple[int, bool]) -> tuple[bytes, str]:
    """The feature's geometry in the storage CRS (WKB) and its municipality.

    ``crs`` is the SRID the coordinates are in and whether they come latitude first.
    """
    srid, swap = crs
    expected = layer.allowed_geometries or (layer.geometry_type.upper(),)
    try:
        cur.execute("SAVEPOINT parse_geometry")
        cur.execute(GEOMETRY_SQL, {"geojson": json.dumps(geometry), "srid": srid,
                                   "swap": swap, "storage_srid": layer.srid})
        wkb, valid, reason, kind, points = cur.fetchone()
        cur.execute("RELEASE SAVEPOINT parse_geometry")
    except psycopg2.Error as exc:
        cur.execute("ROLLBACK TO SAVEPOINT parse_geometry")
        # PostGIS's words go to the log, not to the caller
        raise InvalidParameter("geometry: not a GeoJSON geometry (type and coordinates as "
                               "RFC 7946 gives them)", detail=exc.diag.message_primary) from None
    if kind not in expected and not (kind == "POLYGON" and "MULTIPOLYGON" in expected):
        raise InvalidParameter(f"geometry: {layer.id} takes {' or '.join(expected)}, not {kind}")
    if points > MAX_VERTICES:
        raise InvalidParameter(f"geometry: {points} vertices, more than {MAX_VERTICES}")
    if not valid:
        raise InvalidParameter(f"geometry: invalid ({reason})")
    if kind == "POLYGON" and layer.geometry_type == "MultiPolygon":
        cur.execute("SELECT ST_AsBinary(ST_Multi(ST_GeomFromWKB(%s)))", (wkb,))
        (wkb,) = cur.fetchone()
    cur.execute(JURISDICTION_SQL, {"wkb": wkb, "srid": layer.srid})
    row = cur.fetchone()
    if row is None:
        raise InvalidParameter("geometry: outside every municipality this server holds")
    return bytes(wkb), row[0]


def _rule_text(f: Field, rule: str) -> str:
    if rule == "min":
        return f"at least {f.minimum:g}"
    if rule == "max":
        return f"at most {f.maximum:g}"
    if rule == "format":
        return f"must match {f.pattern}"
    if rule == "choice":
        return f"one of {', '.join(f.codes)}"
    return f"breaks the rule {rule}"


def _constraint_message(layer: Layer, exc: psycopg2.Error) -> DimosError:
    """A database constraint violation as the message a client can act on."""
    name = exc.diag.constraint_name or ""
    if exc.pgcode == errorcodes.UNIQUE_VIOLATION:
        key = ", ".join(layer.natural_key)
        for f in layer.public_fields:
            if name == f"{layer.table}_{f.name}_unique":
                key = f.name
        return Conflict(f"{key}: a feature of {layer.id} with this value already exists")
    for f in layer.public_fields:
        prefix = f"{layer.table}_{f.name}_"
        if name.startswith(prefix):
            return InvalidParameter(f"{f.name}: {_rule_text(f, name[len(prefix):])}")
    for check_name, expression in layer.checks:
        if name == check_name:
            return InvalidParameter(f"properties: break the rule {check_name} ({expression})")
    return InvalidParameter(f"{layer.id}: the feature breaks the rule {name or exc.pgcode}")


def _write(cur, layer: Layer, statement: sql.Composable, params: list):
    try:
        cur.execute("SAVEPOINT write_feature")
        cur.execute(statement, params)
        row = cur.fetchone()
        cur.execute("RELEASE SAVEPOINT write_feature")
        return row
    except (psycopg2.IntegrityError, psycopg2.DataError) as exc:
        cur.execute("ROLLBACK TO SAVEPOINT write_feature")
        raise _constraint_message(layer, exc) from None


def _one_type(layer: Layer) -> sql.Composable:
    """`` AND`` the collection's geometry type, for a collection of a shared table: its
    features are only the rows of that type (a point permit is not in the parcels')."""
    clause = geometry_type_clause(layer)
    return sql.SQL("") if clause is None else sql.SQL(" AND ") + clause


def _stored_jurisdiction(cur, layer: Layer, feature_id: int) -> str:
    """The municipality feature ``feature_id`` is in (locked: a concurrent move waits)."""
    table = sql.Identifier(layer.table)
    one_type = _one_type(layer)
    cur.execute(sql.SQL(STORED_JURISDICTION_SQL).format(table=table, one_type=one_type),
                (feature_id,))
    row = cur.fetchone()
    if row is None:
        cur.execute(sql.SQL(PUBLIC_JURISDICTION_SQL).format(table=table, one_type=one_type),
                    (feature_id,))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"no feature {feature_id} in {layer.id}")
    return row[0]


def create_feature(cur, layer: Layer, feature: dict, crs: tuple[int, bool], *,
                   principal: Principal | None) -> int:
    """Insert ``feature`` for ``principal`` (Forbidden outside its municipalities); its new id."""
    values = check_properties(layer, feature["properties"])
    wkb, jurisdiction = _geometry(cur, layer, feature["geometry"], crs)
    check_acts_in(principal, jurisdiction, f"the new feature of {layer.id}")
    columns = ["jurisdiction_id", *values, "geom"]
    statement = sql.SQL("INSERT INTO {table} ({columns}) VALUES ({values}, "
                        "ST_GeomFromWKB(%s, {srid})) RETURNING id").format(
        table=sql.Identifier(layer.table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=sql.SQL(", ").join(sql.Placeholder() * (len(columns) - 1)),
        srid=sql.Literal(int(layer.srid)))
    (feature_id,) = _write(cur, layer, statement, [jurisdiction, *values.values(), wkb])
    return feature_id


#: what a write's If-Match or If-Unmodified-Since asks of the stored feature (None: nothing,
#: the write goes ahead)
Precondition = Callable[[FeatureState], bool] | None


def _check_precondition(cur, layer: Layer, feature_id: int, precondition: Precondition) -> None:
    """Refuse the write if the stored feature (the row is locked already) is not the version
    the client's precondition names: check and write are one transaction, so one of two planners
    holding the same version wins and the other gets 412."""
    if precondition is None:
        return
    current = feature_state(cur, layer, feature_id)
    if current is None or not precondition(current):
        version = current.version if current else None
        raise PreconditionFailed(f"feature {feature_id} of {layer.id} changed since the version "
                                 f"you hold: it is now \"{version}\"; read it again",
                                 state=current)


def _update(cur, layer: Layer, feature_id: int, values: dict[str, object],
            placed: tuple[bytes, str] | None) -> None:
    """Write ``values`` (and, if ``placed``, the geometry and municipality) to the row."""
    columns = list(values)
    params = list(values.values())
    geometry = sql.SQL("")
    if placed is not None:
        wkb, jurisdiction = placed
        columns.insert(0, "jurisdiction_id")
        params = [jurisdiction, *params, wkb]
        geometry = sql.SQL(", geom = ST_GeomFromWKB(%s, {srid})").format(
            srid=sql.Literal(int(layer.srid)))
    statement = sql.SQL("UPDATE {table} SET ({columns}) = ROW({values}){geometry} "
                        "WHERE id = %s{one_type} RETURNING id").format(
        table=sql.Identifier(layer.table), one_type=_one_type(layer),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=sql.SQL(", ").join(sql.Placeholder() * len(columns)), geometry=geometry)
    if _write(cur, layer, statement, [*params, feature_id]) is None:
        raise NotFound(f"no feature {feature_id} in {layer.id}")


def replace_feature(cur, layer: Layer, feature_id: int, feature: dict, crs: tuple[int, bool], *,
                    principal: Principal | None, precondition: Precondition = None) -> None:
    """Replace every public property and the geometry of feature ``feature_id``: where it was
    and where it goes must both be municipalities ``principal`` acts in."""
    values = check_properties(layer, feature["properties"])
    check_acts_in(principal, _stored_jurisdiction(cur, layer, feature_id),
                  f"feature {feature_id} of {layer.id}")
    _check_precondition(cur, layer, feature_id, precondition)
    wkb, jurisdiction = _geometry(cur, layer, feature["geometry"], crs)
    check_acts_in(principal, jurisdiction, f"the place feature {feature_id} of {layer.id} moves to")
    _update(cur, layer, feature_id, values, (wkb, jurisdiction))


def merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7396 on a feature's flat properties: a null removes, a value (lists whole) replaces."""
    merged = dict(target)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def read_merge_patch(body: bytes | str, feature_id: int) -> dict:
    """The JSON Merge Patch of a feature in a request body; InvalidParameter saying what is wrong."""
    patch = _json_body(body)
    if not isinstance(patch, dict):
        raise InvalidParameter("body: a JSON Merge Patch of a Feature (an object)")
    if patch.get("type", "Feature") != "Feature":
        raise InvalidParameter("type: a feature stays a Feature")
    if "id" in patch and str(patch["id"]) != str(feature_id):
        raise InvalidParameter(f"id: a feature's id cannot change (it is {feature_id})")
    if not isinstance(patch.get("properties", {}), dict):
        raise InvalidParameter("properties: an object of the properties to change")
    if "geometry" in patch and not isinstance(patch["geometry"], dict):
        raise InvalidParameter("geometry: a GeoJSON geometry object (it replaces the stored "
                               "one whole; a feature cannot lose its geometry)")
    return patch


def patch_feature(cur, layer: Layer, feature_id: int, patch: dict, crs: tuple[int, bool], *,
                  principal: Principal | None, precondition: Precondition = None) -> None:
    """Apply a JSON Merge Patch to feature ``feature_id``: the result is checked as a replacement
    is; a geometry in the patch replaces the stored one whole."""
    check_acts_in(principal, _stored_jurisdiction(cur, layer, feature_id),
                  f"feature {feature_id} of {layer.id}")
    _check_precondition(cur, layer, feature_id, precondition)
    stored = get_feature(cur, layer, feature_id)
    if stored is None:
        raise NotFound(f"no feature {feature_id} in {layer.id}")
    values = check_properties(layer, merge_patch(stored["properties"],
                                                 patch.get("properties", {})))
    placed = None
    if "geometry" in patch:
        placed = _geometry(cur, layer, patch["geometry"], crs)
        check_acts_in(principal, placed[1],
                      f"the place feature {feature_id} of {layer.id} moves to")
    _update(cur, layer, feature_id, values, placed)


def delete_feature(cur, layer: Layer, feature_id: int, *, principal: Principal | None,
                   precondition: Precondition = None) -> None:
    """Delete feature ``feature_id`` (its private row goes with it)."""
    check_acts_in(principal, _stored_jurisdiction(cur, layer, feature_id),
                  f"feature {feature_id} of {layer.id}")
    _check_precondition(cur, layer, feature_id, precondition)
    statement = sql.SQL("DELETE FROM {table} WHERE id = %s{one_type} RETURNING id").format(
        table=sql.Identifier(layer.table), one_type=_one_type(layer))
    if _write(cur, layer, statement, [feature_id]) is None:
        raise NotFound(f"no feature {feature_id} in {layer.id}")
