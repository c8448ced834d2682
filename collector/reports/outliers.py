"""Figures to phone a unit about before the table goes up (存疑) — warnings, never blocking.

Two checks, in the manner of DHIS2's outlier and validation-rule analysis:

- **far above its peers**: a unit's count is more than ``RATIO`` times the median of the other
  units' nonzero values for the same blank, and above ``FLOOR`` (small numbers vary a lot and
  matter little);
- **impossible relations the form implies**: within one progress sentence, people counted
  (人次 / 人) for an activity whose sessions (场 / 场次 / 次) right before it are 0 —
  ``组织观看（0）场，（300）人次``. The relation is read from the form's units, not hard-coded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..forms.model import Form, quoted

RATIO = 10
FLOOR = 100
#: at least this many other units with a nonzero value before a peer comparison means anything
MIN_PEERS = 3
SESSION_UNITS = ("场", "场次", "次")
PEOPLE_UNITS = ("人次", "人")


@dataclass(frozen=True)
class Suspect:
    """One figure that looks wrong."""

    unit: str
    file: str
    cell: str | None
    key: str
    label: str
    value: float | int
    message: str
    file_id: int | None = None  # the return's id in the ledger (the detail table's index)


def related_pairs(form: Form) -> list[tuple[str, str]]:
    """(sessions key, people key) pairs: a people count right after a session count in one line."""
    pairs = []
    for activity in form.activities:
        for line in activity.lines:
            fill = [b for b in line.blanks if b.kind == "count"]
            for before, after in zip(fill, fill[1:]):
                if before.unit in SESSION_UNITS and after.unit in PEOPLE_UNITS:
                    pairs.append((before.key, after.key))
    return pairs


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _medians_without(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each of ``values`` (each in the sorted array ``ordered``), the median of the others."""
    j = np.searchsorted(ordered, values)  # where each value sits; leaving it out shifts the ranks after it
    m = len(ordered) - 1

    def at(rank: int) -> np.ndarray:
        return np.where(rank < j, ordered[min(rank, m)], ordered[min(rank + 1, m)])

    return at(m // 2) if m % 2 else (at(m // 2 - 1) + at(m // 2)) / 2


def find_suspects(form: Form, detail: pd.DataFrame, cells: dict[tuple[str, str], str | None] | None = None) -> list[Suspect]:
    """Suspect figures in the counted returns (``Rollup.detail``: one row per return, one column per key).

    ``cells`` maps (file, key) to the cell the value came from, so the clerk can find it.
    """
    cells = cells or {}
    suspects: list[Suspect] = []
    if detail.empty:
        return suspects
    labels = {ref.key: ref.label for ref in form.blank_refs}
    units = detail["unit"].tolist()
    files = detail["file"].tolist()
    ids = [i if isinstance(i, int) else None for i in detail.index.tolist()]
    for ref in form.blank_refs:
        if ref.kind != "count" or ref.key not in detail:
            continue
        values = pd.to_numeric(detail[ref.key], errors="coerce").fillna(0).to_numpy()
        nonzero = values[values > 0]
        if len(nonzero) < MIN_PEERS + 1:
            continue
        candidates = (values > FLOOR).nonzero()[0]
        if not len(candidates):
            continue
        medians = _medians_without(np.sort(nonzero), values[candidates])
        far = (medians > 0) & (values[candidates] > RATIO * medians)  # at once: thousands are above FLOOR
        for i, median in zip(candidates[far], medians[far]):
            value = values[i]
            suspects.append(Suspect(
                units[i], files[i], cells.get((files[i], ref.key)), ref.key, labels[ref.key], int(value),
                f"存疑：{quoted(labels[ref.key])}填报{_fmt(value)}，是其他单位中位数（{_fmt(median)}）的"
                f"{value / median:.0f}倍，请电话核实是否多填了位数或填成了其他指标。", ids[i],
            ))
    for sessions, people in related_pairs(form):
        if sessions not in detail or people not in detail:
            continue
        s = pd.to_numeric(detail[sessions], errors="coerce").fillna(0).to_numpy()
        p = pd.to_numeric(detail[people], errors="coerce").fillna(0).to_numpy()
        for i in ((s == 0) & (p > 0)).nonzero()[0]:
            suspects.append(Suspect(
                units[i], files[i], cells.get((files[i], people)), people, labels[people], int(p[i]),
                f"存疑：{quoted(labels[people])}填报{_fmt(p[i])}，但{quoted(labels[sessions])}为0——没有开展活动却有参与人次，"
                "请与该单位核实。", ids[i],
            ))
    return suspects
