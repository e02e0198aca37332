"""Local accounts and sessions: argon2id hashes, signed HttpOnly SameSite cookies, and CSRF:
a form post riding on a session cookie without the session's token is refused."""
from __future__ import annotations

import uuid

import requests

from tests.helpers import dimos, rows

PASSWORD = "Ρέθυμνο-2026-σωστό"


def make_account(url, role="staff"):
    name = f"maria-{uuid.uuid4().hex[:6]}"
    made = dimos("account", "create", name, "--role", role, "--jurisdiction", "rethymno",
                 "--password-stdin", url=url,
                 stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    return name


def test_passwords_are_stored_as_argon2id_hashes_only(demo_url):
    name = make_account(demo_url)
    (stored,), = rows(demo_url, "SELECT password_hash FROM accounts WHERE username = %s", (name,))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    short = dimos("account", "create", f"x-{name}", "--password-stdin", url=demo_url,
                  stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr


def test_sign_in_sets_a_safe_cookie_and_wrong_passwords_are_refused(live_server, demo_url):
    name = make_account(demo_url)
    wrong = requests.post(f"{live_server}/api/session", timeout=30,
                          data={"username": name, "password": "not it at all"})
    assert wrong.status_code == 401 and "dimos_session" not in wrong.cookies
    unknown = requests.post(f"{live_server}/api/session", timeout=30,
                            data={"username": "nobody-here", "password": PASSWORD})
    assert unknown.status_code == 401
    assert unknown.json()["description"] == wrong.json()["description"]  # no name probing
    signed = requests.post(f"{live_server}/api/session", timeout=30,
                           data={"username": name, "password": PASSWORD})
    assert signed.status_code == 200 and signed.json()["role"] == "staff"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_form_post_on_a_session_without_its_csrf_token_is_refused(live_server, demo_url):
    name = make_account(demo_url)
    browser = requests.Session()
    signed = browser.post(f"{live_server}/api/session", timeout=30,
                          data={"username": name, "password": PASSWORD})
    csrf = signed.json()["csrf_token"]
    assert browser.get(f"{live_server}/api/whoami", timeout=30).json()["name"] == name
    (number,), = rows(demo_url, "SELECT service_request_id FROM service_requests "
                                "WHERE status = 'open' ORDER BY id LIMIT 1")
    update = f"{live_server}/open311/v2/servicerequestupdates.json"
    form = {"service_request_id": number, "status": "acknowledged",
            "description": "Το είδαμε / Seen"}
    before = rows(demo_url, "SELECT count(*) FROM service_request_updates")
    forged = browser.post(update, data=form, timeout=30)  # what another site's form would send
    assert forged.status_code == 403 and "CSRF" in forged.json()["description"]
    wrong = browser.post(update, data={**form, "csrf_token": "guess"}, timeout=30)
    assert wrong.status_code == 403
    assert rows(demo_url, "SELECT count(*) FROM service_request_updates") == before
    done = browser.post(update, data={**form, "csrf_token": csrf}, timeout=30)
    assert done.status_code == 201, done.text  # the update is made, as the audit row says
    (actor,), = rows(demo_url, "SELECT actor FROM audit_log WHERE table_name = "
                               "'service_request_updates' ORDER BY id DESC LIMIT 1")
    assert actor == f"staff:{name}"


def test_a_citizen_session_cannot_do_staff_work_and_disabling_ends_sessions(live_server,
                                                                           demo_url):
    name = make_account(demo_url, role="citizen")
    browser = requests.Session()
    csrf = browser.post(f"{live_server}/api/session", timeout=30, data={
        "username": name, "password": PASSWORD}).json()["csrf_token"]
    (number,), = rows(demo_url, "SELECT min(service_request_id) FROM service_requests")
    contact = browser.get(f"{live_server}/open311/v2/requests/{number}/contact.json",
                          timeout=30)  # a request that exists: the refusal is the role's
    assert contact.status_code == 403
    assert dimos("account", "disable", name, url=demo_url).returncode == 0
    assert browser.get(f"{live_server}/api/whoami", timeout=30).status_code == 401
    out = browser.delete(f"{live_server}/api/session", timeout=30,
                         headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204


def test_password_guessing_is_rate_limited(live_server):
    url = f"{live_server}/api/session"
    answers = []
    for n in range(25):  # 10 a minute: even across a minute's turn, 25 tries meet the limit
        answers.append(requests.post(url, timeout=30, headers={"X-Forwarded-For": "10.0.0.9"},
                                     data={"username": "guess", "password": f"p{n}"}).status_code)
        if answers[-1] == 429:
            break
    assert answers[-1] == 429 and set(answers[:-1]) == {401}
