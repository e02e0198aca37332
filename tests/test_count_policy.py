"""numberMatched's count policy: counted when the query is expected to match few features
(the table's size, or for a larger table the planner's estimate of the query), never above the
count limit but for resulttype=hits, and DIMOS_COUNT_LIMIT reaches every collection."""
from __future__ import annotations

import layers
from gis.features import FeatureQuery, query_page
from ogc.config import build_config
from settings import Settings

#: a count limit far below the demo's 5,600 requests: the table is "large" for it
LIMIT = 50
REQUESTS = layers.collection("service_requests")


def _street_box(cursor) -> tuple[tuple[float, float, float, float], int]:
    """A 40 m box (storage CRS) around a request, holding more than a page of 2 requests and
    fewer than LIMIT (the one holding nearest 10), and the requests it holds."""
    cursor.execute("""
        SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b), held
        FROM (SELECT b, (SELECT count(*) FROM service_requests AS o WHERE o.geom && b) AS held
              FROM (SELECT ST_Expand(ST_Envelope(r.geom), 20) AS b
                    FROM service_requests AS r) AS boxes) AS counted
        ORDER BY abs(held - 10), 1, 2 LIMIT 1""")
    *box, held = cursor.fetchone()
    assert 2 < held < LIMIT, held
    return tuple(box), held


def test_a_query_expected_to_match_few_features_of_a_large_table_is_counted(cursor):
    box, held = _street_box(cursor)
    page = query_page(cursor, FeatureQuery(layer=REQUESTS, limit=2, bbox=box, count_limit=LIMIT))
    assert len(page.features) == 2 and page.next_key is not None
    assert page.number_matched == held


def test_a_query_expected_to_match_more_than_the_limit_carries_no_count(cursor):
    page = query_page(cursor, FeatureQuery(layer=REQUESTS, limit=2, count_limit=LIMIT))
    assert len(page.features) == 2 and page.number_matched is None
    cursor.execute("SELECT count(*) FROM service_requests")
    (total,) = cursor.fetchone()
    assert total > LIMIT
    # asked for the number alone, it is counted whatever the limit
    hits = query_page(cursor, FeatureQuery(layer=REQUESTS, limit=0, count_limit=LIMIT))
    assert hits.number_matched == total


def test_a_count_limit_of_zero_counts_for_resulttype_hits_only(cursor):
    box, held = _street_box(cursor)
    page = query_page(cursor, FeatureQuery(layer=REQUESTS, limit=2, bbox=box, count_limit=0))
    assert len(page.features) == 2 and page.number_matched is None
    hits = query_page(cursor, FeatureQuery(layer=REQUESTS, limit=0, bbox=box, count_limit=0))
    assert hits.number_matched == held
    # a page that reaches the end shows the number without counting
    whole = query_page(cursor, FeatureQuery(layer=REQUESTS, limit=LIMIT, bbox=box, count_limit=0))
    assert whole.number_matched == held == len(whole.features)


def test_the_count_limit_setting_reaches_every_collection():
    config = build_config(Settings(count_limit=7), "http://dimos.example/ogc",
                          [-180, -90, 180, 90])
    features = [provider for resource in config["resources"].values()
                for provider in resource.get("providers", []) if provider["type"] == "feature"]
    assert len(features) >= len(layers.COLLECTIONS)
    assert {provider["data"]["count_limit"] for provider in features} == {7}
