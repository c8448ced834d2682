"""Reading returns: which layout, which form, and the template's metadata."""

import openpyxl
import pytest
from conftest import SAMPLE_FORMS, sample_inbox, truth

from collector.errors import UnknownForm
from collector.reading.reader import read_workbook, template_metadata
from collector.reading.workbook import Workbook, cell_address, open_workbook, parse_address
from collector.reports.templates import META_SHEET, PROP_FORM, PROP_PERIOD, build_template


def test_parse_address():
    assert parse_address("E7") == (6, 4)
    assert parse_address("统计表!$AA$10") == (9, 26)
    assert parse_address(cell_address("表!x", 41, 702)) == (41, 702)
    assert parse_address("") is None
    assert parse_address("header") is None
    assert parse_address("E0") is None


@pytest.mark.parametrize("form_id", SAMPLE_FORMS)
def test_seed_returns_read_in_the_seed_layout(forms, form_id):
    t = truth(form_id)
    unit = t["valid_units"][0]
    path = next(p for p in sorted(sample_inbox(form_id).iterdir()) if unit in p.name and "错误" not in p.name)
    read = read_workbook(open_workbook(path), forms)
    assert read.layout == "seed" and read.form.id == form_id and not read.missing_lines
    assert read.properties == {}


def test_not_a_form_is_still_unknown(tmp_path, forms):
    path = tmp_path / "预算.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["项目", "金额"])
    wb.active.append(["参与", 3, "人次；"])  # words of a template, but not a table
    wb.save(path)
    with pytest.raises(UnknownForm):
        read_workbook(open_workbook(path), forms)


def test_metadata_from_the_hidden_sheet_when_properties_are_gone(tmp_path, forms):
    path = tmp_path / "t.xlsx"
    build_template(forms["dxal-2020"], "塔河县安委会", "2020-06").save(path)
    book = open_workbook(path)
    props, cells = template_metadata(book)
    assert props[PROP_FORM] == "dxal-2020" and props[PROP_PERIOD] == "2020-06"
    assert cells["launch.form"].startswith("E") and cells["header:填报单位（盖章）"] == "C2"
    bare = Workbook(path=book.path, sheets=book.sheets, properties={})
    assert template_metadata(bare)[0][PROP_PERIOD] == "2020-06"
    # document properties win over the hidden sheet
    other = Workbook(path=book.path, sheets=book.sheets, properties={PROP_PERIOD: "2020-07"})
    assert template_metadata(other)[0][PROP_PERIOD] == "2020-07"


def test_metadata_naming_an_unknown_form_is_ignored(tmp_path, forms):
    path = tmp_path / "t.xlsx"
    wb = build_template(forms["haicheng-2020"], "海城市应急局", None)
    for prop in wb.custom_doc_props.props:
        if prop.name == PROP_FORM:
            prop.value = "no-such-form"
    wb[META_SHEET]["B1"].value = "no-such-form"
    wb.save(path)
    read = read_workbook(open_workbook(path), forms)
    assert read.form.id == "haicheng-2020" and read.layout == "template" and not read.missing_lines


def test_a_consolidated_report_hidden_rollup_sheet_is_read(tmp_path, forms):
    """docs/rollup-metadata.md: settings, a blank row, one row per blank; another format version is not trusted."""
    from collector.forms.layout import ROLLUP_HEAD, ROLLUP_SHEET
    from collector.reading.reader import rollup_sheet

    wb = openpyxl.load_workbook(sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx")
    ws = wb.create_sheet(ROLLUP_SHEET)
    for row in [("collector.rollup", 1), ("form", "dxal-2020"), ("period", "2020-06"), ("units", 25), (), ROLLUP_HEAD,
                ("launch.sessions", "count", 454, None, None, 25), ("five_in.volunteer_share", "percent", 2.28, None, None, 24),
                ("org.in_plan", "yesno", None, 22, 3, 25)]:
        ws.append(row)
    ws.sheet_state = "veryHidden"
    wb.save(tmp_path / "report.xlsx")
    read = read_workbook(open_workbook(tmp_path / "report.xlsx"), forms)
    assert read.form.id == "dxal-2020" and read.rollup is not None
    assert (read.rollup.units, read.rollup.period) == (25, "2020-06")
    assert read.rollup.rows["five_in.volunteer_share"].weight == 24
    assert (read.rollup.rows["org.in_plan"].yes, read.rollup.rows["org.in_plan"].no) == (22, 3)
    ws["B1"] = 2  # a format this version does not know
    wb.save(tmp_path / "report.xlsx")
    assert rollup_sheet(open_workbook(tmp_path / "report.xlsx")) is None


def test_long_texts_written_beside_the_table_are_judged_every_time_and_not_kept(tmp_path, forms):
    """What the form's own texts are is remembered per form (they recur in every return), but not a
    text longer than any real table holds: a checking child reads file after file, and a crafted
    file's long texts must not pile up in it. Such a text is still told, in every return."""
    from conftest import make_return

    from collector.reading import reader

    path = make_return(tmp_path / "r.xlsx", "呼中林业局")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    long_text = "另外开展了专项检查。" * 200
    ws.cell(row=ws.max_row, column=ws.max_column + 1, value=long_text)
    wb.save(path)
    for _ in range(2):
        read = read_workbook(open_workbook(path), forms)
        assert any("另外开展了专项检查" in extra.text for extra in read.extras)
    memo = reader._matcher(read.form).own_texts
    assert memo and not any("另外开展了专项检查" in text for text in memo)
