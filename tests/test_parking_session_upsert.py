"""`POST /api/parking/sessions` is an upsert by `session_ref` (README, Sensors): the payment
app sending a session again (extended, or moved to another bay) changes the one row it made."""
from __future__ import annotations

import uuid

import requests

from gis import db
from tests.helpers import rows, token


def test_a_session_sent_again_updates_its_row_instead_of_adding_one(live_server, demo_url):
    payment = token(demo_url, "pay-upsert", "payment")
    first_bay, other_bay = (bay for (bay,) in rows(
        demo_url, "SELECT bay_id FROM parking_bays WHERE jurisdiction_id = 'rethymno' "
                  "ORDER BY id LIMIT 2"))
    ref = f"UPSERT-{uuid.uuid4().hex[:8]}"
    # a session in the past: no warden's list of unpaid bays changes meanwhile
    session = {"session_ref": ref, "bay_id": first_bay, "plate": "ΗΡΚ1001",
               "starts_at": "2026-01-05T08:00:00+00:00", "ends_at": "2026-01-05T09:00:00+00:00"}
    url = f"{live_server}/api/parking/sessions"
    auth = {"Authorization": f"Bearer {payment}"}
    stored = ("SELECT bay_id, plate, ends_at::text FROM parking_sessions "
              "WHERE session_ref = %s")
    try:
        made = requests.post(url, json=session, headers=auth, timeout=30)
        assert made.status_code == 201, made.text
        assert rows(demo_url, stored, (ref,)) == [(first_bay, "ΗΡΚ1001", "2026-01-05 09:00:00+00")]
        moved = {**session, "bay_id": other_bay, "ends_at": "2026-01-05T10:30:00+00:00"}
        again = requests.post(url, json=moved, headers=auth, timeout=30)
        assert again.status_code == 200, again.text
        assert again.json()["bay_id"] == other_bay
        assert rows(demo_url, stored, (ref,)) == [(other_bay, "ΗΡΚ1001", "2026-01-05 10:30:00+00")]
    finally:
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM parking_sessions WHERE session_ref = %s", (ref,))
            cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = 'pay-upsert' "
                        "AND revoked_at IS NULL")
        conn.close()
