"""Roll the counted returns up into the numbers the consolidated report prints (pandas).

Input is the long table of the counted returns' values — one row per (return, blank): unit,
region, file, version, arrival, key, cell, value — and only counted returns ever reach it (the
newest accepted return of each unit; never one sent back or held). From it:

- a **count** blank is summed (a blank left empty counts as 0, as the units were told);
- a **percent** blank is never summed: its mean over the units that gave it, range, how many gave it;
- a **是/否** question is tallied (是 n, 否 m, 未答 k), and answered 是 or 否 only when every unit said so;
- a **free-text** blank lists its distinct answers, most common first.

The same figures are given per region (按地区), per activity (按活动) and per unit (明细).

Up the tree: a counted return may be another office's consolidated report, covering many units
(its ``Coverage``, read back from the report's hidden roll-up sheet or its printed tallies). Its
counts add as they are; its 是/否 tallies add unit by unit (a county's 是22 否3 is 22 and 3, not one
否); its percent weighs as many units as its mean is over — so totals, tallies and means at any
depth equal those over every unit below (docs/rollup-metadata.md).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from ..forms.model import Form
from ..inbox.roster import NO_REGION

LONG_COLUMNS = ["file_id", "unit", "region", "file", "version", "arrived_at", "key", "cell", "value"]
#: separators between the answers a unit lists in one free-text blank (宣讲、展览)
_ANSWER_SEPARATORS = re.compile(r"[、，,；;/／]+")


@dataclass(frozen=True)
class Total:
    """The rolled-up figure of one blank."""

    key: str
    kind: str
    sum: int | float = 0  # count
    mean: float | None = None  # percent: the mean over every unit below, weighted (see ``rollup_wide``)
    low: float | None = None
    high: float | None = None
    reported: int = 0  # returns that gave a value (a blank left empty gave none)
    nonzero: int = 0  # count: returns whose value is not 0
    weight: float = 0  # percent: the units below whose figures the mean is over
    yes: int = 0  # 是/否: the units below that said 是, 否, neither
    no: int = 0
    unanswered: int = 0
    answers: tuple[tuple[str, int], ...] = ()  # text: (answer, how many units), most common first

    @property
    def answer(self) -> str | None:
        """The box the consolidated table ticks: 是 only if every counted unit said 是, 否 only if
        every one said 否, None (neither box) when they differ or any left it unanswered — the
        tally, printed beside the boxes, says how many said what."""
        if self.yes and not self.no and not self.unanswered:
            return "是"
        if self.no and not self.yes and not self.unanswered:
            return "否"
        return None


class Coverage(Protocol):
    """What a consolidated return (a report from the level below, read as a return) covers:
    ``reading.check.Coverage``, docs/rollup-metadata.md."""

    units: int
    tallies: dict[str, Sequence[int]]  # 是/否 key → [yes, no, unanswered] over the units below
    weights: dict[str, float]  # percent key → the units below its figure is a mean over


@dataclass
class Rollup:
    """Everything the report prints, computed from the counted returns."""

    form: Form
    totals: dict[str, Total]
    by_region: pd.DataFrame  # index region; columns blank keys; counts summed, percent means, tallies
    by_activity: pd.DataFrame  # section, activity, key, label, measure, kind, total, reported, nonzero
    detail: pd.DataFrame  # one row per counted return: unit, region, file, version, arrived_at, then keys
    units: list[str] = field(default_factory=list)
    covered: int = 0  # the units below the counted returns cover (a unit's own return covers 1)

    @property
    def counted(self) -> int:
        return len(self.detail)


def blank_table(form: Form) -> pd.DataFrame:
    """The form's blanks in reading order, with what the report needs to know about each."""
    return pd.DataFrame(
        [
            {
                "seq": seq,
                "key": ref.key,
                "label": ref.label,
                "kind": ref.kind,
                "measure": ref.blank.unit or "",
                "section": ref.section.name,
                "activity": ref.activity.name,
            }
            for seq, ref in enumerate(form.blank_refs)
        ]
    )


def _split_answers(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    return [a.strip() for a in _ANSWER_SEPARATORS.split(text) if a.strip()]


def tally_text(yes: int, no: int, unanswered: int = 0) -> str:
    """（是12，否2） as printed beside a question."""
    text = f"是{yes}，否{no}"
    return text + (f"，未答{unanswered}" if unanswered else "")


FILE_COLUMNS = ["unit", "region", "file", "version", "arrived_at"]


def rollup(
    form: Form, long: pd.DataFrame, region_order: list[str] | None = None,
    coverage: Mapping[int, Coverage] | None = None,
) -> Rollup:
    """Roll up the long table of counted values (columns ``LONG_COLUMNS``) for ``form``."""
    keys = [ref.key for ref in form.blank_refs]
    long = long[long["key"].isin(keys)] if len(long) else pd.DataFrame(columns=LONG_COLUMNS)
    files = long.drop_duplicates("file_id")[["file_id", *FILE_COLUMNS]].set_index("file_id")
    wide = long.pivot(index="file_id", columns="key", values="value")
    return rollup_wide(form, files, wide, region_order, coverage)


def rollup_wide(
    form: Form, files: pd.DataFrame, wide: pd.DataFrame, region_order: list[str] | None = None,
    coverage: Mapping[int, Coverage] | None = None,
) -> Rollup:
    """Roll up the counted returns given one row per return: ``files`` (``FILE_COLUMNS``) and ``wide``
    (one column per blank key), both indexed by file id; ``coverage``: by file id, what each
    consolidated return among them covers (a return not in it is one unit's own)."""
    blanks = blank_table(form)
    kinds = dict(zip(blanks["key"], blanks["kind"]))
    keys = list(blanks["key"])
    files = files.copy()
    files["region"] = files["region"].fillna(NO_REGION)
    # the whole table, one row per counted return and one column per blank
    wide = wide.reindex(index=files.index, columns=keys)
    count_keys = [k for k in keys if kinds[k] == "count"]
    percent_keys = [k for k in keys if kinds[k] == "percent"]
    numeric = wide[count_keys + percent_keys].apply(pd.to_numeric, errors="coerce")
    counts = numeric[count_keys].fillna(0)

    coverage = {i: c for i, c in (coverage or {}).items() if i in files.index}
    covered = pd.Series(1, index=files.index, dtype="int64")
    for file_id, c in coverage.items():
        covered.at[file_id] = int(c.units)
    # each percent given weighs the units it is a mean over: 1 for a unit's own return
    present = numeric[percent_keys].notna()
    weights = present.astype("float64")
    for file_id, c in coverage.items():
        for key, weight in c.weights.items():
            if key in weights.columns and present.at[file_id, key]:
                weights.at[file_id, key] = float(weight)
    weighted = numeric[percent_keys].fillna(0) * weights
    tallies = _region_tallies(wide, files["region"], [k for k in keys if kinds[k] == "yesno"], coverage)

    totals: dict[str, Total] = {}
    sums = counts.sum()
    nonzero = (counts != 0).sum()
    given = wide.notna().sum()
    for key in count_keys:
        total = sums[key]
        totals[key] = Total(key, "count", sum=int(total) if float(total).is_integer() else float(total),
                            reported=int(given[key]), nonzero=int(nonzero[key]))
    weight_sums, weighted_sums = weights.sum(), weighted.sum()
    for key in percent_keys:
        column = numeric[key].dropna()
        weight = float(weight_sums[key])
        totals[key] = Total(
            key, "percent",
            mean=float(weighted_sums[key] / weight) if weight else None,
            low=float(column.min()) if len(column) else None,
            high=float(column.max()) if len(column) else None,
            reported=int(len(column)),
            weight=int(weight) if weight.is_integer() else weight,
        )
    # each unit's answers to a free-text blank, split once for the totals and the regions
    split = {key: [_split_answers(text) for text in wide[key].tolist()] for key in keys if kinds[key] == "text"}
    for key in keys:
        if kinds[key] == "yesno":
            yes, no, unanswered = (sum(t[i] for t in tallies[key].values()) for i in range(3))
            totals[key] = Total(key, "yesno", yes=yes, no=no, unanswered=unanswered, reported=int(given[key]))
        elif kinds[key] == "text":
            answers: Counter[str] = Counter()
            for listed in split[key]:
                answers.update(set(listed))
            ranked = tuple(sorted(answers.items(), key=lambda item: (-item[1], item[0])))
            totals[key] = Total(key, "text", answers=ranked, reported=int(given[key]))

    by_region = _by_region(files, counts, weights, weighted, tallies, split, kinds, keys, region_order)
    by_activity = blanks[blanks["kind"].isin(["count", "percent"])].copy()
    by_activity["total"] = [
        totals[k].sum if totals[k].kind == "count" else totals[k].mean for k in by_activity["key"]
    ]
    by_activity["reported"] = [totals[k].reported for k in by_activity["key"]]
    by_activity["nonzero"] = [totals[k].nonzero if totals[k].kind == "count" else None for k in by_activity["key"]]
    detail = files.join(wide)
    detail[count_keys] = numeric[count_keys]  # converted once, above
    detail = detail.sort_values(["region", "unit"], key=_region_sort_key(region_order))
    return Rollup(form, totals, by_region, by_activity.reset_index(drop=True), detail, list(detail["unit"]),
                  covered=int(covered.sum()))


def _region_tallies(
    wide: pd.DataFrame, region: pd.Series, keys: list[str], coverage: Mapping[int, Coverage]
) -> dict[str, dict[str, list[int]]]:
    """Per 是/否 key and region, [yes, no, unanswered] over the units below: a unit's own answer is
    one unit; a consolidated return brings its tally. Counted in plain Python: a pandas group per
    region and blank costs more."""
    region_of_row = region.tolist()
    rows = {file_id: i for i, file_id in enumerate(wide.index)} if coverage else {}
    out: dict[str, dict[str, list[int]]] = {}
    for key in keys:
        answers = wide[key].tolist()
        brought: dict[int, Sequence[int]] = {}
        for file_id, c in coverage.items():
            tally = c.tallies.get(key)
            if tally is not None:
                brought[rows[file_id]] = tally
        said = Counter(zip(region_of_row, answers)) if not brought else Counter(
            (r, a) for i, (r, a) in enumerate(zip(region_of_row, answers)) if i not in brought)
        regions: dict[str, list[int]] = {}
        for (r, answer), n in said.items():
            tally = regions.setdefault(r, [0, 0, 0])
            tally[{"是": 0, "否": 1}.get(answer, 2)] += n
        for i, tally in brought.items():
            mine = regions.setdefault(region_of_row[i], [0, 0, 0])
            for k in range(3):
                mine[k] += int(tally[k])
        out[key] = regions
    return out


def _region_sort_key(region_order: list[str] | None):  # type: ignore[no-untyped-def]
    order = {name: i for i, name in enumerate(region_order or [])}

    def key(column: pd.Series) -> pd.Series:
        if column.name == "region":
            return column.map(lambda r: (order.get(r, len(order)), r))
        return column

    return key


def _by_region(
    files: pd.DataFrame,
    counts: pd.DataFrame,
    weights: pd.DataFrame,
    weighted: pd.DataFrame,
    tallies: dict[str, dict[str, list[int]]],
    split: dict[str, list[list[str]]],
    kinds: dict[str, str],
    keys: list[str],
    region_order: list[str] | None,
) -> pd.DataFrame:
    region = files["region"]
    order = {name: i for i, name in enumerate(region_order or [])}
    regions = sorted(region.unique(), key=lambda r: (order.get(r, len(order)), r))
    units = region.value_counts().reindex(regions).fillna(0).astype(int)
    summed = counts.groupby(region).sum().reindex(regions).fillna(0)
    # a region's percent: the mean over its units below, as the total's
    weight_sums = weights.groupby(region).sum().reindex(regions)
    means = weighted.groupby(region).sum().reindex(regions) / weight_sums.where(weight_sums > 0)
    region_of_row = region.tolist()
    columns: dict[str, Any] = {"units": units}
    for key in keys:
        kind = kinds[key]
        if kind == "count":
            columns[key] = summed[key]
        elif kind == "percent":
            columns[key] = means[key]
        elif kind == "yesno":
            columns[key] = [tally_text(*tallies[key].get(r, (0, 0, 0))) for r in regions]
        else:
            answers: dict[str, Counter[str]] = {r: Counter() for r in regions}
            for r, listed in zip(region_of_row, split[key]):
                answers[r].update(listed)
            columns[key] = ["、".join(a for a, _ in answers[r].most_common()) for r in regions]
    return pd.DataFrame(columns, index=pd.Index(regions, name="region"))
