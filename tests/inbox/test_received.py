"""The received time: the file's modification time in inbox/, clamped; or the date the clerk gives."""

import os
import shutil
from datetime import date, datetime

import pytest
from conftest import make_return, make_workspace
from typer.testing import CliRunner

import collector.inbox.ingest as ingest_module
from collector.cli import app
from collector.errors import UsageError
from collector.inbox.ingest import ingest
from collector.inbox.ledger import Ledger
from collector.inbox.received import parse_received, received_from_mtime
from collector.reports.status import status_report

NOW = datetime(2020, 7, 2, 9, 30)


def test_the_modification_time_is_the_received_time_but_never_after_it_was_taken_in():
    taken_in = "2020-07-02T09:30:00.000000"
    saved = datetime(2020, 6, 29, 16, 20, 5).timestamp()
    assert received_from_mtime(saved, taken_in) == "2020-06-29T16:20:05.000000"
    future = datetime(2031, 1, 1).timestamp()  # copied from a machine whose clock runs ahead
    assert received_from_mtime(future, taken_in) == taken_in
    assert received_from_mtime(1e20, taken_in) == taken_in  # no time the platform can show


@pytest.mark.parametrize("written, kept", [
    ("2020-06-29", "2020-06-29"),
    ("2020/6/29", "2020-06-29"),
    ("2020.6.29", "2020-06-29"),
    (" 2020年6月29日 ", "2020-06-29"),
    ("2020年6月29号", "2020-06-29"),
    ("20200629", "2020-06-29"),
    ("2020-06-29 17:30", "2020-06-29T17:30:00"),
    ("2020-06-29T17:30:15", "2020-06-29T17:30:15"),
    ("2020年6月29日 17点30分", "2020-06-29T17:30:00"),
    ("2020-07-02", "2020-07-02"),  # today
])
def test_the_date_forms_a_clerk_types(written, kept):
    assert parse_received(written, NOW) == kept


@pytest.mark.parametrize("written, words", [
    ("六月二十九", "看不懂"),
    ("2020-06", "看不懂"),
    ("29/06/2020", "看不懂"),
    ("2020-02-30", "不是有效的日期"),
    ("2020-06-29 25:00", "不是有效的日期"),
    ("2020-07-03", "晚于现在"),
    ("2020-07-02 10:00", "晚于现在"),
])
def test_what_is_not_a_date_or_lies_ahead_is_a_usage_error_saying_what_to_write(written, words):
    with pytest.raises(UsageError) as caught:
        parse_received(written, NOW)
    assert words in str(caught.value) and caught.value.exit_code == 2
    if words != "晚于现在":
        assert "2020年6月29日" in str(caught.value)  # the forms it takes


# ---------------------------------------------------------------------------------------------
# ingest records it; status, the receipt and the report's sheets show it


def _saved_at(path, when):
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def late_clerk(tmp_path, monkeypatch):
    """A workspace whose clerk takes the inbox in on 2020-07-02, after the 06-30 deadline."""
    workspace = make_workspace(tmp_path)
    monkeypatch.setattr(ingest_module, "_now", lambda: "2020-07-02T09:00:00.000000")
    return workspace


def test_a_backlog_taken_in_after_the_deadline_is_on_time_by_when_its_files_arrived(late_clerk):
    ws = late_clerk
    _saved_at(make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", seed=1), datetime(2020, 6, 29, 16, 20))
    _saved_at(make_return(ws.inbox / "新林区安委会.xlsx", "新林区安委会", seed=2), datetime(2020, 7, 1, 8, 0))
    # from a machine whose clock runs years ahead: no later than when it was taken in
    _saved_at(make_return(ws.inbox / "松岭区安委会.xlsx", "松岭区安委会", seed=3), datetime(2031, 1, 1))
    outcomes = {o.name: o for o in ingest(ws).outcomes}
    with Ledger(ws.ledger_path) as ledger:
        received = {f.name: f.received_at for f in ledger.files()}
    assert received == {"呼中区安委会.xlsx": "2020-06-29T16:20:00.000000",
                        "新林区安委会.xlsx": "2020-07-01T08:00:00.000000",
                        "松岭区安委会.xlsx": "2020-07-02T09:00:00.000000"}
    report = status_report(ws, "2020-06", today=date(2020, 7, 2))
    by_unit = {u.unit: u.on_time for u in report.units if u.state == "已报"}
    assert by_unit == {"呼中区安委会": True, "新林区安委会": False, "松岭区安委会": False}
    receipt = outcomes["呼中区安委会.xlsx"].receipt.read_text(encoding="utf-8-sig")
    assert "文件：呼中区安委会.xlsx（收到时间 2020-06-29 16:20）" in receipt


def test_received_given_for_a_batch_saved_late(late_clerk):
    ws = late_clerk
    make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", seed=1)  # saved into inbox/ an hour ago
    result = CliRunner().invoke(app, ["ingest", "-w", str(ws.root), "--received", "2020年6月29日"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with Ledger(ws.ledger_path) as ledger:
        (record,) = ledger.files()
    assert (record.received_at, record.arrived_at) == ("2020-06-29", "2020-07-02T09:00:00.000000")
    status = CliRunner().invoke(app, ["status", "-w", str(ws.root), "--period", "2020-06"], catch_exceptions=False)
    assert "  呼中区安委会  已报（按时）  收到 2020-06-29\n" in status.output
    assert "（收到时间 2020-06-29）" in (ws.root / record.receipt_path).read_text(encoding="utf-8-sig")


def test_cli_received_that_is_not_a_date_or_lies_ahead_stops_before_anything_is_taken_in(late_clerk):
    ws = late_clerk
    make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", seed=1)
    for written, words in [("六月", "看不懂"), ("2099-01-01", "晚于现在")]:
        result = CliRunner().invoke(app, ["ingest", "-w", str(ws.root), "--received", written], catch_exceptions=False)
        assert result.exit_code == 2 and f"错误：--received 的时间“{written}”{words}" in result.output
    assert (ws.inbox / "呼中区安委会.xlsx").exists() and not ws.ledger_path.exists()


def test_a_duplicate_meeting_another_period_says_how_to_move_the_return(late_clerk):
    ws = late_clerk
    make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", filled_on=date(2020, 5, 28))
    (first,) = ingest(ws).outcomes
    assert first.period == "2020-05"
    shutil.copy2(ws.archive / "2020-05" / "呼中区安委会.xlsx", ws.inbox / "呼中区安委会（再发）.xlsx")
    result = CliRunner().invoke(app, ["ingest", "-w", str(ws.root), "--period", "2020-06"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("重复   呼中区安委会（再发）.xlsx → 与 2020-07-02 09:00 收到的“呼中区安委会.xlsx”（已接收）完全相同，不重复计入；"
            "已移到 ignored/呼中区安委会（再发）.xlsx；该文件已收过，归在 2020-05；如需改到 2020-06 请运行 "
            "collect refile archive/2020-05/呼中区安委会.xlsx --period 2020-06\n") in result.output
    moved = CliRunner().invoke(app, ["refile", "-w", str(ws.root), "archive/2020-05/呼中区安委会.xlsx",
                                     "--period", "2020-06"], catch_exceptions=False)
    assert moved.exit_code == 0 and "由 2020-05 改为 2020-06" in moved.output
    # the same period: an ordinary duplicate
    shutil.copy2(ws.archive / "2020-06" / "呼中区安委会.xlsx", ws.inbox / "第三次.xlsx")
    again = CliRunner().invoke(app, ["ingest", "-w", str(ws.root), "--period", "2020-06"], catch_exceptions=False)
    assert "完全相同" in again.output and "collect refile" not in again.output


def test_the_report_sheets_show_the_received_time(late_clerk):
    import openpyxl

    from collector.reports.summarize import summarize

    ws = late_clerk
    _saved_at(make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", seed=1), datetime(2020, 6, 29, 16, 20))
    ingest(ws)
    book = openpyxl.load_workbook(summarize(ws, "2020-06").path, read_only=True)
    detail = [row for row in book["明细"].iter_rows(values_only=True)]
    column = detail[0].index("收到时间")
    assert detail[1][1] == "呼中区安委会" and detail[1][column] == datetime(2020, 6, 29, 16, 20)
    sent = {row[1]: row for row in book["报送情况"].iter_rows(values_only=True)}
    assert sent["呼中区安委会"][3:5] == ("按时", datetime(2020, 6, 29, 16, 20))
