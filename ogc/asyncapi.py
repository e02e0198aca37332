"""The AsyncAPI 3.0 document of the feature changes (mqtt/changes.py), served at /ogc/asyncapi.

pygeoapi serves an AsyncAPI document and links it from the landing page when
``PYGEOAPI_ASYNCAPI`` names one at import time (the extension point used here); its own
generator (pygeoapi.asyncapi) describes pygeoapi's publisher instead — topics
``collections/<id>``, the request body as data, a payload schema fetched from GitHub — so
dimos writes the document from the catalogue: one channel per collection,
``dimos/{jurisdiction}/changes/<collection>``, its three CloudEvent messages, and the feature's
public fields as the data's schema. The HTML page is ours too (pygeoapi's loads a viewer from
a CDN): the channels as a table, no script.
"""
from __future__ import annotations

import html
from importlib.metadata import version
from pathlib import Path

import layers
from layers.model import Field, Layer
from mqtt.changes import EVENT_TYPE, change_topic
from ogc.schemas import field_schema
from servers.broker_accounts import READER, SERVICES

OPERATIONS = ("created", "updated", "deleted")
CLOUDEVENTS_JSON = "application/cloudevents+json"
CLOUDEVENTS_SPEC = "https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md"


def _nullable(f: Field) -> dict:
    """A field's schema; a field a feature may leave out is null in the event's data."""
    entry = field_schema(f, "en")
    if not f.required:
        entry["type"] = [entry["type"], "null"]
        if "enum" in entry:
            entry["enum"] = [*entry["enum"], None]
    return entry


def feature_schema(layer: Layer) -> dict:
    """The data of a created/updated event: the feature as the OGC API serves it (CRS84)."""
    return {"type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"const": "Feature"}, "id": {"type": "integer"},
                "geometry": {"type": "object", "required": ["type"],
                             "description": f"GeoJSON {layer.geometry_type}, CRS84"},
                "properties": {"type": "object", "additionalProperties": False,
                               "properties": {f.name: _nullable(f) for f in layer.public_fields}}}}


def _cloud_event(layer: Layer, operation: str) -> dict:
    """The payload schema of one message: a CloudEvent 1.0 in JSON structured mode."""
    deleted = operation == "deleted"
    data = ({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
            if deleted else {"$ref": f"#/components/schemas/{layer.id}_feature"})
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "subject",
                     "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "description": "unique per change; a re-delivery (QoS 1: "
                                                    "at least once) carries the same"},
            "source": {"type": "string", "format": "uri",
                       "description": "the collection's URL in the OGC API"},
            "type": {"const": EVENT_TYPE.format(operation=operation)},
            "time": {"type": "string", "format": "date-time",
                     "description": "when the write was made (its transaction commits after)"},
            "subject": {"type": "string", "description": "the feature's id"},
            "datacontenttype": {"const": "application/json" if deleted
                                else "application/geo+json"},
            "jurisdiction": {"type": "string", "description": "the municipality (extension)"},
            "data": data,
        },
    }


def _channel(layer: Layer, jurisdictions: list[str]) -> dict:
    jurisdiction = {"description": "the municipality's id (as /api/config lists them)"}
    if jurisdictions:
        jurisdiction["enum"] = list(jurisdictions)
    return {
        "address": change_topic("{jurisdiction}", layer.id),
        "title": f"{layer.title_en} / {layer.title_el}",
        "description": f"Each feature of {layer.id} created, updated or deleted, once its "
                       "write has committed.",
        "parameters": {"jurisdiction": jurisdiction},
        "messages": {operation: {"$ref": f"#/components/messages/{layer.id}_{operation}"}
                     for operation in OPERATIONS},
    }


def _messages(layer: Layer) -> dict:
    return {f"{layer.id}_{operation}": {
        "name": EVENT_TYPE.format(operation=operation),
        "title": f"{layer.title_en}: a feature {operation}",
        "contentType": CLOUDEVENTS_JSON,
        "payload": _cloud_event(layer, operation),
        "externalDocs": {"url": CLOUDEVENTS_SPEC},
    } for operation in OPERATIONS}


def asyncapi_document(public_url: str, broker: tuple[str, int],
                      jurisdictions: list[str]) -> dict:
    """The whole document: the broker at ``broker`` (host, port; never a password), a channel
    per published collection, dimos sending on each."""
    base = public_url.rstrip("/")
    host, port = broker
    reader = SERVICES[READER][0]
    collections = layers.collections()
    messages: dict = {}
    for layer in collections:
        messages.update(_messages(layer))
    return {
        "asyncapi": "3.0.0",
        "id": f"{base}/ogc/asyncapi",
        "defaultContentType": CLOUDEVENTS_JSON,
        "info": {
            "title": "dimos — feature changes",
            "version": version("dimos"),
            "description": "Every feature of every collection created, updated or deleted, as a "
                           "CloudEvent 1.0 (JSON structured mode) on the MQTT broker, QoS 1, "
                           "once its write has committed (a write rolled back sends nothing). "
                           "The data is the feature's public record only.",
            "license": {"name": "CC BY 4.0 (data: ODbL for OpenStreetMap features)",
                        "url": "https://creativecommons.org/licenses/by/4.0/"},
            "externalDocs": {"url": f"{base}/ogc/"},
        },
        "servers": {"broker": {
            "host": f"{host}:{port}", "protocol": "mqtt", "protocolVersion": "3.1.1",
            "description": "the MQTT broker of the sensors; subscribers sign in",
            "security": [{"$ref": "#/components/securitySchemes/reader"}],
        }},
        "channels": {layer.id: _channel(layer, jurisdictions) for layer in collections},
        "operations": {f"{layer.id}_changes": {
            "action": "send",
            "title": f"dimos publishes the changes of {layer.id}",
            "channel": {"$ref": f"#/channels/{layer.id}"},
            "messages": [{"$ref": f"#/channels/{layer.id}/messages/{operation}"}
                         for operation in OPERATIONS],
            "bindings": {"mqtt": {"qos": 1, "retain": False, "bindingVersion": "0.2.0"}},
        } for layer in collections},
        "components": {
            "securitySchemes": {"reader": {
                "type": "userPassword",
                "description": f"on the project's broker, the account {reader!r} reads the "
                               "changes (and nothing else); its password is in the broker's "
                               "service-accounts.json",
            }},
            "schemas": {f"{layer.id}_feature": feature_schema(layer) for layer in collections},
            "messages": messages,
        },
    }


PAGE = """{%% extends "_base.html" %%}
{%% block title %%}{{ super() }} AsyncAPI {%% endblock %%}
{%% block crumbs %%}{{ super() }}
/ <a href="./asyncapi">AsyncAPI</a>
{%% endblock %%}
{%% block body %%}{%% raw %%}
    <section id="asyncapi">
      <h2>Feature changes (AsyncAPI 3.0)</h2>
      <p>%(description)s</p>
      <p>Broker: <code>mqtt://%(host)s</code>. The document:
         <a href="./asyncapi?f=json">AsyncAPI (JSON)</a>.</p>
      <table class="table table-striped">
        <thead><tr><th>Collection</th><th>Topic</th><th>Event types</th></tr></thead>
        <tbody>
%(rows)s
        </tbody>
      </table>
    </section>
{%% endraw %%}{%% endblock %%}
"""


def write_asyncapi_page(templates: Path, document: dict) -> Path:
    """pygeoapi's ``asyncapi.html`` in dimos's template folder: the channels, offline."""
    rows = "\n".join(
        f"          <tr><td>{html.escape(channel['title'])}</td>"
        f"<td><code>{html.escape(channel['address'])}</code></td>"
        f"<td>{', '.join(EVENT_TYPE.format(operation=o) for o in OPERATIONS)}</td></tr>"
        for channel in document["channels"].values())
    path = templates / "asyncapi.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE % {"description": html.escape(document["info"]["description"]),
                            "host": html.escape(document["servers"]["broker"]["host"]),
                            "rows": rows}, encoding="utf-8")
    return path
