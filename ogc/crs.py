"""CRS URIs of OGC API requests to PostGIS SRIDs and axis order."""
from __future__ import annotations

from functools import lru_cache

from pyproj import Transformer

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


@lru_cache(maxsize=64)
def _transformer(from_crs: str, to_crs: str, always_xy: bool):
    from pygeoapi.crs import get_crs

    return Transformer.from_crs(get_crs(from_crs), get_crs(to_crs), always_xy=always_xy)


def transform_bbox(bbox: list, from_crs, to_crs, always_xy=False) -> list:
    """pygeoapi's ``transform_bbox`` with its Transformer built once per CRS pair (not ~8 ms on
    every request) and the bbox's edges densified, so the result encloses the whole box."""
    if len(bbox) == 6:  # heights: the data is 2D
        bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
    if len(bbox) == 4 and isinstance(to_crs, str) and from_crs in _LONGITUDE_AXIS:
        axis = _LONGITUDE_AXIS[from_crs]
        if bbox[axis] > bbox[axis + 2]:
            bbox = _antimeridian_half(bbox, axis, from_crs, to_crs)
    inverted = len(bbox) == 4 and (bbox[0] > bbox[2] or bbox[1] > bbox[3])
    if inverted or len(bbox) != 4 or not isinstance(from_crs, str) or not isinstance(to_crs, str):
        # as pygeoapi does it (an inverted box stays inverted, for the provider to refuse)
        from pygeoapi import crs

        return crs.transform_bbox(bbox, from_crs, to_crs, always_xy)
    minx, miny, maxx, maxy = _transformer(from_crs, to_crs, always_xy).transform_bounds(
        *bbox, densify_pts=21)
    return [minx, miny, maxx, maxy]


#: the longitude's axis in the geographic CRSs a bbox may be given in
_LONGITUDE_AXIS = {CRS_URIS["CRS84"]: 0, CRS_URIS[4326]: 1}


def _antimeridian_half(bbox: list, axis: int, from_crs: str, to_crs: str) -> list:
    """A box across the antimeridian (west edge > east edge, OGC 17-069r4 §7.15.3) as the one
    box of ``from_crs`` a provider can take: of its two halves, the one within the longitudes of
    ``to_crs``'s area of use (no stored coordinate lies outside it), clipped to them; when
    neither half reaches that area, a box beside it, which selects nothing."""
    from pygeoapi.crs import get_crs
    from pyproj.exceptions import CRSError

    area = get_crs(to_crs).area_of_use
    halves = [(bbox[axis], 180.0), (-180.0, bbox[axis + 2])]
    reaching = [(max(low, area.west), min(high, area.east)) for low, high in halves
                if low <= area.east and high >= area.west]
    if len(reaching) > 1:
        # two boxes are no one box: the provider takes one
        raise CRSError("bbox: this box across the antimeridian reaches the data on both its "
                       "sides; ask for each side apart")
    if not reaching:  # far from where the data can lie: a sliver just west of the area of use
        reaching = [(area.west - 2.0, area.west - 1.0)]
    (west, east), = reaching
    half = list(bbox)
    half[axis], half[axis + 2] = west, east
    return half
