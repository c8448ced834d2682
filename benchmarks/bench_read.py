"""Read-and-check speed (issue 2): median time per return over 1,000 generated returns.

Prints, from one run over the same files: our open + identify + read + check (``check_file``), a bare
``pandas.read_excel(engine="openpyxl")`` loop, and a bare python-calamine loop (open, every sheet's
values). Target: ≤ 1.5 ms per return, under a fifth of pandas, within 3× of bare calamine.

    python benchmarks/bench_read.py [--returns 1000] [--form dxal-2020]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from collector.forms.model import load_forms
from collector.jobs.samples import realistic_values, write_return
from collector.reading.check import check_file


def generate(folder: Path, form_id: str, n: int) -> list[Path]:
    forms = load_forms()
    form = forms[form_id]
    rng = random.Random(20200630)
    return [
        write_return(folder / f"单位{i:04d}-统计表.xlsx", form, f"第{i}单位安委会", realistic_values(form, rng),
                     contact="张三", phone="0457-1234567")
        for i in range(n)
    ]


def per_file(paths: list[Path], read) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for path in paths:
        start = time.perf_counter()
        read(path)
        times.append(time.perf_counter() - start)
    return times


def bare_calamine(path: Path) -> None:
    wb = CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--form", default="dxal-2020")
    args = parser.parse_args()
    forms = load_forms()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"generating {args.returns} returns of {args.form} …", flush=True)
        paths = generate(Path(tmp), args.form, args.returns)
        check_file(paths[0], forms)  # warm: form matchers compiled once per process
        ours = per_file(paths, lambda p: check_file(p, forms))
        failures = sum(not check_file(p, forms).ok for p in paths)
        calamine = per_file(paths, bare_calamine)
        pandas = per_file(paths, lambda p: pd.read_excel(p, sheet_name=None, engine="openpyxl", header=None))
    med = {name: statistics.median(t) * 1000 for name, t in
           (("collector check_file", ours), ("bare python-calamine", calamine), ("pandas.read_excel openpyxl", pandas))}
    print(f"{args.returns} returns, median ms per return (same files, same run):")
    for name, value in med.items():
        print(f"  {name:28s} {value:8.3f} ms")
    ours_ms = med["collector check_file"]
    print(f"  collector / pandas   = {ours_ms / med['pandas.read_excel openpyxl']:.3f}  (target < 0.2)")
    print(f"  collector / calamine = {ours_ms / med['bare python-calamine']:.2f}   (target ≤ 3)")
    print(f"  target ≤ 1.5 ms per return: {'met' if ours_ms <= 1.5 else 'NOT met'}; returns not countable: {failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
