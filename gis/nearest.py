"""The nearest features of a layer to a point, with straight-line distances in metres."""
from __future__ import annotations

import shapely
from psycopg2 import sql
from shapely.geometry import Point

from gis.cql import cql_to_sql
from gis.errors import InvalidParameter
from layers.model import Layer

MAX_COUNT = 100


def nearest_features(cur, layer: Layer, point: Point, count: int, cql=None) -> list[dict]:
    """GeoJSON features (CRS84) of ``layer`` nearest ``point`` (storage CRS), nearest first.

    ``cql`` is a pygeofilter AST (geometries already in the storage CRS); each feature's
    properties get ``distance_m``. The KNN operator (<->) walks the GiST index.
    """
    if not 1 <= count <= MAX_COUNT:
        raise InvalidParameter(f"count: {count} outside 1–{MAX_COUNT}")
    where, params = sql.SQL(""), []
    if cql is not None:
        clause, params = cql_to_sql(cql, layer)
        where = sql.SQL(" WHERE ") + clause
    properties = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(f.name), sql.Identifier(f.name))
        for f in layer.public_fields)
    query = sql.SQL("""
        SELECT json_build_object(
            'type', 'Feature', 'id', id,
            'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 8, 0)::json,
            'properties', json_build_object({properties}) ::jsonb
                          || jsonb_build_object('distance_m', round(ST_Distance(geom, q.p)::numeric, 1)))
        FROM {table}, (SELECT ST_GeomFromWKB(%s, {srid}) AS p) AS q{where}
        ORDER BY geom <-> q.p, id
        LIMIT %s""").format(properties=properties, table=sql.Identifier(layer.table),
                            srid=sql.Literal(int(layer.srid)), where=where)
    cur.execute(query, [shapely.to_wkb(point), *params, int(count)])
    return [row[0] for row in cur.fetchall()]
