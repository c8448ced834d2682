"""The form's table as the seed prints it: sentences with their blanks filled, layout and print setup."""

from openpyxl import Workbook

from collector.forms.model import load_forms
from collector.reports.seed_sheet import fill_line, format_number, write_seed_sheet

FORM = load_forms()["dxal-2020"]


def line(text_start):
    return next(l for a in FORM.activities for l in a.lines if l.text.startswith(text_start))


def test_fill_line_blanks_and_ticks():
    study = line("安排理论学习中心组专题学习")
    assert fill_line(study, ["57", "1203", None]).startswith(
        "安排理论学习中心组专题学习（57）次，参与（1203）人次；开展网络课堂培训（ ）场")
    question = next(l for a in FORM.activities for l in a.lines if l.text.endswith("□是 □否"))
    assert fill_line(question, [], "是").endswith("☑是 □否")
    assert fill_line(question, [], "否", "（是1，否2）").endswith("□是 ☑否（是1，否2）")
    assert fill_line(question, [], None).endswith("□是 □否")


def test_format_number():
    assert [format_number(v) for v in (12, 12.0, 85.25, 3.04, None)] == ["12", "12", "85.2", "3", " "]


def test_layout_and_print_setup():
    wb = Workbook()
    ws = wb.active
    rows = write_seed_sheet(ws, FORM, {"填报单位（盖章）": "某办"}, lambda a: [l.text for l in a.lines], ["注：测试"])
    assert ws["A1"].value == FORM.title
    assert ws["A2"].value.startswith("填报单位（盖章）：某办")
    assert [ws.cell(3, c).value for c in range(2, 5)] == FORM.columns
    assert len(rows) == len(FORM.activities)
    first = FORM.activities[0]
    assert ws.cell(rows[0], 2).value == first.seed_name and ws.cell(rows[0], 4).value == first.lines[0].text
    assert any(str(r).startswith("A4:A") for r in ws.merged_cells.ranges)  # the section down the left
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(max(rows.values()) + 2, 1).value == "注：测试"
