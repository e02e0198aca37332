"""The session of a local account, as README.md describes it: `GET /api/session` says who is
signed in (by cookie or token); the cookie is `Secure` behind https — a trusted proxy's
`X-Forwarded-Proto: https` or an https `DIMOS_PUBLIC_URL` — and lives 8 hours, in the browser
and in the `sessions` table.

A database and two servers of the module's own: one behind a trusted proxy, one whose public
URL is https.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests

from gis import db, migrate
from tests.helpers import add_municipality, dimos, rows, serving, token

PASSWORD = "a long enough passphrase for the test"


@pytest.fixture(scope="module")
def database(make_database) -> str:
    url = make_database("dimos_session_cookie")
    migrate.upgrade(url)
    add_municipality(url, "rethymno", "Rethymno")  # a staff account belongs to a municipality
    made = dimos("account", "create", "eleni", "--role", "staff", "--password-stdin",
                 url=url, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    return url


@pytest.fixture(scope="module")
def behind_proxy(database, tmp_path_factory):
    with serving(database, tmp_path_factory.mktemp("behind-proxy"), workers=1,
                 trusted_proxies=1) as base:
        yield base


@pytest.fixture(scope="module")
def https_public(database, tmp_path_factory):
    with serving(database, tmp_path_factory.mktemp("https-public"), workers=1,
                 public_url="https://gis.rethymno.example") as base:
        yield base


def sign_in(base: str, **headers) -> requests.Response:
    answer = requests.post(f"{base}/api/session", timeout=30, headers=headers,
                           json={"username": "eleni", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer


def session_cookie(answer: requests.Response):
    cookie, = [c for c in answer.cookies if c.name == "dimos_session"]
    return cookie


def test_get_api_session_says_who_is_signed_in_by_cookie_or_token(database, behind_proxy):
    anonymous = requests.get(f"{behind_proxy}/api/session", timeout=30)
    assert anonymous.status_code == 200 and anonymous.json() == {"signed_in": False}

    browser = requests.Session()
    signed = browser.post(f"{behind_proxy}/api/session", timeout=30,
                          json={"username": "eleni", "password": PASSWORD}).json()
    who = browser.get(f"{behind_proxy}/api/session", timeout=30).json()
    assert who == {"signed_in": True, "name": "eleni", "role": "staff",
                   "municipalities": ["rethymno"], "everywhere": False,
                   "csrf_token": signed["csrf_token"]}

    bearer = token(database, "session-cookie-planner", "planner")
    by_token = requests.get(f"{behind_proxy}/api/session", timeout=30,
                            headers={"Authorization": f"Bearer {bearer}"}).json()
    assert by_token["signed_in"] is True and by_token["role"] == "planner"
    assert by_token["name"] != "eleni"

    out = browser.delete(f"{behind_proxy}/api/session", timeout=30,
                         headers={"X-CSRF-Token": signed["csrf_token"]})
    assert out.status_code == 204
    assert browser.get(f"{behind_proxy}/api/session", timeout=30).json() == {"signed_in": False}


def test_the_cookie_is_secure_only_behind_https(behind_proxy, https_public):
    assert not session_cookie(sign_in(behind_proxy)).secure  # plain http, as the proxy says
    assert session_cookie(sign_in(behind_proxy, **{"X-Forwarded-Proto": "https"})).secure
    assert session_cookie(sign_in(https_public)).secure  # the public URL is https


def test_a_session_lasts_eight_hours_in_the_browser_and_in_the_database(database, behind_proxy):
    answer = sign_in(behind_proxy)
    header = answer.headers["Set-Cookie"]
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=8))) < timedelta(minutes=1)
    (lifetime,), = rows(database, "SELECT extract(epoch FROM expires_at - now()) FROM sessions "
                                  "ORDER BY expires_at DESC LIMIT 1")
    assert abs(float(lifetime) - 8 * 3600) < 60

    browser = requests.Session()
    browser.cookies.set("dimos_session", session_cookie(answer).value)
    assert browser.get(f"{behind_proxy}/api/session", timeout=30).json()["signed_in"]
    # eight hours later: the stored session has expired, the same cookie signs no one in
    conn = db.connect(database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE sessions SET expires_at = now() - interval '1 second' "
                        "WHERE expires_at > now() + interval '7 hours'")
    finally:
        conn.close()
    assert browser.get(f"{behind_proxy}/api/session", timeout=30).json() == {"signed_in": False}
