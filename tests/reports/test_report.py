"""The consolidated workbook: its sheets, its numbers, its safety, and reading it one level up."""

import random
import shutil
import subprocess
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from collector.forms.layout import ROLLUP_SHEET
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
                       made_on=date(2020, 6, 30), data_as_of=datetime(2020, 6, 30, 18, 5), statuses=statuses, status_line=f"应报{len(units) + 1}，已报{len(units)}，未报1",
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
    assert wb.sheetnames == [*SHEETS, ROLLUP_SHEET]
    assert wb[ROLLUP_SHEET].sheet_state == "veryHidden"
    summary = wb["汇总表"]
    assert summary["A1"].value == form.title
    assert summary["A2"].value.startswith("填报单位（盖章）：某市安委办　　联系人：李四　　电话：0457-1234567　　填报日期：2020-06-30")
    texts = "\n".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
    total = sum(a["study.group_sessions"] for a in answers)
    assert f"安排理论学习中心组专题学习（{total}）次" in texts
    assert "□是 □否（是3，否1）" in texts  # 3 是 and 1 否: the office does not answer 否 for them all
    # the stamped sheet: the table, the header and one coverage line — no bookkeeping
    last = max(r for r in range(1, summary.max_row + 1) if summary.cell(r, 1).value)
    assert summary.cell(last, 1).value == "本表汇总4个单位的报表（应报5个），数据截至2020年6月30日18:05。"
    for word in ("逾期", "待确认", "退回", "未报", "已报", "不能相加"):
        assert word not in texts, word
    assert summary.oddHeader.right.text == "数据截至 2020-06-30 18:05"
    assert summary.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert summary.page_setup.orientation == "landscape" and summary.print_title_rows in ("1:3", "$1:$3")
    assert summary.merged_cells.ranges  # title, header and sections are merged

    activity = wb["按活动"]
    assert [c.value for c in activity[1]][4:8] == ["合计", "填报单位数", "数值不为0的单位数", "说明"]
    answers_of = [a["study.group_sessions"] for a in answers]
    label = form.by_key["study.group_sessions"].label
    sessions = next(row for row in activity.iter_rows(min_row=2, values_only=True) if row[2] == label)
    assert sessions[4:7] == (sum(answers_of), 4, sum(1 for n in answers_of if n))

    region = wb["按地区"]
    assert [c.value for c in region[1]][:3] == ["地区", "计入单位数", "启动仪式·形式"]
    assert region["A2"].value == "甲区" and region["A4"].value == "合计"
    assert region._charts, "a chart for the meeting"

    detail = wb["明细"]
    assert detail.max_row == 5 and detail["B2"].value in {"单位0", "单位2"}
    # times are Excel date-times (sortable, filterable), shown to the minute — not ISO text
    assert detail["E1"].value == "收到时间"
    assert detail["E2"].value == datetime(2020, 6, 28, 9, 0) and detail["E2"].number_format == "yyyy-mm-dd hh:mm"
    status = wb["报送情况"]
    assert [c.value for c in status[6]][:3] == ["乙区", "未报单位", "未报"]
    assert status["E2"].value == datetime(2020, 6, 28, 9, 0) and status["E2"].number_format == "yyyy-mm-dd hh:mm"
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


def test_hidden_rollup_sheet_says_what_an_exact_rollup_needs(tmp_path):
    """docs/rollup-metadata.md: settings, a blank row, then key/kind/value/yes/no/weight per blank."""
    form = FORMS["dxal-2020"]
    rng = random.Random(11)
    answers = [realistic_values(form, rng) for _ in range(4)]
    share = next(ref.key for ref in form.blank_refs if ref.kind == "percent")
    answers[0][share], answers[1][share], answers[2][share], answers[3][share] = 10.0, 20.0, 40.0, None
    for a, said in zip(answers, ["是", "是", "否", None]):
        a["org.in_plan"] = said
    path = tmp_path / "r.xlsx"
    make_report(path, form, answers)
    rows = [tuple(c for c in row) for row in load_workbook(path)[ROLLUP_SHEET].iter_rows(values_only=True)]
    assert rows[:6] == [("collector.rollup", 1, None, None, None, None), ("form", "dxal-2020", None, None, None, None),
                        ("period", "2020-06", None, None, None, None), ("units", 4, None, None, None, None),
                        (None,) * 6, ("key", "kind", "value", "yes", "no", "weight")]
    table = {row[0]: row[1:] for row in rows[6:]}
    assert set(table) == {ref.key for ref in form.blank_refs if ref.kind != "text"}
    sessions = "study.group_sessions"
    assert table[sessions] == ("count", sum(a[sessions] for a in answers), None, None, 4)
    assert table[share][0] == "percent" and table[share][1] == pytest.approx(70 / 3) and table[share][4] == 3
    assert table["org.in_plan"] == ("yesno", None, 2, 1, 4)  # 未答 = 4 − 2 − 1
    for row in load_workbook(path)[ROLLUP_SHEET].iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def _pdf_pages(pdf):
    count = int(next(line.split()[-1] for line in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                                  check=True).stdout.splitlines()
                     if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout for n in range(1, count + 1)]


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) or pdftotext (poppler-utils) is not installed")
def test_printed_summary_pages_are_numbered_and_name_their_section(tmp_path):
    """The 汇总表 rendered by LibreOffice: several A4 pages, each with the title and column heads, the
    "数据截至" header and its page number, and the name of every section whose rows it prints —
    a section is never cut without its name on the next page, an activity never cut in two."""
    form = FORMS["dxal-2020"]
    make_report(tmp_path / "r.xlsx", form, [realistic_values(form, random.Random(1)) for _ in range(5)])
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(tmp_path / "r.xlsx")], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pages = _pdf_pages(tmp_path / "r.pdf")
    # the 汇总表's pages: up to the one with the coverage line (the other sheets follow)
    last = next(i for i, text in enumerate(pages) if "本表汇总5个单位的报表（应报6个）" in text)
    summary = [" ".join(text.split()) for text in pages[: last + 1]]
    assert len(summary) >= 3, "the sample form prints on several pages"
    # an activity is known on a page by the start of its 内容要求 (its name may recur in other words)
    activities = [(section.name, "".join((activity.requirement or activity.seed_name).split())[:16])
                  for section in form.sections for activity in section.activities]
    seen = []
    for n, text in enumerate(summary, start=1):
        assert form.title in text.replace(" ", "") and "进展情况" in text
        assert "数据截至 2020-06-30 18:05" in text
        assert f"第 {n} 页，共 {len(pages)} 页" in text
        flat = text.replace(" ", "")
        on_page = [(s, a) for s, a in activities if a in flat]
        assert on_page, f"page {n} prints no activity"
        for section, _ in on_page:
            assert section.replace(" ", "") in flat, f"page {n}: rows of {section} without its name"
        seen += on_page
    assert sorted(set(seen)) == sorted(set(activities))  # every activity printed, on the 汇总表's pages
    # no bookkeeping on the stamped pages
    assert not any(word in text for text in summary for word in ("逾期", "待确认", "退回"))


def test_the_wide_sheets_print_on_a4_landscape_readably_with_their_titles(tmp_path):
    from collector.reports.print_setup import MARGIN_SIDE, PAGE_NUMBERS

    page_pixels = (11.69 - 2 * MARGIN_SIDE) * 96  # A4 landscape between the margins, at 100 %

    form = FORMS["dxal-2020"]
    rng = random.Random(7)
    path = tmp_path / "r.xlsx"
    make_report(path, form, [realistic_values(form, rng) for _ in range(3)])
    wb = load_workbook(path)
    for name in ("按地区", "明细"):
        ws = wb[name]
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert int(setup.fitToHeight) == 0 and setup.pageOrder == "overThenDown", name
        columns = ws.max_column
        assert columns > 20 and int(setup.fitToWidth) > 1, name  # a column per blank: several pages across
        pixels = sum(ws.column_dimensions[ws.cell(1, c).column_letter].width * 7 + 5 for c in range(1, columns + 1))
        assert pixels / int(setup.fitToWidth) <= page_pixels / 0.75, name  # printed at 75 % or larger
        assert ws.print_title_rows == "$1:$1" and ws.print_title_cols == "$A:$B", name  # titles on every page
        assert ws.oddFooter.center.text == PAGE_NUMBERS and ws.page_margins.left == MARGIN_SIDE, name
    for name in ("报送情况", "校验问题"):  # narrow: one page wide
        assert int(wb[name].page_setup.fitToWidth) == 1 and wb[name].print_title_cols is None, name
