"""CSV cells that a spreadsheet cannot take for formulas (CSV injection, OWASP).

A text cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip
before reading one) gets a leading single quote: Excel and LibreOffice then show it as text.
Numbers stay numbers, and so does text that is just a number ("-42", "+3.5").
"""
from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutral_cell(value):
    """``value`` as a CSV cell no spreadsheet will evaluate (only text is ever changed)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its text cells neutral (numeric columns untouched)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutral_cell)
    return frame
