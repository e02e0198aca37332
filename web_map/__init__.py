"""The web map served at /, its assets (npm packages, served here: no CDN) and its small APIs."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
)

import layers
from gis.cql_parse import parse_filter_crs84
from gis.db import pooled_cursor
from gis.errors import InvalidParameter
from gis.export import export_selection
from gis.jurisdictions import jurisdiction_ids, municipalities
from gis.parameters import parse_bbox
from gis.roles import STAFF
from settings import Settings
from web_common.csp import content_security_policy
from web_common.csrf import current_csrf
from web_common.jurisdiction import acting_jurisdiction, request_jurisdiction
from web_map.certificate import (
    FONT_DIR,
    FONTS,
    asked_by_body,
    asked_by_query,
    certificate_file_name,
    gather,
    page_html,
    reference_number,
    render_pdf,
)
from web_map.municipality import DEFAULT_ZOOM, chosen_jurisdiction, municipality_config
from web_map.route_sheet import (
    check_route,
    file_name,
    geojson,
    gpx,
    script_hashes,
    sheet_html,
)

# Shown wherever the data is shown (data/README.md gives sources and licences).
ATTRIBUTIONS = (
    "© OpenStreetMap contributors (ODbL)",
    "Kallikratis municipal boundaries, geodata.gov.gr (CC BY 3.0)",
    "Πηγή: ΕΛ.ΣΤΑΤ.",
)
#: URL name → folder in node_modules of the npm packages in package.json
ASSETS = {
    "leaflet": "leaflet", "swagger-ui-dist": "swagger-ui-dist", "bootstrap": "bootstrap",
    "leaflet.vectorgrid": "leaflet.vectorgrid", "leaflet.markercluster": "leaflet.markercluster",
    "leaflet.heat": "leaflet.heat", "leaflet-geoman": "@geoman-io/leaflet-geoman-free",
    "chart.js": "chart.js", "idb": "idb",
}
FALLBACK_CENTRE = [35.368, 24.475]  # Rethymno's old town


def _bbox_2100(text: str | None):
    """A CRS84 bbox parameter (minlon,minlat,maxlon,maxlat) in EPSG:2100, or None."""
    if not text:
        return None
    if text.count(",") != 3:
        raise InvalidParameter("bbox: minlon,minlat,maxlon,maxlat")
    values = parse_bbox("bbox", text)
    from pyproj import Transformer

    return Transformer.from_crs(4326, 2100, always_xy=True).transform_bounds(*values, densify_pts=21)


def _private_asked() -> bool:
    """The export's ``private`` parameter: ``true`` for the layer's private fields too."""
    value = request.args.get("private", "false")
    if value not in ("true", "false"):
        raise InvalidParameter("private: true or false")
    return value == "true"


def make_web_map_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("web_map", __name__, template_folder="templates",
                          static_folder="static", static_url_path="/assets")
    url = settings.effective_app_database_url

    @blueprint.get("/")
    def index():
        return render_template("index.html", legend=layers.legend(), attributions=ATTRIBUTIONS,
                               request_statuses=layers.get("service_requests").field("status"))

    @blueprint.get("/m/<jurisdiction>/")
    def municipality_map(jurisdiction: str):
        """The map opened on one municipality (its script reads the id from the path)."""
        with pooled_cursor(url) as cur:
            if jurisdiction not in jurisdiction_ids(cur):
                abort(404, f"no municipality {jurisdiction[:40]!r}")
        return index()

    @blueprint.get("/vendor/<package>/<path:path>")
    def vendor(package: str, path: str):
        """The npm packages of package.json, served by dimos itself (no CDN)."""
        if package not in ASSETS:
            abort(404)
        return send_from_directory(settings.assets_dir / ASSETS[package], path, max_age=86400)

    @blueprint.get("/api/legend")
    def legend():
        return jsonify(layers=layers.legend(), attributions=list(ATTRIBUTIONS))

    @blueprint.get("/api/config")
    def config():
        """The map's configuration: the catalogue, and the municipality asked for
        (``?jurisdiction=``) or chosen by host name or setting, with the list to pick from."""
        with pooled_cursor(url) as cur:
            chosen = chosen_jurisdiction(cur, settings, request.args.get("jurisdiction"),
                                         request.host)
            shown = municipality_config(cur, settings, chosen) if chosen else None
            picker = municipalities(cur)
        return jsonify(legend=layers.legend(), attributions=list(ATTRIBUTIONS),
                       centre=shown["centre"] if shown else FALLBACK_CENTRE,
                       zoom=shown["zoom"] if shown else DEFAULT_ZOOM,
                       jurisdiction=shown, municipalities=picker,
                       basemap_url=settings.basemap_url or None,
                       roles={"staff": list(STAFF)}, vocabulary=layers.vocabulary())

    @blueprint.get("/api/whoami")
    def whoami():
        principal = g.get("principal")
        if principal is None:
            return jsonify(code="Unauthorized", description="not signed in"), 401
        # a session (cookie) sign-in also gets the CSRF token its unsafe requests must carry
        return jsonify(name=principal.name, role=principal.role, csrf_token=current_csrf())

    @blueprint.get("/api/export")
    def export():
        """A collection or selection (CQL2 text and/or bbox, both in CRS84) as GeoPackage,
        zipped Shapefile, GeoJSON, CSV (WKT) or DXF, in EPSG:2100 (default) or EPSG:4326.
        ``layer`` names a collection as the OGC API does: of a table holding several
        geometry types, one collection's type only (building_permits, building_permit_sites)."""
        try:
            layer = layers.collection(request.args.get("layer", ""))
        except KeyError:
            raise InvalidParameter("layer: not a collection of the catalogue; the collections: "
                                   + ", ".join(c.id for c in layers.collections())) from None
        text = request.args.get("filter")
        cql = parse_filter_crs84(text, layer) if text else None
        bbox = _bbox_2100(request.args.get("bbox"))
        asked = request.args.get("jurisdiction_id")
        private = _private_asked()
        with pooled_cursor(url, principal=g.principal) as cur:
            if private:  # staff (dimos/access.py) of the municipality exported, and only it
                jurisdiction = acting_jurisdiction(cur, "this export of private fields", asked)
            else:  # one municipality's features when asked; the public layer whole otherwise,
                # as the OGC API serves it
                jurisdiction = request_jurisdiction(cur, asked) if asked else None
            data, media_type, name = export_selection(cur, layer, cql,
                                                      request.args.get("format", "gpkg"),
                                                      crs=request.args.get("crs"), bbox=bbox,
                                                      jurisdiction_id=jurisdiction,
                                                      private_of=jurisdiction if private else None,
                                                      lang=request.args.get("lang"))
        return Response(data, content_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @blueprint.post("/api/route-sheet")
    def route_sheet():
        """One crew's route as a printable sheet (html), GPX or GeoJSON."""
        fmt = request.args.get("format", "html")
        if fmt not in ("html", "gpx", "geojson"):
            raise InvalidParameter("format: html, gpx or geojson")
        route = check_route(request.get_json(silent=True))
        if fmt == "gpx":
            return Response(gpx(route), content_type="application/gpx+xml", headers={
                "Content-Disposition": f'attachment; filename="{file_name(route, "gpx")}"'})
        if fmt == "geojson":
            return jsonify(geojson(route))
        page = sheet_html(route, " · ".join(ATTRIBUTIONS))
        # folium writes the map as inline scripts: this page alone allows those, by hash
        policy = content_security_policy(settings, script_hashes(page))
        return Response(page, content_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": policy})

    def _certificate(asked_from, suffix: str):
        with pooled_cursor(url) as cur:
            asked = asked_from(cur)
            facts = gather(cur, asked)
            reference = reference_number(asked, facts)
            if suffix == "html":
                body = page_html(cur, asked, facts, reference, for_browser=True)
                media_type, disposition = "text/html; charset=utf-8", "inline"
            else:
                body = render_pdf(cur, asked, facts, reference)
                media_type, disposition = "application/pdf", "attachment"
        return Response(body, content_type=media_type, headers={
            "X-Certificate-Reference": reference, "Content-Language": asked.lang,
            "Content-Disposition": f'{disposition}; filename="{certificate_file_name(reference, suffix)}"'})

    @blueprint.get("/api/planning-certificate.<any(pdf, html):suffix>")
    def planning_certificate(suffix: str):
        """The planning report at ``lon``/``lat`` (CRS84) on ``date`` as a one-page A4 PDF (or
        its printable HTML), in ``lang`` (el, en); its reference number in a header too."""
        return _certificate(lambda cur: asked_by_query(cur, request.args), suffix)

    @blueprint.post("/api/planning-certificate.<any(pdf, html):suffix>")
    def planning_certificate_for_parcel(suffix: str):
        """The same for a parcel: a JSON body with ``parcel`` (a GeoJSON Polygon, CRS84 unless
        ``crs`` says otherwise), ``date``, ``lang``, ``radius``."""
        return _certificate(lambda cur: asked_by_body(cur, request.get_data()), suffix)

    @blueprint.get("/fonts/<name>")
    def font(name: str):
        """The certificate's fonts for a browser printing it (Debian's DejaVu, Greek glyphs)."""
        if name not in FONTS.values():
            abort(404)
        return send_from_directory(FONT_DIR, name, max_age=86400)

    return blueprint
