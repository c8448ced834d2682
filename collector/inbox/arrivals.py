"""What in ``inbox/`` is a file to take in: the entries, oldest first, and which names are no return.

* system files (``Thumbs.db``, ``.DS_Store``…) never count as arriving: skipped silently;
* Office lock files and the temp files of a save or a download are recorded once and left in place;
* a return by its extension (a workbook, a Word document, a WPS or OpenDocument file:
  ``reading.convert.RETURN_SUFFIXES``) is read and checked; anything else is set aside in ``ignored/``.

Entries that are not regular files (symlinks to anything, FIFOs, sockets, devices) are listed too — a
symlink to a folder as well, which ``os.walk`` would otherwise pass over — so that each is answered
(``reading.isolated.entry_kind``); real subfolders are walked.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ..reading.convert import RETURN_SUFFIXES

#: system files that never count as arriving (skipped silently)
_SYSTEM_NAMES = {".gitkeep", ".ds_store", "thumbs.db", "desktop.ini"}
_TEMP_SUFFIXES = (".tmp", ".temp", ".crdownload", ".part", ".partial", ".download", ".swp", ".bak~")
_EXCEL_TEMP = re.compile(r"^[0-9A-Fa-f]{8}$")


def is_system_file(name: str) -> bool:
    return name.lower() in _SYSTEM_NAMES


def is_temp_file(name: str) -> bool:
    """Office lock files (``~$x.xlsx``, ``.~lock.x.xlsx#``), temp files of a save or a download."""
    lower = name.lower()
    return (
        name.startswith("~$")
        or name.startswith(".~lock")
        or name.endswith("#")
        or name.startswith("._")
        or (name.startswith("~") and lower.endswith(".tmp"))
        or lower.endswith(_TEMP_SUFFIXES)
        or bool(_EXCEL_TEMP.match(name))
    )


def is_spreadsheet_name(name: str) -> bool:
    """Whether the name is a return's (.xlsx .xlsm .xls .docx .docm .doc .wps .et .ods .odt)."""
    return os.path.splitext(os.path.basename(name))[1].lower() in RETURN_SUFFIXES  # Path(name).suffix, cheaper


def is_candidate(path: Path) -> bool:
    """A file that will be read and checked (if it proves a regular file)."""
    name = path.name
    return is_spreadsheet_name(name) and not is_temp_file(name) and not is_system_file(name)


def inbox_files(inbox: Path) -> list[Path]:
    """Entries in the inbox (and its subfolders), oldest first: files, and whatever is not a folder
    (a symlink to a folder included), by ``lstat`` — nothing is opened or followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(inbox):
        dirnames.sort()
        linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in linked:
            dirnames.remove(name)  # not walked into: answered as the link it is
        for name in filenames + linked:
            path = Path(dirpath) / name
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            found.append((st.st_mtime_ns, str(path), path))
    return [p for _, _, p in sorted(found)]


def relative(path: Path, base: Path) -> str | None:
    """``path`` inside ``base`` as a/b.xlsx (as given, else resolved: links and ``..``), or None."""
    text, prefix = str(path), os.path.join(str(base), "")
    if text.startswith(prefix) and ".." not in text:  # the common case, without pathlib (several per file)
        return text[len(prefix):].replace(os.sep, "/")
    for candidate in (path, None):
        try:
            return (candidate or path.resolve()).relative_to(base).as_posix()
        except (ValueError, OSError):
            continue
    return None
