"""A unit's text never becomes a formula in what we write."""

from openpyxl import Workbook, load_workbook

from collector.reports.safe_cells import csv_safe, set_text, set_value


def test_formula_looking_text_stays_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    for row, text in enumerate(["=1+1", "+cmd|' /C calc'!A0", "-3", "@SUM(A1)", "=HYPERLINK(\"http://x\")"], start=1):
        set_text(ws.cell(row, 1), text)
    set_value(ws.cell(6, 1), 12)
    set_value(ws.cell(7, 1), "=2*3")
    wb.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx")
    ws = back.active
    assert [ws.cell(r, 1).data_type for r in range(1, 8)] == ["s", "s", "s", "s", "s", "n", "s"]
    assert ws.cell(1, 1).value == "=1+1"
    assert ws.cell(6, 1).value == 12


def test_control_characters_dropped_and_long_text_capped(tmp_path):
    wb = Workbook()
    set_text(wb.active["A1"], "a\x00b\x07c" + "长" * 40000)
    wb.save(tmp_path / "t.xlsx")
    value = load_workbook(tmp_path / "t.xlsx").active["A1"].value
    assert value.startswith("abc") and len(value) == 32767


def test_csv_safe():
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("-3") == "'-3"
    assert csv_safe(-3) == -3
    assert csv_safe("视频会议") == "视频会议"
