"""Hostile and odd workbooks (issue 12) among good returns, through the real commands in a child
process under a 6 GiB address-space limit: ``collect watch`` answers each with one line and keeps
watching, ``collect check`` gives each one result; no abort, no traceback."""

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
from conftest import far_cells, make_return, make_workspace, shared_string_bomb, with_macro_sheet

LIMIT = 6 * 1024**3
ROOT = Path(__file__).resolve().parents[2]
GOOD = {"呼中林业局.xlsx": "呼中林业局", "松岭林业局.xlsx": "松岭林业局", "新林林业局.xlsx": "新林林业局"}
#: name in the inbox → words its one line must hold
HOSTILE = {
    "两格XFD.xlsx": "文件结构异常，无法安全读取：工作表“统计表”的数据一直延伸到 XFD1048576",
    "两格BH.xlsx": "文件结构异常，无法安全读取：工作表“统计表”的数据一直延伸到 BH1048576",
    "共享文字.xlsx": "共享文字合计超过",
    "部件.xlsx": "文件内部有 3,002 个部件",
    "其实是Word.xlsx": "这不是要收集的统计表",  # read as the Word document it is (Word returns are read)
    "二进制.xlsb": "Excel 二进制工作簿（.xlsb）",
}
MACRO = "加格达奇林业局-宏.xlsm"  # a return with an Excel 4.0 macro sheet: accepted


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")


def _fill(folder: Path, scratch: Path) -> None:
    scratch.mkdir(exist_ok=True)
    for name, unit in GOOD.items():
        make_return(folder / name, unit, seed=len(name))
    far_cells(folder / "两格XFD.xlsx", "XFD1048576")
    far_cells(folder / "两格BH.xlsx", "BH1048576")
    shared_string_bomb(folder / "共享文字.xlsx", 2000)
    with zipfile.ZipFile(folder / "部件.xlsx", "w") as z:
        for i in range(3002):
            z.writestr(f"xl/part{i}.xml", "")
    document = docx.Document()
    document.add_paragraph("统计表")
    document.save(folder / "其实是Word.xlsx")
    good = make_return(scratch / "r.xlsx", "呼中林业局").read_bytes()
    src = zipfile.ZipFile(scratch / "r.xlsx")
    with zipfile.ZipFile(folder / "二进制.xlsb", "w") as z:
        for m in src.infolist():
            z.writestr(m.filename.replace("xl/workbook.xml", "xl/workbook.bin"), src.read(m.filename))
    macro = with_macro_sheet(make_return(scratch / "m.xlsx", "加格达奇林业局").read_bytes())
    (folder / MACRO).write_bytes(macro)
    assert good


def _no_noise(out: str, err: str) -> None:
    assert "Traceback" not in out + err, out + err
    assert "memory allocation" not in out + err


def test_watch_answers_each_hostile_workbook_in_one_line_and_goes_on(tmp_path):
    ws = make_workspace(tmp_path)
    staging = tmp_path / "staging"
    staging.mkdir()
    _fill(staging, tmp_path / "scratch")
    watcher = subprocess.Popen([sys.executable, "-m", "collector", "watch", "-w", str(ws.root), "--settle", "0.2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
                               preexec_fn=_limited)
    try:
        assert watcher.stdout.readline().startswith("正在监视")
        for path in sorted(staging.iterdir()):  # dropped as a sender would: whole, by a rename
            os.replace(path, ws.inbox / path.name)
        expected = len(GOOD) + len(HOSTILE) + 1
        deadline = time.monotonic() + 120
        rows = 0
        while time.monotonic() < deadline and watcher.poll() is None:
            try:
                with sqlite3.connect(ws.ledger_path) as db:
                    rows = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
            except sqlite3.OperationalError:
                rows = 0  # the first pass has not made the ledger yet
            if rows >= expected and not any(ws.inbox.iterdir()):
                break
            time.sleep(0.3)
        assert watcher.poll() is None, "watch stopped"  # it is still watching
        assert rows == expected
    finally:
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=60)
    _no_noise(out, err)
    assert watcher.returncode == 1, (out, err)  # files were sent back: something for the clerk, as ingest says
    lines = [line for line in out.splitlines() if " → " in line]
    assert len(lines) == expected, out
    for name, words in HOSTILE.items():
        (line,) = [line for line in lines if f" {name} → " in line]
        assert line.startswith("退回") and words in line, line
    for name in [*GOOD, MACRO]:
        (line,) = [line for line in lines if f" {name} → " in line]
        assert line.startswith("已接收"), line


def test_check_answers_each_hostile_workbook(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    _fill(folder, tmp_path / "scratch")
    names = sorted(os.listdir(folder))
    done = subprocess.run([sys.executable, "-m", "collector", "check", *[str(folder / n) for n in names]],
                          capture_output=True, text=True, timeout=300, env=_env(), cwd=ROOT, preexec_fn=_limited)
    _no_noise(done.stdout, done.stderr)
    assert done.returncode == 1, (done.stdout, done.stderr)
    blocks = done.stdout.split("== ")[1:]
    assert len(blocks) == len(names), done.stdout
    for name, words in HOSTILE.items():
        (block,) = [b for b in blocks if b.startswith(f"{name} ==")]
        assert words in block, block
