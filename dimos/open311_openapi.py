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


def _ok(description: str, schema: dict, status: str = "200") -> dict:
    return {status: {"description": description,
                     "content": {"application/json": {"schema": schema}}},
            "default": {"description": "An error (GeoReport v2 form)",
                        "content": {"application/json": {"schema": ERRORS}}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


JURISDICTION = _query("jurisdiction_id", {"type": "string"}, "The municipality (optional when "
                                                             "the server holds one)")
DATE = {"type": "string", "format": "date-time"}
WORKFLOW = list(TRANSITIONS)


def open311_openapi(server_url: str) -> dict:
    """The document, for a server whose Open311 root is ``server_url``."""
    list_of = {"type": "array"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "dimos Open311 GeoReport v2", "version": "2",
                 "description": "Citizens' requests (GeoReport v2 with the servicerequestupdates "
                                "extension). XML forms: the same paths with .xml."},
        "servers": [{"url": server_url}],
        "paths": {
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
                "post": {"requestBody": {"required": True, "content": {
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
                         "responses": _ok("The change was stored.",
                                          {**list_of, "items": UPDATE}, "201")}},
        },
    }
