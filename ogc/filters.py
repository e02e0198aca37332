"""The ``filter`` of a collection's items as dimos reads it: in the language filter-lang names,
parsed and checked against the layer's queryables before pygeoapi runs the query."""
from __future__ import annotations

import re

from flask import request

from gis.cql_parse import parse_cql2_json, parse_cql2_text
from ogc.config import CRS_URIS

ITEMS = re.compile(r"^/ogc/collections/([^/]+)/items$")


def parse_filter_parameter(cql_text: str):
    """The ``filter`` query parameter in the language ``filter-lang`` names (pygeoapi reads
    it as CQL2 text whatever filter-lang says: ogc/patches.py puts this in its place)."""
    if request.args.get("filter-lang") == "cql2-json":
        return parse_cql2_json(cql_text)
    return parse_cql2_text(cql_text)


def check_items_filter() -> None:
    """A filter on a collection's items, parsed and checked against the layer's queryables
    before pygeoapi sees it: pygeoapi answers any filter it cannot read with a bare
    'Bad CQL text' and an ERROR in the log; this says what is wrong and where (a 400)."""
    import layers
    from gis.cql import cql_to_sql
    from gis.cql_parse import check_filter_geometries

    match = ITEMS.match(request.path)
    if match is None or match[1] not in {layer.id for layer in layers.collections()}:
        return  # not a collection's items: pygeoapi answers (404)
    if request.method == "POST" and request.mimetype == "application/query-cql-json":
        node = parse_cql2_json(request.get_data(cache=True))
    elif request.method == "GET" and "filter" in request.args:
        node = parse_filter_parameter(request.args["filter"])
    else:
        return
    check_filter_geometries(node, request.args.get("filter-crs") or CRS_URIS["CRS84"])
    cql_to_sql(node, layers.collection(match[1]))  # the types, the bounds: InvalidParameter if not
