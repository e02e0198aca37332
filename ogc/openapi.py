"""The OpenAPI document made whole offline: pygeoapi's refers to schemas.opengis.net and GitHub
for its shared parameters, responses and schemas; dimos writes those parts in place.

No client (Swagger UI on a machine without internet, a test tool, a code generator) has to
fetch anything to read the document. The definitions follow the OGC API specifications they
stand for (Features Part 1, Tiles Part 1, Processes Part 1, Records' sortby).
"""
from __future__ import annotations

from ogc.openapi_features import describe_edits_and_sortables

F1 = "https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/ogcapi-features-1.yaml#/components/"
T1 = "https://schemas.opengis.net/ogcapi/tiles/part1/1.0/openapi/ogcapi-tiles-1.yaml#/components/"
P1 = "https://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/"
SORTBY = ("https://raw.githubusercontent.com/opengeospatial/ogcapi-records/master/core/openapi/"
          "parameters/sortby.yaml")
CQL2 = "https://schemas.opengis.net/cql2/1.0/cql2.json"

EXCEPTION = {"type": "object", "required": ["code"],
             "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}
LINK = {"type": "object", "required": ["href"],
        "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                       "type": {"type": "string"}, "title": {"type": "string"}}}
LINKS = {"type": "array", "items": LINK}
FEATURE = {"type": "object", "required": ["type", "properties"],
           "properties": {"type": {"type": "string", "enum": ["Feature"]},
                          "geometry": {"type": "object", "nullable": True},
                          "properties": {"type": "object", "nullable": True},
                          "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                          "links": LINKS}}
FEATURE_COLLECTION = {"type": "object", "required": ["type", "features"],
                      "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                     "features": {"type": "array", "items": FEATURE},
                                     "numberMatched": {"type": "integer", "minimum": 0},
                                     "numberReturned": {"type": "integer", "minimum": 0},
                                     "links": LINKS}}


def _response(description: str, schema: dict, media_types=("application/json",)) -> dict:
    return {"description": description,
            "content": {media: {"schema": schema} for media in media_types}}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


REPLACEMENTS = {
    F1 + "responses/InvalidParameter": _response("A parameter has an invalid value.", EXCEPTION),
    F1 + "responses/NotFound": _response("The resource does not exist.", EXCEPTION),
    F1 + "responses/ServerError": _response("A server error occurred.", EXCEPTION),
    F1 + "responses/LandingPage": _response(
        "The landing page.", {"type": "object", "required": ["links"],
                              "properties": {"links": LINKS}}),
    F1 + "responses/Collection": _response(
        "A collection.", {"type": "object", "required": ["id", "links"],
                          "properties": {"id": {"type": "string"}, "links": LINKS}}),
    F1 + "responses/Features": _response("Features.", FEATURE_COLLECTION,
                                         ("application/geo+json", "application/json")),
    F1 + "responses/Feature": _response("A feature.", FEATURE,
                                        ("application/geo+json", "application/json")),
    F1 + "parameters/featureId": _path("featureId", {"type": "string"}, "The feature's id."),
    F1 + "parameters/datetime": {
        "name": "datetime", "in": "query", "required": False, "style": "form", "explode": False,
        "schema": {"type": "string"},
        "description": "An instant or an interval (RFC 3339, `..` for an open end)."},
    T1 + "parameters/tileMatrixSetId": _path("tileMatrixSetId", {"type": "string"},
                                             "The tile matrix set."),
    T1 + "parameters/tileMatrix": _path("tileMatrix", {"type": "string"}, "The zoom level."),
    T1 + "parameters/tileRow": _path("tileRow", {"type": "integer", "minimum": 0}, "The row."),
    T1 + "parameters/tileCol": _path("tileCol", {"type": "integer", "minimum": 0}, "The column."),
    T1 + "schemas/link": LINK,
    SORTBY: {"name": "sortby", "in": "query", "required": False, "style": "form",
             "explode": False, "schema": {"type": "array", "minItems": 1, "items": {
                 "type": "string", "pattern": "^[+-]?[A-Za-z_][A-Za-z0-9_]*$"}},
             "description": "Properties to sort by, `-` for descending."},
    CQL2: {"type": "object", "description": "A CQL2 JSON expression."},
    P1 + "responses/NotFound.yaml": _response("The process or job does not exist.", EXCEPTION),
    P1 + "responses/ServerError.yaml": _response("A server error occurred.", EXCEPTION),
    P1 + "responses/ExecuteAsync.yaml": _response(
        "Started asynchronous execution: the job's status.",
        {"type": "object", "properties": {"jobID": {"type": "string"},
                                          "status": {"type": "string"}}}),
    P1 + "responses/ProcessList.yaml": _response(
        "The processes.", {"type": "object", "required": ["processes", "links"],
                           "properties": {"processes": {"type": "array"}, "links": LINKS}}),
    P1 + "schemas/execute.yaml": {
        "type": "object", "properties": {"inputs": {"type": "object"},
                                         "outputs": {"type": "object"},
                                         "response": {"type": "string",
                                                      "enum": ["raw", "document"]}}},
    P1 + "schemas/exception.yaml": EXCEPTION,
}


# pygeoapi documents a collection's tiles as Tiles 1.0 drafts did (tileMatrixSetLinks) but
# answers as the standard says (OGC API Tiles 1.0, tileSets: `tilesets` and `links`)
TILESETS = {"type": "object", "required": ["links", "tilesets"],
            "properties": {"links": LINKS, "tilesets": {"type": "array", "items": {
                "type": "object", "required": ["links"],
                "properties": {"tileMatrixSetURI": {"type": "string"},
                               "crs": {"type": "string"}, "dataType": {"type": "string"},
                               "links": LINKS}}}}}


UNTIMED_DATETIME = {**REPLACEMENTS[F1 + "parameters/datetime"], "description": (
    "An instant or an interval (RFC 3339, `..` for an open end); this collection's features "
    "have no time, so every one matches.")}

CURSOR = {"name": "cursor", "in": "query", "required": False, "style": "form", "explode": False,
          "schema": {"type": "string", "maxLength": 2048},
          "description": "Where the previous page ended, as its `next` link carries it "
                         "(keyset paging: any page costs what the first does). Not with "
                         "`offset`; made for the same `sortby`."}

CONFORMANCE = {"type": "object", "required": ["conformsTo"],
               "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}}


def offline_document(document: dict) -> dict:
    """The whole document, remote references inlined and pygeoapi's slips corrected: its
    tiles schema, and /conformance documented as a landing page."""
    document = inline_remote_refs(document)
    schemas = document.get("components", {}).get("schemas", {})
    if "tiles" in schemas:
        schemas["tiles"] = TILESETS
    for path, item in document.get("paths", {}).items():
        # Features /req/core/fc-time-definition: every items operation takes datetime
        # (pygeoapi names it only where the layer has a time; elsewhere it selects every feature)
        items = item.get("get") if path.endswith("/items") else None
        if items is not None and not any(p.get("name") == "datetime" or
                                         p.get("$ref", "").endswith("/datetime")
                                         for p in items.get("parameters", [])):
            items["parameters"].append(UNTIMED_DATETIME)
        if items is not None:
            items["parameters"].append(CURSOR)  # the next links' (ogc/providers/features.py)
    conformance = document.get("paths", {}).get("/conformance", {}).get("get")
    if conformance:
        conformance["responses"]["200"] = _response("The conformance classes.", CONFORMANCE)
    _processes_as_the_standard_names_them(document.get("paths", {}))
    describe_edits_and_sortables(document.get("paths", {}))
    return document


PROCESS_LIMIT = {"name": "limit", "in": "query", "required": False, "style": "form",
                 "explode": False, "description": "How many processes a page lists.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}}
PROCESS_OFFSET = {"name": "offset", "in": "query", "required": False, "style": "form",
                  "explode": False, "description": "How many processes to pass over (the "
                                                   "`next` and `prev` links carry it).",
                  "schema": {"type": "integer", "minimum": 0, "default": 0}}
PREFER = {"in": "header", "name": "Prefer", "required": False, "schema": {"type": "string"},
          "description": "`respond-async` to run the process as a job (RFC 7240 preferences)."}
#: pygeoapi's operation ids → those of the standard's OpenAPI fragments (clients and the
#: official test suite look operations up by them)
OPERATION_IDS = {"getJob": "getStatus", "getJobResults": "getResult"}
PROCESS_ID = _path("processId", {"type": "string"}, "The process.")


def _processes_as_the_standard_names_them(paths: dict) -> None:
    """Processes 1.0's operations in pygeoapi's document: /processes takes ``limit`` and
    ``offset`` (/req/core/pl-limit-definition), ``Prefer`` takes respond-async, the job
    operations have the standard's ids, and a process's description and execution are also
    described for any ``{processId}`` (getProcessDescription, execute), as the standard's
    document does, beside pygeoapi's operation per process."""
    processes = paths.get("/processes", {}).get("get")
    if processes is None:
        return
    processes["parameters"] = [*processes.get("parameters", []), PROCESS_LIMIT, PROCESS_OFFSET]
    for path, item in paths.items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            operation["operationId"] = OPERATION_IDS.get(operation.get("operationId"),
                                                         operation.get("operationId"))
            operation["parameters"] = [PREFER if parameter.get("name") == "Prefer" else parameter
                                       for parameter in operation.get("parameters", [])]
    described = [item["get"] for path, item in paths.items()
                 if path.startswith("/processes/") and path.count("/") == 2 and "get" in item]
    executed = [item["post"] for path, item in paths.items()
                if path.endswith("/execution") and "post" in item]
    if described:
        paths["/processes/{processId}"] = {"get": {
            **described[0], "operationId": "getProcessDescription", "tags": ["server"],
            "summary": "A process's description", "description": "A process's description",
            "parameters": [PROCESS_ID, *described[0].get("parameters", [])],
            "responses": {**described[0]["responses"], "404": REPLACEMENTS[
                P1 + "responses/NotFound.yaml"]}}}
    if executed:
        paths["/processes/{processId}/execution"] = {"post": {
            **executed[0], "operationId": "execute", "tags": ["server"],
            "summary": "Execute a process", "description": "Execute a process",
            "parameters": [PROCESS_ID, *executed[0].get("parameters", [])],
            "responses": {**executed[0]["responses"], "200": _response(
                "The results, as the process's outputs say.", {},
                ("application/json", "application/geo+json"))}}}


def inline_remote_refs(node):
    """``node`` with every remote ``$ref`` it holds replaced by its definition; unknown remote
    references become permissive schemas (saying where they pointed)."""
    if isinstance(node, list):
        return [inline_remote_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(("http://", "https://")):
        return REPLACEMENTS.get(ref, {"description": f"see {ref}"})
    return {key: inline_remote_refs(value) for key, value in node.items()}
