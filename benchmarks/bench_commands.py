"""How long a clerk waits on each command of a 30-unit workspace (issue 11: "about a second").

Every command is run as the clerk runs it — a fresh `python -m collector …` process, cold start — on a
workspace of 30 units that have all reported (the 兴安行 form, returns written by the sample writer).
The baseline is the same commands, in the same run, on the same workspace, with the code of an older
revision (default: 75d3d01, before issue 11), checked out into a temporary git worktree.

    python benchmarks/bench_commands.py [--runs 5] [--baseline-rev 75d3d01]

Prints, per command, the median seconds now and at the baseline, and their ratio.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from collector.forms.model import load_forms
from collector.inbox.workspace import init_workspace
from collector.jobs.samples import realistic_values, write_return

FORM_ID = "dxal-2020"
PERIOD = "2020-06"
ROOT = Path(__file__).resolve().parent.parent
UNITS = 30

#: (name, arguments, does it change the workspace: run each time on a fresh copy)
COMMANDS = [
    ("--help", ["--help"], False),
    ("status", ["status", "--period", PERIOD], False),
    ("check (one file)", ["check", "RETURN"], False),
    ("ingest (30 returns)", ["ingest"], True),
    ("summarize", ["summarize", "--period", PERIOD], False),
    ("export", ["export", "--period", PERIOD], False),
    ("template --all", ["template", "--all", "--period", PERIOD], False),
]


def build(root: Path) -> Path:
    """A workspace whose inbox holds one return from each of 30 units."""
    form = load_forms()[FORM_ID]
    ws = init_workspace(root, FORM_ID, office="基准测试办公室").workspace
    units = [f"第{i:02d}单位" for i in range(UNITS)]
    (ws.root / "units.csv").write_text("单位,地区,别名\n" + "".join(f"{u},第{i % 5}区,\n" for i, u in enumerate(units)),
                                       encoding="utf-8")
    rng = random.Random(30)
    for unit in units:
        write_return(ws.inbox / f"{unit}-统计表.xlsx", form, unit, realistic_values(form, rng), filled_on=date(2020, 6, 28))
    return ws.root


def run(code: Path, args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "collector", *args], cwd=cwd, capture_output=True,
                          env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed with {code}:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def measure(code: Path, pristine: Path, scratch: Path, runs: int) -> dict[str, float]:
    """Median seconds of each command with the code at ``code``, on copies of ``pristine``."""
    ingested = scratch / "ingested"
    shutil.copytree(pristine, ingested)
    run(code, ["ingest"], ingested)  # status, summarize, export read a workspace that has taken its returns in
    run(code, ["summarize", "--period", PERIOD], ingested)
    sample = next((pristine / "inbox").glob("*.xlsx"))
    medians = {}
    for name, args, changes in COMMANDS:
        args = [str(sample) if a == "RETURN" else a for a in args]
        times = []
        for i in range(runs):
            if changes:
                fresh = scratch / f"fresh-{name.split()[0]}-{i}"
                shutil.copytree(pristine, fresh)
                times.append(run(code, args, fresh))
            else:
                times.append(run(code, args, ingested))
        medians[name] = statistics.median(times)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-rev", default="75d3d01")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp:
        tmp_path = Path(tmp)
        pristine = build(tmp_path / "pristine")
        old = tmp_path / "baseline-code"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), options.baseline_rev],
                       check=True)
        try:
            now = measure(ROOT, pristine, tmp_path / "now", options.runs)
            before = measure(old, pristine, tmp_path / "before", options.runs)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    print(f"{UNITS} units, median of {options.runs} cold runs each; baseline = {options.baseline_rev}")
    print(f"{'command':<22}{'now (s)':>10}{'baseline (s)':>14}{'ratio':>8}")
    for name in now:
        print(f"{name:<22}{now[name]:>10.2f}{before[name]:>14.2f}{now[name] / before[name]:>8.2f}")


if __name__ == "__main__":
    main()
