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
