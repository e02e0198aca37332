"""A municipality's plan history: the days its zoning changed (the plan versions), and what
changed between two days — the zones an amendment added, removed or changed.

Zones in force on both days are the same rows and unchanged. Of the others, a zone that ended
and one that began are the same zone changed when each covers at least half of the other
(each one's best match); the ones left are removed or added.
"""
from __future__ import annotations

import json
from datetime import date

from gis.errors import InvalidParameter, NotFound

#: the terms compared, in the order a report lists them
TERMS = ("zone_code", "land_use", "building_coefficient", "coverage_pct", "max_height_m",
         "max_floors", "min_plot_area_m2", "min_frontage_m")
#: a zone's share of its counterpart for the two to be one zone changed
SAME_ZONE_SHARE = 0.5

VERSIONS_SQL = """
WITH days AS (
  SELECT valid_from AS day FROM zoning WHERE jurisdiction_id = %(j)s
  UNION SELECT valid_to FROM zoning WHERE jurisdiction_id = %(j)s AND valid_to IS NOT NULL)
SELECT d.day,
       (SELECT count(*) FROM zoning z WHERE z.jurisdiction_id = %(j)s AND z.valid_from <= d.day
          AND (z.valid_to IS NULL OR z.valid_to > d.day)) AS zones,
       coalesce((SELECT json_agg(json_build_object('plan_id', p.plan_id, 'plan_type', p.plan_type,
                                                   'title', p.title, 'fek', p.fek,
                                                   'amends', p.amends) ORDER BY p.plan_id)
                 FROM plans p WHERE p.jurisdiction_id = %(j)s AND p.valid_from = d.day), '[]')
FROM days d ORDER BY d.day
"""

PLAN_START_SQL = "SELECT valid_from FROM plans WHERE jurisdiction_id = %(j)s AND plan_id = %(plan)s"

_TERMS_JSON = ("jsonb_build_object('zone_id', {z}.zone_id, 'plan_id', {z}.plan_id, 'plan_type', "
               "{z}.plan_type, 'fek', {z}.fek, 'valid_from', {z}.valid_from, 'valid_to', "
               "{z}.valid_to, 'area_m2', round(ST_Area({z}.geom)::numeric), "
               + ", ".join(f"'{term}', {{z}}.{term}" for term in TERMS) + ")")

CHANGES_SQL = f"""
WITH zones AS (
  SELECT z.*, p.fek, p.plan_type FROM zoning z
  LEFT JOIN plans p ON p.jurisdiction_id = z.jurisdiction_id AND p.plan_id = z.plan_id
  WHERE z.jurisdiction_id = %(j)s),
before AS (SELECT * FROM zones WHERE valid_from <= %(before)s
             AND (valid_to IS NULL OR valid_to > %(before)s)),
after AS (SELECT * FROM zones WHERE valid_from <= %(after)s
            AND (valid_to IS NULL OR valid_to > %(after)s)),
ended AS (SELECT * FROM before WHERE id NOT IN (SELECT id FROM after)),
began AS (SELECT * FROM after WHERE id NOT IN (SELECT id FROM before)),
overlapping AS (
  SELECT e.id AS old_id, b.id AS new_id, ST_Area(ST_Intersection(e.geom, b.geom)) AS shared,
         greatest(ST_Area(e.geom), ST_Area(b.geom)) AS larger
  FROM ended e JOIN began b ON ST_Intersects(e.geom, b.geom)),
pairs AS (
  SELECT DISTINCT ON (old_id) old_id, new_id FROM (
    SELECT DISTINCT ON (new_id) * FROM overlapping WHERE shared >= %(share)s * larger
    ORDER BY new_id, shared DESC) AS best_for_new
  ORDER BY old_id, shared DESC)
SELECT 'changed', {_TERMS_JSON.format(z="o")}, {_TERMS_JSON.format(z="n")},
       ST_AsGeoJSON(ST_Transform(n.geom, 4326), 7), n.zone_code
FROM pairs JOIN ended o ON o.id = pairs.old_id JOIN began n ON n.id = pairs.new_id
UNION ALL
SELECT 'removed', {_TERMS_JSON.format(z="o")}, NULL, ST_AsGeoJSON(ST_Transform(o.geom, 4326), 7),
       o.zone_code
FROM ended o WHERE o.id NOT IN (SELECT old_id FROM pairs)
UNION ALL
SELECT 'added', NULL, {_TERMS_JSON.format(z="n")}, ST_AsGeoJSON(ST_Transform(n.geom, 4326), 7),
       n.zone_code
FROM began n WHERE n.id NOT IN (SELECT new_id FROM pairs)
ORDER BY 5, 1
"""


def plan_versions(cur, jurisdiction: str) -> list[dict]:
    """Each day the municipality's zoning changed: the zones in force from it, and the plans
    that came into force then."""
    cur.execute(VERSIONS_SQL, {"j": jurisdiction})
    return [{"date": day.isoformat(), "zones": zones, "plans": plans}
            for day, zones, plans in cur.fetchall()]


def plan_start(cur, jurisdiction: str, plan_id: str) -> date:
    cur.execute(PLAN_START_SQL, {"j": jurisdiction, "plan": plan_id})
    found = cur.fetchone()
    if found is None:
        raise NotFound(f"plan_id: no plan {plan_id[:40]!r} in {jurisdiction}")
    return found[0]


def plan_changes(cur, jurisdiction: str, before: date, after: date) -> dict:
    """What changed in the zones in force from ``before`` to ``after``, as GeoJSON: each
    feature's ``change`` (added, removed, changed), its terms ``before`` and ``after`` and the
    terms that differ; the geometry is the newer zone's (the older one's if removed)."""
    if after <= before:
        raise InvalidParameter(f"to: {after} is not after from ({before})")
    cur.execute(CHANGES_SQL, {"j": jurisdiction, "before": before, "after": after,
                              "share": SAME_ZONE_SHARE})
    features = []
    for change, old, new, geometry, _ in cur.fetchall():
        differs = [t for t in TERMS if old and new and old[t] != new[t]]
        if old and new and old["area_m2"] != new["area_m2"]:
            differs.append("area_m2")
        features.append({"type": "Feature", "geometry": json.loads(geometry), "properties": {
            "change": change, "zone_code": (new or old)["zone_code"], "before": old, "after": new,
            "changed_terms": differs}})
    return {"type": "FeatureCollection", "from": before.isoformat(), "to": after.isoformat(),
            "features": features}
