"""collect status: every expected unit's state for a period, by region, with counts and the list to chase."""

import json
from datetime import date

import pytest
from conftest import drop, make_return, make_workspace, sample_inbox
from typer.testing import CliRunner

import collector.inbox.ingest as ingest_module
from collector.cli import app
from collector.inbox.ingest import ingest
from collector.inbox.ledger import FileRecord, Ledger
from collector.reports.status import StatusReport, UnitStatus, status_report

ROSTER = "单位,地区,别名\n甲局,东区,\n乙局,东区,\n丙局,西区,\n丁局,西区,\n戊局,西区,\n"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path)
    (workspace.root / "units.csv").write_text(ROSTER, encoding="utf-8")
    clock = iter(f"2020-06-{d:02d}T10:00:00.000000" for d in range(25, 31))
    monkeypatch.setattr(ingest_module, "_now", lambda: next(clock))
    return workspace


def test_every_state(ws):
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1)  # 06-25: on time
    make_return(ws.inbox / "乙局.xlsx", "乙局", seed=2, changes={"launch.sessions": "-1"})  # sent back
    make_return(ws.inbox / "丙局.xlsx", "丙局某某", seed=3)  # header unknown, file name says 丙局: held
    ingest(ws)
    make_return(ws.inbox / "甲局（更正）.xlsx", "甲局", seed=4, changes={"launch.sessions": "x"})  # 06-26
    make_return(ws.inbox / "丁局.xlsx", "丁局", seed=5)
    ingest(ws, period="2020-06")
    report = status_report(ws, "2020-06", today=date(2020, 7, 1))
    by_unit = {u.unit: u for u in report.units}
    assert by_unit["甲局"] == UnitStatus("甲局", "东区", "已报", True, "2020-06-25T10:00:00.000000", 1, 0, "甲局.xlsx", True,
                                        "2020-06-25T10:00:00.000000")
    assert (by_unit["乙局"].state, by_unit["乙局"].problems, by_unit["乙局"].file) == ("退回待改", 1, "乙局.xlsx")
    assert by_unit["丙局"].state == "待确认"
    assert by_unit["丁局"].state == "已报" and by_unit["丁局"].on_time is True
    assert by_unit["戊局"] == UnitStatus("戊局", "西区", "未报")
    assert report.counts == {"应报": 5, "已报": 2, "逾期": 0, "退回待改": 1, "待确认": 1, "未报": 1}
    assert report.summary_line() == "应报5，已报2，逾期0，退回待改1，待确认1，未报1，待确认文件1份"
    assert [u.unit for u in report.to_chase] == ["乙局", "戊局"]
    assert [r for r, _ in report.by_region()] == ["东区", "西区"]
    assert report.overdue and report.needs_attention


def test_late_against_the_configured_deadline(ws):
    config = ws.config()
    config.deadlines["2020-06"] = date(2020, 6, 25)
    ws.config_path.write_text(config.to_toml(), encoding="utf-8")
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1)  # arrives 06-25: on time
    ingest(ws)
    make_return(ws.inbox / "乙局.xlsx", "乙局", seed=2)  # 06-26: late
    ingest(ws)
    report = status_report(ws, "2020-06")
    assert [(u.unit, u.on_time) for u in report.units[:2]] == [("甲局", True), ("乙局", False)]
    assert report.summary_line() == "应报5，已报2，逾期1，未报3"


def _taken_in(ws, unit, *, arrived, received, state="accepted", n=1):
    """A return of ``unit`` recorded as ingest records it, taken in at ``arrived``, received at ``received``."""
    record = FileRecord(None, f"{unit}-{n}.xlsx", f"{unit}{n}".ljust(64, "0"), 1, arrived, state,
                        f"inbox/{unit}-{n}.xlsx", form="dxal-2020", unit=unit, period="2020-06", received_at=received)
    with Ledger(ws.ledger_path) as ledger:
        ledger.record(record)


def test_late_is_judged_by_when_the_return_was_received_not_when_it_was_taken_in(ws):
    """A backlog taken in on 07-02 (after the 06-30 deadline): a return received on 06-29 is on time."""
    _taken_in(ws, "甲局", arrived="2020-07-02T09:00:00", received="2020-06-29T16:20:00")
    _taken_in(ws, "乙局", arrived="2020-07-02T09:00:01", received="2020-06-30")  # a date alone: that day
    _taken_in(ws, "丙局", arrived="2020-07-02T09:00:02", received="2020-07-01T08:00:00")  # really late
    # a correction received late does not make a unit that reported on time late
    _taken_in(ws, "丁局", arrived="2020-07-02T09:00:03", received="2020-06-28T10:00:00")
    _taken_in(ws, "丁局", arrived="2020-07-02T09:00:04", received="2020-07-02T09:00:04", n=2)
    report = status_report(ws, "2020-06", today=date(2020, 7, 2))
    by_unit = {u.unit: u for u in report.units}
    assert [(u.unit, u.on_time) for u in report.units[:4]] == [("甲局", True), ("乙局", True), ("丙局", False),
                                                                ("丁局", True)]
    assert (by_unit["甲局"].received_at, by_unit["甲局"].arrived_at) == ("2020-06-29T16:20:00", "2020-07-02T09:00:00")
    assert by_unit["丁局"].received_at == "2020-07-02T09:00:04"  # the counted (second) return's
    assert report.counts["逾期"] == 1
    text = CliRunner().invoke(app, ["status", "-w", str(ws.root), "--period", "2020-06"], catch_exceptions=False)
    assert text.exit_code == 1  # 戊局 has not reported and the deadline has passed
    assert "  甲局  已报（按时）  收到 2020-06-29 16:20\n" in text.output
    assert "  乙局  已报（按时）  收到 2020-06-30\n" in text.output
    assert "  丙局  已报（逾期）  收到 2020-07-01 08:00\n" in text.output
    data = json.loads(CliRunner().invoke(app, ["status", "-w", str(ws.root), "--json"]).output)
    assert data["regions"][0]["units"][0]["received_at"] == "2020-06-29T16:20:00"


def test_held_files_naming_no_unit_are_listed_apart(ws):
    make_return(ws.inbox / "统计表.xlsx", "某某不存在局")
    ingest(ws)
    report = status_report(ws, "2020-06")
    assert all(u.state == "未报" for u in report.units)
    (held,) = report.held
    assert (held.file, held.unit, held.unit_written) == ("统计表.xlsx", None, "某某不存在局")
    assert held.reason == "填报单位“某某不存在局”不在名单中"


def test_status_of_an_empty_workspace(ws):
    report = status_report(ws, "2020-06")
    assert report.summary_line() == "应报5，已报0，逾期0，未报5"
    assert isinstance(report, StatusReport)


def test_cli_status_text_and_json(ws):
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1)
    make_return(ws.inbox / "乙局.xlsx", "乙局", seed=2, changes={"launch.sessions": "-1"})
    ingest(ws)
    runner = CliRunner()
    result = runner.invoke(app, ["status", "-w", str(ws.root), "--period", "2020-06"])
    assert result.exit_code == 1, result.output  # the deadline has passed with units not reported
    assert result.output == (
        "2020年全区“安全生产月”和“安全生产兴安行”活动进展情况统计表\n"
        "期间 2020-06，截止 2020-06-30\n"
        "\n"
        "【东区】\n"
        "  甲局  已报（按时）  收到 2020-06-25 10:00\n"
        "  乙局  退回待改  收到 2020-06-26 10:00，1 处错误\n"
        "【西区】\n"
        "  丙局  未报\n"
        "  丁局  未报\n"
        "  戊局  未报\n"
        "\n"
        "应报5，已报1，逾期0，退回待改1，未报3\n"
        "催报：乙局、丙局、丁局、戊局\n"
    )
    result = runner.invoke(app, ["status", "-w", str(ws.root), "--json"])  # the newest period by default
    data = json.loads(result.output)
    assert data["period"] == "2020-06" and data["counts"]["已报"] == 1
    assert data["regions"][0]["units"][0]["unit"] == "甲局"
    assert data["to_chase"] == ["乙局", "丙局", "丁局", "戊局"]
    assert result.exit_code == 1
    on_time = runner.invoke(app, ["status", "-w", str(ws.root), "--period", "2020-W25"])
    assert on_time.exit_code == 0, on_time.output  # no deadline, nothing held: nothing to do
    result = runner.invoke(app, ["status", "-w", str(ws.root), "--period", "六月"])
    assert result.exit_code == 2 and "格式不对" in result.output


def test_sample_status(tmp_path):
    workspace = make_workspace(tmp_path)
    for path in sample_inbox("dxal-2020").iterdir():
        drop(workspace, path)
    ingest(workspace)
    report = status_report(workspace, "2020-06")
    assert report.counts["已报"] == 25 and report.counts["未报"] == 0
    assert [h.file for h in report.held] == ["塔河县安委会-统计表（错误6）.xlsx"]
    pending = {u.unit for u in report.units if u.correction_pending}
    # these units' wrong returns sort after their good ones in the sample inbox
    assert pending == {"松岭区安委会", "新林区安委会", "漠河市安委会"}


def test_cli_status_points_to_the_note_on_a_held_file(ws):
    make_return(ws.inbox / "统计表.xlsx", "某某不存在局")
    ingest(ws)
    report = status_report(ws, "2020-06")
    (held,) = report.held
    note = ws.root / held.note
    assert note.parent == ws.outbox / "待确认说明" / "2020-06" and note.is_file()
    assert "某某不存在局" in note.read_text(encoding="utf-8-sig")
    result = CliRunner().invoke(app, ["status", "-w", str(ws.root), "--period", "2020-06"],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "待确认的文件（1 份，原因和处理办法见 outbox/待确认说明/2020-06/ 中的说明）：\n" in result.output
    assert f"  统计表.xlsx：填报单位“某某不存在局”不在名单中\n    说明：{held.note}\n" in result.output
    assert "collect ingest" not in result.output  # it would only say "no new files"
