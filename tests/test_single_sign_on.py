"""Single sign-on with OpenID Connect against a real provider over HTTP (tests/identity_provider.py):
citizens through "TAXISnet", staff through the town hall's SSO with roles from groups."""
from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from gis import db
from tests.helpers import rows

PASSWORD = "σωστός-κωδικός-2026"


def person(identity_provider, realm, **claims) -> tuple[str, str]:
    """A new person at the provider: (username, subject)."""
    username, subject = f"user-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    identity_provider.add_user(realm, username, PASSWORD, sub=subject, **claims)
    return username, subject


def sign_in(live_server, provider, username, password=PASSWORD, after="/"):
    """The browser's round trip: dimos → provider's form → back to dimos. The browser session
    and dimos's last answer (the callback's)."""
    browser = requests.Session()
    to_provider = browser.get(f"{live_server}/auth/{provider}/login", params={"next": after},
                              allow_redirects=False, timeout=30)
    assert to_provider.status_code == 302, to_provider.text
    asked = parse_qs(urlsplit(to_provider.headers["Location"]).query)
    assert asked["state"] and asked["nonce"] and asked["response_type"] == ["code"]
    back = browser.post(to_provider.headers["Location"], timeout=30, allow_redirects=False,
                        data={"username": username, "password": password})
    assert back.status_code == 302 and back.headers["Location"].startswith(live_server)
    return browser, browser.get(back.headers["Location"], allow_redirects=False, timeout=30)


def test_a_citizen_signs_in_with_taxisnet_and_keeps_nothing_personal(live_server, demo_url,
                                                                      identity_provider):
    username, subject = person(identity_provider, "taxisnet", name="Ελένη Παπαδάκη",
                               afm="123456789")
    browser, landed = sign_in(live_server, "taxisnet", username, after="/map?layer=parking")
    assert landed.status_code == 302 and landed.headers["Location"] == "/map?layer=parking"
    cookie = landed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = browser.get(f"{live_server}/api/whoami", timeout=30).json()
    assert me["role"] == "citizen" and me["name"] == f"taxisnet:{subject}"
    stored = rows(demo_url, "SELECT role, identity_provider, password_hash FROM accounts "
                            "WHERE username = %s", (f"taxisnet:{subject}",))
    assert stored == [("citizen", "taxisnet", None)]
    assert not rows(demo_url, "SELECT 1 FROM accounts WHERE username::text LIKE %s "
                              "OR role LIKE %s", ("%Ελένη%", "%123456789%"))


def test_staff_get_the_most_powerful_role_their_groups_map_to(live_server, identity_provider):
    username, _ = person(identity_provider, "cityhall", groups=["planning", "gis-staff", "other"])
    browser, landed = sign_in(live_server, "cityhall", username)
    assert landed.status_code == 302
    me = browser.get(f"{live_server}/api/whoami", timeout=30).json()
    assert me["role"] == "staff"
    # a staff-only read works on the session; a write without the session's CSRF token does not
    assert browser.get(f"{live_server}/api/parking/violations", timeout=30).status_code == 200
    refused = browser.delete(f"{live_server}/ogc/collections/building_permits/items/999999999",
                             timeout=30)
    assert refused.status_code == 403 and "CSRF" in refused.json()["description"]
    allowed = browser.delete(f"{live_server}/ogc/collections/building_permits/items/999999999",
                             headers={"X-CSRF-Token": me["csrf_token"]}, timeout=30)
    assert allowed.status_code == 404  # past the role check: there is no such permit


def test_a_person_whose_groups_grant_no_role_is_not_signed_in(live_server, identity_provider):
    username, _ = person(identity_provider, "cityhall", groups=["canteen"])
    browser, landed = sign_in(live_server, "cityhall", username)
    assert landed.status_code == 403 and "grants no role" in landed.json()["description"]
    assert browser.get(f"{live_server}/api/whoami", timeout=30).status_code == 401


def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(live_server,
                                                                             identity_provider):
    username, _ = person(identity_provider, "forger")
    browser, landed = sign_in(live_server, "forger", username)
    assert landed.status_code == 401 and "failed" in landed.json()["description"]
    assert browser.get(f"{live_server}/api/whoami", timeout=30).status_code == 401


def test_a_wrong_password_at_the_provider_and_a_replayed_callback_sign_no_one_in(
        live_server, identity_provider):
    username, _ = person(identity_provider, "taxisnet")
    browser, landed = sign_in(live_server, "taxisnet", username, password="not the password")
    assert landed.status_code == 401 and "access_denied" in landed.json()["description"]
    browser, landed = sign_in(live_server, "taxisnet", username)
    assert landed.status_code == 302
    # the same code and state again, from another browser: no state there, and the code is spent
    replay = requests.get(landed.request.url, allow_redirects=False, timeout=30)
    assert replay.status_code == 401


def test_sign_in_never_redirects_off_site_and_unknown_providers_are_404(live_server,
                                                                        identity_provider):
    username, _ = person(identity_provider, "taxisnet")
    _, landed = sign_in(live_server, "taxisnet", username, after="//evil.example/phish")
    assert landed.status_code == 302 and landed.headers["Location"] == "/"
    assert requests.get(f"{live_server}/auth/nowhere/login", timeout=30).status_code == 404
    listed = requests.get(f"{live_server}/api/session/providers", timeout=30).json()
    assert {p["id"] for p in listed} == {"taxisnet", "cityhall", "forger"}
    assert all(p["login"] == f"/auth/{p['id']}/login" for p in listed)


def test_a_disabled_account_loses_its_session_and_cannot_sign_in_again(live_server, demo_url,
                                                                        identity_provider):
    username, subject = person(identity_provider, "taxisnet")
    browser, _ = sign_in(live_server, "taxisnet", username)
    assert browser.get(f"{live_server}/api/whoami", timeout=30).status_code == 200
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE accounts SET disabled_at = now() WHERE username = %s",
                    (f"taxisnet:{subject}",))
    conn.close()
    assert browser.get(f"{live_server}/api/whoami", timeout=30).status_code == 401
    _, again = sign_in(live_server, "taxisnet", username)
    assert again.status_code == 403 and "disabled" in again.json()["description"]
