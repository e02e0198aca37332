"""What a crew takes on the road: a printable route sheet (folium map on the app's own
Leaflet, the stop list), GPX for navigation devices, GeoJSON. Built from one route of a
`plan-crew-routes` result, posted back by the staff view."""
from __future__ import annotations

from xml.etree import ElementTree

import folium
from markupsafe import escape

from gis.errors import InvalidParameter

LOCAL_JS = [("leaflet", "/vendor/leaflet/dist/leaflet.js")]
LOCAL_CSS = [("leaflet_css", "/vendor/leaflet/dist/leaflet.css")]


def check_route(route) -> dict:
    if not isinstance(route, dict) or not isinstance(route.get("stops"), list) \
            or not isinstance(route.get("route"), dict) or "crew" not in route:
        raise InvalidParameter("body: one route of a plan-crew-routes result "
                               "(crew, stops, route)")
    for stop in route["stops"]:
        location = stop.get("location") if isinstance(stop, dict) else None
        if not (isinstance(location, list) and len(location) == 2
                and all(isinstance(v, (int, float)) for v in location)):
            raise InvalidParameter("stops: each stop needs its location [lon, lat]")
    return route


def sheet_html(route: dict, attribution: str) -> str:
    stops = route["stops"]
    centre = stops[0]["location"][::-1] if stops else [35.368, 24.475]
    figure = folium.Map(location=centre, zoom_start=15, tiles=None, attr=attribution)
    figure.default_js, figure.default_css = LOCAL_JS, LOCAL_CSS  # no CDN: the app's own files
    for line in route["route"].get("coordinates", []):
        folium.PolyLine([[lat, lon] for lon, lat in line], color="#0b5394", weight=4).add_to(figure)
    for stop in stops:
        lon, lat = stop["location"]
        folium.CircleMarker([lat, lon], radius=9, color="#d7301f", fill=True,
                            tooltip=f"{stop['order']}. {stop['request']}").add_to(figure)
    if stops:
        lons, lats = [s["location"][0] for s in stops], [s["location"][1] for s in stops]
        figure.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    rows = "".join(f"<tr><td>{s['order']}</td><td>{escape(s['request'])}</td>"
                   f"<td>{escape(s['arrival'][11:16])}</td><td>{s.get('walk_m', 0)}</td></tr>"
                   for s in stops)
    table = (f"<h1>Συνεργείο / Crew {escape(route['crew'])}</h1>"
             f"<p>Οδήγηση / drive {route.get('drive_s', 0) // 60} min · εργασία / work "
             f"{route.get('work_s', 0) // 60} min · επιστροφή / back "
             f"{escape(str(route.get('back_at_depot', ''))[11:16])}</p>"
             "<table border=1 cellpadding=4><thead><tr><th>#</th><th>Αίτημα / Request</th>"
             "<th>Άφιξη / Arrival</th><th>Περπάτημα / Walk (m)</th></tr></thead>"
             f"<tbody>{rows}</tbody></table><p><small>{escape(attribution)}</small></p>")
    figure.get_root().html.add_child(folium.Element(table))
    return figure.get_root().render()


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
    for line in route["route"].get("coordinates", []):
        segment = ElementTree.SubElement(track, "trkseg")
        for lon, lat in line:
            ElementTree.SubElement(segment, "trkpt", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    return '<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(root, encoding="unicode")


def geojson(route: dict) -> dict:
    features = [{"type": "Feature", "geometry": route["route"],
                 "properties": {"crew": route["crew"], "drive_s": route.get("drive_s")}}]
    features += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": s["location"]},
                  "properties": {"order": s["order"], "request": s["request"],
                                 "arrival": s["arrival"]}} for s in route["stops"]]
    return {"type": "FeatureCollection", "features": features}
