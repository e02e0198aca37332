"""Sending the notification outbox (gis/notifications.py) to citizens through pluggable senders."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

from gis import notifications


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
    sent = failed = 0
    for outbox_id, subject, body, recipient in notifications.pending_emails(cur, batch):
        try:
            sender.send(recipient, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            notifications.mark_failed(cur, outbox_id, type(exc).__name__)  # no address in the log
            failed += 1
        else:
            notifications.mark_sent(cur, outbox_id)
            sent += 1
    return sent, failed
