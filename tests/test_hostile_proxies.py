"""Hostile proxies and hosts: dimos trusts only the party it is told to. A Host header never
becomes a link; X-Forwarded-For counts only behind DIMOS_TRUSTED_PROXIES; limits slide instead
of resetting on the minute; sign-in never sends anyone off-site; tokens stay out of the logs."""
from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import requests

from gis import db
from tests.helpers import serving
from tests.test_single_sign_on import person, sign_in

REPORT = {"service_code": "graffiti", "lat": 35.3676, "long": 24.4747,
          "description": "Συνθήματα / graffiti"}
PER_MINUTE = 3


@pytest.fixture(scope="module")
def behind_a_proxy(demo_url, tmp_path_factory):
    """dimos behind one trusted reverse proxy, citizens' reports limited to PER_MINUTE."""
    with serving(demo_url, tmp_path_factory.mktemp("proxied"), trusted_proxies=1,
                 rate_limit_reports_per_min=PER_MINUTE, sensors_ingest=0) as base:
        yield base


def _report(base: str, address: str | None = None) -> requests.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return requests.post(f"{base}/open311/v2/requests.json", data=REPORT, headers=headers,
                         timeout=30)


def _citizen() -> str:
    """An address no earlier run used (the counters are in the shared database)."""
    return f"203.0.113.{uuid.uuid4().int % 250 + 1}, 10.{uuid.uuid4().int % 250}.0.1"


def test_media_urls_never_link_to_the_host_a_client_names(live_server):
    made = requests.post(f"{live_server}/open311/v2/requests.json", data=REPORT, timeout=30,
                         files={"media": ("wall.jpg", _jpeg(), "image/jpeg")})
    assert made.status_code == 201, made.text
    number = made.json()[0]["service_request_id"]
    for headers in ({"Host": "evil.example"}, {"Host": "evil.example", "X-Forwarded-Host":
                                                "evil.example"}):
        shown = requests.get(f"{live_server}/open311/v2/requests/{number}.json",
                             headers=headers, timeout=30).json()[0]
        assert shown["media_url"] and "evil.example" not in json.dumps(shown)
        assert shown["media_url"].startswith("http://127.0.0.1:")


def test_behind_a_trusted_proxy_citizens_are_limited_each_on_their_own(behind_a_proxy):
    first, second = _citizen(), _citizen()
    assert [_report(behind_a_proxy, first).status_code for _ in range(PER_MINUTE + 1)] \
        == [201] * PER_MINUTE + [429]
    # another citizen behind the same proxy is not locked out by the first
    assert _report(behind_a_proxy, second).status_code == 201


def test_without_the_setting_x_forwarded_for_is_ignored(demo_url, tmp_path_factory):
    with serving(demo_url, tmp_path_factory.mktemp("direct"),
                 rate_limit_reports_per_min=PER_MINUTE, sensors_ingest=0) as base:
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:  # this address starts afresh
            cur.execute("DELETE FROM rate_limit_hits WHERE client = '127.0.0.1'")
        conn.close()
        # a client cannot dodge the limit by naming a new address each time
        statuses = [_report(base, _citizen()).status_code for _ in range(PER_MINUTE + 1)]
        assert statuses == [201] * PER_MINUTE + [429]


def test_the_limit_slides_over_the_minute_boundary_and_says_the_real_wait(behind_a_proxy):
    citizen = _citizen()
    # a burst just before a clock minute turns ...
    deadline = time.monotonic() + 70
    while not 52 <= time.time() % 60 < 56:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    burst_at = time.time()
    assert [_report(behind_a_proxy, citizen).status_code for _ in range(PER_MINUTE)] \
        == [201] * PER_MINUTE
    while time.time() % 60 >= 50:  # ... and again just after it turned
        assert time.monotonic() < deadline
        time.sleep(0.2)
    after = _report(behind_a_proxy, citizen)
    assert after.status_code == 429
    wait = int(after.headers["Retry-After"])
    # the burst's first report leaves the window a minute after it was made
    expected = burst_at + 60 - time.time()
    assert abs(wait - expected) <= 3, (wait, expected)


@pytest.mark.parametrize("target", ["/\t/evil.com", "//evil.com", "/\\evil.com",
                                    "https://evil.com", " //evil.com", "/\r\n/evil.com",
                                    "\\\\evil.com"])
def test_sign_in_never_sends_anyone_off_site(live_server, identity_provider, target):
    username, _ = person(identity_provider, "taxisnet")
    _, landed = sign_in(live_server, "taxisnet", username, after=target)
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/", landed.headers["Location"]


def test_a_next_with_other_control_characters_is_refused_at_the_door(live_server):
    refused = requests.get(f"{live_server}/auth/taxisnet/login", params={"next": "\x01//evil.com"},
                           allow_redirects=False, timeout=30)
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert "next: contains the control character U+0001" in refused.json()["description"]


def test_a_local_next_path_is_kept(live_server, identity_provider):
    username, _ = person(identity_provider, "taxisnet")
    _, landed = sign_in(live_server, "taxisnet", username, after="/?view=citizen#report")
    assert landed.headers["Location"] == "/?view=citizen#report"


def test_the_open311_token_of_a_report_is_not_in_the_access_log(live_server, live_server_log):
    made = requests.post(f"{live_server}/open311/v2/requests.json", data=REPORT, timeout=30)
    token = made.json()[0]["token"]
    mark = live_server_log.stat().st_size
    looked = requests.get(f"{live_server}/open311/v2/tokens/{token}.json", timeout=30)
    assert looked.status_code == 200
    deadline = time.monotonic() + 10
    while True:  # gunicorn writes the access line after the response
        with live_server_log.open(encoding="utf-8") as log:
            log.seek(mark)
            written = log.read()
        if "/open311/v2/tokens/" in written or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "/open311/v2/tokens/" in written
    assert token not in written


def _jpeg() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="JPEG")
    return out.getvalue()


PUBLIC = "https://gis.rethymno.example"
#: documents whose links a client follows, and the two redirects werkzeug makes itself
LINKED = ["/ogc/?f=json", "/ogc/collections?f=json", "/ogc/collections/zoning?f=json",
          "/ogc/collections/zoning/items?f=json&limit=2", "/ogc/collections/zoning/tiles?f=json",
          "/ogc/processes?f=json", "/ogc/conformance?f=json", "/ogc/openapi?f=json",
          "/ogc/jobs?f=json", "/ogc/?f=html", "/open311/v2/discovery.json",
          "/open311/v2/discovery.xml", "/open311/v2/openapi.json", "/ogc", "/m/chania"]
#: outside references a document may name (definitions, licences), never a host of ours
ELSEWHERE = ("http://www.opengis.net/", "https://creativecommons.org/", "http://wiki.open311.org/",
             "https://www.openstreetmap.org/", "https://tile.openstreetmap.org/",
             "https://json-schema.org/", "http://www.w3.org/", "https://www.w3.org/",
             "https://pygeoapi.io")


@pytest.fixture(scope="module")
def with_public_url(demo_url, tmp_path_factory):
    with serving(demo_url, tmp_path_factory.mktemp("public"), sensors_ingest=0,
                 rate_limit_reports_per_min=0, public_url=PUBLIC) as base:
        yield base


@pytest.mark.parametrize("path", LINKED)
def test_every_link_is_on_the_public_url_whatever_host_a_client_names(with_public_url, path):
    answer = requests.get(f"{with_public_url}{path}", allow_redirects=False, timeout=30,
                          headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert answer.status_code in (200, 308), (path, answer.status_code)
    if answer.status_code == 308:
        assert answer.headers["Location"] == f"{PUBLIC}{path}/"
    said = answer.text + json.dumps(dict(answer.headers))
    assert "evil.example" not in said
    links = set(re.findall(r"https?://[^\s\"'<>]+", answer.text))
    assert links, f"{path}: no absolute link to check"
    assert {link for link in links if not link.startswith((PUBLIC + "/", *ELSEWHERE))
            and link != PUBLIC} == set()


def test_the_public_url_is_the_base_of_media_urls(with_public_url):
    made = requests.post(f"{with_public_url}/open311/v2/requests.json", data=REPORT, timeout=30,
                         files={"media": ("wall.jpg", _jpeg(), "image/jpeg")})
    number = made.json()[0]["service_request_id"]
    shown = requests.get(f"{with_public_url}/open311/v2/requests/{number}.json", timeout=30,
                         headers={"Host": "evil.example"}).json()[0]
    assert shown["media_url"].startswith(f"{PUBLIC}/open311/v2/media/")
