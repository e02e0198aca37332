"""Reading a file planners have: format detection, zips, encodings, layers, chunks.

A :class:`Source` says what was opened (driver, layer, CRS as written in the file, feature
count) and yields GeoDataFrames of at most ``chunk_size`` features with a ``_row`` column (the
1-based feature number in the file, quoted in reject reports). Vectors go through pyogrio
(GDAL); DXF drawings through ezdxf (importers/dxf.py).
"""
from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from gis.errors import ImportRefused
from importers.archives import ArchiveLimits, Extractor, check_members, open_archive
from importers.truncated_text import geojson_nul_values

CHUNK_SIZE = 25_000
ROW = "_row"

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj")
# CSV columns GDAL should read as coordinates or WKT (case-insensitive)
CSV_OPEN_OPTIONS = {
    "X_POSSIBLE_NAMES": "x,lon,long,longitude,easting,egsa87_x",
    "Y_POSSIBLE_NAMES": "y,lat,latitude,northing,egsa87_y",
    "GEOM_POSSIBLE_NAMES": "wkt,geom,geometry,the_geom",
    "KEEP_GEOM_COLUMNS": "NO",
    "AUTODETECT_TYPE": "NO",  # text as written: fields.py coerces, and reports what fails
}
# GDAL would read "2021-02-30" as a date and roll it over to 2 March: importers/values.py
# parses dates itself, and refuses what does not exist
GEOJSON_OPEN_OPTIONS = {"DATE_AS_STRING": "YES"}
SUFFIX_DRIVERS = {
    ".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
    ".kml": "KML", ".csv": "CSV", ".dxf": "DXF", ".zip": "zip",
}
# .cpg spellings seen in Greek data, to Python codec names
CPG_ALIASES = {"1253": "cp1253", "ansi 1253": "cp1253", "88597": "iso8859-7", "8859_7": "iso8859-7",
               "iso 88597": "iso8859-7", "utf8": "utf-8"}


def file_kind(path: Path) -> str:
    """The GDAL driver (or 'zip', 'OSM') a file's name says it is; ImportRefused otherwise."""
    name = path.name.lower()
    if name.endswith((".osm", ".osm.pbf", ".pbf")):
        return "OSM"
    try:
        return SUFFIX_DRIVERS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(SUFFIX_DRIVERS)) + ", .osm, .osm.pbf"
        raise ImportRefused(f"{path.name}: unknown file type {path.suffix!r}; dimos imports "
                            f"{known}") from None


def normalise_encoding(name: str, where: str) -> str:
    """A Python codec name for an encoding as written in a .cpg or on the command line."""
    cleaned = name.strip().lower()
    cleaned = CPG_ALIASES.get(cleaned, cleaned)
    if cleaned.isdigit():  # ArcGIS writes the Windows code page number alone
        cleaned = f"cp{cleaned}"
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        raise ImportRefused(f"{where}: unknown encoding {name!r}; pass --encoding "
                            "(utf-8, cp1253 or iso8859-7 for Greek data)") from None


def _dbf_text_bytes(dbf: Path, shown: str, limit: int = 1 << 20) -> bytes:
    """The record bytes of a .dbf (after its header), at most ``limit`` of them."""
    with dbf.open("rb") as handle:
        header = handle.read(32)
        if len(header) < 32:
            raise ImportRefused(f"{shown}: truncated .dbf (no header)")
        header_size = int.from_bytes(header[8:10], "little")
        handle.seek(header_size)
        return handle.read(limit)


def shapefile_encoding(shp: Path, override: str | None, shown: str | None = None) -> str:
    """The attribute encoding of a shapefile: --encoding, else its .cpg, else a guess.

    With no .cpg, text that decodes as UTF-8 is UTF-8; otherwise Greek data is Windows-1253
    (ISO-8859-7 differs only in Ά and a few signs, and GDAL's default Latin-1 garbles both).
    ``shown``: the name the user knows (the zip's, for a shapefile unpacked from one).
    """
    shown = shown or shp.name
    if override:
        return normalise_encoding(override, shown)
    cpg = shp.with_suffix(".cpg")
    if not cpg.exists():
        cpg = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".cpg"), cpg)
    if cpg.exists():
        return normalise_encoding(cpg.read_text(errors="replace") or "utf-8",
                                  f"{shown} (its .cpg)")
    dbf = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise ImportRefused(f"{shown}: the .dbf of the shapefile is missing")
    try:
        _dbf_text_bytes(dbf, shown).decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1253"


def text_encoding(path: Path, limit: int = 1 << 20) -> str:
    """UTF-8 if the start of a text file decodes as such, else Windows-1253 (Greek Excel)."""
    with path.open("rb") as handle:
        head = handle.read(limit)
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the limit, not a wrong guess
            return "utf-8"
        return "cp1253"


def unpack_zip(path: Path, folder: Path, limits: ArchiveLimits = ArchiveLimits()) -> Path:
    """Extract the one shapefile (or GeoPackage/GeoJSON) of a zip into ``folder``; its path.

    The zip is checked before anything is written and while it is (importers/archives.py).
    Members are written under plain names: real zips carry folder names in legacy code pages
    that neither GDAL's /vsizip/ nor the file system agree on.
    """
    shown = path.name
    with open_archive(path, shown) as archive:
        check_members(archive, shown, limits)
        extractor = Extractor(archive, shown, limits)
        members = [m for m in archive.infolist() if not m.is_dir()]
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        others = [m for m in members if m.filename.lower().endswith((".gpkg", ".geojson"))]
        if len(shps) > 1 or (not shps and len(others) > 1):
            names = ", ".join(m.filename for m in shps or others)
            raise ImportRefused(f"{shown}: holds several datasets ({names}); unzip it and "
                                "import one")
        if not shps and not others:
            raise ImportRefused(f"{shown}: no .shp (nor .gpkg/.geojson) inside the zip")
        if not shps:
            suffix = Path(others[0].filename).suffix.lower()
            return extractor.extract(others[0], folder / f"data{suffix}")
        stem = shps[0].filename[:-4]
        for member in members:
            base, dot, ext = member.filename.rpartition(".")
            if base == stem and f".{ext.lower()}" in SHAPEFILE_PARTS:
                extractor.extract(member, folder / f"data.{ext.lower()}")
        return folder / "data.shp"


@dataclass
class Source:
    """An opened vector file: where to read, how, and what it declares."""

    path: Path  # the file as given (reports go next to it)
    read_path: Path  # what GDAL reads (inside an unpacked zip, maybe)
    driver: str
    layer: str | None
    crs: object | None  # pyproj CRS as written in the file, or None
    features: int
    columns: list[str]
    encoding: str | None = None
    open_options: dict = field(default_factory=dict)
    frame: gpd.GeoDataFrame | None = None  # read whole by our own readers (DXF, OSM)
    cut_text: dict = field(default_factory=dict)  # {(row, column): text GDAL cut at a NUL}
    not_selected: int = 0  # DXF entities left out (not chosen, or not features)
    labels: int = 0  # DXF texts that became the label of the polygon around them

    def chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[gpd.GeoDataFrame]:
        """The features, ``chunk_size`` at a time, each with its row number in ``_row``
        (text GDAL cut at a NUL put back whole: importers/truncated_text.py)."""
        for frame in self._chunks(chunk_size):
            for (row, column), text in self.cut_text.items():
                at = frame.index[frame[ROW] == row]
                if len(at) and column in frame.columns:
                    frame[column] = frame[column].astype(object)
                    frame.loc[at, column] = text
            yield frame

    def _chunks(self, chunk_size: int) -> Iterator[gpd.GeoDataFrame]:
        if self.frame is not None:
            frame = self.frame.copy()
            frame[ROW] = range(1, len(frame) + 1)
            yield frame
            return
        if self._arrow:
            yield from self._arrow_chunks(chunk_size)
            return
        for start in range(0, max(self.features, 1), chunk_size):
            frame = self._read(skip_features=start, max_features=chunk_size)
            frame[ROW] = range(start + 1, start + len(frame) + 1)
            yield frame
            if len(frame) < chunk_size:
                return

    def _arrow_chunks(self, chunk_size: int) -> Iterator[gpd.GeoDataFrame]:
        """One pass over the file through GDAL's Arrow stream (no re-reading to skip)."""
        import shapely
        from pyogrio.raw import open_arrow

        start = 0
        try:
            with open_arrow(self.read_path, layer=self.layer, encoding=self.encoding,
                            batch_size=chunk_size, use_pyarrow=True, **self.open_options) as (meta, reader):
                geometry_name = meta["geometry_name"] or "wkb_geometry"
                for batch in reader:
                    table = _to_pandas(batch)
                    wkb = table.pop(geometry_name) if geometry_name in table else None
                    geometries = shapely.from_wkb(wkb.to_numpy()) if wkb is not None else None
                    frame = gpd.GeoDataFrame(table, geometry=geometries, crs=None)
                    frame[ROW] = range(start + 1, start + len(frame) + 1)
                    start += len(frame)
                    yield frame
        except ImportRefused:
            raise
        except Exception as exc:  # GDAL's message says what is broken
            raise ImportRefused(f"{self.path.name}: cannot read features after row {start} "
                                f"({_first_line(exc)})", detail=repr(exc)) from None

    @property
    def _arrow(self) -> bool:
        # GDAL recodes a shapefile's text itself; other encodings only the non-Arrow path reads
        return _HAS_ARROW and (self.driver == "ESRI Shapefile" or self.encoding in (None, "utf-8"))

    def _read(self, **kwargs) -> gpd.GeoDataFrame:
        try:
            return pyogrio.read_dataframe(self.read_path, layer=self.layer, encoding=self.encoding,
                                          use_arrow=self._arrow, **self.open_options, **kwargs)
        except Exception as exc:  # GDAL's message says what is broken
            raise ImportRefused(f"{self.path.name}: cannot read features ({_first_line(exc)})",
                                detail=repr(exc)) from None


def _to_pandas(batch) -> pd.DataFrame:
    """An Arrow batch as a DataFrame; text columns holding bytes that are not UTF-8 (a GeoJSON
    saved in Windows-1253) come as Python text with those bytes kept as lone surrogates, for
    importers/values.py to name row by row (Arrow itself would fail the whole batch)."""
    import pyarrow as pa

    undecodable = []
    for position, column in enumerate(batch.columns):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                undecodable.append(position)
                batch = batch.set_column(position, batch.schema.field(position).name,
                                         column.cast(pa.binary()))
    table = batch.to_pandas()
    for position in undecodable:
        name = batch.schema.field(position).name
        table[name] = pd.Series([None if raw is None else raw.decode("utf-8", "surrogateescape")
                                 for raw in table[name]], index=table.index, dtype=object)
    return table


try:
    import pyarrow  # noqa: F401  (GDAL's Arrow stream: several times faster)

    _HAS_ARROW = True
except ImportError:
    _HAS_ARROW = False


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_source(path: Path, workdir: Path, *, layer: str | None = None,
                encoding: str | None = None, limits: ArchiveLimits = ArchiveLimits(),
                cad_layers: tuple[str, ...] = (), entity_types: tuple[str, ...] = ()) -> Source:
    """Open ``path`` for reading (zips unpacked into ``workdir``); ImportRefused if unreadable.

    ``cad_layers`` and ``entity_types`` choose what of a DXF drawing is read (one layer name
    of another file: its ``layer``)."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    kind = file_kind(path)
    read_path = unpack_zip(path, workdir, limits) if kind == "zip" else path
    driver = file_kind(read_path) if kind == "zip" else kind
    if driver == "DXF":
        from importers.dxf import read_dxf

        drawing = read_dxf(path, cad_layers, entity_types)
        frame = drawing.frame
        return Source(path, read_path, driver, None, None, len(frame),
                      [c for c in frame.columns if c != "geometry"], frame=frame,
                      not_selected=drawing.not_selected, labels=drawing.labels)
    if entity_types:
        raise ImportRefused(f"{path.name}: --entity-types chooses what to read of a DXF drawing, "
                            f"not of a {driver} file")
    if len(cad_layers) > 1:
        raise ImportRefused(f"{path.name}: a {driver} file is read one layer at a time: give one "
                            "--source-layer")
    layer = layer or (cad_layers[0] if cad_layers else None)
    if driver == "ESRI Shapefile":
        encoding = shapefile_encoding(read_path, encoding, path.name)
        if not any(p.suffix.lower() == ".shx" for p in read_path.parent.glob(read_path.stem + ".*")):
            raise ImportRefused(f"{path.name}: the .shx of the shapefile is missing")
    elif encoding:
        encoding = normalise_encoding(encoding, path.name)
    elif driver == "CSV":
        encoding = text_encoding(read_path)
    options = dict({"CSV": CSV_OPEN_OPTIONS, "GeoJSON": GEOJSON_OPEN_OPTIONS}.get(driver, {}))
    layer = _choose_layer(path, read_path, layer)
    try:
        info = pyogrio.read_info(read_path, layer=layer, encoding=encoding, **options)
    except Exception as exc:
        raise ImportRefused(f"{path.name}: not a readable {driver} file ({_first_line(exc)})",
                            detail=repr(exc)) from None
    if not info.get("geometry_type"):
        hint = (": it needs x/y (lon/lat, easting/northing, egsa87_x/y) or WKT (wkt, geometry) "
                "columns" if driver == "CSV" else "")
        raise ImportRefused(f"{path.name}: no geometry{hint}")
    crs = None
    if info.get("crs"):
        from pyproj import CRS

        crs = CRS.from_user_input(info["crs"])
    cut_text = geojson_nul_values(read_path) if driver == "GeoJSON" else {}
    return Source(path, read_path, driver, layer, crs, int(info["features"]),
                  list(info["fields"]), encoding=encoding, open_options=options, cut_text=cut_text)


def _choose_layer(path: Path, read_path: Path, layer: str | None) -> str | None:
    """The layer to read: the one asked for, or the only one; else say which exist."""
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(read_path)]
    except Exception as exc:
        raise ImportRefused(f"{path.name}: not a readable file ({_first_line(exc)})",
                            detail=repr(exc)) from None
    if layer is not None:
        if layer not in names:
            raise ImportRefused(f"{path.name}: no layer {layer!r}; it has {', '.join(names)}")
        return layer
    if len(names) > 1:
        raise ImportRefused(f"{path.name} has {len(names)} layers ({', '.join(names)}): choose "
                            "one with --source-layer")
    return names[0] if names else None


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="dimos-import-"))
