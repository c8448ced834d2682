"""Long sheets streamed into a saved workbook: what openpyxl and calamine read back is what was written."""

import math
import zipfile

from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from collector.reports.xlsx_tables import TableRows, stream_rows


def test_rows_stream_in_under_the_heading(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "明细"
    ws.append(["地区", "单位", "数"])
    ws.auto_filter.ref = "A1:C1"
    wb.create_sheet("其他")["A1"] = "不动"
    wb.save(path)
    rows = [
        ("东区", "甲局 & <乙>", 12),
        ("西区", "=1+1", 2.5),
        ("西区", "  前后有空格  ", math.nan),
        ("北区", None, True),
    ]
    stream_rows(path, [TableRows("明细", rows, ["应报5，已报4"])])

    back = load_workbook(path)
    ws = back["明细"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=5)] == [
        ["东区", "甲局 & <乙>", 12],
        ["西区", "=1+1", 2.5],
        ["西区", "  前后有空格  ", None],
        ["北区", None, "是"],
    ]
    assert ws["B3"].data_type == "s"  # text, never a formula
    assert ws["A7"].value == "应报5，已报4"
    assert ws.auto_filter.ref == "A1:C5"
    assert back["其他"]["A1"].value == "不动"
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("明细").to_python()
    assert calamine[1][:3] == ["东区", "甲局 & <乙>", 12.0]
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def test_ten_thousand_rows(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = Workbook()
    wb.active.title = "明细"
    wb.active.append(["单位"] + [f"项{i}" for i in range(80)])
    wb.save(path)
    stream_rows(path, [TableRows("明细", ((f"单位{n}", *range(n, n + 80)) for n in range(10_000)))])
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("明细").to_python()
    assert len(sheet) == 10_001
    assert sheet[-1][0] == "单位9999" and sheet[-1][80] == 9999 + 79


def test_a_value_of_no_cell_type_is_written_as_its_text(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = Workbook()
    wb.active.title = "明细"
    wb.active.append(["单位", "值"])
    wb.save(path)
    stream_rows(path, [TableRows("明细", [("甲局", ["宣讲", "展览"]), ("乙局", "=1+1")])])
    ws = load_workbook(path)["明细"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [["甲局", "['宣讲', '展览']"], ["乙局", "=1+1"]]
    assert ws["B3"].data_type == "s"
