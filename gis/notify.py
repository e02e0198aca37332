"""The notification outbox: status changes reach citizens through pluggable senders.

Rows are written in the same transaction as the status change (gis/service_requests.py), so
no change goes unannounced and none is announced that did not happen. The recipient's
address is read from the private table at send time and never copied into the outbox.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

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


class Sender(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...


class SmtpSender:
    """E-mail through an SMTP server (the municipality's relay; a local sink in tests)."""

    def __init__(self, host: str, port: int, sender: str, timeout_s: float = 10):
        self.host, self.port, self.sender, self.timeout_s = host, port, sender, timeout_s

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            smtp.send_message(message)


def send_pending(cur, sender: Sender, batch: int = 100) -> tuple[int, int]:
    """Send what the outbox holds (in the caller's transaction); (sent, failed)."""
    cur.execute(PENDING_SQL, {"max_attempts": MAX_ATTEMPTS, "batch": batch})
    sent = failed = 0
    for outbox_id, subject, body, recipient in cur.fetchall():
        try:
            sender.send(recipient, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            cur.execute(FAILED_SQL, (type(exc).__name__, outbox_id))  # no address in the log
            failed += 1
        else:
            cur.execute(SENT_SQL, (outbox_id,))
            sent += 1
    return sent, failed
