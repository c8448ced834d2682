"""Ingest speed (issue 3): ``collect ingest`` of 1,000 returns, end to end, as a whole process from cold.

Generates 1,000 returns by varying the sample returns of ``tests/data/dxal-2020`` (each for its own
unit of a generated roster, so every file has distinct bytes), then, ``--repeat`` times, in a fresh
workspace each time:

* runs ``python -m collector ingest`` as a subprocess (cold start: interpreter, imports, forms,
  roster, ledger, every file hashed, checked, archived, recorded, receipted) and times it;
* runs a bare ``pandas.read_excel(engine="openpyxl")`` loop over the same files, in this process.

Prints the medians per return and the ratio. Targets: ≤ 2 ms per return, and the whole ingest process
under a quarter of the pandas loop.

Run it on a quiet machine, not within minutes of deleting thousands of files (a test run, the last
benchmark's clean-up) under the same folder: ext4 without a journal then skips the recently freed
inodes one by one on every file created, and the 1,000 receipts cost up to 6× their usual time. Set
TMPDIR to put the runs elsewhere.

With ``--compare DIR`` (another checkout of the project, e.g. ``git archive main | tar -x -C DIR``),
every round also runs that code's ``collect ingest`` on a fresh copy of the same workspace, in turns
(which one goes first alternates), and the medians of both are printed with their ratio: a baseline
measured in the same run, under the same load — on a shared machine, the only fair comparison.

    python benchmarks/bench_ingest.py [--returns 1000] [--repeat 3] [--compare DIR]
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "dxal-2020"


def bases() -> list[tuple[Path, str, str]]:
    """The sample returns that can be counted (.xlsx), with their unit and region."""
    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
    regions = {}
    with open(SAMPLES / "units.csv", encoding="utf-8-sig") as stream:
        for row in csv.DictReader(stream):
            regions[row["单位"]] = row["地区"]
    found = []
    for path in sorted((SAMPLES / "inbox").glob("*.xlsx")):
        if path.name in truth["rejected"] or path.name in truth["ignored"] or "错误" in path.name:
            continue
        unit = next(u for u in truth["valid_units"] if u in path.stem)
        found.append((path, unit, regions[unit]))
    return found


def generate(folder: Path, n: int) -> list[tuple[str, str]]:
    """``n`` returns in ``folder``, each a sample return re-signed by a unit of its own; the roster rows."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = bases()
    books = []
    for path, unit, region in sources:
        wb = openpyxl.load_workbook(path)
        cells = []
        for ws in wb.worksheets:  # the header: the rows above the table's column heads
            table = next((c.row for row in ws.iter_rows() for c in row if c.value == "活动项目"), ws.max_row + 1)
            cells += [c for row in ws.iter_rows(max_row=table - 1) for c in row
                      if isinstance(c.value, str) and unit in c.value]
        books.append((wb, unit, region, [(c, c.value) for c in cells]))
    roster = []
    for i in range(n):
        wb, unit, region, cells = books[i % len(books)]
        name = f"{unit}第{i + 1}分局"
        for cell, text in cells:
            cell.value = text.replace(unit, name)
        wb.save(folder / f"{name}-统计表.xlsx")
        roster.append((name, region))
    return roster


def make_workspace(root: Path, returns: Path, roster: list[tuple[str, str]]) -> None:
    subprocess.run([sys.executable, "-m", "collector", "init", str(root), "--form", "dxal-2020"],
                   check=True, capture_output=True, cwd=ROOT, env=_env(ROOT))
    with open(root / "units.csv", "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["单位", "地区", "别名"])
        writer.writerows([(name, region, "") for name, region in roster])
    for path in returns.iterdir():
        shutil.copy2(path, root / "inbox" / path.name)
    # Returns reach a clerk's inbox over days, long written to disk when ingest runs. Ingest makes its
    # own work durable (syncfs of the workspace's disk on Linux; before issue 12, os.sync()),
    # which would otherwise also pay for writing back the 1,000 copies just made here — a cost of this
    # set-up, not of ingest.
    os.sync()


def _env(code: Path) -> dict[str, str]:
    """The environment that runs the project's code in ``code``."""
    return dict(os.environ, PYTHONPATH=str(code))


def run_ingest(code: Path, root: Path, expected: int) -> float:
    """``collect ingest`` of ``code`` on the workspace at ``root``, timed; every return must be accepted."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "collector", "ingest", "-w", str(root)],
                          capture_output=True, text=True, cwd=code, env=_env(code))
    elapsed = time.perf_counter() - start
    with sqlite3.connect(root / "collector.sqlite3") as db:
        accepted = db.execute("SELECT COUNT(*) FROM files WHERE state = 'accepted' AND moved = 1").fetchone()[0]
    if accepted != expected or any((root / "inbox").iterdir()):
        sys.exit(f"ingest ({code}) did not accept every return ({accepted} of {expected}):\n{done.stdout[-2000:]}"
                 f"{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another checkout to time in turns with this one")
    args = parser.parse_args()
    other = args.compare.resolve() if args.compare else None

    # the package as pip installs it, its modules compiled: a cold start reads them, not the sources
    # (this matters where PYTHONDONTWRITEBYTECODE is set, and the first time after a change)
    for code in (ROOT, other):
        if code is not None:
            compileall.compile_dir(code / "collector", quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp_path = Path(tmp)
        started = time.perf_counter()
        roster = generate(tmp_path / "returns", args.returns)
        files = sorted((tmp_path / "returns").iterdir())
        print(f"{len(files)} 份报表已生成（{time.perf_counter() - started:.1f} s），每次重复使用新的工作目录。")

        ingest_ms, pandas_ms, other_ms = [], [], []
        for round_ in range(args.repeat):
            root = tmp_path / f"ws{round_}"
            make_workspace(root, tmp_path / "returns", roster)
            twin = tmp_path / f"other{round_}"
            if other is not None:
                make_workspace(twin, tmp_path / "returns", roster)
            if other is not None and round_ % 2:
                other_ms.append(run_ingest(other, twin, len(files)) * 1000 / len(files))
            elapsed = run_ingest(ROOT, root, len(files))
            ingest_ms.append(elapsed * 1000 / len(files))
            if other is not None and not round_ % 2:
                other_ms.append(run_ingest(other, twin, len(files)) * 1000 / len(files))

            start = time.perf_counter()
            for path in files:
                pd.read_excel(path, engine="openpyxl")
            pandas_ms.append((time.perf_counter() - start) * 1000 / len(files))
            compared = f"，对照 {other_ms[-1]:.2f} ms/份" if other is not None else ""
            print(f"  第 {round_ + 1} 次：collect ingest {ingest_ms[-1]:.2f} ms/份（整个进程 {elapsed:.2f} s）"
                  f"{compared}，"
                  f"pandas.read_excel {pandas_ms[-1]:.2f} ms/份")

        ingest_median, pandas_median = statistics.median(ingest_ms), statistics.median(pandas_ms)
        ratio = ingest_median / pandas_median
        print(f"collect ingest（整个进程，冷启动）：中位数 {ingest_median:.2f} ms/份   目标 ≤ 2 ms/份"
              f"   {'达标' if ingest_median <= 2 else '未达标'}")
        print(f"pandas.read_excel(engine=\"openpyxl\") 循环：中位数 {pandas_median:.2f} ms/份")
        print(f"比值：{ratio:.3f}   目标 < 0.25   {'达标' if ratio < 0.25 else '未达标'}")
        if other is not None:
            other_median = statistics.median(other_ms)
            print(f"对照（{other}）：中位数 {other_median:.2f} ms/份；本版 / 对照 = {ingest_median / other_median:.3f}"
                  f"   目标 ≤ 1.10   {'达标' if ingest_median / other_median <= 1.10 else '未达标'}")


if __name__ == "__main__":
    main()
