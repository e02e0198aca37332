"""Publishing a file as a new layer: its fields inferred, named and checked, then the layer's
table made and the file imported in one transaction (importers/pipeline.py, ``new_layer``).

A refused file (every row failing its checks, no geometry, a bad name) leaves no layer
behind: the table, the catalogue entry and the features are one transaction's.
"""
from __future__ import annotations

import json
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyogrio

import layers
from gis import published_layers
from gis.db import connect
from gis.errors import ImportRefused
from gis.roles import editor_roles
from importers import crs as crsmod
from importers.names import field_name
from importers.pipeline import ImportOptions, ImportResult, run_import
from importers.sources import ROW, make_workdir, open_source
from layers.model import Field, FieldType, Layer, Style, Temporal
from layers.spec import FIELD_TYPES

#: PostgreSQL's limit is 63 bytes; the constraint names built from a layer's id and a field's
#: name (``<id>_<field>_unique``) must fit in it
MAX_NAME = 30
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: the columns every layer table has (gis/schema.py), and its private table's
SYSTEM_COLUMNS = frozenset({"id", "jurisdiction_id", "geom", "geom_mercator", "import_id",
                            "modified_at", "feature_id"})
#: GDAL's field types (``ogr_types``, with the boolean subtype) and the catalogue's
OGR_TYPES: dict[str, FieldType] = {
    "OFTString": "text", "OFTInteger": "integer", "OFTInteger64": "bigint", "OFTReal": "real",
    "OFTDate": "date", "OFTDateTime": "timestamptz", "OFTStringList": "text[]",
}
#: a shapefile's "Polygon" may hold several parts: the layer takes both
PROMOTED = {"Polygon": "MultiPolygon", "LineString": "MultiLineString"}
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass
class PublishOptions:
    path: Path
    layer_id: str
    title_el: str
    title_en: str
    key: str  # the field (as named after normalising) that identifies a feature
    description_el: str = ""
    description_en: str = ""
    private: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)  # source column → field name
    leave_out: tuple[str, ...] = ()  # source columns not published
    types: dict[str, str] = field(default_factory=dict)  # field → type, over the file's
    units: dict[str, str] = field(default_factory=dict)  # field → unit (m, kW, EUR...)
    #: the fields of a feature's time: an instant (start), or an interval (start, end)
    time: tuple[str, ...] = ()
    color: str = "#3182bd"
    editable: bool = False
    editors: tuple[str, ...] = ()
    import_options: ImportOptions | None = None  # jurisdiction, CRS, encoding, actor...


def _check_name(name: str, what: str, keywords: set[str]) -> None:
    if len(name) > MAX_NAME:
        raise ImportRefused(f"{what} {name[:MAX_NAME]!r}…: {len(name)} characters, at most "
                            f"{MAX_NAME}")
    if not NAME.match(name):
        raise ImportRefused(f"{what} {name!r}: lower-case Latin letters, digits and _, "
                            "starting with a letter")
    if name in keywords:
        raise ImportRefused(f"{what} {name!r} is an SQL keyword: choose another")


def check_layer_id(cur, layer_id: str) -> None:
    """A new layer's id: a name, no SQL keyword, not the id or table of any layer."""
    keywords = published_layers.sql_keywords(cur)
    _check_name(layer_id, "--id", keywords)
    if layer_id.endswith("_private"):
        raise ImportRefused(f"--id {layer_id}: _private ends the name of a layer's private table")
    if layers.declared(layer_id) or published_layers.entry_for_update(cur, layer_id):
        raise ImportRefused(f"--id {layer_id}: a layer of that id exists already")
    for table in (layer_id, f"{layer_id}_private"):
        if published_layers.table_exists(cur, table):
            raise ImportRefused(f"--id {layer_id}: the database has a table {table} already")


def _field_type(column: str, ogr_type: str, subtype: str) -> FieldType:
    if ogr_type == "OFTInteger" and subtype == "OFSTBoolean":
        return "boolean"
    try:
        return OGR_TYPES[ogr_type]
    except KeyError:
        raise ImportRefused(f"column {column}: type {ogr_type.removeprefix('OFT')} cannot be "
                            f"published (text, numbers, dates and lists of text can); leave it "
                            f"out with --leave-out {column}") from None


def infer_fields(cur, info: dict, options: PublishOptions) -> tuple[tuple[Field, ...], dict[str, str]]:
    """The fields of the file's columns (named, typed, checked; the key required), and the
    column of each field."""
    keywords = published_layers.sql_keywords(cur)
    columns = [str(c) for c in info["fields"]]
    unknown = sorted((set(options.rename) | set(options.leave_out)) - set(columns))
    if unknown:
        raise ImportRefused(f"--rename/--leave-out {', '.join(unknown)}: the file has no such "
                            f"column; its columns: {', '.join(columns)}")
    made: dict[str, str] = {}
    fields = []
    for column, ogr_type, subtype in zip(columns, info["ogr_types"], info["ogr_subtypes"],
                                         strict=True):
        if column in options.leave_out:
            continue
        name = options.rename.get(column) or field_name(column)
        _check_name(name, f"column {column!r} as field", keywords)
        if name in SYSTEM_COLUMNS:
            raise ImportRefused(f"column {column!r}: {name} is a column every layer has; name "
                                f"the field with --rename {column}=NAME")
        if name in made:
            raise ImportRefused(f"columns {made[name]!r} and {column!r} are both named {name} "
                                f"as fields: name one with --rename {column}=NAME")
        made[name] = column
        kind = options.types.get(name) or _field_type(column, ogr_type, subtype)
        if kind not in FIELD_TYPES:
            raise ImportRefused(f"--type {name}={kind}: one of {', '.join(FIELD_TYPES)}")
        fields.append(Field(name, kind, title_el=column, title_en=column,
                            unit=options.units.get(name), required=name == options.key,
                            private=name in options.private))
    names = [f.name for f in fields]
    for asked, what in ((options.private, "--private"), ((options.key,) if options.key else (),
                                                          "--key"),
                        (tuple(options.types), "--type"), (tuple(options.units), "--unit"),
                        (options.time, "--time")):
        missing = [name for name in asked if name not in names]
        if missing:
            raise ImportRefused(f"{what} {', '.join(missing)}: no such field; the fields: "
                                f"{', '.join(names)}")
    timed = [f for f in fields if f.name in options.time and f.type not in ("date", "timestamptz")]
    if timed:
        raise ImportRefused(f"--time {timed[0].name}: a {timed[0].type} field; a feature's time "
                            f"is a date or timestamptz field (--type {timed[0].name}=date)")
    if options.key in options.private:
        raise ImportRefused(f"--key {options.key}: the key is public (it names the feature in "
                            "every output): it cannot be --private")
    return tuple(fields), made


def _geometry_type(info: dict, file_name: str) -> str:
    written = re.sub(r"^3D | (Z|M|ZM)$", "", info.get("geometry_type") or "")
    if written not in GEOMETRY_TYPES:
        raise ImportRefused(f"{file_name}: geometry type {written or 'none'}: a layer holds one "
                            f"of {', '.join(GEOMETRY_TYPES)}")
    return PROMOTED.get(written, written)


@contextmanager
def _opened(options: PublishOptions):
    """The file opened for reading (a zip unpacked meanwhile), and what GDAL says of it: its
    columns and their types, geometry type, count."""
    base = options.import_options or ImportOptions(options.path, options.layer_id)
    workdir = make_workdir()
    try:
        source = open_source(Path(options.path), workdir, layer=base.source_layer,
                             encoding=base.encoding, limits=base.archive_limits)
        yield source, pyogrio.read_info(source.read_path, layer=source.layer,
                                        encoding=source.encoding, **source.open_options)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def layer_of_file(cur, options: PublishOptions) -> tuple[Layer, dict[str, str]]:
    """The layer ``options`` describe (its fields and geometry from the file), and the file's
    column of each field."""
    check_layer_id(cur, options.layer_id)
    with _opened(options) as (_, info):
        fields, columns = infer_fields(cur, info, options)
    try:
        return Layer(
            id=options.layer_id, title_el=options.title_el, title_en=options.title_en,
            description_el=options.description_el, description_en=options.description_en,
            geometry_type=_geometry_type(info, Path(options.path).name), fields=fields,
            natural_key=(options.key,),
            temporal=Temporal(*options.time[:2]) if options.time else None,
            style=Style(color=options.color, fill_color=options.color, fill_opacity=0.4,
                        radius=5 if "Point" in (info.get("geometry_type") or "") else None),
            editable=options.editable or bool(options.editors), editors=options.editors), columns
    except ValueError as exc:
        raise ImportRefused(str(exc)) from None


def preview_file(cur, options: PublishOptions, features: int) -> dict:
    """What publishing the file would make, before any name is chosen: each column's field
    name and type, the geometry type, the CRS, the count, and its first ``features`` features
    as GeoJSON in CRS84 (for the staff view's preview map)."""
    with _opened(options) as (source, info):
        fields, columns = infer_fields(cur, info, replace(options, key="", private=()))
        first = next(iter(source.chunks(features)), None)
        crs = crsmod.resolve_crs(Path(options.path).name, source.crs,
                                 options.import_options and options.import_options.crs)
        sample = first.head(features).drop(columns=[ROW]).set_crs(crs, allow_override=True) \
            .to_crs(4326) if first is not None else None
    return {
        "fields": [{"column": columns[f.name], "name": f.name, "type": f.type} for f in fields],
        "geometry_type": _geometry_type(info, Path(options.path).name),
        "crs": crsmod.describe(crs), "features": int(info["features"]),
        "sample": json.loads(sample.to_json(drop_id=True)) if sample is not None else None,
    }


def publish(url: str, options: PublishOptions) -> tuple[Layer, ImportResult]:
    """Publish the file as a new layer: the layer, and the import that filled it."""
    if not options.title_el.strip() or not options.title_en.strip():
        raise ImportRefused("--title-el and --title-en: a layer has a title in Greek and English")
    if not options.key:
        raise ImportRefused("--key: name the field that identifies a feature (later files "
                            "upsert by it)")
    if len(options.time) > 2:
        raise ImportRefused("--time: one field (an instant) or two, START,END (an interval)")
    if not COLOUR.fullmatch(options.color):
        raise ImportRefused(f"--color {options.color[:20]!r}: a colour as #rrggbb")
    options = replace(options, editors=editor_roles(options.editors))
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            layer, columns = layer_of_file(cur, options)
    finally:
        conn.rollback()
        conn.close()
    base = options.import_options or ImportOptions(options.path, layer.id)
    result = run_import(url, replace(base, path=Path(options.path), layer_id=layer.id,
                                     new_layer=layer, mode="append", mapping=columns))
    return layer, result
