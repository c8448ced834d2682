"""`collect summarize` time for 1,000 and 10,000 counted returns (issue 4; target: under 2 s for 10,000).

The ledger is filled directly (as ingest would leave it) so that only summarizing is timed. For each
size: the whole `collect summarize` process, cold start (median of --runs), and in the same run a
baseline — the naive way, the same counted values read from SQLite with `pandas.read_sql`, pivoted and
written with `DataFrame.to_excel` (openpyxl), one sheet, no report around it.

    python benchmarks/bench_summarize.py [--sizes 1000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import compileall
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from collector.forms.model import load_forms
from collector.inbox.ledger import FileRecord, Ledger
from collector.inbox.workspace import Workspace, init_workspace
from collector.jobs.samples import realistic_values

FORM_ID = "dxal-2020"
ROOT = Path(__file__).resolve().parent.parent


def build(root: Path, n: int) -> Path:
    form = load_forms()[FORM_ID]
    ws = init_workspace(root, FORM_ID, office="基准测试办公室").workspace
    regions = [f"第{k}区" for k in range(1, 21)]
    units = [(f"第{i:05d}单位", regions[i % len(regions)]) for i in range(n)]
    (ws.root / "units.csv").write_text("单位,地区,别名\n" + "".join(f"{u},{r},\n" for u, r in units), encoding="utf-8")
    rng = random.Random(n)
    cells = [f"统计表!D{4 + k}" for k in range(len(form.blank_refs))]
    with Ledger(ws.ledger_path, synchronous="NORMAL") as ledger:
        for i, (unit, _) in enumerate(units):
            values = realistic_values(form, rng)
            record = FileRecord(None, f"{unit}-统计表.xlsx", f"{i:064x}", 30000, "2020-06-28T09:00:00", "accepted",
                                f"inbox/{unit}.xlsx", form=FORM_ID, unit=unit, unit_written=unit, period="2020-06",
                                moved=1)
            ledger.record(record, {ref.key: values[ref.key] for ref in form.blank_refs},
                          cells={ref.key: cell for ref, cell in zip(form.blank_refs, cells)})
    return ws.root


def time_summarize(root: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "collector", "summarize", "--period", "2020-06", "-w", str(root)],
                       check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_baseline(root: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with sqlite3.connect(Workspace(root).ledger_path) as db:
            # one row per value (SQLite's json_each decodes the object the ledger keeps per return)
            long = pd.read_sql("SELECT f.unit, v.key, v.value FROM value_sets s JOIN files f ON f.id = s.file_id, "
                               "json_each(s.json) AS v WHERE f.state = 'accepted' AND f.period = '2020-06'", db)
        wide = long.pivot(index="unit", columns="key", values="value")
        wide.to_excel(root / "baseline.xlsx", engine="openpyxl")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # the package as pip installs it, its modules compiled: a cold start reads them, not the sources
    # (this matters where PYTHONDONTWRITEBYTECODE is set, and the first time after a change)
    compileall.compile_dir(ROOT / "collector", quiet=1)
    print(f"median of {args.runs} runs; `collect summarize` timed as a whole process (cold start)")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = build(Path(tmp) / "ws", n)
            ours = time_summarize(root, args.runs)
            base = time_baseline(root, args.runs)
        print(f"  {n:6d} counted returns: collect summarize {ours:6.2f} s | baseline read_sql+pivot+to_excel "
              f"{base:6.2f} s | ratio {ours / base:.2f}" + ("  (target < 2 s)" if n >= 10000 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
