"""A file's column names as field names: what a published layer calls a column, and how a
later file's columns find the fields again."""
from __future__ import annotations

import re
import unicodedata

# ELOT 743, simplified: a Greek column name as a Latin identifier
GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω",
                 ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o",
                  "p", "r", "s", "s", "t", "y", "f", "ch", "ps", "o"], strict=True))


def field_name(column: str) -> str:
    """A column's name as a field's: lower case, Greek transliterated, other signs as ``_``
    ("Ισχύς (W)" is ischys_w)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", column.lower())
                    if unicodedata.category(c) != "Mn")
    latin = "".join(GREEK.get(c, c) for c in plain)
    name = re.sub(r"[^a-z0-9]+", "_", latin).strip("_")
    return f"f_{name}" if name[:1].isdigit() else name
