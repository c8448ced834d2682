"""Who has reported and who has not, for one period: every expected unit with its state.

States: **已报** (its newest accepted return counts; on time or late against the deadline, by when its
first accepted return reached the inbox — ``received_at`` — not when ingest took it in), **退回待改**
(only returns sent back so far), **待确认** (only a held return that names it), **未报** (nothing).
An accepted unit whose later return was sent back shows ``correction_pending``. Every held return
not yet settled is listed apart (``StatusReport.held``), whether or not it names a roster unit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from ..forms.model import Form, load_forms
from ..inbox.ledger import FileRecord, Ledger
from ..inbox.period_files import PeriodFiles, read_period
from ..inbox.roster import NO_REGION, Roster, load_roster
from ..inbox.workspace import Workspace, check_period, period_for_date
from .report_age import ReportAge, report_file
from .report_age import report_age as age_of_report

UNIT_STATES = ("已报", "退回待改", "待确认", "未报")


@dataclass
class UnitStatus:
    """One expected unit in one period."""

    unit: str
    region: str
    state: str  # one of "已报", "退回待改", "待确认", "未报"
    on_time: bool | None = None  # 已报 only, when there is a deadline: its first accepted return received by then
    arrived_at: str | None = None  # when the file shown was taken in
    versions: int = 0  # accepted returns received
    problems: int = 0  # problems of the file shown (errors when sent back, reminders when accepted)
    file: str | None = None  # the file shown: the counted return, else the newest sent back or held
    correction_pending: bool = False  # accepted, but a later return was sent back
    received_at: str | None = None  # when the file shown reached the inbox (ISO time, or a date alone)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HeldFile:
    """A held return (待确认): the unit it may be (``unit``, when one is likely), what its header says, why."""

    file: str
    unit: str | None
    unit_written: str | None
    reason: str
    arrived_at: str
    stored_path: str | None
    note: str | None = None  # the clerk's note on it: outbox/待确认说明/<期间>/…txt (the reason and how to settle it)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StatusReport:
    """Every expected unit's state for a period, held files apart, and the counts."""

    form: str
    title: str
    period: str
    deadline: date | None
    units: list[UnitStatus] = field(default_factory=list)
    held: list[HeldFile] = field(default_factory=list)
    today: date = field(default_factory=date.today)
    report: ReportAge | None = None  # the period's consolidated report against the ledger, when there is one

    @property
    def counts(self) -> dict[str, int]:
        """应报, 已报, 逾期 (reported late, part of 已报), 退回待改, 待确认, 未报."""
        by = {s: sum(1 for u in self.units if u.state == s) for s in UNIT_STATES}
        return {
            "应报": len(self.units),
            "已报": by["已报"],
            "逾期": sum(1 for u in self.units if u.state == "已报" and u.on_time is False),
            "退回待改": by["退回待改"],
            "待确认": by["待确认"],
            "未报": by["未报"],
        }

    def summary_line(self) -> str:
        """``应报25，已报21，逾期2，未报2`` (退回待改 / 待确认 shown when there are any)."""
        c = self.counts
        parts = [f"应报{c['应报']}", f"已报{c['已报']}", f"逾期{c['逾期']}"]
        parts += [f"{k}{c[k]}" for k in ("退回待改", "待确认") if c[k]]
        parts.append(f"未报{c['未报']}")
        if self.held:
            parts.append(f"待确认文件{len(self.held)}份")
        return "，".join(parts)

    @property
    def to_chase(self) -> list[UnitStatus]:
        """催报: units without a countable return that must act (未报, 退回待改)."""
        return [u for u in self.units if u.state in ("未报", "退回待改")]

    @property
    def overdue(self) -> bool:
        """The deadline has passed and some unit has no countable return."""
        return self.deadline is not None and self.today > self.deadline and bool(self.to_chase)

    @property
    def needs_attention(self) -> bool:
        return bool(self.held) or any(u.state == "待确认" for u in self.units) or self.overdue

    def by_region(self) -> list[tuple[str, list[UnitStatus]]]:
        regions: dict[str, list[UnitStatus]] = {}
        for u in self.units:
            regions.setdefault(u.region or NO_REGION, []).append(u)
        return list(regions.items())

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "title": self.title,
            "period": self.period,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "counts": self.counts,
            "summary": self.summary_line(),
            "regions": [{"region": r, "units": [u.to_json() for u in us]} for r, us in self.by_region()],
            "held": [h.to_json() for h in self.held],
            "to_chase": [u.unit for u in self.to_chase],
            "report": self.report.to_json() if self.report else None,
        }


def deadline_for(workspace: Workspace, period: str, form: Form | None = None) -> date | None:
    """The configured deadline of a period (collector.toml, else the form file; ``form``: the
    configured form, already loaded)."""
    config = workspace.config()
    if period in config.deadlines:
        return config.deadlines[period]
    form = form or load_forms(workspace.schemas).get(config.form)
    return form.deadlines.get(period) if form else None


def current_period(workspace: Workspace, today: date | None = None) -> str:
    """The period to show when none is given: the newest with returns, else the one today falls in."""
    config = workspace.config()
    if workspace.ledger_path.exists():
        with Ledger(workspace.ledger_path) as ledger:
            newest = ledger.newest_period(config.form)
        if newest:
            return newest
    form = load_forms(workspace.schemas).get(config.form)
    deadlines = {**(form.deadlines if form else {}), **config.deadlines}
    return period_for_date(today or date.today(), deadlines)


def _day(iso: str) -> date:
    """The day of an ISO time, or of a date alone (``--received 2020-06-29``)."""
    return datetime.fromisoformat(iso).date()


def status_report(
    workspace: Workspace,
    period: str,
    today: date | None = None,
    roster: Roster | None = None,
    period_files: PeriodFiles | None = None,
    form: Form | None = None,
    report_age: bool = True,
) -> StatusReport:
    """The state of every expected unit for ``period``, with held files and counts (``roster``,
    ``period_files`` and the configured ``form``: already read); ``report_age``: whether the period's
    consolidated report is older than its counted returns."""
    check_period(period)
    config = workspace.config()
    roster = roster or load_roster(workspace)
    form = form or load_forms(workspace.schemas).get(config.form)
    deadline = deadline_for(workspace, period, form)
    report = StatusReport(config.form, form.title if form else config.form, period, deadline, today=today or date.today())
    if period_files is None:
        period_files = PeriodFiles()
        if workspace.ledger_path.exists():
            with Ledger(workspace.ledger_path) as ledger:
                period_files = read_period(ledger, config.form, period)
    files, pending = period_files.files, period_files.pending
    counted = {f.unit: f for f in period_files.counted}
    problem_counts = {
        file_id: (sum(p.level == "error" for p in problems), sum(p.level == "warning" for p in problems))
        for file_id, problems in period_files.problems.items()
    }
    by_unit: dict[str | None, list[FileRecord]] = {}
    for f in files:
        by_unit.setdefault(f.unit, []).append(f)
    for unit in roster.units:
        mine = by_unit.get(unit.name, [])
        accepted = sorted((f for f in mine if f.state == "accepted"), key=lambda f: (f.arrived_at, f.id or 0))
        returned = [f for f in mine if f.state == "returned"]
        held = [f for f in mine if f.state == "held" and f.id in pending]
        status = UnitStatus(unit=unit.name, region=unit.region or NO_REGION, state="未报")
        shown: FileRecord | None = None
        if unit.name in counted:
            shown = counted[unit.name]
            status.state = "已报"
            status.versions = len(accepted)
            if deadline is not None and accepted:
                # 逾期 by when its first accepted return reached the inbox, not when ingest ran
                status.on_time = min(_day(f.received) for f in accepted) <= deadline
            status.correction_pending = any(
                (f.arrived_at, f.id or 0) > (shown.arrived_at, shown.id or 0) for f in returned)
            status.problems = problem_counts.get(shown.id or 0, (0, 0))[1]
        elif returned:
            shown = returned[-1]
            status.state = "退回待改"
            status.problems = problem_counts.get(shown.id or 0, (0, 0))[0]
        elif held:
            shown = held[-1]
            status.state = "待确认"
            status.problems = sum(problem_counts.get(shown.id or 0, (0, 0)))
        if shown is not None:
            status.file = shown.name
            status.arrived_at = shown.arrived_at
            status.received_at = shown.received
        report.units.append(status)
    for f in files:
        if f.state == "held" and f.id in pending:
            report.held.append(HeldFile(f.name, f.unit, f.unit_written, f.reason, f.arrived_at, f.stored_path,
                                        f.receipt_path))
    if report_age and form is not None:
        report.report = age_of_report(report_file(workspace, form, period), period_files.counted)
    return report
