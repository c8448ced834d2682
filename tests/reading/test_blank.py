"""Blank tables as files: the three seed tables' blanks (tests/data/<id>/blank/), and a workbook built here."""

import re
import shutil

import pytest
from conftest import DATA, SAMPLE_FORMS, sample_inbox, truth, write_sheet
from conftest import NEW_TABLE_MERGES as MERGES
from conftest import NEW_TABLE_ROWS as ROWS
from openpyxl import Workbook

from collector.errors import FormImportError
from collector.forms.values import normalize
from collector.reading.blank import import_blank
from collector.reading.check import check_file
from collector.reports.seed_sheet import write_seed_sheet

KINDS = {"count": "n", "percent": "p", "text": "t", "yesno": "c"}


def reads_as_truth(form, form_id):
    """Every sample return of ``form_id`` read with ``form`` alone, compared with truth.json by slot order."""
    t = truth(form_id)
    assert [KINDS[r.kind] for r in form.blank_refs] == [s[3] for s in t["slots"]]
    seen = 0
    for path in sorted(sample_inbox(form_id).iterdir()):
        if path.name in t["ignored"] or path.name in t["rejected"]:
            continue
        unit = next(u for u in t["valid_units"] if u in path.stem)
        result = check_file(path, {form.id: form})
        assert result.ok, (path.name, result.problems)
        assert result.unit == unit
        got = [result.values[r.key] for r in form.blank_refs]
        got = [0 if (v is None and r.kind in ("count", "percent")) else v for v, r in zip(got, form.blank_refs)]
        assert got == t["values"][unit], path.name
        seen += 1
    assert seen == len(t["valid_units"])


@pytest.mark.parametrize("suffix", [".xlsx", ".docx", ".doc"])
@pytest.mark.parametrize("form_id", SAMPLE_FORMS)
def test_a_seed_tables_blank_gives_a_form_that_reads_its_returns_exactly(form_id, suffix):
    result = import_blank(DATA / form_id / "blank" / f"blank{suffix}", "imported")
    assert re.fullmatch(r"[a-z0-9.]+", "".join(r.key for r in result.form.blank_refs))
    reads_as_truth(result.form, form_id)


def _write(path, rows, merges=()):
    write_sheet(path, rows, merges, title="表1")




def test_a_new_tables_workbook_blank_and_a_return_filled_in_it(tmp_path):
    blank = tmp_path / "附件2.xlsx"
    _write(blank, ROWS, MERGES)
    result = import_blank(blank, "pingan-2021")
    form = result.form
    assert [s.name for s in form.sections] == ["宣传发动", "隐患整治"]
    assert [(r.kind, r.blank.unit) for r in form.blank_refs] == [
        ("count", "期"), ("count", "元"), ("count", "个"), ("count", "户"), ("count", "个"), ("percent", "%"),
        ("count", "处"), ("text", None), ("yesno", None)]
    filled = [list(r) for r in ROWS]
    filled[1][0] = "报送单位：某某镇人民政府    填表日期：2021年6月30日"
    filled[3][4] = "召开动员会（2）期，投入经费（ 5000 ）元；\n（12）个乡镇（街道）完成部署"
    filled[4][4] = "走访(300)户，覆盖社区（村）（8）个，覆盖率（95.5）%"
    filled[5][4] = "排查隐患（7）处；以（广播、微信群）等形式公开"
    filled[6][4] = "☑是    □否"
    returned = tmp_path / "某某镇.xlsx"
    _write(returned, filled, MERGES)
    checked = check_file(returned, {form.id: form})
    assert checked.ok, checked.problems
    assert checked.unit == "某某镇人民政府"
    assert [checked.values[r.key] for r in form.blank_refs] == [2, 5000, 12, 300, 8, 95.5, 7, "广播、微信群", "是"]


def _write_docx(path, rows, merged_down=()):
    """A Word 附件: the title and header as paragraphs, the table below; ``merged_down``: (column, first row, last row)."""
    import docx

    document = docx.Document()
    document.add_paragraph(rows[0][0])
    document.add_paragraph(rows[1][0])
    body = rows[2:]
    table = document.add_table(rows=len(body), cols=len(body[0]))
    for r, row in enumerate(body):
        for c, value in enumerate(row):
            if value is not None:
                table.cell(r, c).text = str(value)
    for col, first, last in merged_down:
        top = table.cell(first, col)
        text = top.text
        merged = top.merge(table.cell(last, col))
        merged.text = text
    document.save(path)


def test_a_new_tables_word_blank_gives_the_same_form_as_its_workbook(tmp_path):
    _write(tmp_path / "附件2.xlsx", ROWS, MERGES)
    _write_docx(tmp_path / "附件2.docx", ROWS, [(1, 1, 2), (1, 3, 4)])
    from_excel = import_blank(tmp_path / "附件2.xlsx", "pingan-2021").form
    from_word = import_blank(tmp_path / "附件2.docx", "pingan-2021").form
    assert from_word.sections == from_excel.sections
    assert (from_word.title, from_word.header, from_word.columns) == (from_excel.title, from_excel.header, from_excel.columns)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_an_opendocument_blank_gives_the_same_form_as_its_workbook(tmp_path):
    """tests/data/new-table/blank.ods: the workbook ROWS/MERGES write, saved by LibreOffice Calc as .ods."""
    _write(tmp_path / "附件2.xlsx", ROWS, MERGES)
    from_excel = import_blank(tmp_path / "附件2.xlsx", "pingan-2021").form
    from_calc = import_blank(DATA / "new-table" / "blank.ods", "pingan-2021").form  # converted by LibreOffice
    assert from_calc.sections == from_excel.sections and from_calc.title == from_excel.title


def _seed_rows(form):
    """A bundled form's table as the seed lays it out, blank: title, header, heads, one row per activity."""
    rows = [[form.title, None, None, None], ["　　".join(f"{h}：" for h in form.header), None, None, None],
            ["", *form.columns[-3:]]]
    merged_down = []
    for section in form.sections:
        first = len(rows) - 2
        for activity in section.activities:
            rows.append([section.name, activity.seed_name, activity.requirement, "\n".join(x.text for x in activity.lines)])
        if len(section.activities) > 1:
            merged_down.append((0, first, len(rows) - 3))
    return rows, merged_down


@pytest.mark.parametrize("suffix", [".xlsx", ".docx"])
@pytest.mark.parametrize("form_id", ["dxal-2020", "haicheng-2020", "changchun-2019", "liaoning-scjg-2020"])
def test_every_bundled_tables_blank_gives_back_its_lines_blanks_and_header(forms, tmp_path, form_id, suffix):
    form = forms[form_id]
    path = tmp_path / f"附件{suffix}"
    if suffix == ".xlsx":
        book = Workbook()
        write_seed_sheet(book.active, form, {}, lambda activity: [x.text for x in activity.lines])
        book.save(path)
    else:
        rows, merged_down = _seed_rows(form)
        _write_docx(path, rows, merged_down)
    got = import_blank(path, "imported").form
    assert (got.title, got.header, got.unit_field) == (form.title, form.header, form.unit_field)
    assert [s.name for s in got.sections] == [s.name for s in form.sections]

    def lines(f):
        return [(normalize(x.text), [(b.kind, b.unit) for b in x.blanks]) for a in f.activities for x in a.lines]

    assert lines(got) == lines(form)


def test_a_file_that_is_not_a_table_is_refused_in_chinese(tmp_path):
    budget = tmp_path / "预算.xlsx"
    _write(budget, [["项目", "金额"], ["办公", 100]])
    with pytest.raises(FormImportError, match="空格|统计表") as caught:
        import_blank(budget)
    assert "预算.xlsx" in str(caught.value)
    text = tmp_path / "说明.txt"
    text.write_text("x", encoding="utf-8")
    with pytest.raises(FormImportError, match="不认识这种文件"):
        import_blank(text)
