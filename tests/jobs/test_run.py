"""collect run: the overnight job — ingest, refresh existing reports, status — logged, locked, exit codes."""

import subprocess
import sys
from datetime import date

import pytest
from conftest import make_return, make_workspace
from typer.testing import CliRunner

import collector.inbox.ingest as ingest_module
from collector.cli import app
from collector.inbox.workspace import WorkspaceLock
from collector.jobs.run import EXIT_ATTENTION, EXIT_FAILED, EXIT_OK, run

ROSTER = "单位,地区,别名\n甲局,东区,\n乙局,西区,\n"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_module, "_now", lambda: "2020-06-28T10:00:00.000000")
    workspace = make_workspace(tmp_path)
    (workspace.root / "units.csv").write_text(ROSTER, encoding="utf-8")
    return workspace


def test_all_good_is_exit_0_and_logged(ws):
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1)
    make_return(ws.inbox / "乙局.xlsx", "乙局", seed=2)
    lines = []
    result = run(ws, on_line=lines.append, today=date(2020, 6, 29))
    assert result.exit_code == EXIT_OK
    assert lines[-1] == "2020-06：应报2，已报2，逾期0，未报0"
    assert lines[-2] == "共 2 个文件：已接收 2。"
    log = (ws.logs / "collect-run.log").read_text(encoding="utf-8")
    assert "==== collect run 开始" in log and "退出码 0" in log and "已接收  甲局.xlsx" in log


def test_something_for_the_clerk_is_exit_1(ws):
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1, changes={"launch.sessions": "-1"})
    result = run(ws, today=date(2020, 6, 29))
    assert result.exit_code == EXIT_ATTENTION
    assert result.lines[-1] == "2020-06：应报2，已报0，逾期0，退回待改1，未报1；催报：甲局、乙局"
    # nothing new, before the deadline: all good; after it, units to chase: 1
    assert run(ws, today=date(2020, 6, 29)).exit_code == EXIT_OK
    assert run(ws, today=date(2020, 7, 1)).exit_code == EXIT_ATTENTION


def test_a_second_run_while_one_holds_the_lock_says_so_and_exits_2(ws):
    with WorkspaceLock(ws, purpose="collect run"):
        # another process: the OS lock is per open file, so try from a fresh interpreter
        done = subprocess.run([sys.executable, "-m", "collector", "run", "-w", str(ws.root)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_FAILED
    assert "工作目录正被占用（collect run，进程" in done.stderr
    assert "Traceback" not in done.stderr
    assert "工作目录正被占用" in (ws.logs / "collect-run.log").read_text(encoding="utf-8")
    # and once the lock is free, it runs
    assert subprocess.run([sys.executable, "-m", "collector", "run", "-w", str(ws.root)],
                          capture_output=True, timeout=60).returncode in (EXIT_OK, EXIT_ATTENTION)


def test_could_not_run_is_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["run", "-w", str(tmp_path)])
    assert result.exit_code == EXIT_FAILED
    assert "不是工作目录" in result.output


def test_reports_are_refreshed_only_where_they_exist(ws):
    from collector.reports import summarize as summarize_module
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1)
    result = run(ws, today=date(2020, 6, 29))
    assert result.reports == []  # no report yet: none is made
    assert not summarize_module.report_path(ws, "2020-06").exists()
    summarize_module.summarize(ws, "2020-06")
    before = summarize_module.report_path(ws, "2020-06").stat().st_mtime_ns
    make_return(ws.inbox / "乙局.xlsx", "乙局", seed=2)
    result = run(ws, today=date(2020, 6, 29))
    assert result.reports == [summarize_module.report_path(ws, "2020-06")]
    assert result.reports[0].stat().st_mtime_ns > before
    assert any(line.startswith("已更新汇总表（2020-06）") for line in result.lines)


def test_cli_run_prints_the_lines_and_exits_with_the_code(ws):
    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1)
    result = CliRunner().invoke(app, ["run", "-w", str(ws.root), "--period", "2020-06"], catch_exceptions=False)
    assert result.exit_code == EXIT_ATTENTION, result.output  # the other units are overdue (deadline 2020-06-30)
    assert result.output.splitlines()[0].startswith("已接收  甲局.xlsx → 甲局，2020-06，第 1 版")


def test_a_correction_taken_in_by_day_is_in_the_report_after_the_nightly_run(ws, monkeypatch):
    """ingest + summarize; a correction taken in by a daytime `collect ingest` (not by `run`); the
    nightly run has no new file, and still refreshes the report, which status had called stale."""
    from collector.inbox.ingest import ingest
    from collector.reading.check import check_file
    from collector.reports.status import status_report
    from collector.reports.summarize import configured_form, report_path, summarize

    make_return(ws.inbox / "甲局.xlsx", "甲局", seed=1, changes={"launch.sessions": "3"})
    make_return(ws.inbox / "乙局.xlsx", "乙局", seed=2, changes={"launch.sessions": "4"})
    ingest(ws)
    summarize(ws, "2020-06")
    forms = {configured_form(ws).id: configured_form(ws)}
    path = report_path(ws, "2020-06")
    assert check_file(path, forms).values["launch.sessions"] == 7
    assert status_report(ws, "2020-06").report.stale is False

    monkeypatch.setattr(ingest_module, "_now", lambda: "2020-06-29T15:30:00.000000")
    make_return(ws.inbox / "甲局-更正.xlsx", "甲局", seed=1, changes={"launch.sessions": "13"})
    assert [o.state for o in ingest(ws).outcomes] == ["accepted"]
    age = status_report(ws, "2020-06").report
    assert (age.stale, age.newer, age.newest_arrival) == (True, 1, "2020-06-29T15:30:00.000000")
    shown = CliRunner().invoke(app, ["status", "--period", "2020-06", "-w", str(ws.root)], catch_exceptions=False)
    assert "汇总表已过时" in shown.output and "此后又计入了1份报表（最新一份接收于2020-06-29 15:30）" in shown.output

    result = run(ws, today=date(2020, 6, 29))
    assert result.ingest.outcomes == []  # no new file
    assert result.reports == [path]
    assert "已更新汇总表（2020-06）：" + path.relative_to(ws.root).as_posix() in result.lines
    assert check_file(path, forms).values["launch.sessions"] == 17
    assert status_report(ws, "2020-06").report.stale is False
    # and a run after that, with nothing changed, leaves the report alone
    before = path.stat().st_mtime_ns
    assert run(ws, today=date(2020, 6, 29)).reports == []
    assert path.stat().st_mtime_ns == before
