"""Bulk writes of catalogue layers: GeoDataFrames in, rows of one municipality out, all or nothing."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import geopandas as gpd
import pandas as pd
import shapely
from psycopg2 import sql
from psycopg2.extras import Json, execute_values

import layers
from layers.model import Layer

PAGE_SIZE = 1000


def _value(value):
    """A Python value psycopg2 can bind: NaN/NaT become NULL, numpy scalars plain Python."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        return value.item()
    return value


def _check_frame(layer: Layer, frame: gpd.GeoDataFrame) -> None:
    expected = [f.name for f in layer.fields]
    missing = [name for name in expected if name not in frame.columns]
    if missing:
        raise ValueError(f"{layer.id}: columns missing: {', '.join(missing)}")
    if frame.crs is None or frame.crs.to_epsg() != layer.srid:
        raise ValueError(f"{layer.id}: expected CRS EPSG:{layer.srid}, got {frame.crs}")


def insert_features(cur, layer: Layer, jurisdiction_id: str, frame: gpd.GeoDataFrame) -> int:
    """Insert ``frame``'s rows into ``layer`` (and its private table) for one municipality.

    Runs on the caller's cursor and transaction; returns the number of features inserted.
    Identifiers come from the catalogue only; every value is a bound parameter.
    """
    _check_frame(layer, frame)
    public = [f.name for f in layer.public_fields]
    private = [f.name for f in layer.private_fields]
    columns = ["jurisdiction_id", *public, "geom"]
    insert = sql.SQL("INSERT INTO {table} ({columns}) VALUES %s RETURNING id").format(
        table=sql.Identifier(layer.table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
    )
    template = "(" + ", ".join(["%s"] * (len(columns) - 1)) + f", ST_GeomFromWKB(%s, {int(layer.srid)}))"
    wkb = shapely.to_wkb(frame.geometry.values, hex=False)
    rows = [
        (jurisdiction_id, *(_value(v) for v in values), geom)
        for values, geom in zip(frame[public].itertuples(index=False, name=None), wkb)
    ]
    ids = execute_values(cur, insert, rows, template=template, page_size=PAGE_SIZE, fetch=True)
    if private:
        insert_private = sql.SQL("INSERT INTO {table} ({columns}) VALUES %s").format(
            table=sql.Identifier(layer.private_table),
            columns=sql.SQL(", ").join(map(sql.Identifier, ["feature_id", "jurisdiction_id", *private])),
        )
        private_rows = [
            (feature_id, jurisdiction_id, *(_value(v) for v in values))
            for (feature_id,), values in zip(ids, frame[private].itertuples(index=False, name=None))
        ]
        execute_values(cur, insert_private, private_rows, page_size=PAGE_SIZE)
    return len(rows)


def delete_features(cur, layer: Layer, jurisdiction_id: str) -> int:
    """Delete every feature of ``layer`` in one municipality (private rows go by cascade)."""
    cur.execute(
        sql.SQL("DELETE FROM {} WHERE jurisdiction_id = %s").format(sql.Identifier(layer.table)),
        (jurisdiction_id,),
    )
    return cur.rowcount


UPSERT_JURISDICTION_SQL = """
INSERT INTO jurisdictions (id, name_el, name_en, ypes_code, elstat_code, boundary)
VALUES (%(id)s, %(name_el)s, %(name_en)s, %(ypes_code)s, %(elstat_code)s,
        ST_Multi(ST_GeomFromWKB(%(boundary)s, 2100)))
ON CONFLICT (id) DO UPDATE SET
    name_el = EXCLUDED.name_el, name_en = EXCLUDED.name_en, ypes_code = EXCLUDED.ypes_code,
    elstat_code = EXCLUDED.elstat_code, boundary = EXCLUDED.boundary
"""


def upsert_jurisdiction(cur, jurisdiction: Mapping) -> None:
    """Create or update a municipality; ``boundary`` is a shapely geometry in EPSG:2100."""
    params = {key: jurisdiction.get(key) for key in ("id", "name_el", "name_en", "ypes_code",
                                                      "elstat_code")}
    params["boundary"] = shapely.to_wkb(jurisdiction["boundary"])
    cur.execute(UPSERT_JURISDICTION_SQL, params)


def replace_layers(cur, jurisdiction_id: str, frames: Mapping[str, gpd.GeoDataFrame],
                   order: Iterable[str] | None = None) -> dict[str, int]:
    """Replace the given layers' features of one municipality; returns counts per layer."""
    counts = {}
    for layer_id in order or frames:
        layer = layers.get(layer_id)
        delete_features(cur, layer, jurisdiction_id)
        counts[layer_id] = insert_features(cur, layer, jurisdiction_id, frames[layer_id])
    return counts


def replace_services(cur, jurisdiction_id: str, services: list[dict], routing: list[dict]) -> int:
    """Replace a municipality's Open311 services and routing rules; returns the services."""
    cur.execute("DELETE FROM services WHERE jurisdiction_id = %s", (jurisdiction_id,))
    execute_values(cur, """
        INSERT INTO services (jurisdiction_id, service_code, name_el, name_en, description,
                              group_name, keywords, sla_hours, department, attributes)
        VALUES %s""", [(jurisdiction_id, s["service_code"], s["name_el"], s["name_en"],
                        s["description"], s["group_name"], s["keywords"], s["sla_hours"],
                        s["department"], Json(s["attributes"])) for s in services])
    if routing:
        execute_values(cur, """
            INSERT INTO service_routing (jurisdiction_id, service_code, district_code,
                                         settlement_code, department) VALUES %s""",
                       [(jurisdiction_id, r["service_code"], r["district_code"],
                         r["settlement_code"], r["department"]) for r in routing])
    return len(services)


def count_features(cur, jurisdiction_id: str, layer_ids: Iterable[str]) -> dict[str, int]:
    """Features per layer that one municipality holds (only the layers holding any)."""
    counts = {}
    for layer_id in layer_ids:
        cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE jurisdiction_id = %s").format(
            sql.Identifier(layers.get(layer_id).table)), (jurisdiction_id,))
        (count,) = cur.fetchone()
        if count:
            counts[layer_id] = count
    return counts


def count_imports(cur, jurisdiction_id: str, layer_ids: Iterable[str]) -> int:
    """Imports recorded for these layers of one municipality."""
    cur.execute("SELECT count(*) FROM imports WHERE jurisdiction_id = %s AND layer_id = ANY(%s)",
                (jurisdiction_id, list(layer_ids)))
    return cur.fetchone()[0]


def forget_imports(cur, jurisdiction_id: str, layer_ids: Iterable[str]) -> int:
    """Drop the records of imports into these layers of one municipality, once their features
    are gone: a record left behind would make the same file's next import a silent no-op."""
    cur.execute("DELETE FROM imports WHERE jurisdiction_id = %s AND layer_id = ANY(%s)",
                (jurisdiction_id, list(layer_ids)))
    return cur.rowcount


def lock_municipality_load(cur, jurisdiction_id: str) -> None:
    """Serialise whole-municipality loads (two `make run`s at once load the demo once)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('dimos load ' || %s))", (jurisdiction_id,))
