"""Mail to citizens: the notification outbox's senders (SMTP)."""
