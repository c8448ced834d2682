"""Check a return: every blank read as its kind in the form says, every problem reported at once.

Two levels. An **error** means the return cannot be counted (negative, a decimal count, words where a
number belongs, a numeral that is not a well-formed number (一二, 十十), a 万 form that is not a whole
count (1.23456万), percent over 100, both 是 and 否 ticked, a line of the table missing, not a known
form, unreadable file). A **warning** means it is counted but the clerk should look (a blank left
empty and counted as 0, an approximation, a 是/否 left unanswered, and anything written on the table
that the form does not have — a row added, a line added in a progress cell, a 备注 column: quoted, and
not counted).

Every problem names the file, the cell (``统计表!D7``), the blank's label, what was written, and a
Chinese sentence telling the unit what to write instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReturnError
from ..forms.model import Blank, BlankRef, Form, quoted
from ..forms.values import Reading, normalize, read_number, read_text, read_yesno, strip_brackets
from ..names import shown
from .convert import open_return
from .problem import Problem
from .reader import Extra, ReturnRead, read_workbook
from .reader import prepare as prepare_reading

#: values and cells as JSON text, as the ledger keeps them (words as they are, not \u escapes)
json_text = json.JSONEncoder(ensure_ascii=False).encode


@dataclass
class CheckResult:
    """A file after reading and checking: values in reading order, every problem, and whether it counts."""

    file: Path
    form: Form | None = None
    unit: str | None = None
    header: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, str | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None  # set when the file is not a readable return at all
    #: ``values`` and ``cells`` as JSON text in UTF-8 (``encode``), when worked out where the file was
    #: read: a checking child does it, and the process that files the returns has that much less to do
    #: (the bytes cross the pipe and reach the ledger as they are, never decoded and encoded again)
    values_json: bytes | None = None
    cells_json: bytes | None = None

    def encode(self) -> None:
        """Work out ``values_json`` and ``cells_json`` now (the values must not change afterwards)."""
        self.values_json = json_text(self.values).encode("utf-8", "replace")
        self.cells_json = json_text(self.cells).encode("utf-8", "replace")

    @property
    def ok(self) -> bool:
        """Countable: read as a known form, with no error."""
        return self.form is not None and not any(p.level == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def coverage(self) -> Coverage:
        """The units this return covers, its 是/否 tallies and its percents' weights (a unit's own: 1 each)."""
        return Coverage.of(self.values, self.form)

    def to_json(self) -> dict[str, Any]:
        """The object ``collect check --json`` prints for this file."""
        values = []
        if self.form is not None:
            for ref in self.form.blank_refs:
                values.append({"key": ref.key, "label": ref.label, "cell": self.cells.get(ref.key),
                               "value": self.values.get(ref.key)})
        out = {
            "file": shown(str(self.file)),
            "form": self.form.id if self.form else None,
            "unit": self.unit,
            "ok": self.ok,
            "values": values,
            "problems": [{"level": p.level, "cell": p.cell, "key": p.key, "message": p.message} for p in self.problems],
        }
        if ROLLUP_KEY in self.values:  # a consolidated return: the units it covers, its tallies and weights
            out["rollup"] = self.values[ROLLUP_KEY]
        return out


# ---------------------------------------------------------------------------------------------
# up the tree: what a return covers (docs/rollup-metadata.md)

#: the entry beside a consolidated return's values saying what it covers:
#: {"units": 25, "tallies": {key: [yes, no, unanswered]}, "weights": {key: units its percent is a mean over}}
ROLLUP_KEY = "_rollup"


@dataclass(frozen=True)
class Coverage:
    """What one return stands for in a roll-up: the units it covers, per 是/否 blank its tally
    [是, 否, 未答] over them, per percent blank the units its figure is a mean over."""

    units: int = 1
    tallies: dict[str, list[int]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, values: dict[str, Any], form: Form | None = None) -> Coverage:
        """From a return's values (a check result's, or the ledger's): its ``_rollup`` entry, the
        blanks it does not name (and every blank of a unit's own return) counted as one unit's."""
        entry = values.get(ROLLUP_KEY) if isinstance(values.get(ROLLUP_KEY), dict) else {}
        tallies = {k: [int(n) for n in v] for k, v in (entry.get("tallies") or {}).items()}
        weights = {k: float(v) for k, v in (entry.get("weights") or {}).items()}
        for ref in form.blank_refs if form is not None else ():
            value = values.get(ref.key)
            if ref.kind == "yesno" and ref.key not in tallies:
                tallies[ref.key] = [int(value == "是"), int(value == "否"), int(value not in ("是", "否"))]
            elif ref.kind == "percent" and ref.key not in weights:
                weights[ref.key] = 0.0 if value is None else 1.0
        return cls(int(entry.get("units") or 1), tallies, weights)


def _coverage(read: ReturnRead, values: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any] | None:
    """The ``_rollup`` entry of a consolidated return — one whose 是/否 lines carry tallies, that says
    how many units it covers, or our report with its hidden roll-up sheet; None for a unit's own."""
    tallies: dict[str, list[int]] = {}
    for ref, key in _plan(read.form):
        if ref.kind == "yesno" and raw[key]:
            tally = read_yesno(raw[key]).tally
            if tally is not None:
                tallies[key] = list(tally)
    sheet = read.rollup
    if sheet is None and read.stated_units is None and not tallies:
        return None
    units = sheet.units if sheet is not None else read.stated_units or max(sum(t) for t in tallies.values())
    weights: dict[str, float] = {}
    for ref, key in _plan(read.form):
        row = sheet.rows.get(key) if sheet is not None else None
        value = values.get(key)
        if ref.kind == "yesno" and key not in tallies:
            if row is not None and row.yes is not None and row.no is not None:
                tallies[key] = [row.yes, row.no, max(0, int(row.weight or units) - row.yes - row.no)]
            elif units > 1:  # ticked without a tally: every unit below said so (是 only when all said 是)
                tallies[key] = [units * (value == "是"), units * (value == "否"), units * (value not in ("是", "否"))]
        elif ref.kind == "percent" and value is not None:
            exact = row.value if row is not None and isinstance(row.value, (int, float)) else None
            if exact is not None and round(float(exact), 1) == round(float(value), 1):
                values[key] = float(exact)  # the report prints one decimal; its hidden mean is exact
            weights[key] = float(row.weight) if row is not None and row.weight else float(units)
    return {"units": int(units), "tallies": tallies, "weights": weights}


# ---------------------------------------------------------------------------------------------
# one blank: what it says, then whether that counts


def _quote(raw: str | None) -> str:
    """What the unit wrote, without the blank's own brackets: “-3”, not “（-3）”."""
    return strip_brackets(normalize(raw or ""))


#: readings already made, by (text, kind, unit): the same figures and ticks recur from return to
#: return (0, 1, 是…), and a reading is frozen. Short texts only, and so many at most.
_READINGS: dict[tuple[str, str, str | None], Reading] = {}
_READINGS_KEPT = 8192


def _read_blank(raw: str, blank: Blank) -> Reading:
    """What the text written in a blank says, as its kind reads it: a value, or the problem with it."""
    key = (raw, blank.kind, blank.unit)
    reading = _READINGS.get(key)
    if reading is None:
        reading = _reading(raw, blank)
        if len(raw) <= 64 and len(_READINGS) < _READINGS_KEPT:
            _READINGS[key] = reading
    return reading


def _reading(raw: str, blank: Blank) -> Reading:
    kind = blank.kind
    if kind == "count":
        return read_number(raw, unit=blank.unit, whole=True)
    if kind == "percent":
        return read_number(raw, unit=None, whole=False)
    if kind == "yesno":
        return read_yesno(raw)
    return read_text(raw)


def _counted_value(reading: Reading, raw: str, blank: Blank, warnings: list[tuple[str, str, str]]) -> Any:
    """The value a blank counts as, after deciding what its reading's problem is: a warning (noted in
    ``warnings``; the value counted as said) or an error (raised, in the clerk's words)."""
    if reading.problem is None:  # the common case first: nothing to say
        return reading.value
    label, written = blank.label, _quote(raw)
    match reading.problem:
        case "blank" if blank.kind == "text":
            warnings.append((blank.key, "blank", f"{quoted(label)}没有填写；请填写具体形式或内容。"))
            return None
        case "blank":
            warnings.append((blank.key, "blank", f"{quoted(label)}没有填写，按 0 计；如实际为 0 请填写 0。"))
            return None
        case "approx":
            warnings.append((blank.key, "approx",
                             f"{quoted(label)}填写的“{written}”是约数，按 {reading.value} 计；请填写准确的数字。"))
            return reading.value
        case "unanswered":
            warnings.append((blank.key, "unanswered", f"{quoted(label)}没有勾选“是”或“否”；请勾选其中一个。"))
            return None
        case "both":
            raise BlankError("both", f"{quoted(label)}的“是”和“否”都勾选了；只能勾选其中一个。")
        case "negative" if blank.kind == "percent":
            raise BlankError("over_100", f"{quoted(label)}应填写 0 到 100 之间的数，现填写“{written}”。")
        case "negative":
            raise BlankError("negative", f"{quoted(label)}应填写不小于0的整数，现填写“{written}”。")
        case "decimal":
            raise BlankError(
                "decimal", f"{quoted(label)}应填写整数（单位：{blank.unit}），不能有小数，现填写“{written}”。")
        case "bad_numeral":
            raise BlankError(
                "bad_numeral", f"{quoted(label)}填写的“{written}”不是规范的数字写法，无法确定是多少；"
                "请改写为阿拉伯数字（如 12、350、25000）。")
        case "not_whole":
            raise BlankError(
                "not_whole", f"{quoted(label)}填写的“{written}”折合 {reading.value:g}，不是整数"
                f"（单位：{blank.unit}）；请填写准确的整数。")
        case "over_100":
            raise BlankError("over_100", f"{quoted(label)}应填写 0 到 100 之间的数，现填写“{written}”。")
        case _:  # not_number
            hint = "不小于0的整数" if blank.kind == "count" else " 0 到 100 之间的数"
            raise BlankError(
                "not_number", f"{quoted(label)}应填写{hint}，现填写“{written}”；没有请填 0，有请填写准确数字。")


class BlankError(Exception):
    """What is wrong with one blank, as an error (the code, and the sentence for the unit)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def prepare(forms: dict[str, Form], expected: str | None = None) -> None:
    """Build every form's reader now (each is built once, when first needed, in any case): a worker
    process forked afterwards has them ready, to tell any file apart. ``expected``: the form being
    collected, whose reading plan is worked out too."""
    for form in forms.values():
        prepare_reading(form)
        if expected is None or form.id == expected:
            _plan(form)


#: by form id, one entry per id (replaced when the forms are loaded again), as reader._MATCHERS
_PLANS: dict[str, tuple[Form, tuple[tuple[BlankRef, str], ...]]] = {}


def _plan(form: Form) -> tuple[tuple[BlankRef, str], ...]:
    """(ref, key) of every blank in reading order, worked out once per form."""
    cached = _PLANS.get(form.id)
    if cached is None or cached[0] is not form:
        cached = _PLANS[form.id] = (form, tuple((ref, ref.key) for ref in form.blank_refs))
    return cached[1]


# ---------------------------------------------------------------------------------------------
# checking


def check_read(read: ReturnRead) -> CheckResult:
    """Validate everything read from a return; collect every problem, not just the first."""
    form = read.form
    result = CheckResult(
        file=read.path,
        form=form,
        unit=read.unit,
        header={name: hv.value for name, hv in read.header.items()},
        cells={key: found.cell for key, found in read.blanks.items()},
        properties=read.properties,
    )
    plan = _plan(form)
    blanks = read.blanks
    raw = {key: blanks[key].raw if key in blanks else None for _, key in plan}
    warnings: list[tuple[str, str, str]] = []
    values: dict[str, Any] = {}
    failed: dict[str, tuple[str, str]] = {}  # key → (code, message): every blank, not the first
    for ref, key in plan:
        text = raw[key]
        if text is None:  # the line was not found: reported once per line below
            values[key] = None
            continue
        blank = ref.blank
        try:
            value = _counted_value(_read_blank(text, blank), text, blank, warnings)
        except BlankError as exc:
            failed[key] = (exc.code, exc.message)
            values[key] = None
            continue
        # a count is a whole number, a percent a real one (what the unit wrote, read: 2.5万 → 25000)
        if value is not None and blank.kind == "count":
            value = int(value)
        elif value is not None and blank.kind == "percent":
            value = float(value)
        values[key] = value
    entry = _coverage(read, values, raw)
    if entry is not None:
        values[ROLLUP_KEY] = entry
    result.values = values
    for line in read.missing_lines:
        result.problems.append(Problem(
            "error", "missing_line",
            f"表中找不到这一行：“{line.text}”。请按下发的原表填写，不要改动或删除表中文字。",
        ))
    if failed or warnings:
        by_key = {key: (code, message) for key, code, message in warnings}
        for ref, key in plan:
            if key not in failed and key not in by_key:
                continue
            found = blanks.get(key)
            common = {"cell": found.cell if found else None, "key": key, "label": ref.label,
                      "written": _quote(found.raw) if found and found.raw is not None else None}
            if key in failed:
                code, message = failed[key]
                result.problems.append(Problem("error", code, message, **common))
            else:
                code, message = by_key[key]
                result.problems.append(Problem("warning", code, message, **common))
    result.problems += [_extra_problem(extra) for extra in read.extras]
    if read.layout == "template":
        result.problems += _percent_fractions(form, values, read)
    if not read.unit:
        result.problems.append(Problem(
            "warning", "no_unit", f"表头“{form.unit_field}”没有填写；请填写单位全称。"))
    return result


_NOT_COUNTED_HINT = "如其中的数字应当计入，请填在表中对应项目的空格里；本表只汇总表中原有的项目。"


def _extra_problem(extra: Extra) -> Problem:
    """What the unit wrote that the form does not have, quoted: counted nowhere, so said out loud."""
    text = extra.text.rstrip("。;；")
    if extra.kind == "row":
        message = f"{extra.where}是本表没有的内容，未计入汇总：{text}。{_NOT_COUNTED_HINT}"
    elif extra.kind == "line":
        message = f"{extra.cell}的{quoted(extra.where or '进展情况')}中有本表没有的内容，未计入汇总：“{text}”。{_NOT_COUNTED_HINT}"
    else:
        column = f"（{quoted(extra.where)}栏）" if extra.where else ""
        message = f"{extra.cell}{column}是本表没有的内容，未计入汇总：“{text}”。{_NOT_COUNTED_HINT}"
    return Problem("warning", "not_in_form", message, cell=extra.cell, written=extra.text)


def _percent_fractions(form: Form, values: dict[str, Any], read: ReturnRead) -> list[Problem]:
    """A percent typed with its % sign into a template's number cell (15%) is stored by Excel and WPS
    as 0.15: warn, so that the figure is not silently 100 times too small."""
    problems = []
    for ref in form.blank_refs:
        value = values.get(ref.key)
        if ref.kind == "percent" and isinstance(value, (int, float)) and 0 < value < 1:
            found = read.blanks.get(ref.key)
            problems.append(Problem(
                "warning", "percent_fraction",
                f"{quoted(ref.label)}填写的是 {value:g}：如果是想填 {value * 100:g}%，请直接填写数字 {value * 100:g}"
                "（不带 % 号）；如果确实不到 1%，可以不改。",
                cell=found.cell if found else None, key=ref.key, label=ref.label, written=f"{value:g}",
            ))
    return problems


def check_file(path: Path, forms: dict[str, Form], data: bytes | None = None) -> CheckResult:
    """Open, read and check one file (``data``: its bytes, if read already). Bad input becomes a result
    with one error, never an exception."""
    path = Path(path)
    try:
        workbook = open_return(path, data)
        read = read_workbook(workbook, forms)
    except ReturnError as exc:
        return CheckResult(file=path, problems=[Problem("error", exc.code, exc.message)], error_code=exc.code)
    return check_read(read)

