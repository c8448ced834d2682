"""Bound a workbook before a reader builds its grid.

A reader (python-calamine) turns each sheet into a dense grid from its first to its last cell, and
each cell that uses a shared string into its own copy of the text. Two cells, A1 and XFD1048576, in a
1.8 KB file make it ask for 512 GiB and abort the process; one 1 MiB shared string used by 2,000
cells costs 4 GB. So before any reader sees a file, its sheets are walked cheaply — streamed through
expat with DTDs and entities refused, or the legacy format's records stepped over — and a file over
any of these bounds is refused (``UnsafeStructure``: 文件结构异常，无法安全读取):

* ``MAX_GRID_CELLS`` — the grid of one sheet, from A1 to its last row and last column that hold a
  value (a reader allocates it whole, ~32 bytes a cell). A real return is ~20 columns × ~80 rows,
  1,600 cells; the bound is 2,000,000 (~64 MB in the reader), more than 1,000 times that.
* ``MAX_CELLS`` — cells holding a value in the whole workbook: 500,000 (a real return: under 2,000).
* ``MAX_SHARED_TEXT`` — the text the cells copy out of the shared-string table: for every cell that
  uses a shared string, that string's size in bytes, summed: 50 MB. A real return copies its
  sentences, tens of KB at most.

The declared ``<dimension ref=…>`` of a sheet is read but not trusted: it can say anything, and the
reader does not allocate by it; what counts are the cells actually there.

Formats: .xlsx / .xlsm (sheet XML, shared strings); .xls (BIFF8 records in the compound file's Workbook stream: cell records and their rows and
columns; a legacy sheet is at most 65,536 × 256, and its shared-string table is not measured here —
what a crafted .xls could still cost is left to the memory limit of the process that reads it).
An .xls whose workbook stream starts with a FILEPASS record is encrypted: ``PasswordProtected``.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from xml.parsers import expat

from ..errors import PasswordProtected, UnsafeStructure, UnsafeXML

MAX_GRID_CELLS = 2_000_000
MAX_CELLS = 500_000
MAX_SHARED_TEXT = 50_000_000

_SHEET_TYPES = ("/worksheet", "/macrosheet", "/dialogsheet", "/xlMacrosheet", "/xlIntlMacrosheet")
_STREAM_CHUNK = 1 << 16


@dataclass
class _Tally:
    """What the sheets hold, counted as they are walked."""

    cells: int = 0
    shared_text: int = 0

    def sheet(self, name: str, last_row: int, last_col: int) -> None:
        """One sheet's extent (0-based, -1 when it holds nothing)."""
        if last_row < 0:
            return
        grid = (last_row + 1) * (last_col + 1)
        if grid > MAX_GRID_CELLS:
            raise UnsafeStructure(_refusal(
                f"工作表“{name}”的数据一直延伸到 {_address(last_row, last_col)}（{grid:,} 个单元格的范围），"
                f"统计表只有几十行几十列"))

    def counted(self) -> None:
        if self.cells > MAX_CELLS:
            raise UnsafeStructure(_refusal(f"含有数据的单元格超过 {MAX_CELLS:,} 个，统计表只有一两千个"))
        if self.shared_text > MAX_SHARED_TEXT:
            raise UnsafeStructure(_refusal(
                f"单元格引用的共享文字合计超过 {MAX_SHARED_TEXT // 1_000_000} MB（同一段长文字被大量单元格重复引用）"))


def _refusal(what: str) -> str:
    return f"文件结构异常，无法安全读取：{what}。请对方用 Excel 或 WPS 打开后另存为 .xlsx，再重新发送。"


def _address(row: int, col: int) -> str:
    letters, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _split_address(ref: bytes | str) -> tuple[int, int] | None:
    """``XFD1048576`` → (1048575, 16383); None when it is not an address."""
    col = i = 0
    n = len(ref)
    while i < n:
        ch = ref[i] if isinstance(ref, str) else chr(ref[i])
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            col = col * 26 + ord(ch) - 96
        elif ch != "$":
            break
        i += 1
    digits = ref[i:] if isinstance(ref, str) else ref[i:].decode("ascii", "replace")
    if not col or not digits.isdigit():
        return None
    return int(digits) - 1, col - 1


# ---------------------------------------------------------------------------------------------
# .xlsx / .xlsm


def check_ooxml(archive: zipfile.ZipFile, workbook_part: str, data: bytes | None = None) -> None:
    """Bound the sheets of an Office Open XML workbook (``workbook_part``: xl/workbook.xml, usually;
    ``data``: the file's bytes, if the archive was opened from them — its small parts are then
    unpacked straight from them, without zipfile's stream machinery).

    The sheet XML is scanned, not parsed: the start tags of cells and their shared-string indexes
    are found by regular expressions over the unpacked bytes (nothing in it is expanded or
    interpreted, so no XML trick applies); a large sheet is streamed. A sheet with a cell that has
    no ``r`` address (its place then follows from the one before) is walked with expat instead.
    ~0.1 ms for a real return (``benchmarks/bench_bounds.py``)."""
    members = _Members(archive, data)
    sheets, shared = _parts(members, workbook_part)
    tally = _Tally()
    lengths = array("Q")
    if shared is not None and shared in archive.NameToInfo and not _shared_text_is_small(archive, shared, sheets):
        lengths = _shared_sizes(archive, shared)
    for name, part in sheets:
        if part not in archive.NameToInfo:
            continue  # the reader says the file is damaged
        whole = members.read(part, _WHOLE_BYTES)
        if whole is not None:
            refuse_dtd(whole)
            if _scan_whole(whole, name, tally, lengths):
                continue
        if not _scan_sheet(archive, part, name, tally, lengths):
            _walk_sheet(archive, part, name, tally, lengths)


#: a part up to this size is unpacked whole and scanned at once (a real return's sheet: tens of KB)
_WHOLE_BYTES = 4 << 20


class _Members:
    """Parts of the archive, unpacked whole when small: straight from the file's bytes with zlib where
    they are at hand (stored or deflated, not encrypted), else by zipfile. The unpacked size is capped
    by what the zip declares, as zipfile caps it: a part that unpacks to more is cut there."""

    def __init__(self, archive: zipfile.ZipFile, data: bytes | None) -> None:
        self.archive = archive
        self.data = memoryview(data) if data is not None else None

    def read(self, part: str, cap: int) -> bytes | None:
        """The unpacked part, or None when it is larger than ``cap`` (or cannot be unpacked: the reader
        says the file is damaged). Raises KeyError when there is no such part."""
        info = self.archive.NameToInfo[part]
        if info.file_size > cap:
            return None
        try:
            if self.data is not None and not info.flag_bits & 0x1 and info.compress_type in (0, 8):
                raw = self._raw(info)
                if raw is not None:
                    if info.compress_type == 0:
                        return bytes(raw[: info.file_size])
                    return zlib.decompressobj(-15).decompress(raw, info.file_size)
            with self.archive.open(info) as stream:
                return stream.read(info.file_size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            return None

    def _raw(self, info: zipfile.ZipInfo) -> memoryview | None:
        assert self.data is not None
        start = info.header_offset
        header = self.data[start : start + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return None  # zipfile tells what is wrong
        name_len, extra_len = struct.unpack_from("<HH", header, 26)
        begin = start + 30 + name_len + extra_len
        return self.data[begin : begin + info.compress_size]


_DTD_REFUSAL = "文件中含有不安全的 XML 声明（DTD/实体），可能是恶意文件，未读取。"


def refuse_dtd(head: bytes) -> None:
    """UnsafeXML if a part's first 4 KB declare a DTD or an entity (where every reader starts)."""
    if head.find(b"<!", 0, 4096) >= 0 and any(head.find(mark, 0, 4096) >= 0 for mark in _DTD):
        raise UnsafeXML(_DTD_REFUSAL)


_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL_TAG = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
#: a cell's address (an ``r`` attribute of letters and digits: rows have digits only), and "/" when
#: the cell closes at once (formatted, no value: nothing for a reader). Each pattern starts from a
#: literal attribute, which keeps the scan at C speed.
#: (attributes apart by one space, as every office program writes them; any other cell tag is
#: counted by _CELL_TAG and not here, and its sheet is walked with expat)
_CELL = re.compile(rb' r="\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"[^>]*?(/?)>')
#: the fast path, for a sheet unpacked whole: every cell start tag in one pass, with its address when
#: the address comes first (as Excel, WPS, LibreOffice and openpyxl write it) — any other tag, or a
#: prefixed one (``:c ``, which a text may also hold), sends the sheet the careful way. Each pattern
#: starts with a literal, which keeps the scan at C speed (a character class there is five times slower).
#: (A cell's other attributes hold no "/": one that does is taken for a tag without an address.)
_CELL_START = re.compile(rb'<c(?: r="\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"[^>/]*(/?)>|[\s/>])')
_NO_ADDRESS = (b"", b"", b"")
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_SHARED_CELL = re.compile(rb' t="s"[^>]*>\s*<' + _PREFIX + rb"v>\s*([0-9]{1,10})\s*<")
_SI = re.compile(rb"<" + _PREFIX + rb"si[\s/>]")
_DTD = (b"<!DOCTYPE", b"<!ENTITY")


def _scan_whole(data: bytes, name: str, tally: _Tally, lengths: array) -> bool:
    """Bound one sheet unpacked whole, when every cell tag starts with its address; False otherwise
    (the sheet is then scanned the careful way)."""
    if _PREFIXED_CELL.search(data):
        return False
    cells = _CELL_START.findall(data)
    if _NO_ADDRESS in cells:
        return False
    valued = [(col, row) for col, row, closed in cells if not closed]
    last_row, last_col = _add_cells(data, valued, tally, lengths, -1, -1)
    tally.counted()
    tally.sheet(name, last_row, last_col)
    return True


def _add_cells(data: bytes, valued: list[tuple[bytes, bytes]], tally: _Tally, lengths: array,
               last_row: int, last_col: int) -> tuple[int, int]:
    """Count cells holding a value and the shared text they copy; the extent (0-based) with them."""
    if not valued:
        return last_row, last_col
    tally.cells += len(valued)
    cols, rows = zip(*valued)
    last_row = max(last_row, max(map(int, set(rows))) - 1)
    # column letters (1-3) order as their numbers do when the shorter come first
    widest = max({col.upper() for col in set(cols)}, key=lambda col: (len(col), col))
    last_col = max(last_col, _split_address(widest + b"1")[1])  # type: ignore[index]  # letters: an address
    _shared_uses(data, tally, lengths)
    return last_row, last_col


def _shared_uses(data: bytes, tally: _Tally, lengths: array) -> None:
    n_strings = len(lengths)
    if n_strings:  # else the shared text was bounded as a whole (or there is none)
        for index, uses in Counter(_SHARED_CELL.findall(data)).items():
            if int(index) < n_strings:
                tally.shared_text += lengths[int(index)] * uses


def _chunks(archive: zipfile.ZipFile, part: str):
    """The unpacked part in pieces that end after a ``>`` (a tag is never cut), the rest carried on."""
    carry = b""
    try:
        with archive.open(part) as stream:
            first = True
            while chunk := stream.read(_STREAM_CHUNK):
                data = carry + chunk
                if first:
                    refuse_dtd(data)
                first = False
                cut = data.rfind(b">") + 1
                carry = data[cut:]
                yield data[:cut]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        pass  # the reader says the file is damaged
    if carry:
        yield carry


def _scan_sheet(archive: zipfile.ZipFile, part: str, name: str, tally: _Tally, lengths: array) -> bool:
    """Bound one sheet by scanning its cells' start tags, streamed; False if a cell has no address."""
    last_row = last_col = -1
    for data in _chunks(archive, part):
        cells = _CELL.findall(data)
        if len(cells) != len(_CELL_TAG.findall(data)):
            return False  # a cell placed by the one before it, or an address the scan does not know
        valued = [(col, row) for col, row, empty in cells if not empty]
        last_row, last_col = _add_cells(data, valued, tally, lengths, last_row, last_col)
        tally.counted()
    tally.sheet(name, last_row, last_col)
    tally.counted()
    return True


def _shared_text_is_small(archive: zipfile.ZipFile, shared: str, sheets: list[tuple[str, str]]) -> bool:
    """Whether the text cells copy out of the shared strings cannot reach the cap whatever they use.

    Each use copies at most the whole table (its unpacked size), and each use takes a cell tag of at
    least ``<c r="A1" t="s"><v>0</v></c>`` in a sheet: the sizes the zip declares — which is all that
    zipfile and the reader unpack — bound the product. A real return is far below it, and its shared
    strings need not be measured one by one."""
    uses = sum(archive.NameToInfo[part].file_size for _name, part in sheets if part in archive.NameToInfo) // 30
    return archive.NameToInfo[shared].file_size * uses <= MAX_SHARED_TEXT


def _shared_sizes(archive: zipfile.ZipFile, part: str) -> array:
    """Each shared string's size in bytes, tags included (a little above its text: a safe bound)."""
    starts: list[int] = []
    offset = 0
    end = 0
    for data in _chunks(archive, part):
        starts += [offset + m.start() for m in _SI.finditer(data)]
        offset += len(data)
        end = offset
    sizes = array("Q", (b - a for a, b in zip(starts, starts[1:])))
    if starts:
        sizes.append(end - starts[-1])
    return sizes


_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet(?=[\s/>])([^>]*)>")
_REL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship(?=[\s/>])([^>]*)>")
_ATTR = re.compile(rb'\s(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"')


def _attrs(text: bytes) -> dict[str, str]:
    """The attributes of a start tag, prefixes dropped, entity references left as written."""
    return {m.group(2).decode("ascii", "replace"): m.group(3).decode("utf-8", "replace") for m in _ATTR.finditer(text)}


def _parts(members: _Members, workbook_part: str) -> tuple[list[tuple[str, str]], str | None]:
    """The sheet parts (the sheet's name, part) and the shared-string part, from the workbook's
    relationships; every part under xl/worksheets/, xl/macrosheets/ and xl/dialogsheets/ as well."""
    archive = members.archive
    folder = posixpath.dirname(workbook_part)
    rels = posixpath.join(folder, "_rels", posixpath.basename(workbook_part) + ".rels")
    sheets: dict[str, str] = {}  # part -> name
    shared = None
    try:
        workbook = _read_capped(members, workbook_part, 16 << 20)
        refuse_dtd(workbook)  # where every reader starts: a DTD there marks a crafted file
        relations = _read_capped(members, rels, 16 << 20)
        key = (workbook_part, workbook, relations)
        listed = _LISTED.get(key)
        if listed is None:
            listed = _listed(workbook, relations, folder)
            if len(_LISTED) < _LISTED_KEPT and len(workbook) + len(relations) <= _LISTED_BYTES:
                _LISTED[key] = listed
        sheets, shared = dict(listed[0]), listed[1]
    except (KeyError, ValueError, zipfile.BadZipFile, EOFError, OSError):
        pass
    for part in archive.NameToInfo:  # a sheet the relationships do not list is bounded all the same
        if part.startswith(("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")) and part.endswith(".xml"):
            sheets.setdefault(part, posixpath.basename(part))
    if shared is None and "xl/sharedStrings.xml" in archive.NameToInfo:
        shared = "xl/sharedStrings.xml"
    return [(name, part) for part, name in sheets.items()], shared


#: the sheets and shared strings a workbook part and its relationships list, by their very bytes:
#: the returns made from one blank repeat them, so each distinct pair is parsed once per process
_LISTED: dict[tuple[str, bytes, bytes], tuple[dict[str, str], str | None]] = {}
_LISTED_KEPT = 64
_LISTED_BYTES = 64 << 10


def _listed(workbook: bytes, relations: bytes, folder: str) -> tuple[dict[str, str], str | None]:
    names: dict[str, str] = {}  # relationship id -> the sheet's name, as the workbook lists them
    sheets: dict[str, str] = {}  # part -> name
    shared = None
    for tag in _SHEET_TAG.finditer(workbook):
        attrs = _attrs(tag.group(1))
        if "id" in attrs:
            names[attrs["id"]] = attrs.get("name", "")
    for tag in _REL_TAG.finditer(relations):
        attrs = _attrs(tag.group(1))
        kind, target = attrs.get("Type", ""), attrs.get("Target", "")
        if attrs.get("TargetMode") == "External" or not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if kind.endswith(_SHEET_TYPES):
            sheets[part] = names.get(attrs.get("Id", "")) or posixpath.basename(part)
        elif kind.endswith("/sharedStrings"):
            shared = part
    return sheets, shared


def _read_capped(members: _Members, name: str, cap: int) -> bytes:
    data = members.read(name, cap)
    if data is None:
        raise ValueError(name)
    return data


def _safe_parser() -> expat.XMLParserType:
    """An expat parser that refuses DTDs and entity declarations (what defusedxml does)."""
    parser = expat.ParserCreate()

    def refuse(*_args: object) -> None:
        raise UnsafeXML(_DTD_REFUSAL)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.buffer_text = True
    return parser


def _feed(parser: expat.XMLParserType, archive: zipfile.ZipFile, part: str) -> None:
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_STREAM_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        pass  # malformed XML: the reader says the file is damaged
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        pass  # likewise


def _local(tag: str) -> str:
    """A tag without its namespace: ``{uri}c`` (ElementTree) or ``x:c`` (expat) → ``c``."""
    return tag[max(tag.find(":"), tag.find("}")) + 1:]


def _walk_sheet(archive: zipfile.ZipFile, part: str, name: str, tally: _Tally, lengths: array) -> None:
    """Stream one sheet's XML: the cells holding a value, their extent, the shared text they copy."""
    parser = _safe_parser()
    # row and column of the cell being read (0-based), the last row and column with a value
    at = {"row": -1, "col": -1, "last_row": -1, "last_col": -1, "shared": False, "valued": False, "v": ""}
    n_strings = len(lengths)

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag[tag.find(":") + 1:]
        if local == "c":
            ref = attrs.get("r")
            place = _split_address(ref) if ref else None
            if place is None:
                at["col"] += 1
            else:
                at["row"], at["col"] = place
            at["shared"] = attrs.get("t") == "s"
            at["valued"] = False
        elif local == "v" or local == "is":
            if not at["valued"]:
                at["valued"] = True
                tally.cells += 1
                if at["row"] > at["last_row"]:
                    at["last_row"] = at["row"]
                if at["col"] > at["last_col"]:
                    at["last_col"] = at["col"]
            if local == "v" and at["shared"]:
                at["v"] = ""
                parser.CharacterDataHandler = text
        elif local == "row":
            r = attrs.get("r")
            at["row"] = int(r) - 1 if r and r.isdigit() else at["row"] + 1
            at["col"] = -1

    def text(data: str) -> None:
        at["v"] += data

    def end(tag: str) -> None:
        if parser.CharacterDataHandler is not None and tag[tag.find(":") + 1:] == "v":
            parser.CharacterDataHandler = None
            index = at["v"].strip()
            if index.isdigit() and int(index) < n_strings:
                tally.shared_text += lengths[int(index)]
        elif tag[tag.find(":") + 1:] == "sheetData":
            tally.counted()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(parser, archive, part)
    tally.sheet(name, at["last_row"], at["last_col"])
    tally.counted()


# ---------------------------------------------------------------------------------------------
# .xls: BIFF records in the compound file's Workbook stream

_BIFF_FILEPASS = 0x002F
_BIFF_BOF = 0x0809
#: cell records that start with row (u16) and column (u16); MULRK / MULBLANK name a column range
_BIFF_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0006, 0x0205, 0x0204, 0x00D6})
_BIFF_MULRK = 0x00BD


def check_biff(data: bytes) -> None:
    """Bound an .xls, and tell an encrypted one, from its Workbook stream (the file's bytes given)."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, struct.error, IndexError, RecursionError, MemoryError, NotImplementedError):
        return  # the reader says the file is damaged
    try:
        stream = next((name for name in ("Workbook", "Book") if ole.exists(name)), None)
        if stream is None:
            return
        try:
            book = ole.openstream(stream).read()
        except (OSError, ValueError, struct.error, IndexError, RecursionError, MemoryError):
            return
    finally:
        ole.close()
    _walk_biff(book)


def _walk_biff(book: bytes) -> None:
    tally = _Tally()
    pos, n = 0, len(book)
    substream = 0  # 1: the workbook globals (the first BOF); then one per sheet
    last_row = last_col = -1
    while pos + 4 <= n:
        kind, size = struct.unpack_from("<HH", book, pos)
        body = pos + 4
        pos = body + size
        if kind == _BIFF_FILEPASS and substream <= 1:
            raise PasswordProtected("文件设置了打开密码，无法读取。请对方取消密码后重新发送。")
        if kind == _BIFF_BOF:
            if last_row >= 0:
                tally.sheet(f"第 {substream - 1} 张", last_row, last_col)
            substream += 1
            last_row = last_col = -1
        elif kind in _BIFF_CELLS and size >= 4:
            row, col = struct.unpack_from("<HH", book, body)
            tally.cells += 1
            last_row, last_col = max(last_row, row), max(last_col, col)
        elif kind == _BIFF_MULRK and size >= 6:
            row, first = struct.unpack_from("<HH", book, body)
            last = struct.unpack_from("<H", book, body + size - 2)[0]
            tally.cells += max(0, last - first + 1)
            last_row, last_col = max(last_row, row), max(last_col, last)
    if last_row >= 0:
        tally.sheet(f"第 {substream - 1} 张", last_row, last_col)
    tally.counted()
