"""Workbooks that would make a reader build an absurd grid are refused before any reader sees them,
and odd but honest workbooks get the right answer (issue 12). Every file is built here, tiny."""

import io
import shutil
import subprocess
import zipfile

import pytest
from conftest import DATA, SHEET_NS, far_cells, make_return, rewrite, shared_string_bomb, with_macro_sheet

from collector.errors import PasswordProtected, UnreadableWorkbook, UnsafeStructure
from collector.reading import bounds
from collector.reading.workbook import open_workbook


@pytest.mark.parametrize("last", ["XFD1048576", "BH1048576"])
def test_two_far_apart_cells_are_refused_before_a_grid_is_built(tmp_path, last):
    path = far_cells(tmp_path / "两格.xlsx", last)
    assert path.stat().st_size < 10_000
    with pytest.raises(UnsafeStructure, match=f"文件结构异常，无法安全读取：工作表“统计表”的数据一直延伸到 {last}"):
        open_workbook(path)


def test_a_far_styled_empty_cell_or_a_lying_dimension_is_no_reason_to_refuse(tmp_path):
    """The reader allocates by the cells that hold values: an empty formatted cell far away, or a
    declared <dimension> of the whole sheet, costs nothing and is read."""
    path = far_cells(tmp_path / "a.xlsx", "B2")
    src = zipfile.ZipFile(path)
    sheet = src.read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')
    sheet = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
    path.write_bytes(rewrite(path.read_bytes(), {"xl/worksheets/sheet1.xml": sheet}))
    assert open_workbook(path).sheets[0].text(1, 1) == "1"


def test_a_shared_string_copied_into_many_cells_is_refused(tmp_path):
    path = shared_string_bomb(tmp_path / "共享.xlsx", 2000)
    assert path.stat().st_size < 50_000
    with pytest.raises(UnsafeStructure, match="共享文字合计超过"):
        open_workbook(path)


def test_shared_strings_as_a_real_return_uses_them_are_read(tmp_path):
    path = shared_string_bomb(tmp_path / "共享.xlsx", 200, text_bytes=2000)
    assert open_workbook(path).sheets[0].text(19, 9) == "a" * 2000


def test_too_many_cells_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_CELLS", 100)
    path = shared_string_bomb(tmp_path / "多.xlsx", 200, text_bytes=3)
    with pytest.raises(UnsafeStructure, match="含有数据的单元格超过 100 个"):
        open_workbook(path)


def test_a_real_return_passes_the_bounds(tmp_path):
    path = make_return(tmp_path / "r.xlsx", "呼中林业局")
    assert open_workbook(path).sheets


def test_a_wide_old_xls_is_refused_from_its_records(tmp_path, monkeypatch):
    """An .xls is bounded by its cell records (a real one here, with the bound lowered below it)."""
    path = DATA / "dxal-2020" / "inbox" / "十八站林业局-统计表.xls"
    assert open_workbook(path).sheets
    monkeypatch.setattr(bounds, "MAX_GRID_CELLS", 20)
    with pytest.raises(UnsafeStructure, match="工作表“第 1 张”的数据一直延伸到"):
        open_workbook(path)


def test_a_zip_of_3002_parts_is_told_it_has_too_many_parts(tmp_path):
    path = tmp_path / "部件.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(3002):
            z.writestr(f"xl/part{i}.xml", "")
    with pytest.raises(UnsafeStructure, match="文件内部有 3,002 个部件") as raised:
        open_workbook(path)
    assert "过大" not in raised.value.message


def test_a_word_document_is_told_it_is_one_and_a_workbook_never_is(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("统计表")
    document.save(tmp_path / "表.xlsx")
    with pytest.raises(UnreadableWorkbook, match="这是 Word 文档"):
        open_workbook(tmp_path / "表.xlsx")
    # a workbook whose workbook part is not where it usually is: never a Word document
    good = make_return(tmp_path / "r.xlsx", "呼中林业局").read_bytes()
    moved = rewrite(good, {"xl/workbook.xml": b""})
    (tmp_path / "moved.xlsx").write_bytes(moved)
    try:
        open_workbook(tmp_path / "moved.xlsx")
    except UnreadableWorkbook as exc:
        assert "Word" not in exc.message


def test_a_macro_sheet_xlsm_is_read(tmp_path):
    path = tmp_path / "宏.xlsm"
    path.write_bytes(with_macro_sheet(make_return(tmp_path / "r.xlsx", "呼中林业局").read_bytes()))
    book = open_workbook(path)
    assert [s.name for s in book.sheets] == ["统计表"]
    from collector.forms.model import load_forms
    from collector.reading.check import check_file

    result = check_file(path, load_forms())
    assert result.ok and result.unit == "呼中林业局", result.problems


def test_an_xlsb_is_told_plainly(tmp_path):
    path = tmp_path / "表.xlsb"
    good = make_return(tmp_path / "r.xlsx", "呼中林业局").read_bytes()
    src = zipfile.ZipFile(io.BytesIO(good))
    with zipfile.ZipFile(path, "w") as z:  # the parts an .xlsb has in place of the XML ones
        for m in src.infolist():
            name = m.filename.replace("xl/workbook.xml", "xl/workbook.bin")
            z.writestr(name, src.read(m.filename))
    with pytest.raises(UnreadableWorkbook, match=r"Excel 二进制工作簿（\.xlsb）.*另存为 \.xlsx"):
        open_workbook(path)


SOFFICE = shutil.which("soffice")

_ENCRYPT_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub Enc
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = &quot;Hidden&quot; : args(0).Value = True
  doc = StarDesktop.loadComponentFromURL(&quot;{source}&quot;, &quot;_blank&quot;, 0, args())
  Dim out(1) As New com.sun.star.beans.PropertyValue
  out(0).Name = &quot;FilterName&quot; : out(0).Value = &quot;MS Excel 97&quot;
  out(1).Name = &quot;Password&quot; : out(1).Value = &quot;abc&quot;
  doc.storeToURL(&quot;{target}&quot;, out())
  doc.close(True)
End Sub
</script:module>
"""


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_password_protected_xls_is_told_it_has_a_password(tmp_path):
    """A real encrypted .xls, saved with a password by LibreOffice (a Basic macro in a throwaway
    profile: its --convert-to takes no password for this filter)."""
    source = make_return(tmp_path / "r.xlsx", "呼中林业局")
    target = tmp_path / "加密.xls"
    profile = tmp_path / "profile"
    run = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless"]
    subprocess.run([*run, "--terminate_after_init"], capture_output=True, timeout=120)
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    module.write_text(_ENCRYPT_MACRO.format(source=source.as_uri(), target=target.as_uri()), encoding="utf-8")
    subprocess.run([*run, "macro:///Standard.Module1.Enc"], capture_output=True, timeout=120)
    import msoffcrypto

    with open(target, "rb") as stream:
        assert msoffcrypto.OfficeFile(stream).is_encrypted()
    with pytest.raises(PasswordProtected, match="设置了打开密码"):
        open_workbook(target)


@pytest.mark.parametrize("cells", [
    '<row r="1048576">' + "<c><v>1</v></c>" * 60 + "</row>",  # no addresses: placed one after another
    '<row r="1048576"><c\tr="XFD1048576"><v>1</v></c></row>',  # a tab where a space usually is
    '<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',  # a namespace prefix
    '<row r="1048576"><c r="XFD1048576" t="n/a"><v>1</v></c></row>',  # a "/" inside an attribute
])
def test_cells_written_unusually_are_bounded_all_the_same(tmp_path, cells):
    path = far_cells(tmp_path / "a.xlsx", "B2")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").replace(b"</sheetData>", cells.encode() + b"</sheetData>")
    sheet = sheet.replace(b"<worksheet ", f'<worksheet xmlns:x="{SHEET_NS}" '.encode(), 1)
    path.write_bytes(rewrite(path.read_bytes(), {"xl/worksheets/sheet1.xml": sheet}))
    with pytest.raises(UnsafeStructure, match="1048576"):
        open_workbook(path)


def test_workbooks_listing_their_sheets_alike_are_each_bounded(tmp_path):
    """The sheets a workbook lists are parsed once per distinct workbook and relationships bytes
    (every return of one blank repeats them): a later file with the very same list is still bounded
    by its own sheets, and one whose relationships differ is parsed afresh."""
    honest = far_cells(tmp_path / "a.xlsx", "B2")
    far = far_cells(tmp_path / "b.xlsx", "XFD1048576")
    assert zipfile.ZipFile(honest).read("xl/workbook.xml") == zipfile.ZipFile(far).read("xl/workbook.xml")
    assert open_workbook(honest).sheets[0].text(1, 1) == "1"
    with pytest.raises(UnsafeStructure, match="XFD1048576"):
        open_workbook(far)
    # the same workbook part, its sheet moved elsewhere by its relationships: that part is bounded
    source = far.read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(source))
    rels = archive.read("xl/_rels/workbook.xml.rels").replace(b"worksheets/sheet1.xml", b"data/table.xml")
    moved = tmp_path / "c.xlsx"
    with zipfile.ZipFile(moved, "w") as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = rels
            out.writestr("xl/data/table.xml" if info.filename == "xl/worksheets/sheet1.xml" else info.filename, data)
    with pytest.raises(UnsafeStructure, match="XFD1048576"):
        open_workbook(moved)
