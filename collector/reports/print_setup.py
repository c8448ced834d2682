"""How every sheet we print is laid on paper: A4 landscape, fit to the width, titles on every page.

Written once for the blank templates, the 汇总表 and the long sheets, so that they print alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: margins in inches; the footer (page numbers) sits inside the bottom margin, above the paper's edge
MARGIN_SIDE = 0.4
MARGIN_TOP = 0.6
MARGIN_BOTTOM = 0.7
FOOTER = 0.3
PAGE_NUMBERS = "第 &P 页，共 &N 页"
#: the printable width of an A4 landscape page between our margins, in pixels at 96 dpi and 100 %
PAGE_PIXELS = round((11.69 - 2 * MARGIN_SIDE) * 96)
#: the smallest print scale a table is fitted to before it takes one more page across (still readable)
MIN_SCALE = 0.75


def pages_across(widths: Sequence[float]) -> int:
    """How many A4 landscape pages a table of these column widths (in characters) needs across to print
    at ``MIN_SCALE`` or larger: one for a narrow table, more for one with a column per blank."""
    pixels = sum(round(width * 7 + 5) for width in widths)  # Excel's width: 7 px a character, 5 px padding
    return max(1, math.ceil(pixels * MIN_SCALE / PAGE_PIXELS))


def a4_landscape(ws: Any, *, title_rows: str | None = None, title_cols: str | None = None,
                 print_area: str | None = None, pages_wide: int = 1) -> None:
    """A4 landscape, ``pages_wide`` pages wide (one unless said) and as many long as needed, page
    numbers in the footer.

    ``title_rows`` (``"1:4"``) repeat at the top of every page and ``title_cols`` (``"A:B"``) at the left
    of every page across; ``print_area`` limits what prints. A table more than a page wide prints its
    pages across first, so that a row's pages follow one another.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if pages_wide > 1:
        ws.page_setup.pageOrder = "overThenDown"
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    if print_area:
        ws.print_area = print_area
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE
    ws.page_margins.top = MARGIN_TOP
    ws.page_margins.bottom = MARGIN_BOTTOM
    ws.page_margins.header = ws.page_margins.footer = FOOTER
    ws.oddFooter.center.text = PAGE_NUMBERS
