"""``collect run``: the scheduled overnight job — ingest, refresh reports, status — logged, never twice at once.

1. take in the inbox (``ingest``);
2. refresh the consolidated report of every period whose counted returns changed since the report
   was written, once that report exists (``reports.summarize``) — whoever took them in: this run,
   ``watch``, or a daytime ``ingest`` (``reports.report_age``);
3. the status of every period touched (or the current one).

The workspace lock makes a second run, started while one is going, say so and exit. Every line
goes to ``logs/collect-run.log`` too.

Exit codes: **0** all good; **1** something needs the clerk (a return sent back or held, a held return
still waiting, units overdue, a report that could not be refreshed); **2** could not run (no
workspace, locked by another run, ledger unusable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..errors import CollectorError, os_reason
from ..inbox.ingest import FileOutcome, IngestResult, ingest
from ..inbox.ledger import Ledger
from ..inbox.workspace import Workspace, WorkspaceLock, check_period
from ..reports.report_age import report_age
from ..reports.status import StatusReport, current_period, status_report
from ..reports.summarize import configured_form, report_path, summarize

LOG_NAME = "collect-run.log"

EXIT_OK = 0
EXIT_ATTENTION = 1
EXIT_FAILED = 2


@dataclass
class RunResult:
    """What one overnight run did, and its exit code."""

    exit_code: int = EXIT_OK
    ingest: IngestResult | None = None
    reports: list[Path] = field(default_factory=list)
    report_errors: list[str] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    error: str | None = None
    log_path: Path | None = None


def run(
    workspace: Workspace,
    *,
    period: str | None = None,
    on_line: Callable[[str], None] | None = None,
    today: date | None = None,
) -> RunResult:
    """The overnight job; never raises for the clerk's errors: they become exit code 2 and a line."""
    result = RunResult(log_path=workspace.logs / LOG_NAME)
    log = _Log(result, on_line)
    log.line(f"==== collect run 开始，工作目录 {workspace.root}", echo=False)
    try:
        if period is not None:
            check_period(period)
        workspace.config()
        with WorkspaceLock(workspace, wait=0.0, purpose="collect run"):
            _run(workspace, period, result, log, today)
    except CollectorError as exc:
        result.error = str(exc)
        result.exit_code = EXIT_FAILED
        log.line(f"错误：{exc}", echo=False)
    log.line(f"==== collect run 结束，退出码 {result.exit_code}", echo=False)
    log.close()
    return result


def _run(workspace: Workspace, period: str | None, result: RunResult, log: _Log, today: date | None) -> None:
    def hear(outcome: FileOutcome) -> None:
        log.line(f"{outcome.state_name}  {outcome.describe(workspace.root)}")

    result.ingest = ingest(workspace, period=period, on_file=hear, lock_wait=0.0, parallel=True)
    log.line(result.ingest.summary_line())
    attention = result.ingest.needs_attention

    for changed in _stale_reports(workspace):
        try:
            summary = summarize(workspace, changed)
        except CollectorError as exc:
            result.report_errors.append(f"{changed}：{exc}")
            log.line(f"汇总表未能更新（{changed}）：{exc}")
            attention = True
            continue
        result.reports.append(summary.path)
        log.line(f"已更新汇总表（{changed}）：{_shown(summary.path, workspace.root)}")

    # a file sent back as no return at all (unreadable, another table) has only its arrival month:
    # it makes no period to report on
    touched = {o.period for o in result.ingest.outcomes
               if o.period and (o.state in ("accepted", "held") or (o.state == "returned" and o.unit))}
    periods = sorted(touched) or [period or current_period(workspace, today)]
    for p in periods:
        report = status_report(workspace, p, today=today)
        result.statuses.append(report)
        line = f"{p}：{report.summary_line()}"
        if report.to_chase:
            line += "；催报：" + "、".join(u.unit for u in report.to_chase)
        log.line(line)
        attention = attention or report.needs_attention
    result.exit_code = EXIT_ATTENTION if attention else EXIT_OK


def _stale_reports(workspace: Workspace) -> list[str]:
    """The periods whose consolidated report exists and is older than their counted returns."""
    if not workspace.ledger_path.exists():
        return []
    form = configured_form(workspace)
    with Ledger(workspace.ledger_path) as ledger:
        periods = [(p, ledger.counted(form.id, p)) for p in ledger.periods(form.id)]
    stale = []
    for p, counted in periods:
        age = report_age(report_path(workspace, p, form), counted)
        if age is not None and age.stale:
            stale.append(p)
    return stale


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


class _Log:
    """Lines to the caller and to the log file (when the workspace has a logs/ folder)."""

    def __init__(self, result: RunResult, on_line: Callable[[str], None] | None) -> None:
        self.result = result
        self.on_line = on_line
        self.stream = None
        path = result.log_path
        if path is not None and path.parent.is_dir():
            try:
                self.stream = open(path, "a", encoding="utf-8")
            except OSError:
                self.stream = None

    def line(self, text: str, *, echo: bool = True) -> None:
        if echo:
            self.result.lines.append(text)
        if echo and self.on_line is not None:
            self.on_line(text)
        if self.stream is not None:
            try:
                self.stream.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {text}\n")
                self.stream.flush()
            except OSError as exc:  # a full disk: the run goes on, told on the screen only
                self.close()
                self.line(f"注意：日志 {self.result.log_path} 无法写入（{os_reason(exc)}），以下只显示在屏幕上。")

    def close(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.close()
            except OSError:  # what could not be written is lost with it
                pass
