"""Structured logs: every line the server writes is a JSON object, and none carries a client's
secrets or personal data (query strings, addresses, what they reported)."""
from __future__ import annotations

import json
import time

import requests

from tests.helpers import token

EMAIL = "logs.citizen@example.gr"


def test_server_logs_are_json_lines_without_personal_data(live_server, live_server_log, demo_url):
    time.sleep(1)  # what earlier tests' requests log lands before the mark
    mark = live_server_log.stat().st_size
    key = token(demo_url, "logs-citizen", "citizen")
    requests.post(f"{live_server}/open311/v2/requests.json", timeout=30,
                  params={"api_key": key},
                  data={"service_code": "pothole", "lat": "35.3660", "long": "24.4790",
                        "email": EMAIL, "phone": "6912345678"})
    requests.get(f"{live_server}/open311/v2/requests.json", timeout=30,
                 params={"api_key": token, "service_request_id": EMAIL})
    requests.get(f"{live_server}/ogc/collections/zoning/items", timeout=30,
                 params={"filter": "no_such_field = 1", "f": "json"})  # a warning from pygeoapi
    requests.get(f"{live_server}/no/such/page", timeout=30)
    time.sleep(1.5)  # the access log is written after the response
    with live_server_log.open(encoding="utf-8") as log:
        log.seek(mark)
        text = log.read()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]  # JSON or raise
    access = [r for r in records if r["logger"] == "access"]
    assert {"/open311/v2/requests.json", "/no/such/page"} <= {r["path"] for r in access}
    assert all({"time", "method", "status", "ms"} <= set(r) for r in access)
    assert any(r["level"] == "WARNING" and r["logger"] != "access" for r in records)
    for secret in (key, EMAIL, "6912345678", "127.0.0.1 -", "python-requests"):
        assert secret not in text
