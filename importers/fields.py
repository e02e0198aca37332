"""Field mapping and type coercion: a source chunk becomes the layer's columns, or findings.

``--map target=source`` names the source column of a layer field; unmapped fields take the
column of the same name (case-insensitive); ``--set field=value`` gives every row a constant.
Values that cannot be read as the field's type, or break its declared rules (required,
choices, range, pattern), are findings with row, field and reason.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from gis.errors import ImportRefused
from importers.names import field_name
from importers.report import Finding
from importers.sources import ROW
from importers.values import convert, printable
from layers.model import Field, Layer


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
    # a column of the field's name in any case, or one named so once normalised (a published
    # layer's "Κωδικός" is its field kodikos: importers/names.py)
    by_lower = {**{field_name(c): c for c in columns}, **{c.lower(): c for c in columns}}
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


def _rule_failures(f: Field, values: pd.Series) -> list[tuple[pd.Index, str]]:
    """(rows, reason) for each declared rule of ``f`` the present values break."""
    present = values.notna()
    failures = []
    if f.choices:
        bad = present & ~values.isin(f.codes)
        failures.append((values.index[bad], f"not one of {', '.join(f.codes)}"))
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
        values, reasons = convert(f, raw)
        for i, reason in reasons.items():
            findings.append(Finding(int(rows[i]), f.name, reason, value=printable(raw[i])))
        # a safety net: a value the converter dropped without saying why is still a finding
        for i in values.index[values.isna() & ~blank & ~values.index.isin(list(reasons))]:
            findings.append(Finding(int(rows[i]), f.name, f"not a valid {f.type}",
                                    value=printable(raw[i])))
        if f.required and (source is not None or f.name in constants):
            for i in values.index[blank]:
                findings.append(Finding(int(rows[i]), f.name, "required value missing"))
        for index, reason in _rule_failures(f, values):
            for i in index:
                findings.append(Finding(int(rows[i]), f.name, reason, value=printable(values[i])))
        out[f.name] = values
    return out, findings


def check_constants(layer: Layer, constants: Mapping[str, str]) -> None:
    """Refuse a ``--set FIELD=VALUE`` that no row could store, before the file is read: the
    same conversion and rules as the file's values, one line naming the field."""
    by_name = {f.name: f for f in layer.fields}
    for name, value in constants.items():
        f = by_name.get(name)
        if f is None:
            continue  # column_plan names the fields there are
        raw = pd.Series([value], dtype=object)
        values, reasons = convert(f, raw)
        blank = bool(_blank(raw).iloc[0])
        failures = [reason for index, reason in _rule_failures(f, values) if len(index)]
        reason = (reasons.get(0) or ("required value missing" if blank and f.required else None)
                  or (f"not a valid {f.type}" if values.isna().iloc[0] and not blank else None)
                  or (failures[0] if failures else None))
        if reason:
            raise ImportRefused(f"--set {name}={printable(value)}: {reason}")
