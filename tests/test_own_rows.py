"""Row-level rules: a citizen sees the notes meant for them on their own requests and nothing of
anyone else's; a crew sees its own assignments only; staff see every crew's."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.helpers import token
from tests.test_single_sign_on import person, sign_in

PRIVATE_NOTE = "Ο τεχνικός θα σας τηλεφωνήσει πριν έρθει"
PUBLIC_NOTE = "Προγραμματίστηκε επισκευή"


@pytest.fixture(scope="module")
def tokens(demo_url):
    """Tokens of two citizens, two crews and staff, by name."""
    return {name: token(demo_url, name, role) for name, role in (
        ("citizen-a", "citizen"), ("citizen-b", "citizen"), ("crew-north", "crew"),
        ("crew-south", "crew"), ("dispatcher", "staff"))}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def report(live_server, headers=None, service_code="street_light"):
    answer = requests.post(f"{live_server}/open311/v2/requests.json", timeout=30,
                           headers=headers or {},
                           data={"service_code": service_code, "lat": "35.3660",
                                 "long": "24.4790", "description": f"own rows {uuid.uuid4()}"})
    assert answer.status_code == 201, answer.text
    return answer.json()[0]["service_request_id"]


def update(live_server, tokens, number, status, **fields):
    answer = requests.post(f"{live_server}/open311/v2/servicerequestupdates.json", timeout=30,
                           headers=bearer(tokens["dispatcher"]),
                           data={"service_request_id": number, "status": status, **fields})
    assert answer.status_code == 201, answer.text


def mine(live_server, headers):
    return requests.get(f"{live_server}/api/my/requests", headers=headers, timeout=30)


def test_a_citizen_sees_the_private_note_on_their_request_and_no_one_else_does(live_server,
                                                                               tokens):
    number = report(live_server, bearer(tokens["citizen-a"]))
    update(live_server, tokens, number, "acknowledged", description=PUBLIC_NOTE,
           private_note=PRIVATE_NOTE)
    own = {r["service_request_id"]: r for r in
           mine(live_server, bearer(tokens["citizen-a"])).json()["requests"]}
    assert [h["private_note"] for h in own[number]["history"]] == [None, PRIVATE_NOTE]
    assert own[number]["history"][1]["note"] == PUBLIC_NOTE
    others = mine(live_server, bearer(tokens["citizen-b"])).json()["requests"]
    assert number not in {r["service_request_id"] for r in others}
    assert mine(live_server, {}).status_code == 401
    # every public view of the request: the public note yes, the private one never
    public = [requests.get(f"{live_server}/open311/v2/requests/{number}.json", timeout=30),
              requests.get(f"{live_server}/open311/v2/servicerequestupdates.json", timeout=30,
                           params={"service_request_id": number}),
              requests.get(f"{live_server}/ogc/collections/service_requests/items", timeout=30,
                           params={"filter": f"service_request_id = '{number}'", "f": "json"})]
    for answer in public:
        assert answer.status_code == 200
        assert PRIVATE_NOTE not in answer.text and "citizen-a" not in answer.text
    assert PUBLIC_NOTE in public[0].text


def test_an_anonymous_report_belongs_to_no_account(live_server, tokens, demo_url):
    number = report(live_server)
    for name in ("citizen-a", "citizen-b"):
        listed = mine(live_server, bearer(tokens[name])).json()["requests"]
        assert number not in {r["service_request_id"] for r in listed}


def test_a_citizen_signed_in_with_taxisnet_follows_their_own_requests(live_server, tokens,
                                                                      identity_provider):
    username, subject = person(identity_provider, "taxisnet")
    browser, _ = sign_in(live_server, "taxisnet", username)
    csrf = browser.get(f"{live_server}/api/whoami", timeout=30).json()["csrf_token"]
    answer = browser.post(f"{live_server}/open311/v2/requests.json", timeout=30,
                          headers={"X-CSRF-Token": csrf},
                          data={"service_code": "rubbish", "lat": "35.3660", "long": "24.4790"})
    assert answer.status_code == 201, answer.text
    number = answer.json()[0]["service_request_id"]
    update(live_server, tokens, number, "acknowledged", private_note=PRIVATE_NOTE)
    own = browser.get(f"{live_server}/api/my/requests", timeout=30).json()["requests"]
    assert [r["service_request_id"] for r in own] == [number]
    assert own[0]["history"][-1]["private_note"] == PRIVATE_NOTE


def test_a_crew_sees_its_own_assignments_and_staff_see_every_crews(live_server, tokens):
    north, south = (report(live_server, service_code="pothole") for _ in range(2))
    update(live_server, tokens, north, "acknowledged", crew="crew-north")
    update(live_server, tokens, south, "acknowledged", crew="crew-south")

    def assigned(token, **params):
        answer = requests.get(f"{live_server}/api/crew/assignments", params=params, timeout=30,
                              headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return {a["service_request_id"]: a["crew"] for a in answer.json()["assignments"]}

    north_sees = assigned(tokens["crew-north"])
    assert north_sees.get(north) == "crew-north" and south not in north_sees
    assert set(north_sees.values()) == {"crew-north"}
    assert south not in assigned(tokens["crew-north"], crew="crew-south")  # asking is not enough
    everyone = assigned(tokens["dispatcher"])
    assert everyone[north] == "crew-north" and everyone[south] == "crew-south"
    assert set(assigned(tokens["dispatcher"], crew="crew-south").values()) == {"crew-south"}
    refused = requests.get(f"{live_server}/api/crew/assignments", timeout=30,
                           headers=bearer(tokens["citizen-a"]))
    assert refused.status_code == 403
    raw = requests.get(f"{live_server}/api/crew/assignments", headers=bearer(tokens["dispatcher"]),
                       timeout=30).json()["assignments"]
    assert raw and not any(key.startswith("reporter") for a in raw for key in a)
