"""Receipts (回执): a short Chinese note for every return, which the clerk can forward to the unit.

Accepted: the unit, the period, the version and a few headline numbers, with any reminders. Sent
back: each problem — the cell, the form's words around the blank, what was written, what to write —
and what to do next. Held: what the clerk must decide, and the command that settles it.

Receipts are plain text (UTF-8 with BOM, CRLF line ends: Notepad on any Windows opens them), written
to ``outbox/回执/<期间>/`` — what the clerk forwards to units; a return sent back also has its receipt
beside it in ``returned/``. A held return's note is for the clerk alone, so it goes to its own folder,
``outbox/待确认说明/<期间>/``, where it cannot be forwarded by mistake. Every receipt can be written
again from the ledger alone (``receipt_from_ledger``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import storage_error
from ..forms.model import Form
from ..names import safe_file_name
from ..reading.problem import Problem
from .ledger import FileRecord, Ledger
from .workspace import Workspace

NO_PERIOD = "未定期间"
#: under outbox/: the notes on held returns, for the clerk (not to be forwarded)
HELD_FOLDER = "待确认说明"
RECEIPT_STATES = {"accepted": "已接收", "returned": "退回", "held": "待确认"}
#: how many numbers an accepted receipt quotes
HEADLINE_COUNT = 5


@dataclass
class ReceiptInput:
    """What a receipt says, gathered from the check result or from the ledger."""

    record: FileRecord
    form: Form | None
    problems: list[Problem]
    values: dict[str, Any]
    office: str = ""
    previous: FileRecord | None = None  # the accepted return this one replaces


def receipt_path(workspace: Workspace, record: FileRecord) -> Path:
    """``outbox/回执/<期间>/<单位或文件名>-<状态>-<sha8>.txt``: the same file always gets the same receipt.

    A held return's note goes to ``outbox/待确认说明/<期间>/`` instead: it is the clerk's, not the unit's.
    """
    label = record.unit or Path(record.name).stem
    state = RECEIPT_STATES[record.state]
    folder = workspace.outbox / HELD_FOLDER if record.state == "held" else workspace.receipts
    return folder / (record.period or NO_PERIOD) / f"{safe_file_name(label)}-{state}-{record.sha256[:8]}.txt"


def beside_path(stored: Path) -> Path:
    """The receipt that lies beside a return sent back: ``X.xlsx`` → ``X.回执.txt``."""
    return stored.with_name(f"{stored.stem}.回执.txt")


def _when(iso: str) -> str:
    if len(iso) == 10:  # a date alone (collect ingest --received 2020-06-29): that day
        return iso
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def receipt_text(data: ReceiptInput) -> str:
    """The receipt, as lines of Chinese text."""
    r = data.record
    title = data.form.title if data.form else "（无法识别的文件）"
    lines = [f"回执（{RECEIPT_STATES[r.state]}）", ""]
    lines.append(f"报送单位：{r.unit or r.unit_written or '（未能确定）'}")
    lines.append(f"统计表：{title}")
    lines.append(f"期间：{r.period or NO_PERIOD}")
    lines.append(f"文件：{Path(r.name).name}（收到时间 {_when(r.received)}）")
    errors = [p for p in data.problems if p.level == "error"]
    warnings = [p for p in data.problems if p.level == "warning"]
    if r.state == "accepted":
        if data.previous is not None:
            lines.append(f"版本：第 {r.version} 版，替换 {_when(data.previous.received)} 收到的第 {data.previous.version} 版")
        else:
            lines.append(f"版本：第 {r.version} 版")
        lines.append("结论：已接收，计入汇总。")
        headline = _headline(data)
        if headline:
            lines += ["", "主要数字：", *(f"  {label}：{value}" for label, value in headline)]
        if warnings:
            lines += ["", f"提醒（不影响计入，共 {len(warnings)} 处）："]
            lines += _reminder_lines(warnings)
        lines += ["", "下一步：无需再报。如需更正，请修改后将整张表重新报送，新表将替换本表。"]
    elif r.state == "returned":
        lines.append(f"结论：退回，暂不计入汇总。共 {len(errors)} 处需要修改：")
        lines += _problem_lines(errors, data.form)
        if warnings:
            lines += ["", f"另有 {len(warnings)} 处提醒（请一并核对）："]
            lines += _reminder_lines(warnings)
        if data.form is None or any(p.code in ("wrong_form", "missing_line") for p in errors):
            lines += ["", "下一步：请使用下发的原表填写（不要改动表中文字），保存为 .xlsx 后重新报送。"]
        else:
            lines += ["", "下一步：请在原表上修改以上各处，其余内容不必改动，保存后将整张表重新报送。"]
    else:  # held: for the clerk
        lines.append(f"结论：待确认，暂不计入汇总。原因：{r.reason}。")
        if errors:
            lines += ["", f"表中另有 {len(errors)} 处错误，确认单位后将退回修改："]
            lines += _problem_lines(errors, data.form)
        lines += ["", "处理办法（由收表人操作）："]
        lines += [f"  {line}" for line in settle_hint(r)]
    sign = data.office or ""
    lines += ["", f"{sign}  {datetime.now():%Y-%m-%d}".strip()]
    return "\r\n".join(lines) + "\r\n"


def roster_line(written: str) -> str:
    """The line to add to units.csv so that a return naming ``written`` settles: 单位,地区,别名."""
    name = written.replace('"', '""')
    return f'"{name}",,' if any(ch in name for ch in ',"\n') else f"{name},,"


def settle_hint(record: FileRecord) -> list[str]:
    """What the clerk does about a held return, with the command that settles it."""
    written = record.unit_written or ""
    if "LibreOffice" in record.reason:
        return [
            "1. 安装 LibreOffice（免费，https://zh-cn.libreoffice.org/download/ 下载安装；Linux 上："
            "sudo apt-get install libreoffice-writer libreoffice-calc）后运行 collect ingest：待确认的文件会重新读取；或",
            "2. 请对方另存为 .docx / .xlsx 后重新报送；",
            "3. 如果不应收这份表：把它从 held/ 文件夹移走即可。",
        ]
    if record.reason.startswith("表头没有填写填报单位"):
        return [
            "1. 请对方在表头填写填报单位后重新报送；或",
            "2. 确认是哪个单位的表后，把 held/ 中的这个文件改名为“单位名称-统计表.xlsx”放回 inbox/，再运行 collect ingest。",
        ]
    if "模板却是" in record.reason:
        # the header names a unit other than the one our blank form was made for
        return [
            "1. 表头写的单位与下发给该单位的空白表不同：请先与对方核实这是哪个单位的表；",
            "2. 如果是表头写错了：请对方改正表头后重新报送；",
            "3. 如果是用了别的单位的空白表：请对方用本单位的空白表（collect template --unit 单位名称）重新填报；",
            "4. 如果不应收这份表：把它从 held/ 文件夹移走即可。",
        ]
    if "不一致" in record.reason:
        # the header names one roster unit, the file name (or our template) another: an alias cannot
        # settle that, only a correction can
        return [
            "1. 表头与文件名（或下发的空白表）写的不是同一个单位：请先与对方核实这是哪个单位的表；",
            "2. 如果是表头写错了：请对方改正表头后重新报送；",
            "3. 如果是文件名写错了：把 held/ 中的这个文件按表头的单位改名后放回 inbox/，再运行 collect ingest；",
            "4. 如果不应收这份表：把它从 held/ 文件夹移走即可。",
        ]
    if written and record.unit:
        alias = f'collect ingest --alias "{written}={record.unit}"'
        return [
            f"1. 如果这份表确是“{record.unit}”报送的：运行 {alias}",
            "   （把“" + written + "”记为该单位的别名，并重新处理待确认的文件）；",
            f"2. 如果是名单外的新单位：在 units.csv 末尾增加一行 {roster_line(written)}（地区可补在两个逗号之间），"
            "保存后运行 collect ingest；",
            "3. 如果不应收这份表：把它从 held/ 文件夹移走即可。",
        ]
    if written:
        return [
            f"1. 如果“{written}”是名单中某个单位的另一个名称：运行 collect ingest --alias \"{written}=名单中的单位名称\"；",
            f"2. 如果是名单外的新单位：在 units.csv 末尾增加一行 {roster_line(written)}（地区可补在两个逗号之间），"
            "保存后运行 collect ingest；",
            "3. 如果不应收这份表：把它从 held/ 文件夹移走即可。",
        ]
    return [
        "1. 请对方在表头填写填报单位后重新报送；或",
        "2. 把文件改名为“单位名称-统计表.xlsx”后放回 inbox/，再运行 collect ingest。",
    ]


def _headline(data: ReceiptInput) -> list[tuple[str, str]]:
    if data.form is None:
        return []
    out = []
    for ref in data.form.blank_refs:
        if ref.kind in ("count", "percent") and data.values.get(ref.key) is not None:
            unit = ref.blank.unit or ""
            out.append((ref.label, f"{_number(data.values[ref.key])}{unit}"))
            if len(out) >= HEADLINE_COUNT:
                break
    return out


def _reminder_lines(problems: list[Problem]) -> list[str]:
    """Reminders, one short line each: the place and what to look at (the message names the blank)."""
    return [f"  {n}. {p.cell}：{p.message}" if p.cell else f"  {n}. {p.message}" for n, p in enumerate(problems, start=1)]


def _problem_lines(problems: list[Problem], form: Form | None) -> list[str]:
    lines = []
    for n, p in enumerate(problems, start=1):
        if not p.cell:
            lines.append(f"  {n}. {p.message}")
            continue
        lines.append(f"  {n}. 位置：{p.cell}")
        ref = form.by_key.get(p.key) if form is not None and p.key else None
        if ref is not None:
            lines.append(f"     原表文字：{ref.line.text}")
        lines.append(f"     填写的是：{p.written if p.written else '（空）'}")
        lines.append(f"     问题及改法：{p.message}")
    return lines


def write_receipt(path: Path, text: str) -> None:
    """Write a receipt, replacing one for the same file; its folder is made when it is missing (the
    first receipt of a period, or the clerk removed the folder under a running watch).

    Not via a temporary file: ingest writes the receipt before the file's row is committed, at a path
    fixed by the file's bytes, so a receipt cut short by a crash is written again by the re-run."""
    data = text.encode("utf-8-sig")
    try:
        try:
            stream = open(path, "wb")
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = open(path, "wb")
        with stream:
            stream.write(data)
    except OSError as exc:
        raise storage_error(exc, "写回执", path) from exc


def receipt_from_ledger(workspace: Workspace, ledger: Ledger, record: FileRecord, forms: dict[str, Form],
                        office: str = "") -> str:
    """The receipt of a recorded file, from what the ledger holds (to write a lost receipt again)."""
    assert record.id is not None
    problems = [p for _, p in ledger.problems([record.id])]
    values = {key: value for _, key, _, value in ledger.values([record.id])}
    previous = None
    if record.state == "accepted" and (record.version or 1) > 1:
        earlier = [f for f in ledger.files(form=record.form, period=record.period)
                   if f.state == "accepted" and f.unit == record.unit and f.id is not None and f.id < record.id]
        previous = earlier[-1] if earlier else None
    form = forms.get(record.form) if record.form else None
    return receipt_text(ReceiptInput(record, form, problems, values, office, previous))
