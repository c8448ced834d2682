"""The consolidated workbook: its sheets, its numbers, its safety, and reading it one level up."""

import random
import shutil
import subprocess
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from collector.forms.model import load_forms
from collector.jobs.samples import realistic_values
from collector.reading.check import check_file
from collector.reports.report import SHEETS, IssueRow, ReportInput, StatusRow, write_report
from collector.reports.rollup import LONG_COLUMNS, rollup

FORMS = load_forms()


def make_report(path, form, answers, issues=(), units=None):
    units = units or [f"单位{i}" for i in range(len(answers))]
    rows = [
        (i + 1, units[i], ["甲区", "乙区"][i % 2], f"{units[i]}.xlsx", 1, "2020-06-28T09:00", ref.key,
         f"统计表!D{4 + n}", a.get(ref.key))
        for i, a in enumerate(answers)
        for n, ref in enumerate(form.blank_refs)
    ]
    rolled = rollup(form, pd.DataFrame(rows, columns=LONG_COLUMNS), ["甲区", "乙区"])
    statuses = [StatusRow("甲区", u, "已报", True, "2020-06-28T09:00", 1, 0, f"{u}.xlsx") for u in units]
    statuses.append(StatusRow("乙区", "未报单位", "未报", None, None, 0, 0, None))
    data = ReportInput(form, "2020-06", rolled, len(units) + 1, office="某市安委办", contact="李四", phone="0457-1234567",
                       made_on=date(2020, 6, 30), statuses=statuses, status_line=f"应报{len(units) + 1}，已报{len(units)}，未报1",
                       issues=list(issues))
    write_report(path, data)
    return rolled


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_summary_sheet_reads_back_as_this_office_return(tmp_path, form_id):
    form = FORMS[form_id]
    rng = random.Random(form_id)
    answers = [realistic_values(form, rng) for _ in range(5)]
    path = tmp_path / "汇总.xlsx"
    rolled = make_report(path, form, answers)
    result = check_file(path, FORMS)
    assert result.ok, result.problems
    assert result.form.id == form_id
    assert result.unit == "某市安委办"
    assert result.cells[form.blank_refs[0].key].startswith("汇总表!")
    for ref in form.blank_refs:
        if ref.kind == "count":
            assert result.values[ref.key] == sum(a[ref.key] for a in answers)
        elif ref.kind == "yesno":
            assert result.values[ref.key] == rolled.totals[ref.key].answer


def test_sheets_and_their_contents(tmp_path):
    form = FORMS["dxal-2020"]
    rng = random.Random(5)
    answers = [realistic_values(form, rng) for _ in range(4)]
    answers[0]["org.in_plan"] = answers[1]["org.in_plan"] = answers[2]["org.in_plan"] = "是"
    answers[3]["org.in_plan"] = "否"
    path = tmp_path / "r.xlsx"
    make_report(path, form, answers, [IssueRow("错误", "单位0", "单位0.xlsx", "统计表!D7", "参与人次", "-3", "应填写整数")])
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    summary = wb["汇总表"]
    assert summary["A1"].value == form.title
    assert summary["A2"].value.startswith("填报单位（盖章）：某市安委办　　联系人：李四　　电话：0457-1234567　　填报日期：2020-06-30")
    texts = "\n".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
    total = sum(a["study.group_sessions"] for a in answers)
    assert f"安排理论学习中心组专题学习（{total}）次" in texts
    assert "□是 □否（是3，否1）" in texts  # 3 是 and 1 否: the office does not answer 否 for them all
    assert "本表汇总 4 个单位的报表（应报 5 个）" in texts
    assert "为百分比，不能相加" in texts
    assert summary.page_setup.orientation == "landscape" and summary.print_title_rows in ("1:3", "$1:$3")
    assert summary.merged_cells.ranges  # title, header and sections are merged

    region = wb["按地区"]
    assert [c.value for c in region[1]][:3] == ["地区", "计入单位数", "启动仪式·形式"]
    assert region["A2"].value == "甲区" and region["A4"].value == "合计"
    assert region._charts, "a chart for the meeting"

    detail = wb["明细"]
    assert detail.max_row == 5 and detail["B2"].value in {"单位0", "单位2"}
    status = wb["报送情况"]
    assert [c.value for c in status[6]][:3] == ["乙区", "未报单位", "未报"]
    assert status["A8"].value == "应报5，已报4，未报1"
    issues = wb["校验问题"]
    assert [c.value for c in issues[2]] == ["错误", "单位0", "单位0.xlsx", "统计表!D7", "参与人次", "-3", "应填写整数"]


def test_unit_text_is_never_a_formula(tmp_path):
    form = FORMS["dxal-2020"]
    answers = [realistic_values(form, random.Random(9))]
    answers[0]["launch.form"] = "=HYPERLINK(\"http://evil\",\"点击\")"
    path = tmp_path / "r.xlsx"
    make_report(path, form, answers, [IssueRow("错误", "=1+1", "@x.xlsx", None, None, "+3", "-m")], units=["=cmd|'/C calc'!A0"])
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert wb["明细"]["B2"].value == "=cmd|'/C calc'!A0"
    assert wb["校验问题"]["B2"].value == "=1+1"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_and_renders_it(tmp_path):
    form = FORMS["haicheng-2020"]
    make_report(tmp_path / "r.xlsx", form, [realistic_values(form, random.Random(1)) for _ in range(3)])
    done = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "r.xlsx")],
                          capture_output=True, timeout=180)
    assert done.returncode == 0
    assert (tmp_path / "r.pdf").stat().st_size > 10_000
