"""Structured logs: every line the server writes is a JSON object, and none carries a client's
secrets or personal data (query strings, addresses, what they reported)."""
from __future__ import annotations

import json
import uuid

import requests

from tests.helpers import token, wait_until

EMAIL = "logs.citizen@example.gr"


def _records_since(log_path, mark: int) -> tuple[str, list[dict]]:
    """The text written after byte ``mark`` (from the first whole line on) and its JSON lines;
    a line still being written (no newline yet) is left for the next read."""
    with log_path.open("rb") as log:
        log.seek(max(mark - 1, 0))
        data = log.read()
    if mark:  # the byte before the mark tells whether it fell on a line boundary
        data = data[1:] if data[:1] == b"\n" else data.partition(b"\n")[2]
    text = data[:data.rfind(b"\n") + 1].decode("utf-8")
    return text, [json.loads(line) for line in text.splitlines() if line.strip()]  # JSON or raise


def test_server_logs_are_json_lines_without_personal_data(live_server, live_server_log, demo_url):
    mark = live_server_log.stat().st_size
    key = token(demo_url, "logs-citizen", "citizen")
    unknown_field = f"no_such_field_{uuid.uuid4().hex[:8]}"
    missing_page = f"/no/such/page/{uuid.uuid4().hex}"
    posted = requests.post(f"{live_server}/open311/v2/requests.json", timeout=30,
                           params={"api_key": key},
                           data={"service_code": "pothole", "lat": "35.3660", "long": "24.4790",
                                 "email": EMAIL, "phone": "6912345678"})
    assert posted.status_code == 201, posted.text
    request_token = posted.json()[0]["token"]
    # the secrets go in query strings and in a path: none of them may reach the log
    found = requests.get(f"{live_server}/open311/v2/requests.json", timeout=30,
                         params={"api_key": key, "service_request_id": EMAIL})
    assert found.status_code == 200, found.text
    by_token = requests.get(f"{live_server}/open311/v2/tokens/{request_token}.json", timeout=30)
    assert by_token.status_code == 200, by_token.text
    refused = requests.get(f"{live_server}/ogc/collections/zoning/items", timeout=30,
                           params={"filter": f"{unknown_field} = 1", "f": "json"})
    assert refused.status_code == 400, refused.text  # and pygeoapi logs a warning naming it
    assert requests.get(f"{live_server}{missing_page}", timeout=30).status_code == 404

    expected = {("POST", "/open311/v2/requests.json", 201), ("GET", "/open311/v2/requests.json", 200),
                ("GET", "/open311/v2/tokens/{token}.json", 200),
                ("GET", "/ogc/collections/zoning/items", 400), ("GET", missing_page, 404)}

    def logged():  # the access line is written after the response: poll until all are there
        text, records = _records_since(live_server_log, mark)
        seen = {(r["method"], r["path"], r["status"]) for r in records if r["logger"] == "access"}
        return (text, records) if expected <= seen else None

    text, records = wait_until(logged, 20, f"access log lines for {sorted(expected)}")
    access = [r for r in records if r["logger"] == "access"]
    assert all({"time", "method", "status", "ms", "pid"} <= set(r) for r in access)
    assert any(r["level"] == "WARNING" and r["logger"] != "access" and unknown_field in r["message"]
               for r in records), text
    for secret in (key, request_token, EMAIL, "6912345678", "127.0.0.1 -", "python-requests"):
        assert secret not in text
