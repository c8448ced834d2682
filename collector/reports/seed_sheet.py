"""Write a form's table the way the seed prints it, with something written in every blank.

Used for the consolidated report's 汇总表 (totals in the blanks) and for filled returns made by
``collect demo``, the tests and the benchmarks (a unit's values in the blanks). Because the layout
is the seed's, what this writes reads back through ``reader`` like any unit's return — which is
how a consolidated table travels one level up.

Layout: title; the header (one merged row of ``label：value`` pairs); the column heads; one row per
activity with the section merged down the left, the 活动项目 and 内容要求 cells, and the progress
lines in one cell separated by line breaks; notes under the table. A4 landscape, fit to width,
title and column heads repeated on every page.

Printed (``paginate``, the consolidated report): the pages break between activities, never inside
one; a section that runs over a page break is merged on each page apart with its name in each part,
so every printed page says which section its rows belong to; every page is numbered in the footer
(第 1 页，共 3 页). The breaks are worked out from the rows' own heights (each row's height is set,
so Excel, WPS and LibreOffice lay the page out the same).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..forms.model import BLANK_MARK, YESNO_MARK, Activity, Form, Line
from .print_setup import PAGE_NUMBERS
from .safe_cells import printed_lines, set_text

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="center", horizontal="left", indent=1)  # not flush with the border
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")

#: column widths in characters: section, 活动项目, 内容要求, 进展情况
WIDTHS = (12, 18, 46, 64)
#: top and bottom page margins (inches); the page header and footer sit inside them
_MARGIN_TB = 0.75
_HEAD_FOOT = 0.3
#: the printable height of an A4 landscape page between those margins, in points; the table is
#: 140 characters wide (about 750 pt), within the 770 pt between the side margins, so fitting it
#: to the page's width does not shrink it
PAGE_HEIGHT = 595.3 - 2 * _MARGIN_TB * 72
_HEAD_ROW_HEIGHT = 20


def format_number(value: Any) -> str:
    """12 → "12"; 85.25 → "85.3"; None → " " (the blank stays empty)."""
    if value is None:
        return " "
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def fill_line(line: Line, fills: Sequence[str | None], yesno: str | None = None, yesno_note: str = "") -> str:
    """A progress sentence with ``fills`` in its blanks (full-width brackets) and its 是/否 ticked.

    ``fills`` holds the text for each fill-in blank in order (None leaves it empty); ``yesno`` is
    "是", "否" or None for the line's question; ``yesno_note`` goes right after the boxes.
    """
    pieces = line.text.split(BLANK_MARK)
    out = [pieces[0]]
    for piece, fill in zip(pieces[1:], list(fills) + [None] * (len(pieces) - 1 - len(fills))):
        out.append(f"（{fill if fill not in (None, '') else ' '}）")
        out.append(piece)
    text = "".join(out)
    if YESNO_MARK in text:
        boxes = {"是": "☑是 □否", "否": "□是 ☑否"}.get(yesno or "", YESNO_MARK)
        text = text.replace(YESNO_MARK, boxes + yesno_note)
    return text


def _row_height(texts: Sequence[tuple[str, int]]) -> float:
    """The height the tallest of these (text, column width) cells needs."""
    return min(409, 16 * max(printed_lines(text, width) for text, width in texts) + 6)


def write_seed_sheet(
    ws: Worksheet,
    form: Form,
    header: dict[str, str],
    progress: Callable[[Activity], list[str]],
    notes: Sequence[str] = (),
    *,
    paginate: bool = False,
) -> dict[int, int]:
    """Write the table into ``ws``; ``progress(activity)`` gives its lines as they should read.

    ``paginate``: break the printed pages between activities, restate the section on each page and
    number the pages (see the module docstring).

    Returns the row (1-based) of each activity by its index in ``form.activities``.
    """
    width = len(WIDTHS)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    set_text(ws.cell(1, 1), form.title)
    ws.cell(1, 1).font = Font(name="宋体", size=16, bold=True)
    ws.cell(1, 1).alignment = _CENTER
    ws.row_dimensions[1].height = 30

    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    parts = [f"{label}：{header.get(label) or ''}" for label in form.header]
    set_text(ws.cell(2, 1), "　　".join(parts))
    ws.cell(2, 1).alignment = Alignment(vertical="center", horizontal="left")
    ws.row_dimensions[2].height = 22

    # the section column has no head in the seeds
    heads = ["", *form.columns[-3:]]
    for col, head in enumerate(heads, start=1):
        cell = ws.cell(3, col)
        if head:
            set_text(cell, head)
        cell.font = Font(bold=True)
        cell.alignment = _CENTER
        cell.border = _BOX
    ws.row_dimensions[3].height = _HEAD_ROW_HEIGHT

    row = 4
    rows: dict[int, int] = {}
    index = 0
    # the page being filled: how much of its height the activities on it take
    budget = (PAGE_HEIGHT - 30 - 22 - _HEAD_ROW_HEIGHT) * 0.95
    used = 0.0
    for section in form.sections:
        first = row
        parts = []  # (first row, last row) of the section on each page
        for activity in section.activities:
            lines = progress(activity)
            texts = [activity.seed_name, activity.requirement, "\n".join(lines)]
            for col, text in enumerate(texts, start=2):
                cell = ws.cell(row, col)
                set_text(cell, text)
                cell.alignment = _WRAP_TOP
                cell.border = _BOX
            height = _row_height(list(zip(texts, WIDTHS[1:])))
            ws.row_dimensions[row].height = height
            if paginate and used and used + height > budget:
                ws.row_breaks.append(Break(id=row - 1))
                used = 0.0
                if row > first:
                    parts.append((first, row - 1))
                    first = row
            used += height
            rows[index] = row
            index += 1
            row += 1
        parts.append((first, row - 1))
        for start, end in parts:
            section_cell = ws.cell(start, 1)
            set_text(section_cell, section.name)
            section_cell.alignment = _CENTER
            for r in range(start, end + 1):
                ws.cell(r, 1).border = _BOX
            if end > start:
                ws.merge_cells(start_row=start, start_column=1, end_row=end, end_column=1)

    for note in notes:
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        set_text(ws.cell(row, 1), note)
        ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = _row_height([(note, sum(WIDTHS))])

    for col, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + col)].width = w
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:3"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    if paginate:
        ws.page_margins.top = ws.page_margins.bottom = _MARGIN_TB
        ws.page_margins.header = ws.page_margins.footer = _HEAD_FOOT
        ws.oddFooter.center.text = PAGE_NUMBERS
    return rows
