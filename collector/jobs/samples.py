"""Filled returns in the seed's layout, made from a form — for the demo, the tests and the benchmarks.

``write_return`` writes what a unit would send back: the form's table with the unit's name in the
header and its answers in the blanks. ``realistic_values`` invents plausible answers (a county
bureau holds a few sessions with a few hundred people, not ten thousand).
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ..forms.model import Activity, Form
from ..reports.outliers import related_pairs
from ..reports.seed_sheet import fill_line, format_number, write_seed_sheet
from ..reports.xlsx_tables import save_workbook

#: typical size of a count by its unit of measure: (low, high)
_RANGES = {"人次": (20, 900), "人": (5, 300), "场": (0, 12), "场次": (0, 12), "次": (0, 15), "个": (0, 20),
           "部": (0, 4), "篇": (0, 30), "条": (0, 60), "条次": (0, 80), "份": (0, 500), "家": (0, 40)}
_FORMS_OF_LAUNCH = ("视频会议", "现场启动仪式", "网络直播", "主题宣讲", "广场宣传")


def realistic_values(form: Form, rng: random.Random) -> dict[str, Any]:
    """Plausible answers for every blank of ``form``."""
    values: dict[str, Any] = {}
    for ref in form.blank_refs:
        blank = ref.blank
        if blank.kind == "count":
            low, high = _RANGES.get(blank.unit or "", (0, 20))
            values[ref.key] = rng.randint(low, high)
        elif blank.kind == "percent":
            values[ref.key] = round(rng.uniform(0.5, 5.0), 1)
        elif blank.kind == "yesno":
            values[ref.key] = "是" if rng.random() < 0.85 else "否"
        else:
            values[ref.key] = "、".join(rng.sample(_FORMS_OF_LAUNCH, rng.randint(1, 2)))
    # no people counted for an activity that was not held
    for sessions, people in related_pairs(form):
        if values[sessions] == 0:
            values[people] = 0
    return values


def _as_written(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def write_return(
    path: Path,
    form: Form,
    unit: str,
    values: dict[str, Any],
    *,
    contact: str = "",
    phone: str = "",
    filled_on: date | None = None,
    sheet_name: str = "统计表",
) -> Path:
    """Write a return of ``form`` for ``unit`` with ``values`` (a value, or the raw text a unit wrote)."""

    def lines(activity: Activity) -> list[str]:
        out = []
        for line in activity.lines:
            fills = [_as_written(values.get(b.key)) for b in line.blanks if b.kind != "yesno"]
            question = next((b for b in line.blanks if b.kind == "yesno"), None)
            out.append(fill_line(line, fills, values.get(question.key) if question else None))
        return out

    header = {label: "" for label in form.header}
    header[form.unit_field] = unit
    for label in form.header:
        if "联系人" in label:
            header[label] = contact
        elif "电话" in label:
            header[label] = phone
        elif "日期" in label and filled_on:
            header[label] = filled_on.isoformat()
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    write_seed_sheet(ws, form, header, lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path
