"""The certificate's map extract as an SVG drawn on the server: zones coloured by land use,
the parcel or place, permits, a scale bar and a north arrow, in millimetres of the page.

Zone paths are PostGIS's ST_AsSVG in metres of EPSG:2100 (y negated), placed on the page by
one transform; everything else is computed here in millimetres, so line widths and text stay
the same whatever the extent. Grid north of EPSG:2100 is within 0.5° of true north across
Crete (meridian convergence), so the arrow points up.
"""
from __future__ import annotations

from markupsafe import escape
from shapely.geometry.base import BaseGeometry

from gis.planning_map import Extent

#: the extract's size on the page (A4 portrait, 15 mm margins)
MAP_WIDTH_MM = 180.0
MAP_HEIGHT_MM = 88.0
ASPECT = MAP_WIDTH_MM / MAP_HEIGHT_MM
#: at least this much ground across the extract: a block and its neighbours (≈ 1:1,700)
MIN_WIDTH_M = 300.0
#: fill colours by land use (the planners' usual hues: residential ochre, centre red, …)
LAND_USE_COLOURS = {
    "general_residential": "#fdbf6f",
    "pure_residential": "#ffe08a",
    "town_centre": "#fb9a99",
    "historic_centre": "#cab2d6",
    "tourism": "#a6cee3",
    "settlement": "#f4cae4",
    "green": "#b2df8a",
    "agriculture": "#e6f5c9",
    "protected": "#66c2a5",
}
OTHER_COLOUR = "#dddddd"
_NICE_LENGTHS_M = (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


def colour(land_use: str) -> str:
    return LAND_USE_COLOURS.get(land_use, OTHER_COLOUR)


def scale_denominator(extent: Extent) -> float:
    """The extract's scale on paper (1:N): ground metres per page metre."""
    return extent.width / (MAP_WIDTH_MM / 1000)


def scale_bar_length_m(extent: Extent) -> int:
    """The longest round length that fits in a quarter of the extract's width."""
    quarter = extent.width / 4
    return max((n for n in _NICE_LENGTHS_M if n <= quarter), default=_NICE_LENGTHS_M[0])


class _Page:
    """Metres of EPSG:2100 → millimetres of the extract (y down)."""

    def __init__(self, extent: Extent):
        self.extent = extent
        self.k = MAP_WIDTH_MM / extent.width

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.extent.minx) * self.k, (self.extent.maxy - y) * self.k

    def ring(self, coords) -> str:
        points = [self.xy(x, y) for x, y, *_ in coords]
        return "M " + " L ".join(f"{px:.2f} {py:.2f}" for px, py in points) + " Z"


def _place(page: _Page, place: BaseGeometry) -> str:
    if place.geom_type == "Point":
        x, y = page.xy(place.x, place.y)
        return (f'<circle class="place" cx="{x:.2f}" cy="{y:.2f}" r="2.2" fill="none" '
                f'stroke="#d7191c" stroke-width="0.8"/>'
                f'<circle cx="{x:.2f}" cy="{y:.2f}" r="0.6" fill="#d7191c"/>')
    polygons = place.geoms if place.geom_type == "MultiPolygon" else [place]
    path = " ".join(page.ring(ring.coords) for polygon in polygons
                    for ring in (polygon.exterior, *polygon.interiors))
    return (f'<path class="place" d="{path}" fill="none" stroke="#d7191c" '
            f'stroke-width="0.8" fill-rule="evenodd"/>')


def _scale_bar(extent: Extent, unit: str) -> str:
    length = scale_bar_length_m(extent)
    bar = length * MAP_WIDTH_MM / extent.width
    x0, y0 = 4.0, MAP_HEIGHT_MM - 6.0
    half = bar / 2
    return (f'<g class="scale-bar"><rect x="{x0 - 1.5}" y="{y0 - 4.5}" width="{bar + 9}" '
            f'height="8.5" fill="white" fill-opacity="0.85"/>'
            f'<rect x="{x0}" y="{y0}" width="{half:.2f}" height="1.4" fill="black"/>'
            f'<rect x="{x0 + half:.2f}" y="{y0}" width="{half:.2f}" height="1.4" fill="white" '
            f'stroke="black" stroke-width="0.25"/>'
            f'<text x="{x0}" y="{y0 - 1}" font-size="2.6">0</text>'
            f'<text x="{x0 + bar:.2f}" y="{y0 - 1}" font-size="2.6" text-anchor="middle">'
            f'{length} {escape(unit)}</text></g>')


def _north_arrow(letter: str) -> str:
    x, y = MAP_WIDTH_MM - 9.0, 4.0
    return (f'<g class="north-arrow"><circle cx="{x}" cy="{y + 6}" r="6" fill="white" '
            f'fill-opacity="0.85"/><path d="M {x} {y} L {x + 3} {y + 10} L {x} {y + 8} '
            f'L {x - 3} {y + 10} Z" fill="black"/>'
            f'<text x="{x}" y="{y + 14.5}" font-size="3.2" text-anchor="middle" '
            f'font-weight="bold">{escape(letter)}</text></g>')


def map_svg(extent: Extent, shapes: dict, place: BaseGeometry, words: dict) -> str:
    """The extract: ``shapes`` (gis.planning_map.map_shapes) around ``place`` (EPSG:2100)."""
    page = _Page(extent)
    # ST_AsSVG writes (x, -y): shift by (-minx, +maxy), then metres → millimetres
    transform = f"scale({page.k:.6f}) translate({-extent.minx:.2f} {extent.maxy:.2f})"
    zones = "".join(
        f'<path d="{escape(z["path"])}" fill="{colour(z["land_use"])}" fill-opacity="0.85" '
        f'stroke="#7f4f24" stroke-width="{0.25 / page.k:.3f}" fill-rule="evenodd"/>'
        for z in shapes["zones"])
    labels = "".join(
        '<text x="{:.2f}" y="{:.2f}" font-size="2.4" text-anchor="middle">{}</text>'.format(
            *page.xy(z["label_x"], z["label_y"]), escape(z["zone_code"]))
        for z in shapes["zones"])
    permits = "".join(
        '<rect x="{:.2f}" y="{:.2f}" width="1.4" height="1.4" fill="#1f78b4"/>'.format(
            x - 0.7, y - 0.7)
        for x, y in (page.xy(p["x"], p["y"]) for p in shapes["permits"]))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="extract" '
            f'width="{MAP_WIDTH_MM}mm" height="{MAP_HEIGHT_MM}mm" '
            f'viewBox="0 0 {MAP_WIDTH_MM} {MAP_HEIGHT_MM}" role="img" '
            f'aria-label="{escape(words["map"])}" font-family="Certificate Sans, DejaVu Sans">'
            f'<rect width="{MAP_WIDTH_MM}" height="{MAP_HEIGHT_MM}" fill="#f7f7f7"/>'
            f'<g transform="{transform}">{zones}</g>{labels}{permits}{_place(page, place)}'
            f'{_scale_bar(extent, words["m"])}{_north_arrow(words["north"])}'
            f'<rect x="0.15" y="0.15" width="{MAP_WIDTH_MM - 0.3}" height="{MAP_HEIGHT_MM - 0.3}" '
            f'fill="none" stroke="black" stroke-width="0.3"/></svg>')
