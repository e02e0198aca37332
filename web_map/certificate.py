"""The planning certificate: the planning report at a point or parcel as one A4 page, HTML
rendered to PDF by WeasyPrint on the server, with a map extract drawn from the same data.

What applies (zones, shares, terms, plan and ΦΕΚ, settlement, permits) is
gis.planning.planning_report's answer, the very one the `planning-report` process gives the
map; only the extract's shapes are read besides (gis.planning_map). The reference number is a
hash of what was asked and what was answered: the same question on the same data gets the
same number, any change in either another one.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import shapely
from flask import render_template
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from gis.errors import InvalidParameter, NotFound
from gis.geometry import transformed
from gis.local_time import LOCAL_TIME
from gis.parameters import parse_number, read_json
from gis.planning import MAX_PERMITS, MAX_RADIUS_M, planning_report
from gis.planning_map import extent_around, map_shapes, municipality_at
from layers.model import STORAGE_SRID
from ogc.processes import input_srid, read_date, read_geometry, read_number
from web_map.certificate_map import ASPECT, MIN_WIDTH_M, colour, map_svg, scale_denominator
from web_map.certificate_words import LANGUAGES, WORDS, choice_title

DEFAULT_RADIUS_M = 100.0
#: permits listed on the page (all are counted; the nearest first)
LISTED_PERMITS = 8
#: Debian's fonts-dejavu-core: Greek glyphs, on the machine, never fetched
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
BODY_INPUTS = {"location", "parcel", "crs", "date", "lang", "radius"}


@dataclass(frozen=True)
class Asked:
    """What a certificate is asked for: a place (EPSG:2100), a date, a language, a radius."""

    place: BaseGeometry
    on: date
    lang: str
    radius_m: float


def _lang(value) -> str:
    if value is None:
        return "el"
    if value not in LANGUAGES:
        raise InvalidParameter(f"lang: 'el' or 'en', not {str(value)[:20]!r}")
    return value


def asked_by_query(cur, args) -> Asked:
    """``?lon=&lat=[&date=][&lang=el|en][&radius=]`` (CRS84 degrees)."""
    for name in ("lon", "lat"):
        if not args.get(name):
            raise InvalidParameter(f"{name}: required (degrees, CRS84)")
    lon = parse_number("lon", args["lon"], -180, 180)
    lat = parse_number("lat", args["lat"], -90, 90)
    radius = (parse_number("radius", args["radius"], 0, MAX_RADIUS_M) if args.get("radius")
              else DEFAULT_RADIUS_M)
    return Asked(transformed(cur, Point(lon, lat), 4326, STORAGE_SRID),
                 read_date("date", args.get("date") or None), _lang(args.get("lang")), radius)


def asked_by_body(cur, body: bytes) -> Asked:
    """A JSON body as the `planning-report` process's inputs (``parcel`` a GeoJSON Polygon or
    ``location`` a Point, ``crs``, ``date``, ``radius``) and ``lang``."""
    data = read_json(body)
    if not isinstance(data, dict):
        raise InvalidParameter("body: a JSON object with parcel (a GeoJSON Polygon) or location")
    unknown = sorted(set(data) - BODY_INPUTS)
    if unknown:
        raise InvalidParameter(f"body: unknown member(s) {', '.join(unknown)}; give "
                               f"{', '.join(sorted(BODY_INPUTS))}")
    if ("location" in data) == ("parcel" in data):
        raise InvalidParameter("body: give exactly one of parcel (a GeoJSON Polygon) or "
                               "location (a Point)")
    srid = input_srid(data.get("crs"))
    name = "location" if "location" in data else "parcel"
    kinds = ("Point",) if name == "location" else ("Polygon", "MultiPolygon")
    geometry = read_geometry(name, data[name], srid, kinds)
    place = geometry if srid == STORAGE_SRID else transformed(cur, geometry, srid, STORAGE_SRID)
    return Asked(place, read_date("date", data.get("date")), _lang(data.get("lang")),
                 read_number("radius", data.get("radius"), DEFAULT_RADIUS_M, 0, MAX_RADIUS_M))


def gather(cur, asked: Asked) -> dict:
    """The facts a certificate prints: the planning report, the extract's shapes, the
    municipality. NotFound when no municipality of this server holds the place."""
    municipality = municipality_at(cur, asked.place)
    if municipality is None:
        raise NotFound("lon/lat: the place is outside every municipality this server holds; "
                       "a certificate is issued only for a place inside one")
    report = planning_report(cur, asked.place, asked.on, asked.radius_m)
    extent = extent_around(asked.place, ASPECT, MIN_WIDTH_M)
    return {"municipality": municipality, "report": report, "extent": extent,
            "shapes": map_shapes(cur, extent, asked.on)}


def reference_number(asked: Asked, facts: dict) -> str:
    """``<municipality>-<YYYYMMDD of the answer>-<10 hex of SHA-256(question, answer)>``:
    the language is left out (one certificate, two readings)."""
    question = {"place": shapely.to_wkt(asked.place, rounding_precision=3),
                "date": asked.on.isoformat(), "radius": asked.radius_m}
    digest = hashlib.sha256(json.dumps([question, facts["report"]], sort_keys=True,
                                       default=str).encode()).hexdigest()
    return f"{facts['municipality']['id'].upper()}-{asked.on:%Y%m%d}-{digest[:10].upper()}"


def _shown(value, unit: str = "", none: str = "—") -> str:
    if value is None:
        return none
    if isinstance(value, float):
        value = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value} {unit}".strip()


def _where(cur, asked: Asked) -> str:
    centre = asked.place if asked.place.geom_type == "Point" else asked.place.centroid
    lonlat = transformed(cur, centre, STORAGE_SRID, 4326)
    return (f"{lonlat.y:.6f}° N, {lonlat.x:.6f}° E (ΕΓΣΑ87/EPSG:2100 x {centre.x:,.1f}, "
            f"y {centre.y:,.1f})")


def _zones(report: dict, lang: str) -> list[dict]:
    m = WORDS[lang]["m"]
    return [{**z,
             "land_use_title": choice_title("zoning", "land_use", z["land_use"], lang),
             "plan_type_title": choice_title("plans", "plan_type", z["plan_type"], lang),
             "plan_title": z["title"] or "",
             "share_pct": f"{z['share'] * 100:.1f} %",
             "building_coefficient": _shown(z["building_coefficient"]),
             "coverage_pct": _shown(z["coverage_pct"], "%"),
             "max_height_m": _shown(z["max_height_m"], m),
             "max_floors": _shown(z["max_floors"]),
             "min_plot_area_m2": _shown(z["min_plot_area_m2"], "m²"),
             "min_frontage_m": _shown(z["min_frontage_m"], m),
             "valid_to": z["valid_to"] or ""}
            for z in report["zones"]]


def page_html(cur, asked: Asked, facts: dict, reference: str, *, for_browser: bool,
              listed_permits: int = LISTED_PERMITS, compact: bool = False) -> str:
    """The certificate as HTML (the PDF's source, and the browser's printable page)."""
    from web_map import ATTRIBUTIONS  # the map's own credits (web_map/__init__.py)

    lang, words, report = asked.lang, WORDS[asked.lang], facts["report"]
    report = {**report, "settlements": [
        {**s, "category_title": choice_title("settlements", "category", s["category"], lang)}
        for s in report["settlements"]]}
    permits = [{**p, "permit_type_title": choice_title("building_permits", "permit_type",
                                                       p["permit_type"], lang)}
               for p in report["permits"][:listed_permits]]
    uses = sorted({z["land_use"] for z in facts["shapes"]["zones"]})
    fonts = {key: (f"/fonts/{name}" if for_browser else (FONT_DIR / name).as_uri())
             for key, name in FONTS.items()}
    html = render_template(
        "certificate.html", lang=lang, w=words, reference=reference, report=report,
        municipality_name=facts["municipality"][f"name_{lang}"],
        issued=datetime.now(UTC).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M %Z"),
        parcel=asked.place.geom_type != "Point", where=_where(cur, asked),
        scale=scale_denominator(facts["extent"]),
        map_svg=map_svg(facts["extent"], facts["shapes"], asked.place, words),
        legend=[{"colour": colour(u), "title": choice_title("zoning", "land_use", u, lang)}
                for u in uses],
        zones=_zones(report, lang), permits=permits,
        more_permits=max(0, len(report["permits"]) - len(permits)),
        # the report stops at MAX_PERMITS: that many means "at least"
        permit_count=(f"{MAX_PERMITS}+" if len(report["permits"]) >= MAX_PERMITS
                      else str(len(report["permits"]))),
        radius=_shown(asked.radius_m), attributions=" · ".join(ATTRIBUTIONS),
        font_url=fonts["regular"], bold_font_url=fonts["bold"])
    return html.replace("<html ", '<html class="compact" ', 1) if compact else html


def render_pdf(cur, asked: Asked, facts: dict, reference: str) -> bytes:
    """One A4 page: when the full permit list would not fit, a compact page lists fewer
    (the count stays)."""
    import weasyprint  # Pango is loaded on first use, not when the app starts
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("file",))  # local fonts only: no network
    document = None
    for listed, compact in ((LISTED_PERMITS, False), (3, True), (0, True)):
        html = page_html(cur, asked, facts, reference, for_browser=False,
                         listed_permits=listed, compact=compact)
        document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
        if len(document.pages) == 1:
            break
    # a parcel with more zones than a page holds keeps them all, on a second page
    return document.write_pdf()


def certificate_file_name(reference: str, suffix: str) -> str:
    return f"planning-certificate-{reference}.{suffix}"
