"""Opening returned files safely: every kind of bad input is one clear Chinese error, never a crash."""

import zipfile

import openpyxl
import pytest
from conftest import write_sheet

from collector.errors import EmptyFile, PasswordProtected, TooLarge, UnreadableWorkbook, UnsafeXML
from collector.reading.workbook import cell_address, column_letter, open_workbook


def _xlsx(path, rows):
    return write_sheet(path, rows, title="统计表")


def test_reads_cells_with_absolute_addresses(tmp_path):
    path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "表"
    wb.active["C3"] = "x"
    wb.active["D5"] = 5
    wb.save(path)
    book = open_workbook(path)
    sheet = book.sheets[0]
    assert sheet.text(2, 2) == "x"
    assert sheet.text(4, 3) == "5"
    assert sheet.address(4, 3) == "表!D5"


def test_addresses():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
    assert cell_address("统计表", 6, 3) == "统计表!D7"


def test_empty_file(tmp_path):
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile, match="空的"):
        open_workbook(path)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "说明.xlsx"
    path.write_text("这不是表格", encoding="utf-8")
    with pytest.raises(UnreadableWorkbook, match="不是 Excel"):
        open_workbook(path)


def test_truncated_workbook(tmp_path):
    whole = _xlsx(tmp_path / "whole.xlsx", [["a", 1]]).read_bytes()
    path = tmp_path / "半截.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableWorkbook, match="不完整或已损坏"):
        open_workbook(path)


def test_word_document_in_a_zip(tmp_path):
    path = tmp_path / "文档.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(UnreadableWorkbook, match="不是 Excel"):
        open_workbook(path)


def test_password_protected(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _xlsx(tmp_path / "plain.xlsx", [["a"]])
    path = tmp_path / "加密.xlsx"
    with plain.open("rb") as src, path.open("wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    with pytest.raises(PasswordProtected, match="密码"):
        open_workbook(path)


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        # 300 MB of zeros compress to about 300 KB
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(TooLarge, match="过大"):
        open_workbook(path)


def test_xml_entity_declarations_are_refused(tmp_path):
    good = _xlsx(tmp_path / "good.xlsx", [["a"]])
    path = tmp_path / "实体.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>' + data.split(b"?>", 1)[-1]
            dst.writestr(item, data)
    with pytest.raises(UnsafeXML, match="不安全"):
        open_workbook(path)


def test_legacy_xls_is_read(tmp_path):
    from pathlib import Path

    sample = Path(__file__).parent.parent / "data" / "dxal-2020" / "inbox" / "漠河市安委会-统计表.xls"
    book = open_workbook(sample)
    assert book.sheets[0].name == "统计表"


def test_entity_inside_a_worksheet_is_unreadable_not_expanded(tmp_path):
    good = _xlsx(tmp_path / "good.xlsx", [["a"]])
    path = tmp_path / "实体2.xlsx"
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY a%d "' % i + (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10 + b'">' for i in range(1, 10)) + b"]>"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = laughs + data.split(b"?>", 1)[-1]
                data = data.replace(b"<v>", b"<v>&a9;", 1) if b"<v>" in data else data.replace(b"<t>a</t>", b"<t>&a9;</t>")
            dst.writestr(item, data)
    with pytest.raises(UnreadableWorkbook):
        open_workbook(path)


def test_missing_file_is_said_in_chinese(tmp_path):
    with pytest.raises(UnreadableWorkbook, match="文件不存在"):
        open_workbook(tmp_path / "没有这个文件.xlsx")
    with pytest.raises(UnreadableWorkbook, match="文件夹"):
        open_workbook(tmp_path)
