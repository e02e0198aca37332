"""The reject report: one line per refused row (or repaired geometry), written next to the input."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

#: what happened to the row: refused (the import commits nothing), repaired, or left out
REJECTED, REPAIRED, SKIPPED = "rejected", "repaired", "skipped"


@dataclass(frozen=True)
class Finding:
    row: int  # 1-based feature number in the file
    field: str  # a layer field, or "geometry"
    reason: str
    outcome: str = REJECTED
    value: str | None = None


def write_report(source: Path, fallback_dir: Path, findings: list[Finding]) -> Path:
    """Write ``findings`` as ``<input>.reject.csv`` beside the input, or in ``fallback_dir`` when
    that folder cannot take it (read-only media, a shared folder); the path written.

    CSV ordered by row, UTF-8 with BOM (Excel shows the Greek).
    """
    beside = source.with_name(source.name + ".reject.csv")
    try:
        return _write(beside, findings)
    except OSError:
        fallback_dir.mkdir(parents=True, exist_ok=True)
        return _write(fallback_dir / beside.name, findings)


def _write(path: Path, findings: list[Finding]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "field", "outcome", "reason", "value"])
        for f in sorted(findings, key=lambda f: (f.row, f.field)):
            writer.writerow([f.row, f.field, f.outcome, f.reason, "" if f.value is None else f.value])
    return path


def summary(findings: list[Finding], outcome: str = REJECTED) -> str:
    """'3 rows: 2 × invalid geometry, 1 × duplicate key', most frequent first."""
    chosen = [f for f in findings if f.outcome == outcome]
    counts: dict[str, int] = {}
    for f in chosen:
        kind = f.reason.split(":")[0]
        counts[kind] = counts.get(kind, 0) + 1
    rows = len({f.row for f in chosen})
    parts = ", ".join(f"{n} × {kind}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{rows} row{'s' if rows != 1 else ''} ({parts})"
