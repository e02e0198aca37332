"""The map as an installable web app that opens offline, and a report written offline: kept on
the device and filed exactly once when the connection returns (Debian's Chromium)."""
from __future__ import annotations

import io
import re
import uuid

import requests
from PIL import Image

from tests.helpers import rows
from tests.test_web_map import ARTIFACTS

# Rethymno's old town, away from where the map opens
AREA = (35.3706, 24.4740, 17)


def _ready(page) -> None:
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)


def _network(page) -> str:
    """Whether the service worker itself reaches the server (a path it may keep, asked for
    once: never in its cache)."""
    return page.evaluate(f"""fetch('/api/legend?probe={uuid.uuid4().hex}')
        .then(r => r.ok ? 'online' : 'error ' + r.status, () => 'offline')""")


def test_the_manifest_names_the_app_and_its_icons(live_server):
    answer = requests.get(f"{live_server}/manifest.webmanifest", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["name"].startswith("dimos")
    sizes = set()
    for icon in manifest["icons"]:
        image = requests.get(live_server + icon["src"], timeout=30)
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
        width, height = Image.open(io.BytesIO(image.content)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes  # what browsers ask of an installable app
    page = requests.get(f"{live_server}/", timeout=30).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_the_service_worker_caches_every_file_the_page_loads(live_server):
    worker = requests.get(f"{live_server}/sw.js", timeout=30)
    assert worker.status_code == 200
    assert worker.headers["Content-Type"].startswith("text/javascript")
    assert worker.headers["Cache-Control"] == "no-cache"
    shell = re.search(r"const SHELL = (\[.*?\]);", worker.text).group(1)
    cached = set(re.findall(r'"([^"]+)"', shell))
    page = requests.get(f"{live_server}/", timeout=30).text
    loaded = set(re.findall(r'<(?:script|link)[^>]*(?:src|href)="(/[^"]+)"', page))
    assert loaded <= cached, loaded - cached
    for url in cached:  # one missing file and the worker would not install
        assert requests.get(live_server + url, timeout=30).status_code == 200, url


def test_the_map_opens_offline_and_a_report_written_offline_is_filed_once_online(
        browser, live_server, demo_url, tmp_path):
    photo = tmp_path / "lakkouva.jpg"
    Image.new("RGB", (64, 48), "#777777").save(photo, "JPEG")
    description = f"Λακκούβα χωρίς σήμα {uuid.uuid4().hex[:8]}"
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server}/m/rethymno/")
        _ready(page)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
        lat, lon, zoom = AREA
        page.evaluate(f"dimos.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
        # the citizen's next visit, online: what the map reads is kept on the way
        page.reload()
        _ready(page)
        page.wait_for_load_state("networkidle")

        context.set_offline(True)
        assert _network(page) == "offline"
        reopened = page.reload()
        assert reopened.from_service_worker
        _ready(page)
        centre = page.evaluate("[dimos.map.getCenter().lat, dimos.map.getCenter().lng, dimos.map.getZoom()]")
        assert [round(centre[0], 4), round(centre[1], 4), centre[2]] == [lat, lon, zoom]

        page.click("#tab-citizen")
        page.select_option("#service", "pothole")
        page.click("#pin-centre")
        page.fill("#description", description)
        page.set_input_files("#photos", str(photo))
        page.click("#report-form button[type=submit]")
        page.locator("#outbox li[data-state=waiting]").wait_for(timeout=15_000)
        assert "σήμα" not in page.locator("#description").input_value()  # the form is free again
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#outbox").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "citizen-offline-outbox.png"))
        # still offline, the page closed and opened again: the report is still on the device
        page.reload()
        _ready(page)
        page.click("#tab-citizen")
        assert page.locator("#outbox li[data-state=waiting]").count() == 1
        assert rows(demo_url, "SELECT count(*) FROM service_requests WHERE description = %s",
                    (description,)) == [(0,)]

        context.set_offline(False)
        sent = page.locator("#outbox li[data-state=sent] .request-id")
        sent.wait_for(timeout=40_000)
        number = sent.inner_text()
        assert rows(demo_url, """SELECT r.service_request_id, count(m.id) FROM service_requests r
                                 LEFT JOIN service_request_media m ON m.request_id = r.id
                                 WHERE r.description = %s GROUP BY 1""",
                    (description,)) == [(number, 1)]
        # another visit sends nothing again
        page.reload()
        _ready(page)
        page.wait_for_load_state("networkidle")
        assert page.locator("#outbox li").count() == 0
        assert rows(demo_url, "SELECT count(*) FROM service_requests WHERE description = %s",
                    (description,)) == [(1,)]
        assert errors == []
    finally:
        context.close()
