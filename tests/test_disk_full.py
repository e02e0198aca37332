"""A full disk while something is uploaded: a clear 507, nothing stored, nothing lost, and the
server goes on. The disk is "full" for a server whose file size limit (RLIMIT_FSIZE) is 2 MB:
the kernel refuses its writes past that, as it would on a full disk."""
from __future__ import annotations

import io
import json
import os
import resource

import pytest
import requests

from tests.helpers import rows, serving, token

LIMIT = 2 * 2 ** 20


def small_disk():
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.fixture(scope="module")
def full_server(demo_url, tmp_path_factory):
    with serving(demo_url, tmp_path_factory.mktemp("disk-full-state"), workers=1,
                 preexec_fn=small_disk, sensors_ingest=0, rate_limit_reports_per_min=0) as base:
        yield base


@pytest.fixture(scope="module")
def staff_token(demo_url):
    return token(demo_url, "disk-full-staff", "staff")


def permits_geojson(count: int) -> bytes:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [24.47, 35.36]},
                 "properties": {"permit_number": f"DISK/{i}", "issue_date": "2026-01-01",
                                "permit_type": "renovation", "status": "issued",
                                "address": "Αρκαδίου " + "α" * 40}} for i in range(count)]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode()


def test_an_upload_the_disk_cannot_hold_is_a_507_and_nothing_is_stored(full_server, demo_url,
                                                                        staff_token):
    before = rows(demo_url, "SELECT count(*), max(id) FROM building_permits")
    data = permits_geojson(20_000)
    assert LIMIT < len(data) < 25 * 2 ** 20  # larger than the disk, within the upload limit
    answer = requests.post(f"{full_server}/api/imports", timeout=120,
                           headers={"Authorization": f"Bearer {staff_token}"},
                           data={"layer": "building_permits"},
                           files={"file": ("permits.geojson", io.BytesIO(data))})
    assert answer.status_code == 507, answer.text
    assert "disk is full" in answer.json()["description"]
    assert rows(demo_url, "SELECT count(*), max(id) FROM building_permits") == before
    assert not rows(demo_url, "SELECT 1 FROM building_permits WHERE permit_number LIKE 'DISK/%%'")


def test_a_citizens_report_with_a_photo_the_disk_cannot_hold_is_answered_not_lost(full_server,
                                                                                 demo_url):
    before = rows(demo_url, "SELECT count(*) FROM service_requests")
    photo = os.urandom(LIMIT + 2 ** 20)
    answer = requests.post(f"{full_server}/open311/v2/requests.json", timeout=60,
                           data={"service_code": "pothole", "lat": "35.3660", "long": "24.4790"},
                           files={"media": ("photo.jpg", io.BytesIO(photo), "image/jpeg")})
    assert answer.status_code == 507 and "not stored" in answer.json()["description"]
    assert rows(demo_url, "SELECT count(*) FROM service_requests") == before
    # the server goes on: a small report (no spooling to disk) is stored
    small = requests.post(f"{full_server}/open311/v2/requests.json", timeout=60,
                          data={"service_code": "pothole", "lat": "35.3660", "long": "24.4790"})
    assert small.status_code == 201, small.text
