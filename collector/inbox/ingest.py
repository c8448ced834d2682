"""One pass over ``inbox/``: every file taken exactly once, its original kept safe, and an answer for each.

Each file ends in one state, said in one line:

* **已接收** (accepted): a countable return; the original is moved to ``archive/<期间>/`` unchanged;
* **退回** (returned): it has errors (or is no return at all); moved to ``returned/<期间>/`` beside its receipt;
* **待确认** (held): the unit is unknown or contradictory; moved to ``held/`` until the clerk settles it;
* **重复** (duplicate): the same bytes as a file already received; set aside in ``ignored/``;
* **忽略** (ignored): not a spreadsheet (set aside in ``ignored/``), or an Office lock / temp file (left
  where it is). Nothing is ever deleted.

Crash safety (see ``ledger``): the file's bytes are read once, hashed and checked; its row is
recorded (``moved = 0``); a batch of rows is committed together, each file whole; once they are
durable, each original is renamed into the place its row names (if it is still the very file that
was read), the renames are made durable, and the rows are marked ``moved``. A run first completes whatever an interrupted one left (``moved = 0``),
so a ``kill -9`` at any moment and a re-run give the same result as an undisturbed run. A rename,
not a copy: the original is moved unchanged, and no second file is written for it.

Held returns are looked at again at the start of every run: once the roster knows the unit (an
alias added), they are settled like any new return.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import WorkspaceError
from ..forms.model import Form, load_forms
from ..reading.check import CheckResult, Problem, check_file, prepare
from ..reading.workbook import SPREADSHEET_SUFFIXES
from ..wording import STATE_NAMES
from .ledger import FileRecord, Ledger, ProblemRow
from .receipts import (
    NO_PERIOD,
    ReceiptInput,
    beside_path,
    receipt_from_ledger,
    receipt_path,
    receipt_text,
    write_receipt,
)
from .roster import Roster, add_alias, load_roster
from .workspace import PERIOD_RE, Config, Workspace, WorkspaceLock, check_period, parse_date, period_for_date

#: files whose rows are made durable, then their originals moved into place, together
BATCH = 64
#: a file changed this recently that cannot be opened yet is still being written: left for the next pass
SETTLING_SECONDS = 5.0

#: test hooks: seconds to sleep between the steps of each file, and the batch size (crash tests)
_PAUSE = float(os.environ.get("COLLECTOR_INGEST_PAUSE", "0") or 0)
_BATCH = int(os.environ.get("COLLECTOR_INGEST_BATCH", "0") or 0) or BATCH

#: system files that never count as arriving (skipped silently)
_SYSTEM_NAMES = {".gitkeep", ".ds_store", "thumbs.db", "desktop.ini"}
_TEMP_SUFFIXES = (".tmp", ".temp", ".crdownload", ".part", ".partial", ".download", ".swp", ".bak~")
_EXCEL_TEMP = re.compile(r"^[0-9A-Fa-f]{8}$")


def is_system_file(name: str) -> bool:
    return name.lower() in _SYSTEM_NAMES


def is_temp_file(name: str) -> bool:
    """Office lock files (``~$x.xlsx``, ``.~lock.x.xlsx#``), temp files of a save or a download."""
    lower = name.lower()
    return (
        name.startswith("~$")
        or name.startswith(".~lock")
        or name.endswith("#")
        or name.startswith("._")
        or (name.startswith("~") and lower.endswith(".tmp"))
        or lower.endswith(_TEMP_SUFFIXES)
        or bool(_EXCEL_TEMP.match(name))
    )


def is_spreadsheet_name(name: str) -> bool:
    return Path(name).suffix.lower() in SPREADSHEET_SUFFIXES


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

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, "稍后处理")

    def describe(self, root: Path | None = None) -> str:
        """The one line that tells what became of the file (without the state word)."""
        where = _shown(self.stored, root)
        receipt = _shown(self.receipt, root)
        settled = "（待确认的文件已确认）" if self.settled else ""
        if self.state == "accepted":
            extra = f"，提醒 {self.warnings} 处" if self.warnings else ""
            return f"{self.name} → {self.unit}，{self.period}，第 {self.version} 版{extra}{settled}；回执 {receipt}"
        if self.state == "returned":
            who = f"{self.unit}，" if self.unit else ""
            return f"{self.name} → {who}{self.reason.rstrip('。')}{settled}；已移到 {where}，回执 {receipt}"
        if self.state == "held":
            return f"{self.name} → {self.reason.rstrip('。')}；已移到 {where}，处理办法见回执 {receipt}"
        if self.state == "duplicate":
            return f"{self.name} → {self.reason}，不重复计入；已移到 {where}"
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
        """Something for the clerk: a return sent back (a receipt to forward), held (a decision), or left
        for the next pass (it could not be opened yet)."""
        return any(o.state in ("returned", "held", "waiting") for o in self.outcomes)

    def summary_line(self) -> str:
        if not self.outcomes:
            return "收件箱中没有新文件。"
        parts = [f"{STATE_NAMES[s]} {self.count(s)}" for s in ("accepted", "returned", "held", "duplicate", "ignored")
                 if self.count(s)]
        if self.count("waiting"):
            parts.append(f"稍后处理 {self.count('waiting')}")
        return f"共 {len(self.outcomes)} 个文件：" + "，".join(parts) + "。"


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


# ---------------------------------------------------------------------------------------------


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
) -> IngestResult:
    """Take in every file in ``inbox/`` (or just ``paths``), once.

    ``parallel``: read and check a large inbox ahead in worker processes (the commands do; a library
    caller's script must then guard its entry point with ``if __name__ == "__main__"``, as ever with
    spawned processes).
    ``period`` overrides the period of every return taken in. ``aliases`` — (alias, unit) pairs — are
    added to the roster first (settling held returns). ``on_file`` is called with each outcome as it
    happens; ``on_start`` with the number of files about to be looked at. A file that cannot be opened
    and changed less than ``settling`` seconds ago is left for the next pass (it may still be arriving).
    """
    if period is not None:
        check_period(period)
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
            folder.mkdir(parents=True, exist_ok=True)
        # NORMAL: commits reach the disk with the os.sync before any original leaves the inbox; where
        # there is no os.sync (Windows), every commit is synced itself
        with Ledger(workspace.ledger_path, synchronous="NORMAL" if hasattr(os, "sync") else "FULL") as ledger:
            run = _Run(workspace, config, forms, roster, ledger, period, result, on_file)
            run.settling = settling
            run.complete_unfinished()
            run.clear_staging()
            held = ledger.held_unsettled()
            files = _inbox_files(workspace) if paths is None else [Path(p) for p in paths]
            if on_start is not None:
                on_start(len(files))
            with _Prechecks(workspace, files if parallel else [], forms, config.form) as run.prechecks:
                for record in held:
                    run.reexamine(record)
                for path in files:
                    run.take(path)
            run.flush()
    return result


# ---------------------------------------------------------------------------------------------
# reading and checking ahead, on the other cores

#: below this many spreadsheets, starting worker processes costs more than it saves
PARALLEL_MIN = 24
#: files read and checked per task: a task costs ~0.15 ms to hand out and collect, a file ~0.8 ms to check
CHUNK = 8
_WORKER_FORMS: dict[str, Form] = {}


def _worker_start(schemas: str) -> None:
    global _WORKER_FORMS
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle: it stops them
    if not _WORKER_FORMS:  # forked: the main process's forms, readers and models are here already
        _WORKER_FORMS = load_forms(Path(schemas))
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _hand_to_forked_workers(forms: dict[str, Form], expected: str | None) -> None:
    """Forms with their readers (and the expected form's model) built, for workers forked next: they
    start with them."""
    global _WORKER_FORMS
    prepare(forms, expected)
    _WORKER_FORMS = forms


def _exit_with_parent() -> None:
    """A run killed outright (kill -9, the task ended) cannot tell its workers to stop: they notice."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    while parent is not None and parent.is_alive():
        time.sleep(0.5)
    os._exit(0)


_Ahead = tuple[str, str | None, CheckResult]  # (sha256 of the bytes checked, form id, result without the form)


def _precheck(paths: list[str]) -> list[_Ahead | None]:
    """In a worker: the files' hashes and their checks."""
    return [_check_ahead(Path(p), _WORKER_FORMS) for p in paths]


def _check_ahead(path: Path, forms: dict[str, Form]) -> _Ahead | None:
    """The file's hash and its check (without the form, which does not travel well between processes)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    result = check_file(path, forms, data)
    form_id = result.form.id if result.form is not None else None
    result.form = None
    return hashlib.sha256(data).hexdigest(), form_id, result


def _start_method() -> str:
    """Forked where that is safe (Linux): a worker is ready at once, where a spawned one first starts
    Python and imports the readers again (~0.25 s of a 1.5 s run of 1,000 returns). The workspace lock
    a forked worker inherits it lets go of at once (``workspace._forget_in_child``). Elsewhere
    (Windows, macOS) spawned."""
    import multiprocessing
    import sys

    linux = sys.platform.startswith("linux")
    return "fork" if linux and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _workers_can_start(method: str = "spawn") -> bool:
    """Whether a worker can start. A forked one always. For a spawned one, multiprocessing leaves a
    ``__main__`` module alone when it was run by module name (``python -m collector``, or a zip such
    as the console-script launcher on Windows), and otherwise runs the main script again by its path —
    which must then be a real file. Anything else (an interactive session, a frozen program): the
    main process checks every file."""
    import sys

    if method == "fork":
        return True

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and (spec.name == "__main__" or spec.name.endswith(".__main__")):
        return True
    path = getattr(main, "__file__", None)
    return bool(path) and os.path.isfile(path)


@dataclass
class _Chunk:
    """Files handed to the workers as one task."""

    paths: list[str]  # str, not Path: looked up for every file, and a Path hashes slowly
    future: Any


class _Prechecks:
    """Reading and checking is most of ingest's work and needs nothing from the ledger: worker
    processes do it ahead for a large inbox, a few files per task, while this process records, moves
    and writes receipts in arrival order. When this process would wait for a worker, it checks the
    first task no worker has started yet itself instead: the one it will need soonest (a task from
    the far end would leave its files' own part, in arrival order, all for the end, after the
    workers are done). A result is used only for the very bytes this process then reads (same hash);
    anything else — a changed file, a failed worker — is checked here as usual."""

    def __init__(self, workspace: Workspace, files: list[Path], forms: dict[str, Form],
                 expected: str | None = None) -> None:
        self.pool: Any = None
        self.chunk_of: dict[str, _Chunk] = {}  # tasks not collected yet
        self.queue: list[_Chunk] = []  # tasks in the order handed out
        self.started = 0  # every task before this one in the queue is started or collected
        self.results: dict[str, _Ahead | None] = {}  # collected, not asked for yet
        candidates = [p for p in files if is_spreadsheet_name(p.name) and not is_temp_file(p.name)
                      and not is_system_file(p.name)]
        # this process keeps a core for its own part (ledger, moves, receipts), and checks files itself
        # whenever it would wait
        workers = int(os.environ.get("COLLECTOR_WORKERS") or min(4, (os.cpu_count() or 1) - 1))
        method = _start_method()
        if len(candidates) < PARALLEL_MIN or workers < 1 or not _workers_can_start(method):
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        frozen = method == "fork"
        if frozen:
            _hand_to_forked_workers(forms, expected)
            # what the workers inherit, the garbage collector leaves alone: else each full collection
            # in a worker writes to every inherited object, copying the pages the processes shared
            gc.freeze()
        try:
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                                            initializer=_worker_start, initargs=(str(workspace.schemas),))
            for i in range(0, len(candidates), CHUNK):  # the workers start with the first task
                paths = [str(p) for p in candidates[i : i + CHUNK]]
                chunk = _Chunk(paths, self.pool.submit(_precheck, paths))
                self.queue.append(chunk)
                self.chunk_of.update(dict.fromkeys(paths, chunk))
        except (OSError, RuntimeError):  # no processes to be had here: check in this process
            self.close()
        finally:
            if frozen:
                gc.unfreeze()

    def __enter__(self) -> _Prechecks:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(interrupted=exc_type is not None)

    def __bool__(self) -> bool:
        return bool(self.chunk_of or self.results)

    def close(self, interrupted: bool = False) -> None:
        """Stop the workers. Interrupted (Ctrl-C, an error), they are ended at once rather than waited
        for: they only read and check, and waiting on a pool mid-interrupt can hang."""
        if self.pool is not None:
            if interrupted:
                manager = getattr(self.pool, "_executor_manager_thread", None)
                for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                    process.terminate()
                self.pool.shutdown(wait=False, cancel_futures=True)
                if manager is not None:
                    # the pool's own thread closes its pipes as it ends: let it end now, not while the
                    # interpreter exits (Python 3.11 may then write to a pipe being closed, and print
                    # "Exception ignored … Bad file descriptor" after our message)
                    manager.join(timeout=10)
            else:
                self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.chunk_of = {}
        self.queue = []
        self.started = 0
        self.results = {}

    def _collect(self, chunk: _Chunk, forms: dict[str, Form]) -> None:
        """The task's results: checked here if no worker has started it, else the worker's (waited for)."""
        if chunk.future.cancel():
            found = [_check_ahead(Path(p), forms) for p in chunk.paths]
        else:
            try:
                found = chunk.future.result()
            except Exception:  # a worker that died or failed: the caller checks these files itself
                found = [None] * len(chunk.paths)
        for path in chunk.paths:
            del self.chunk_of[path]
        self.results.update(zip(chunk.paths, found))

    def _steal(self, forms: dict[str, Form]) -> bool:
        """Check the first task no worker has started yet, here; False if there is none."""
        while self.started < len(self.queue):
            chunk = self.queue[self.started]
            self.started += 1
            if chunk.paths[0] in self.chunk_of and not (chunk.future.running() or chunk.future.done()):
                self._collect(chunk, forms)
                return True
        return False

    def get(self, path: Path, sha: str, forms: dict[str, Form]) -> CheckResult | None:
        """The check of the file, if it was made ahead of the very bytes now read (``sha``)."""
        key = str(path)
        if key not in self.results:
            chunk = self.chunk_of.get(key)
            if chunk is None:
                return None
            while not chunk.future.done() and self._steal(forms):
                pass
            if key not in self.results:  # not the very task just checked here
                self._collect(chunk, forms)
        done = self.results.pop(key)
        if done is None or done[0] != sha or (done[1] is not None and done[1] not in forms):
            return None
        _, form_id, result = done
        result.form = forms[form_id] if form_id is not None else None
        return result


def _inbox_files(workspace: Workspace) -> list[Path]:
    """Files in the inbox (and its subfolders), oldest first."""
    found = []
    for dirpath, dirnames, filenames in os.walk(workspace.inbox):
        dirnames.sort()
        for name in filenames:
            path = Path(dirpath) / name
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                continue
            found.append((mtime, str(path), path))
    return [p for _, _, p in sorted(found)]


def _relative(path: Path, base: Path) -> str | None:
    """``path`` inside ``base`` as a/b.xlsx (as given, else resolved: links and ``..``), or None."""
    text, prefix = str(path), os.path.join(str(base), "")
    if text.startswith(prefix) and ".." not in text:  # the common case, without pathlib (several per file)
        return text[len(prefix):].replace(os.sep, "/")
    for candidate in (path, None):
        try:
            return (candidate or path.resolve()).relative_to(base).as_posix()
        except ValueError:
            continue
    return None


def _now() -> str:
    return datetime.now().isoformat(timespec="microseconds")


def _pause() -> None:
    if _PAUSE:
        time.sleep(_PAUSE)


def _make_durable() -> None:
    """Rows (the ledger's WAL), receipts and renames on disk. Where there is no ``os.sync`` (Windows),
    the ledger syncs every commit itself and copies are synced as they are written."""
    if hasattr(os, "sync"):
        os.sync()


def _unlink_if_same(path: Path, sha: str) -> bool:
    """Remove ``path`` from the inbox if it still holds these bytes (a copy of them is in place);
    False if it could not be removed now (open in another program)."""
    try:
        if _sha256_file(path) == sha:
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


def _numbered(name: str, n: int) -> str:
    """``name`` itself (n = 1), else ``stem (n).suffix``: how a second file of the same name is kept."""
    if n == 1:
        return name
    stem, suffix = os.path.splitext(name)
    return f"{stem} ({n}){suffix}"


def _free_name(path: Path) -> Path:
    """``path``, or ``name (2)`` … beside it if that is taken."""
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(_numbered(path.name, n))
    return candidate


def _sha256_file(path: Path | str) -> str | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return None


@dataclass
class _Pending:
    """A committed row whose original is still to be moved into place."""

    file_id: int
    source: Path
    st: os.stat_result  # of the source when it was read
    data: bytes
    sha256: str
    stored: Path


class _Run:
    """The state of one ingest pass."""

    def __init__(self, workspace: Workspace, config: Config, forms: dict[str, Form], roster: Roster, ledger: Ledger,
                 period: str | None, result: IngestResult, on_file: OnFile | None) -> None:
        self.ws = workspace
        self.config = config
        self.forms = forms
        self.form = forms[config.form]
        self.roster = roster
        self.ledger = ledger
        self.period = period
        self.result = result
        self.on_file = on_file
        self.deadlines = {**self.form.deadlines, **config.deadlines}
        self.pending: list[_Pending] = []
        self.settling = SETTLING_SECONDS
        self.prechecks: _Prechecks | None = None
        # paths as str: looked up for every file, and a Path hashes slowly
        self.reserved: set[str] = set()  # destinations of this batch, not yet moved there
        self.stuck: set[str] = set()  # taken in already, but could not be moved out of the inbox yet
        self.folders_made: set[str] = set()
        self.folders: dict[tuple[str, str | None], Path] = {}
        self.date_field = next((h for h in self.form.header if "日期" in h or "时间" in h), None)

    # -- paths ----------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        """A path as the ledger keeps it: relative to the workspace (which may then move)."""
        return _relative(path, self.ws.root) or str(path)

    def abs(self, rel: str) -> Path:
        path = Path(rel)
        return path if path.is_absolute() else self.ws.root / path

    def _destination(self, folder: Path, name: str, sha: str) -> Path:
        """``folder/name``, or ``name (2)`` … when another file has that name (or a file of this batch
        is to be moved there); the same bytes reuse theirs."""
        n, base = 1, str(folder)
        while True:
            candidate = os.path.join(base, _numbered(name, n))
            if candidate not in self.reserved and (not os.path.exists(candidate) or _sha256_file(candidate) == sha):
                self.reserved.add(candidate)
                return Path(candidate)
            n += 1

    def _folder(self, state: str, period: str | None) -> Path:
        """Where an accepted, returned or held original goes (worked out once per state and period)."""
        key = (state, period)
        folder = self.folders.get(key)
        if folder is None:
            if state == "held":
                folder = self.ws.held
            else:
                folder = (self.ws.archive if state == "accepted" else self.ws.returned) / (period or NO_PERIOD)
            self.folders[key] = folder
        return folder

    def _make_folder(self, folder: Path | str) -> None:
        """Make ``folder`` (and its parents) if this run has not made it yet."""
        key = str(folder)
        if key not in self.folders_made:
            os.makedirs(key, exist_ok=True)
            self.folders_made.add(key)

    # -- steps ----------------------------------------------------------------------------------

    def emit(self, outcome: FileOutcome) -> None:
        self.result.outcomes.append(outcome)
        if self.on_file is not None:
            self.on_file(outcome)

    def clear_staging(self) -> None:
        """Our own half-made copies from an interrupted run (the originals are still in place)."""
        if self.ws.staging.is_dir():
            for leftover in self.ws.staging.iterdir():
                if leftover.is_file():
                    leftover.unlink()

    def complete_unfinished(self) -> None:
        """Finish what an interrupted run left: rows committed whose original may still be in place."""
        rows = self.ledger.unfinished_moves()
        if not rows:
            return
        for row in rows:
            if row.receipt_path and not self.abs(row.receipt_path).exists():
                text = receipt_from_ledger(self.ws, self.ledger, row, self.forms, self.config.office)
                write_receipt(self.abs(row.receipt_path), text)
                if row.state == "returned" and row.stored_path:
                    write_receipt(beside_path(self.abs(row.stored_path)), text)
        _make_durable()
        finished = []
        for row in rows:
            assert row.id is not None
            source = self.abs(row.inbox_path)
            stored = self.abs(row.stored_path) if row.stored_path else None
            if stored is None or stored == source:
                finished.append(row.id)
                continue
            try:
                data, st = source.read_bytes(), source.stat()
            except OSError:  # moved already (or taken away by the clerk)
                finished.append(row.id)
                continue
            if hashlib.sha256(data).hexdigest() != row.sha256:
                # another file under the same name: a new arrival for this pass; ours is in place
                # unless the crash came before its move, when the bytes recorded are gone from here
                finished.append(row.id)
                continue
            if self._move_into_place(_Pending(row.id, source, st, data, row.sha256, stored)):
                finished.append(row.id)
            else:
                self.stuck.add(str(source))
        _make_durable()
        self.ledger.mark_moved(finished)
        self.result.completed = len(rows)

    def flush(self) -> None:
        """Commit this batch's rows and make them durable, move the originals into place, make that
        durable, mark them moved."""
        self.ledger.commit()
        if not self.pending:
            return
        _make_durable()
        _pause()
        moved = [p.file_id for p in self.pending if self._move_into_place(p)]
        _make_durable()
        self.ledger.mark_moved(moved)
        self.pending.clear()
        self.reserved.clear()

    def _move_into_place(self, p: _Pending) -> bool:
        """Rename the original to where its row says; False if it must be tried again by the next run.

        Only the very file that was read is moved: a file replaced meanwhile stays in the inbox (a new
        arrival for the next pass) and the bytes read are written in its place instead."""
        if os.path.exists(p.stored) and _sha256_file(p.stored) == p.sha256:  # in place already (copied, or a crash)
            return _unlink_if_same(p.source, p.sha256)
        self._make_folder(os.path.dirname(p.stored))
        try:
            now = p.source.stat()
        except FileNotFoundError:
            now = None
        if now is None or (now.st_size, now.st_mtime_ns, now.st_ino) != (p.st.st_size, p.st.st_mtime_ns, p.st.st_ino):
            self._write_copy(p)
            return True
        try:
            os.replace(p.source, p.stored)
        except OSError as exc:
            # another disk (EXDEV), or the file is open in another program (Windows): copy the bytes
            # read into place; the original leaves the inbox once it can (this run or the next)
            self._write_copy(p)
            return exc.errno == errno.EXDEV and _unlink_if_same(p.source, p.sha256)
        _pause()
        if _sha256_file(p.stored) != p.sha256:
            # replaced in the instant between the look and the rename: give it back to the inbox
            os.replace(p.stored, _free_name(p.source))
            self._write_copy(p)
        return True

    def _write_copy(self, p: _Pending) -> None:
        """The bytes read, put in place via a staged file (a crash leaves no half copy in place)."""
        self._make_folder(self.ws.staging)
        staged = self.ws.staging / f"{p.sha256[:16]}{p.stored.suffix.lower()}"
        with open(staged, "wb") as stream:
            stream.write(p.data)
            if not hasattr(os, "sync"):  # pragma: no cover - Windows
                stream.flush()
                os.fsync(stream.fileno())
        os.utime(staged, ns=(p.st.st_atime_ns, p.st.st_mtime_ns))
        try:
            os.replace(staged, p.stored)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.move(staged, p.stored)

    def _store(self, record: FileRecord, source: Path, data: bytes, st: os.stat_result, folder: Path,
               values: dict[str, Any] | None = None, cells: dict[str, str | None] | None = None,
               problems: list[ProblemRow] | None = None, receipt: ReceiptInput | None = None) -> FileOutcome:
        """Write the receipt and commit the row; the original is moved into place with its batch."""
        self._make_folder(folder)
        dest = self._destination(folder, Path(record.name).name, record.sha256)
        record.stored_path = self.rel(dest)
        receipt_file = None
        if receipt is not None:
            receipt_file = receipt_path(self.ws, record)
            record.receipt_path = self.rel(receipt_file)
            text = receipt_text(receipt)
            write_receipt(receipt_file, text)
            if record.state == "returned":
                write_receipt(beside_path(dest), text)
        _pause()
        file_id = self.ledger.record(record, values, problems, cells=cells, commit=False)  # committed with its batch
        _pause()
        self.pending.append(_Pending(file_id, source, st, data, record.sha256, dest))
        if len(self.pending) >= _BATCH:
            self.flush()
        return FileOutcome(
            name=record.name, state=record.state, unit=record.unit, period=record.period, reason=record.reason,
            receipt=receipt_file, stored=dest, version=record.version, file_id=file_id,
            errors=sum(1 for p in problems or [] if p.level == "error"),
            warnings=sum(1 for p in problems or [] if p.level == "warning"),
        )

    # -- one file ------------------------------------------------------------------------------

    def take(self, path: Path) -> None:
        """One file from the inbox."""
        name = path.name
        if is_system_file(name):
            return
        try:
            st = path.stat()
            data = path.read_bytes()
        except FileNotFoundError:
            return  # gone meanwhile (a temp file renamed): nothing arrived
        except OSError as exc:
            self.emit(FileOutcome(self._name(path), "waiting", reason=f"暂时无法读取（{exc.strerror or exc}），下次再处理"))
            return
        sha = hashlib.sha256(data).hexdigest()
        rel_name = self._name(path)
        if str(path) in self.stuck:
            self.emit(FileOutcome(rel_name, "waiting", reason="已接收，但原文件正被其他程序打开，无法移出收件箱；"
                                  "关闭该文件后再运行 collect ingest 即可"))
            return
        record = FileRecord(id=None, name=rel_name, sha256=sha, size=len(data), arrived_at=_now(), state="ignored",
                            inbox_path=self.rel(path))
        if is_temp_file(name):
            if self.ledger.known_in_place(record.inbox_path, sha):
                return
            record.reason = "Office 锁定文件或临时文件，留在原处"
            record.stored_path = record.inbox_path
            record.moved = 1
            record.id = self.ledger.record(record, commit=False)
            self.emit(FileOutcome(rel_name, "ignored", reason=record.reason, stored=path, file_id=record.id))
            return
        if data:
            # the same bytes again; a held one is looked at afresh (the clerk may have renamed it)
            earlier = [r for r in self.ledger.by_hash(sha)
                       if r.state in ("accepted", "returned", "ignored") and r.stored_path != r.inbox_path]
            if earlier:
                first = earlier[0]
                record.state = "duplicate"
                record.reason = f"与 {first.arrived_at[:16].replace('T', ' ')} 收到的“{first.name}”（{STATE_NAMES[first.state]}）完全相同"
                record.unit, record.period, record.form = first.unit, first.period, first.form
                self.emit(self._store(record, path, data, st, self.ws.ignored))
                return
        if not is_spreadsheet_name(name):
            record.reason = "不是电子表格（.xlsx / .xls），已另放"
            self.emit(self._store(record, path, data, st, self.ws.ignored))
            return
        checked = self.prechecks.get(path, sha, self.forms) if self.prechecks else None
        if checked is None:
            checked = check_file(path, self.forms, data)
        if checked.error_code in ("unreadable", "empty") and time.time() - st.st_mtime < self.settling:
            self.emit(FileOutcome(rel_name, "waiting", reason="刚放入且暂时打不开（可能还在写入），过几秒再运行 collect ingest 即可处理"))
            return
        self.emit(self._judge(record, path, data, st, checked))

    def reexamine(self, held: FileRecord) -> None:
        """A held return, looked at again with today's roster; settled if the unit is now known."""
        source = self.abs(held.stored_path or "")
        try:
            st = source.stat()
            data = source.read_bytes()
        except OSError:
            return  # the clerk took it away
        if hashlib.sha256(data).hexdigest() != held.sha256:
            return
        checked = check_file(source, self.forms, data)
        record = FileRecord(id=None, name=held.name, sha256=held.sha256, size=held.size, arrived_at=held.arrived_at,
                            state="held", inbox_path=self.rel(source))
        verdict = self._verdict(record, checked)
        if verdict == "held":
            return
        outcome = self._judge(record, source, data, st, checked)
        outcome.settled = True
        self.emit(outcome)

    def _name(self, path: Path) -> str:
        """The name a file is known by: its path inside the inbox."""
        return _relative(path, self.ws.inbox) or path.name

    def _period(self, checked: CheckResult, arrived: datetime) -> str:
        if self.period:
            return self.period
        from_template = checked.properties.get("collector.period", "")
        if PERIOD_RE.match(from_template):
            return from_template
        if self.date_field and checked.header:
            day = parse_date(checked.header.get(self.date_field))
            if day is not None:
                return period_for_date(day, self.deadlines)
        return period_for_date(arrived.date(), self.deadlines)

    def _verdict(self, record: FileRecord, checked: CheckResult) -> str:
        """Fill in form, unit, period and state of the record from the check result."""
        record.period = self._period(checked, datetime.fromisoformat(record.arrived_at))
        if checked.form is None:
            record.state = "returned"
            unit, _ = self.roster.in_filename(record.name)
            record.unit = unit.name if unit else None
            record.reason = checked.problems[0].message if checked.problems else "无法读取"
            return record.state
        record.form = checked.form.id
        record.unit_written = checked.unit
        if checked.form.id != self.form.id:
            record.state = "returned"
            unit, _ = self.roster.in_filename(record.name)
            record.unit = unit.name if unit else None
            record.reason = f"报送的是《{checked.form.title}》，不是本次收集的《{self.form.title}》"
            return record.state
        match = self.roster.match(checked.unit, Path(record.name).name,
                                  template_unit=checked.properties.get("collector.unit"))
        if not match.ok:
            record.state = "held"
            record.unit = match.candidates[0].name if len(match.candidates) == 1 else None
            record.reason = match.reason
            return record.state
        assert match.unit is not None
        record.unit = match.unit.name
        errors = checked.errors
        if errors:
            record.state = "returned"
            more = f"等 {len(errors)} 处错误" if len(errors) > 1 else ""
            where = f"{errors[0].cell} " if errors[0].cell else ""
            record.reason = f"{where}{errors[0].message}{more}"
        else:
            record.state = "accepted"
            record.reason = f"提醒 {len(checked.warnings)} 处" if checked.warnings else ""
        return record.state

    def _judge(self, record: FileRecord, source: Path, data: bytes, st: os.stat_result,
               checked: CheckResult) -> FileOutcome:
        state = self._verdict(record, checked)
        problems = problem_rows(checked.problems)
        if checked.form is not None and checked.form.id != self.form.id:
            problems.insert(0, ProblemRow("error", "wrong_form", record.reason + "。请使用下发的原表填写。"))
        if checked.form is not None:
            record.header_json = json.dumps(checked.header, ensure_ascii=False)
        previous = None
        if state == "accepted":
            record.version = self.ledger.next_version(record.unit, record.form, record.period)
            if record.version > 1:
                earlier = [f for f in self.ledger.files(form=record.form, period=record.period)
                           if f.state == "accepted" and f.unit == record.unit]
                previous = earlier[-1] if earlier else None
        folder = self._folder(state, record.period)
        receipt = ReceiptInput(record, checked.form, problems, checked.values, self.config.office, previous)
        # the check's values: every blank of the form, in reading order (empty without a form)
        outcome = self._store(record, source, data, st, folder, checked.values, checked.cells, problems, receipt)
        if state == "accepted" and record.period:
            self.result.periods_changed.add(record.period)
        return outcome


def problem_rows(problems: list[Problem]) -> list[ProblemRow]:
    return [ProblemRow(p.level, p.code, p.message, p.cell, p.key, p.label, p.written) for p in problems]
