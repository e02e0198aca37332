"""What a crew takes on the road: a printable route sheet (folium map on the app's own
Leaflet, the stop list), GPX for navigation devices, GeoJSON. Built from one route of a
`plan-crew-routes` result, posted back by the staff view.

Anyone may post one (it reads and stores nothing), so every field is checked (a 400 naming it)
and every value is escaped where it is written: into HTML, and into the JavaScript template
literal folium writes a tooltip into.
"""
from __future__ import annotations

import base64
import hashlib
import math
import re
from datetime import datetime
from xml.etree import ElementTree

import folium
from markupsafe import escape

from gis.errors import InvalidParameter

LOCAL_JS = [("leaflet", "/vendor/leaflet/dist/leaflet.js")]
LOCAL_CSS = [("leaflet_css", "/vendor/leaflet/dist/leaflet.css")]
MAX_STOPS = 1000
MAX_TEXT = 200
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


def _number(value, name: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (minimum is not None and value < minimum):
        raise InvalidParameter(f"{name}: a number" + (f" ≥ {minimum:g}" if minimum is not None
                                                      else ""))
    return value


def _text(value, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) \
            or len(str(value)) > MAX_TEXT or not str(value).strip():
        raise InvalidParameter(f"{name}: a text of 1 to {MAX_TEXT} characters")
    return str(value)


def _moment(value, name: str) -> str:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidParameter(f"{name}: an ISO 8601 date and time "
                               "(2026-11-24T07:10:00+02:00)") from None
    return value


def _point(value, name: str) -> list[float]:
    if not (isinstance(value, list) and len(value) == 2):
        raise InvalidParameter(f"{name}: [lon, lat] in degrees")
    lon, lat = (_number(v, name) for v in value)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter(f"{name}: [lon, lat] in degrees")
    return [lon, lat]


def _stop(stop, n: int) -> dict:
    where = f"stops[{n}]"
    if not isinstance(stop, dict):
        raise InvalidParameter(f"{where}: an object (order, request, arrival, location)")
    order = stop.get("order")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise InvalidParameter(f"{where}.order: a whole number from 1")
    return {"order": order, "request": _text(stop.get("request"), f"{where}.request"),
            "arrival": _moment(stop.get("arrival"), f"{where}.arrival"),
            "location": _point(stop.get("location"), f"{where}.location"),
            "walk_m": _number(stop.get("walk_m", 0), f"{where}.walk_m", 0)}


def _lines(route) -> list[list[list[float]]]:
    coordinates = route.get("coordinates", []) if isinstance(route, dict) else None
    if not isinstance(coordinates, list) or not all(isinstance(line, list)
                                                    for line in coordinates):
        raise InvalidParameter("route: a MultiLineString (coordinates: lines of [lon, lat])")
    return [[_point(p, f"route.coordinates[{i}]") for p in line]
            for i, line in enumerate(coordinates)]


def check_route(route) -> dict:
    """The route, every field checked (InvalidParameter naming the first wrong one)."""
    if not isinstance(route, dict) or not isinstance(route.get("stops"), list) \
            or not isinstance(route.get("route"), dict) or "crew" not in route:
        raise InvalidParameter("body: one route of a plan-crew-routes result "
                               "(crew, stops, route)")
    if len(route["stops"]) > MAX_STOPS:
        raise InvalidParameter(f"stops: at most {MAX_STOPS}")
    back = route.get("back_at_depot")
    return {"crew": _text(route["crew"], "crew"),
            "stops": [_stop(stop, n) for n, stop in enumerate(route["stops"])],
            "drive_s": _number(route.get("drive_s", 0), "drive_s", 0),
            "work_s": _number(route.get("work_s", 0), "work_s", 0),
            "back_at_depot": _moment(back, "back_at_depot") if back is not None else "",
            "route": {"type": "MultiLineString", "coordinates": _lines(route["route"])}}


def file_name(route: dict, suffix: str) -> str:
    """A download's name: the crew's id in letters, digits, '.', '_' and '-' only (it goes
    into a Content-Disposition header, between quotes)."""
    crew = re.sub(r"[^A-Za-z0-9._-]+", "_", route["crew"]).strip("._")[:64] or "route"
    return f"crew-{crew}.{suffix}"


def _template_literal_html(text: str) -> str:
    """``text`` as HTML that can sit inside a JavaScript template literal (folium's tooltip):
    escaped, and with nothing that could end the literal or interpolate in it."""
    return str(escape(text)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def sheet_html(route: dict, attribution: str) -> str:
    """The printable sheet of a checked route (check_route)."""
    stops = route["stops"]
    centre = stops[0]["location"][::-1] if stops else [35.368, 24.475]
    figure = folium.Map(location=centre, zoom_start=15, tiles=None, attr=attribution)
    figure.default_js, figure.default_css = LOCAL_JS, LOCAL_CSS  # no CDN: the app's own files
    for line in route["route"]["coordinates"]:
        folium.PolyLine([[lat, lon] for lon, lat in line], color="#0b5394", weight=4).add_to(figure)
    for stop in stops:
        lon, lat = stop["location"]
        folium.CircleMarker([lat, lon], radius=9, color="#d7301f", fill=True,
                            tooltip=_template_literal_html(f"{stop['order']}. {stop['request']}")
                            ).add_to(figure)
    if stops:
        lons, lats = [s["location"][0] for s in stops], [s["location"][1] for s in stops]
        figure.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    rows = "".join(f"<tr><td>{escape(s['order'])}</td><td>{escape(s['request'])}</td>"
                   f"<td>{escape(s['arrival'][11:16])}</td><td>{escape(s['walk_m'])}</td></tr>"
                   for s in stops)
    table = (f"<h1>Συνεργείο / Crew {escape(route['crew'])}</h1>"
             f"<p>Οδήγηση / drive {int(route['drive_s'] // 60)} min · εργασία / work "
             f"{int(route['work_s'] // 60)} min · επιστροφή / back "
             f"{escape(route['back_at_depot'][11:16])}</p>"
             "<table border=1 cellpadding=4><thead><tr><th>#</th><th>Αίτημα / Request</th>"
             "<th>Άφιξη / Arrival</th><th>Περπάτημα / Walk (m)</th></tr></thead>"
             f"<tbody>{rows}</tbody></table><p><small>{escape(attribution)}</small></p>")
    figure.get_root().html.add_child(folium.Element(table))
    return figure.get_root().render()


def script_hashes(page: str) -> tuple[str, ...]:
    """CSP sources ('sha256-…') of the inline scripts of a page dimos wrote itself (the route
    sheet: folium writes its map as inline scripts, which a nonce would not reach)."""
    return tuple("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                 + "'" for body in _INLINE_SCRIPT.findall(page))


def gpx(route: dict) -> str:
    root = ElementTree.Element("gpx", version="1.1", creator="dimos",
                               xmlns="http://www.topografix.com/GPX/1/1")
    for stop in route["stops"]:
        lon, lat = stop["location"]
        point = ElementTree.SubElement(root, "wpt", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
        ElementTree.SubElement(point, "name").text = f"{stop['order']}. {stop['request']}"
        ElementTree.SubElement(point, "time").text = stop["arrival"]
    track = ElementTree.SubElement(root, "trk")
    ElementTree.SubElement(track, "name").text = f"crew {route['crew']}"
    for line in route["route"]["coordinates"]:
        segment = ElementTree.SubElement(track, "trkseg")
        for lon, lat in line:
            ElementTree.SubElement(segment, "trkpt", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    return '<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(root, encoding="unicode")


def geojson(route: dict) -> dict:
    features = [{"type": "Feature", "geometry": route["route"],
                 "properties": {"crew": route["crew"], "drive_s": route["drive_s"]}}]
    features += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": s["location"]},
                  "properties": {"order": s["order"], "request": s["request"],
                                 "arrival": s["arrival"]}} for s in route["stops"]]
    return {"type": "FeatureCollection", "features": features}
