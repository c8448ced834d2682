"""Hostile and odd entries in inbox/ (issue 12): each answered in one line, none stops the run.

The suite builds every case itself, tiny (a 1 GiB file is sparse), drops them among 20 good returns,
and runs the real command twice in a child process under a 6 GiB address-space limit: no abort, no
traceback, no hang, every good return counted, each bad entry one line — then ``collect check`` on
the same entries.
"""

import os
import resource
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import DATA, make_return, make_workspace

from collector.names import shown

LIMIT = 6 * 1024**3
LONG_UNIT = "某某省某某市某某县某某乡镇人民政府安全生产委员会办公室" * 3  # 81 characters, 243 bytes
GBK_NAME = os.fsdecode("安监局-统计表.xlsx".encode("gbk"))
FORGED = "伪造\n已接收  假单位 → 一切正常\x1b[2J\x1b[31m.xlsx"
HOSTILE = {  # name in the inbox → what its one line must say
    "管道.xlsx": "管道（FIFO）",
    "套接字.xlsx": "套接字",
    "zero.xlsx": "符号链接",
    "文件夹链接": "符号链接",
    "断开的链接.xlsx": "符号链接",
    "大文件.xlsx": "文件过大",
    "两格.xlsx": None,  # A1 and XFD1048576: crashes the reader, or is refused by its bounds
    "崩溃.xlsx": "文件结构异常，无法安全读取",
    "耗尽内存.xlsx": "文件结构异常，无法安全读取",
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root), COLLECTOR_READ_FAULT="abort:崩溃,memory:耗尽内存", **(env or {}))
    return subprocess.run([sys.executable, "-m", "collector", *args], capture_output=True, text=True,
                          timeout=300, preexec_fn=_limited, env=env, cwd=root, errors="surrogateescape")


def _units() -> list[str]:
    lines = (DATA / "dxal-2020" / "units.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    return [line.split(",")[0] for line in lines]


def _two_cells(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.active["XFD1048576"] = 1
    wb.save(path)


def _fill(folder: Path, sockets: list) -> dict[str, str]:
    """20 good returns, 4 more good ones under odd names, and every hostile entry; name → unit."""
    units = _units()
    good = {}
    for i in range(20):
        unit = units[i % len(units)]
        good[f"{i:02d} {unit}.xlsx"] = unit
        make_return(folder / f"{i:02d} {unit}.xlsx", unit, seed=i)
    for name, unit in ((GBK_NAME, units[0]), (FORGED, units[1]), ("长" * 80 + ".xlsx", units[2]),
                       (f"{LONG_UNIT}.xlsx", LONG_UNIT)):
        make_return(folder / name, unit, seed=len(good) + 7)
        good[name] = unit
    os.mkfifo(folder / "管道.xlsx")
    here = os.getcwd()
    os.chdir(folder)  # a socket's path must be short: bound by its name
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind("套接字.xlsx")
        sockets.append(server)
    finally:
        os.chdir(here)
    (folder / "zero.xlsx").symlink_to("/dev/zero")
    (folder.parent / "a-folder").mkdir(exist_ok=True)
    (folder / "文件夹链接").symlink_to(folder.parent / "a-folder")
    (folder / "断开的链接.xlsx").symlink_to(folder / "nowhere.xlsx")
    with open(folder / "大文件.xlsx", "wb") as stream:
        stream.truncate(1024**3)
    _two_cells(folder / "两格.xlsx")
    make_return(folder / "崩溃.xlsx", units[3], seed=90)
    make_return(folder / "耗尽内存.xlsx", units[4], seed=91)
    return good


@pytest.fixture
def sockets():
    held: list = []
    yield held
    for server in held:
        server.close()


def _no_noise(done: subprocess.CompletedProcess) -> None:
    assert done.returncode in (0, 1), (done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    assert "Traceback" not in done.stdout + done.stderr
    assert "\x1b" not in done.stdout + done.stderr  # no terminal escape reaches the screen
    assert done.stderr == ""


def test_hostile_entries_among_good_returns_each_cost_one_line(tmp_path, sockets):
    ws = make_workspace(tmp_path)
    with open(ws.root / "units.csv", "a", encoding="utf-8") as stream:
        stream.write(f"{LONG_UNIT},某某县,\n")
    good = _fill(ws.inbox, sockets)

    first = _run("ingest", "-w", str(ws.root))
    _no_noise(first)
    assert first.returncode == 1  # returns were sent back
    lines = [line for line in first.stdout.splitlines() if " → " in line]
    entries = len(good) + len(HOSTILE)
    assert len(lines) == entries, first.stdout  # one line per entry
    assert f"共 {entries} 个文件：已接收 {len(good)}，" in first.stdout
    for name, words in HOSTILE.items():
        mine = [line for line in lines if f" {name} → " in line]
        assert len(mine) == 1, (name, first.stdout)
        if words:
            assert words in mine[0], mine[0]
    assert not any(line.startswith("已接收  假单位") for line in lines)  # the newline did not forge a line
    assert sum("\\n已接收" in line for line in lines) == 1
    assert any("\\xb0\\xb2" in line for line in lines)  # the GBK name, escaped
    with sqlite3.connect(ws.ledger_path) as db:
        accepted = db.execute("SELECT COUNT(*) FROM files WHERE state='accepted' AND moved=1").fetchone()[0]
        rows = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        names = {row[0] for row in db.execute("SELECT name FROM files")}
    assert accepted == len(good)  # every good return counted, the odd names included
    assert rows == entries  # every announced file recorded
    assert shown(GBK_NAME) in names and shown(GBK_NAME).startswith("\\xb0\\xb2")  # kept, escaped
    assert not any(ws.inbox.iterdir())  # everything answered and moved aside; nothing opened that is not a file
    assert (ws.ignored / "zero.xlsx").is_symlink() and (ws.ignored / "管道.xlsx").exists()
    for path in ws.root.rglob("*"):
        assert len(os.fsencode(path.name)) <= 200, path.name

    second = _run("ingest", "-w", str(ws.root))
    _no_noise(second)
    assert second.returncode == 0
    assert second.stdout.strip().splitlines()[-1] == "收件箱中没有新文件。"


def test_check_answers_each_hostile_entry(tmp_path, sockets):
    folder = tmp_path / "files"
    folder.mkdir()
    good = _fill(folder, sockets)
    names = sorted(os.listdir(folder))
    done = _run("check", *[str(folder / n) for n in names])
    _no_noise(done)
    assert done.returncode == 1
    heads = [line for line in done.stdout.splitlines() if line.startswith("== ")]
    assert len(heads) == len(good) + len(HOSTILE)
    assert "文件结构异常，无法安全读取" in done.stdout and "套接字" in done.stdout and "文件过大" in done.stdout
