"""SQL of idempotency keys (migration 0028): claim a key for a request, keep its answer, and
give a repeat that answer."""
from __future__ import annotations

from dataclasses import dataclass

#: a key is remembered this long; after it, the same key is a new request
KEEP_HOURS = 24

# an expired key is claimed afresh; a live one is left as it is (no row returned)
CLAIM_SQL = f"""
INSERT INTO idempotency_keys (key, fingerprint) VALUES (%(key)s, %(fingerprint)s)
ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = NULL,
    content_type = NULL, body = NULL, created_at = now()
WHERE idempotency_keys.created_at < now() - interval '{KEEP_HOURS} hours'
RETURNING key
"""
STORED_SQL = "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE key = %s"
ANSWER_SQL = """
UPDATE idempotency_keys SET status = %s, content_type = %s, body = %s WHERE key = %s
"""


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int
    content_type: str
    body: bytes


def claim(cur, key: str, fingerprint: str) -> StoredAnswer | None:
    """Claim ``key`` for this transaction: None if it is ours now (answer with ``keep``), else
    the answer the request that claimed it first got.

    A claim made by a transaction still running makes this one wait for it (the primary key):
    once it commits its answer is read here; if it rolls back, the key is claimed here.
    """
    cur.execute(CLAIM_SQL, {"key": key, "fingerprint": fingerprint})
    if cur.fetchone() is not None:
        return None
    cur.execute(STORED_SQL, (key,))
    stored, status, content_type, body = cur.fetchone()
    return StoredAnswer(stored, status, content_type, bytes(body))


def keep(cur, key: str, status: int, content_type: str, body: bytes) -> None:
    """The answer to give every repeat of the request that claimed ``key``."""
    cur.execute(ANSWER_SQL, (status, content_type, body, key))
