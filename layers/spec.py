"""A layer as data: the catalogue's vocabulary (layers/model.py) to and from JSON.

A layer a GIS officer publishes (``dimos layer publish``) is stored as this JSON in the
database (table ``published_layers``) and read back into the same :class:`Layer` a layer
module declares, so everything derived from the catalogue treats both alike.
"""
from __future__ import annotations

from dataclasses import asdict, fields
from typing import get_args

from layers.model import STORAGE_SRID, Choice, Field, FieldType, GeometryType, Layer, Style, Temporal

FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
GEOMETRY_TYPES: tuple[str, ...] = get_args(GeometryType)
_FIELD_KEYS = {f.name for f in fields(Field)}
_STYLE_KEYS = {f.name for f in fields(Style)}


class SpecError(ValueError):
    """A layer specification that does not describe a layer: the message says where."""


def layer_to_spec(layer: Layer) -> dict:
    """The JSON-ready specification of ``layer`` (tuples as lists, None values dropped)."""
    spec = asdict(layer)
    spec["fields"] = [{k: v for k, v in f.items() if v not in (None, False)}
                      for f in spec["fields"]]
    spec["style"] = {k: v for k, v in spec["style"].items() if v is not None}
    return {k: v for k, v in spec.items() if v not in (None, (), [])}


def _field(entry: dict, at: str) -> Field:
    if not isinstance(entry, dict):
        raise SpecError(f"{at}: a field is an object")
    unknown = sorted(set(entry) - _FIELD_KEYS)
    if unknown:
        raise SpecError(f"{at}: unknown keys {', '.join(unknown)}")
    if entry.get("type") not in FIELD_TYPES:
        raise SpecError(f"{at}.type: {entry.get('type')!r} is not one of {', '.join(FIELD_TYPES)}")
    values = dict(entry)
    if values.get("choices") is not None:
        values["choices"] = tuple(Choice(**c) for c in values["choices"])
    try:
        return Field(**values)
    except TypeError as exc:
        raise SpecError(f"{at}: {exc}") from None


def layer_from_spec(spec: dict) -> Layer:
    """The :class:`Layer` a specification describes; SpecError naming what is wrong."""
    if not isinstance(spec, dict):
        raise SpecError("a layer specification is an object")
    if spec.get("geometry_type") not in GEOMETRY_TYPES:
        raise SpecError(f"geometry_type: {spec.get('geometry_type')!r} is not one of "
                        f"{', '.join(GEOMETRY_TYPES)}")
    style = spec.get("style") or {}
    unknown = sorted(set(style) - _STYLE_KEYS)
    if unknown or "color" not in style:
        raise SpecError("style: needs a color" if not unknown else
                        f"style: unknown keys {', '.join(unknown)}")
    temporal = spec.get("temporal")
    try:
        return Layer(
            id=spec["id"], title_el=spec["title_el"], title_en=spec["title_en"],
            description_el=spec.get("description_el", ""),
            description_en=spec.get("description_en", ""),
            geometry_type=spec["geometry_type"],
            fields=tuple(_field(f, f"fields[{i}]") for i, f in enumerate(spec.get("fields", ()))),
            natural_key=tuple(spec.get("natural_key", ())),
            style=Style(**style),
            srid=spec.get("srid", STORAGE_SRID),
            temporal=Temporal(**temporal) if temporal else None,
            allowed_geometries=tuple(spec.get("allowed_geometries", ())),
            editable=bool(spec.get("editable", False)),
            editors=tuple(spec.get("editors", ())),
            live=bool(spec.get("live", False)),
            keywords=tuple(spec.get("keywords", ())),
        )
    except KeyError as exc:
        raise SpecError(f"{exc.args[0]}: missing") from None
    except (TypeError, ValueError) as exc:
        raise SpecError(str(exc)) from None
