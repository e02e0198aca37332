"""OGC API – Features – Part 5 (Schemas) from the catalogue: a collection's schema, queryables
and sortables as JSON Schema 2020-12, public fields only.

pygeoapi 0.24 writes its own schema and queryables from the provider's fields (draft 2019-09,
the field name as title, ``geometry-any``, no ranges, no references) and has no sortables; dimos
answers these three in JSON itself (a hook before pygeoapi's views) and leaves the HTML pages to
pygeoapi.
"""
from __future__ import annotations

from flask import Flask, Response, json, request

import layers
from gis.errors import InvalidParameter, NotFound
from layers.model import Field, Layer
from ogc.public_url import here

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_JSON = "application/schema+json"
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"
_TYPES = {"text": "string", "integer": "integer", "bigint": "integer", "real": "number",
          "boolean": "boolean", "date": "string", "timestamptz": "string", "text[]": "array"}
_FORMATS = {"date": "date", "timestamptz": "date-time"}
#: the catalogue's geometry types → Part 5's geometry formats
_GEOMETRY_FORMATS = {"Point": "geometry-point", "LineString": "geometry-linestring",
                     "Polygon": "geometry-polygon", "MultiPoint": "geometry-multipoint",
                     "MultiLineString": "geometry-multilinestring",
                     "MultiPolygon": "geometry-multipolygon"}
_EITHER = {frozenset({"Point", "MultiPoint"}): "geometry-point-or-multipoint",
           frozenset({"LineString", "MultiLineString"}): "geometry-linestring-or-multilinestring",
           frozenset({"Polygon", "MultiPolygon"}): "geometry-polygon-or-multipolygon"}
#: an array has no order PostgreSQL's sort would mean anything by to a client
UNSORTABLE_TYPES = ("text[]",)


def geometry_format(layer: Layer) -> str:
    """The Part 5 ``format`` of the layer's geometry (``geometry-any`` for a mix)."""
    if layer.geometry_type != "Geometry":
        return _GEOMETRY_FORMATS[layer.geometry_type]
    return _EITHER.get(frozenset(layer.allowed_geometries), "geometry-any")


def _temporal_roles(layer: Layer) -> dict[str, str]:
    """The fields ``datetime`` selects on: an instant, or the two ends of an interval."""
    if layer.temporal is None:
        return {}
    if layer.temporal.end is None:
        return {layer.temporal.start: "primary-instant"}
    return {layer.temporal.start: "interval-start", layer.temporal.end: "interval-end"}


def field_schema(f: Field, language: str) -> dict:
    """One public field: type, title in ``language`` (el/en), enum, range, unit, reference."""
    entry: dict = {"title": f.title_el if language == "el" else f.title_en,
                   "type": _TYPES[f.type]}
    if f.type == "text[]":
        entry["items"] = {"type": "string"}
    if f.type in _FORMATS:
        entry["format"] = _FORMATS[f.type]
    if f.choices:
        entry["enum"] = list(f.codes)
    if f.minimum is not None:
        entry["minimum"] = f.minimum
    if f.maximum is not None:
        entry["maximum"] = f.maximum
    if f.unit:
        entry["x-ogc-unit"] = f.unit
    if f.references:
        # the value is the referenced feature's natural key (e.g. a plan's plan_id)
        entry["x-ogc-role"] = "reference"
        entry["x-ogc-collection"] = f.references
    return entry


def _document(layer: Layer, url: str, language: str, properties: dict) -> dict:
    title = layer.title_el if language == "el" else layer.title_en
    return {"$schema": JSON_SCHEMA, "$id": url, "type": "object", "title": title,
            "properties": properties}


def _geometry(layer: Layer) -> dict:
    return {"x-ogc-role": "primary-geometry", "format": geometry_format(layer)}


def collection_schema(layer: Layer, url: str, language: str) -> dict:
    """The returnables and receivables: the id (read-only, the server assigns it), the
    geometry, every public field with its role; required as a write requires."""
    properties = {"id": {"title": "Αναγνωριστικό" if language == "el" else "Identifier",
                         "type": "integer", "x-ogc-role": "id", "readOnly": True},
                  "geometry": _geometry(layer)}
    roles = _temporal_roles(layer)
    for f in layer.public_fields:
        properties[f.name] = field_schema(f, language)
        if f.name in roles:
            properties[f.name]["x-ogc-role"] = roles[f.name]
    document = _document(layer, url, language, properties)
    document["required"] = [f.name for f in layer.public_fields if f.required]
    return document


def queryables(layer: Layer, url: str, language: str) -> dict:
    """What a CQL2 filter accepts (gis/cql.py: the public fields and the geometry), no more."""
    properties = {"geometry": _geometry(layer)}
    properties.update({f.name: field_schema(f, language) for f in layer.public_fields})
    return {**_document(layer, url, language, properties), "additionalProperties": False}


def sortable_fields(layer: Layer) -> list[Field]:
    """The public fields ``sortby`` takes."""
    return [f for f in layer.public_fields if f.type not in UNSORTABLE_TYPES]


def sortables(layer: Layer, url: str, language: str) -> dict:
    """The properties ``sortby`` accepts."""
    properties = {f.name: field_schema(f, language) for f in sortable_fields(layer)}
    return {**_document(layer, url, language, properties), "additionalProperties": False}


BUILDERS = {"pygeoapi.collection_schema": collection_schema,
            "pygeoapi.collection_queryables": queryables}


def _language() -> str:
    """el or en: ``lang`` first, then Accept-Language; Greek as pygeoapi's default is."""
    asked = request.args.get("lang")
    if asked in ("el", "en"):
        return asked
    return request.accept_languages.best_match(["el", "en"]) or "el"


def _wants_json() -> bool:
    """JSON unless HTML is asked for (``f=html``, or a browser's Accept); any other ``f`` is a
    400 naming the formats."""
    asked = request.args.get("f")
    if asked is None:
        return request.accept_mimetypes.best_match([SCHEMA_JSON, "application/json",
                                                    "text/html"]) != "text/html"
    if asked not in ("json", "html"):
        raise InvalidParameter(f"f: {asked[:40]!r} is not a format of this resource; "
                               "use f=json or f=html")
    return asked == "json"


def _answer(document: dict, language: str) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), mimetype=SCHEMA_JSON,
                    headers={"Content-Language": language})


def _layer(collection_id: str) -> Layer:
    try:
        return layers.collection(collection_id)
    except KeyError:
        raise NotFound(f"no collection {collection_id[:60]!r}; /ogc/collections lists them") \
            from None


def schema_or_queryables():
    """Before pygeoapi's schema and queryables views: answer JSON from the catalogue."""
    build = BUILDERS.get(request.endpoint or "")
    if build is None:
        return None
    layer = _layer((request.view_args or {}).get("collection_id", ""))
    if not _wants_json():
        return None  # pygeoapi's HTML page
    language = _language()
    return _answer(build(layer, here(), language), language)


def collection_sortables(collection_id: str):
    """GET /ogc/collections/<id>/sortables (JSON only)."""
    layer = _layer(collection_id)
    if request.args.get("f", "json") != "json":
        raise InvalidParameter(f"f: {request.args['f'][:40]!r} is not a format of sortables; "
                               "use f=json")
    language = _language()
    return _answer(sortables(layer, here(), language), language)


def sortables_link(response: Response) -> Response:
    """A collection's JSON document links its sortables too (pygeoapi links schema and
    queryables)."""
    collection_id = (request.view_args or {}).get("collection_id")
    if request.endpoint != "pygeoapi.collections" or not collection_id \
            or response.status_code != 200 or response.mimetype != "application/json":
        return response
    document = json.loads(response.get_data())
    href = f"{here()}/sortables?f=json"
    document.setdefault("links", []).append(
        {"type": SCHEMA_JSON, "rel": f"{OGC_REL}/sortables", "href": href,
         "title": "Sortables of this collection as JSON"})
    response.set_data(json.dumps(document, ensure_ascii=False))
    return response


def register_schemas(app: Flask) -> None:
    """Part 5's resources: schema and queryables before pygeoapi, sortables our own route."""
    app.before_request(schema_or_queryables)
    app.add_url_rule("/ogc/collections/<collection_id>/sortables", "ogc_sortables",
                     collection_sortables)
    app.after_request(sortables_link)


__all__ = ["collection_schema", "queryables", "register_schemas",
           "sortable_fields", "sortables"]
