"""Word returns' speed (issue 14): a .docx return against an .xlsx return of the same content, and what a
.doc costs — read directly, and converted by LibreOffice.

From one run, medians per return of ``check_file`` (open + identify + read + check) over:

* the Word samples (tests/data/dxal-2020-word: .docx), and .xlsx returns written with the very same
  unit and values (``jobs.samples.write_return``): the baseline. Target: .docx within 2× of .xlsx.
* the .doc samples, read directly (``reading.doc``);
* a LibreOffice conversion (.doc → .docx, .odt → .docx, .ods → .xlsx) and reading the result: what a
  return in a format only LibreOffice reads costs. Most of it is LibreOffice starting with a fresh
  profile, every time, by design (a throwaway profile: no macro, no state between files).

    python benchmarks/bench_word.py [--rounds 20] [--conversions 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from collector.forms.model import load_forms
from collector.jobs.samples import write_return
from collector.reading.check import check_file
from collector.reading.convert import convert, find_soffice
from collector.reading.word import open_docx
from collector.reading.workbook import open_workbook

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def medians_ms(groups: list[list[Path]], rounds: int, read) -> list[float]:  # type: ignore[no-untyped-def]
    """Median time per file of each group; the groups' files are read in turn (the i-th of each, then
    the next), so that the machine's load falls on every group alike."""
    times: list[list[float]] = [[] for _ in groups]
    for _ in range(rounds):
        for i in range(max(len(g) for g in groups)):
            for g, paths in enumerate(groups):
                if i < len(paths):
                    start = time.perf_counter()
                    read(paths[i])
                    times[g].append(time.perf_counter() - start)
    return [statistics.median(t) * 1000 for t in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--conversions", type=int, default=3)
    args = parser.parse_args()
    forms = load_forms()
    form = forms["dxal-2020"]
    inbox = DATA / "dxal-2020-word" / "inbox"
    docx = sorted(inbox.glob("*.docx"))
    doc = sorted(inbox.glob("*.doc"))
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = []
        for path in docx:
            result = check_file(path, forms)
            values = {ref.key: result.values.get(ref.key) for ref in form.blank_refs}
            xlsx.append(write_return(Path(tmp) / f"{path.stem}.xlsx", form, result.unit or "某单位", values,
                                     contact="张伟", phone="0457-1234567", filled_on=date(2020, 6, 28)))
        check = lambda p: check_file(p, forms)  # noqa: E731
        check(docx[0]), check(xlsx[0])  # forms' readers and models built before timing
        t_xlsx, t_docx, t_doc = medians_ms([xlsx, docx, doc], args.rounds, check)
        print(f"returns: {len(docx)} .docx, the same content as {len(xlsx)} .xlsx, {len(doc)} .doc; "
              f"{args.rounds} rounds; median per return")
        print(f"  .xlsx  check_file      {t_xlsx:8.2f} ms   (baseline)")
        print(f"  .docx  check_file      {t_docx:8.2f} ms   {t_docx / t_xlsx:4.2f}× the .xlsx   target ≤ 2×: "
              f"{'met' if t_docx <= 2 * t_xlsx else 'NOT met'}")
        print(f"  .doc   check_file      {t_doc:8.2f} ms   {t_doc / t_xlsx:4.2f}× the .xlsx   (read directly, no LibreOffice)")
        soffice = find_soffice()
        if soffice is None:
            print("  LibreOffice conversions: not measured, soffice is not installed")
            return 0
        formats = DATA / "formats"
        cases = [(doc[0], ".doc", "docx"), (formats / "writer.odt", ".odt", "docx"), (formats / "calc.ods", ".ods", "xlsx")]
        for path, suffix, target in cases if args.conversions > 0 else []:
            times = []
            data = path.read_bytes()
            for _ in range(args.conversions):
                start = time.perf_counter()
                converted = convert(data, suffix, target)
                (open_docx if target == "docx" else open_workbook)(path, converted)
                times.append(time.perf_counter() - start)
            ms = statistics.median(times) * 1000
            print(f"  {suffix:<5}  LibreOffice → .{target} and read {ms:8.0f} ms   ({ms / t_xlsx:,.0f}× the .xlsx; "
                  f"median of {args.conversions}, a fresh LibreOffice each time)")
        print(f"  ({shutil.which('soffice') or soffice})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
