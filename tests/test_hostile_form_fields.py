"""NUL and other control characters in Open311 form fields (urlencoded and multipart): a 400
in GeoReport v2's error form naming the field, and nothing stored (issue 15, class 6)."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
import requests

from tests.helpers import rows, token

PLACE = {"lat": "35.3676", "long": "24.4747"}
REQUEST_FIELDS = {"service_code": "pothole", **PLACE, "description": "Λακκούβα",
                  "first_name": "Ελένη", "last_name": "Π.", "email": "eleni@example.gr",
                  "phone": "2831000000", "attribute[size]": "small"}
ADDRESSED = {"service_code": "pothole", "address_string": "Αρκαδίου 10",
             "description": "Λακκούβα"}
UPDATE_FIELDS = {"status": "acknowledged", "description": "seen", "private_note": "note",
                 "agency_responsible": "Τεχνικές Υπηρεσίες", "crew": "A"}


@pytest.fixture(scope="module")
def api(live_server):
    return f"{live_server}/open311/v2"


@pytest.fixture(scope="module")
def staff(demo_url):
    return {"Authorization": f"Bearer {token(demo_url, 'hostile-form-staff', 'staff')}"}


@pytest.fixture(scope="module")
def a_request(api):
    made = requests.post(f"{api}/requests.json", data=REQUEST_FIELDS, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()[0]["service_request_id"]


def _count(demo_url, table):
    return rows(demo_url, f"SELECT count(*) FROM {table}")[0][0]


def _assert_georeport_400(answer, field):
    assert answer.status_code == 400, (answer.status_code, answer.text[:300])
    body = answer.json()
    assert isinstance(body, list) and body[0]["code"] == 400, body
    assert field.replace("\x00", "") in body[0]["description"], body
    assert "control character" in body[0]["description"] or "NUL" in body[0]["description"]


def _fields_with(fields, name, bad):
    return {**fields, name: fields.get(name, "x")[:3] + bad + "tail"}


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b"])
@pytest.mark.parametrize("name", [*REQUEST_FIELDS, "address_string"])
@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_a_control_character_in_a_request_field(api, demo_url, name, bad, multipart):
    fields = _fields_with(ADDRESSED if name == "address_string" else REQUEST_FIELDS, name, bad)
    before = _count(demo_url, "service_requests")
    if multipart:
        answer = requests.post(f"{api}/requests.json", timeout=30,
                               files={k: (None, v) for k, v in fields.items()})
    else:
        answer = requests.post(f"{api}/requests.json", data=fields, timeout=30)
    _assert_georeport_400(answer, name)
    assert _count(demo_url, "service_requests") == before


def test_a_nul_in_a_field_name_is_a_400(api, demo_url):
    before = _count(demo_url, "service_requests")
    answer = requests.post(f"{api}/requests.json", timeout=30,
                           data={**REQUEST_FIELDS, "attribute[a\x00b]": "x"})
    _assert_georeport_400(answer, "attribute[ab]")
    assert _count(demo_url, "service_requests") == before


def test_the_xml_format_answers_in_xml(api):
    answer = requests.post(f"{api}/requests.xml", timeout=30,
                           data=_fields_with(REQUEST_FIELDS, "description", "\x00"))
    assert answer.status_code == 400, answer.text
    error = ElementTree.fromstring(answer.content).find("error")
    assert error.findtext("code") == "400" and "description" in error.findtext("description")


@pytest.mark.parametrize("name", [*UPDATE_FIELDS, "service_request_id", "duplicate_of"])
def test_a_nul_in_a_status_update_field(api, demo_url, staff, a_request, name):
    fields = {"service_request_id": a_request, **UPDATE_FIELDS}
    before = _count(demo_url, "service_request_updates")
    answer = requests.post(f"{api}/servicerequestupdates.json", timeout=30, headers=staff,
                           data=_fields_with(fields, name, "\x00"))
    _assert_georeport_400(answer, name)
    assert _count(demo_url, "service_request_updates") == before


def test_line_breaks_and_tabs_in_a_description_are_kept(api):
    text = "Λακκούβα\r\nβαθιά\tπολύ"
    made = requests.post(f"{api}/requests.json", timeout=30,
                         data={**REQUEST_FIELDS, "description": text})
    assert made.status_code == 201, made.text
    number = made.json()[0]["service_request_id"]
    found = requests.get(f"{api}/requests/{number}.json", timeout=30).json()[0]
    assert found["description"].startswith(text)  # the attributes follow it
