"""No traceback when the disk refuses: every command through a read-only workspace, a full disk and a
vanished folder ends with one Chinese line and exit 1 or 2 (or does its job, where it can).

The read-only and full workspaces are real file systems: a small tmpfs mounted for the test (remounted
read-only, or filled to the last byte). Mounting needs root with CAP_SYS_ADMIN (CI runs as root);
where it cannot be had, those cases are skipped and say why. Permission bits would not do: root
ignores them.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import threading
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.errors import RosterError
from collector.forms.model import load_forms
from collector.inbox.ingest import ingest
from collector.inbox.roster import add_alias
from collector.inbox.workspace import Workspace, init_workspace
from collector.jobs.samples import realistic_values, write_return

FORM = "changchun-2019"
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)
#: the commands that make their own folder or only read files given them: a folder of the workspace gone
#: is nothing to them
OWN_FOLDER = {"check", "demo", "init"}


def build(root: Path) -> Workspace:
    """A workspace with one counted return, one new return in the inbox, and a file to check beside it."""
    form = load_forms()[FORM]
    ws = init_workspace(root / "ws", FORM, office="县安委办").workspace
    (ws.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n乙局,西区,\n", encoding="utf-8")
    write_return(ws.inbox / "甲局.xlsx", form, "甲局", realistic_values(form, random.Random(1)), filled_on=date(2020, 6, 28))
    ingest(ws, period="2020-06")
    write_return(ws.inbox / "乙局.xlsx", form, "乙局", realistic_values(form, random.Random(2)), filled_on=date(2020, 6, 28))
    os.utime(ws.inbox / "乙局.xlsx", (1_590_000_000, 1_590_000_000))  # arrived long ago: complete
    shutil.copy(ws.inbox / "乙局.xlsx", root / "待查.xlsx")
    return ws


#: each command as a clerk would call it on that workspace; a new command must be added here
def call(command: str, ws: Workspace, root: Path) -> list[str]:
    w = ["-w", str(ws.root)]
    calls = {
        "check": ["check", str(root / "待查.xlsx"), *w],
        "demo": ["demo", str(root / "演示")],
        "export": ["export", "-p", "2020-06", *w],
        "form": ["form", "import", str(root / "待查.xlsx"), "--id", "new-form", *w],
        "ingest": ["ingest", "--alias", "乙＝乙局", *w],
        "init": ["init", str(root / "新工作目录"), "--form", FORM],
        "refile": ["refile", "甲局", "-p", "2020-07", *w],
        "run": ["run", *w],
        "status": ["status", "-p", "2020-06", *w],
        "summarize": ["summarize", "-p", "2020-06", *w],
        "template": ["template", "--all", "-p", "2020-06", *w],
        "watch": ["watch", "--settle", "0", *w],
    }
    assert command in calls, f"collect {command} is new: add how a clerk calls it to call() in {__file__}"
    return calls[command]


def invoke(args: list[str]):
    """The command in this process; watch is stopped by a real Ctrl-C (SIGINT) after 1.5 s."""
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT)) if args[0] == "watch" else None
    if timer:
        timer.start()
    try:
        return CliRunner().invoke(app, args, catch_exceptions=False)
    finally:
        if timer:
            timer.cancel()


#: English words a message may carry: commands, file and folder names, program names
_ALLOWED = re.compile(r"[\w.-]*\.(?:csv|xlsx|xls|toml|txt|log|lock|sqlite3|parquet)\b|collect(?: \w+)?|--?[\w-]+|"
                      r"inbox|outbox|archive|returned|held|ignored|logs|Excel|WPS|Ctrl-C|ID|UTF-8|CSV")


def assert_told_in_chinese(result, root: Path) -> None:
    text = result.output
    assert "Traceback" not in text and "Error:" not in text, text
    if result.exit_code != 0:
        line = next(line for line in text.splitlines() if line.startswith("错误："))
        words = _ALLOWED.sub("", line.replace(str(root), ""))
        assert re.search(r"[\u4e00-\u9fff]", words), line
        assert not re.search(r"[A-Za-z]{3,}", words), f"English in the clerk's message: {line}"


@pytest.fixture
def mounted(tmp_path):
    """A 4 MB tmpfs at tmp_path/mnt, unmounted afterwards."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(mnt: Path, leave: int = 0) -> None:
    """Fill the file system to the last byte, then give back ``leave`` bytes."""
    filler = mnt / "填满"
    try:
        with open(filler, "wb") as stream:
            while True:
                stream.write(b"\0" * 4096)
                stream.flush()
    except OSError:
        pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))


# commands that only read: a read-only workspace does not stop them
READERS = {"check"}


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_workspace(command, mounted):
    ws = build(mounted)
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    result = invoke(call(command, ws, mounted))
    assert_told_in_chinese(result, mounted)
    if command not in READERS:
        assert result.exit_code in (1, 2), result.output
        assert "只读" in result.output or "无法" in result.output, result.output


@pytest.mark.parametrize("leave", [0, 40_000], ids=["full", "almost-full"])
@pytest.mark.parametrize("command", COMMANDS)
def test_full_disk(command, leave, mounted):
    ws = build(mounted)
    fill(mounted, leave)
    result = invoke(call(command, ws, mounted))
    assert_told_in_chinese(result, mounted)
    if leave == 0 and command not in READERS:
        assert result.exit_code in (1, 2), result.output
        assert "磁盘已满" in result.output or "读写" in result.output, result.output


@pytest.mark.parametrize("folder", ["inbox", "outbox", "archive"])
@pytest.mark.parametrize("command", sorted(set(COMMANDS) - OWN_FOLDER))
def test_vanished_folder(command, folder, tmp_path):
    ws = build(tmp_path)
    shutil.rmtree(ws.root / folder)
    result = invoke(call(command, ws, tmp_path))
    assert_told_in_chinese(result, tmp_path)
    assert result.exit_code in (0, 1, 2)


def test_a_receipt_folder_removed_under_a_running_watch_is_made_again(tmp_path):
    """The receipts' folder of the period was taken away between two passes of one process (a running
    watch): the next receipt makes it again."""
    ws = build(tmp_path)
    receipts = ws.receipts / "2020-06"
    assert receipts.is_dir()
    shutil.rmtree(ws.receipts)
    form = load_forms()[FORM]
    write_return(ws.inbox / "甲局更正.xlsx", form, "甲局", realistic_values(form, random.Random(3)), filled_on=date(2020, 6, 29))
    result = ingest(ws, period="2020-06", paths=[ws.inbox / "甲局更正.xlsx"])
    outcome = result.outcomes[0]
    assert outcome.state == "accepted" and outcome.receipt is not None and outcome.receipt.is_file()
    assert outcome.receipt.parent == receipts


def test_alias_when_the_roster_is_a_folder(tmp_path):
    ws = build(tmp_path)
    (ws.root / "units.csv").unlink()
    (ws.root / "units.csv").mkdir()
    result = invoke(["ingest", "--alias", "乙=乙局", "-w", str(ws.root)])
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith("错误：") and "units.csv 是一个文件夹" in result.output


def test_alias_when_the_roster_cannot_be_written(mounted):
    ws = build(mounted)
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    with pytest.raises(RosterError, match="无法把别名“乙”写入单位名单：所在的磁盘或文件夹是只读的"):
        add_alias(ws, "乙局", "乙")


def test_a_bug_is_one_chinese_line_and_exit_2(tmp_path, monkeypatch):
    """The last resort: whatever escapes the library is one line, exit 2, never a traceback."""
    import collector.reports.status as status_module

    ws = build(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(status_module, "status_report", broken)
    monkeypatch.setattr("collector.cli.status.status_report", broken)
    result = invoke(["status", "-p", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 2
    assert result.output == ("错误：程序内部出错（RuntimeError），本次未能完成；已完成的部分都已保存。"
                             "请把这一行和所用的命令告诉维护人员。\n")
