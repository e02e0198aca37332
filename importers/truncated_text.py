"""Text GDAL cuts short: a GeoJSON string holding a NUL ("a\\u0000b") reaches OGR as "a". The
raw file is searched for the escape (fast: most files have none) and only then parsed, so that
the row's whole value can be put back for importers/values.py to refuse, never stored cut."""
from __future__ import annotations

import json
from pathlib import Path

NUL_ESCAPE = b"\\u0000"
BLOCK = 1 << 22


def _mentions_nul(path: Path) -> bool:
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            if NUL_ESCAPE in tail + block:
                return True
            tail = block[-(len(NUL_ESCAPE) - 1):]
    return False


def geojson_nul_values(path: Path) -> dict[tuple[int, str], str]:
    """{(row, property): the whole text} for every GeoJSON property with a NUL in it; rows
    1-based in file order, as GDAL reads them."""
    if not _mentions_nul(path):
        return {}
    try:
        document = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return {}  # GDAL's reading reports what is wrong with the file
    features = document.get("features") if isinstance(document, dict) else None
    found = {}
    for row, feature in enumerate(features if isinstance(features, list) else [], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for name, value in (properties or {}).items() if isinstance(properties, dict) else ():
            if isinstance(value, str) and "\x00" in value:
                found[(row, name)] = value
    return found
