"""`collect summarize` end to end: samples ingested into a real workspace, totals against truth.json."""

import json
import random
import shutil
from datetime import date

import pandas as pd
import pytest
from conftest import DATA, SAMPLE_FORMS, truth
from openpyxl import load_workbook

from collector.forms.layout import ROLLUP_SHEET
from collector.forms.model import load_forms
from collector.inbox.ingest import ingest
from collector.inbox.ledger import FileRecord, Ledger
from collector.inbox.workspace import init_workspace
from collector.jobs.samples import realistic_values, write_return
from collector.reading.check import check_file
from collector.reports.rollup import tally_text
from collector.reports.summarize import report_path, summarize, value_table

FORMS = load_forms()


def sample_workspace(tmp_path, form_id, office="上级汇总办公室"):
    ws = init_workspace(tmp_path / "工作 目录", form_id, office=office).workspace
    shutil.copyfile(DATA / form_id / "units.csv", ws.root / "units.csv")
    for path in (DATA / form_id / "inbox").iterdir():
        shutil.copyfile(path, ws.inbox / path.name)
    ingest(ws, period="2020-06")
    return ws


@pytest.mark.parametrize("form_id", SAMPLE_FORMS)
def test_totals_match_truth(tmp_path, form_id):
    ws = sample_workspace(tmp_path, form_id)
    result = summarize(ws, "2020-06")
    t = truth(form_id)
    assert result.path == report_path(ws, "2020-06")
    assert "汇总" in result.path.name and "2020-06" in result.path.name
    assert result.counted == len(t["valid_units"])
    refs = FORMS[form_id].blank_refs
    index = {(s[0], s[1], s[2]): i for i, s in enumerate(t["slots"])}
    back = check_file(result.path, FORMS)  # the 汇总表 read as a return
    assert back.ok, back.problems
    wb = load_workbook(result.path)
    summary_text = "\n".join(str(c.value) for row in wb["汇总表"].iter_rows() for c in row if c.value)
    for row, line, blank, total in t["totals"]:
        ref = refs[index[(row, line, blank)]]
        if ref.kind == "count":
            assert back.values[ref.key] == total, ref.label
        elif ref.kind == "yesno":
            yes, no = total
            assert f"（是{yes}，否{no}" in summary_text or f"(是{yes}，否{no}" in summary_text, ref.label
    assert f"本表汇总{len(t['valid_units'])}个单位的报表（应报" in summary_text


def test_yesno_line_says_what_the_units_said(tmp_path):
    """The sample's 25 countable returns: 22 是 and 3 否 on the first question — neither box ticked,
    the tally given; a question every unit answered 是 is ticked 是."""
    ws = sample_workspace(tmp_path, "dxal-2020")
    path = summarize(ws, "2020-06").path
    t = truth("dxal-2020")
    assert [total for row, line, _, total in t["totals"] if (row, line) == (9, 0)] == [[22, 3]]
    progress = [str(c.value) for row in load_workbook(path)["汇总表"].iter_rows(min_col=4, max_col=4) for c in row
                if c.value and "（是" in str(c.value)]
    lines = [line for text in progress for line in text.split("\n")]
    first = next(i for i, line in enumerate(lines) if "（是22，否3）" in line)
    assert "□是 □否" in lines[first] + lines[first - 1] and "☑" not in lines[first] + lines[first - 1]
    assert not any("☑否" in line for line in lines)  # no question was answered 否 by every unit
    back = check_file(path, FORMS)
    form = FORMS["dxal-2020"]
    yesno = [ref for ref in form.blank_refs if ref.kind == "yesno"]
    assert all(back.values[ref.key] is None for ref in yesno)  # mixed everywhere in the sample: no box ticked


def test_rerun_with_no_new_returns_gives_the_same_numbers(tmp_path):
    ws = sample_workspace(tmp_path, "haicheng-2020")
    first = check_file(summarize(ws, "2020-06").path, FORMS).values
    second = summarize(ws, "2020-06")
    assert check_file(second.path, FORMS).values == first
    assert not second.moved_aside
    assert [p.name for p in ws.outbox.glob(".~*")] == []  # no temporary file left


def test_report_open_in_excel_is_written_beside_it(tmp_path):
    ws = sample_workspace(tmp_path, "changchun-2019")
    target = summarize(ws, "2020-06").path
    before = target.read_bytes()
    lock = target.with_name("~$" + target.name)
    lock.write_bytes(b"\x00" * 165)  # what Excel leaves beside a file it has open
    result = summarize(ws, "2020-06")
    assert result.moved_aside and result.locked_path == target
    assert result.path != target and result.path.parent == target.parent and "汇总" in result.path.name
    assert target.read_bytes() == before  # the open file is left alone


def test_refused_rename_is_written_beside_it(tmp_path, monkeypatch):
    ws = sample_workspace(tmp_path, "changchun-2019")
    target = summarize(ws, "2020-06").path
    import collector.reports.summarize as module

    real_replace = module.os.replace

    def refuse(src, dst):
        if str(dst) == str(target):
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        return real_replace(src, dst)

    monkeypatch.setattr(module.os, "replace", refuse)
    result = summarize(ws, "2020-06")
    assert result.moved_aside and result.path.exists() and result.path != target


def test_returns_sent_back_or_held_never_count(tmp_path):
    ws = init_workspace(tmp_path / "ws", "dxal-2020", office="县安委办").workspace
    (ws.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n乙局,西区,\n", encoding="utf-8")
    form = FORMS["dxal-2020"]
    rng = random.Random(4)
    good, bad, held = (realistic_values(form, rng) for _ in range(3))
    bad_written = dict(bad, **{"study.group_sessions": "-1"})
    write_return(ws.inbox / "甲局.xlsx", form, "甲局", good, filled_on=date(2020, 6, 28))
    write_return(ws.inbox / "乙局.xlsx", form, "乙局", bad_written, filled_on=date(2020, 6, 28))
    write_return(ws.inbox / "丙局.xlsx", form, "丙局", held, filled_on=date(2020, 6, 28))
    ingest(ws, period="2020-06")
    result = summarize(ws, "2020-06")
    assert (result.counted, result.expected) == (1, 2)
    back = check_file(result.path, FORMS)
    assert back.values["study.group_sessions"] == good["study.group_sessions"]
    wb = load_workbook(result.path)
    levels = [row[0].value for row in wb["校验问题"].iter_rows(min_row=2)]
    assert "错误" in levels and "待确认" in levels
    states = {row[1].value: row[2].value for row in wb["报送情况"].iter_rows(min_row=2) if row[1].value}
    assert states == {"甲局": "已报", "乙局": "退回待改"}


def test_three_level_round_trip(tmp_path):
    """units → two counties → the region: the region's totals are the sums over every unit."""
    form = FORMS["haicheng-2020"]
    rng = random.Random(7)
    region = init_workspace(tmp_path / "市", form.id, office="市安委办").workspace
    (region.root / "units.csv").write_text("单位,地区,别名\n东县安委办,东县,\n西县安委办,西县,\n", encoding="utf-8")
    every_unit = []
    for county in ("东县", "西县"):
        ws = init_workspace(tmp_path / county, form.id, office=f"{county}安委办").workspace
        names = [f"{county}{k}局" for k in ("应急", "住建", "交通")]
        (ws.root / "units.csv").write_text("单位,地区,别名\n" + "".join(f"{n},{county},\n" for n in names), encoding="utf-8")
        for name in names:
            values = realistic_values(form, rng)
            every_unit.append(values)
            write_return(ws.inbox / f"{name}.xlsx", form, name, values, filled_on=date(2020, 6, 27))
        ingest(ws, period="2020-06")
        county_report = summarize(ws, "2020-06").path
        shutil.copyfile(county_report, region.inbox / f"{county}_汇总.xlsx")
    taken = ingest(region)  # the period travels in the county reports' metadata
    assert [(o.state, o.period) for o in taken.outcomes] == [("accepted", "2020-06"), ("accepted", "2020-06")]
    top = summarize(region, "2020-06")
    assert top.counted == 2
    back = check_file(top.path, FORMS)
    for ref in form.blank_refs:
        if ref.kind == "count":
            assert back.values[ref.key] == sum(v[ref.key] for v in every_unit), ref.label


def test_the_rollup_entry_is_found_by_the_key_the_reader_writes():
    from collector.reading.check import ROLLUP_KEY
    from collector.reports.summarize import ROLLUP_BYTES

    assert ROLLUP_BYTES == json.dumps(ROLLUP_KEY).encode()


def _office(root, office, names, region=None):
    ws = init_workspace(root, "dxal-2020", office=office).workspace
    (ws.root / "units.csv").write_text("单位,地区,别名\n" + "".join(f"{n},{region or n[:2]},\n" for n in names),
                                       encoding="utf-8")
    return ws


def _hidden_rollup(path):
    rows = list(load_workbook(path)[ROLLUP_SHEET].iter_rows(values_only=True))
    settings = {row[0]: row[1] for row in rows[:4]}
    return settings, {row[0]: row[1:] for row in rows[6:]}


def test_up_the_tree_totals_tallies_and_percents_equal_those_over_every_unit(tmp_path):
    """unit → county → region → province, every level a real workspace: each county ingests its
    units' returns and summarizes; the county reports go into their region's inbox, the region
    reports into the province's. At every level the totals, the 是/否 tallies and the percent means
    equal those over every unit below — a county's 是3 否1 adds 3 and 1, a percent is weighed by the
    units its mean is over, units that left it empty weigh nothing."""
    form = FORMS["dxal-2020"]
    rng = random.Random(13)
    yesno = [ref.key for ref in form.blank_refs if ref.kind == "yesno"]
    percents = [ref.key for ref in form.blank_refs if ref.kind == "percent"]
    counts = [ref.key for ref in form.blank_refs if ref.kind == "count"]
    tree = {"东区": {"甲县": 3, "乙县": 4}, "西区": {"丙县": 2, "丁县": 5, "戊县": 1}}
    province = _office(tmp_path / "省", "省安委办", [f"{r}安委办" for r in tree], region="省")
    below: dict[str, list[dict]] = {}
    for region, counties in tree.items():
        region_ws = _office(tmp_path / region, f"{region}安委办", [f"{c}安委办" for c in counties], region=region)
        for county, n in counties.items():
            names = [f"{county}第{k}局" for k in range(1, n + 1)]
            ws = _office(tmp_path / county, f"{county}安委办", names, region=county)
            for k, name in enumerate(names):
                values = realistic_values(form, rng)
                values[yesno[0]] = "否" if (k + len(name)) % 3 == 0 else "是"  # mixed in most counties
                values[yesno[1]] = None if k == 0 and county == "乙县" else values[yesno[1]]  # one 未答
                if k == 1:
                    values[percents[0]] = None  # an empty percent weighs nothing
                values[percents[0]] = values[percents[0]] and round(rng.uniform(0, 100), 1)
                below.setdefault(region, []).append(values)
                write_return(ws.inbox / f"{name}.xlsx", form, name, values, filled_on=date(2020, 6, 27))
            assert all(o.state == "accepted" for o in ingest(ws, period="2020-06").outcomes)
            shutil.copyfile(summarize(ws, "2020-06").path, region_ws.inbox / f"{county}安委办_汇总.xlsx")
        taken = ingest(region_ws)
        assert [o.state for o in taken.outcomes] == ["accepted"] * len(counties), [o.reason for o in taken.outcomes]
        shutil.copyfile(summarize(region_ws, "2020-06").path, province.inbox / f"{region}安委办_汇总.xlsx")
        _assert_report_is_over(region_ws, below[region], counts, yesno, percents)
    assert [o.state for o in ingest(province).outcomes] == ["accepted", "accepted"]
    _assert_report_is_over(province, [v for vs in below.values() for v in vs], counts, yesno, percents)


def _assert_report_is_over(ws, units, counts, yesno, percents):
    path = summarize(ws, "2020-06").path
    settings, hidden = _hidden_rollup(path)
    assert settings["units"] == len(units)
    text = "\n".join(str(c.value) for row in load_workbook(path)["汇总表"].iter_rows() for c in row if c.value)
    assert f"本表汇总{len(units)}个单位的报表" in text
    back = check_file(path, FORMS)
    for key in counts:
        assert hidden[key][1] == sum(u[key] or 0 for u in units) == back.values[key], key
    for key in yesno:
        said = [u[key] for u in units]
        yes, no = said.count("是"), said.count("否")
        assert hidden[key][2:4] == (yes, no), key
        assert f"（{tally_text(yes, no, len(said) - yes - no)}）" in text, key
    for key in percents:
        given = [u[key] for u in units if u[key] is not None]
        assert hidden[key][4] == len(given), key
        assert hidden[key][1] == pytest.approx(sum(given) / len(given)), key


def test_report_is_readable_by_colleagues(tmp_path):
    import os
    import stat

    ws = sample_workspace(tmp_path, "changchun-2019")
    mode = stat.S_IMODE(summarize(ws, "2020-06").path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def _values_ledger(path, form, odd=None):
    """A ledger of 30 accepted returns with realistic values, some blanks left empty, and ``odd``
    values (of another type than the blank's) in one of them."""
    rng = random.Random(7)
    ledger = Ledger(path)
    for i in range(30):
        values = realistic_values(form, rng)
        if i % 3 == 0:
            for ref in form.blank_refs[::4]:
                values[ref.key] = None
        if i == 5:
            values.update(odd or {})
        record = FileRecord(None, f"单位{i}.xlsx", f"{i:064x}", 1, "2020-06-28T09:00:00", "accepted", "inbox/x.xlsx",
                            form=form.id, unit=f"单位{i}", period="2020-06")
        ledger.record(record, {ref.key: values[ref.key] for ref in form.blank_refs})
    return ledger


@pytest.mark.parametrize("odd", [None, {"study.group_sessions": 2.5}, {"study.group_sessions": "十二"},
                                 {"launch.form": 3}])
def test_value_table_holds_what_python_json_reads(tmp_path, odd):
    form = FORMS["dxal-2020"]
    keys = [ref.key for ref in form.blank_refs]
    with _values_ledger(tmp_path / "ledger.sqlite3", form, odd) as ledger:
        value_sets = ledger.counted_values_by_file(form.id, "2020-06")
    wide = value_table(form, value_sets)
    expected = pd.DataFrame.from_records([json.loads(text) for _, text in value_sets], columns=keys,
                                         index=pd.Index([i for i, _ in value_sets], name="file_id"))
    percent = [ref.key for ref in form.blank_refs if ref.kind == "percent"]
    # the same values and types; a percent may be read as float64 where all were whole numbers
    pd.testing.assert_frame_equal(wide.drop(columns=percent), expected.drop(columns=percent))
    pd.testing.assert_frame_equal(wide[percent], expected[percent], check_dtype=False)
