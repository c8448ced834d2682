"""A long ``collect watch`` stays flat (issue 11): resident memory after many ingest passes, each
loading the forms afresh as watch does, each with a new return.

    python benchmarks/bench_watch_memory.py [--passes 200]

Before the reading caches were keyed by form id, 200 passes took this from ~35 to ~197 MB.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
from pathlib import Path

from collector.forms.model import load_forms
from collector.inbox.ingest import ingest
from collector.inbox.workspace import init_workspace
from collector.jobs.samples import realistic_values, write_return

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=200)
    passes = parser.parse_args().passes
    root = Path(tempfile.mkdtemp())
    try:
        ws = init_workspace(root / "ws", "dxal-2020", office="地区安委办").workspace
        shutil.copy(DATA / "dxal-2020" / "units.csv", ws.root / "units.csv")
        form = load_forms()["dxal-2020"]
        marks = {}
        for i in range(passes):
            path = ws.inbox / f"{i}.xlsx"
            write_return(path, form, "呼中林业局", realistic_values(form, random.Random(i)), contact="联络员",
                         phone="0457-2100000", filled_on=None)
            ingest(ws, paths=[path], lock_wait=0.0, settling=0.0)
            if i + 1 in (10, passes // 2, passes):
                marks[i + 1] = rss_mb()
        print("passes → resident MB: " + ", ".join(f"{n}: {mb:.0f}" for n, mb in marks.items()))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
