"""Open the blank table the level above sends down, and make a form of it.

The blank is opened as safely as a return (it came by e-mail like one): the same size caps, zip
checks and XML rules. Its table becomes a ``forms.importer.Grid`` — rows of cell texts, a merged
cell's text in every cell it covers, the lines above a Word table as one-cell rows — and
``forms.importer`` does the rest.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormImportError, ReturnError
from ..forms.importer import BLANK_RE, Grid, ImportResult, form_toml, import_grid
from .convert import open_return
from .word import WORD_SUFFIXES
from .workbook import SPREADSHEET_SUFFIXES, Sheet, cell_text

#: what a blank may be
WORKBOOK_SUFFIXES = SPREADSHEET_SUFFIXES
CONVERTED_SUFFIXES = (".doc", ".wps", ".et", ".ods")
BLANK_SUFFIXES = WORKBOOK_SUFFIXES + WORD_SUFFIXES + CONVERTED_SUFFIXES


def sheet_grid(sheet: Sheet) -> list[list[str]]:
    """A sheet's cell texts, with a merged range's text copied into every cell of the range."""
    rows = [[cell_text(v).strip() for v in row] for row in sheet.rows]
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 >= len(rows):
            continue
        row0 = rows[r0]
        text = row0[c0] if c0 < len(row0) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = text
    return rows


def _blank_count(rows: list[list[str]]) -> int:
    return sum(len(BLANK_RE.findall(t)) + t.count("□") for row in rows for t in row)


def file_grid(path: Path) -> Grid:
    """The sheet (or Word table) of a blank that holds the table: the one with the most blanks."""
    book = open_return(path)
    grids = [sheet_grid(s) for s in book.sheets]
    if not grids:
        raise FormImportError("文件里没有表格。", path=str(path))
    return Grid(rows=max(grids, key=_blank_count), name=path.name)


def blank_grid(path: Path) -> Grid:
    """The blank's table as a grid, whatever the file is; a file that is not a table is a FormImportError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BLANK_SUFFIXES:
        raise FormImportError(
            f"不认识这种文件（{suffix or '无扩展名'}）。空白表应是 Word（.docx .doc .wps）或 Excel（.xlsx .xls .et .ods）文件。",
            path=str(path),
        )
    try:
        return file_grid(path)  # .doc .wps .et .ods: open_return has LibreOffice convert them
    except ReturnError as exc:
        raise FormImportError(exc.message, path=str(path)) from exc


def import_blank(path: Path, form_id: str | None = None) -> ImportResult:
    """Open ``path`` (a blank table) and make a form of it."""
    grid = blank_grid(path)
    try:
        return import_grid(grid, form_id)
    except FormImportError as exc:
        if exc.path is None:
            exc.path = str(path)
        raise


@dataclass
class SavedForm:
    """Where an imported form was written, and what was there before."""

    path: Path
    state: str  # "new", "same" (the file already said exactly this), "replaced" (--force)


def save_form(result: ImportResult, folder: Path, *, force: bool = False) -> SavedForm:
    """Write the form to ``folder/<id>.toml``; an existing different file is only replaced with ``force``."""
    text = form_toml(result.form, result)
    path = Path(folder) / f"{result.form.id}.toml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if path.exists():
            old = path.read_text(encoding="utf-8", errors="replace")
            if _without_source(old) == _without_source(text):
                return SavedForm(path, "same")
            if not force:
                raise FormImportError(
                    f"{path} 已经存在，内容不同，没有覆盖。要覆盖请加 --force；要另存请用 --id 换一个编号。")
        state = "replaced" if path.exists() else "new"
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".~", suffix=".toml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)  # as a new file would be, not mkstemp's 0600
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        raise FormImportError(f"无法写入表格定义文件 {path}：{exc.strerror or exc}") from exc
    return SavedForm(path, state)


def _without_source(text: str) -> str:
    """A form file's text without the import date (importing the same blank again is the same form)."""
    return re.sub(r'(?m)^source = ".*"$', "", text)
