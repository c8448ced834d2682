"""Blank templates: every form written with checked input cells, filled, and read back exactly."""

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.packaging.custom import CustomPropertyList
from typer.testing import CliRunner

from collector.cli import app
from collector.forms.model import load_forms
from collector.inbox.workspace import safe_file_name
from collector.reading.check import check_file
from collector.reading.reader import read_workbook
from collector.reading.workbook import open_workbook
from collector.reports.templates import (
    INPUT_FILL,
    META_SHEET,
    NO_PERIOD,
    PROP_FORM,
    PROP_PERIOD,
    PROP_UNIT,
    PROP_VERSION,
    SHEET_NAME,
    form_slots,
    template_filename,
    template_folder,
    write_template,
    write_templates,
)

FORM_IDS = sorted(load_forms())
UNIT = "南关区工信局"
PERIOD = "2020-06"


def _value(form, index, ref):
    """A distinct value for every blank, so that a blank read from the wrong cell shows."""
    return {
        "count": 7 * index,  # 0 for the first blank
        "percent": 12.5 + index,
        "text": f"线上直播{index}",
        "yesno": "是" if index % 2 else "否",
    }[ref.kind]


def _expected(form):
    return {ref.key: _value(form, i, ref) for i, ref in enumerate(form.blank_refs)}


def _input_map(wb):
    """key -> input cell, from the hidden sheet."""
    rows = [(r[0].value, r[1].value) for r in wb[META_SHEET].iter_rows() if r[0].value]
    start = rows.index(("key", "cell"))
    return dict(rows[start + 1 :])


def _filled(tmp_path, form, unit=UNIT, period=PERIOD):
    """A template of ``form``, every input filled with openpyxl."""
    path = write_template(form, unit, period, tmp_path).path
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_NAME]
    for key, cell in _input_map(wb).items():
        if not key.startswith("header:"):
            ws[cell] = _expected(form)[key]
    wb.save(path)
    return path


def _values(result):
    return {ref.key: result.values[ref.key] for ref in result.form.blank_refs}


# ---------------------------------------------------------------------------------------------
# layout


def test_words_beside_the_inputs(forms):
    form = forms["haicheng-2020"]
    slots = {s.ref.key: (s.words, s.after) for _line, line_slots in form_slots(form) for s in line_slots}
    assert slots["study.group_sessions"] == ("安排理论学习中心组专题学习", "次，")
    assert slots["study.group_attendance"] == ("参与", "人次；")
    assert slots["launch.form"] == ("以", "")
    assert slots["launch.sessions"] == ("等形式启动“安全生产月”活动", "场次。")
    # a clause that opens with a blank: its own words follow it, up to the clause's end
    assert slots["inspect.woodpecker_enterprises"] == ("", "个企业开展“安全生产啄木鸟”“企业风险扫描仪”“隐患排查显微镜”等活动，")
    assert slots["inspect.enterprise_hazards"] == ("排查整治安全风险隐患", "个；")
    # no words of its own before the next clause: its label says what it is
    assert slots["inspect.screening_attendance"] == ("警示教育片组织观看·人次", "人次；")
    assert slots["inspect.communities"] == ("“查找身边隐患”等活动·社区（村）物业公司数", "个")


def test_bare_yesno_carries_its_label(forms):
    form = forms["changchun-2019"]
    for _line, slots in form_slots(form):
        for slot in slots:
            assert slot.words or slot.after, slot
            if slot.ref.kind == "yesno":
                assert slot.words and slot.after == "（选是/否）"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_blank_has_one_input(forms, form_id):
    form = forms[form_id]
    keys = [s.ref.key for _line, slots in form_slots(form) for s in slots]
    assert keys == [ref.key for ref in form.blank_refs]


# ---------------------------------------------------------------------------------------------
# the workbook as issued


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_template_workbook(tmp_path, forms, form_id):
    form = forms[form_id]
    written = write_template(form, UNIT, PERIOD, tmp_path)
    assert written.path.name == f"{UNIT}_{form.short_name}_{PERIOD}.xlsx"
    wb = openpyxl.load_workbook(written.path)
    ws = wb[SHEET_NAME]

    # metadata: document properties and the hidden sheet
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props[PROP_FORM] == form.id and props[PROP_VERSION] == str(form.version)
    assert props[PROP_UNIT] == UNIT and props[PROP_PERIOD] == PERIOD
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb.worksheets[0].title == SHEET_NAME and wb.active.title == SHEET_NAME

    # protection without a password; inputs and header values unlocked and shaded, the rest locked
    assert ws.protection.sheet and not ws.protection.password
    inputs = _input_map(wb)
    assert len([k for k in inputs if not k.startswith("header:")]) == len(form.blank_refs)
    open_cells = set(inputs.values())
    for row in ws.iter_rows():
        for cell in row:
            if cell.coordinate in open_cells:
                assert cell.protection.locked is False, cell.coordinate
                assert cell.fill.fgColor.rgb.endswith(INPUT_FILL), cell.coordinate
            elif cell.value is not None:
                assert cell.protection.locked is not False, cell.coordinate
    assert ws[inputs[f"header:{form.unit_field}"]].value == UNIT

    # one validation per input, of the blank's kind
    validations = {}
    for dv in ws.data_validations.dataValidation:
        for cell in str(dv.sqref).split():
            assert cell not in validations
            validations[cell] = dv
    for ref in form.blank_refs:
        dv = validations[inputs[ref.key]]
        assert dv.showInputMessage and dv.prompt and ref.label in dv.prompt
        if ref.kind == "count":
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
            assert ref.blank.unit in dv.prompt and dv.showErrorMessage and dv.errorStyle == "stop"
        elif ref.kind == "percent":
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "100")
        elif ref.kind == "yesno":
            assert (dv.type, dv.formula1) == ("list", '"是,否"') and dv.showErrorMessage
        else:
            assert dv.type is None  # free text: an input message only

    # A4 landscape, fit to the width, title and column heads on every page
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows.startswith("$1:")


def test_seed_words_are_in_the_template(tmp_path, forms):
    form = forms["dxal-2020"]
    wb = openpyxl.load_workbook(write_template(form, UNIT, PERIOD, tmp_path).path)
    texts = {c.value for row in wb[SHEET_NAME].iter_rows() for c in row if c.value}
    assert form.title in texts
    assert {s.name for s in form.sections} <= texts
    assert {a.seed_name for a in form.activities if a.seed_name} <= texts
    assert {a.requirement for a in form.activities if a.requirement} <= texts
    assert "安排理论学习中心组专题学习" in texts and "人次；" in texts


def test_unit_name_is_never_a_formula(tmp_path, forms):
    form = forms["haicheng-2020"]
    unit = '=HYPERLINK("http://example.com","点我")'
    path = write_template(form, unit, PERIOD, tmp_path).path
    assert path.name == "=HYPERLINK(_http___example.com_,_点我_)_平安临溟统计表_2020-06.xlsx"
    wb = openpyxl.load_workbook(path)
    cell = wb[SHEET_NAME][_input_map(wb)[f"header:{form.unit_field}"]]
    assert cell.value == unit and cell.data_type == "s"
    with zipfile.ZipFile(path) as archive:
        assert all(b"<f>" not in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    result = check_file(path, forms)
    assert result.unit == unit and result.properties[PROP_UNIT] == unit


def test_file_names():
    assert safe_file_name('a\\b/c:d*e?f"g<h>i|j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_file_name("单位. ") == "单位"
    assert safe_file_name("CON") == "_CON"
    assert safe_file_name("") == "_"
    forms = load_forms()
    assert template_filename(forms["dxal-2020"], "塔河县安委会", None) == "塔河县安委会_兴安行统计表.xlsx"
    assert template_folder(Path("outbox"), None) == Path("outbox/空白表") / NO_PERIOD
    assert template_folder(Path("outbox"), "2020-W25") == Path("outbox/空白表/2020-W25")


def test_two_units_one_file_name_refused(tmp_path, forms):
    from collector.errors import TemplateError

    with pytest.raises(TemplateError, match="文件名相同"):
        write_templates(forms["dxal-2020"], ["甲/乙", "甲:乙"], None, tmp_path)


# ---------------------------------------------------------------------------------------------
# reading back


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_round_trip(tmp_path, forms, form_id):
    form = forms[form_id]
    path = _filled(tmp_path, form)
    read = read_workbook(open_workbook(path), forms)
    assert read.layout == "template" and read.sheet == SHEET_NAME
    assert read.properties[PROP_PERIOD] == PERIOD
    result = check_file(path, forms)
    assert result.ok and not result.problems, result.problems
    assert result.form.id == form_id and result.unit == UNIT
    assert _values(result) == _expected(form)
    wb = openpyxl.load_workbook(path)
    inputs = _input_map(wb)
    assert result.cells == {ref.key: f"{SHEET_NAME}!{inputs[ref.key]}" for ref in form.blank_refs}


def test_check_json_lists_values_in_reading_order(tmp_path, forms):
    form = forms["haicheng-2020"]
    path = _filled(tmp_path, form)
    out = CliRunner().invoke(app, ["check", "--json", str(path)])
    assert out.exit_code == 0, out.output
    [obj] = json.loads(out.output)
    assert obj["form"] == form.id and obj["unit"] == UNIT and obj["ok"] is True
    assert [v["key"] for v in obj["values"]] == [ref.key for ref in form.blank_refs]
    assert [v["value"] for v in obj["values"]] == list(_expected(form).values())
    assert all(v["cell"].startswith(f"{SHEET_NAME}!E") for v in obj["values"])


def test_renamed_sheet(tmp_path, forms):
    form = forms["dxal-2020"]
    path = _filled(tmp_path, form)
    wb = openpyxl.load_workbook(path)
    wb[SHEET_NAME].title = "Sheet1"
    wb.save(path)
    result = check_file(path, forms)
    assert result.ok and _values(result) == _expected(form)
    assert all(cell.startswith("Sheet1!") for cell in result.cells.values())


def test_inserted_rows(tmp_path, forms):
    form = forms["haicheng-2020"]
    path = _filled(tmp_path, form)
    wb = openpyxl.load_workbook(path)
    inputs = _input_map(wb)
    ws = wb[SHEET_NAME]
    ws.insert_rows(12)  # in the middle of the table: the hidden map no longer fits
    ws.insert_rows(3, amount=2)  # inside the header
    wb.save(path)
    result = check_file(path, forms)
    assert result.ok, result.problems
    assert _values(result) == _expected(form)
    for ref in form.blank_refs:
        row = int(inputs[ref.key][1:])
        moved = row + 2 + (1 if row >= 12 else 0)
        assert result.cells[ref.key] == f"{SHEET_NAME}!E{moved}"


def test_copied_into_a_fresh_workbook(tmp_path, forms):
    """The table pasted (values only, somewhere else) into a new workbook: no metadata, the words decide."""
    for form in forms.values():
        source = openpyxl.load_workbook(_filled(tmp_path, form))[SHEET_NAME]
        fresh = openpyxl.Workbook()
        fresh.active.title = "汇报"
        fresh.create_sheet("说明", 0)["A1"] = "填报说明：见通知"
        for row in source.iter_rows():
            for cell in row:
                if cell.value is not None:
                    fresh["汇报"].cell(cell.row + 2, cell.column + 1, cell.value)
        path = tmp_path / f"copy-{form.id}.xlsx"
        fresh.save(path)
        read = read_workbook(open_workbook(path), forms)
        assert read.layout == "template" and read.form is form and PROP_PERIOD not in read.properties
        result = check_file(path, forms)
        assert result.ok, (form.id, result.problems)
        assert result.unit == UNIT and _values(result) == _expected(form)
        assert all(cell.startswith("汇报!F") for cell in result.cells.values())


def test_hidden_sheet_carries_the_metadata_alone(tmp_path, forms):
    form = forms["liaoning-scjg-2020"]
    path = _filled(tmp_path, form)
    wb = openpyxl.load_workbook(path)
    wb.custom_doc_props = CustomPropertyList()
    wb.save(path)
    assert open_workbook(path).properties == {}
    result = check_file(path, forms)
    assert result.ok and result.properties[PROP_PERIOD] == PERIOD and result.properties[PROP_FORM] == form.id
    assert _values(result) == _expected(form)


def test_edited_words_read_by_the_map_while_no_row_moved(tmp_path, forms):
    form = forms["dxal-2020"]
    path = _filled(tmp_path, form)
    wb = openpyxl.load_workbook(path)
    inputs = _input_map(wb)
    ws = wb[SHEET_NAME]
    ws.protection.sheet = False
    row = int(inputs["study.group_sessions"][1:])
    ws.cell(row, 4).value = "安排中心组学习"  # a unit rewrote the words
    wb.save(path)
    result = check_file(path, forms)
    assert result.ok and _values(result) == _expected(form)
    # once rows have moved as well, the map is not trusted: that sentence is missing
    ws.insert_rows(row + 3)
    wb.save(path)
    result = check_file(path, forms)
    assert {p.code for p in result.errors} == {"missing_line"}
    line = form.by_key["study.group_sessions"].line
    assert [p.message for p in result.errors] == [f"表中找不到这一行：“{line.text}”。请按下发的原表填写，不要改动或删除表中文字。"]
    for ref in form.blank_refs:
        assert result.values[ref.key] == (None if ref.line is line else _expected(form)[ref.key])


def test_empty_template_reads_as_nothing_filled(tmp_path, forms):
    form = forms["changchun-2019"]
    path = write_template(form, UNIT, None, tmp_path).path
    result = check_file(path, forms)
    assert result.ok and result.unit == UNIT
    assert PROP_PERIOD not in result.properties
    assert all(v is None for v in result.values.values())
    assert {p.code for p in result.warnings} == {"blank", "unanswered"}
    assert len(result.warnings) == len(form.blank_refs)


def test_wrong_entries_that_got_past_validation(tmp_path, forms):
    """Pasting bypasses Excel's validation: the check still names the cell and what is wrong."""
    form = forms["haicheng-2020"]
    path = _filled(tmp_path, form)
    wb = openpyxl.load_workbook(path)
    inputs = _input_map(wb)
    ws = wb[SHEET_NAME]
    ws[inputs["study.group_sessions"]] = -3
    ws[inputs["study.group_attendance"]] = 12.5
    ws[inputs["study.columns"]] = "十二"
    wb.save(path)
    result = check_file(path, forms)
    errors = {p.key: (p.code, p.cell) for p in result.errors}
    assert errors == {
        "study.group_sessions": ("negative", f"{SHEET_NAME}!{inputs['study.group_sessions']}"),
        "study.group_attendance": ("decimal", f"{SHEET_NAME}!{inputs['study.group_attendance']}"),
    }
    assert result.values["study.columns"] == 12


def test_seed_layout_returns_still_read_as_seed(forms):
    from conftest import sample_inbox

    path = sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx"
    read = read_workbook(open_workbook(path), forms)
    assert read.layout == "seed" and not read.missing_lines


# ---------------------------------------------------------------------------------------------
# through a real office suite


def _soffice(tmp_path, files, fmt):
    out = tmp_path / f"out-{fmt}"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt, "--outdir", str(out),
         *map(str, files)],
        check=True, capture_output=True, timeout=300,
    )
    return out


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_round_trip(tmp_path, forms):
    filled_dir = tmp_path / "filled"
    filled_dir.mkdir()
    paths = {form.id: _filled(filled_dir, form) for form in forms.values()}
    out = _soffice(tmp_path, paths.values(), "xlsx")
    for form_id, original in paths.items():
        form = forms[form_id]
        saved = out / original.name
        assert saved.is_file(), f"LibreOffice did not write {saved.name}"
        result = check_file(saved, forms)
        assert result.ok and not result.problems, (form_id, result.problems)
        assert _values(result) == _expected(form) and result.unit == UNIT
        assert result.properties[PROP_PERIOD] == PERIOD and result.properties[PROP_FORM] == form_id
        # validation, protection and metadata are still there
        wb = openpyxl.load_workbook(saved)
        ws = wb[SHEET_NAME]
        assert ws.protection.sheet
        assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")
        assert {p.name for p in wb.custom_doc_props.props} >= {PROP_FORM, PROP_VERSION, PROP_UNIT, PROP_PERIOD}
        kinds = {}
        for dv in ws.data_validations.dataValidation:
            for cell in str(dv.sqref).split():
                kinds[cell] = (dv.type, dv.formula1)
        inputs = _input_map(openpyxl.load_workbook(original))
        for ref in form.blank_refs:
            cell = ws[inputs[ref.key]]
            assert cell.protection.locked is False
            want = {"count": ("whole", "0"), "percent": ("decimal", "0"), "yesno": ("list", '"是,否"')}.get(ref.kind)
            if want:
                assert kinds[cell.coordinate] == want, (ref.key, kinds.get(cell.coordinate))
    # saved as .xls (Excel 97–2003, as WPS users often do): no document properties, the hidden sheet still says it
    out = _soffice(tmp_path, paths.values(), "xls")
    for form_id, original in paths.items():
        result = check_file(out / original.with_suffix(".xls").name, forms)
        assert result.ok and _values(result) == _expected(forms[form_id]), (form_id, result.problems)
        assert result.properties[PROP_PERIOD] == PERIOD and result.properties[PROP_UNIT] == UNIT


# ---------------------------------------------------------------------------------------------
# the command


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "collector.toml").write_text('form = "haicheng-2020"\n', encoding="utf-8")
    (root / "units.csv").write_text("单位,地区,别名\n南关区工信局,城区,南关\n宽城区工信局,城区,\n", encoding="utf-8")
    return root


def _run(*args):
    return CliRunner().invoke(app, ["template", *args])


def test_cli_all(workspace, forms):
    result = _run("--all", "--period", PERIOD, "-w", str(workspace))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "已生成 2 份空白表：平安临溟统计表（haicheng-2020 第 1 版），期间 2020-06\n"
        "  南关区工信局：南关区工信局_平安临溟统计表_2020-06.xlsx\n"
        "  宽城区工信局：宽城区工信局_平安临溟统计表_2020-06.xlsx\n"
        "保存在：outbox/空白表/2020-06\n"
        "请把每份表作为附件发给对应单位；表中只有浅黄色格子可以填写。\n"
    )
    folder = workspace / "outbox" / "空白表" / PERIOD
    assert sorted(p.name for p in folder.iterdir()) == [
        "南关区工信局_平安临溟统计表_2020-06.xlsx", "宽城区工信局_平安临溟统计表_2020-06.xlsx"]
    check = check_file(folder / "宽城区工信局_平安临溟统计表_2020-06.xlsx", forms)
    assert check.unit == "宽城区工信局" and check.properties[PROP_UNIT] == "宽城区工信局"


def test_cli_one_unit_by_alias_replaces_and_says_so(workspace):
    assert _run("--unit", "南关", "-w", str(workspace)).exit_code == 0
    result = _run("--unit", "南关", "--form", "dxal-2020", "-w", str(workspace))
    assert result.exit_code == 0, result.output
    result = _run("--unit", "南关区工信局", "--form", "dxal-2020", "-w", str(workspace))
    assert result.output == (
        "已生成 1 份空白表：兴安行统计表（dxal-2020 第 1 版），期间未定\n"
        "  南关区工信局：南关区工信局_兴安行统计表.xlsx（已替换原有的同名空白表）\n"
        f"保存在：{Path('outbox', '空白表', NO_PERIOD)}\n"
        "请把每份表作为附件发给对应单位；表中只有浅黄色格子可以填写。\n"
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "请用 --unit 单位名称 指定单位，或用 --all 为名单中的每个单位生成（二者选一）。"),
        (("--all", "--unit", "南关"), 2, "二者选一"),
        (("--unit", "铁西区工信局"), 2, "单位“铁西区工信局”不在单位名单 units.csv 中。"),
        (("--all", "--period", "2020-13"), 2, "期间“2020-13”格式不对"),
        (("--all", "--form", "nope"), 2, "没有编号为“nope”的统计表。"),
    ],
)
def test_cli_refuses(workspace, args, code, message):
    result = _run(*args, "-w", str(workspace))
    assert result.exit_code == code
    assert message in result.output
    assert not (workspace / "outbox").exists()


def test_cli_needs_a_workspace_or_a_form(tmp_path):
    result = _run("--all", "-w", str(tmp_path))
    assert result.exit_code == 2 and "不是工作目录" in result.output
    result = _run("--all", "--form", "dxal-2020", "-w", str(tmp_path))
    assert result.exit_code == 2 and "没有单位名单" in result.output


# ---------------------------------------------------------------------------------------------
# a batch, and printing


def _sheet_cells(path):
    wb = openpyxl.load_workbook(path)
    cells = {c.coordinate: c.value for row in wb[SHEET_NAME].iter_rows() for c in row if c.value is not None}
    hidden = [(r[0].value, r[1].value) for r in wb[META_SHEET].iter_rows()]
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    return cells, hidden, props


def test_a_batch_gives_each_unit_its_own_template(tmp_path, forms):
    """A batch builds one workbook and re-labels it: each file must equal the unit's template built alone."""
    form = forms["dxal-2020"]
    units = ["漠河市安委会", "塔河县安委会", "地区应急管理局"]
    batch = write_templates(form, units, PERIOD, tmp_path / "batch")
    for unit, written in zip(units, batch):
        alone = write_template(form, unit, PERIOD, tmp_path / "alone" / unit)
        assert _sheet_cells(written.path) == _sheet_cells(alone.path)
        assert check_file(written.path, forms).unit == unit


def test_template_prints_compactly_with_the_section_on_every_activity(forms):
    """No forced page break per activity; each activity's first row names its section; footer in the margin."""
    from collector.reports.templates import build_template

    form = forms["dxal-2020"]
    ws = build_template(form, UNIT, PERIOD)[SHEET_NAME]
    assert list(ws.row_breaks.brk) == []
    tops = {}
    for merged in ws.merged_cells.ranges:
        if merged.min_col == 2 and merged.max_col == 2:
            tops[merged.min_row] = ws.cell(merged.min_row, 1).value
    named = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value]
    sections = {a.seed_name: s.name for s in form.sections for a in s.activities}
    for row in range(1, ws.max_row + 1):
        name = ws.cell(row, 2).value
        if name in sections:
            assert ws.cell(row, 1).value == sections[name], (row, name)
    assert len(named) > len(form.sections)
    margins = ws.page_margins
    assert 0 < margins.footer < margins.bottom  # the page numbers print inside the bottom margin
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_template_prints_on_few_pages(tmp_path, forms):
    """Rendered by LibreOffice: the 兴安行 template (80 inputs) took 8 A4 pages with a break per activity."""
    import re

    form = forms["dxal-2020"]
    path = write_template(form, UNIT, PERIOD, tmp_path).path
    pdf = _soffice(tmp_path, [path], "pdf") / path.with_suffix(".pdf").name
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 1 <= pages <= 6, pages
