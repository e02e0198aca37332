"""The notification outbox: status changes reach citizens through pluggable senders (mail/).

Rows are written in the same transaction as the status change (gis/service_requests.py), so
no change goes unannounced and none is announced that did not happen. The recipient's
address is read from the private table at send time and never copied into the outbox.
"""
from __future__ import annotations

PENDING_SQL = """
SELECT o.id, o.subject, o.body, p.reporter_email
FROM notification_outbox o
JOIN service_requests_private p ON p.feature_id = o.request_id
WHERE o.sent_at IS NULL AND o.channel = 'email' AND o.attempts < %(max_attempts)s
ORDER BY o.id
LIMIT %(batch)s
FOR UPDATE OF o SKIP LOCKED
"""
SENT_SQL = "UPDATE notification_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = %s"
FAILED_SQL = """
UPDATE notification_outbox SET attempts = attempts + 1, last_error = %s WHERE id = %s
"""
MAX_ATTEMPTS = 5


def pending_emails(cur, batch: int) -> list[tuple[int, str, str, str]]:
    """(outbox id, subject, body, recipient) of unsent e-mails, locked for the caller's transaction."""
    cur.execute(PENDING_SQL, {"max_attempts": MAX_ATTEMPTS, "batch": batch})
    return cur.fetchall()


def mark_sent(cur, outbox_id: int) -> None:
    cur.execute(SENT_SQL, (outbox_id,))


def mark_failed(cur, outbox_id: int, error: str) -> None:
    cur.execute(FAILED_SQL, (error, outbox_id))
