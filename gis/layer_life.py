"""A published layer's life after publishing: retitled, restyled, a field added, retired,
restored, deleted. Each change is one transaction, recorded in the audit log, and reaches every
worker through the catalogue version (gis/catalogue.py)."""
from __future__ import annotations

from dataclasses import replace

import layers
from gis import published_layers
from gis.errors import InvalidParameter
from gis.published_layers import Entry
from gis.roles import editor_roles
from layers.model import Field, Layer, Style


def entry(cur, layer_id: str) -> Entry:
    """The published layer ``layer_id``, locked; InvalidParameter if there is none."""
    found = published_layers.entry_for_update(cur, layer_id)
    if found is None:
        why = " (declared in code: its definition is in layers/)" if layers.declared(layer_id) else ""
        raise InvalidParameter(f"{layer_id[:60]!r}: no published layer of that id{why}")
    return found


def retire(cur, layer_id: str, actor: str) -> Layer:
    """Served nowhere from now on; its data kept."""
    found = entry(cur, layer_id)
    if found.retired:
        raise InvalidParameter(f"{layer_id}: retired already (restore brings it back)")
    published_layers.set_retired(cur, found.layer, True, actor)
    return found.layer


def restore(cur, layer_id: str, actor: str) -> Layer:
    """A retired layer served again, with the data it had."""
    found = entry(cur, layer_id)
    if not found.retired:
        raise InvalidParameter(f"{layer_id}: not retired")
    published_layers.set_retired(cur, found.layer, False, actor)
    return found.layer


def delete(cur, layer_id: str, actor: str) -> Layer:
    """The entry and the tables, gone (the caller wrote a backup file first)."""
    found = entry(cur, layer_id)
    published_layers.drop_tables(cur, found.layer)
    published_layers.delete_entry(cur, found.layer, actor)
    return found.layer


def update(cur, layer_id: str, actor: str, *, title_el: str | None = None,
           title_en: str | None = None, color: str | None = None,
           editors: tuple[str, ...] | None = None,
           field_titles: dict[str, tuple[str, str]] | None = None,
           add_fields: tuple[Field, ...] = ()) -> Layer:
    """The layer with new titles, colour, editors, field titles, or added (optional) fields."""
    found = entry(cur, layer_id)
    layer = found.layer
    fields = list(layer.fields)
    for name, (el, en) in (field_titles or {}).items():
        try:
            at = [f.name for f in fields].index(name)
        except ValueError:
            raise InvalidParameter(f"--field-title {name}: {layer_id} has no such field; its "
                                   f"fields: {', '.join(f.name for f in fields)}") from None
        fields[at] = replace(fields[at], title_el=el, title_en=en)
    for added in add_fields:
        if added.name in {f.name for f in fields}:
            raise InvalidParameter(f"--add-field {added.name}: {layer_id} has that field already")
        published_layers.add_column(cur, layer, added)
        fields.append(added)
    style = layer.style if color is None else Style(**{**vars(layer.style), "color": color,
                                                        "fill_color": color})
    try:
        changed = replace(layer, title_el=title_el or layer.title_el,
                          title_en=title_en or layer.title_en, style=style, fields=tuple(fields),
                          editors=layer.editors if editors is None else editor_roles(editors),
                          editable=layer.editable or bool(editors))
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None
    if changed.editable and not layer.editable:
        published_layers.make_editable(cur, layer)
    published_layers.update_entry(cur, layer, changed, actor)
    return changed
