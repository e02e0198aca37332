"""The planning certificate: one A4 page of PDF (read back with pypdf) stating what the test's
own zone and plan say, in Greek and English, with its reference number; bad input is a 400
naming the parameter; the map's "Download PDF" gives the same document."""
from __future__ import annotations

import io
import re
import uuid

import pypdf
import pytest
import requests
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping

import layers
from gis import db
from tests.helpers import rows
from tests.test_web_map import Visit
from web_map.certificate_words import WORDS

URL = "/api/planning-certificate"
TO_CRS84 = Transformer.from_crs(2100, 4326, always_xy=True)
A4_PT = (595.28, 841.89)
#: the test's zone is in force over these years, before the demo's first plan (1987): on a
#: date in them it is the only zone in force, before them no zone is
IN_FORCE = ("1980-01-01", "1986-01-01")
ON = "1984-06-01"
BEFORE = "1979-06-01"
ZONE_SIDE_M = 60.0


def land_use_title(code: str, lang: str) -> str:
    return layers.get("zoning").field("land_use").choice_title(code, lang)


def run(url: str, query: str, params=()) -> None:
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(query, params)
    conn.close()


@pytest.fixture(scope="module")
def own_zone(demo_url):
    """A plan and a 60 m square zone of this module's own (tourism, Σ.Δ. 0.37) in a district
    of Rethymno, in force 1980–1985: on ON the only zone its certificate can name."""
    (x, y), = rows(demo_url, """
        SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM districts
        WHERE jurisdiction_id = 'rethymno' ORDER BY district_code LIMIT 1""")
    (others,), = rows(demo_url, """SELECT count(*) FROM zoning WHERE valid_from <= %s
        AND ST_DWithin(geom, ST_SetSRID(ST_MakePoint(%s, %s), 2100), 500)""", (ON, x, y))
    assert others == 0  # no zone of the demo is in force there then
    tag = uuid.uuid4().hex[:6].upper()
    square = box(x - ZONE_SIDE_M / 2, y - ZONE_SIDE_M / 2, x + ZONE_SIDE_M / 2,
                 y + ZONE_SIDE_M / 2)
    zone = {"plan_id": f"CERT-{tag}", "zone_id": f"CERT-{tag}-1", "zone_code": f"Τ{tag[:3]}",
            "fek": f"ΦΕΚ {int(tag[:4], 16) % 900 + 100}/Δ/1979", "title": f"Σχέδιο δοκιμής {tag}",
            "geom": shapely.to_wkb(shapely.MultiPolygon([square])), "from": IN_FORCE[0],
            "to": IN_FORCE[1]}
    run(demo_url, """INSERT INTO plans (jurisdiction_id, plan_id, plan_type, title, fek,
                         approval_date, valid_from, valid_to, geom)
                     VALUES ('rethymno', %(plan_id)s, 'ΖΟΕ', %(title)s, %(fek)s, '1979-11-20',
                             %(from)s, %(to)s, ST_GeomFromWKB(%(geom)s, 2100))""", zone)
    run(demo_url, """INSERT INTO zoning (jurisdiction_id, zone_id, plan_id, zone_code, land_use,
                         building_coefficient, coverage_pct, max_height_m, max_floors,
                         min_plot_area_m2, min_frontage_m, valid_from, valid_to, geom)
                     VALUES ('rethymno', %(zone_id)s, %(plan_id)s, %(zone_code)s, 'tourism',
                             0.37, 23, 7.5, 2, 4321, 19, %(from)s, %(to)s,
                             ST_GeomFromWKB(%(geom)s, 2100))""", zone)
    lon, lat = TO_CRS84.transform(x, y)
    return {**zone, "x": x, "y": y, "lon": lon, "lat": lat, "square": square}


def pdf_of(response) -> pypdf.PdfReader:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(response.content))


def one_a4_page_text(reader: pypdf.PdfReader) -> str:
    """The text of the only page, whitespace folded (a table cell may wrap a title)."""
    assert len(reader.pages) == 1
    box_ = reader.pages[0].mediabox
    assert float(box_.width) == pytest.approx(A4_PT[0], abs=1)
    assert float(box_.height) == pytest.approx(A4_PT[1], abs=1)
    return " ".join(reader.pages[0].extract_text().split())


def certificate(live_server, zone, **params):
    query = {"lon": f"{zone['lon']:.7f}", "lat": f"{zone['lat']:.7f}", **params}
    return requests.get(f"{live_server}{URL}.pdf", params=query, timeout=60)


def test_the_greek_certificate_is_one_a4_page_with_the_zones_terms_plan_fek_date_and_reference(
        live_server, demo_url, own_zone):
    response = certificate(live_server, own_zone, date=ON, lang="el")
    reader = pdf_of(response)
    text = one_a4_page_text(reader)
    reference = response.headers["X-Certificate-Reference"]
    assert re.fullmatch(rf"RETHYMNO-{ON.replace('-', '')}-[0-9A-F]{{10}}", reference)
    assert reference in text and ON in text
    assert own_zone["zone_code"] in text and own_zone["fek"] in text
    assert own_zone["title"] in text
    assert land_use_title("tourism", "el") in text  # «Τουρισμός – αναψυχή», glyphs intact
    assert "tourism" not in text  # the catalogue's title, never the code
    for term in ("0.37", "23 %", "7.5 μ.", "4,321 m²", "19 μ."):  # Σ.Δ., κάλυψη, ύψος, …
        assert term in text, term
    assert "Βεβαίωση πολεοδομικής πληροφορίας" in text and "Πηγή: ΕΛ.ΣΤΑΤ." in text
    assert response.headers["Content-Language"] == "el"
    assert f"{reference}.pdf" in response.headers["Content-Disposition"]
    fonts = {str(font["/BaseFont"]) for font in
             reader.pages[0]["/Resources"]["/Font"].get_object().values()
             for font in [font.get_object()]}
    # the @font-face of the page, DejaVu read from disk, sets every glyph
    assert fonts and all(name.endswith(("+Certificate-Sans", "+Certificate-Sans-Bold"))
                         for name in fonts), fonts
    inside = rows(demo_url, """SELECT name FROM settlements
        WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 2100))""",
                  (own_zone["x"], own_zone["y"]))
    if inside:
        assert WORDS["el"]["in_settlement"] in text and inside[0][0] in text
    else:
        assert WORDS["el"]["out_settlement"] in text


def test_the_english_certificate_keeps_greek_glyphs_and_the_same_reference(live_server,
                                                                            own_zone):
    greek = certificate(live_server, own_zone, date=ON, lang="el")
    english = certificate(live_server, own_zone, date=ON, lang="en")
    text = one_a4_page_text(pdf_of(english))
    assert land_use_title("tourism", "en") in text and "Planning certificate" in text
    assert own_zone["fek"] in text and own_zone["zone_code"] in text  # ΦΕΚ, Greek letters
    assert "Zone of Residential Control" in text  # plan type ΖΟΕ by its English title
    assert english.headers["Content-Language"] == "en"
    assert "within 100 m" in text  # the permits' default radius
    # one certificate read in two languages: one reference
    assert english.headers["X-Certificate-Reference"] == greek.headers["X-Certificate-Reference"]
    assert english.headers["X-Certificate-Reference"] in text


def test_the_reference_follows_the_question_and_the_data(live_server, demo_url, own_zone):
    first = certificate(live_server, own_zone, date="1984-07-01")
    again = certificate(live_server, own_zone, date="1984-07-01")
    other_day = certificate(live_server, own_zone, date="1984-07-02")
    ref = first.headers["X-Certificate-Reference"]
    assert again.headers["X-Certificate-Reference"] == ref
    assert other_day.headers["X-Certificate-Reference"] != ref
    try:
        run(demo_url, "UPDATE zoning SET max_floors = 3 WHERE zone_id = %s",
            (own_zone["zone_id"],))
        changed = certificate(live_server, own_zone, date="1984-07-01")
    finally:
        run(demo_url, "UPDATE zoning SET max_floors = 2 WHERE zone_id = %s",
            (own_zone["zone_id"],))
    assert changed.headers["X-Certificate-Reference"] != ref


def test_a_place_in_no_zone_on_that_date_gets_a_certificate_saying_so(live_server, own_zone):
    """Before the test's zone came into force nothing applied there: the PDF says so."""
    response = certificate(live_server, own_zone, date=BEFORE, lang="en")
    text = one_a4_page_text(pdf_of(response))
    assert " ".join(WORDS["en"]["no_zone"].split()) in text
    assert own_zone["zone_code"] not in text and BEFORE in text
    greek = one_a4_page_text(pdf_of(certificate(live_server, own_zone, date=BEFORE)))
    assert " ".join(WORDS["el"]["no_zone"].split()) in greek


def test_a_parcel_posted_as_geojson_gets_its_share_of_each_zone(live_server, own_zone):
    """A parcel half on the test's zone, half outside every zone: 50 % of it is in the zone."""
    x, y = own_zone["x"], own_zone["y"]
    parcel = box(x, y - 10, x + ZONE_SIDE_M, y + 10)  # 60 × 20 m, the zone's east half

    def crs84(geometry):
        return mapping(shapely.transform(geometry, TO_CRS84.transform, interleaved=False))

    response = requests.post(f"{live_server}{URL}.pdf", json={
        "parcel": crs84(parcel), "date": ON, "lang": "en"}, timeout=60)
    text = one_a4_page_text(pdf_of(response))
    assert own_zone["zone_code"] in text and "50.0 %" in text
    assert "Parcel:" in text and "1,200" in text  # its area, m²
    in_2100 = requests.post(f"{live_server}{URL}.pdf", json={
        "parcel": mapping(parcel), "crs": "EPSG:2100", "date": ON}, timeout=60)
    assert "50.0 %" in one_a4_page_text(pdf_of(in_2100))


def test_the_printable_page_draws_the_zone_with_scale_bar_north_arrow_and_legend(live_server,
                                                                                   own_zone):
    response = requests.get(f"{live_server}{URL}.html", params={
        "lon": own_zone["lon"], "lat": own_zone["lat"], "date": ON, "lang": "en"},
        timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    page = response.text
    extract = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="extract"'):]
    extract = extract[:extract.index("</svg>")]
    # the zone's path, from PostGIS in EPSG:2100 metres (ST_AsSVG: x, then −y)
    paths = re.findall(r'<path d="M ([0-9.]+) (-[0-9.]+)', extract)
    assert any(abs(float(px) - (own_zone["x"] - ZONE_SIDE_M / 2)) < 31
               and abs(-float(py) - own_zone["y"]) < 31 for px, py in paths), paths
    assert f">{own_zone['zone_code']}</text>" in extract
    assert 'class="scale-bar"' in extract and 'class="north-arrow"' in extract
    assert land_use_title("tourism", "en") in page[page.index('class="legend"'):]
    assert "@media print" in page and "size: A4" in page
    assert not re.search(r'(src|href|url)\(?="?https?:', page)  # nothing from the network
    fonts = re.findall(r'url\("(/fonts/[^"]+)"\)', page)
    assert fonts and all(requests.get(live_server + f, timeout=30).status_code == 200
                         for f in fonts)


def test_outside_every_municipality_is_a_404_naming_the_place(live_server):
    response = requests.get(f"{live_server}{URL}.pdf", params={"lon": "23.0", "lat": "34.0"},
                            timeout=30)
    assert response.status_code == 404
    assert response.json()["description"].startswith("lon/lat: the place is outside every")


@pytest.mark.parametrize(("params", "named"), [
    ({"lat": "35.3"}, "lon"),
    ({"lon": "24.4"}, "lat"),
    ({"lon": "abc", "lat": "35.3"}, "lon"),
    ({"lon": "24.4", "lat": "95"}, "lat"),
    ({"lon": "nan", "lat": "35.3"}, "lon"),
    ({"lon": "24.4", "lat": "35.3", "date": "2021-02-30"}, "date"),
    ({"lon": "24.4", "lat": "35.3", "lang": "fr"}, "lang"),
    ({"lon": "24.4", "lat": "35.3", "radius": "5000"}, "radius"),
])
def test_a_bad_parameter_is_a_400_naming_it(live_server, params, named):
    response = requests.get(f"{live_server}{URL}.pdf", params=params, timeout=30)
    assert response.status_code == 400, response.text
    description = response.json()["description"]
    assert description.startswith(f"{named}:"), description
    assert "Traceback" not in description and "SELECT" not in description


@pytest.mark.parametrize(("body", "named"), [
    (b"{not json", "body"),
    (b'{"parcel": {"type": "LineString", "coordinates": [[24, 35], [25, 35]]}}', "parcel"),
    (b'{"parcel": {"type": "Polygon", "coordinates": [[[24.4, 35.3]]]}}', "parcel"),
    (b'{"location": {"type": "Point", "coordinates": [24.4, 35.3]}, "lang": "de"}', "lang"),
    (b'{"parcel": {"type": "Point", "coordinates": [24.4, 35.3]}, "colour": "red"}', "body"),
    (b'{"date": "2024-01-01"}', "body"),
])
def test_a_bad_parcel_body_is_a_400_naming_what_is_wrong(live_server, body, named):
    response = requests.post(f"{live_server}{URL}.pdf", data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith(named), response.json()


def test_the_planning_report_offers_download_pdf_and_it_is_the_certificate(browser, live_server,
                                                                            own_zone):
    visit = Visit(browser, live_server, accept_downloads=True)
    try:
        page = visit.page
        page.fill("#plan-date", ON)
        visit.click_map_at(own_zone["lon"], own_zone["lat"])
        link = page.locator("#certificate-pdf")
        link.wait_for(timeout=15_000)
        assert link.inner_text() == "Λήψη βεβαίωσης (PDF)"
        assert visit.axe_violations() == []
        with page.expect_download(timeout=30_000) as download:
            link.click()
        saved = download.value.path()
        with open(saved, "rb") as pdf:
            text = one_a4_page_text(pypdf.PdfReader(io.BytesIO(pdf.read())))
        assert own_zone["zone_code"] in text and own_zone["fek"] in text and ON in text
        assert land_use_title("tourism", "el") in text
        assert download.value.suggested_filename.startswith("planning-certificate-RETHYMNO-")
        assert visit.errors == []
    finally:
        visit.context.close()


def test_a_parcel_over_many_zones_still_fits_one_page_with_every_zone(live_server, demo_url):
    """800 × 900 m over Rethymno's town: ten or so zones and the 200 nearest permits; the
    compact layout keeps every zone (the permits are counted) on the one page."""
    (minx, miny, maxx, maxy), = rows(demo_url, """
        SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform(
          ST_MakeEnvelope(24.466, 35.361, 24.474, 35.369, 4326), 2100) AS b) AS e""")
    parcel = box(minx, miny, maxx, maxy)
    expected = {code for (code,) in rows(demo_url, """SELECT zone_code FROM zoning
        WHERE ST_Intersects(geom, ST_GeomFromWKB(%s, 2100)) AND valid_from <= '2026-01-01'
          AND (valid_to IS NULL OR valid_to > '2026-01-01')""", (shapely.to_wkb(parcel),))}
    assert len(expected) >= 8
    response = requests.post(f"{live_server}{URL}.pdf", timeout=60, json={
        "parcel": mapping(parcel), "crs": "EPSG:2100", "date": "2026-01-01", "radius": 300})
    text = one_a4_page_text(pdf_of(response))
    rows_text = text[text.index(WORDS["el"]["zones"]):]
    assert {code for code in expected if re.search(rf"\b{code}\b", rows_text)} == expected
    assert "300 μ. (200+)" in text  # the report's cap, said as "at least"


def test_the_browser_prints_the_printable_page_as_the_same_one_a4_page(browser, live_server,
                                                                        own_zone):
    """Chromium's own print (its PDF, print media, the page's @page size), under the site's
    Content-Security-Policy: one A4 page with the zone, the ΦΕΚ and the reference."""
    context = browser.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        query = f"lon={own_zone['lon']:.7f}&lat={own_zone['lat']:.7f}&date={ON}&lang=en"
        answer = page.goto(f"{live_server}{URL}.html?{query}")
        reference = answer.headers["x-certificate-reference"]
        loaded = page.evaluate("""document.fonts.ready.then(() => [...document.fonts]
            .filter(f => f.status === 'loaded').map(f => f.family))""")
        assert any("Certificate Sans" in family for family in loaded), loaded
        printed = page.pdf(prefer_css_page_size=True, print_background=True)
        text = one_a4_page_text(pypdf.PdfReader(io.BytesIO(printed)))
        assert reference in text and own_zone["fek"] in text and own_zone["zone_code"] in text
        assert land_use_title("tourism", "en") in text
        assert errors == []
    finally:
        context.close()
