"""OpenAPI 3.0 description of dimos's Open311 GeoReport v2 API (JSON forms of the reads and
of POST requests), served at /open311/v2/openapi.json.

Field lists follow the GeoReport v2 specification; dimos's additions (English names, detailed
status, district and settlement, duplicates, overdue flag, several photos) are documented too.
"""
from __future__ import annotations

from gis.service_requests import TRANSITIONS

NULLABLE_TEXT = {"type": "string", "nullable": True}
ERRORS = {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                     "properties": {"code": {"type": "integer"},
                                                    "description": {"type": "string"}}}}
SERVICE = {"type": "object",
           "required": ["service_code", "service_name", "metadata", "type"],
           "properties": {"service_code": {"type": "string"}, "service_name": {"type": "string"},
                          "service_name_en": {"type": "string"},
                          "description": NULLABLE_TEXT, "metadata": {"type": "boolean"},
                          "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                          "keywords": NULLABLE_TEXT, "group": NULLABLE_TEXT,
                          "expected_hours": {"type": "integer", "nullable": True}}}
DEFINITION = {"type": "object", "required": ["service_code", "attributes"],
              "properties": {"service_code": {"type": "string"},
                             "attributes": {"type": "array", "items": {"type": "object"}}}}
REQUEST = {"type": "object",
           "required": ["service_request_id", "status", "service_code", "requested_datetime"],
           "properties": {
               "service_request_id": {"type": "string"},
               "status": {"type": "string", "enum": ["open", "closed"]},
               "detailed_status": {"type": "string"},
               "status_notes": NULLABLE_TEXT, "service_name": NULLABLE_TEXT,
               "service_code": {"type": "string"}, "description": NULLABLE_TEXT,
               "agency_responsible": NULLABLE_TEXT, "service_notice": NULLABLE_TEXT,
               "requested_datetime": {"type": "string", "format": "date-time"},
               "updated_datetime": {"type": "string", "format": "date-time", "nullable": True},
               "expected_datetime": {"type": "string", "format": "date-time", "nullable": True},
               "address": NULLABLE_TEXT, "address_id": NULLABLE_TEXT, "zipcode": NULLABLE_TEXT,
               "lat": {"type": "number"}, "long": {"type": "number"},
               "media_url": NULLABLE_TEXT,
               "media_urls": {"type": "array", "items": {"type": "string"}},
               "district_code": NULLABLE_TEXT, "settlement_code": NULLABLE_TEXT,
               "duplicate_of": NULLABLE_TEXT,
               "duplicates": {"type": "array", "items": {"type": "string"}},
               "overdue": {"type": "boolean"}}}
UPDATE = {"type": "object", "required": ["service_request_id", "status", "updated_datetime"],
          "properties": {"update_id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                         "service_request_id": {"type": "string"},
                         "status": {"type": "string"}, "description": NULLABLE_TEXT,
                         "updated_datetime": {"type": "string", "format": "date-time"}}}
CREATED = {"type": "array", "items": {"type": "object", "properties": {
    "service_request_id": {"type": "string", "nullable": True},
    "token": NULLABLE_TEXT, "service_notice": NULLABLE_TEXT, "account_id": NULLABLE_TEXT}}}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "A key of the client's own, one per report (a UUID): the report sent again "
                   "with it, after no answer came, is filed once and answered as the first time "
                   "(header Idempotent-Replayed: true); the key sent with another report: 422. "
                   "Kept 24 hours.",
    "schema": {"type": "string", "pattern": '^"?[\\x21\\x23-\\x7e]{1,255}"?$'}}


def _ok(description: str, schema: dict, status: str = "200") -> dict:
    return {status: {"description": description,
                     "content": {"application/json": {"schema": schema}}},
            "default": {"description": "An error (GeoReport v2 form)",
                        "content": {"application/json": {"schema": ERRORS}}}}


def _signed_in(responses: dict) -> dict:
    """``responses`` of an operation that needs a role: without one 401, the wrong one 403."""
    refused = {"description": "Not signed in (401) or a role that may not (403)",
               "content": {"application/json": {"schema": {
                   "type": "object", "properties": {"code": {"type": "string"},
                                                    "description": {"type": "string"}}}}}}
    return {**responses, "401": refused, "403": refused}


def _as_xml(operation: dict) -> dict:
    """The ``.xml`` twin of a ``.json`` operation: the same parameters, GeoReport v2's XML
    (text/xml) in place of JSON, errors included."""
    twin = {**operation, "responses": {}}
    for status, response in operation["responses"].items():
        content = response.get("content", {})
        if "application/json" in content and status not in ("401", "403"):
            content = {"text/xml": {"schema": {"type": "string"}}}
        twin["responses"][status] = {**response, "content": content}
    return twin


def _with_xml_twins(paths: dict) -> dict:
    """Every ``….json`` path also as ``….xml`` (the specification's two formats)."""
    twins = {path[:-len(".json")] + ".xml": {method: _as_xml(op) for method, op in ops.items()}
             for path, ops in paths.items() if path.endswith(".json")}
    return {**paths, **twins}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


JURISDICTION = _query("jurisdiction_id", {"type": "string"}, "The municipality (optional when "
                                                             "the server holds one)")
DATE = {"type": "string", "format": "date-time"}
WORKFLOW = list(TRANSITIONS)


DISCOVERY = {"type": "object", "required": ["endpoints"], "properties": {
    "changeset": DATE, "contact": {"type": "string"}, "key_service": {"type": "string"},
    "endpoints": {"type": "array", "items": {"type": "object", "properties": {
        "specification": {"type": "string"}, "url": {"type": "string"},
        "changeset": DATE, "type": {"type": "string"},
        "formats": {"type": "array", "items": {"type": "string"}}}}}}}
CONTACT = {"type": "object", "properties": {"reporter_name": NULLABLE_TEXT,
                                            "reporter_email": NULLABLE_TEXT,
                                            "reporter_phone": NULLABLE_TEXT}}
#: a staff operation takes a bearer token, a signed-in session or Open311's api_key
STAFF_ONLY = [{"bearer": []}, {"api_key": []}, {"session": []}]
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "A token of `dimos token create NAME --role staff`"},
    "api_key": {"type": "apiKey", "in": "query", "name": "api_key",
                "description": "The same token as GeoReport v2's api_key"},
    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                "description": "A signed-in session (its unsafe requests carry X-CSRF-Token)"}}


def open311_openapi(server_url: str) -> dict:
    """The document, for a server whose Open311 root is ``server_url``."""
    list_of = {"type": "array"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "dimos Open311 GeoReport v2", "version": "2",
                 "description": "Citizens' requests (GeoReport v2 with the servicerequestupdates "
                                "extension), each path in JSON (.json) and XML (.xml)."},
        "servers": [{"url": server_url}],
        "components": {"securitySchemes": SECURITY_SCHEMES},
        "paths": _with_xml_twins({
            "/discovery.json": {"get": {"responses": _ok(
                "The endpoint, its specification and formats (GeoReport v2 discovery).",
                DISCOVERY)}},
            "/services.json": {"get": {"parameters": [JURISDICTION], "responses": _ok(
                "Request categories.", {**list_of, "items": SERVICE})}},
            "/services/{service_code}.json": {"get": {
                "parameters": [_path("service_code"), JURISDICTION],
                "responses": _ok("A category's attributes.", DEFINITION)}},
            "/requests.json": {
                "get": {"parameters": [
                    _query("service_request_id", {"type": "string"}, "Ids, comma-separated"),
                    _query("service_code", {"type": "string"}, "Categories, comma-separated"),
                    _query("status", {"type": "string"}, "open, closed (comma-separated)"),
                    _query("start_date", DATE, "Requested on or after"),
                    _query("end_date", DATE, "Requested on or before"),
                    _query("bbox", {"type": "string"}, "min lon, min lat, max lon, max lat"),
                    JURISDICTION],
                    "responses": _ok("Requests, public fields only.",
                                     {**list_of, "items": REQUEST})},
                "post": {"parameters": [IDEMPOTENCY_KEY],
                         "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": {
                        "type": "object", "required": ["service_code"],
                        "properties": {"service_code": {"type": "string"},
                                       "lat": {"type": "number"}, "long": {"type": "number"},
                                       "address_string": {"type": "string"},
                                       "description": {"type": "string"},
                                       "email": {"type": "string"},
                                       "first_name": {"type": "string"},
                                       "last_name": {"type": "string"},
                                       "phone": {"type": "string"},
                                       "jurisdiction_id": {"type": "string"}}}}}},
                    "responses": _ok("The request was stored.", CREATED, "201")}},
            "/requests/{service_request_id}.json": {"get": {
                "parameters": [_path("service_request_id"), JURISDICTION],
                "responses": _ok("One request.", {**list_of, "items": REQUEST})}},
            "/requests/{service_request_id}/contact.json": {"get": {
                "description": "The reporter's contact data (staff only).",
                "security": STAFF_ONLY,
                "parameters": [_path("service_request_id"), JURISDICTION],
                "responses": _signed_in(_ok("The reporter's name, e-mail and phone.",
                                            CONTACT))}},
            "/requests/nearby.json": {"get": {"parameters": [
                _query("service_code", {"type": "string"}, "Category"),
                _query("lat", {"type": "number"}, "Latitude"),
                _query("long", {"type": "number"}, "Longitude"), JURISDICTION],
                "responses": _ok("Open requests of the category near the point.",
                                 {**list_of, "items": REQUEST})}},
            "/tokens/{token}.json": {"get": {
                "parameters": [_path("token"), JURISDICTION],
                "responses": _ok("The request a submission token became.", {
                    **list_of, "items": {"type": "object", "properties": {
                        "service_request_id": {"type": "string", "nullable": True},
                        "token": {"type": "string"}}}})}},
            "/servicerequestupdates.json": {
                "get": {"parameters": [
                    _query("service_request_id", {"type": "string"}, "One request's updates"),
                    _query("start_date", DATE, "Updated on or after"),
                    _query("end_date", DATE, "Updated on or before"), JURISDICTION],
                    "responses": _ok("Status changes with their public notes.",
                                     {**list_of, "items": UPDATE})},
                "post": {"description": "A status change (staff): open → acknowledged → "
                                        "in_progress → closed, rejected, duplicate.",
                         "requestBody": {"required": True, "content": {
                             "application/x-www-form-urlencoded": {"schema": {
                                 "type": "object", "required": ["service_request_id", "status"],
                                 "properties": {
                                     "service_request_id": {"type": "string"},
                                     "status": {"type": "string", "enum": WORKFLOW},
                                     "description": {"type": "string"},
                                     "private_note": {"type": "string"},
                                     "agency_responsible": {"type": "string"},
                                     "crew": {"type": "string"},
                                     "duplicate_of": {"type": "string"},
                                     "jurisdiction_id": {"type": "string"}}}}}},
                         "security": STAFF_ONLY,
                         "responses": _signed_in(_ok("The change was stored.",
                                                     {**list_of, "items": UPDATE}, "201"))}},
            "/media/{media_id}": {"get": {
                "description": "A request's photo, as stored or scaled to fit a size.",
                "parameters": [
                    {"name": "media_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}},
                    _query("size", {"type": "string", "enum": ["thumb", "large"]},
                           "Scaled to fit (JPEG); the stored photo without it")],
                "responses": {
                    "200": {"description": "The photo.", "content": {
                        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                        "image/png": {"schema": {"type": "string", "format": "binary"}},
                        "image/webp": {"schema": {"type": "string", "format": "binary"}}}},
                    "default": {"description": "An error (GeoReport v2 form)",
                                "content": {"application/json": {"schema": ERRORS}}}}}},
        }),
    }
