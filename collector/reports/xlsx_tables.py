"""Long plain tables (明细, 校验问题, 报送情况) streamed into a workbook openpyxl has written.

openpyxl spends about 5 µs on every cell it writes; the 明细 sheet of 10,000 units has close to a
million. So openpyxl writes such a sheet with its heading row only (styles, widths, frozen panes,
filter, print setup), and after it has saved the file, the rows are streamed into that sheet's XML
as plain cells — numbers as numbers, every text as an inline string (never a formula), a date-time
as Excel's serial number in the style openpyxl gave its column (``column_dimensions[…].number_format``).
The rest of the workbook stays exactly as openpyxl wrote it.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET

from ..inbox.workspace import staged_file
from ..reading.workbook import column_letter
from .safe_cells import clean_text

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class TableRows:
    """Rows to stream under the heading row of the sheet ``sheet``; ``foot`` lines after a gap."""

    sheet: str
    rows: Iterable[Sequence[Any]]
    foot: Sequence[str] = ()

    def by_column(self) -> list[Sequence[Any]]:
        return list(zip_longest(*self.rows))


@dataclass
class TableColumns:
    """A table given column by column, as a DataFrame holds it (no turning it into rows and back)."""

    sheet: str
    columns: list[Sequence[Any]]  # of equal length
    foot: Sequence[str] = ()

    def by_column(self) -> list[Sequence[Any]]:
        return self.columns


Table = TableRows | TableColumns


def _text_body(text: str) -> str:
    """A text cell after its reference: an inline string (never a formula)."""
    text = escape(clean_text(text))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell_body(value: Any) -> str:
    """One cell after its reference (``<c r="B7"`` + this); "" for an empty cell."""
    kind = type(value)
    if kind is int:
        return f"><v>{value}</v></c>"
    if kind is float:
        if value != value:  # NaN is no number to print
            return ""
        return f"><v>{int(value) if value.is_integer() else value!r}</v></c>"
    if value is None or value == "":
        return ""
    if kind is bool:
        return _text_body("是" if value else "否")
    if isinstance(value, (int, float)):  # numpy numbers
        return _cell_body(value.item() if hasattr(value, "item") else float(value))
    return _text_body(str(value))


class _Bodies(dict[Any, str]):
    """Cells after their reference, by value: the same few words recur down a column (是/否,
    regions, the forms of a launch) and are rendered once."""

    def __missing__(self, value: Any) -> str:
        body = self[value] = _cell_body(value)
        return body


#: day 0 of Excel's 1900 date system, as Excel counts (with its 29 February 1900)
_EXCEL_EPOCH = datetime(1899, 12, 30).toordinal()


def _datetime_body(value: datetime, styled: str) -> str:
    """A date-time as Excel's serial number (days since day 0, the time as a fraction), to the second."""
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return f"{styled}><v>{value.toordinal() - _EXCEL_EPOCH + seconds / 86400!r}</v></c>"


def _column_xml(letter: str, values: Sequence[Any], numbers: Sequence[str], style: str | None = None) -> list[str]:
    """The cells of a column, ``numbers`` its row numbers; ``style``: the column's style, which a
    date-time takes (a date-time without one shows as a bare number)."""
    if any(type(v) is datetime for v in values):
        styled = f' s="{style}"' if style else ""
        bodies = [_datetime_body(v, styled) if type(v) is datetime else _cell_body(v) for v in values]
        return [f'<c r="{letter}{n}"{body}' if body else "" for n, body in zip(numbers, bodies)]
    try:
        bodies = list(map(_Bodies().__getitem__, values))
    except TypeError:  # an unhashable value: each rendered as it comes
        bodies = list(map(_cell_body, values))
    return [f'<c r="{letter}{n}"{body}' if body else "" for n, body in zip(numbers, bodies)]


def _rows_xml(table: Table, first_row: int, styles: dict[int, str] | None = None) -> tuple[list[str], int, int, int]:
    """The <row> elements, the last data row, the last row (with the foot) and the widest row.

    This runs for close to a million cells for 10,000 units. A column of whole numbers only (the
    counts) goes into a row template, filled with one ``str.format`` per row; any other column is
    rendered cell by cell first.
    """
    columns = table.by_column()
    height = len(columns[0]) if columns else 0
    numbers = [str(n) for n in range(first_row, first_row + height)]
    template = ['<row r="{0}">']  # {0}: the row number; {i + 1}: column i's number or rendered cell
    fills = []
    for i, column in enumerate(columns):
        letter = column_letter(i)
        if set(map(type, column)) == {int}:
            template.append(f'<c r="{letter}{{0}}"><v>{{{i + 1}}}</v></c>')
            fills.append(column)
        else:
            template.append(f"{{{i + 1}}}")
            fills.append(_column_xml(letter, column, numbers, (styles or {}).get(i + 1)))
    row = "".join(template) + "</row>"
    parts = [row.format(n, *cells) for n, cells in zip(numbers, zip(*fills))]
    data_last = row_no = first_row + height - 1
    if table.foot:
        row_no += 1
        for line in table.foot:
            row_no += 1
            parts.append(f'<row r="{row_no}"><c r="A{row_no}"{_text_body(line)}</row>')
    return parts, data_last, row_no, len(columns) if height else 0  # no rows: no width


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part inside the package (xl/worksheets/sheetN.xml)."""
    book = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets[sheet.get(f"{_NS_REL}id")]
        target = target.lstrip("/")
        parts[sheet.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _column_styles(xml: str) -> dict[int, str]:
    """Column number (1-based) → the style openpyxl gave it (``<col … style="1" min="5" max="5"/>``)."""
    styles = {}
    for col in re.findall(r"<col [^>]*>", xml.split("<sheetData", 1)[0]):
        style = re.search(r'style="(\d+)"', col)
        low, high = re.search(r'min="(\d+)"', col), re.search(r'max="(\d+)"', col)
        if style and low and high:
            for n in range(int(low.group(1)), int(high.group(1)) + 1):
                styles[n] = style.group(1)
    return styles


def _splice(xml: str, table: Table) -> str:
    """Put the rows after the heading row openpyxl wrote, and fix the sheet's extent.

    The extent is fixed in the XML before and after the rows: the rows are most of the sheet."""
    heading_rows = max((int(n) for n in re.findall(r'<row r="(\d+)"', xml)), default=0)
    rows, data_last, last_row, widest = _rows_xml(table, heading_rows + 1, _column_styles(xml))
    if "<sheetData/>" in xml:
        head, tail = xml.split("<sheetData/>", 1)
        head, tail = head + "<sheetData>", "</sheetData>" + tail
    else:
        head, tail = xml.split("</sheetData>", 1)
        tail = "</sheetData>" + tail
    last_col = column_letter(max(widest, 1) - 1)
    head = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{last_col}{max(last_row, 1)}"', head, count=1)
    tail = re.sub(
        r'<autoFilter ref="([A-Z]+)(\d+):([A-Z]+)\d+"',
        lambda m: f'<autoFilter ref="{m.group(1)}{m.group(2)}:{m.group(3)}{max(data_last, int(m.group(2)))}"',
        tail,
        count=1,
    )
    return "".join([head, *rows, tail])


def save_workbook(workbook: Any, path: Path) -> None:
    """An openpyxl workbook saved to ``path``. Made in memory, then written in one go: openpyxl's own
    save leaves its zip open when the disk refuses (full, read-only), and Python later prints that
    error with a traceback."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    Path(path).write_bytes(buffer.getvalue())


def stream_rows(path: Path, tables: Sequence[Table]) -> None:
    """Rewrite the saved workbook at ``path`` with ``tables`` streamed into their sheets."""
    wanted = {t.sheet: t for t in tables}
    with staged_file(path.parent, ".xlsx") as tmp:
        with (
            zipfile.ZipFile(path) as source,
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target,
            # one thread compresses and writes the parts in order while this one renders the next
            # sheet: zlib lets go of the GIL, so the second core does the compressing
            ThreadPoolExecutor(max_workers=1) as writer,
        ):
            parts = {part: wanted[name] for name, part in _sheet_parts(source).items() if name in wanted}
            written = []
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename in parts:
                    data = _splice(data.decode("utf-8"), parts[info.filename]).encode("utf-8")
                written.append(writer.submit(
                    target.writestr, info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1))
            for done in written:
                done.result()  # a write that failed raises here
        shutil.copymode(path, tmp)  # the rewritten file keeps the original's permissions
        tmp.replace(path)
