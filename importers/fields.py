"""Field mapping and type coercion: a source chunk becomes the layer's columns, or findings.

``--map target=source`` names the source column of a layer field; unmapped fields take the
column of the same name (case-insensitive); ``--set field=value`` gives every row a constant.
Values that cannot be read as the field's type, or break its declared rules (required,
choices, range, pattern), are findings with row, field and reason.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from gis.errors import ImportRefused
from importers.report import Finding
from importers.sources import ROW
from layers.model import Field, Layer

TRUE = {"true", "t", "yes", "y", "1", "ναι", "ν"}
FALSE = {"false", "f", "no", "n", "0", "όχι", "οχι", "ο"}
INT_RANGE = {"integer": 2 ** 31, "bigint": 2 ** 63}


def column_plan(layer: Layer, columns: list[str], mapping: Mapping[str, str],
                constants: Mapping[str, str], file_name: str,
                attributes_only: bool = False) -> dict[str, str | None]:
    """Which source column feeds each layer field (None: no source, the field stays empty).

    Refuses unknown targets or sources, and required fields with neither column nor constant
    (with ``attributes_only``, only the natural key is required: other fields are left as stored).
    """
    names = {f.name for f in layer.fields}
    for target in [*mapping, *constants]:
        if target not in names:
            raise ImportRefused(f"--map/--set {target}: {layer.id} has no such field; its fields: "
                                f"{', '.join(f.name for f in layer.fields)}")
    by_lower = {c.lower(): c for c in columns}
    plan: dict[str, str | None] = {}
    for f in layer.fields:
        if f.name in constants:
            plan[f.name] = None
            continue
        source = mapping.get(f.name)
        if source is not None:
            if source not in columns and source.lower() not in by_lower:
                raise ImportRefused(f"--map {f.name}={source}: {file_name} has no column {source!r}; "
                                    f"its columns: {', '.join(columns)}")
            plan[f.name] = source if source in columns else by_lower[source.lower()]
        else:
            plan[f.name] = by_lower.get(f.name.lower())
        needed = f.name in layer.natural_key if attributes_only else f.required
        if plan[f.name] is None and needed:
            raise ImportRefused(
                f"{file_name}: no column for the required field {f.name} of {layer.id}; map one with "
                f"--map {f.name}=COLUMN or give a value with --set {f.name}=VALUE "
                f"(columns: {', '.join(columns) or 'none'})")
    return plan


def _blank(series: pd.Series) -> pd.Series:
    """True where a value is missing or an empty/blank string."""
    missing = series.isna()
    if series.dtype == object and not missing.all():  # a field with no column: all missing
        missing |= series.map(lambda v: isinstance(v, str) and not v.strip())
    return missing


def _plain_text(value) -> str | None:
    """A number as text the way it was meant: 7301, not 7301.0."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _coerce(f: Field, series: pd.Series) -> pd.Series:
    """``series`` as ``f``'s type; unreadable values become NaN/None (the caller reports them)."""
    if f.type == "text":
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            text = series.astype("string").str.strip()  # vectorised: a million rows a second
        else:
            text = series.map(_plain_text).astype("string")
        return text.mask(text == "")  # Arrow-backed text: no Python object per value
    if f.type in ("integer", "bigint"):
        numbers = pd.to_numeric(series, errors="coerce")
        whole = numbers.notna() & (numbers == np.floor(numbers)) & (numbers.abs() < INT_RANGE[f.type])
        return numbers.where(whole).astype("Int64")
    if f.type == "real":
        return pd.to_numeric(series, errors="coerce").astype(float)
    if f.type == "boolean":
        if series.dtype == bool:
            return series.astype(object)
        text = series.map(lambda v: str(v).strip().lower() if pd.notna(v) else None)
        return text.map(lambda v: True if v in TRUE else False if v in FALSE else None).astype(object)
    if f.type in ("date", "timestamptz"):
        utc = f.type == "timestamptz"
        if pd.api.types.is_datetime64_any_dtype(series):
            parsed = pd.to_datetime(series, utc=utc)
        else:
            text = series.astype("string").str.strip()
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
            # Greek forms write day first: 20/05/2015
            retry = parsed.isna() & text.notna()
            if retry.any():
                parsed[retry] = pd.to_datetime(text[retry], format="%d/%m/%Y", errors="coerce",
                                               utc=utc)
        return parsed.dt.date.astype(object).where(parsed.notna(), None) if f.type == "date" else parsed
    if f.type == "text[]":
        lists = np.full(len(series), None, dtype=object)
        present = series.notna().to_numpy()  # only these go through Python, one by one
        for i, v in zip(np.flatnonzero(present), series[present]):
            lists[i] = v if isinstance(v, list) else [p.strip() for p in re.split(r"[;|]", str(v))
                                                      if p.strip()]
        return pd.Series(lists, index=series.index, dtype=object)
    raise AssertionError(f.type)


def _rule_failures(f: Field, values: pd.Series) -> list[tuple[pd.Index, str]]:
    """(rows, reason) for each declared rule of ``f`` the present values break."""
    present = values.notna()
    failures = []
    if f.choices:
        bad = present & ~values.isin(f.choices)
        failures.append((values.index[bad], f"not one of {', '.join(f.choices)}"))
    if f.minimum is not None:
        bad = present & (pd.to_numeric(values, errors="coerce") < f.minimum)
        failures.append((values.index[bad], f"below the minimum {f.minimum:g}{f.unit or ''}"))
    if f.maximum is not None:
        bad = present & (pd.to_numeric(values, errors="coerce") > f.maximum)
        failures.append((values.index[bad], f"above the maximum {f.maximum:g}{f.unit or ''}"))
    if f.pattern:
        matches = values[present].astype(str).str.match(f.pattern)
        failures.append((matches.index[~matches.astype(bool)], f"does not match {f.pattern}"))
    return failures


def map_fields(layer: Layer, chunk: pd.DataFrame, plan: Mapping[str, str | None],
               constants: Mapping[str, str]) -> tuple[pd.DataFrame, list[Finding]]:
    """The layer's fields (in catalogue order) for ``chunk``, and a finding per bad value."""
    out = pd.DataFrame(index=chunk.index)
    findings: list[Finding] = []
    rows = chunk[ROW]
    for f in layer.fields:
        source = plan.get(f.name)
        if f.name in constants:
            raw = pd.Series([constants[f.name]] * len(chunk), index=chunk.index, dtype=object)
        elif source is None:
            raw = pd.Series([None] * len(chunk), index=chunk.index, dtype=object)
        else:
            raw = chunk[source]
        blank = _blank(raw)
        values = _coerce(f, raw)
        unreadable = values.isna() & ~blank
        for i in values.index[unreadable]:
            findings.append(Finding(int(rows[i]), f.name, f"not a valid {f.type}", value=str(raw[i])))
        if f.required and (source is not None or f.name in constants):
            for i in values.index[blank]:
                findings.append(Finding(int(rows[i]), f.name, "required value missing"))
        for index, reason in _rule_failures(f, values):
            for i in index:
                findings.append(Finding(int(rows[i]), f.name, reason, value=str(values[i])))
        out[f.name] = values
    return out, findings
