"""Planners create and replace zones and settlements through OGC API Features Part 4 (the
layers' `editors`); deleting is for staff (README, Create/replace/delete). Permits are
covered by test_security's role table."""
from __future__ import annotations

import uuid

import pytest
import requests
from psycopg2 import sql

from gis import db
from tests.helpers import rows, token

GEOJSON = "application/geo+json"
# a small square in the old town, in CRS84
SQUARE = [[[24.4740, 35.3670], [24.4744, 35.3670], [24.4744, 35.3673], [24.4740, 35.3673],
           [24.4740, 35.3670]]]


def _zone(zone_id: str, **properties) -> dict:
    # in force from a date to come: no report on today's plan is changed meanwhile
    return {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE]},
            "properties": {"zone_id": zone_id, "plan_id": "TEST-PLAN", "zone_code": "Τ1",
                           "land_use": "general_residential", "building_coefficient": 0.8,
                           "valid_from": "2099-01-01", **properties}}


def _settlement(code: str, **properties) -> dict:
    return {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE]},
            "properties": {"settlement_code": code, "name": "Δοκιμαστικός",
                           "category": "under_2000", "population_2021": 12, **properties}}


CASES = {
    "zoning": ("zone_id", lambda key, **p: _zone(key, **p), {"building_coefficient": 1.2}),
    "settlements": ("settlement_code", lambda key, **p: _settlement(key, **p),
                    {"population_2021": 40}),
}


@pytest.fixture(scope="module")
def tokens(demo_url):
    names = {"planner": "planner-edits", "staff": "staff-planner-edits"}
    issued = {role: token(demo_url, name, role) for role, name in names.items()}
    yield issued
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = ANY(%s) "
                    "AND revoked_at IS NULL", (list(names.values()),))
    conn.close()


def _select(what: sql.Composable, layer: str, key_field: str) -> sql.Composed:
    return sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(what, sql.Identifier(layer),
                                                            sql.Identifier(key_field))


def _as(role_token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {role_token}", "Content-Type": GEOJSON, **extra}


@pytest.mark.parametrize("layer", CASES)
def test_a_planner_creates_and_replaces_but_only_staff_delete(live_server, demo_url, tokens,
                                                              layer):
    key_field, feature, change = CASES[layer]
    key = f"99{uuid.uuid4().int % 10 ** 8:08d}"  # ten digits: a settlement code's pattern too
    items = f"{live_server}/ogc/collections/{layer}/items"
    planner = tokens["planner"]
    try:
        created = requests.post(items, json=feature(key), headers=_as(planner), timeout=30)
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        replaced = requests.put(location, json=feature(key, **change), headers=_as(planner),
                                timeout=30)
        assert replaced.status_code == 204, replaced.text
        (field, value), = change.items()
        assert rows(demo_url, _select(sql.Identifier(field), layer, key_field), (key,)) == \
            [(value,)]
        refused = requests.delete(location, headers=_as(planner), timeout=30)
        assert refused.status_code == 403, refused.text
        assert rows(demo_url, _select(sql.SQL("count(*)"), layer, key_field), (key,)) == [(1,)]
        deleted = requests.delete(location, headers=_as(tokens["staff"]), timeout=30)
        assert deleted.status_code == 200, deleted.text
        assert requests.get(location, params={"f": "json"}, timeout=30).status_code == 404
    finally:
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                sql.Identifier(layer), sql.Identifier(key_field)), (key,))
        conn.close()
