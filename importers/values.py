"""A source column as a catalogue field's type, and why each value that cannot be stored as
written is refused: one converter per catalogue type, the one place values are converted.

Nothing is changed silently: where pandas or PostgreSQL would roll a date over (30 February),
cut text at a NUL, read ``true`` as 1 or round 2.5, the value gets a reason instead (the caller
makes it a finding with row and field). Whole columns are converted at once; Python loops run
only over the few values that need a closer look.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from layers.model import Field

TRUE = {"true", "t", "yes", "y", "1", "ναι", "ν"}
FALSE = {"false", "f", "no", "n", "0", "όχι", "οχι", "ο"}
INT_LIMITS = {"integer": (-2 ** 31, 2 ** 31 - 1), "bigint": (-2 ** 63, 2 ** 63 - 1)}
EXACT_FLOAT = 2 ** 53  # above this, a float64 no longer holds every whole number
NUL = "\x00"
#: lone surrogates: bytes that were not UTF-8, kept by the reader (surrogateescape) to be named
_UNDECODED = re.compile("[\udc80-\udcff]")
NOT_UTF8 = "text not in UTF-8 (save the file as UTF-8, or pass --encoding for CSV/shapefiles)"
HAS_NUL = "contains a NUL character (\\x00), which cannot be stored: remove it in the source"
BOOLEAN = "a boolean (true/false), not a number"

Reasons = dict  # index label -> why that value is refused


def convert(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    """``series`` as ``f``'s type (refused values as NA) and a reason for each refused value."""
    return _CONVERTERS[f.type](f, series)


def printable(value) -> str | None:
    """A value as the reject report can show it (undecodable bytes and NULs escaped)."""
    if value is None:
        return None
    text = str(value)
    if _UNDECODED.search(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.replace(NUL, "\\x00")


def _text(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    reasons: Reasons = {}
    if series.dtype == object:
        # Arrow columns cannot hold undecoded bytes or lists: only object columns can
        for i, v in series[series.notna()].items():
            if isinstance(v, str) and _UNDECODED.search(v):
                reasons[i] = NOT_UTF8
        series = series.where(~series.index.isin(list(reasons)), None)
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        text = series.astype("string").str.strip()  # vectorised: a million rows a second
    else:
        text = series.map(_plain_text).astype("string")
    nul = text.str.contains(NUL, regex=False).fillna(False).astype(bool)
    reasons.update({i: HAS_NUL for i in text.index[nul]})
    text = text.mask(nul)
    return text.mask(text == ""), reasons  # Arrow-backed text: no Python object per value


def _plain_text(value) -> str | None:
    """A number as text the way it was meant: 7301, not 7301.0."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _given(series: pd.Series) -> pd.Series:
    """True where a value is there: not missing, not blank text (a blank is no value, and the
    required rule, not the type, speaks about it)."""
    given = series.notna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        given &= series.astype("string").str.strip().fillna("") != ""
    return given


def _booleans_in(series: pd.Series) -> pd.Series:
    """True where a value is a boolean (a GeoJSON true, a GPKG boolean column)."""
    if pd.api.types.is_bool_dtype(series):
        return series.notna()
    if series.dtype == object:
        return series.map(lambda v: isinstance(v, (bool, np.bool_))).astype(bool)
    return pd.Series(False, index=series.index)


def _numbers(series: pd.Series, booleans: pd.Series) -> pd.Series:
    """Floats of the values (NaN for text that is no number, and for booleans)."""
    if pd.api.types.is_bool_dtype(series):
        return pd.Series(np.nan, index=series.index)
    source = series.where(~booleans, None) if booleans.any() else series
    if source.dtype == object or pd.api.types.is_string_dtype(source):
        source = source.astype("string").str.strip()
    return pd.to_numeric(source, errors="coerce").astype(float)


def _whole(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    booleans = _booleans_in(series)
    numbers = _numbers(series, booleans)
    low, high = INT_LIMITS[f.type]
    present = _given(series) & ~booleans
    finite = np.isfinite(numbers)
    fraction = finite & (numbers != np.floor(numbers))
    reasons: Reasons = {i: BOOLEAN for i in series.index[booleans]}
    reasons.update({i: f"not a whole number: {numbers[i]:g}" for i in series.index[fraction]})
    reasons.update({i: f"not a valid {f.type}" for i in series.index[present & ~finite]})
    values = np.full(len(series), None, dtype=object)
    ok = finite & ~fraction
    small = ok & (numbers.abs() < EXACT_FLOAT)
    values[small.to_numpy()] = numbers[small].astype(np.int64).to_numpy()
    for position in np.flatnonzero((ok & ~small).to_numpy()):  # exact, not through a float
        whole = _exact_int(series.iloc[position], numbers.iloc[position])
        if whole is None:
            reasons[series.index[position]] = f"not a whole number: {series.iloc[position]}"
        else:
            values[position] = whole
    out = pd.Series(values, index=series.index, dtype=object)
    for i, v in out[out.notna()].items():
        if not low <= v <= high:
            reasons[i] = f"out of range for {f.type} ({low} to {high})"
    out = out.where(~out.index.isin(list(reasons)), None)
    return out.astype("Int64"), reasons


def _exact_int(raw, approximate: float) -> int | None:
    """``raw`` as a Python int without a float's rounding (None if it has a fraction)."""
    if isinstance(raw, (int, np.integer)):
        return int(raw)
    if isinstance(raw, float):
        return int(approximate)
    try:
        exact = Decimal(str(raw).strip())
    except InvalidOperation:
        return int(approximate)
    return int(exact) if exact == exact.to_integral_value() else None


def _real(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    booleans = _booleans_in(series)
    numbers = _numbers(series, booleans)
    present = _given(series) & ~booleans
    reasons: Reasons = {i: BOOLEAN for i in series.index[booleans]}
    reasons.update({i: f"not a valid {f.type}" for i in series.index[present & numbers.isna()]})
    infinite = np.isinf(numbers)
    reasons.update({i: "not finite (infinity cannot be measured)" for i in series.index[infinite]})
    return numbers.mask(infinite), reasons


def _boolean(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(object), {}
    text = series.map(lambda v: str(v).strip().lower() if pd.notna(v) else None)
    values = text.map(lambda v: True if v in TRUE else False if v in FALSE else None).astype(object)
    bad = values.isna() & series.notna() & (text != "")
    return values, {i: f"not a valid {f.type} (yes/no, true/false, ναι/όχι)" for i in series.index[bad]}


def _when(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    """Dates and timestamps: ISO 8601 or the Greek day-first 20/05/2015; never rolled over."""
    utc = f.type == "timestamptz"
    reasons: Reasons = {}
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = pd.to_datetime(series, utc=utc)
        text = None
    else:
        text = series.astype("string").str.strip()
        text = text.mask(text == "")
        # pandas refuses 2021-02-30 (NaT) where PostgreSQL and GDAL would roll it over
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
        retry = parsed.isna() & text.notna()
        if retry.any():
            parsed[retry] = pd.to_datetime(text[retry], format="%d/%m/%Y", errors="coerce", utc=utc)
        form = "YYYY-MM-DD or DD/MM/YYYY" + (", with a time" if utc else "")
        reasons.update({i: f"not a valid {'date' if f.type == 'date' else 'timestamp'} ({form})"
                        for i in series.index[parsed.isna() & text.notna()]})
    year_zero = parsed.notna() & (parsed.dt.year < 1)
    reasons.update({i: "year 0 does not exist (years run from 1)" for i in series.index[year_zero]})
    parsed = parsed.mask(year_zero)
    if f.type == "date":
        return parsed.dt.date.astype(object).where(parsed.notna(), None), reasons
    return parsed, reasons


def _text_list(f: Field, series: pd.Series) -> tuple[pd.Series, Reasons]:
    lists = np.full(len(series), None, dtype=object)
    reasons: Reasons = {}
    present = series.notna().to_numpy()  # only these go through Python, one by one
    for i, v in zip(np.flatnonzero(present), series[present]):
        items = v if isinstance(v, list) else [p.strip() for p in re.split(r"[;|]", str(v))
                                               if p.strip()]
        joined = "".join(map(str, items))
        if NUL in joined or _UNDECODED.search(joined):
            reasons[series.index[i]] = HAS_NUL if NUL in joined else NOT_UTF8
        else:
            lists[i] = items
    return pd.Series(lists, index=series.index, dtype=object), reasons


_CONVERTERS = {"text": _text, "integer": _whole, "bigint": _whole, "real": _real,
               "boolean": _boolean, "date": _when, "timestamptz": _when, "text[]": _text_list}
