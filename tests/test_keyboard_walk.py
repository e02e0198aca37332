"""Each view of the map used with the keyboard alone, in Debian's Chromium: every step reached
with Tab (no click, no focus() from the test) and done with Enter, Space, arrows or typing."""
from __future__ import annotations

import uuid

import pytest

from tests.helpers import rows, token
from tests.test_web_map import Visit

TABS = 250  # more Tab presses than the page has stops: a control not reached is a failure


def tab_to(page, selector: str, backwards: bool = False) -> None:
    """Press Tab until the focus is on ``selector``."""
    for _ in range(TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate(f"document.activeElement?.matches({selector!r}) ?? false"):
            return
    raise AssertionError(f"{selector} is not reached with the Tab key")


@pytest.fixture
def page(browser, live_server):
    visit = Visit(browser, live_server, viewport={"width": 1366, "height": 768})
    yield visit.page
    visit.context.close()


def _open_view(page, view: str) -> None:
    tab_to(page, "#tab-planner")
    for _ in ("planner", "citizen", "staff"):
        if page.evaluate("document.activeElement.id") == f"tab-{view}":
            break
        page.keyboard.press("ArrowRight")
    assert page.locator(f"#view-{view}").is_visible()


def test_a_planner_reads_the_report_at_the_map_centre_with_the_keyboard(page):
    _open_view(page, "planner")
    tab_to(page, "#map")
    before = page.evaluate("dimos.map.getCenter().lat")
    page.keyboard.press("ArrowUp")  # Leaflet pans with the arrow keys
    page.wait_for_function(f"dimos.map.getCenter().lat > {before}")
    tab_to(page, "#report-centre", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#report .district", timeout=30_000)
    tab_to(page, "#certificate-pdf")  # the report's links come next
    tab_to(page, "#plan-slider")
    page.keyboard.press("Home")
    page.wait_for_function("document.getElementById('plan-date').value === '1987-04-10'")


def test_a_citizen_files_a_report_with_the_keyboard(page, demo_url):
    description = f"Με το πληκτρολόγιο {uuid.uuid4().hex[:8]}"
    _open_view(page, "citizen")
    tab_to(page, "#service")
    page.keyboard.press("ArrowDown")  # another category than the first
    chosen = page.input_value("#service")
    tab_to(page, "#pin-centre")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('pin').textContent.length > 0")
    tab_to(page, "#description")
    page.keyboard.type(description)
    tab_to(page, "#report-form button[type=submit]")
    page.keyboard.press("Enter")
    made = page.locator("#report-result .request-id")
    made.wait_for(timeout=30_000)
    assert rows(demo_url, "SELECT service_request_id, service_code FROM service_requests "
                          "WHERE description = %s", (description,)) == [(made.inner_text(), chosen)]


def test_staff_sign_in_see_the_charts_and_plan_crews_with_the_keyboard(page, demo_url):
    _open_view(page, "staff")
    tab_to(page, "#token-sign-in summary")
    page.keyboard.press("Enter")  # opens the token form
    tab_to(page, "#token")
    page.keyboard.type(token(demo_url, "keyboard-staff", "staff"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#staff-count .count", timeout=30_000)
    page.wait_for_selector("#staff-charts[data-drawn=true]", timeout=30_000)
    tab_to(page, "#f-status")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#staff-filters button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#staff-count .count') !== null")
    tab_to(page, "#show-clusters")
    page.keyboard.press("Enter")
    page.wait_for_selector("#routes .cluster-count", timeout=60_000)
    tab_to(page, "figure[data-chart=occupancy] .chart-csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("occupancy-")


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
@pytest.mark.parametrize("view", ["planner", "citizen", "staff"])
def test_each_view_fits_its_screen_passes_axe_and_is_saved_for_review(browser, live_server, view,
                                                                      size):
    from tests.test_web_map import ARTIFACTS

    width, height = size
    visit = Visit(browser, live_server, viewport={"width": width, "height": height})
    try:
        _open_view(visit.page, view)
        visit.page.wait_for_load_state("networkidle")
        overflow = visit.page.evaluate("""[document.documentElement, document.getElementById('panel')]
            .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.id || el.tagName)""")
        assert overflow == []  # nothing wider than the screen or the side panel
        assert visit.axe_violations() == []
        ARTIFACTS.mkdir(exist_ok=True)
        visit.page.screenshot(path=str(ARTIFACTS / f"view-{view}-{width}x{height}.png"))
        assert visit.errors == []
    finally:
        visit.context.close()
