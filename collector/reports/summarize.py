"""``collect summarize``: the consolidated workbook of one period, from the ledger.

Only counted returns go into the totals — the newest accepted return of each unit for the form and
period. The file is written atomically (a temporary file in ``outbox/``, then a rename), so a crash
leaves the old report or the new one, never half of one. If the target is open in Excel or WPS (its
lock file is there, or the rename is refused), the report is written beside it under a new name and
the result says so.
"""

from __future__ import annotations

import gc
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.json

from ..errors import ReportError, WorkspaceError, os_reason, storage_error
from ..forms.model import Form, load_forms
from ..inbox.ledger import FileRecord, Ledger
from ..inbox.period_files import PeriodFiles, read_period
from ..inbox.roster import NO_REGION, load_roster
from ..inbox.workspace import Workspace, check_period, staged_file
from ..wording import LEVEL_NAMES
from .outliers import Suspect, find_suspects
from .report import IssueRow, ReportInput, StatusRow, write_report
from .report_age import report_file, report_stamp
from .rollup import FILE_COLUMNS, LONG_COLUMNS, rollup_wide
from .status import status_report

if TYPE_CHECKING:
    from ..reading.check import Coverage


@dataclass(frozen=True)
class SummaryResult:
    """Where the report went and what it holds."""

    path: Path
    period: str
    counted: int
    expected: int
    suspects: int
    moved_aside: bool = False  # the usual name was locked (open in Excel): written under ``path`` instead
    locked_path: Path | None = None


def report_path(workspace: Workspace, period: str, form: Form | None = None) -> Path:
    """``outbox/<表名>_<期间>_汇总.xlsx``."""
    return report_file(workspace, form or configured_form(workspace), period)


def configured_form(workspace: Workspace) -> Form:
    config = workspace.config()
    forms = load_forms(workspace.schemas)
    if config.form not in forms:
        raise WorkspaceError(f"配置文件中的表格编号“{config.form}”不存在。已知：{'、'.join(sorted(forms))}")
    return forms[config.form]


def _is_locked(path: Path) -> bool:
    """Excel/WPS leave ``~$name`` beside an open file (``~$`` + name minus two characters for long
    names); LibreOffice leaves ``.~lock.name#``."""
    folder = path.parent
    candidates = [f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#"]
    return any((folder / c).exists() for c in candidates)


def _aside_name(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}_{stamp}{path.suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_{stamp}-{n}{path.suffix}")
        n += 1
    return candidate


def long_table(ledger: Ledger, form: Form, period: str, regions: dict[str, str]) -> pd.DataFrame:
    """The counted returns' values in long form (``rollup.LONG_COLUMNS``), for export."""
    counted = ledger.counted(form.id, period)
    files = pd.DataFrame(
        [(f.id, f.unit, regions.get(f.unit or "", NO_REGION), f.name, f.version, f.arrived_at) for f in counted],
        columns=LONG_COLUMNS[:6],
    )
    values = pd.DataFrame(list(ledger.values([f.id for f in counted])), columns=["file_id", "key", "cell", "value"])
    return files.merge(values, on="file_id")[LONG_COLUMNS]


def file_table(counted: list[FileRecord], regions: dict[str, str]) -> pd.DataFrame:
    """The counted returns (``Ledger.counted``) one row each, indexed by file id (``rollup.FILE_COLUMNS``)."""
    index = pd.Index([f.id for f in counted], name="file_id")

    def text_column(values: list[Any]) -> pd.Series:
        # plain Python strings: converting 10,000s of them to Arrow costs more than the rest
        return pd.Series(values, dtype=object, index=index)

    return pd.DataFrame({
        "unit": text_column([f.unit for f in counted]),
        "region": text_column([regions.get(f.unit or "", NO_REGION) for f in counted]),
        "file": text_column([f.name for f in counted]),
        "version": pd.Series([f.version for f in counted], index=index),
        # 明细's time is when the return reached the inbox (what 逾期 is judged by), not when it was taken in
        "arrived_at": text_column([f.received for f in counted]),
    }, columns=FILE_COLUMNS)


#: the Arrow type of a blank's value in a value set (``forms.Kind``)
_ARROW_TYPES = {"count": pa.int64(), "percent": pa.float64(), "yesno": pa.string(), "text": pa.string()}


def value_table(form: Form, value_sets: list[tuple[int, bytes]]) -> pd.DataFrame:
    """A column per blank, a row per return indexed by file id, from the returns' value sets
    (``Ledger.counted_values_by_file``: JSON objects).

    pyarrow reads 10,000 value sets in about half the time Python's json and pandas take, into the
    same columns: whole numbers as int64, as float64 beside a missing value; texts as str; percents
    as float64. A value of another type than its blank's (a text or a decimal where a count belongs)
    it refuses: then Python's json reads them, taking what comes. The counted files and their value
    sets are matched by file id (``rollup_wide``)."""
    index = pd.Index([file_id for file_id, _ in value_sets], name="file_id")
    schema = pa.schema([(ref.key, _ARROW_TYPES[ref.kind]) for ref in form.blank_refs])
    options = pyarrow.json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pyarrow.json.read_json(io.BytesIO(b"\n".join(text for _, text in value_sets)), parse_options=options)
    except pa.ArrowInvalid:  # also for no value sets at all
        keys = [ref.key for ref in form.blank_refs]
        return pd.DataFrame.from_records([json.loads(text) for _, text in value_sets], columns=keys, index=index)
    return table.to_pandas().set_axis(index)


#: ``reading.check.ROLLUP_KEY`` as it appears in a value set's JSON (a test holds the two together):
#: reading.check, with every reader behind it, is imported only when a consolidated return is counted
ROLLUP_BYTES = b'"_rollup"'


def coverage_table(form: Form, value_sets: list[tuple[int, bytes]]) -> dict[int, Coverage]:
    """By file id, what each consolidated return among the counted ones covers (the ``_rollup``
    entry its values carry: docs/rollup-metadata.md). A unit's own return has none and is not looked
    into beyond a bytes search (10,000 of them cost next to nothing)."""
    consolidated = [(file_id, text) for file_id, text in value_sets if ROLLUP_BYTES in text]
    if not consolidated:
        return {}
    from ..reading.check import Coverage

    return {file_id: Coverage.of(json.loads(text), form) for file_id, text in consolidated}


def _issues(period_files: PeriodFiles, counted_ids: set[int], suspects: list[Suspect]) -> list[IssueRow]:
    """Problems of the counted returns, of returns still waiting for a correction, and 存疑 figures."""
    files = period_files.files
    newest_counted = {f.unit: f.id for f in files if f.id in counted_ids}
    shown = [
        f for f in files
        if f.id in counted_ids
        or (f.state in ("returned", "held") and (f.id or 0) > newest_counted.get(f.unit, 0))
    ]
    rows: list[IssueRow] = []
    for f in shown:
        for p in period_files.problems.get(f.id or 0, []):
            rows.append(IssueRow(LEVEL_NAMES.get(p.level, p.level), f.unit or f.unit_written or "", f.name, p.cell,
                                 p.label, p.written, p.message))
    for f in shown:
        if f.state == "held":
            rows.append(IssueRow("待确认", f.unit_written or "", f.name, None, None, None, f.reason))
    rows += [IssueRow("存疑", s.unit, s.file, s.cell, s.label, str(s.value), s.message) for s in suspects]
    return rows


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """No garbage collection while the report is made (as ``timeit`` does): for 10,000 returns it
    makes a million cells and rows, none of them garbage, and the collector would walk them and
    everything imported (pandas …) again and again: 0.2–0.3 s of a 2 s run. Collection resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def summarize(
    workspace: Workspace, period: str, *, made_on: date | None = None, now: datetime | None = None
) -> SummaryResult:
    """Write the consolidated report of ``period`` into ``outbox/`` and say where it went (``now``:
    when the ledger is read, for "数据截至"; the clock by default)."""
    with _no_garbage_collection():
        return _summarize(workspace, period, made_on, now)


def _summarize(workspace: Workspace, period: str, made_on: date | None, now: datetime | None) -> SummaryResult:
    check_period(period)
    config = workspace.config()
    form = configured_form(workspace)
    roster = load_roster(workspace)
    regions = {u.name: u.region for u in roster.units}
    region_order = list(dict.fromkeys(u.region for u in roster.units))
    with Ledger(workspace.ledger_path) as ledger:
        # read once for both the state of every unit and the report's tables
        as_of = (now or datetime.now()).replace(microsecond=0)
        period_files = read_period(ledger, form.id, period)
        status = status_report(workspace, period, roster=roster, period_files=period_files, form=form,
                               report_age=False)
        files = file_table(period_files.counted, regions)
        value_sets = ledger.counted_values_by_file(form.id, period)
        wide = value_table(form, value_sets)
        rolled = rollup_wide(form, files, wide, region_order, coverage_table(form, value_sets))
        suspects = [replace(s, cell=ledger.cell_of(s.file_id, s.key)) for s in find_suspects(form, rolled.detail)]
    issues = _issues(period_files, set(rolled.detail.index), suspects)
    statuses = [
        StatusRow(s.region, s.unit, s.state, s.on_time, s.received_at, s.versions, s.problems, s.file,
                  s.correction_pending)
        for s in status.units
    ]
    data = ReportInput(
        form=form, period=period, rollup=rolled, expected=len(roster.units), office=config.office,
        contact=config.contact, phone=config.phone, made_on=made_on, data_as_of=as_of,
        stamp=report_stamp(period_files.counted, as_of), statuses=statuses,
        status_line=status.summary_line(), issues=issues,
    )
    target = report_path(workspace, period, form)
    try:
        workspace.outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, "建立文件夹 outbox/", workspace.outbox) from exc
    return _write_atomically(target, data, len(suspects))


def _write_atomically(target: Path, data: ReportInput, suspects: int) -> SummaryResult:
    result = dict(period=data.period, counted=data.rollup.counted, expected=data.expected, suspects=suspects)
    try:
        with staged_file(target.parent, ".xlsx") as tmp:
            write_report(tmp, data)
            final, aside = target, False
            if _is_locked(target):
                final, aside = _aside_name(target), True
            try:
                os.replace(tmp, final)
            except PermissionError:
                # Windows refuses to replace a file Excel holds open
                final, aside = _aside_name(target), True
                os.replace(tmp, final)
    except OSError as exc:
        raise ReportError(f"汇总表无法写入：{os_reason(exc)}。", path=str(target.parent)) from exc
    return SummaryResult(path=final, moved_aside=aside, locked_path=target if aside else None, **result)
