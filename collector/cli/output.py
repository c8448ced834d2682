"""How results look on the terminal: plain Chinese lines, problems first."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..names import shown
from ..wording import KIND_NAMES, LEVEL_NAMES

if TYPE_CHECKING:  # heavy modules, imported by their own commands only
    from ..forms.model import Form
    from ..inbox.refile import RefileResult
    from ..jobs.demo import DemoResult
    from ..reading.check import CheckResult
    from ..reports.export import ExportResult
    from ..reports.summarize import SummaryResult
    from ..reports.templates import WrittenTemplate



def format_value(value: Any) -> str:
    if value is None:
        return "（未填）"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_check(result: CheckResult) -> str:
    """One file: form and unit, problems first, then every value with its cell."""
    lines = [f"== {shown(result.file.name)} =="]
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


def format_templates(form: Form, period: str | None, written: Sequence[WrittenTemplate], root: Path) -> str:
    """What ``collect template`` wrote: one line per unit, then where the files are."""

    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(root))
        except ValueError:
            return str(path)

    when = f"期间 {period}" if period else "期间未定"
    lines = [f"已生成 {len(written)} 份空白表：{form.short_name}（{form.id} 第 {form.version} 版），{when}"]
    for item in written:
        note = "（已替换原有的同名空白表）" if item.replaced else ""
        lines.append(f"  {item.unit}：{item.path.name}{note}")
    if written:
        lines.append(f"保存在：{shown(written[0].path.parent)}")
    lines.append("请把每份表作为附件发给对应单位；表中只有浅黄色格子可以填写。")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the consolidated report, export and demo


def format_summary(result: SummaryResult) -> str:
    """Where the report went, what it counts, and whether it had to be written under a new name."""
    lines = []
    if result.moved_aside:
        lines.append(f"注意：{result.locked_path} 正在 Excel/WPS 中打开，无法覆盖；本次写到了新文件名。")
    lines.append(f"汇总表：{result.path}")
    lines.append(f"期间 {result.period}：计入 {result.counted} 个单位（应报 {result.expected} 个）。")
    if result.counted == 0:
        lines.append("注意：本期没有可计入的报表，表中数字全为 0，不要上报。请先运行 collect ingest，或检查期间是否写对。")
    if result.suspects:
        lines.append(f"另有 {result.suspects} 个存疑数字，见“校验问题”表，建议上报前电话核实。")
    return "\n".join(lines)


def format_export(result: ExportResult) -> str:
    text = f"已导出 {result.rows} 行：\n  {result.csv}\n  {result.parquet}"
    if result.rows == 0:
        text += "\n注意：本期没有可计入的报表。请先运行 collect ingest，或检查期间是否写对。"
    return text


def format_demo(result: DemoResult) -> str:
    """The demo told as the clerk would see it: each ingest pass, the report, the status."""
    lines = [f"演示工作目录：{result.workspace.root}"]
    for n, ingest_result in enumerate(result.passes, start=1):
        lines.append(f"第 {n} 次接收：{ingest_result.summary_line()}")
        for o in ingest_result.outcomes:
            detail = f"（{o.reason}）" if o.reason and o.state != "accepted" else ""
            version = f" 第{o.version}版" if o.version and o.version > 1 else ""
            lines.append(f"  [{o.state_name}] {o.name}{version}{detail}")
    if result.summary is not None:
        lines.append(format_summary(result.summary))
    if result.status is not None:
        lines.append(f"报送情况：{result.status.summary_line()}")
        chase = "、".join(u.unit for u in result.status.to_chase)
        if chase:
            lines.append(f"催报：{chase}")
    lines.append("下一步：打开汇总表看看；在 Excel 里改一个回执中的错误后重新放入 inbox，再运行 collect ingest。")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the inbox: init, ingest, watch, status, run


def format_init(result: Any, here: Path | None = None, today: date | None = None) -> str:
    """What ``collect init`` made and what it left alone; a deadline already past; what to do next
    (first ``cd`` into the workspace, when it is not the current folder)."""
    root = result.workspace.root
    lines = [f"工作目录：{root}"]

    def rel(path: Any) -> str:
        try:
            return str(path.relative_to(root)) + ("/" if path.is_dir() else "")
        except ValueError:
            return str(path)

    if result.created:
        lines.append("已建立：" + "  ".join(rel(p) for p in result.created))
    if result.existing:
        lines.append("已存在（未改动）：" + "  ".join(rel(p) for p in result.existing))
    if result.deadline_set:
        lines.append(f"已在 collector.toml 中写入：{result.deadline_set} 截止 {result.config.deadlines[result.deadline_set]}")
    if result.config is not None:
        deadlines = "，".join(f"{p} 截止 {d.isoformat()}" for p, d in sorted(result.config.deadlines.items()))
        lines.append(f"统计表：{result.config.form}" + (f"（{deadlines}）" if deadlines else ""))
        past = result.past_deadlines(today)
        if past:
            today = today or date.today()
            example = f"{today.year}-{today.month:02d}"
            lines.append(
                f"注意：表格自带的截止日期 {'、'.join(d.isoformat() for d in sorted(past.values()))} 已经过了（是制表那年的）。"
                f"若本次收集的是别的期间，请写明期间和截止日期，如：collect init --form {result.config.form} "
                f"--period {example} --deadline {example}-28")
    step = "下一步："
    if here is not None and root != here.resolve():
        try:
            shown = os.path.relpath(root, here)
        except ValueError:  # another drive (Windows)
            shown = str(root)
        shown = f'"{shown}"' if " " in shown else shown
        step += f"cd {shown}，然后"
    lines.append(step + "在 units.csv 中按“单位,地区,别名”填写应报单位；收到的表放入 inbox/，然后运行 collect ingest。")
    return "\n".join(lines)


def format_outcome(outcome: Any, root: Any = None) -> str:
    """One line per file: its state, then what became of it."""
    return f"{outcome.state_name:<4} {outcome.describe(root)}"


def format_ingest_summary(result: Any) -> str:
    lines = []
    if result.aliases:
        lines.append("已添加别名：" + "，".join(result.aliases))
    if result.completed:
        lines.append(f"已完成上次中断时未完成的 {result.completed} 个文件。")
    lines.append(result.summary_line())
    if result.periods_changed:
        lines.append("有新接收的期间：" + "、".join(sorted(result.periods_changed)))
    return "\n".join(lines)


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else ""


def format_status(report: Any) -> str:
    """Every expected unit by region, then held files, the counts, and who to chase."""
    deadline = f"，截止 {report.deadline.isoformat()}" if report.deadline else ""
    lines = [f"{report.title}", f"期间 {report.period}{deadline}", ""]
    for region, units in report.by_region():
        lines.append(f"【{region}】")
        for u in units:
            state = u.state
            if u.state == "已报" and u.on_time is not None:
                state += "（按时）" if u.on_time else "（逾期）"
            details = []
            if u.versions > 1:
                details.append(f"第 {u.versions} 版")
            if u.received_at or u.arrived_at:
                details.append("收到 " + _when(u.received_at or u.arrived_at))
            if u.state == "退回待改" and u.problems:
                details.append(f"{u.problems} 处错误")
            if u.correction_pending:
                details.append("更正表已退回，待重报")
            lines.append(f"  {u.unit}  {state}" + (f"  {'，'.join(details)}" if details else ""))
    if report.held:
        from ..inbox.receipts import HELD_FOLDER

        folder = f"outbox/{HELD_FOLDER}/{report.period}/"
        lines += ["", f"待确认的文件（{len(report.held)} 份，原因和处理办法见 {folder} 中的说明）："]
        for h in report.held:
            lines.append(f"  {h.file}：{h.reason}")
            if h.note:
                lines.append(f"    说明：{h.note}")
    lines += ["", report.summary_line()]
    if report.to_chase:
        lines.append("催报：" + "、".join(u.unit for u in report.to_chase))
    if report.report is not None and report.report.stale:
        lines.append(report.report.line())
    return "\n".join(lines)


def format_refile(result: RefileResult) -> str:
    """What ``collect refile`` did: the move, the receipt, and what counts in both periods since."""
    from ..inbox.refile import refile_command

    r, old, new = result.record, result.from_period, result.to_period
    who = r.unit or r.unit_written or "（单位未定）"
    lines = []
    if result.completed:
        lines.append(f"已完成上次中断时未完成的 {result.completed} 次改期间。")
    if not result.moved:
        lines.append(f"{who} 的“{Path(r.name).name}”（{r.stored_path}）已在 {new}，无需改动。")
        if result.elsewhere:
            lines.append(f"{who} 在其他期间的报表（如要改其中一份，请写明存放路径）：")
            lines += [f"  {f.stored_path}（{f.period}，收到 {_when(f.received)}）：{refile_command(f, new)}"
                      for f in result.elsewhere]
        return "\n".join(lines)
    lines.append(f"已改期间：{who} 的“{Path(r.name).name}”（收到 {_when(r.received)}）由 {old or '未定期间'} 改为 {new}。")
    if result.from_path and result.from_path != r.stored_path:
        lines.append(f"  原件：{result.from_path} → {r.stored_path}")
    if r.receipt_path:
        removed = f"（{old} 的旧回执已删除）" if result.receipt_removed else ""
        lines.append(f"  回执：{r.receipt_path}{removed}")
    if r.state != "accepted":
        lines.append("  这是退回的表，不计入汇总；单位改正后重新报送即可。")
        return "\n".join(lines)
    if result.counts:
        lines.append(f"  {new}：本表计入汇总（第 {r.version} 版）。")
    elif result.counted_instead is not None:
        other = result.counted_instead
        lines.append(f"  {new}：{who} 另有更新的报表“{Path(other.name).name}”（收到 {_when(other.received)}），"
                     f"计入汇总的仍是那一份；本表记为第 {r.version} 版。")
    if old:
        if result.left_behind is not None:
            left = result.left_behind
            lines.append(f"  {old}：仍计入 {who} 的“{Path(left.name).name}”（第 {left.version} 版）；"
                         f"如它也归错了期间，请运行 {refile_command(left, new)}")
        else:
            lines.append(f"  {old}：{who} 不再有计入汇总的报表。")
    again = f"collect summarize --period {new}" + (f" 和 collect summarize --period {old}" if old else "")
    lines.append(f"如已出过汇总表，请重新运行 {again}。")
    return "\n".join(lines)


def format_import(result: Any, saved: Any = None, collecting: str | None = None, same_table: Any = None) -> str:
    """What ``collect form import`` found in a blank, for the clerk to check, and where it wrote the form."""
    form = result.form
    refs = form.blank_refs
    count = {kind: sum(r.kind == kind for r in refs) for kind in KIND_NAMES}
    lines = [
        f"表名：{form.title}",
        f"表头：{'、'.join(form.header)}（填报单位一栏：{form.unit_field}；"
        f"填报日期一栏：{result.date_field or '没有'}）",
        f"栏目：{'、'.join(form.columns)}",
        f"共 {len(form.sections)} 个部分、{len(form.activities)} 项活动；数量空格 {count['count']} 个，"
        f"百分比 {count['percent']} 个，文字 {count['text']} 个，是/否 {count['yesno']} 个。",
    ]
    named = set(result.named_from_requirement)
    for section in form.sections:
        lines.append(f"【{section.name}】")
        for activity in section.activities:
            note = "（原表此格为空，名称取自内容要求）" if activity.name in named else ""
            lines.append(f"  ◆ {activity.name}{note}")
            for line in activity.lines:
                lines.append(f"    {line.text}")
                for blank in line.blanks:
                    unit = f"，单位“{blank.unit}”" if blank.unit and blank.kind == "count" else ""
                    lines.append(f"      - {KIND_NAMES[blank.kind]}{unit}：{blank.label}")
    if result.unsure:
        lines.append(f"请核对（{len(result.unsure)} 处不确定）：")
        for doubt in result.unsure:
            words = f"“{doubt.words}”" if doubt.words else ""
            lines.append(f"  ? {doubt.where} {words} {doubt.message}")
    if saved is not None:
        said = {"new": "已写入", "same": "已有相同的文件，未改动", "replaced": "已覆盖"}[saved.state]
        lines.append(f"{said}：{saved.path}（编号 {form.id}）")
        lines.append("标签（label）可以直接在这个文件里修改；改后运行 collect check 某个报表 看看效果。")
        if same_table is not None:
            lines.append(f"这张表与程序自带的 {same_table.id} 是同一张表；在本工作目录里，由新生成的 {form.id} 代替它。")
        if collecting is not None and collecting != form.id:
            lines.append(f"本工作目录现在收集的是 {collecting}；要改收这张表，把 collector.toml 里的 form 改为 \"{form.id}\"。")
    return "\n".join(lines)
