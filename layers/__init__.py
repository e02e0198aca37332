"""The layer catalogue: every layer declared once, in the order the map lists them."""
from layers import (
    building_permits,
    buildings,
    bus_stops,
    districts,
    parking_bays,
    parking_lots,
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


def get(layer_id: str) -> Layer:
    """The declared layer ``layer_id``; KeyError naming the known ids otherwise."""
    try:
        return _BY_ID[layer_id]
    except KeyError:
        raise KeyError(f"unknown layer {layer_id!r}; known: {', '.join(_BY_ID)}") from None


def collection(collection_id: str) -> Layer:
    """The published collection ``collection_id`` (a layer, or one geometry type of a layer's
    table); KeyError naming the known ids otherwise."""
    try:
        return _COLLECTION_BY_ID[collection_id]
    except KeyError:
        raise KeyError(f"unknown collection {collection_id!r}; known: "
                       f"{', '.join(_COLLECTION_BY_ID)}") from None


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
        for layer in COLLECTIONS
    ]


def vocabulary() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """The titles of every choice list, by collection, field and code: {"zoning": {"land_use":
    {"historic_centre": {"el": …, "en": …}}}}; what screens show instead of the codes."""
    return {
        layer.id: {
            f.name: {c.code: {"el": c.title_el, "en": c.title_en} for c in f.choices}
            for f in layer.fields if f.choices
        }
        for layer in COLLECTIONS if any(f.choices for f in layer.fields)
    }


__all__ = ["CATALOGUE", "COLLECTIONS", "LANGUAGES", "STORAGE_SRID", "Choice", "Field", "Layer", "Style",
           "Temporal", "collection", "get", "legend", "vocabulary"]
