"""CRS URIs of OGC API requests to PostGIS SRIDs and axis order."""
from __future__ import annotations

from ogc.config import CRS_URIS

_SRIDS = {uri: (4326 if key == "CRS84" else key) for key, uri in CRS_URIS.items()}


def srid_and_axes(uri: str | None) -> tuple[int, bool]:
    """(SRID, swap) for a CRS URI: swap when the CRS orders axes latitude first (EPSG:4326).

    No URI means CRS84 (longitude, latitude), the OGC API default.
    """
    if uri is None:
        return 4326, False
    if uri not in _SRIDS:
        raise ValueError(f"unsupported CRS {uri}; supported: {', '.join(CRS_URIS.values())}")
    return _SRIDS[uri], uri == CRS_URIS[4326]
