"""The layer catalogue: every layer declared once, in the order the map lists them.

The layers declared here (with behaviour: workflows, sensors, routing) come first; the layers
a GIS officer published (stored in the database, layers/spec.py) follow, as the process last
read them (gis/catalogue.py keeps :func:`set_published` up to date).
"""
from layers import (
    building_permits,
    buildings,
    bus_stops,
    districts,
    parking_bays,
    parking_lots,
    parking_signs,
    plans,
    refuge_areas,
    roads,
    service_requests,
    settlements,
    traffic_cameras,
    wifi_access_points,
    zoning,
)
from layers.model import LANGUAGES, STORAGE_SRID, Choice, Field, Layer, Style, Temporal

_MODULES = (
    zoning,
    plans,
    building_permits,
    settlements,
    service_requests,
    parking_bays,
    parking_lots,
    parking_signs,
    wifi_access_points,
    roads,
    districts,
    refuge_areas,
    bus_stops,
    traffic_cameras,
    buildings,
)
CATALOGUE: tuple[Layer, ...] = tuple(module.LAYER for module in _MODULES)

#: what is published (OGC API collections, tiles, the map's legend), in the same order: a layer
#: whose table holds several geometry types is one collection per type (its ``COLLECTIONS``)
COLLECTIONS: tuple[Layer, ...] = tuple(
    published for module in _MODULES for published in getattr(module, "COLLECTIONS", (module.LAYER,)))

_BY_ID = {layer.id: layer for layer in CATALOGUE}
_COLLECTION_BY_ID = {layer.id: layer for layer in COLLECTIONS}
#: the layers published as data, in publishing order (each is its own one collection)
_published: dict[str, Layer] = {}


def set_published(entries: tuple[Layer, ...]) -> None:
    """Make ``entries`` the layers published as data (replacing those before)."""
    clash = [layer.id for layer in entries if layer.id in _BY_ID or layer.id in _COLLECTION_BY_ID]
    if clash:
        raise ValueError(f"published layers {', '.join(clash)} have the id of a declared one")
    global _published
    _published = {layer.id: layer for layer in entries}


def published() -> tuple[Layer, ...]:
    """The layers published as data (not declared in code), in publishing order."""
    return tuple(_published.values())


def catalogue() -> tuple[Layer, ...]:
    """Every layer: the declared ones, then the published ones."""
    return CATALOGUE + published()


def collections() -> tuple[Layer, ...]:
    """Every collection served (OGC API, tiles, the legend): the declared layers' collections,
    then the published layers."""
    return COLLECTIONS + published()


def declared(layer_id: str) -> bool:
    """Whether ``layer_id`` is a layer or collection declared in code (not published as data)."""
    return layer_id in _BY_ID or layer_id in _COLLECTION_BY_ID


def get(layer_id: str) -> Layer:
    """The layer ``layer_id``; KeyError naming the known ids otherwise."""
    found = _BY_ID.get(layer_id) or _published.get(layer_id)
    if found is None:
        raise KeyError(f"unknown layer {layer_id!r}; known: "
                       f"{', '.join([*_BY_ID, *_published])}")
    return found


def collection(collection_id: str) -> Layer:
    """The collection ``collection_id`` (a layer, or one geometry type of a layer's table);
    KeyError naming the known ids otherwise."""
    found = _COLLECTION_BY_ID.get(collection_id) or _published.get(collection_id)
    if found is None:
        raise KeyError(f"unknown collection {collection_id!r}; known: "
                       f"{', '.join([*_COLLECTION_BY_ID, *_published])}")
    return found


def legend() -> list[dict]:
    """The map legend: title, geometry and default style of every collection, in catalogue
    order."""
    return [
        {
            "id": layer.id,
            "title": {"el": layer.title_el, "en": layer.title_en},
            "geometry_type": layer.geometry_type,
            "live": layer.live,
            # what a feature's popup names its attributes
            "fields": {f.name: {"el": f.title_el, "en": f.title_en} for f in layer.public_fields},
            "style": {k: v for k, v in vars(layer.style).items() if v is not None},
        }
        for layer in collections()
    ]


def vocabulary() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """The titles of every choice list, by collection, field and code: {"zoning": {"land_use":
    {"historic_centre": {"el": …, "en": …}}}}; what screens show instead of the codes."""
    return {
        layer.id: {
            f.name: {c.code: {"el": c.title_el, "en": c.title_en} for c in f.choices}
            for f in layer.fields if f.choices
        }
        for layer in collections() if any(f.choices for f in layer.fields)
    }


__all__ = ["CATALOGUE", "COLLECTIONS", "LANGUAGES", "STORAGE_SRID", "Choice", "Field", "Layer", "Style",
           "Temporal", "catalogue", "collection", "collections", "declared", "get", "legend",
           "published", "set_published", "vocabulary"]
