"""How results look on the terminal: plain Chinese lines, problems first."""

from __future__ import annotations

from typing import Any

from ..check import CheckResult

LEVEL_NAMES = {"error": "错误", "warning": "提醒"}


def format_value(value: Any) -> str:
    if value is None:
        return "（未填）"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_check(result: CheckResult) -> str:
    """One file: form and unit, problems first, then every value with its cell."""
    lines = [f"== {result.file.name} =="]
    if result.form is None:
        lines.append(f"  不能计入：{result.problems[0].message}")
        return "\n".join(lines)
    lines.append(f"  表：{result.form.title}（{result.form.id}）")
    lines.append(f"  单位：{result.unit or '（未填写）'}")
    for p in result.problems:
        where = f"{p.cell} " if p.cell else ""
        lines.append(f"  [{LEVEL_NAMES[p.level]}] {where}{p.message}")
    n_err, n_warn = len(result.errors), len(result.warnings)
    verdict = "可以计入" if result.ok else "不能计入"
    lines.append(f"  结论：{verdict}（错误 {n_err} 个，提醒 {n_warn} 个）")
    lines.append("  填报内容：")
    for ref in result.form.blank_refs:
        cell = result.cells.get(ref.key) or "—"
        lines.append(f"    {cell}  {ref.label}：{format_value(result.values.get(ref.key))}")
    return "\n".join(lines)
