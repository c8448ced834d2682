"""``collect export``: the counted values of a period as one long table, for analysts.

One row per (counted return, blank): unit, region, activity, label, unit of measure, value, whether
the unit left it empty, cell, file. A count left empty is written 0 — it is counted as 0 in every
total — and 未填写 says it was empty; another blank left empty stays empty. Written as CSV with a BOM (so Excel on a Chinese Windows opens it as UTF-8, not GBK) and as
Parquet (pyarrow). In the CSV, text that Excel would take for a formula gets a leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ReportError, os_reason, storage_error
from ..inbox.ledger import Ledger
from ..inbox.roster import load_roster
from ..inbox.workspace import Workspace, check_period, safe_file_name, staged_file
from .safe_cells import csv_safe
from .summarize import configured_form, long_table

#: column names of the export, in Chinese for the clerk (and the order they appear in)
EXPORT_COLUMNS = {
    "unit": "单位",
    "region": "地区",
    "section": "类别",
    "activity": "活动项目",
    "label": "填报项",
    "measure": "计量单位",
    "value": "数值",
    "empty": "未填写",
    "cell": "单元格",
    "file": "文件",
    "key": "编号",
    "version": "版本",
}


@dataclass(frozen=True)
class ExportResult:
    csv: Path
    parquet: Path
    rows: int


def export_table(workspace: Workspace, period: str) -> pd.DataFrame:
    """The long table of the period's counted values, in reading order within each unit."""
    check_period(period)
    form = configured_form(workspace)
    roster = load_roster(workspace)
    regions = {u.name: u.region for u in roster.units}
    with Ledger(workspace.ledger_path) as ledger:
        long = long_table(ledger, form, period, regions)
    refs = form.blank_refs
    meta = pd.DataFrame({
        "key": [r.key for r in refs],
        "seq": range(len(refs)),
        "section": [r.section.name for r in refs],
        "activity": [r.activity.name for r in refs],
        "label": [r.label for r in refs],
        "measure": [r.blank.unit or "" for r in refs],
        "kind": [r.kind for r in refs],
    })
    table = long.merge(meta, on="key").sort_values(["region", "unit", "seq"], kind="stable")
    table["empty"] = table["value"].isna()
    counted_as_zero = table["empty"] & (table["kind"] == "count")
    table["value"] = table["value"].astype(object).where(~counted_as_zero, 0)
    return table[list(EXPORT_COLUMNS)].rename(columns=EXPORT_COLUMNS).reset_index(drop=True)


def export(workspace: Workspace, period: str) -> ExportResult:
    """Write ``outbox/<表名>_<期间>_明细.csv`` and ``.parquet``."""
    table = export_table(workspace, period)
    form = configured_form(workspace)
    stem = workspace.outbox / f"{safe_file_name(form.title)}_{period}_明细"
    try:
        workspace.outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, "建立文件夹 outbox/", workspace.outbox) from exc
    csv_path, parquet_path = stem.with_suffix(".csv"), stem.with_suffix(".parquet")
    # the value column mixes numbers and text: Parquet needs one type, so text goes as text
    text_values = table["数值"].map(lambda v: None if v is None else (v if isinstance(v, str) else _number_text(v)))
    numbers = table["数值"].where(table["数值"].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)))
    parquet = table.assign(数值=text_values, 数值_数字=pd.to_numeric(numbers, errors="coerce"))
    _write(parquet_path, lambda tmp: parquet.to_parquet(tmp, index=False))
    csv = table.assign(未填写=table["未填写"].map({True: "是", False: "否"}))
    _write(csv_path, lambda tmp: csv.map(csv_safe).to_csv(tmp, index=False, encoding="utf-8-sig"))
    return ExportResult(csv_path, parquet_path, len(table))


def _write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file and a rename: a half-written export never replaces a good one."""
    try:
        with staged_file(path.parent, path.suffix) as tmp:
            write(tmp)
            tmp.replace(path)
    except PermissionError as exc:
        raise ReportError(f"{path.name} 无法写入：文件被占用（是否在 Excel/WPS 中打开着？请关闭后重试）。", path=str(path.parent)) from exc
    except OSError as exc:
        raise ReportError(f"{path.name} 无法写入：{os_reason(exc)}。", path=str(path.parent)) from exc


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
