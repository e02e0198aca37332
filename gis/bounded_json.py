"""JSON from clients we do not trust, parsed within bounds: size, nesting depth, finite numbers.

The standard library's parser recurses once per nesting level: ``[[[[…`` a hundred thousand
deep raises ``RecursionError`` (not ``ValueError``), and ``1e999``, ``NaN`` and ``Infinity``
come back as floats no column accepts. Everything a client sends is read through
``loads`` first, which turns each of these into one ``ValueError`` subclass saying what was
wrong, before any other code sees the value.
"""
from __future__ import annotations

import json
import math
import re

#: strings (with their escapes) hold no structure: they are skipped when depth is measured
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = str.maketrans({c: None for c in map(chr, range(128)) if c not in "[]{}"})


class JsonRefused(ValueError):
    """The text is not JSON we accept; the message says why (safe to show the sender)."""


def _depth(text: str, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``text``, counted up to ``limit + 1``."""
    depth = deepest = 0
    # only the brackets outside strings are left, so the loop is as long as the structure
    for bracket in _STRING.sub("", text).translate(_BRACKETS):
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:20]} is too large")
    return value


def _no_constant(name: str):
    raise JsonRefused(f"{name} is not a number JSON allows")


def loads(data: bytes | str, *, max_bytes: int, max_depth: int, what: str = "payload"):
    """The value of JSON ``data`` of at most ``max_bytes`` (UTF-8) nested at most
    ``max_depth`` deep, with finite numbers only; ``JsonRefused`` naming ``what`` otherwise."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > max_bytes:
        raise JsonRefused(f"{what}: {size} bytes; at most {max_bytes}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused(f"{what}: not UTF-8 text") from None
    if _depth(data, max_depth) > max_depth:
        raise JsonRefused(f"{what}: nested more than {max_depth} levels deep")
    try:
        return json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except JsonRefused as exc:
        raise JsonRefused(f"{what}: {exc}") from None
    except ValueError:  # JSONDecodeError, and integers past Python's 4,300 digits
        raise JsonRefused(f"{what}: not JSON") from None
