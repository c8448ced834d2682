"""Open any returned file: a workbook, a Word document, or (through LibreOffice) the formats neither reads.

``open_return`` looks at the bytes, not only the name: a .docx (a zip with ``word/document.xml``)
is read by ``word``, an .xlsx/.xlsm/.xls by ``workbook``.
"""

from __future__ import annotations

from pathlib import Path

from .word import WORD_SUFFIXES, is_docx, open_docx
from .workbook import Workbook, open_workbook


def open_return(path: Path, data: bytes | None = None) -> Workbook:
    """The sheets of a returned file, whatever office program wrote it; a ReturnError when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if data is None and suffix in WORD_SUFFIXES:
        return open_docx(path)
    if data is not None and is_docx(data):
        return open_docx(path, data)
    return open_workbook(path, data)
