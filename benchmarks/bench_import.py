"""Importing a table (issue 14): median time to make a form from a blank table, beside baselines from the same run.

For each seed table's blank (tests/data/<id>/blank/blank.xlsx and blank.docx), measured over --repeat runs:
``import_blank`` (open the file, find everything, build and validate the Form) and ``form_toml`` (the
form file's text); the baselines are loading the bundled TOML form of the same table
(``load_form_file``: tomllib + pydantic) and opening the blank alone (``open_return``). Importing is done
once per table per workspace; the point is that it costs about as much as loading a form, not more
than a blink.

    python benchmarks/bench_import.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from collector.forms.importer import form_toml
from collector.forms.model import bundled_schemas_dir, load_form_file
from collector.reading.blank import import_blank
from collector.reading.convert import open_return

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
TABLES = ("dxal-2020", "haicheng-2020", "changchun-2019")


def median_ms(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    action()  # warm: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(f"median of {args.repeat} runs, ms")
    print(f"{'table':<16}{'blank':<7}{'import':>9}{'+ toml':>9}{'load TOML form':>16}{'open blank':>12}")
    for table in TABLES:
        bundled = bundled_schemas_dir() / f"{table}.toml"
        load = median_ms(lambda: load_form_file(bundled), args.repeat)
        for suffix in (".xlsx", ".docx"):
            blank = DATA / table / "blank" / f"blank{suffix}"
            result = import_blank(blank)
            imported = median_ms(lambda: import_blank(blank), args.repeat)
            toml = median_ms(lambda: form_toml(result.form, result), args.repeat)
            opened = median_ms(lambda: open_return(blank), args.repeat)
            print(f"{table:<16}{suffix:<7}{imported:>9.1f}{toml:>9.1f}{load:>16.1f}{opened:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
