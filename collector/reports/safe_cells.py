"""Write what units wrote as data, never as a formula — and say how much room a text takes.

A unit's text that begins with ``=``, ``+``, ``-`` or ``@`` would become a formula in Excel (or in a
CSV opened by Excel): a unit could make the clerk's report compute, link or run something. In the
workbooks we write, such text is stored as a plain string cell (openpyxl turns a str starting with
``=`` into a formula unless told otherwise); in CSV it gets a leading apostrophe, which Excel shows
as text (the OWASP advice for CSV injection).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from openpyxl.cell.cell import Cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: openpyxl refuses characters XML cannot hold; a unit's text may carry them
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Excel holds at most this many characters in a cell
MAX_CELL_CHARS = 32767


def clean_text(text: str) -> str:
    """Text a cell can hold: no control characters, not longer than Excel allows."""
    text = _ILLEGAL.sub("", text)  # a regex: str.translate is 5× slower on 10,000s of names
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def set_text(cell: Cell, text: str) -> None:
    """Put ``text`` in ``cell`` as a string, whatever it starts with."""
    cell.value = clean_text(text)
    cell.data_type = "s"


def set_value(cell: Cell, value: Any) -> None:
    """Numbers as numbers, everything else as text (never a formula)."""
    if value is None or isinstance(value, bool):
        cell.value = None if value is None else ("是" if value else "否")
        return
    if isinstance(value, (int, float)):
        cell.value = value
        return
    set_text(cell, str(value))


def printed_lines(text: str, width: float) -> int:
    """How many printed lines ``text`` needs in a wrapped cell ``width`` characters wide. Excel does
    not size wrapped rows in files we write, so row heights are estimated from this."""
    if not text:
        return 1
    usable = int(max(1.0, width - 1.5))
    lines = 0
    for paragraph in text.split("\n"):
        # a Chinese character is about two widths of a Latin one
        units = sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in paragraph)
        lines += max(1, -(-int(units + 0.999) // usable))
    return lines


def csv_safe(value: Any) -> Any:
    """A value for a CSV cell that Excel will not read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
