"""What became of each file of an ingest pass, said in Chinese: one line per file, and the pass's summary.

Every line goes through ``names.shown``: a file name (or a unit's text read from a return) with a
newline, ESC or bytes that are not UTF-8 in it is shown escaped, on its one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..names import shown
from ..wording import STATE_NAMES
from .ledger import FileRecord

#: the reasons ingest gives in its own words (a check's reasons come from the check)
TEMP_FILE = "Office 锁定文件或临时文件，留在原处"
NOT_SPREADSHEET = "不是统计表文件（Excel / Word / WPS 的表格或文档），已另放"
STILL_ARRIVING = "刚放入且暂时打不开（可能还在写入），过几秒再运行 collect ingest 即可处理"
STUCK = "已接收，但原文件正被其他程序打开，无法移出收件箱；关闭该文件后再运行 collect ingest 即可"
SETTLED = "（待确认的文件已确认）"


def cannot_read_now(why: str) -> str:
    return f"暂时无法读取（{why}），下次再处理"


def same_bytes_as(when: str, name: str, state: str) -> str:
    return f"与 {when[:16].replace('T', ' ')} 收到的“{name}”（{STATE_NAMES[state]}）完全相同"


def filed_under(period: str, wanted: str, command: str) -> str:
    """A duplicate meeting ``--period``: the return it repeats is filed under another period."""
    return f"该文件已收过，归在 {period}；如需改到 {wanted} 请运行 {command}"


def replaces(previous: FileRecord) -> str:
    """A held return settled (an alias added) for a unit that has an accepted one: it becomes the newest."""
    return (f"替换已接收的第 {previous.version} 版（“{previous.name}”，{_when(previous.received)} 收到），"
            "计入汇总的改为本表")


def kept_newer(unit: str, newer: FileRecord) -> str:
    """A held return settled, older than the unit's newest accepted one: that one still counts."""
    return (f"{unit} 另有更新的第 {newer.version} 版（“{newer.name}”，{_when(newer.received)} 收到），"
            "计入汇总的仍是那一份")


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def not_this_form(title: str) -> str:
    """A file that is none of the known forms, told about the one collected here."""
    return f"这不是要收集的统计表：表中找不到《{title}》的文字"


def wrong_form(sent: str, wanted: str) -> str:
    return f"报送的是《{sent}》，不是本次收集的《{wanted}》"


def not_a_file(kind_words: str) -> str:
    return f"{kind_words}，已另放"


@dataclass
class FileOutcome:
    """What became of one file: its state (a ledger state, or ``waiting`` when still being written)."""

    name: str
    state: str
    unit: str | None = None
    period: str | None = None
    reason: str = ""
    receipt: Path | None = None
    stored: Path | None = None
    version: int | None = None
    file_id: int | None = None
    errors: int = 0
    warnings: int = 0
    settled: bool = False  # a held return settled in this run
    #: said at the end of the line: what the clerk can do next (a duplicate meeting --period), or which
    #: version counts now (a held return settled onto a unit that has an accepted one)
    hint: str = ""

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, "稍后处理")

    def describe(self, root: Path | None = None) -> str:
        """The one line that tells what became of the file (without the state word)."""
        return shown(self._describe(root))

    def _describe(self, root: Path | None) -> str:
        where = _shown(self.stored, root)
        receipt = _shown(self.receipt, root)
        settled = SETTLED if self.settled else ""
        if self.state == "accepted":
            extra = f"，提醒 {self.warnings} 处" if self.warnings else ""
            hint = f"，{self.hint}" if self.hint else ""
            return f"{self.name} → {self.unit}，{self.period}，第 {self.version} 版{extra}{settled}{hint}；回执 {receipt}"
        if self.state == "returned":
            who = f"{self.unit}，" if self.unit else ""
            return f"{self.name} → {who}{self.reason.rstrip('。')}{settled}；已移到 {where}，回执 {receipt}"
        if self.state == "held":
            return f"{self.name} → {self.reason.rstrip('。')}；已移到 {where}，处理办法见回执 {receipt}"
        if self.state == "duplicate":
            hint = f"；{self.hint}" if self.hint else ""
            again = f"；回执已重新写出：{receipt}（可再转给单位）" if self.receipt is not None else ""
            return f"{self.name} → {self.reason}，不重复计入；已移到 {where}{again}{hint}"
        if self.state == "ignored":
            return f"{self.name} → {self.reason}" + (f"：{where}" if where and self.stored and "ignored" in self.stored.parts else "")
        return f"{self.name} → {self.reason}"


@dataclass
class IngestResult:
    """Every file's outcome in this pass, and the periods whose counted returns changed."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    periods_changed: set[str] = field(default_factory=set)
    completed: int = 0  # rows an interrupted run left unfinished, completed now
    aliases: list[str] = field(default_factory=list)  # aliases added before the pass

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def needs_attention(self) -> bool:
        return needs_attention(self.outcomes)

    def summary_line(self) -> str:
        if not self.outcomes:
            return "收件箱中没有新文件。"
        parts = [f"{STATE_NAMES[s]} {self.count(s)}" for s in ("accepted", "returned", "held", "duplicate", "ignored")
                 if self.count(s)]
        if self.count("waiting"):
            parts.append(f"稍后处理 {self.count('waiting')}")
        return f"共 {len(self.outcomes)} 个文件：" + "，".join(parts) + "。"


def needs_attention(outcomes: list[FileOutcome]) -> bool:
    """Something for the clerk (exit 1 of ingest and watch): a return sent back (a receipt to forward —
    also one sent back before and sent again unchanged), held (a decision), or left for the next pass
    (it could not be opened yet)."""
    return any(o.state in ("returned", "held", "waiting") or (o.state == "duplicate" and o.receipt is not None)
               for o in outcomes)


OnFile = Callable[[FileOutcome], None]


def _shown(path: Path | None, root: Path | None) -> str:
    if path is None:
        return ""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)
