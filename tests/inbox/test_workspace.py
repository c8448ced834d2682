"""The workspace: init (never overwrites), config, periods, the lock."""

import subprocess
import sys
from datetime import date

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.errors import RunLocked, UsageError
from collector.inbox.workspace import Workspace, WorkspaceLock, init_workspace, parse_date, period_for_date


def test_init_makes_everything_and_never_overwrites(tmp_path):
    root = tmp_path / "收表 2020"
    result = init_workspace(root, "haicheng-2020", office="海城市安委办")
    ws = result.workspace
    for folder in ("inbox", "outbox", "outbox/回执", "archive", "returned", "held", "ignored", "logs"):
        assert (root / folder).is_dir()
    config = ws.config()
    assert (config.form, config.office) == ("haicheng-2020", "海城市安委办")
    assert config.deadlines == {"2020-06": date(2020, 7, 2), "2020-12": date(2020, 12, 24)}
    roster = (root / "units.csv").read_bytes()
    assert roster == "单位,地区,别名\r\n".encode("utf-8-sig")
    (root / "units.csv").write_text("单位,地区,别名\n甲,乙,\n", encoding="utf-8")
    ws.config_path.write_text(ws.config_path.read_text(encoding="utf-8") + "# 改过\n", encoding="utf-8")
    again = init_workspace(root, "dxal-2020")
    assert again.created == []
    assert (root / "units.csv").read_text(encoding="utf-8") == "单位,地区,别名\n甲,乙,\n"
    assert ws.config().form == "haicheng-2020"
    assert ws.config_path.read_text(encoding="utf-8").endswith("# 改过\n")


def test_init_refuses_an_unknown_form(tmp_path):
    with pytest.raises(UsageError, match="没有编号为“无此表”的统计表"):
        init_workspace(tmp_path, "无此表")


def test_cli_init(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "ws"), "--form", "dxal-2020", "--office", "地区安委办"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"工作目录：{(tmp_path / 'ws').resolve()}"
    assert lines[1] == ("已建立：inbox/  outbox/  outbox/回执/  archive/  returned/  held/  ignored/  logs/  "
                        "collector.toml  units.csv")
    assert lines[2] == "统计表：dxal-2020（2020-06 截止 2020-06-30）"
    result = runner.invoke(app, ["init", str(tmp_path / "ws"), "--form", "dxal-2020"])
    assert result.exit_code == 0 and "已存在（未改动）" in result.output and "已建立" not in result.output
    result = runner.invoke(app, ["init", str(tmp_path / "ws2"), "--form", "nope"])
    assert result.exit_code == 2 and "没有编号为“nope”的统计表" in result.output


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2020-06-28", date(2020, 6, 28)),
        ("2020年6月28日", date(2020, 6, 28)),
        ("2020.6.28", date(2020, 6, 28)),
        ("2020/06/28", date(2020, 6, 28)),
        ("2020年6月", date(2020, 6, 1)),
        ("44010", date(2020, 6, 28)),  # an Excel serial date
        ("6月28日", None),
        ("", None),
        (None, None),
        ("2020-13-01", None),
    ],
)
def test_parse_date(text, day):
    assert parse_date(text) == day


DEADLINES = {"2020-06": date(2020, 7, 2), "2020-12": date(2020, 12, 24)}


@pytest.mark.parametrize(
    ("day", "deadlines", "period"),
    [
        (date(2020, 6, 28), DEADLINES, "2020-06"),
        (date(2020, 7, 20), DEADLINES, "2020-06"),  # late
        (date(2020, 9, 1), DEADLINES, "2020-09"),
        (date(2020, 12, 20), DEADLINES, "2020-12"),
        (date(2020, 12, 20), {"2020-H2": date(2020, 12, 31)}, "2020-H2"),
        (date(2020, 7, 3), {"2020-06": date(2020, 6, 30), "2020-H2": date(2020, 12, 31)}, "2020-06"),
        (date(2020, 6, 17), {"2020-W24": date(2020, 6, 12)}, "2020-W25"),
        (date(2020, 6, 10), {"2020-W24": date(2020, 6, 12)}, "2020-W24"),
        (date(2020, 6, 10), {}, "2020-06"),
    ],
)
def test_period_for_date(day, deadlines, period):
    assert period_for_date(day, deadlines) == period


def test_lock_is_exclusive_between_processes_and_reentrant_within_one(tmp_path):
    ws = Workspace(tmp_path)
    code = ("import sys; from pathlib import Path; from collector.inbox.workspace import Workspace, WorkspaceLock\n"
            "try:\n    WorkspaceLock(Workspace(Path(sys.argv[1]))).acquire()\nexcept Exception as e:\n"
            "    print(type(e).__name__, e); sys.exit(3)\n")
    with WorkspaceLock(ws, purpose="collect run"):
        with WorkspaceLock(ws):  # the same process: fine
            pass
        other = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
        assert other.returncode == 3
        assert other.stdout.startswith("RunLocked ") and "collect run，进程" in other.stdout
    other = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert other.returncode == 0  # released


def test_a_lock_held_by_a_killed_process_is_free():
    import os
    import signal
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as root:
        ws = Workspace(__import__("pathlib").Path(root))
        holder = subprocess.Popen([sys.executable, "-c",
                                   "import sys,time; from pathlib import Path; from collector.inbox.workspace import *\n"
                                   "lock = WorkspaceLock(Workspace(Path(sys.argv[1]))); lock.acquire(); print('held', flush=True); "
                                   "time.sleep(60)", root], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked):
            WorkspaceLock(ws).acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        time.sleep(0.1)
        with WorkspaceLock(ws, wait=2):
            pass


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_a_forked_child_does_not_keep_the_lock_of_a_killed_parent(tmp_path):
    """ingest forks its worker processes while it holds the lock: a worker outliving its killed parent
    must not hold the lock against the next run."""
    import os
    import signal

    holder = subprocess.Popen([sys.executable, "-c",
                               "import os, sys, time; from pathlib import Path; from collector.inbox.workspace import *\n"
                               "WorkspaceLock(Workspace(Path(sys.argv[1]))).acquire()\n"
                               "child = os.fork()\n"
                               "if child == 0:\n    time.sleep(30); os._exit(0)\n"
                               "print(child, flush=True); time.sleep(60)", str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    try:
        with pytest.raises(RunLocked):
            WorkspaceLock(Workspace(tmp_path)).acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        with WorkspaceLock(Workspace(tmp_path), wait=2):  # the child lives on, and holds nothing
            os.kill(child, 0)
    finally:
        os.kill(child, signal.SIGKILL)


def test_the_holders_name_lies_outside_the_locked_byte_range(tmp_path):
    """Windows refuses to read bytes another process has locked: the name a second run shows must be
    written, and read, where the lock is not (on Windows one byte at LOCK_BYTE; flock here)."""
    from collector.inbox import workspace as workspace_module

    ws = Workspace(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys,time; from pathlib import Path; from collector.inbox.workspace import *\n"
                               "lock = WorkspaceLock(Workspace(Path(sys.argv[1])), purpose='collect watch' + '长' * 600)\n"
                               "lock.acquire(); print('held', flush=True); time.sleep(60)", str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        written = ws.lock_path.stat().st_size  # the name, cut to HOLDER_BYTES however long
        read_up_to = workspace_module.HOLDER_BYTES  # what a second run reads
        assert 0 < written <= read_up_to <= workspace_module.LOCK_BYTE
        with pytest.raises(RunLocked, match="collect watch长+，进程 \\d+，开始于") as raised:
            WorkspaceLock(ws).acquire()
        assert "\ufffd" not in raised.value.message  # cut between characters, not inside one
    finally:
        holder.kill()
        holder.wait()


# -- collector.toml written by a TOML library ------------------------------------------------------


@pytest.mark.parametrize("office", ['某县"安委办', "某县\\安委办", "某县安委办\n（盖章）", "'引号'"])
def test_any_office_name_reads_back(tmp_path, office):
    ws = init_workspace(tmp_path / "ws", "dxal-2020", office=office).workspace
    assert ws.config().office == office
    assert ws.config_path.read_text(encoding="utf-8").startswith("# collector 工作目录配置。")


def test_update_config_keeps_the_clerks_comments(tmp_path):
    from collector.inbox.workspace import update_config

    ws = init_workspace(tmp_path / "ws", "dxal-2020").workspace
    text = ws.config_path.read_text(encoding="utf-8").replace('contact = ""', 'contact = "王明"  # 办公室小王')
    ws.config_path.write_text("# 县里的配置，勿删\n" + text, encoding="utf-8")
    config = update_config(ws, phone="0457-1", deadlines={"2021-06": date(2021, 6, 30)})
    assert (config.contact, config.phone) == ("王明", "0457-1")
    assert config.deadlines == {"2020-06": date(2020, 6, 30), "2021-06": date(2021, 6, 30)}
    text = ws.config_path.read_text(encoding="utf-8")
    assert text.startswith("# 县里的配置，勿删\n") and "# 办公室小王" in text


def test_a_broken_config_says_which_line_in_chinese(tmp_path):
    from collector.errors import WorkspaceError

    ws = init_workspace(tmp_path / "ws", "dxal-2020").workspace
    ws.config_path.write_text('form = "dxal-2020"\noffice = "某县"安委办"\n', encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        ws.config()
    assert caught.value.message.startswith("配置文件第 2 行写法不对")
    assert "Illegal" not in str(caught.value) and "line" not in caught.value.message


# -- init with the period and deadline of this workspace ---------------------------------------------


def test_init_with_period_and_deadline(tmp_path):
    result = init_workspace(tmp_path / "ws", "changchun-2019", period="2020-06", deadline=date(2020, 6, 30))
    assert result.config.deadlines == {"2020-06": date(2020, 6, 30)}
    assert result.past_deadlines(date(2020, 6, 1)) == {}
    again = init_workspace(tmp_path / "ws", "changchun-2019", period="2020-12", deadline=date(2020, 12, 25))
    assert again.deadline_set == "2020-12"
    assert again.config.deadlines == {"2020-06": date(2020, 6, 30), "2020-12": date(2020, 12, 25)}
    with pytest.raises(UsageError, match="--period 和 --deadline 要一起写"):
        init_workspace(tmp_path / "ws3", "changchun-2019", period="2020-06")


def test_cli_init_says_the_forms_deadline_is_past_and_where_to_cd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init", "安全生产月", "--form", "changchun-2019"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[-2].startswith("注意：表格自带的截止日期 2019-07-02 已经过了（是制表那年的）。若本次收集的是别的期间，"
                                "请写明期间和截止日期，如：collect init --form changchun-2019 --period ")
    assert lines[-1].startswith("下一步：cd 安全生产月，然后在 units.csv 中")
    result = CliRunner().invoke(app, ["init", "新", "--form", "changchun-2019", "-p", "2020年6月", "--deadline", "2020/6/30"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "统计表：changchun-2019（2020-06 截止 2020-06-30）" in result.output and "注意" not in result.output
    assert Workspace(tmp_path / "新").config().deadlines == {"2020-06": date(2020, 6, 30)}


# -- periods as a clerk types them -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "period"),
    [("2020-6", "2020-06"), ("2020年6月", "2020-06"), ("202006", "2020-06"), ("2020.06", "2020-06"),
     ("2020/06", "2020-06"), ("2020-06 ", "2020-06"), ("２０２０－０６", "2020-06"), ("2020年12月", "2020-12"),
     ("2020w5", "2020-W05"), ("2020年第25周", "2020-W25"), ("2020上半年", "2020-H1"), ("2020-h2", "2020-H2"),
     ("2020-13", None), ("20206", None), ("2020-6-1", None), ("六月", None)],
)
def test_normalize_period(typed, period):
    from collector.inbox.workspace import normalize_period

    assert normalize_period(typed) == period


def test_the_library_asks_is_it_this_period(tmp_path):
    from collector.inbox.workspace import check_period

    with pytest.raises(UsageError, match="期间“2020/6”格式不对：是不是 2020-06？"):
        check_period("2020/6")


def test_outside_a_workspace_the_nearest_is_named(tmp_path):
    from collector.errors import WorkspaceError

    init_workspace(tmp_path / "安全生产月", "dxal-2020")
    with pytest.raises(WorkspaceError, match="附近的工作目录：安全生产月。请先 cd 安全生产月，或在命令后加 -w 安全生产月。"):
        Workspace(tmp_path).config()
    with pytest.raises(WorkspaceError, match="附近的工作目录：..。请先 cd .."):
        Workspace(tmp_path / "安全生产月" / "inbox").config()
    (tmp_path / "别处").mkdir()
    with pytest.raises(WorkspaceError, match="还没有工作目录时运行：collect init 目录名 --form 表格编号"):
        Workspace(tmp_path / "别处").config()
