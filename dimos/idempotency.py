"""The ``Idempotency-Key`` header of a POST (IETF draft "The Idempotency-Key HTTP Header
Field"): a request sent again with the same key gets the first one's answer, and is done once.

The key is claimed in the transaction that does the work (gis/idempotency.py), so a repeat
waits for the first to finish, then answers as it did; if the first rolled back (its node died
before the commit), the repeat does the work itself. A key sent again with another body, to
another path or by someone else is refused (422).
"""
from __future__ import annotations

import hashlib
import re

from flask import Response, request

from gis import idempotency as stored
from gis.errors import IdempotencyKeyReused, InvalidParameter

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: the draft's value is a structured-field string: printable ASCII, quoted (bare accepted too)
_KEY = re.compile(r'^"?([\x21\x23-\x7e]{1,255})"?$')


def request_key() -> str | None:
    """The request's key, None without one; InvalidParameter for one that is not a key."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    match = _KEY.match(value.strip())
    if match is None:
        raise InvalidParameter(f"{HEADER}: 1 to 255 printable ASCII characters, such as a "
                               "UUID (quotes around it allowed)")
    return match.group(1)


def fingerprint(sender: str) -> str:
    """What makes two requests the same: sender, method, path, query, form and files."""
    digest = hashlib.sha256()
    for part in (sender, request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(f"{name}={value}".encode() + b"\0")
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        upload.stream.seek(0)  # from the start, whoever read it before
        content = upload.stream.read()
        upload.stream.seek(0)
        digest.update(f"{name}:{upload.filename}:".encode()
                      + hashlib.sha256(content).digest() + b"\0")
    return digest.hexdigest()


def first_answer(cur, key: str, sender: str) -> Response | None:
    """Claim ``key`` in ``cur``'s transaction (None: do the work, then ``keep`` the answer), or
    the first request's answer again."""
    mine = fingerprint(sender)
    found = stored.claim(cur, key, mine)
    if found is None:
        return None
    if found.fingerprint != mine:
        raise IdempotencyKeyReused(f"{HEADER} {key!r} was used for another request; send a new "
                                   "key with each new request")
    return Response(found.body, status=found.status, content_type=found.content_type,
                    headers={REPLAYED_HEADER: "true"})


def keep(cur, key: str, response: Response) -> None:
    """``response`` is the answer to every repeat of the request that claimed ``key``."""
    stored.keep(cur, key, response.status_code, response.content_type, response.get_data())
