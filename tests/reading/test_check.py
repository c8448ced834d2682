"""Every sample return read and checked exactly as truth.json says (copies of ../shared/samples in tests/data)."""

import json
import re

import openpyxl
import pytest
from conftest import DATA, FORMS, SAMPLE_FORMS, make_return, sample_inbox, truth

from collector.reading.check import check_file

#: the problem code each defect in truth.json must produce
DEFECT_CODES = {
    "负数": "negative",
    "小数": "decimal",
    "非数字": "not_number",
    "百分比超限": "over_100",
    "是否都勾选": "both",
    "不是统计表": "unknown_form",
    "文件损坏": "unreadable",
    "空文件": "empty",
}


def _cases():
    for form_id in SAMPLE_FORMS:
        for path in sorted(sample_inbox(form_id).iterdir()):
            yield pytest.param(form_id, path, id=f"{form_id}/{path.name}")


def _unit_of(path, t):
    for unit in t["valid_units"]:
        if unit in path.stem and "错误" not in path.stem:
            return unit
    return None


@pytest.mark.parametrize(("form_id", "path"), list(_cases()))
def test_sample(forms, form_id, path):
    t = truth(form_id)
    if path.name in t["ignored"]:
        return  # lock files and .txt: ingest's business (test_ingest); check still must not crash
    result = check_file(path, forms)
    if path.name in t["rejected"]:
        defect = t["rejected"][path.name]
        if defect == "未知单位":
            # the form itself is fine; only the roster (ingest) knows the unit is unknown
            assert result.ok and result.unit not in t["valid_units"]
            return
        assert not result.ok
        codes = {p.code for p in result.errors}
        assert DEFECT_CODES[defect] in codes, (defect, result.problems)
        if result.form is not None:
            assert all(p.cell and re.match(r"^.+![A-Z]+\d+$", p.cell) for p in result.errors)
        return
    unit = _unit_of(path, t)
    assert unit is not None, path.name
    assert result.ok, result.problems
    assert result.form.id == form_id
    assert result.unit == unit
    expected = t["values"][unit]
    got = [result.values[ref.key] for ref in result.form.blank_refs]
    # truth counts a blank left empty as 0; check reports it as not filled (None) with a warning
    got = [0 if (v is None and ref.kind in ("count", "percent")) else v for v, ref in zip(got, result.form.blank_refs)]
    assert got == expected


@pytest.mark.parametrize("form_id", SAMPLE_FORMS)
def test_form_matches_truth_slots(forms, form_id):
    t = truth(form_id)
    form = forms[form_id]
    kinds = {"count": "n", "percent": "p", "text": "t", "yesno": "c"}
    assert [kinds[r.kind] for r in form.blank_refs] == [s[3] for s in t["slots"]]


def test_every_blank_has_its_cell(forms):
    path = sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx"
    result = check_file(path, forms)
    assert result.cells["launch.sessions"] == "统计表!D4"
    assert all(result.cells[r.key] for r in result.form.blank_refs)


def test_percent_typed_with_its_sign_into_a_template_is_flagged(tmp_path, forms):
    """Excel and WPS store “15%” typed into a number cell as 0.15: a warning, never a silent 0.15."""
    from collector.reports.templates import META_SHEET, build_template

    form = forms["dxal-2020"]
    wb = build_template(form, "呼中林业局", "2020-06")
    meta = wb[META_SHEET]
    cells = {row[0].value: row[1].value for row in meta.iter_rows() if row[0].value and row[1].value}
    coordinate = cells["five_in.volunteer_share"]
    wb.worksheets[0][coordinate] = 0.15
    wb.save(tmp_path / "t.xlsx")
    result = check_file(tmp_path / "t.xlsx", forms)
    assert result.ok and result.values["five_in.volunteer_share"] == 0.15
    (warning,) = [p for p in result.warnings if p.code == "percent_fraction"]
    assert warning.cell == f"{wb.worksheets[0].title}!{coordinate}"
    assert warning.message == ("“应急志愿者·占当地常住人口比例”填写的是 0.15：如果是想填 15%，请直接填写数字 15"
                               "（不带 % 号）；如果确实不到 1%，可以不改。")


def test_prepare_builds_every_reader_and_only_the_expected_plan():
    """What a forked worker starts with: every form's reader (to tell any file apart), and the
    reading plan of the form being collected; another form's is worked out when a file of it first comes."""
    from collector.forms import model
    from collector.reading import check, reader

    model._READ.clear()
    forms = model.load_forms()  # new objects: nothing built for them yet
    check.prepare(forms, "dxal-2020")
    assert all(reader._MATCHERS[f.id].form is f for f in forms.values())
    built = {f.id for f in forms.values() if f.id in check._PLANS and check._PLANS[f.id][0] is f}
    assert built == {"dxal-2020"}
    other = forms["haicheng-2020"]
    assert check._plan(other) is check._plan(other)  # worked out now, once
    check.prepare(forms)  # all of them
    assert all(check._PLANS[f.id][0] is f for f in forms.values())


def test_every_bad_blank_is_an_error_and_figures_are_counted_as_their_kind(tmp_path):
    """Every blank is judged, not only until the first error (pandera's lazy errors); a count reads as
    a whole number (2.5万 → 25000, an int) and a percent as a real one (95 → 95.0)."""
    from collector.reading import check

    forms = FORMS
    changes = {"launch.sessions": "-3", "study.group_sessions": "2.5万", "study.group_attendance": "十十"}
    path = make_return(tmp_path / "r.xlsx", "呼中林业局", changes=changes)
    result = check.check_file(path, forms)
    codes = {p.key: p.code for p in result.errors}
    assert codes == {"launch.sessions": "negative", "study.group_attendance": "bad_numeral"}
    assert result.values["study.group_sessions"] == 25000 and type(result.values["study.group_sessions"]) is int
    percents = [r.key for r in forms["dxal-2020"].blank_refs if r.kind == "percent"]
    assert all(type(result.values[k]) in (float, type(None)) for k in percents)


def test_forms_are_read_once_per_version_of_their_file(tmp_path):
    """A command checks the workspace's form, then reads returns by it; a watch loads the forms every
    pass: an unchanged form file gives the same (frozen) form, a changed one is read again."""
    import shutil

    from collector.forms.model import bundled_schemas_dir, load_forms

    schemas = tmp_path / "schemas"
    schemas.mkdir()
    own = schemas / "own.toml"
    text = (bundled_schemas_dir() / "dxal-2020.toml").read_text(encoding="utf-8")
    own.write_text(text.replace('id = "dxal-2020"', 'id = "own-2020"', 1), encoding="utf-8")
    first = load_forms(schemas)
    assert load_forms(schemas)["own-2020"] is first["own-2020"]
    assert load_forms(schemas)["haicheng-2020"] is first["haicheng-2020"]
    own.write_text(text.replace('id = "dxal-2020"', 'id = "own-2020"', 1) + "\n", encoding="utf-8")  # changed
    again = load_forms(schemas)["own-2020"]
    assert again is not first["own-2020"] and again == first["own-2020"]
    shutil.rmtree(schemas)


# ---------------------------------------------------------------------------------------------
# numerals (issue #13 §1)


def _numerals_cases():
    t = json.loads((DATA / "dxal-2020-numerals" / "truth.json").read_text(encoding="utf-8"))
    for path in sorted((DATA / "dxal-2020-numerals" / "inbox").iterdir()):
        unit = next(u for u in t["valid_units"] if u in path.stem)
        yield pytest.param(path, t["values"][unit], id=path.name)


@pytest.mark.parametrize(("path", "expected"), list(_numerals_cases()))
def test_numbers_written_as_people_write_them_read_as_truth(forms, path, expected):
    """三百五十, 两千零五, 三百五 (= 350), 两万五, 一百一, 2.5万, 7.14万: every value exactly as truth.json."""
    result = check_file(path, forms)
    assert result.ok, result.problems
    got = [result.values[ref.key] for ref in result.form.blank_refs]
    got = [0 if (v is None and ref.kind in ("count", "percent")) else v for v, ref in zip(got, result.form.blank_refs)]
    assert got == expected


def _with_d4(tmp_path, text):
    wb = openpyxl.load_workbook(sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx")
    wb["统计表"]["D4"] = text
    path = tmp_path / "地区应急管理局.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("written", ["一二", "五五", "十十", "百百", "万万"])
def test_a_malformed_numeral_is_an_error_naming_the_cell(tmp_path, forms, written):
    result = check_file(_with_d4(tmp_path, f"以（线上直播）等形式启动“安全生产月”活动（{written}）场次。"), forms)
    assert not result.ok
    (error,) = result.errors
    assert (error.code, error.cell, error.key, error.written) == ("bad_numeral", "统计表!D4", "launch.sessions", written)
    assert f"“{written}”不是规范的数字写法" in error.message
    assert result.values["launch.sessions"] is None


def test_a_wan_form_that_is_not_whole_is_an_error(tmp_path, forms):
    result = check_file(_with_d4(tmp_path, "以（线上直播）等形式启动“安全生产月”活动（1.23456万）场次。"), forms)
    (error,) = result.errors
    assert (error.code, error.cell) == ("not_whole", "统计表!D4")
    assert "折合 12345.6，不是整数" in error.message


def test_colloquial_numeral_in_a_return(tmp_path, forms):
    result = check_file(_with_d4(tmp_path, "以（线上直播）等形式启动“安全生产月”活动（两万五）场次。"), forms)
    assert result.ok and result.values["launch.sessions"] == 25000


# ---------------------------------------------------------------------------------------------
# nothing a unit wrote is dropped without a word (issue #13 §2)

ADDED_ROW = "开展进校园活动（12）场，参与（3400）人次。"
ADDED_LINE = "开展安全宣传进机关活动（5）场，参与（300）人。"
REMARK = "另有线下活动8场，参与560人"


def _edited(tmp_path, edit):
    """The sample return of 地区应急管理局 (26 rows, columns A–D), edited as a unit would, saved as a real .xlsx."""
    wb = openpyxl.load_workbook(sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx")
    edit(wb["统计表"])
    path = tmp_path / "地区应急管理局-统计表.xlsx"
    wb.save(path)
    return path


def _add_row(ws):
    ws["A27"], ws["B27"], ws["C27"], ws["D27"] = "其他", "开展安全生产知识进校园活动", "…", ADDED_ROW


def _add_line(ws):
    ws["D12"] = ws["D12"].value + "\n" + ADDED_LINE


def _add_remark(ws):
    ws["E3"], ws["E12"] = "备注", REMARK


EDITS = {
    "added_row": (_add_row, "统计表!A27",
                  "表中第27行是本表没有的内容，未计入汇总：其他｜开展安全生产知识进校园活动｜开展进校园活动（12）场，参与（3400）人次。"),
    "added_line": (_add_line, "统计表!D12",
                   f"统计表!D12的“进展情况”中有本表没有的内容，未计入汇总：“{ADDED_LINE[:-1]}”。"),
    "remark": (_add_remark, "统计表!E12", f"统计表!E12（“备注”栏）是本表没有的内容，未计入汇总：“{REMARK}”。"),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_what_the_form_does_not_have_is_a_warning_quoting_it_and_not_counted(tmp_path, forms, case):
    edit, cell, message = EDITS[case]
    original = check_file(sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx", forms)
    result = check_file(_edited(tmp_path, edit), forms)
    assert result.ok  # a warning: the return is counted
    (warning,) = [p for p in result.problems if p.code == "not_in_form"]
    assert (warning.level, warning.cell) == ("warning", cell)
    assert warning.message.startswith(message), warning.message
    assert result.values == original.values  # the form's own values read as before; the extra counted nowhere


def test_the_form_own_returns_have_nothing_extra(forms):
    for form_id in SAMPLE_FORMS:
        for path in sorted(sample_inbox(form_id).iterdir()):
            result = check_file(path, forms)
            assert not [p for p in result.problems if p.code == "not_in_form"], path


@pytest.mark.parametrize("case", sorted(EDITS))
def test_the_warning_reaches_the_receipt_and_the_ledger(tmp_path, case):
    from conftest import drop, make_workspace

    from collector.inbox.ingest import ingest
    from collector.inbox.ledger import Ledger

    edit, cell, message = EDITS[case]
    ws = make_workspace(tmp_path)
    drop(ws, _edited(tmp_path, edit))
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "accepted"
    receipt = outcome.receipt.read_text(encoding="utf-8-sig")
    assert cell in receipt and message in receipt
    with Ledger(ws.ledger_path) as ledger:
        (record,) = ledger.files()
        rows = [p for _, p in ledger.problems([record.id]) if p.code == "not_in_form"]
    assert [(p.level, p.cell) for p in rows] == [("warning", cell)] and message in rows[0].message


# ---------------------------------------------------------------------------------------------
# up the tree: a consolidated table read as a return (issue #13 §5, docs/rollup-metadata.md)


def _hand_filled(tmp_path, lines):
    """A table another office consolidated by hand: the sample's layout, 是/否 lines with the tally after them."""
    def edit(ws):
        ws["A2"] = "填报单位（盖章）：地区应急管理局    联系人：王芳    电话：0457-2774727    填报日期：2020-06-28"
        for cell, text in lines.items():
            ws[cell] = text
    return _edited(tmp_path, edit)


def test_a_hand_filled_tally_reads_as_the_tally_not_one_answer(tmp_path, forms):
    path = _hand_filled(tmp_path, {
        "D18": "是否已将“安全生产月”和“安全生产万里行”活动纳入全年安全生产重点工作：□是 ☑否（是22，否3）",
        "D19": "是否已建立健全党委政府领导、多部门合作、有关方面协同参与的工作机制：☑是 □否 (是25, 否0)",
        "D21": "是否已做好人力、物力和相关经费等保障：□是 □否\n（是21，否3，未答1）",
    })
    result = check_file(path, forms)
    assert result.ok and not result.warnings, result.problems
    coverage = result.coverage
    assert coverage.tallies["org.in_plan"] == [22, 3, 0]  # not one 否
    assert coverage.tallies["org.mechanism"] == [25, 0, 0]
    assert coverage.tallies["org.resources"] == [21, 3, 1]
    assert coverage.units == 25  # the most units a tally is over: the table says no more
    # a line ticked without a tally: every unit below said so
    assert coverage.tallies["org.roadmap"] == [25, 0, 0]
    assert (result.values["org.in_plan"], result.values["org.mechanism"], result.values["org.resources"]) == (None, "是", None)
    assert coverage.weights == {"five_in.volunteer_share": 25.0}
    assert result.values["_rollup"]["tallies"]["org.in_plan"] == [22, 3, 0]  # what the ledger keeps
    assert result.to_json()["rollup"]["units"] == 25  # collect check --json says it too


def test_a_unit_own_return_covers_one_unit(forms):
    result = check_file(sample_inbox("dxal-2020") / "地区应急管理局-统计表.xlsx", forms)
    assert "_rollup" not in result.values
    coverage = result.coverage
    assert coverage.units == 1
    assert coverage.tallies["org.in_plan"] == [1, 0, 0] and coverage.tallies["org.resources"] == [0, 1, 0]
    assert coverage.weights == {"five_in.volunteer_share": 1.0}


@pytest.fixture(scope="module", params=["dxal-2020", "changchun-2019"])
def our_report(request, tmp_path_factory):
    """Our own consolidated report of a sample inbox: ``collect summarize`` in a fresh workspace."""
    from conftest import drop, make_workspace

    from collector.inbox.ingest import ingest
    from collector.reports.summarize import summarize

    form_id = request.param
    period = "2019-06" if form_id == "changchun-2019" else "2020-06"
    ws = make_workspace(tmp_path_factory.mktemp(form_id), form_id)
    for path in sample_inbox(form_id).iterdir():
        drop(ws, path)
    ingest(ws, period=period)
    return form_id, summarize(ws, period).path


def test_our_report_reads_back_with_its_totals_tallies_and_units(forms, our_report):
    form_id, path = our_report
    t = truth(form_id)
    result = check_file(path, forms)
    assert result.ok and result.form.id == form_id, result.problems
    assert not [p for p in result.problems if p.code in ("not_in_form", "unanswered")], result.problems
    coverage = result.coverage
    assert coverage.units == len(t["valid_units"])
    slots = {(row, line, blank): ref for ref, (row, line, blank, *_rest) in zip(result.form.blank_refs, t["slots"])}
    checked = 0
    for row, line, blank, total in t["totals"]:
        ref = slots[row, line, blank]
        if ref.kind == "yesno":
            yes, no = total
            assert coverage.tallies[ref.key] == [yes, no, len(t["valid_units"]) - yes - no], ref.key
        elif ref.kind == "count":
            assert result.values[ref.key] == total, ref.key
        checked += 1
    assert checked
    for ref in result.form.blank_refs:
        if ref.kind == "percent":
            given = [v[t["slots"].index(next(s for s in t["slots"] if tuple(s[:3]) == (ref.row, ref.line_no, ref.index)))]
                     for v in t["values"].values()]
            given = [g for g in given if g is not None]
            assert coverage.weights[ref.key] == len(given)
            assert result.values[ref.key] == pytest.approx(sum(given) / len(given))  # exact, not the printed 1 decimal


def test_a_blank_is_read_then_its_problem_decided_by_two_functions():
    from collector.forms.model import Blank
    from collector.reading.check import BlankError, _counted_value, _read_blank

    count = Blank(key="a.b", label="开展活动", kind="count", unit="次")
    reading = _read_blank("约30次", count)  # reading the value: no verdict yet
    assert (reading.value, reading.problem) == (30, "approx")
    warnings: list = []
    assert _counted_value(reading, "约30次", count, warnings) == 30  # deciding: a warning, counted as said
    assert [w[:2] for w in warnings] == [("a.b", "approx")]
    with pytest.raises(BlankError, match="应填写不小于0的整数") as raised:
        _counted_value(_read_blank("-3", count), "-3", count, [])  # an error: raised in the clerk's words
    assert raised.value.code == "negative"


def test_a_text_is_read_as_its_blank_reads_it_however_often_it_recurs():
    """Readings are remembered by text, kind and unit (the same figures recur from return to return):
    the same text in a blank of another kind or unit is read as that blank reads it, every time."""
    from collector.forms.model import Blank
    from collector.reading.check import _read_blank

    times = Blank(key="a.times", label="次数", kind="count", unit="次")
    people = Blank(key="a.people", label="人数", kind="count", unit="人")
    share = Blank(key="a.share", label="占比", kind="percent", unit="%")
    words = Blank(key="a.words", label="形式", kind="text")
    for _ in range(2):
        assert _read_blank("2.5", times).problem == "decimal"
        assert _read_blank("2.5", share).value == 2.5 and _read_blank("2.5", share).problem is None
        assert _read_blank("2.5", words).value == "2.5"
        assert _read_blank("3万人", people).value == 30000
        assert _read_blank("3万人", times).problem == "not_number"  # 人 is not this blank's unit
        assert _read_blank("约30", times).problem == "approx"
