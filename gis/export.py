"""Exports of a layer or a selection (CQL2, bbox) in EPSG:2100 or EPSG:4326.

GeoPackage, Shapefile (zipped, with its .cpg so the Greek survives), GeoJSON, CSV (geometry
as WKT) and DXF for CAD. Public fields, as ``query_features`` selects them; with
``private_of`` (one municipality, whose features alone are then selected) the layer's private
fields too (gis/private_fields.py): the callers check who may ask.

Choice fields keep their codes (what the database and the APIs hold); GeoPackage, GeoJSON and
CSV add a ``<field>_title`` column beside each, its title in the export's language (el or en).
A shapefile's 10-character column names cannot hold those: its zip carries
``<layer>_choices.csv`` instead (field, code, title_el, title_en). DXF carries no attributes.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

from gis.csv_cells import neutral_frame
from gis.errors import InvalidParameter
from gis.features import FeatureQuery, query_features
from gis.private_fields import exported_private_fields, private_values
from layers.model import LANGUAGES, Layer

MAX_FEATURES = 50_000
CRSS = {"EPSG:2100": 2100, "EPSG:4326": 4326}
#: format → (GDAL driver, media type, file suffix)
FORMATS = {"gpkg": ("GPKG", "application/geopackage+sqlite3", "gpkg"),
           "shp": ("ESRI Shapefile", "application/zip", "zip"),
           "geojson": ("GeoJSON", "application/geo+json", "geojson"),
           "csv": ("CSV", "text/csv; charset=utf-8", "csv"),
           "dxf": ("DXF", "image/vnd.dxf", "dxf")}


def out_srid(crs: str | int | None, layer: Layer) -> int:
    """The SRID of an export CRS name ('EPSG:2100', 'EPSG:4326'); the layer's own by default."""
    if crs is None or crs == "":
        return layer.srid
    srid = CRSS.get(str(crs).upper()) or (int(crs) if str(crs).isdigit() and int(crs) in
                                           CRSS.values() else None)
    if srid is None:
        raise InvalidParameter(f"crs: one of {', '.join(CRSS)}")
    return srid


def check_private_export(layer: Layer) -> None:
    """InvalidParameter unless ``layer`` has private fields an export may carry."""
    if not exported_private_fields(layer):
        raise InvalidParameter(f"private: the layer {layer.id!r} has no private fields; "
                               "export it without private")


def export_language(lang: str | None) -> str:
    """The language of the title columns: "el" (the default) or "en"."""
    if lang is None or lang == "":
        return "el"
    if lang not in LANGUAGES:
        raise InvalidParameter(f"lang: one of {', '.join(LANGUAGES)}")
    return lang


def with_choice_titles(frame: gpd.GeoDataFrame, layer: Layer, lang: str) -> gpd.GeoDataFrame:
    """``frame`` with a ``<field>_title`` column after each choice field: the code's title in
    ``lang`` (empty where the field is)."""
    frame = frame.copy()
    for f in layer.public_fields:
        if f.choices and f.name in frame.columns:
            titles = {c.code: c.title(lang) for c in f.choices}
            frame.insert(frame.columns.get_loc(f.name) + 1, f"{f.name}_title",
                         frame[f.name].map(titles))
    return frame


def choices_table(layer: Layer) -> str:
    """The CSV lookup of ``layer``'s choice codes and their titles (a shapefile's companion)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["field", "code", "title_el", "title_en"])
    for f in layer.public_fields:
        for c in f.choices or ():
            writer.writerow([f.name, c.code, c.title_el, c.title_en])
    return out.getvalue()


def selection_frame(cur, layer: Layer, cql=None, *, srid: int | None = None, bbox=None,
                    jurisdiction_id: str | None = None, private_of: str | None = None,
                    max_features: int = MAX_FEATURES) -> gpd.GeoDataFrame:
    """The features of ``layer`` matching ``cql``/``bbox`` (storage CRS) as a frame in ``srid``;
    with ``private_of``, that municipality's features only, with their private fields."""
    srid = srid or layer.srid
    if private_of is not None:
        check_private_export(layer)
        jurisdiction_id = private_of
    features, _ = query_features(cur, FeatureQuery(layer=layer, limit=max_features + 1, cql=cql,
                                                   bbox=bbox, out_srid=srid,
                                                   jurisdiction_id=jurisdiction_id,
                                                   count=False))
    if len(features) > max_features:
        raise InvalidParameter(f"the selection holds more than {max_features} features; narrow it")
    columns = [f.name for f in layer.public_fields]
    if private_of is not None:
        found = private_values(cur, layer, private_of, [f["id"] for f in features])
        names = exported_private_fields(layer)
        for feature in features:
            private = found.get(feature["id"], {})
            feature["properties"].update({name: private.get(name) for name in names})
        columns += names
    frame = gpd.GeoDataFrame.from_features(features, crs=f"EPSG:{srid}")
    if frame.empty:
        raise InvalidParameter("the selection is empty: nothing to export")
    return frame[[c for c in columns if c in frame.columns] + ["geometry"]]


def write_frame(frame: gpd.GeoDataFrame, layer: Layer, fmt: str, folder: Path,
                lang: str = "el") -> Path:
    """Write ``frame`` as ``fmt`` into ``folder``, choices labelled in ``lang``; the file to
    hand out."""
    if fmt not in FORMATS:
        raise InvalidParameter(f"format: one of {', '.join(FORMATS)}")
    driver, _, suffix = FORMATS[fmt]
    path = folder / f"{layer.id}.{suffix}"
    if fmt == "dxf":  # CAD takes geometry and a layer name, not attribute columns
        frame = gpd.GeoDataFrame({"Layer": [layer.id] * len(frame)}, geometry=frame.geometry,
                                 crs=frame.crs)
        frame.to_file(path, driver=driver, engine="pyogrio")
    elif fmt == "csv":
        # no cell becomes a formula
        table = neutral_frame(with_choice_titles(frame, layer, lang).drop(columns="geometry"))
        table["wkt"] = shapely.to_wkt(frame.geometry.values, rounding_precision=8
                                      if frame.crs.to_epsg() == 4326 else 3)
        table.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "shp":
        _write_zipped_shapefiles(frame, layer, folder, path)
    else:
        with_choice_titles(frame, layer, lang).to_file(path, driver=driver, engine="pyogrio")
    return path


def write_shapefiles(frame, stem: str, folder: Path) -> list[Path]:
    """One shapefile per geometry kind (a shapefile holds one), UTF-8 with its .cpg; the files."""
    kinds = frame.geometry.geom_type.str.replace("Multi", "").str.lower()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in sorted(kinds.unique()):
        name = stem if kinds.nunique() == 1 else f"{stem}_{kind}"
        frame[kinds == kind].to_file(folder / f"{name}.shp", driver="ESRI Shapefile",
                                     engine="pyogrio", encoding="UTF-8")
        written += sorted(folder.glob(f"{name}.*"))
    return written


def _write_zipped_shapefiles(frame, layer: Layer, folder: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in write_shapefiles(frame, layer.id, folder / "parts"):
            archive.write(part, part.name)
        if any(f.choices for f in layer.public_fields):
            archive.writestr(f"{layer.id}_choices.csv", choices_table(layer))


def export_selection(cur, layer: Layer, cql, fmt: str, crs: str | None = None, bbox=None,
                     jurisdiction_id: str | None = None,
                     private_of: str | None = None,
                     lang: str | None = None) -> tuple[bytes, str, str]:
    """(file bytes, media type, file name) of ``layer``'s features matching ``cql``/``bbox``,
    choices labelled in ``lang`` (el by default)."""
    if fmt not in FORMATS:
        raise InvalidParameter(f"format: one of {', '.join(FORMATS)}")
    lang = export_language(lang)
    frame = selection_frame(cur, layer, cql, srid=out_srid(crs, layer), bbox=bbox,
                            jurisdiction_id=jurisdiction_id, private_of=private_of)
    with tempfile.TemporaryDirectory() as folder:
        path = write_frame(frame, layer, fmt, Path(folder), lang)
        return path.read_bytes(), FORMATS[fmt][1], path.name


def export_to_file(cur, layer_id: str, fmt: str, output: Path, *, crs: str = "EPSG:2100",
                   cql_text: str | None = None, bbox=None, bbox_crs: str = "EPSG:4326",
                   jurisdiction_id: str | None = None, private_of: str | None = None,
                   max_features: int = 10_000_000, lang: str = "el") -> int:
    """Write a collection or selection to ``output`` (dimos export), choices labelled in
    ``lang``; the number of features. ``layer_id`` names a collection as the OGC API does (a
    shared table's collection holds its own geometry type only)."""
    import layers
    from gis.cql_parse import parse_filter_crs84

    try:
        layer = layers.collection(layer_id)
    except KeyError as exc:
        raise InvalidParameter(str(exc.args[0])) from None
    cql = parse_filter_crs84(cql_text, layer) if cql_text else None
    if bbox is not None and out_srid(bbox_crs, layer) != layer.srid:
        from pyproj import Transformer

        bbox = Transformer.from_crs(out_srid(bbox_crs, layer), layer.srid,
                                    always_xy=True).transform_bounds(*bbox, densify_pts=21)
    frame = selection_frame(cur, layer, cql, srid=out_srid(crs, layer), bbox=bbox,
                            jurisdiction_id=jurisdiction_id, private_of=private_of,
                            max_features=max_features)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "shp" and output.suffix.lower() == ".shp":  # the parts themselves, not a zip
        write_shapefiles(frame, output.stem, output.parent)
        if any(f.choices for f in layer.public_fields):
            (output.parent / f"{output.stem}_choices.csv").write_text(choices_table(layer),
                                                                      encoding="utf-8")
        return len(frame)
    with tempfile.TemporaryDirectory() as folder:
        path = write_frame(frame, layer, fmt, Path(folder), export_language(lang))
        output.write_bytes(path.read_bytes())
    return len(frame)
