"""What bounding a workbook before reading costs (issue 12): ``open_workbook`` on the sample returns
with the bounds (``reading/bounds.py``) and, as the baseline measured in the same run, without them.

Files are read in turn (every file once with, once without, then the next round), so that the
machine's load falls on both alike; the medians per file are printed.

    python benchmarks/bench_bounds.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from collector.reading import workbook

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    files = sorted(p for p in DATA.glob("*/inbox/*") if p.suffix.lower() in (".xlsx", ".xls"))
    datas = [(path, path.read_bytes()) for path in files]
    bounded = (workbook.check_ooxml, workbook.check_biff)
    unbounded = (lambda *args: None, lambda *args: None)
    times: dict[str, list[float]] = {"with bounds": [], "without (baseline)": []}
    for _ in range(rounds):
        for label, (ooxml, biff) in (("with bounds", bounded), ("without (baseline)", unbounded)):
            workbook.check_ooxml, workbook.check_biff = ooxml, biff
            started = time.perf_counter()
            for path, data in datas:
                try:
                    workbook.open_workbook(path, data)
                except Exception:  # the samples' broken files: refused the same way either way
                    pass
            times[label].append((time.perf_counter() - started) / len(datas))
    workbook.check_ooxml, workbook.check_biff = bounded
    print(f"open_workbook over {len(datas)} sample files, {rounds} rounds, median per file:")
    for label, values in times.items():
        print(f"  {label:20} {statistics.median(values) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
