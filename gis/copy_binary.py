"""PostgreSQL's binary COPY format for a chunk of checked features, built with numpy.

Text COPY makes the server parse every value again (a date, a float, 50 hex digits of a
point); binary COPY hands it the values as it stores them, which takes about a quarter off the
server's time for a million permits. Each column is encoded from the layer catalogue's type
(binary COPY must match the table's column type exactly); a type this module does not encode
raises :class:`Unsupported` and the caller sends CSV instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"  # a field count of -1
PG_EPOCH_DAYS = 10_957  # PostgreSQL counts dates and times from 2000-01-01, not 1970-01-01
PG_EPOCH_MICROSECONDS = PG_EPOCH_DAYS * 86_400 * 1_000_000
NULL = -1

# a 2D point in little-endian EWKB with its SRID: byte order, type | SRID flag, SRID, x, y
POINT_EWKB = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
EWKB_POINT_WITH_SRID = 0x20000001


class Unsupported(Exception):
    """A value this module does not encode (the caller falls back to CSV)."""


@dataclass
class Column:
    """One column of a chunk: each row's length in bytes (NULL: -1) and the values' bytes."""

    lengths: np.ndarray  # int32, one per row
    payload: np.ndarray  # uint8, the non-NULL values one after the other, in row order


def encode(columns: list[Column]) -> bytes:
    """The whole COPY stream (header, rows, trailer) of columns of equal length.

    Each row is its field count, then each field's length and bytes: Arrow joins the parts
    row by row in C++ (``binary_join_element_wise``), no Python loop over rows or bytes.
    """
    rows = len(columns[0].lengths)
    parts = [_fixed_width(np.full(rows, len(columns), dtype=">i2"))]
    for column in columns:
        parts += [_fixed_width(column.lengths.astype(">i4")), _values(column)]
    joined = pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.large_binary()))
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset:joined.offset + rows + 1]
    body = np.frombuffer(joined.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return b"".join([HEADER, memoryview(body), TRAILER])  # BytesIO(bytes) shares, not copies


def _fixed_width(values: np.ndarray) -> pa.Array:
    """Each row's big-endian ``values`` as a binary array."""
    width = values.dtype.itemsize
    offsets = np.arange(0, width * len(values) + 1, width, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_binary(), len(values), [
        None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(values).view(np.uint8))])


def _values(column: Column) -> pa.Array:
    """The column's values as a binary array (a NULL's value is empty: its length says -1)."""
    offsets = np.concatenate([[0], np.cumsum(np.maximum(column.lengths, 0))]).astype(np.int64)
    return pa.Array.from_buffers(pa.large_binary(), len(column.lengths), [
        None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(column.payload))])


def constant_column(value: str | int, kind: str, rows: int) -> Column:
    """A column of one value (the municipality, the import's id)."""
    one = column(kind, pd.Series([value]))
    return Column(np.repeat(one.lengths, rows), np.tile(one.payload, rows))


def column(kind: str, values: pd.Series) -> Column:
    """``values`` (as map_fields gives them) encoded as the catalogue type ``kind``."""
    if kind == "text":
        return _varlena(pa.array(values, type=pa.large_string(), from_pandas=True))
    if kind in ("integer", "bigint"):
        present = values.notna().to_numpy()
        numbers = values.to_numpy(dtype=np.int64, na_value=0)
        return _fixed(numbers.astype(">i4" if kind == "integer" else ">i8"), present)
    if kind == "real":  # double precision
        numbers = pd.to_numeric(values).to_numpy(dtype=np.float64, na_value=np.nan)
        return _fixed(numbers.astype(">f8"), ~np.isnan(numbers))
    if kind == "boolean":
        present = values.notna().to_numpy()
        return _fixed(values.where(values.notna(), False).to_numpy(dtype=bool).astype("u1"),
                      present)
    if kind == "date":
        days = pa.array(values, type=pa.date32(), from_pandas=True)
        return _fixed((_ints(days, np.int32) - PG_EPOCH_DAYS).astype(">i4"), _present(days))
    if kind == "timestamptz":
        moments = pc.cast(pa.array(pd.to_datetime(values, utc=True), from_pandas=True),
                          pa.timestamp("us", tz="UTC"), safe=False)  # PostgreSQL keeps µs
        return _fixed((_ints(moments, np.int64) - PG_EPOCH_MICROSECONDS).astype(">i8"),
                      _present(moments))
    if kind == "text[]" and values.isna().all():
        return Column(np.full(len(values), NULL, dtype=np.int32), np.empty(0, dtype=np.uint8))
    raise Unsupported(kind)


def geometry_column(geometries: np.ndarray, srid: int) -> Column:
    """EWKB with ``srid`` of each geometry (PostGIS' binary input); 2D points packed with
    numpy, anything else written by GEOS."""
    geometries = np.asarray(geometries, dtype=object)
    coordinates = points_coordinates(geometries)
    if coordinates is not None:
        records = point_records(coordinates, srid)
        return Column(np.full(len(records), POINT_EWKB.itemsize, dtype=np.int32),
                      records.view(np.uint8))
    wkb = shapely.to_wkb(shapely.set_srid(geometries, srid), include_srid=True)
    return _varlena(pa.array(wkb, type=pa.large_binary()))


def points_coordinates(geometries: np.ndarray) -> np.ndarray | None:
    """The (x, y) of each geometry if all are non-empty 2D points, else None."""
    if not len(geometries) or (shapely.get_type_id(geometries) != 0).any() \
            or shapely.has_z(geometries).any():
        return None
    coordinates = shapely.get_coordinates(geometries)
    return coordinates if len(coordinates) == len(geometries) else None  # an empty point


def point_records(coordinates: np.ndarray, srid: int) -> np.ndarray:
    """Little-endian EWKB of 2D points with ``srid``, one 25-byte record each."""
    records = np.empty(len(coordinates), dtype=POINT_EWKB)
    records["order"], records["type"], records["srid"] = 1, EWKB_POINT_WITH_SRID, srid
    records["x"], records["y"] = coordinates[:, 0], coordinates[:, 1]
    return records


def _fixed(values: np.ndarray, present: np.ndarray) -> Column:
    lengths = np.where(present, values.dtype.itemsize, NULL).astype(np.int32)
    return Column(lengths, np.ascontiguousarray(values[present]).view(np.uint8))


def _varlena(values: pa.Array) -> Column:
    """Text or bytes: Arrow's own offsets and data buffer (NULLs filled with zero bytes)."""
    present = _present(values)
    filled = pc.fill_null(values, "" if pa.types.is_large_string(values.type) else b"")
    offsets = np.frombuffer(filled.buffers()[1], dtype=np.int64)[
        filled.offset:filled.offset + len(filled) + 1]
    data = filled.buffers()[2]
    payload = (np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]] if data is not None
               else np.empty(0, dtype=np.uint8))
    lengths = np.where(present, np.diff(offsets), NULL).astype(np.int32)
    return Column(lengths, payload)


def _present(values: pa.Array) -> np.ndarray:
    return values.is_valid().to_numpy(zero_copy_only=False)


def _ints(values: pa.Array, dtype) -> np.ndarray:
    """The integers under a date or timestamp array (NULLs as 0)."""
    storage = pa.int32() if dtype is np.int32 else pa.int64()
    return values.cast(storage).fill_null(0).to_numpy(zero_copy_only=False).astype(dtype)
