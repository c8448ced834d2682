"""Read a Word 97-2003 document (.doc, and WPS's .wps, which is the same format) for its text and tables.

LibreOffice converts most .doc files faithfully, but not all: documents written by some programs
carry their tables only in the paragraph properties Word itself reads (in-table, row-end marks), and
LibreOffice turns such a table into run-on paragraphs. This reader reads the format directly, as
[MS-DOC] describes it: the text through the piece table (``Clx``), each paragraph's properties
through the ``PlcBtePapx`` pages (``sprmPFInTable``, ``sprmPFTtp``, ``sprmPItap``), and each run's
through ``PlcBteChpx`` (``sprmCSymbol``: a symbol-font tick inserted with Insert ▸ Symbol). Cells end
with ``\\x07``, a row with a ``\\x07`` in a row-end paragraph; field codes (``\\x13`` code ``\\x14``
result ``\\x15``) keep their result only. It gives the same sheets ``word`` gives for a .docx.

The file is untrusted: it is capped in size before this runs, olefile parses the container, and
every offset read from the file is checked against what is there; anything out of bounds is a
damaged file (one line, never a traceback).
"""

from __future__ import annotations

import io
import struct
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import olefile

from ..errors import PasswordProtected, UnreadableWorkbook
from .word import CHECKED_MARK, UNCHECKED_MARK, WordSheet, _Grid, _sheet, _symbol
from .workbook import MAX_COLS, MAX_ROWS, Workbook

_SPRM_IN_TABLE = 0x2416
_SPRM_TTP = 0x2417
_SPRM_ITAP = 0x6649
_SPRM_INNER_TTP = 0x244C
_SPRM_SYMBOL = 0x6A09
_CP_FC_MASK = 0x3FFFFFFF


class _Damaged(Exception):
    """An offset or length in the file points outside it."""


class NeedsConversion(Exception):
    """The document holds what this reader does not read (form-field checkboxes): LibreOffice must."""


def _u16(data: bytes, at: int) -> int:
    if at < 0 or at + 2 > len(data):
        raise _Damaged
    return struct.unpack_from("<H", data, at)[0]


def _u32(data: bytes, at: int) -> int:
    if at < 0 or at + 4 > len(data):
        raise _Damaged
    return struct.unpack_from("<I", data, at)[0]


@lru_cache(maxsize=1024)  # the same few property sets recur on every paragraph and run
def _sprms(grpprl: bytes) -> dict[int, bytes]:
    """A grpprl's sprms and their operands (the last of a repeated sprm wins)."""
    out: dict[int, bytes] = {}
    i = 0
    while i + 2 <= len(grpprl):
        sprm = _u16(grpprl, i)
        i += 2
        spra = sprm >> 13
        if spra in (0, 1):
            size = 1
        elif spra in (2, 4, 5):
            size = 2
        elif spra == 3:
            size = 4
        elif spra == 7:
            size = 3
        else:  # variable: a size byte (two for sprmTDefTable and sprmPChgTabs' long form)
            if i >= len(grpprl):
                break
            if sprm == 0xD608:  # sprmTDefTable: a two-byte size, one more than what follows it
                size = _u16(grpprl, i) - 1 + 2
            else:
                size = grpprl[i] + 1
            out[sprm] = grpprl[i : i + size]
            i += size
            continue
        out[sprm] = grpprl[i : i + size]
        i += size
    return out


@dataclass
class _Doc:
    text: str
    cp_fc: list[tuple[int, int, int, bool]]  # (cp start, cp end, fc, compressed)
    papx: list[tuple[int, int, bytes]]  # (fc start, fc end, grpprl)
    chpx: list[tuple[int, int, bytes]]
    data: bytes = b""  # the Data stream (form fields' state)


def _fkp_runs(word: bytes, table: bytes, fc_plc: int, lcb_plc: int, paragraphs: bool) -> list[tuple[int, int, bytes]]:
    """The FC ranges of a PlcBtePapx / PlcBteChpx and each one's properties (a grpprl)."""
    if lcb_plc < 8 or fc_plc + lcb_plc > len(table):
        return []
    n = (lcb_plc - 4) // 8
    runs = []
    for k in range(n):
        pn = _u32(table, fc_plc + 4 * (n + 1) + 4 * k) & 0x3FFFFF
        page = word[pn * 512 : pn * 512 + 512]
        if len(page) < 512:
            raise _Damaged
        crun = page[511]
        for j in range(crun):
            start, end = _u32(page, 4 * j), _u32(page, 4 * (j + 1))
            if paragraphs:
                offset = page[4 * (crun + 1) + 13 * j] * 2
                if offset == 0:
                    runs.append((start, end, b""))
                    continue
                cb = page[offset]
                if cb == 0:
                    size, at = 2 * page[offset + 1], offset + 2
                else:
                    size, at = 2 * cb - 1, offset + 1
                grpprl = page[at + 2 : at + size]  # after istd
            else:
                offset = page[4 * (crun + 1) + j] * 2
                if offset == 0:
                    runs.append((start, end, b""))
                    continue
                grpprl = page[offset + 1 : offset + 1 + page[offset]]
            runs.append((start, end, bytes(grpprl)))
    return runs


def _parse(data: bytes) -> _Doc:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, IndexError, struct.error) as exc:
        raise UnreadableWorkbook("文件不完整或已损坏（可能没有传完），无法打开。请对方重新发送。") from exc
    with ole:
        if ole.exists("EncryptionInfo"):
            raise PasswordProtected("文件设置了打开密码，无法读取。请对方取消密码后重新发送。")
        if not ole.exists("WordDocument"):
            raise UnreadableWorkbook("这不是 Word 文档（.doc），无法作为统计表读取。")
        word = ole.openstream("WordDocument").read()
        flags = _u16(word, 0x0A)
        if flags & 0x0100:  # fEncrypted
            raise PasswordProtected("文件设置了打开密码，无法读取。请对方取消密码后重新发送。")
        name = "1Table" if flags & 0x0200 else "0Table"
        if not ole.exists(name):
            raise _Damaged
        table = ole.openstream(name).read()
        data_stream = ole.openstream("Data").read() if ole.exists("Data") else b""
    at = 0x20
    csw = _u16(word, at)
    at += 2 + 2 * csw
    cslw = _u16(word, at)
    ccp_text = _u32(word, at + 2 + 4 * 3)
    at += 2 + 4 * cslw
    cb_fclcb = _u16(word, at)
    fclcb = at + 2

    def pair(index: int) -> tuple[int, int]:
        if index >= cb_fclcb:
            return 0, 0
        return _u32(word, fclcb + 8 * index), _u32(word, fclcb + 8 * index + 4)

    fc_clx, lcb_clx = pair(33)
    clx = table[fc_clx : fc_clx + lcb_clx]
    i = 0
    while i < len(clx) and clx[i] == 1:  # Prc: property modifiers, skipped
        i += 3 + _u16(clx, i + 1)
    if i >= len(clx) or clx[i] != 2:
        raise _Damaged
    lcb = _u32(clx, i + 1)
    plc = clx[i + 5 : i + 5 + lcb]
    n = (len(plc) - 4) // 12
    pieces: list[tuple[int, int, int, bool]] = []
    parts: list[str] = []
    for k in range(n):
        cp0, cp1 = _u32(plc, 4 * k), _u32(plc, 4 * (k + 1))
        fc = _u32(plc, 4 * (n + 1) + 8 * k + 2)
        compressed = bool(fc & 0x40000000)
        fc &= _CP_FC_MASK
        count = max(0, cp1 - cp0)
        if compressed:
            fc //= 2
            raw = word[fc : fc + count]
            parts.append(raw.decode("cp1252", errors="replace"))
        else:
            raw = word[fc : fc + 2 * count]
            parts.append(raw.decode("utf-16-le", errors="replace"))
        if len(raw) < (count if compressed else 2 * count):
            raise _Damaged
        pieces.append((cp0, cp1, fc, compressed))
    text = "".join(parts)[:ccp_text]
    fc_papx, lcb_papx = pair(13)
    fc_chpx, lcb_chpx = pair(12)
    return _Doc(text, pieces, _fkp_runs(word, table, fc_papx, lcb_papx, True),
                _fkp_runs(word, table, fc_chpx, lcb_chpx, False), data_stream)


def _fc_of(doc: _Doc, cp: int) -> int:
    for cp0, cp1, fc, compressed in doc.cp_fc:
        if cp0 <= cp < cp1:
            return fc + (cp - cp0) * (1 if compressed else 2)
    return -1


def _lookup(runs: list[tuple[int, int, bytes]], starts: list[int], fc: int) -> dict[int, bytes]:
    k = bisect_right(starts, fc) - 1
    if 0 <= k < len(runs) and runs[k][0] <= fc < runs[k][1]:
        return _sprms(runs[k][2])
    return {}


def _clean(doc: _Doc) -> tuple[str, list[int]]:
    """The text with field codes dropped and specials turned into what a reader sees; each char's cp."""
    chp_starts = [r[0] for r in doc.chpx]
    out: list[str] = []
    cps: list[int] = []
    depth: list[bool] = []  # per open field: still in its code part
    code: list[str] = []
    box: str | None = None  # a form-field checkbox's state, said where its field ends
    for cp, ch in enumerate(doc.text):
        if ch == "\x13":
            depth.append(True)
            continue
        if ch in "\x14\x15":
            if "FORMCHECKBOX" in "".join(code).upper() and box is None:
                raise NeedsConversion  # a checkbox whose state could not be found
            code.clear()
            if depth and ch == "\x14":
                depth[-1] = False
            elif depth:
                depth.pop()
            if ch == "\x15" and box is not None:
                out.append(box)
                cps.append(cp)
                box = None
            continue
        if any(depth):
            code.append(ch)
            if ch == "\x01" and "FORMCHECKBOX" in "".join(code).upper():
                box = _form_checkbox(doc, cp, chp_starts)
            continue
        if ch == "(" or 0xF000 <= ord(ch) <= 0xF0FF:
            sprms = _lookup(doc.chpx, chp_starts, _fc_of(doc, cp)) if doc.chpx else {}
            symbol = sprms.get(_SPRM_SYMBOL)
            if symbol is not None and len(symbol) >= 4:
                code = struct.unpack_from("<H", symbol, 2)[0]
                ch = _symbol(None, code if code >= 0xF000 else code + 0xF000) or ""
            elif ch != "(":
                ch = _symbol(None, ord(ch)) or ""
        elif ch in "\x0b\x0c\x0e":
            ch = "\n"
        elif ch == "\x1e":
            ch = "-"
        elif ch in "\x01\x02\x03\x04\x05\x08\x1f":
            continue
        out.append(ch)
        cps.append(cp)
    return "".join(out), cps


def _form_checkbox(doc: _Doc, cp: int, chp_starts: list[int]) -> str | None:
    """☒ / ☐ for a FORMCHECKBOX field: its FFData in the Data stream (sprmCPicLocation), None if not found."""
    location = _lookup(doc.chpx, chp_starts, _fc_of(doc, cp)).get(0x6A03)
    if location is None or len(location) != 4:
        return None
    try:
        at = struct.unpack_from("<I", location)[0]
        header = _u16(doc.data, at + 4)
        at += header
        if _u32(doc.data, at) != 0xFFFFFFFF:
            return None
        bits = _u16(doc.data, at + 4)
        if bits & 3 != 1:  # not a checkbox
            return None
        state = (bits >> 2) & 0x1F
        if state == 25:  # "the default": wDef, after cch, hps and the name
            name_length = _u16(doc.data, at + 10)
            state = _u16(doc.data, at + 12 + 2 * name_length + 2)
    except (_Damaged, struct.error):
        return None
    return CHECKED_MARK if state else UNCHECKED_MARK


def document_sheets(data: bytes) -> list[WordSheet]:
    """The sheets of a .doc's bytes: one per table (with the paragraphs around it), as ``word`` gives them."""
    try:
        doc = _parse(data)
        text, cps = _clean(doc)
        pap_starts = [r[0] for r in doc.papx]
        # paragraphs: (text, in table, row end); a paragraph ends with \r, or \x07 in a table
        # text, in table, ends a cell, and for a row end its cells' vertical merges (else None)
        blocks: list[tuple[str, bool, bool, list[int] | None]] = []
        piece: list[str] = []
        for ch, cp in zip(text, cps):
            if ch not in "\r\x07":
                piece.append(ch)
                continue
            sprms = _lookup(doc.papx, pap_starts, _fc_of(doc, cp))
            in_table = sprms.get(_SPRM_IN_TABLE, b"\0")[:1] != b"\0" or _itap(sprms) > 0
            row_end = sprms.get(_SPRM_TTP, b"\0")[:1] != b"\0" or sprms.get(_SPRM_INNER_TTP, b"\0")[:1] != b"\0"
            blocks.append(("".join(piece), in_table or row_end, ch == "\x07", _vertical_merges(sprms) if row_end else None))
            piece = []
        if piece:
            blocks.append(("".join(piece), False, False, None))
    except (_Damaged, struct.error, IndexError, OSError, ValueError) as exc:
        if isinstance(exc, PasswordProtected | UnreadableWorkbook):
            raise
        raise UnreadableWorkbook("Word 文档已损坏，无法读取。请对方用 Word 或 WPS 另存为 .docx 后重新发送。") from exc
    return _sheets(blocks)


def _itap(sprms: dict[int, bytes]) -> int:
    value = sprms.get(_SPRM_ITAP)
    return struct.unpack_from("<i", value)[0] if value is not None and len(value) == 4 else 0


def _vertical_merges(sprms: dict[int, bytes]) -> list[int]:
    """Each cell's vertical merge (0 none, 1 continues the cell above, 3 starts one) from the row's
    sprmTDefTable (TC80.tcgrf bits 5-6); empty when the row does not say."""
    operand = sprms.get(0xD608)
    if operand is None or len(operand) < 3:
        return []
    count = operand[2]
    at = 3 + 2 * (count + 1)
    merges = []
    for k in range(count):
        if at + 20 * k + 2 > len(operand):
            break
        merges.append((struct.unpack_from("<H", operand, at + 20 * k)[0] >> 5) & 3)
    return merges


def _merged_grid(number: int, rows: list[list[str | None]], merges: list[list[int]]) -> _Grid:
    """A table's grid with its vertically merged cells: the text in the first, the rest None."""
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    open_at: dict[int, int] = {}  # column -> the row its merge started on
    for r, flags in enumerate(merges):
        for c in range(len(rows[r])):
            flag = flags[c] if c < len(flags) else 0
            if flag == 1 and c in open_at:
                rows[r][c] = None
                continue
            start = open_at.pop(c, None)
            if start is not None and r - 1 > start:
                merged.append(((start, c), (r - 1, c)))
            if flag == 3:
                open_at[c] = r
    for c, start in open_at.items():
        if len(rows) - 1 > start:
            merged.append(((start, c), (len(rows) - 1, c)))
    return _Grid(number, rows, merged, [{c: c + 1 for c in range(len(r))} for r in rows])


def _sheets(blocks: list[tuple[str, bool, bool, list[int] | None]]) -> list[WordSheet]:
    groups: list[tuple[list[str], list[_Grid]]] = []
    pending: list[str] = []
    rows: list[list[str | None]] = []
    merges: list[list[int]] = []
    row: list[str | None] = []
    cell: list[str] = []
    tables = 0

    def close_table() -> None:
        nonlocal rows, merges, tables
        if not rows:
            return
        tables += 1
        grid = _merged_grid(tables, [r[:MAX_COLS] for r in rows[:MAX_ROWS]], merges[:MAX_ROWS])
        if groups and all("".join(t.split()) in ("", "续表", "（续表）", "(续表)") for t in pending):
            groups[-1][1].append(grid)
        else:
            groups.append((pending[:], [grid]))
        pending.clear()
        rows, merges = [], []

    for text, in_table, ends_cell, row_merges in blocks:
        if not in_table:
            close_table()
            pending.append(text)
            continue
        if row_merges is not None:
            rows.append(row)
            merges.append(row_merges)
            row, cell = [], []
            continue
        cell.append(text)
        if ends_cell:
            row.append("\n".join(cell).strip("\n"))
            cell = []
    close_table()
    if not groups:
        return [_sheet_of_paragraphs(pending)]
    sheets = []
    for i, (above, grids) in enumerate(groups):
        sheets.append(_sheet(above, grids, pending if i == len(groups) - 1 else []))
    return sheets


def _sheet_of_paragraphs(paragraphs: list[str]) -> WordSheet:
    kept = [(n, t) for n, t in enumerate(paragraphs, start=1) if t.strip()]
    return WordSheet(name="正文", rows=[[t] for _n, t in kept][:MAX_ROWS], places=[("above", 1, n) for n, _t in kept],
                     cell_numbers=[{} for _ in kept])


def is_word_binary(data: bytes) -> bool:
    """An OLE file with a WordDocument stream (.doc, .wps, .dot), told apart from an .xls by its directory."""
    return data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and "WordDocument".encode("utf-16-le") in data


def open_doc(path: Path, data: bytes) -> Workbook:
    """The sheets of a Word 97-2003 document's bytes (already size-capped by the caller)."""
    return Workbook(path=Path(path), sheets=list(document_sheets(data)))
