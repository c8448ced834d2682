"""Every error the clerk must see, with its message in Chinese.

The tree::

    CollectorError                  something the user must be told; the CLI prints it and exits 1
    ├── UsageError                  the command was called wrongly (exit 2: could not run)
    ├── FormFileError               a form file in schemas/ is malformed (exit 2)
    ├── FormImportError             a blank table that no form can be made from (exit 2)
    ├── WorkspaceError              the workspace is missing or misconfigured (exit 2)
    │   └── RosterError             units.csv / units.xlsx cannot be read
    ├── ReturnError                 one returned file cannot be read as a return (costs one line, not the run)
    │   ├── UnreadableWorkbook      not a spreadsheet, truncated or corrupt
    │   │   ├── EmptyFile           zero bytes
    │   │   ├── PasswordProtected   encrypted workbook
    │   │   ├── TooLarge            over the size caps (zip bombs)
    │   │   ├── UnsafeXML           DTD / entity declarations inside the workbook
    │   │   ├── UnsafeStructure     sheets beyond what a reader can build safely (reading/bounds.py)
    │   │   └── ConversionFailed    LibreOffice could not convert it (.doc/.wps/.et/.ods), or took too long
    │   ├── ConverterMissing        a format only LibreOffice reads, and LibreOffice is not installed
    │   └── UnknownForm             a workbook, but none of the known forms
    ├── LedgerError                 the SQLite ledger could not be read or written (exit 2)
    ├── RunLocked                   another run holds the workspace lock (exit 2)
    ├── RefileError                 the return to move to another period is not found or cannot be moved (exit 2)
    ├── ReportError                 the consolidated report could not be written
    ├── TemplateError               a blank template could not be written
    └── StorageError                a file or folder of the workspace could not be read or written: a
                                    read-only or full disk, a folder taken away, a file open elsewhere (exit 2)

Library code raises these, translating third-party errors where they enter
(``raise UnreadableWorkbook(...) from exc``; an ``OSError`` with ``storage_error``); the CLI catches
``CollectorError`` once, and anything else once more as a last resort (a Chinese line, exit 2).
"""

from __future__ import annotations

import errno


class CollectorError(Exception):
    """Something the user must be told, in Chinese."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}：{self.message}" if self.path else self.message


class UsageError(CollectorError):
    """The command was called wrongly."""

    exit_code = 2


class FormFileError(CollectorError):
    """A form file in schemas/ is malformed."""

    exit_code = 2  # the command could not run


class FormImportError(CollectorError):
    """A blank table (collect form import / init --from) that no form can be made from."""

    exit_code = 2  # the command could not run


class WorkspaceError(CollectorError):
    """The workspace is missing or misconfigured."""

    exit_code = 2  # the command could not run


class RosterError(WorkspaceError):
    """The roster (units.csv / units.xlsx) cannot be read."""


class ReturnError(CollectorError):
    """One returned file cannot be read as a return."""

    #: short code stored in the ledger and shown in JSON output
    code = "unreadable"


class UnreadableWorkbook(ReturnError):
    """Not a spreadsheet, truncated or corrupt."""

    code = "unreadable"


class EmptyFile(UnreadableWorkbook):
    """The file has zero bytes."""

    code = "empty"


class PasswordProtected(UnreadableWorkbook):
    """The workbook is encrypted with a password."""

    code = "password"


class TooLarge(UnreadableWorkbook):
    """The file, or what it unpacks to, is over the size caps."""

    code = "too_large"


class UnsafeXML(UnreadableWorkbook):
    """The workbook's XML declares a DTD or entities."""

    code = "unsafe_xml"


class ConversionFailed(UnreadableWorkbook):
    """LibreOffice could not convert the file, or was stopped after the time limit."""

    code = "conversion_failed"


class ConverterMissing(ReturnError):
    """The file needs LibreOffice to be read, and LibreOffice is not installed."""

    code = "no_converter"


class UnsafeStructure(UnreadableWorkbook):
    """The sheets reach further, hold more cells or copy more shared text than a reader can build safely."""

    code = "unsafe_structure"


class UnknownForm(ReturnError):
    """A workbook, but none of the known forms."""

    code = "unknown_form"


class LedgerError(CollectorError):
    """The SQLite ledger could not be read or written."""

    exit_code = 2  # the command could not run


class RunLocked(CollectorError):
    """Another run holds the workspace lock."""

    exit_code = 2


class RefileError(CollectorError):
    """The return to move to another period (``collect refile``) is not found, is ambiguous, or cannot
    be moved."""

    exit_code = 2  # the command could not run


class ReportError(CollectorError):
    """The consolidated report could not be written."""


class TemplateError(CollectorError):
    """A blank template could not be written."""


class StorageError(CollectorError):
    """A file or folder of the workspace could not be read or written (read-only or full disk, a folder
    taken away, a file open in another program)."""

    exit_code = 2  # the command could not run


#: an OS error's number, in the clerk's words
_OS_REASONS = {
    errno.ENOSPC: "磁盘已满，请腾出空间后再试",
    errno.EROFS: "所在的磁盘或文件夹是只读的",
    errno.EACCES: "没有权限（文件夹只读，或文件正被其他程序打开）",
    errno.EPERM: "没有权限（文件夹只读，或文件正被其他程序打开）",
    errno.ENOENT: "文件或文件夹不存在（可能已被移走或删除）",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EEXIST: "已经有同名的文件或文件夹",
    errno.EBUSY: "正被其他程序占用",
    errno.ENAMETOOLONG: "路径或文件名太长",
    errno.EIO: "读写出错（磁盘或网络共享出了故障）",
    errno.EMFILE: "同时打开的文件太多",
}
for _name in ("EDQUOT",):  # not on every system
    if hasattr(errno, _name):
        _OS_REASONS[getattr(errno, _name)] = "超出了磁盘配额，请腾出空间后再试"
#: Windows: a file another program holds open (ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION)
_WINDOWS_REASONS = {32: "文件正被其他程序打开（是否在 Excel/WPS 中打开着？请关闭后重试）", 33: "文件的一部分被其他程序锁定"}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in Chinese (never the system's English words)."""
    winerror = getattr(exc, "winerror", None)
    if winerror in _WINDOWS_REASONS:
        return _WINDOWS_REASONS[winerror]
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    code = errno.errorcode.get(exc.errno or 0)
    return f"系统拒绝了这次读写（{code or type(exc).__name__}）"


def storage_error(exc: OSError, doing: str, path: object = None) -> StorageError:
    """``exc`` as the clerk is told it: what could not be done, where, and why.

    ``doing`` names the step (“写回执”, “建立文件夹 outbox/”); ``path`` defaults to the file the system
    named."""
    where = path if path is not None else exc.filename
    return StorageError(f"{doing}失败：{os_reason(exc)}。", path=str(where) if where is not None else None)
