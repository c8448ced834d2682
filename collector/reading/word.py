"""Read a Word return (.docx) as the same sheets of cells a workbook gives, so one reader reads both.

Each Word table becomes a ``WordSheet``: a grid of rows × columns with its merged cells (``gridSpan``
across, ``vMerge`` down: the text in the first cell, the rest empty, the range in ``merged``), each
cell's paragraphs joined by line breaks. The paragraphs above the table (the title, the header line
填报单位：… 填报日期：…) come first, one row each, the way a workbook has them above its table; the
paragraphs after the last table come last. A table split over two pages — two tables one after the
other, with only empty paragraphs (or 续表) between them, the second perhaps repeating the header
row — is read as one.

What units tick in Word is turned into the marks ``forms.values`` knows: a checkbox content control
(``w14:checkbox``) and a legacy form-field checkbox become ☒ / ☐; symbols in Wingdings, Wingdings 2
and Symbol (inserted as ``w:sym``, or typed in such a font, where they show as ``R`` ``£`` ``þ``)
become ☑ ☐ √ … Deleted text (tracked changes) and field codes are left out.

Positions are said in Word's terms: ``表1 第5行第4列`` (the table as Word counts them, its row, and the
cell within that row as one sees it), ``表1上方第2段`` for a paragraph above a table.

The file is untrusted: the same caps as a workbook (size, unpacked size, zip members), and its XML is
parsed with defusedxml (no DTD, no entities).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..errors import TooLarge, UnreadableWorkbook, UnsafeXML
from .workbook import (
    MAX_COLS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_MEMBERS,
    Sheet,
    Workbook,
    read_capped,
)

WORD_SUFFIXES = (".docx", ".docm")

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_DOCUMENT = "word/document.xml"

# tags
_P, _TBL, _TR, _TC, _R, _T = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}r", f"{_W}t"
_SDT, _SDT_CONTENT, _SDT_PR = f"{_W}sdt", f"{_W}sdtContent", f"{_W}sdtPr"
_VAL = f"{_W}val"
#: containers whose content is read as if it were not wrapped
_TRANSPARENT = frozenset(f"{_W}{t}" for t in ("hyperlink", "smartTag", "customXml", "ins", "moveTo", "fldSimple",
                                                "dir", "bdo", "sdtContent"))
#: deleted text, moved-away text, and what is not text
_SKIPPED = frozenset(f"{_W}{t}" for t in ("del", "moveFrom", "pPr", "rPr", "tcPr", "trPr", "tblPr", "sdtPr",
                                            "sdtEndPr", "proofErr", "bookmarkStart", "bookmarkEnd"))

CHECKED_MARK = "☒"
UNCHECKED_MARK = "☐"

#: what the symbol fonts' characters look like (code point as Word stores it, without the F000 offset)
_SYMBOL_FONTS: dict[str, dict[int, str]] = {
    "wingdings": {0xFE: "☑", 0xFD: "☒", 0x78: "☒", 0xFB: "✗", 0xFC: "√", 0xA8: "☐", 0x6F: "☐", 0x71: "☐",
                  0x72: "☐", 0x6E: "■", 0x6C: "●", 0xA1: "○"},
    "wingdings 2": {0x52: "☑", 0x51: "☒", 0x53: "☒", 0x54: "☒", 0x4F: "✗", 0x50: "√", 0xA3: "☐", 0x99: "○",
                    0x9E: "●", 0xA2: "☐"},
    "symbol": {0xD6: "√", 0xB4: "×", 0xA8: "♣"},
}
_SYMBOL_FONTS["wingdings 3"] = {}
_FONT_ATTRS = tuple(f"{_W}{a}" for a in ("ascii", "hAnsi", "eastAsia", "cs"))
_PRIVATE_USE = re.compile("[\uf000-\uf0ff]")
#: paragraphs between two tables that do not end the table: a split table's 续表 line
_CONTINUATION = frozenset({"", "续表", "(续表)", "（续表）", "续上表", "(续)", "（续）", "续"})


@dataclass
class WordSheet(Sheet):
    """A Word table (with the paragraphs around it) as a sheet; addresses in Word's terms."""

    #: per row of the sheet: ("table", table number, row in that table) or ("above"/"below", table number, paragraph)
    places: list[tuple[str, int, int]] = field(default_factory=list)
    #: per row of the sheet: grid column → the cell's number within its Word row (1-based)
    cell_numbers: list[dict[int, int]] = field(default_factory=list)

    def address(self, row: int, col: int) -> str:
        if row >= len(self.places):
            return f"{self.name} 第{row + 1}行第{col + 1}列"
        kind, table, number = self.places[row]
        if kind == "above":
            return f"表{table}上方第{number}段"
        if kind == "below":
            return f"表{table}下方第{number}段"
        cell = self.cell_numbers[row].get(col, col + 1)
        return f"表{table} 第{number}行第{cell}列"


# ---------------------------------------------------------------------------------------------
# text of paragraphs and cells


def _fonts(run: Element) -> str | None:
    """The symbol font a run is set in, if it is one (lower case), else None."""
    rpr = run.find(f"{_W}rPr")
    fonts = rpr.find(f"{_W}rFonts") if rpr is not None else None
    if fonts is None:
        return None
    for attr in _FONT_ATTRS:
        name = (fonts.get(attr) or "").strip().lower()
        if name in _SYMBOL_FONTS:
            return name
    return None


def _symbol(font: str | None, code: int) -> str | None:
    """The mark a symbol font's character stands for; None when it is not one we know."""
    low = code - 0xF000 if 0xF000 <= code <= 0xF0FF else code
    if font in _SYMBOL_FONTS:
        return _SYMBOL_FONTS[font].get(low)
    if 0xF000 <= code <= 0xF0FF:  # a private-use symbol of an unnamed font: Wingdings' is the common one
        return _SYMBOL_FONTS["wingdings"].get(low) or _SYMBOL_FONTS["wingdings 2"].get(low)
    return None


def _on(element: Element | None, default: bool = True) -> bool:
    """A Word on/off property: present means on unless its val says 0/false/off."""
    if element is None:
        return False
    value = element.get(_VAL, element.get(f"{_W14}val"))
    if value is None:
        return default
    return value.strip().lower() not in ("0", "false", "off")


def _checkbox(sdt_pr: Element | None) -> str | None:
    """☒ / ☐ for a checkbox content control, None for any other control."""
    if sdt_pr is None:
        return None
    box = sdt_pr.find(f"{_W14}checkbox")
    if box is None:
        return None
    return CHECKED_MARK if _on(box.find(f"{_W14}checked"), default=True) else UNCHECKED_MARK


def _form_checkbox(fld_char: Element) -> str | None:
    """☒ / ☐ for a legacy form-field checkbox (FORMCHECKBOX, as .doc files have them)."""
    box = fld_char.find(f"{_W}ffData/{_W}checkBox")
    if box is None:
        return None
    checked = box.find(f"{_W}checked")
    if checked is not None:
        return CHECKED_MARK if _on(checked) else UNCHECKED_MARK
    return CHECKED_MARK if _on(box.find(f"{_W}default"), default=False) else UNCHECKED_MARK


def _run_text(run: Element, out: list[str]) -> None:
    font = _fonts(run)
    for child in run:
        tag = child.tag
        if tag == _T:
            text = child.text or ""
            if font is not None or _PRIVATE_USE.search(text):
                text = "".join(_symbol(font, ord(ch)) or ch for ch in text)
            out.append(text)
        elif tag == f"{_W}tab" or tag == f"{_W}ptab":
            out.append("\t")
        elif tag == f"{_W}br" or tag == f"{_W}cr":
            out.append("\n")
        elif tag == f"{_W}sym":
            try:
                code = int(child.get(f"{_W}char") or "", 16)
            except ValueError:
                continue
            font_name = (child.get(f"{_W}font") or "").strip().lower()
            out.append(_symbol(font_name, code) or (chr(code) if code < 0xE000 else ""))
        elif tag == f"{_W}noBreakHyphen":
            out.append("-")
        elif tag == f"{_W}fldChar":
            mark = _form_checkbox(child)
            if mark:
                out.append(mark)
        # w:instrText (field codes), w:delText, drawings: not text a person reads in the cell


def _inline_text(element: Element, out: list[str]) -> None:
    """The text of a paragraph's content, in order."""
    for child in element:
        tag = child.tag
        if tag == _R:
            _run_text(child, out)
        elif tag == _SDT:
            mark = _checkbox(child.find(_SDT_PR))
            if mark is not None:
                out.append(mark)
            else:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    _inline_text(content, out)
        elif tag in _TRANSPARENT:
            _inline_text(child, out)
        elif tag == f"{_MC}AlternateContent":
            continue
        elif tag in _SKIPPED:
            continue


def paragraph_text(paragraph: Element) -> str:
    out: list[str] = []
    _inline_text(paragraph, out)
    return "".join(out)


_PLAIN = {_T: None, f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}tab": "\t"}
#: what only the careful walk reads right: ticks, fields, moved or boxed text, symbol fonts
_SPECIAL = (b"<w:sym", b"w14:checkbox", b"<w:fldChar", b"<w:instrText", b"<w:moveFrom", b"AlternateContent",
            b"txbxContent", b"Wingdings", b"Symbol", b"noBreakHyphen", b"<w:ptab", b"\xef\x80", b"\xef\x81",
            b"\xef\x82", b"\xef\x83", b"<w:del ", b"<w:del>")
_W_PREFIX = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _plain_paragraph_text(paragraph: Element) -> str:
    """The text of a paragraph with nothing special in it (see ``_SPECIAL``): the C iterator, no walk."""
    out = []
    for element in paragraph.iter():
        tag = element.tag
        if tag in _PLAIN:
            out.append(_PLAIN[tag] or element.text or "")
    return "".join(out)


def _is_plain(xml: bytes) -> bool:
    """Whether the document has nothing the careful walk is needed for (most returns: typed text only)."""
    return _W_PREFIX in xml[:4096] and not any(marker in xml for marker in _SPECIAL)


def _blocks(container: Element) -> Iterator[Element]:
    """Paragraphs and tables of a body or cell, in order, through block-level content controls."""
    for child in container:
        tag = child.tag
        if tag == _P or tag == _TBL:
            yield child
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)
        elif tag == f"{_W}customXml":
            yield from _blocks(child)


def _cell_text(cell: Element, text_of=paragraph_text) -> str:  # type: ignore[no-untyped-def]
    """A cell's paragraphs joined by line breaks (a table inside the cell: its cells' text, line by line)."""
    lines: list[str] = []
    for block in _blocks(cell):
        if block.tag == _P:
            lines.append(text_of(block))
        else:
            for row in _rows(block):
                for inner in _cells_of(row):
                    text = _cell_text(inner, text_of)
                    if text:
                        lines.append(text)
    return "\n".join(lines).strip("\n")


def _children(parent: Element, tag: str) -> Iterator[Element]:
    """The ``tag`` children (rows of a table, cells of a row), also those inside content controls."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == _SDT or child.tag == f"{_W}customXml":
            content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
            if content is not None:
                yield from _children(content, tag)


def _rows(table: Element) -> Iterator[Element]:
    return _children(table, _TR)


def _cells_of(row: Element) -> Iterator[Element]:
    return _children(row, _TC)


def _int_val(element: Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return max(0, int(element.get(_VAL) or default))
    except ValueError:
        return default


# ---------------------------------------------------------------------------------------------
# tables as grids


@dataclass
class _Grid:
    """One Word table laid on a grid."""

    number: int  # the table's number in the document (1-based)
    rows: list[list[Any]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    cell_numbers: list[dict[int, int]]


def _grid(table: Element, number: int, text_of=paragraph_text) -> _Grid:  # type: ignore[no-untyped-def]
    rows: list[list[Any]] = []
    cell_numbers: list[dict[int, int]] = []
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    open_down: dict[int, tuple[int, int]] = {}  # grid column → (first row, span) of a vertical merge going on
    vertical: dict[tuple[int, int], list[int]] = {}  # (first row, column) → [last row, span]
    for r, tr in enumerate(_rows(table)):
        if r >= MAX_ROWS:
            break
        tr_pr = tr.find(f"{_W}trPr")
        col = _int_val(tr_pr.find(f"{_W}gridBefore"), 0) if tr_pr is not None else 0
        row: list[Any] = [None] * col
        numbers: dict[int, int] = {}
        continued: set[int] = set()
        for k, tc in enumerate(_cells_of(tr), start=1):
            tc_pr = tc.find(f"{_W}tcPr")
            span = _int_val(tc_pr.find(f"{_W}gridSpan"), 1) if tc_pr is not None else 1
            span = max(1, span)
            v_merge = tc_pr.find(f"{_W}vMerge") if tc_pr is not None else None
            hmerge = tc_pr.find(f"{_W}hMerge") if tc_pr is not None else None
            for c in range(col, col + span):
                numbers[c] = k
            if hmerge is not None and (hmerge.get(_VAL) or "continue") != "restart" and col > 0:
                # the old way of merging across: a continuing cell of the one on its left
                row.extend([None] * span)
                numbers.update({c: numbers.get(col - 1, k) for c in range(col, col + span)})
                _widen(merged, r, col - 1, col + span - 1)
                col += span
                continue
            if v_merge is not None and (v_merge.get(_VAL) or "continue") != "restart" and col in open_down:
                first, first_span = open_down[col]
                vertical[(first, col)][0] = r
                continued.add(col)
                row.extend([None] * span)
                col += span
                continue
            row.append(_cell_text(tc, text_of))
            row.extend([None] * (span - 1))
            if span > 1:
                merged.append(((r, col), (r, col + span - 1)))
            if v_merge is not None:  # restart
                open_down[col] = (r, span)
                vertical[(r, col)] = [r, span]
                continued.add(col)
            col += span
        for c in [c for c in open_down if c not in continued]:
            del open_down[c]
        rows.append(row[:MAX_COLS])
        cell_numbers.append(numbers)
    for (first, col), (last, span) in vertical.items():
        if last > first:
            # the vertical range replaces the horizontal one of its first row
            if span > 1 and ((first, col), (first, col + span - 1)) in merged:
                merged.remove(((first, col), (first, col + span - 1)))
            merged.append(((first, col), (last, col + span - 1)))
    return _Grid(number, rows, merged, cell_numbers)


def _widen(merged: list[tuple[tuple[int, int], tuple[int, int]]], row: int, start: int, end: int) -> None:
    for i, ((r0, c0), (r1, c1)) in enumerate(merged):
        if r0 == r1 == row and c0 <= start <= c1:
            merged[i] = ((r0, c0), (r1, max(c1, end)))
            return
    merged.append(((row, start), (row, end)))


def _row_key(row: list[Any]) -> tuple[str, ...]:
    return tuple("".join(str(v).split()) for v in row if v)


# ---------------------------------------------------------------------------------------------
# the document as sheets


def _parse_xml(xml: bytes) -> Element:
    """Parse a part of the document, expanding no entity.

    An entity can only be declared in a DTD. A part in an ASCII-compatible encoding (UTF-8, as Word
    writes them) without ``<!DOCTYPE`` and ``<!ENTITY`` has none, and is parsed by the C parser
    (three times faster than defusedxml's pure-Python one; a return is read in a few milliseconds);
    anything else — a DTD, UTF-16 — goes to defusedxml, which refuses a DTD outright."""
    head = xml[:4]
    if b"\0" not in head and head[:1] in (b"<", b"\xef", b" ", b"\n", b"\r", b"\t") \
            and b"<!DOCTYPE" not in xml and b"<!ENTITY" not in xml:
        return ET.fromstring(xml)
    return SafeET.fromstring(xml, forbid_dtd=True)


def document_sheets(xml: bytes) -> list[WordSheet]:
    """The sheets of a document's ``word/document.xml``: one per table (a split table is one)."""
    try:
        root = _parse_xml(xml)
    except DefusedXmlException as exc:
        raise UnsafeXML("文件中含有不安全的 XML 声明（DTD/实体），可能是恶意文件，未读取。") from exc
    except SafeET.ParseError as exc:
        raise UnreadableWorkbook("Word 文档内容已损坏，无法读取。请对方用 Word 或 WPS 另存为 .docx 后重新发送。") from exc
    text_of = _plain_paragraph_text if _is_plain(xml) else paragraph_text
    body = root.find(f"{_W}body")
    if body is None:
        raise UnreadableWorkbook("这不是 Word 文档（找不到正文），无法作为统计表读取。")
    # group: paragraphs above, then one or more tables joined by nothing but empty paragraphs
    groups: list[tuple[list[str], list[_Grid]]] = []
    pending: list[str] = []  # paragraphs since the last table
    tables = 0
    for block in _blocks(body):
        if block.tag == _P:
            pending.append(text_of(block))
            continue
        tables += 1
        grid = _grid(block, tables, text_of)
        if groups and all("".join(t.split()) in _CONTINUATION for t in pending):
            groups[-1][1].append(grid)  # the same table, continued on the next page
        else:
            groups.append((pending, [grid]))
        pending = []
    trailing = pending
    if not groups:
        return [_paragraph_sheet(trailing)]
    sheets = []
    for i, (above, grids) in enumerate(groups):
        below = trailing if i == len(groups) - 1 else []
        sheets.append(_sheet(above, grids, below))
    return sheets


def _sheet(above: list[str], grids: list[_Grid], below: list[str]) -> WordSheet:
    first = grids[0].number
    name = f"表{first}" if len(grids) == 1 else f"表{first}-{grids[-1].number}"
    rows: list[list[Any]] = []
    places: list[tuple[str, int, int]] = []
    numbers: list[dict[int, int]] = []
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for n, text in enumerate(above, start=1):
        if text.strip():
            rows.append([text])
            places.append(("above", first, n))
            numbers.append({})
    header: tuple[str, ...] | None = None
    for g, grid in enumerate(grids):
        skip = 0
        if g == 0:
            header = _row_key(grid.rows[0]) if grid.rows else None
        elif grid.rows and header and _row_key(grid.rows[0]) == header:
            skip = 1  # the header row repeated on the next page
        offset = len(rows) - skip
        for r in range(skip, len(grid.rows)):
            rows.append(grid.rows[r])
            places.append(("table", grid.number, r + 1))
            numbers.append(grid.cell_numbers[r])
        for (r0, c0), (r1, c1) in grid.merged:
            if r0 >= skip:
                merged.append(((r0 + offset, c0), (r1 + offset, c1)))
    last = grids[-1].number
    for n, text in enumerate(below, start=1):
        if text.strip():
            rows.append([text])
            places.append(("below", last, n))
            numbers.append({})
    return WordSheet(name=name, rows=rows[:MAX_ROWS], merged=merged, places=places, cell_numbers=numbers)


def _paragraph_sheet(paragraphs: list[str]) -> WordSheet:
    rows, places = [], []
    for n, text in enumerate(paragraphs, start=1):
        if text.strip():
            rows.append([text])
            places.append(("above", 1, n))
    return WordSheet(name="正文", rows=rows[:MAX_ROWS], places=places, cell_numbers=[{} for _ in rows])


# ---------------------------------------------------------------------------------------------
# opening a file


def check_zip_caps(data: bytes) -> zipfile.ZipFile:
    """The zip of these bytes, refused when over the caps (unpacked size, members) before anything unpacks it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook("文件不完整或已损坏（可能没有传完），无法打开。请对方重新发送。") from exc
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise TooLarge("文件解压后过大（超过 200 MB）或内含文件过多，不像统计表，可能是恶意文件，未读取。")
    return archive


def read_document_xml(data: bytes) -> bytes:
    """``word/document.xml`` of a .docx's bytes, after the zip caps; ReturnError when it cannot be had."""
    archive = check_zip_caps(data)
    if _DOCUMENT not in archive.NameToInfo:
        raise UnreadableWorkbook("这不是 Word 文档（.docx），无法作为统计表读取。")
    try:
        return archive.read(_DOCUMENT)  # zipfile stops at the declared size, and checks the CRC
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableWorkbook("文件不完整或已损坏（可能没有传完），无法打开。请对方重新发送。") from exc


def is_docx(data: bytes) -> bool:
    """Whether these bytes look like a Word document (a zip naming ``word/document.xml``, not a workbook);
    ``read_document_xml`` makes sure."""
    return data.startswith(b"PK\x03\x04") and _DOCUMENT.encode() in data and b"xl/workbook." not in data


def open_docx(path: Path, data: bytes | None = None) -> Workbook:
    """Read a Word return into sheets (one per table), or raise a ReturnError saying why not.

    ``data``: the file's bytes, when the caller has read them already."""
    path = Path(path)
    data = read_capped(path, data)
    if not data.startswith(b"PK\x03\x04"):
        raise UnreadableWorkbook("这不是 Word 文档（.docx），或文件已损坏，无法作为统计表读取。")
    sheets: list[Sheet] = list(document_sheets(read_document_xml(data)))
    return Workbook(path=path, sheets=sheets)
