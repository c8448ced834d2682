"""One pass over ``inbox/``: every file taken exactly once, its original kept safe, and an answer for each.

Each file ends in one state, said in one line (``outcomes``):

* **已接收** (accepted): a countable return; the original is moved to ``archive/<期间>/`` unchanged;
* **退回** (returned): it has errors (or is no return at all); moved to ``returned/<期间>/`` beside its receipt;
* **待确认** (held): the unit is unknown or contradictory; moved to ``held/`` until the clerk settles it;
* **重复** (duplicate): the same bytes as a file already received; set aside in ``ignored/``;
* **忽略** (ignored): not a spreadsheet, or not a file at all (a symlink, a FIFO…: set aside in
  ``ignored/`` without being opened), or an Office lock / temp file (left where it is). Nothing is ever
  deleted.

The pass, file by file in the order they arrived (``arrivals``): the cheap checks first (``lstat``: only
a regular file is opened; its size before it is read, then read and hashed in one pass —
``reading.isolated.read_regular``); a spreadsheet is read and checked in a limited child process
(``reading.isolated.Checker``), so that a file that crashes or exhausts its reader costs that file
only: it is sent back as 文件结构异常; the decision (``decide``); then the filing (``filing``): receipt
and row, committed by batches, originals renamed into place once that is durable. A file's line is
said once its batch is filed: every line printed is a file recorded.

Held returns are looked at again at the start of every run: once the roster knows the unit (an
alias added), they are settled like any new return.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..errors import WorkspaceError, storage_error
from ..forms.model import Form, load_forms
from ..names import shown
from ..reading.check import CheckResult
from ..reading.isolated import (
    NOT_A_FILE,
    Checker,
    NotRegular,
    Opened,
    can_start_children,
    default_workers,
    read_regular,
    too_large,
)
from ..reading.workbook import os_error_text
from .arrivals import inbox_files, is_candidate, is_spreadsheet_name, is_system_file, is_temp_file, relative
from .decide import Decision
from .filing import BATCH, Filing
from .ledger import FileRecord, Ledger
from .outcomes import (
    NOT_SPREADSHEET,
    STILL_ARRIVING,
    STUCK,
    TEMP_FILE,
    FileOutcome,
    IngestResult,
    OnFile,
    cannot_read_now,
    filed_under,
    kept_newer,
    not_a_file,
    replaces,
    same_bytes_as,
)
from .receipts import NO_PERIOD, ReceiptInput, beside_path, receipt_from_ledger, receipt_path, receipt_text
from .received import parse_received, received_from_mtime
from .refile import MOVABLE, complete_refiles, refile_command
from .roster import Roster, add_alias, load_roster
from .workspace import Config, Workspace, WorkspaceLock, check_period

__all__ = [
    "BATCH", "SETTLING_SECONDS", "FileOutcome", "IngestResult", "OnFile", "ingest", "is_spreadsheet_name",
    "is_system_file", "is_temp_file",
]

#: a file changed this recently that cannot be opened yet is still being written: left for the next pass
SETTLING_SECONDS = 5.0


def ingest(
    workspace: Workspace,
    *,
    period: str | None = None,
    on_file: OnFile | None = None,
    paths: list[Path] | None = None,
    aliases: list[tuple[str, str]] | None = None,
    lock_wait: float = 10.0,
    on_start: Callable[[int], None] | None = None,
    settling: float = SETTLING_SECONDS,
    parallel: bool = False,
    received: str | None = None,
) -> IngestResult:
    """Take in every file in ``inbox/`` (or just ``paths``), once.

    Every file is read and checked in a child process (a library caller's script must then guard its
    entry point with ``if __name__ == "__main__"`` where processes are spawned: Windows, macOS);
    ``parallel``: by several at once, ahead of the filing (the commands do).
    ``period`` overrides the period of every return taken in. ``received`` (``2020-06-29``, or with a
    time: ``received.parse_received``) is when the files were received, for a batch saved into
    ``inbox/`` late; otherwise each file's modification time there, no later than now. ``aliases`` —
    (alias, unit) pairs — are added to the roster first (settling held returns). ``on_file`` is called
    with each outcome once it is recorded; ``on_start`` with the number of files about to be looked at.
    A file that cannot be opened and changed less than ``settling`` seconds ago is left for the next
    pass (it may still be arriving).
    """
    if period is not None:
        check_period(period)
    if received is not None:
        received = parse_received(received)
    config = workspace.config()
    forms = load_forms(workspace.schemas)
    if config.form not in forms:
        raise WorkspaceError(f"配置文件中的统计表“{config.form}”不存在。可用的有：{'、'.join(forms)}")
    result = IngestResult()
    with WorkspaceLock(workspace, wait=lock_wait, purpose="collect ingest"):
        for alias, unit in aliases or []:
            add_alias(workspace, unit, alias)
            result.aliases.append(f"{alias}={unit}")
        roster = load_roster(workspace)
        for folder in workspace.folders():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise storage_error(exc, "建立文件夹", folder) from exc
        workers = (default_workers() if parallel else 1) if can_start_children() else 0
        with Ledger(workspace.ledger_path, synchronous="FULL") as ledger, \
                Checker(forms, workspace.schemas, expected=config.form, workers=workers) as checker:
            run = _Run(workspace, config, forms, roster, ledger, period, result, on_file, checker)
            run.settling = settling
            run.received = received
            try:
                result.completed = run.filing.complete_unfinished(run.receipt_again)
                result.completed += complete_refiles(workspace, ledger)  # a refile cut short: its original moved
                run.filing.clear_staging()
                held = ledger.held_unsettled()
                files = inbox_files(workspace.inbox) if paths is None else [Path(p) for p in paths]
                if on_start is not None:
                    on_start(len(files))
                checker.plan([p for p in files if is_candidate(p)])
                for record in held:
                    run.reexamine(record)
                for path in files:
                    run.take(path)
                run.flush()
            finally:
                run.filing.close()
    return result


def _now() -> str:
    return datetime.now().isoformat(timespec="microseconds")


class _Run:
    """The state of one ingest pass."""

    def __init__(self, workspace: Workspace, config: Config, forms: dict[str, Form], roster: Roster, ledger: Ledger,
                 period: str | None, result: IngestResult, on_file: OnFile | None, checker: Checker) -> None:
        self.ws = workspace
        self.config = config
        self.forms = forms
        self.form = forms[config.form]
        self.ledger = ledger
        self.result = result
        self.on_file = on_file
        self.checker = checker
        self.decision = Decision(self.form, config, roster, period,
                                 newest_period=lambda: ledger.newest_period(self.form.id))
        self.filing = Filing(workspace, ledger)
        self.settling = SETTLING_SECONDS
        self.received: str | None = None  # the clerk's --received, else each file's modification time
        self.unsaid: list[FileOutcome] = []  # outcomes of this batch: said once it is filed

    # -- saying and filing ------------------------------------------------------------------------

    def emit(self, outcome: FileOutcome) -> None:
        self.result.outcomes.append(outcome)
        self.unsaid.append(outcome)
        if self.filing.full:
            self.flush()

    def flush(self) -> None:
        """File the batch, then say what became of its files."""
        self.filing.flush()
        unsaid, self.unsaid = self.unsaid, []
        if self.on_file is not None:
            for outcome in unsaid:
                self.on_file(outcome)

    def receipt_again(self, row: FileRecord) -> str:
        return receipt_from_ledger(self.ws, self.ledger, row, self.forms, self.config.office)

    def _receipt_again(self, row: FileRecord) -> Path:
        """Write a recorded file's receipt again (from the ledger) where it was written first."""
        where = self.filing.abs(row.receipt_path) if row.receipt_path else receipt_path(self.ws, row)
        self.filing.write_receipt(where, self.receipt_again(row))
        return where

    def _store(self, record: FileRecord, source: Path, opened: Opened, folder: Path,
               checked: CheckResult | None = None, receipt: ReceiptInput | None = None) -> FileOutcome:
        """Write the receipt and record the row; the original is moved into place with its batch."""
        filing = self.filing
        filing.make_folder(folder)
        dest = filing.destination(folder, Path(record.name).name, record.sha256)
        record.stored_path = filing.rel(dest)
        receipt_file = None
        problems = receipt.problems if receipt is not None else None
        if receipt is not None:
            receipt_file = receipt_path(self.ws, record)
            record.receipt_path = filing.rel(receipt_file)
            text = receipt_text(receipt)
            filing.write_receipt(receipt_file, text)
            if record.state == "returned":
                filing.write_receipt(beside_path(dest), text)
        values = checked.values if checked is not None else None
        cells = checked.cells if checked is not None else None
        encoded = (checked.values_json, checked.cells_json) if checked is not None else (None, None)
        file_id = filing.record(record, source, opened.st, opened.data, values, cells, problems, encoded=encoded)
        return FileOutcome(
            name=record.name, state=record.state, unit=record.unit, period=record.period, reason=record.reason,
            receipt=receipt_file, stored=dest, version=record.version, file_id=file_id,
            errors=sum(1 for p in problems or [] if p.level == "error"),
            warnings=sum(1 for p in problems or [] if p.level == "warning"),
        )

    # -- one file ------------------------------------------------------------------------------

    def take(self, path: Path) -> None:
        """One entry of the inbox."""
        name = path.name
        if is_system_file(name):
            return
        shown_name = self._name(path)
        try:
            opened = self.checker.opened(path)
        except NotRegular as exc:
            self._not_a_file(path, exc.kind)
            return
        except FileNotFoundError:
            return  # gone meanwhile (a temp file renamed): nothing arrived
        except OSError as exc:
            self.emit(FileOutcome(shown_name, "waiting", reason=cannot_read_now(os_error_text(exc))))
            return
        if str(path) in self.filing.stuck:
            self.emit(FileOutcome(shown_name, "waiting", reason=STUCK))
            return
        sha = opened.sha256
        record = FileRecord(id=None, name=shown_name, sha256=sha, size=opened.size, arrived_at=_now(),
                            state="ignored", inbox_path=shown(self.filing.rel(path)))
        record.received_at = self.received or received_from_mtime(opened.st.st_mtime, record.arrived_at)
        if is_temp_file(name):
            if self.ledger.known_in_place(record.inbox_path, sha):
                return
            record.reason = TEMP_FILE
            record.stored_path = record.inbox_path
            record.moved = 1
            record.id = self.ledger.record(record, commit=False)
            self.emit(FileOutcome(shown_name, "ignored", reason=record.reason, stored=path, file_id=record.id))
            return
        if opened.size:
            # the same bytes again; a held one is looked at afresh (the clerk may have renamed it)
            earlier = [r for r in self.ledger.by_hash(sha)
                       if r.state in ("accepted", "returned", "ignored") and r.stored_path != r.inbox_path]
            if earlier:
                first = earlier[0]
                record.state = "duplicate"
                record.reason = same_bytes_as(first.received, first.name, first.state)
                record.unit, record.period, record.form = first.unit, first.period, first.form
                outcome = self._store(record, path, opened, self.ws.ignored)
                if first.state == "returned":
                    # sent again unchanged: its receipt again, for the clerk to forward once more
                    outcome.receipt = self._receipt_again(first)
                wanted = self.decision.period
                if wanted and first.period != wanted and first.state in MOVABLE:
                    # --period does not move a return already received: say what does
                    outcome.hint = filed_under(first.period or NO_PERIOD, wanted, refile_command(first, wanted))
                self.emit(outcome)
                return
        if not is_spreadsheet_name(name):
            record.reason = NOT_SPREADSHEET
            self.emit(self._store(record, path, opened, self.ws.ignored))
            return
        if opened.data is None:  # above the size cap: never read, never parsed
            checked = too_large(path, opened.size)
        else:
            checked = self.checker.check(path, opened.data, sha)
        if checked.error_code in ("unreadable", "empty") and time.time() - opened.st.st_mtime < self.settling:
            self.emit(FileOutcome(shown_name, "waiting", reason=STILL_ARRIVING))
            return
        self.emit(self._judge(record, path, opened, checked))

    def _not_a_file(self, path: Path, kind: str) -> None:
        """An entry that is not a regular file: answered by its ``lstat``, set aside unopened."""
        try:
            st = os.lstat(path)
        except OSError:
            return  # gone meanwhile
        inbox_path = shown(self.filing.rel(path))
        # no bytes to hash: the entry itself, as this run found it, is what the row stands for
        sha = hashlib.sha256(f"{kind}\0{inbox_path}\0{st.st_ino}\0{st.st_mtime_ns}".encode()).hexdigest()
        if self.ledger.known_in_place(inbox_path, sha):
            return  # left in place by an earlier run (it could not be moved): said once
        record = FileRecord(id=None, name=self._name(path), sha256=sha, size=0, arrived_at=_now(), state="ignored",
                            inbox_path=inbox_path, reason=not_a_file(NOT_A_FILE[kind]))
        record.received_at = self.received or received_from_mtime(st.st_mtime, record.arrived_at)
        folder = self.ws.ignored
        self.filing.make_folder(folder)
        dest = self.filing.destination(folder, Path(record.name).name, sha)
        record.stored_path = self.filing.rel(dest)
        file_id = self.filing.record(record, path, st, None, entry=True)
        self.emit(FileOutcome(record.name, "ignored", reason=record.reason, stored=dest, file_id=file_id))

    def reexamine(self, held: FileRecord) -> None:
        """A held return, looked at again with today's roster; settled if the unit is now known."""
        source = self.filing.abs(held.stored_path or "")
        try:
            opened = read_regular(source)
        except OSError:
            return  # the clerk took it away
        if opened.sha256 != held.sha256 or opened.data is None:
            return
        checked = self.checker.check(source, opened.data, opened.sha256)
        record = FileRecord(id=None, name=held.name, sha256=held.sha256, size=held.size, arrived_at=held.arrived_at,
                            state="held", inbox_path=self.filing.rel(source), received_at=held.received)
        if self.decision.verdict(record, checked) == "held":
            return
        outcome = self._judge(record, source, opened, checked, settling=True)
        outcome.settled = True
        self.emit(outcome)

    def _name(self, path: Path) -> str:
        """The name a file is known by: its path inside the inbox, shown on one line."""
        return shown(relative(path, self.ws.inbox) or path.name)

    def _judge(self, record: FileRecord, source: Path, opened: Opened, checked: CheckResult,
               settling: bool = False) -> FileOutcome:
        state = self.decision.verdict(record, checked)
        problems = self.decision.problems(record, checked)
        if checked.form is not None:
            record.header_json = json.dumps(checked.header, ensure_ascii=False)
        previous = None
        replacing = ""  # a settled return: what it does to the unit's accepted versions, said on its line
        if state == "accepted":
            record.version = self.ledger.next_version(record.unit, record.form, record.period)
            if record.version > 1:
                earlier = [f for f in self.ledger.files(form=record.form, period=record.period)
                           if f.state == "accepted" and f.unit == record.unit]
                # the newest by arrival counts: a held return settled late keeps its own arrival
                newer = [f for f in earlier if f.arrived_at > record.arrived_at]
                if newer:
                    replacing = kept_newer(record.unit or "", newer[-1])
                elif earlier:
                    previous = earlier[-1]
                    replacing = replaces(previous)
        folder = self.filing.folder(state, record.period)
        receipt = ReceiptInput(record, checked.form, problems, checked.values, self.config.office, previous)
        # the check's values: every blank of the form, in reading order (empty without a form)
        outcome = self._store(record, source, opened, folder, checked, receipt)
        if settling:
            outcome.hint = replacing
        if state == "accepted" and record.period:
            self.result.periods_changed.add(record.period)
        return outcome

