"""Open any returned file: a workbook, a Word document, or — through LibreOffice — the formats neither reads.

``open_return`` looks at the bytes, not only the name:

* a zip with ``word/document.xml`` (.docx, .docm) is read by ``word``; one with ``xl/workbook.xml``
  (.xlsx, .xlsm) by ``workbook``;
* an OLE file with a ``WordDocument`` stream (.doc, and WPS's .wps) is read by ``doc``; when it holds
  what that reader does not read (form-field checkboxes) or cannot be read by it, LibreOffice
  converts it to .docx;
* any other OLE file (.xls, WPS's .et) is read by ``workbook``; if that fails, LibreOffice converts it
  to .xlsx;
* OpenDocument files (.ods, .odt), and anything else named .et/.wps/.doc/.rtf, are converted by
  LibreOffice (.ods/.et → .xlsx, .odt/.wps/.doc/.rtf → .docx) and read as such.

LibreOffice is run headless with a throwaway profile of its own (so it never hands the file to a
LibreOffice the clerk has open, and never runs a macro: the profile sets the macro security to its
highest and disables macro execution), on a copy of the file under a fixed name in a temporary
folder (a file name never becomes a path or an argument), in a process group of its own that is
killed when the time limit passes. The same size caps hold before and after. Without LibreOffice the
file is answered with a Chinese sentence saying what to install.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from ..errors import (
    ConversionFailed,
    ConverterMissing,
    PasswordProtected,
    TooLarge,
    UnreadableWorkbook,
    UnsafeStructure,
)
from .doc import NeedsConversion, is_word_binary, open_doc
from .word import check_zip_caps, is_docx, open_docx
from .workbook import (
    MAX_FILE_BYTES,
    SPREADSHEET_SUFFIXES,
    Workbook,
    open_workbook,
    os_error_text,
    read_capped,
)

#: every suffix a return may have
RETURN_SUFFIXES = (*SPREADSHEET_SUFFIXES, ".docx", ".docm", ".doc", ".wps", ".et", ".ods", ".odt")
#: what LibreOffice converts each of them to
_TARGET = {".doc": "docx", ".wps": "docx", ".odt": "docx", ".rtf": "docx", ".et": "xlsx", ".ods": "xlsx",
           ".xls": "xlsx"}
#: seconds a conversion may take (a two-page table takes a few seconds, most of it LibreOffice starting);
#: below the time a reading child process is given in all, so that LibreOffice is stopped by us, not orphaned
CONVERT_TIMEOUT = float(os.environ.get("COLLECTOR_CONVERT_TIMEOUT", "") or 40)

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_INSTALL = ("请安装 LibreOffice（免费，https://zh-cn.libreoffice.org/download/ 下载安装；Linux 上："
            "sudo apt-get install libreoffice-writer libreoffice-calc）后重新运行，或请对方另存为 .docx / .xlsx 后重新发送。")
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def find_soffice() -> str | None:
    """LibreOffice's ``soffice`` on this machine, or None."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if sys.platform == "win32":
        for base in (os.environ.get("ProgramFiles", ""), os.environ.get("ProgramFiles(x86)", "")):
            candidate = Path(base) / "LibreOffice" / "program" / "soffice.exe"
            if base and candidate.is_file():
                return str(candidate)
    elif sys.platform == "darwin":
        candidate = Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")
        if candidate.is_file():
            return str(candidate)
    return None


def convert(data: bytes, suffix: str, target: str, *, timeout: float | None = None) -> bytes:
    """``data`` (a file of type ``suffix``) converted by LibreOffice to ``target`` ("docx" / "xlsx")."""
    soffice = find_soffice()
    if soffice is None:
        raise ConverterMissing(f"这是 {suffix} 格式的文件，需要 LibreOffice 转换后才能读取，但本机没有安装 LibreOffice。{_INSTALL}")
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge(f"文件过大（{len(data) // (1024 * 1024)} MB），统计表不会这么大，未读取。")
    if data.startswith(_ZIP):
        check_zip_caps(data)
    limit = CONVERT_TIMEOUT if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="collector-convert-") as tmp:
        folder = Path(tmp)
        source = folder / f"return{suffix}"
        source.write_bytes(data)
        profile = folder / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        out = folder / "out"
        command = [soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                   "--nofirststartwizard", f"-env:UserInstallation={profile.as_uri()}",
                   "--convert-to", target, "--outdir", str(out), str(source)]
        env = {**os.environ, "HOME": str(folder), "SAL_USE_VCLPLUGIN": "svp"}
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, cwd=folder, env=env,
                                       start_new_session=sys.platform != "win32")
        except OSError as exc:
            raise ConverterMissing(f"LibreOffice 无法启动（{os_error_text(exc)}）。{_INSTALL}") from exc
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise ConversionFailed(f"用 LibreOffice 转换 {suffix} 文件超时（超过 {limit:g} 秒），已中止。"
                                   "请对方另存为 .docx / .xlsx 后重新发送。") from None
        finally:
            if process.poll() is None:  # interrupted (Ctrl-C): nothing of it is left running
                _kill(process)
        result = out / f"return.{target}"
        try:
            size = result.stat().st_size
        except OSError:
            raise ConversionFailed(f"LibreOffice 无法转换这个 {suffix} 文件（文件可能已损坏或设置了密码）。"
                                   "请对方用 Word / WPS 另存为 .docx / .xlsx 后重新发送。") from None
        if size > MAX_FILE_BYTES:
            raise TooLarge(f"文件转换后过大（{size // (1024 * 1024)} MB），统计表不会这么大，未读取。")
        return result.read_bytes()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill LibreOffice and whatever it started (its process group), reap it, and wait (briefly) until
    the group is gone: soffice.bin, a grandchild, is reaped by init a moment later."""
    try:
        if sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    if sys.platform == "win32":
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


def _converted(path: Path, data: bytes, suffix: str, target: str, *, timeout: float | None) -> Workbook:
    converted = convert(data, suffix, target, timeout=timeout)
    book = open_docx(path, converted) if target == "docx" else open_workbook(path, converted)
    return book


def open_return(path: Path, data: bytes | None = None, *, timeout: float | None = None) -> Workbook:
    """The sheets of a returned file, whatever office program wrote it; a ReturnError when it cannot be read.

    ``data``: the file's bytes, when the caller has read them already; ``timeout``: seconds a
    LibreOffice conversion may take (``CONVERT_TIMEOUT`` when None)."""
    path = Path(path)
    suffix = path.suffix.lower()
    data = read_capped(path, data)
    if data.startswith(_ZIP):
        if is_docx(data):
            return open_docx(path, data)
        kind = _opendocument(data)
        if kind or suffix in (".ods", ".odt"):
            target = "docx" if kind == "text" or (kind is None and suffix == ".odt") else "xlsx"
            return _converted(path, data, suffix if suffix in _TARGET else ".ods", target, timeout=timeout)
        return open_workbook(path, data)
    if data.startswith(_OLE):
        if is_word_binary(data):
            try:
                return open_doc(path, data)
            except NeedsConversion:
                return _converted(path, data, ".doc", "docx", timeout=timeout)
            except PasswordProtected:
                raise
            except UnreadableWorkbook:
                if find_soffice() is None:
                    raise
                return _converted(path, data, ".doc", "docx", timeout=timeout)
        try:
            return open_workbook(path, data)
        except (PasswordProtected, UnsafeStructure):  # LibreOffice would meet the same
            raise
        except UnreadableWorkbook:
            if suffix not in (".et", ".xls") or find_soffice() is None:
                raise
            return _converted(path, data, suffix, "xlsx", timeout=timeout)
    if suffix in _TARGET and suffix != ".xls":
        return _converted(path, data, suffix, _TARGET[suffix], timeout=timeout)
    return open_workbook(path, data)


def _opendocument(data: bytes) -> str | None:
    """"spreadsheet" / "text" for an OpenDocument file (its ``mimetype`` member), else None.

    An OpenDocument package names its ``mimetype`` member near the start (the standard puts it first,
    stored); a workbook's zip does not. Only then is the zip opened: every .xlsx return passes here."""
    if b"mimetype" not in data[:1024]:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("mimetype")
            if info.file_size > 200:
                return None
            mime = archive.read(info).decode("ascii", errors="replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return None
    if mime.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return "spreadsheet"
    if mime.startswith("application/vnd.oasis.opendocument.text"):
        return "text"
    return None
