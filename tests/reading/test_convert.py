"""Returns in the other office formats: Word 97-2003 (.doc) and WPS (.wps, .et) read, OpenDocument (.ods,
.odt) converted by a real LibreOffice; a conversion that hangs is killed; without LibreOffice, one
Chinese line saying what to install.

tests/data/formats was written by LibreOffice 7.4 from returns whose values are in expected.json:
calc.ods / calc.et from an .xlsx return (LibreOffice writes .et with its Excel 97 filter, as WPS
reads it), writer.odt / writer.wps from a .docx return (.wps with its Word 97 filter), formfield.doc
from a .docx whose 是/否 are legacy form-field checkboxes.
"""

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from conftest import DATA

from collector.errors import ConversionFailed, ConverterMissing, TooLarge
from collector.forms.model import load_forms
from collector.reading.check import check_file
from collector.reading.convert import convert, open_return
from collector.reading.doc import open_doc
from collector.reading.word import open_docx

FORMS = load_forms()
FORMATS = DATA / "formats"
EXPECTED = json.loads((FORMATS / "expected.json").read_text(encoding="utf-8"))
WORD_SAMPLES = DATA / "dxal-2020-word"
TRUTH = json.loads((WORD_SAMPLES / "truth.json").read_text(encoding="utf-8"))

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")


def _check(path):
    result = check_file(path, FORMS)
    assert result.ok, result.problems
    assert result.unit == "呼中林业局"
    assert result.values == EXPECTED[path.stem]
    return result


@pytest.mark.parametrize("name", ["writer.wps", "formfield.doc", "calc.et"])
def test_word_97_and_wps_formats_read_without_libreoffice(name, monkeypatch):
    """.doc / .wps are read directly (form-field checkboxes too); .et as the Excel 97 workbook it is."""
    monkeypatch.setenv("PATH", "/nonexistent")
    result = _check(FORMATS / name)
    assert result.cells["launch.sessions"] == ("表1 第2行第4列" if name != "calc.et" else "统计表!D4")


@needs_soffice
@pytest.mark.parametrize("name", ["calc.ods", "writer.odt"])
def test_opendocument_is_converted_by_libreoffice(name):
    result = _check(FORMATS / name)
    assert result.cells["launch.sessions"] == ("表1 第2行第4列" if name == "writer.odt" else "统计表!D4")


@pytest.mark.parametrize("path", sorted((WORD_SAMPLES / "inbox").glob("*.doc")), ids=lambda p: p.name)
def test_doc_samples_keep_their_table(path):
    """These .doc files carry their table only in Word's paragraph marks (LibreOffice 7.4 reads them
    as run-on paragraphs): the direct reader keeps rows and cells."""
    (sheet,) = open_doc(path, path.read_bytes()).sheets
    assert sheet.rows[2] == ["", "活动项目", "内容要求", "进展情况"]
    # the same grid as a .docx of the table: the section column merged down, the same words in it
    (docx,) = open_docx(WORD_SAMPLES / "inbox" / "呼中林业局-统计表.docx").sheets
    assert sheet.merged == docx.merged
    assert [r[:3] for r in sheet.rows[2:]] == [r[:3] for r in docx.rows[2:]]
    unit = next(u for u in TRUTH["valid_units"] if u in path.stem)
    assert sheet.rows[1][0].startswith(f"填报单位（盖章）：{unit}")


@needs_soffice
def test_libreoffice_converts_a_doc_to_docx():
    path = WORD_SAMPLES / "inbox" / "塔河县安委会-统计表.doc"
    docx = convert(path.read_bytes(), ".doc", "docx")
    sheets = open_docx(path, docx).sheets
    assert any("填报单位（盖章）：塔河县安委会" in (row[0] or "") for s in sheets for row in s.rows)


@needs_soffice
def test_a_hanging_conversion_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(ConversionFailed, match="超时"):
        open_return(FORMATS / "calc.ods", timeout=0.2)
    assert time.monotonic() - started < 15
    # nothing of LibreOffice is left running, and its throwaway folder is gone
    left = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(tmp_path).encode() in (proc / "cmdline").read_bytes():
                    left.append(proc.name)
            except OSError:
                pass
    assert left == []
    assert list(tmp_path.iterdir()) == []


def test_without_libreoffice_the_file_gets_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ConverterMissing) as caught:
        open_return(FORMATS / "calc.ods")
    assert "LibreOffice" in caught.value.message and "libreoffice-writer" in caught.value.message
    result = check_file(FORMATS / "writer.odt", FORMS)
    assert result.error_code == "no_converter" and len(result.problems) == 1
    assert "安装" in result.problems[0].message


def test_an_opendocument_zip_bomb_is_refused_before_conversion(tmp_path):
    import zipfile

    path = tmp_path / "炸弹.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"\0" * (201 * 1024 * 1024))
    assert os.path.getsize(path) < 1024 * 1024
    with pytest.raises(TooLarge):
        open_return(path)


def test_a_damaged_doc_is_one_error(tmp_path):
    data = (WORD_SAMPLES / "inbox" / "塔河县安委会-统计表.doc").read_bytes()
    path = tmp_path / "坏.doc"
    path.write_bytes(data[:4096] + b"\0" * 4096)
    result = check_file(path, FORMS)
    assert result.form is None and len(result.problems) == 1
    assert result.error_code in ("unreadable", "conversion_failed", "no_converter")


@needs_soffice
def test_without_libreoffice_an_ods_return_is_held_and_settles_once_it_is_installed(tmp_path, monkeypatch):
    from collector.inbox.ingest import ingest
    from collector.inbox.workspace import init_workspace

    ws = init_workspace(tmp_path / "工作 目录", "dxal-2020").workspace
    shutil.copyfile(WORD_SAMPLES / "units.csv", ws.root / "units.csv")
    shutil.copyfile(FORMATS / "calc.ods", ws.inbox / "呼中林业局-统计表.ods")
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", "/nonexistent")
    (outcome,) = ingest(ws, period="2020-06").outcomes
    assert outcome.state == "held" and "LibreOffice" in outcome.reason
    note = outcome.receipt.read_text(encoding="utf-8")
    assert "安装 LibreOffice" in note and "libreoffice-writer" in note
    monkeypatch.setenv("PATH", path)  # LibreOffice installed
    (outcome,) = ingest(ws, period="2020-06").outcomes
    assert (outcome.state, outcome.unit, outcome.settled) == ("accepted", "呼中林业局", True)
