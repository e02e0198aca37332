"""Hostile sessions: a session ends when it is signed out, when its account is disabled and when
its role changes, on every worker at once; the key that signs cookies is made once, whole, even
when several workers start together."""
from __future__ import annotations

import multiprocessing
import uuid

import requests

from tests.helpers import dimos, rows
from tests.secret_key_race import make_key
from tests.test_single_sign_on import person, sign_in

PASSWORD = "Ρέθυμνο-2026-σωστό"
#: the live server runs 2 workers: this many requests all but surely reach both
REPEATS = 12


def _account(url: str, role: str = "staff") -> str:
    name = f"eleni-{uuid.uuid4().hex[:6]}"
    made = dimos("account", "create", name, "--role", role, "--jurisdiction", "rethymno",
                 "--password-stdin", url=url,
                 stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    return name


def _signed_in(live_server: str, name: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    answer = browser.post(f"{live_server}/api/session", timeout=30,
                          data={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return browser, answer.json()["csrf_token"]


def _whoami_answers(live_server: str, cookies, csrf: str | None = None) -> set[int]:
    """The statuses of REPEATS fresh connections (so both workers answer) carrying ``cookies``."""
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return {requests.get(f"{live_server}/api/whoami", cookies=cookies, headers=headers,
                         timeout=30).status_code for _ in range(REPEATS)}


def test_after_sign_out_the_old_cookie_and_its_csrf_token_no_longer_work_on_any_worker(
        live_server, demo_url):
    name = _account(demo_url)
    browser, csrf = _signed_in(live_server, name)
    kept = browser.cookies.copy()  # what a thief (or the browser's disk) kept of the cookie
    assert _whoami_answers(live_server, kept) == {200}
    out = browser.delete(f"{live_server}/api/session", headers={"X-CSRF-Token": csrf},
                         timeout=30)
    assert out.status_code == 204
    assert _whoami_answers(live_server, kept) == {401}
    # nor does the old CSRF token make the old cookie good for a write
    (number,), = rows(demo_url, "SELECT min(service_request_id) FROM service_requests")
    update = requests.post(f"{live_server}/open311/v2/servicerequestupdates.json", cookies=kept,
                           headers={"X-CSRF-Token": csrf}, timeout=30,
                           data={"service_request_id": number, "status": "acknowledged"})
    assert update.status_code == 401, update.text


def test_disabling_an_account_ends_its_sessions_at_once(live_server, demo_url):
    name = _account(demo_url)
    first, _ = _signed_in(live_server, name)
    second, _ = _signed_in(live_server, name)
    assert dimos("account", "disable", name, url=demo_url).returncode == 0
    assert _whoami_answers(live_server, first.cookies) == {401}
    assert _whoami_answers(live_server, second.cookies) == {401}


def test_changing_an_accounts_role_ends_its_sessions(live_server, demo_url):
    name = _account(demo_url, role="staff")
    browser, _ = _signed_in(live_server, name)
    assert browser.get(f"{live_server}/api/whoami", timeout=30).json()["role"] == "staff"
    changed = dimos("account", "role", name, "--role", "citizen", url=demo_url)
    assert changed.returncode == 0, changed.stderr
    assert _whoami_answers(live_server, browser.cookies) == {401}
    again, _ = _signed_in(live_server, name)
    assert again.get(f"{live_server}/api/whoami", timeout=30).json()["role"] == "citizen"
    unknown = dimos("account", "role", f"nobody-{name}", "--role", "staff", url=demo_url)
    assert unknown.returncode == 1 and "no active account" in unknown.stderr


def test_a_role_the_provider_changes_at_sign_in_ends_the_other_sessions(live_server,
                                                                         identity_provider):
    username, subject = person(identity_provider, "cityhall", groups=["gis-staff"])
    staff_browser, _ = sign_in(live_server, "cityhall", username)
    assert staff_browser.get(f"{live_server}/api/whoami", timeout=30).json()["role"] == "staff"
    # the town hall moves the person to the crews: their next sign-in brings the new role
    identity_provider.add_user("cityhall", username, "σωστός-κωδικός-2026", sub=subject,
                               groups=["crews"])
    crew_browser, _ = sign_in(live_server, "cityhall", username)
    assert crew_browser.get(f"{live_server}/api/whoami", timeout=30).json()["role"] == "crew"
    assert _whoami_answers(live_server, staff_browser.cookies) == {401}


def test_workers_starting_together_all_get_the_same_whole_secret_key(tmp_path, demo_url):
    context = multiprocessing.get_context("spawn")
    for attempt in range(5):
        # a key name of this attempt's own: each race makes a new key, as a first start does
        name = f"race-{uuid.uuid4().hex[:8]}"
        queue, start = context.Queue(), context.Barrier(8)
        # every worker a state folder of its own, as on nodes that share nothing but the database
        workers = [context.Process(target=make_key, args=(
            demo_url, str(tmp_path / f"state-{attempt}-{number}"), name, start, queue))
            for number in range(8)]
        for worker in workers:
            worker.start()
        keys = [queue.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert all(len(key) >= 32 for key in keys), keys
        assert len(set(keys)) == 1, keys
        assert rows(demo_url, "SELECT value FROM shared_secrets WHERE name = %s",
                    (name,)) == [(keys[0].decode(),)]
        assert not list(tmp_path.glob("state-*/secret_key"))  # nothing of it on a node's disk
