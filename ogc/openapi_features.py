"""What dimos answers for features beyond pygeoapi, in the OpenAPI document: PATCH with a
JSON Merge Patch (Features Part 4 ``update``: ogc/feature_patch.py), optimistic locking
(ETag and Last-Modified, If-Match or If-Unmodified-Since → 412, If-None-Match → 304:
ogc/feature_etags.py, ogc/write_preconditions.py) and each collection's
sortables (Part 5: ogc/schemas.py). pygeoapi describes none of them, so a client generated
from the document could neither patch nor lock."""
from __future__ import annotations

import re

#: RFC 7396's media type, the one ogc/feature_patch.py takes (it imports the app's mounting,
#: which imports this module: the name is written here)
MERGE_PATCH = "application/merge-patch+json"

ITEM_PATH = re.compile(r"^/collections/(?P<collection>[^/]+)/items/\{featureId\}$")
QUERYABLES_PATH = re.compile(r"^/collections/(?P<collection>[^/]+)/queryables$")
EXCEPTION = {"type": "object", "required": ["code"],
             "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}
ETAG = {"ETag": {"description": "The stored version of the feature (a strong entity tag).",
                 "schema": {"type": "string"}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "schema": {"type": "string"},
            "description": "Write only if the feature is still this version (its ETag); "
                           "otherwise 412 with the version that stands."}
LAST_MODIFIED = {"Last-Modified": {
    "description": "When the feature last changed (whole seconds; editable collections).",
    "schema": {"type": "string"}}}
IF_UNMODIFIED_SINCE = {"name": "If-Unmodified-Since", "in": "header", "required": False,
                       "schema": {"type": "string"},
                       "description": "Write only if the feature has not changed since this "
                                      "HTTP date (its Last-Modified); otherwise 412. A value "
                                      "that is not an HTTP date is a 400. If-Match wins."}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": {"type": "string"},
                 "description": "304 without a body if the feature is still this version."}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": EXCEPTION}}}


PRECONDITION_FAILED = {**_error("The feature is no longer the version If-Match named, or "
                                "has changed since If-Unmodified-Since; ETag and "
                                "Last-Modified: the version that stands."),
                       "headers": {**ETAG, **LAST_MODIFIED}}


def _camel(collection: str) -> str:
    return "".join(part.capitalize() for part in collection.split("_"))


def _locked(operation: dict) -> None:
    """A write that takes If-Match or If-Unmodified-Since and may answer 412."""
    operation["parameters"] = [*operation.get("parameters", []), IF_MATCH, IF_UNMODIFIED_SINCE]
    operation["responses"]["412"] = PRECONDITION_FAILED


def _patch(collection: str, feature_id: dict) -> dict:
    return {
        "summary": f"Update a feature of {collection} (JSON Merge Patch)",
        "description": "Members of the patch replace the feature's, null removes a property, "
                       "a geometry replaces the geometry whole (RFC 7396; OGC API – Features "
                       "– Part 4, update). A staff member of the feature's municipality.",
        "tags": [collection], "operationId": f"patch{_camel(collection)}Feature",
        "parameters": [feature_id, IF_MATCH, IF_UNMODIFIED_SINCE,
                       {"name": "Content-Crs", "in": "header", "required": False,
                        "schema": {"type": "string"},
                        "description": "The CRS of the patch's geometry (CRS84 if absent)."}],
        "requestBody": {"required": True, "content": {MERGE_PATCH: {"schema": {
            "type": "object", "description": "A JSON Merge Patch of the feature."}}}},
        "responses": {
            "204": {"description": "Updated.", "headers": {**ETAG, **LAST_MODIFIED}},
            "400": _error("The patch is malformed or leaves an invalid feature."),
            "401": _error("Not signed in."), "403": _error("Not a role that may write here."),
            "404": _error("No such feature."), "412": PRECONDITION_FAILED,
            "415": _error(f"The body is not {MERGE_PATCH}.")}}


def _sortables(collection: str, queryables: dict) -> dict:
    return {"get": {
        "summary": f"The properties {collection} can be sorted by",
        "description": "A JSON Schema (2020-12) of the public fields sortby takes "
                       "(OGC API – Features – Part 5, sortables).",
        "tags": [collection], "operationId": f"get{_camel(collection)}Sortables",
        "parameters": [p for p in queryables.get("parameters", [])
                       if p.get("$ref", "").endswith(("/f", "/lang"))],
        "responses": {
            "200": {"description": "The sortables.", "content": {"application/schema+json": {
                "schema": {"type": "object", "required": ["properties"],
                           "properties": {"properties": {"type": "object"}}}}}},
            "400": _error("A parameter has an invalid value."),
            "404": _error("No such collection.")}}}


def describe_edits_and_sortables(paths: dict) -> None:
    """PATCH, If-Match/If-Unmodified-Since/412, ETag and Last-Modified on each editable
    collection's item path (those pygeoapi gives a PUT), If-None-Match/304 on every item read,
    and a sortables path beside each queryables path."""
    for path in list(paths):
        item = paths[path]
        if (match := ITEM_PATH.match(path)) is not None:
            read = item.get("get")
            if read is not None:
                read["parameters"] = [*read.get("parameters", []), IF_NONE_MATCH]
                read["responses"]["200"].setdefault("headers", {}).update(ETAG)
                read["responses"]["304"] = {"description": "Not modified.", "headers": ETAG}
            if "put" in item:
                (feature_id,) = [p for p in item["put"]["parameters"]
                                 if p.get("name") == "featureId"]
                _locked(item["put"])
                item["put"]["responses"].setdefault("204", {"description": "Replaced."})
                read = item.get("get")
                if read is not None:
                    read["responses"]["200"]["headers"].update(LAST_MODIFIED)
                if "delete" in item:
                    _locked(item["delete"])
                item["patch"] = _patch(match["collection"], feature_id)
        elif (match := QUERYABLES_PATH.match(path)) is not None and "get" in item:
            paths[f"/collections/{match['collection']}/sortables"] = _sortables(
                match["collection"], item["get"])
