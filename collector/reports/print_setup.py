"""How every sheet we print is laid on paper: A4 landscape, fit to the width, titles on every page.

Written once for the blank templates, the 汇总表 and the long sheets, so that they print alike.
"""

from __future__ import annotations

from typing import Any

#: margins in inches; the footer (page numbers) sits inside the bottom margin, above the paper's edge
MARGIN_SIDE = 0.4
MARGIN_TOP = 0.6
MARGIN_BOTTOM = 0.7
FOOTER = 0.3
PAGE_NUMBERS = "第 &P 页，共 &N 页"


def a4_landscape(ws: Any, *, title_rows: str | None = None, print_area: str | None = None) -> None:
    """A4 landscape, one page wide and as many long as needed, page numbers in the footer.

    ``title_rows`` (``"1:4"``) repeat at the top of every page; ``print_area`` limits what prints.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    if print_area:
        ws.print_area = print_area
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE
    ws.page_margins.top = MARGIN_TOP
    ws.page_margins.bottom = MARGIN_BOTTOM
    ws.page_margins.header = ws.page_margins.footer = FOOTER
    ws.oddFooter.center.text = PAGE_NUMBERS
