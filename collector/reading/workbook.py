"""Open a returned file safely and hand back its cells with their addresses.

Returns come from outside, so before anything parses them: the file's size is capped, a zip's
unpacked size and member count are capped (zip bombs), XML parts that declare a DTD or entities are
refused, encrypted workbooks are recognised. Cell values are read with python-calamine (fast, and it
reads .xlsx, .xlsm and legacy .xls alike); the template's metadata (docProps/custom.xml) is parsed
with defusedxml.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from python_calamine import CalamineWorkbook

from ..errors import EmptyFile, PasswordProtected, TooLarge, UnreadableWorkbook, UnsafeStructure, UnsafeXML
from .bounds import check_biff, check_ooxml, refuse_dtd

#: a returned statistics table is tens of kilobytes; anything above this is not one
MAX_FILE_BYTES = 20 * 1024 * 1024
#: what an .xlsx may unpack to
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
#: rows and columns of a sheet looked at (a table is a few dozen rows)
MAX_ROWS = 2000
MAX_COLS = 60

#: taken in as returns; .xlsb is answered (sent back, asked for as .xlsx), not read
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb")

_ZIP_MAGIC = b"PK\x03\x04"
#: the first bytes of a compound file: a legacy .xls (or .doc), or an encrypted .xlsx
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_ADDRESS = re.compile(r"([A-Z]{1,3})([1-9]\d{0,6})")


def column_letter(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_address(sheet: str, row: int, col: int) -> str:
    """``统计表!D7`` for row 6, column 3 (0-based)."""
    return f"{sheet}!{column_letter(col)}{row + 1}"


def parse_address(address: str) -> tuple[int, int] | None:
    """``E7`` (or ``统计表!$E$7``) → (6, 4), 0-based row and column; None when it is not a cell address."""
    m = _ADDRESS.fullmatch(address.rsplit("!", 1)[-1].replace("$", "").upper())
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def cell_text(value: Any) -> str:
    """A cell's value as the text a person sees."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Sheet:
    """One worksheet: its rows from A1 (0-based), and its merged ranges."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

    def text(self, row: int, col: int) -> str:
        if row < len(self.rows) and col < len(self.rows[row]):
            return cell_text(self.rows[row][col])
        return ""

    def address(self, row: int, col: int) -> str:
        return cell_address(self.name, row, col)


@dataclass
class Workbook:
    """The sheets of a returned file, and the template metadata if it came from our own blank form."""

    path: Path
    sheets: list[Sheet]
    properties: dict[str, str] = field(default_factory=dict)


def _check_zip(data: bytes, path: Path) -> dict[str, str]:
    """Refuse zip bombs and XML entity tricks; return the custom document properties."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook("文件不完整或已损坏（可能没有传完），无法打开。请对方重新发送。") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnsafeStructure(f"文件结构异常，无法安全读取：文件内部有 {len(members):,} 个部件（统计表只有十几个），"
                              "可能是恶意文件，未读取。")
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise TooLarge("文件解压后过大（超过 200 MB），不像统计表，可能是恶意文件，未读取。")
    names = {m.filename for m in members}
    workbook_part = _workbook_part(archive, names)
    if workbook_part is None:
        if "word/document.xml" in names:
            raise UnreadableWorkbook("这是 Word 文档，不是 Excel 表格文件。请对方把统计表用 Excel 或 WPS 表格填写后发送。")
        # not where it usually is: the reader may still find it (its sheets are bounded all the same,
        # every part under xl/worksheets/); if it cannot, the file is not a workbook
        workbook_part = "xl/workbook.xml"
    if workbook_part.endswith(".bin"):
        raise UnreadableWorkbook("这是 Excel 二进制工作簿（.xlsb），本程序不读取这种格式。"
                                 "请对方在 Excel 或 WPS 中另存为 .xlsx 后重新发送。")
    try:
        # Every part is parsed by calamine (quick-xml), which expands no DTD entity ("unrecognized
        # entity": an UnreadableWorkbook below), except docProps/custom.xml, parsed with defusedxml.
        # The workbook part is looked at too (by check_ooxml): a DTD where every reader starts marks a
        # crafted file.
        check_ooxml(archive, workbook_part, data)
        if "docProps/custom.xml" in names:
            custom = archive.read("docProps/custom.xml")
            refuse_dtd(custom)
            return _custom_properties(custom)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, UnsafeXML):
            raise
        raise UnreadableWorkbook("文件不完整或已损坏（可能没有传完），无法打开。请对方重新发送。") from exc
    return {}


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The workbook part: where the package's relationships say (``_rels/.rels``), else the usual place."""
    for usual in ("xl/workbook.xml", "xl/workbook.bin"):
        if usual in names:
            return usual
    try:
        with archive.open("_rels/.rels") as stream:
            root = SafeET.fromstring(stream.read(1 << 20))
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, EOFError, SafeET.ParseError, DefusedXmlException):
        return None
    for rel in root:
        if rel.get("Type", "").endswith("/officeDocument"):
            part = rel.get("Target", "").lstrip("/")
            if part in names and part.endswith((".xml", ".bin")) and not part.startswith("word/"):
                return part
    return None


def _custom_properties(xml: bytes) -> dict[str, str]:
    try:
        root = SafeET.fromstring(xml)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        raise UnsafeXML("文件的自定义属性含有不安全或错误的 XML，未读取。") from exc
    props: dict[str, str] = {}
    for prop in root.findall(f"{_CUSTOM_NS}property"):
        name = prop.get("name")
        if name and len(prop):
            props[name] = (prop[0].text or "").strip()
    return props


_FREE_SECTOR = 0xFFFFFFFF
_MAX_REGULAR_SECTOR = 0xFFFFFFFA


def compound_file_complete(stream: IO[bytes], size: int) -> bool:
    """Whether a compound file (.xls) is all there, by its own structure: the header's FAT sectors
    (listed in the header and the DIFAT chain) all inside the file, and every sector the FAT marks
    as used inside it too. A file still being written has its header and its first sectors, not
    the rest; whole 512-byte pieces say nothing. Reads the header and the FAT only."""
    stream.seek(0)
    header = stream.read(512)
    if len(header) < 512 or not header.startswith(OLE_MAGIC):
        return False
    shift = struct.unpack_from("<H", header, 30)[0]
    if shift not in (9, 12):
        return False
    sector = 1 << shift
    # sector n starts at (n + 1) * sector; a last sector cut short still counts as there
    present = max(0, -(-(size - sector) // sector))
    fat_count, first_difat, difat_count = (struct.unpack_from("<I", header, offset)[0] for offset in (44, 68, 72))
    if fat_count > present:
        return False
    fat_sectors = [n for n in struct.unpack_from("<109I", header, 76) if n != _FREE_SECTOR][:fat_count]
    per_sector = sector // 4
    next_difat = first_difat
    for _ in range(min(difat_count, present)):
        if len(fat_sectors) >= fat_count or next_difat >= present:
            break
        entries = _sector_ints(stream, next_difat, sector)
        if entries is None:
            return False
        fat_sectors += [n for n in entries[: per_sector - 1] if n != _FREE_SECTOR]
        next_difat = entries[-1]
    if len(fat_sectors) < fat_count or any(n >= present for n in fat_sectors[:fat_count]):
        return False
    used = -1
    for index, fat_sector in enumerate(fat_sectors[:fat_count]):
        entries = _sector_ints(stream, fat_sector, sector)
        if entries is None:
            return False
        for k in range(len(entries) - 1, -1, -1):
            if entries[k] != _FREE_SECTOR:
                used = max(used, index * per_sector + k)
                break
    return used < present


def _sector_ints(stream: IO[bytes], number: int, sector: int) -> tuple[int, ...] | None:
    stream.seek((number + 1) * sector)
    data = stream.read(sector)
    if len(data) < sector:
        return None
    return struct.unpack(f"<{sector // 4}I", data)


def _no_workbook(data: bytes) -> bool:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return _workbook_part(zipfile.ZipFile(io.BytesIO(data)), names) is None


_MACRO_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\b(?:\w+:)?id="([^"]+)"[^>]*/>')


def _without_macro_sheets(data: bytes) -> bytes:
    """The workbook with its Excel 4.0 macro sheets left out of its list of sheets: the reader refuses
    a whole workbook that has one ("Unrecognized sheet type"), and they hold no return."""
    if not data.startswith(_ZIP_MAGIC) or b"macrosheet" not in data and b"xl/macrosheets/" not in data:
        return data
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        macro = {rel.get("Id", "").encode() for rel in rels
                 if "macrosheet" in rel.get("Type", "").lower() or "macrosheets/" in rel.get("Target", "")}
        if not macro:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for member in archive.infolist():
                body = archive.read(member)
                if member.filename == "xl/workbook.xml":
                    body = _MACRO_SHEET.sub(lambda m: b"" if m.group(1) in macro else m.group(0), body)
                copy.writestr(member, body)
        return out.getvalue()
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, EOFError, SafeET.ParseError, DefusedXmlException):
        return data  # the reader says what is wrong


def os_error_text(exc: OSError) -> str:
    """What an operating-system error means, in words a clerk reads (the system's own are English)."""
    if isinstance(exc, FileNotFoundError):
        return "文件不存在（可能已被移走或改名）"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是文件"
    if isinstance(exc, PermissionError):
        return "没有权限读取（文件可能正在其他程序中打开）"
    return f"系统错误（{exc.errno}：{exc.strerror or exc}）"


def read_capped(path: Path, data: bytes | None) -> bytes:
    """A returned file's bytes (``data`` when read already), refused when empty or over the size cap."""
    try:
        size = path.stat().st_size if data is None else len(data)
        if size == 0:
            raise EmptyFile("文件是空的（0 字节），请对方重新发送。")
        if size > MAX_FILE_BYTES:
            raise TooLarge(f"文件过大（{size // (1024 * 1024)} MB），统计表不会这么大，未读取。")
        return path.read_bytes() if data is None else data
    except OSError as exc:
        raise UnreadableWorkbook(f"无法读取文件：{os_error_text(exc)}") from exc


def open_workbook(path: Path, data: bytes | None = None) -> Workbook:
    """Read a returned file into sheets of cell values, or raise a ReturnError saying why not.

    ``data``: the file's bytes, when the caller has read them already (ingest hashes what it reads)."""
    path = Path(path)
    data = read_capped(path, data)
    properties: dict[str, str] = {}
    if data.startswith(_ZIP_MAGIC):
        properties = _check_zip(data, path)
    elif data.startswith(OLE_MAGIC):
        if _ENCRYPTION_STREAM in data:
            raise PasswordProtected("文件设置了打开密码，无法读取。请对方取消密码后重新发送。")
        check_biff(data)  # an encrypted .xls is told here too (its FILEPASS record)
    else:
        raise UnreadableWorkbook("这不是 Excel 表格文件（.xlsx / .xls），无法作为统计表读取。")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(_without_macro_sheets(data)))
        sheets = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            # absolute positions from A1, so that addresses are the ones Excel shows
            rows = [r if len(r) <= MAX_COLS else r[:MAX_COLS]  # lists of their own already
                    for r in sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)]
            merged = list(sheet.merged_cell_ranges or [])
            sheets.append(Sheet(name=name, rows=rows, merged=merged))
    except Exception as exc:  # calamine raises its own error types; all mean the same to a clerk
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise PasswordProtected("文件设置了密码，无法读取。请对方取消密码后重新发送。") from exc
        if data.startswith(_ZIP_MAGIC) and "xl/workbook.xml" not in text and _no_workbook(data):
            raise UnreadableWorkbook("这不是 Excel 表格文件（压缩包里没有工作簿），无法作为统计表读取。") from exc
        raise UnreadableWorkbook("文件已损坏或格式不对，无法打开。请对方用 Excel 或 WPS 另存为 .xlsx 后重新发送。") from exc
    return Workbook(path=path, sheets=sheets, properties=properties)
