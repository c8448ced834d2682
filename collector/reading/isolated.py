"""Reading files from outside so that a hostile one costs that file, never the run.

Two parts:

* ``read_regular`` — the cheap checks before any parser: ``lstat`` first, so that only a regular file
  is ever opened (a FIFO would block the run, ``/dev/zero`` behind a symlink never ends); its size from
  the same ``stat`` before a byte is read (a file above ``MAX_FILE_BYTES`` is hashed by streaming and
  never held in memory); the bytes read and hashed in one pass.
* ``Checker`` — every file is read and checked in a child process with a limit on its address space
  (``RLIMIT_AS``: a reader that would allocate the whole grid of a sheet hits it and fails, instead of
  taking the machine) and a time limit that this process enforces (it kills the child). A child that
  aborts, runs out of memory, is killed or takes too long gives that file the answer ``CRASHED`` and
  is replaced by a fresh one; the files queued behind it are checked as usual. A few children keep
  checking the next files while this process files the ones before (results are asked for, and used,
  in the order of the inbox). This process reads the files ahead (the cheap checks, then the bytes and
  their hash) and hands the children the bytes: a child reads nothing itself, and the caller takes the
  same bytes (``opened``) while the file is still the one read (``still_the_file``). No private
  attribute of ``multiprocessing`` is used: each child is a ``Process`` with a ``Pipe``, waited on
  with ``multiprocessing.connection.wait``.

On Windows there is no ``RLIMIT_AS`` (a job object would be the equivalent): the children run without a
memory limit there, and the time limit still holds.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import queue
import signal
import stat
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..forms.model import Form, load_forms
from .check import CheckResult, Problem, check_file, prepare
from .workbook import MAX_FILE_BYTES

#: the address space a checking child may use: a return of the 20 MB cap is read in well under 300 MB
MEMORY_BYTES = int(os.environ.get("COLLECTOR_READ_MEMORY") or 0) or 2 * 1024**3
#: seconds one file may take to be read and checked (a real return takes milliseconds)
SECONDS = float(os.environ.get("COLLECTOR_READ_SECONDS") or 0) or 60.0
#: the answer for a file whose reading crashed the child, ran out of memory, or took too long
CRASHED = "文件结构异常，无法安全读取。请对方用 Excel 或 WPS 打开后另存为 .xlsx，再重新发送"
CRASHED_CODE = "unsafe_structure"
#: test hook: a child reading a file whose name contains NAME aborts / hangs / exhausts its memory
#: (``abort:NAME``, ``hang:NAME``, ``memory:NAME``; several separated by commas)
_FAULT = os.environ.get("COLLECTOR_READ_FAULT", "")
#: files handed to a child in one message (each answered on its own), and at most waiting with it.
#: This process hands out more only when it asks for a result, and it spends most of its time on the
#: files before (ledger, receipts, moves): a child with fewer waiting ran dry meanwhile — 8 waiting,
#: ingest of 1,000 returns took 1.23 s; 32 waiting, 1.08 s (benchmarks/bench_ingest.py)
_CHUNK = 8
_AHEAD_PER_CHILD = 32
_CHUNK_BYTES = 1024 * 1024
#: bytes read ahead and not yet taken, beyond which no more are read (a few files of the size cap)
_AHEAD_BYTES = 64 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# the cheap checks


#: what a directory entry is, when it is not a regular file: the words a clerk reads
NOT_A_FILE = {
    "symlink": "快捷方式（符号链接），不是文件本身，未打开",
    "fifo": "管道（FIFO），不是文件，未打开",
    "socket": "套接字，不是文件，未打开",
    "device": "设备文件，不是普通文件，未打开",
    "directory": "文件夹，不是文件",
    "other": "特殊文件，不是普通文件，未打开",
}


def entry_kind(st: os.stat_result) -> str | None:
    """What an entry is by its ``lstat`` (a key of ``NOT_A_FILE``), or None for a regular file."""
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISDIR(mode):
        return "directory"
    return "other"


@dataclass
class Opened:
    """A regular file as read: its ``stat`` (of the open file), bytes (None above the cap) and hash."""

    st: os.stat_result
    data: bytes | None
    sha256: str

    @property
    def size(self) -> int:
        return self.st.st_size if self.data is None else len(self.data)


class NotRegular(OSError):
    """The entry is not a regular file (any more): nothing was read."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_regular(path: Path | str, max_bytes: int = MAX_FILE_BYTES) -> Opened:
    """The bytes and hash of the regular file at ``path``; a file above ``max_bytes`` only hashed,
    by streaming. Raises ``NotRegular`` for anything else (without opening it: ``lstat`` first; opened
    without following a link and without blocking, and checked again once open), ``OSError`` as the
    system says."""
    st = os.lstat(path)
    kind = entry_kind(st)
    if kind is not None:
        raise NotRegular(kind)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        kind = entry_kind(st)
        if kind is not None:  # swapped for something else between the look and the open
            raise NotRegular(kind)
        digest = hashlib.sha256()
        if st.st_size > max_bytes:
            with os.fdopen(os.dup(fd), "rb") as stream:
                digest = hashlib.file_digest(stream, "sha256")
            return Opened(st, None, digest.hexdigest())
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, _CHUNK_BYTES)
            if not chunk:
                break
            chunks.append(chunk)
            digest.update(chunk)
            total += len(chunk)
            if total > max_bytes:  # grew while being read: hash the rest, keep none of it
                with os.fdopen(os.dup(fd), "rb") as stream:
                    while piece := stream.read(_CHUNK_BYTES):
                        digest.update(piece)
                return Opened(os.fstat(fd), None, digest.hexdigest())
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return Opened(st, data, digest.hexdigest())
    finally:
        os.close(fd)


def still_the_file(path: Path | str, st: os.stat_result, *, changed_at: bool = False) -> bool:
    """Whether ``path`` is still the very file whose ``fstat`` was ``st`` when it was read: the same
    file on the same disk, neither grown nor written since (a file put in its place is another file:
    its bytes need not be read to tell); ``changed_at``: nor renamed, linked or its mode changed either
    (its change time; a rename of the file itself changes that too)."""
    try:
        now = os.lstat(path)
    except OSError:
        return False
    same = (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return same and (not changed_at or now.st_ctime_ns == st.st_ctime_ns)


def too_large(path: Path, size: int) -> CheckResult:
    """The answer for a file above the cap (never read, never parsed)."""
    message = f"文件过大（{size // (1024 * 1024)} MB），统计表不会这么大，未读取。"
    return CheckResult(file=path, problems=[Problem("error", "too_large", message)], error_code="too_large")


def crashed(path: Path) -> CheckResult:
    """The answer for a file whose reading did not end well in its child."""
    return CheckResult(file=path, problems=[Problem("error", CRASHED_CODE, CRASHED + "。")],
                       error_code=CRASHED_CODE)


# ---------------------------------------------------------------------------------------------
# the children


_INHERITED: dict[str, dict[str, Form]] = {}  # forms by schemas folder, prepared before a fork
_PARENT_ENDS: list[Connection] = []  # this process's ends of its children's pipes


def _child(conn: Connection, schemas: str, memory: int) -> None:
    """A checking child: lists of (key, path, bytes) in, for each file (key, form id, result without its
    form) out, until None or until the parent is gone (its end of the pipe closed)."""
    for end in _PARENT_ENDS:  # forked: the parent's ends of every pipe, which would keep ours open
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the children
    _quiet()
    _limit_memory(memory)
    # what a forked child shares with this process the collector leaves alone: a collection would
    # otherwise write to every inherited object and copy the pages the processes share
    gc.freeze()
    forms = _INHERITED.get(schemas) or load_forms(Path(schemas))
    tasks: queue.SimpleQueue[list[tuple[str, str, bytes]] | None] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(conn, tasks), daemon=True).start()
    while (task := tasks.get()) is not None:
        for key, path, data in task:
            _fault(path)
            try:
                result = check_file(Path(path), forms, data)
            except MemoryError:
                result = crashed(Path(path))
            form_id = result.form.id if result.form is not None else None
            result.form = None  # a form does not travel well between processes: the parent has its own
            result.encode()  # as the ledger keeps them: work the parent need not do
            try:
                conn.send((key, form_id, result))
            except OSError:  # the parent is gone
                return


def _receive(conn: Connection, tasks: queue.SimpleQueue[list[tuple[str, str, bytes]] | None]) -> None:
    """Take in every message as soon as it comes. The parent's send of a file's bytes must never wait
    for this process to finish a file: it could be waiting in turn for the parent to take a result
    off the pipe (a return with many problems, several of them), and each would wait for the other."""
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            task = None
        tasks.put(task)
        if task is None:
            return


def _quiet() -> None:
    """Nothing a child says reaches the clerk's screen or log: a reader that aborts prints its own
    English line ("memory allocation of … bytes failed"); the parent says what it means instead."""
    import faulthandler

    faulthandler.disable()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # pragma: no cover - no devnull: leave it
        pass


def _limit_memory(memory: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no RLIMIT_AS; the time limit still holds
        return
    # the budget is on top of what the child already has: a child forked from a large process (a long
    # test run, a parent with many threads' malloc arenas) starts with that process's address space,
    # and an absolute limit below it would fail every allocation — every good return "crashed"
    memory += _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    if soft == resource.RLIM_INFINITY or memory < soft:
        resource.setrlimit(resource.RLIMIT_AS, (memory, hard))


def _address_space() -> int:
    """This process's address space in bytes (0 where the system does not say)."""
    try:
        with open("/proc/self/statm", "rb") as stream:
            return int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _fault(path: str) -> None:
    """The test hook (``COLLECTOR_READ_FAULT``)."""
    for rule in _FAULT.split(",") if _FAULT else ():
        what, _, name = rule.partition(":")
        if not name or name not in Path(path).name:
            continue
        if what == "abort":
            os.abort()
        if what == "hang":
            time.sleep(3600)
        if what == "memory":
            hoard = []
            while True:
                hoard.append(bytearray(64 * 1024 * 1024))


@dataclass
class _Task:
    key: str
    path: Path
    data: bytes
    sha256: str  # of ``data``


@dataclass
class _Child:
    process: Any
    conn: Connection
    tasks: deque[_Task] = field(default_factory=deque)  # handed over, not answered yet; the first is being read
    since: float = 0.0  # when it began the first of them


class Checker:
    """Files checked in limited child processes, ahead of when they are asked for (see the module doc).

    ``plan`` names the files about to be asked for, in order; ``check`` gives the result for the very
    bytes given (read ahead if they were the bytes read ahead, else now), ``CRASHED`` for a file that
    a child did not survive. ``workers`` children at most, started when first needed; ``workers=0``:
    every file checked in this process (where no child can start: an interactive session on Windows)."""

    def __init__(self, forms: dict[str, Form], schemas: Path, *, expected: str | None = None,
                 workers: int = 1, memory: int = MEMORY_BYTES, seconds: float = SECONDS) -> None:
        self.forms = forms
        self.schemas = str(schemas)
        self.expected = expected
        self.workers = workers
        self.memory = memory
        self.seconds = seconds
        self.children: list[_Child] = []
        self.planned: deque[Path] = deque()
        self.planned_keys: set[str] = set()
        self.handed: dict[str, int] = {}  # key → how many of its tasks are with a child
        self.read_ahead: dict[str, Opened] = {}  # key → the file as read ahead, until the caller takes it
        self.ahead_bytes = 0
        self.done: dict[str, tuple[str, str | None, CheckResult]] = {}  # key → (sha, form id, result)
        self.crashes = 0

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def plan(self, paths: list[Path]) -> None:
        """The files that will be asked for, in that order: read and checked ahead."""
        if self.workers:
            self.planned.extend(paths)
            self.planned_keys.update(str(p) for p in paths)

    def opened(self, path: Path) -> Opened:
        """The regular file at ``path``, read: as read ahead if it is still that very file (same file,
        size, modification and change times), else now (``read_regular``: raises as it does)."""
        ahead = self.read_ahead.pop(str(path), None)
        if ahead is not None:
            self.ahead_bytes -= len(ahead.data or b"")
            if still_the_file(path, ahead.st, changed_at=True):
                return ahead
        return read_regular(path)

    def check(self, path: Path, data: bytes, sha256: str) -> CheckResult:
        """The check of these bytes of ``path``."""
        if not self.workers:
            return check_file(path, self.forms, data)
        key = str(path)
        found = self._wait_for(key)
        if found is None or found[0] != sha256:  # not read ahead, or changed since: these very bytes now
            self._start([_Task(key, path, data, sha256)])
            found = self._wait_for(key)
        assert found is not None
        _, form_id, result = found
        result.form = self.forms.get(form_id) if form_id else None
        return result

    def close(self) -> None:
        """End the children (they only read and check: nothing of theirs is lost)."""
        for child in self.children:
            try:
                child.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for child in self.children:
            child.process.join(max(0.0, deadline - time.monotonic()))
            if child.process.is_alive():
                child.process.kill()
                child.process.join()
            self._forget(child)
        self.children = []
        self.planned.clear()
        self.planned_keys.clear()
        self.handed.clear()
        self.done.clear()
        self.read_ahead.clear()
        self.ahead_bytes = 0

    # -- the pool ---------------------------------------------------------------------------------

    def _spawn(self) -> _Child:
        if _INHERITED.get(self.schemas) is not self.forms:
            # a forked child starts with this pass's forms, their readers and the collected form's model
            # built here once (a spawned one loads them); only this pass's are kept (a week-long watch
            # loads the forms afresh every pass; the caches are keyed by form id)
            prepare(self.forms, self.expected)
            _INHERITED.clear()
            _INHERITED[self.schemas] = self.forms
        parent_end, child_end = multiprocessing.Pipe()
        _PARENT_ENDS.append(parent_end)
        process = multiprocessing.Process(target=_child, args=(child_end, self.schemas, self.memory), daemon=True)
        process.start()
        child_end.close()
        child = _Child(process, parent_end)
        self.children.append(child)
        return child

    def _forget(self, child: _Child) -> None:
        if child.conn in _PARENT_ENDS:
            _PARENT_ENDS.remove(child.conn)
        child.conn.close()

    def _has_room(self) -> bool:
        if self.ahead_bytes > _AHEAD_BYTES and any(c.tasks for c in self.children):
            return False  # enough read ahead (an idle pool is fed all the same: never a standstill)
        return len(self.children) < self.workers or any(len(c.tasks) < _AHEAD_PER_CHILD for c in self.children)

    def _start(self, tasks: list[_Task]) -> None:
        """Hand ``tasks`` (one message) to an idle child, a new one while there are fewer than
        ``workers``, else to the one with the fewest files."""
        child = min(self.children, key=lambda c: len(c.tasks), default=None)
        if child is None or (child.tasks and len(self.children) < self.workers):
            child = self._spawn()
        try:
            child.conn.send([(t.key, str(t.path), t.data) for t in tasks])
        except OSError:  # died meanwhile: noticed by _collect, and these files handed on then
            pass
        if not child.tasks:
            child.since = time.monotonic()
        child.tasks.extend(tasks)
        for task in tasks:
            self.handed[task.key] = self.handed.get(task.key, 0) + 1

    def _feed(self) -> None:
        """Read the planned files and hand their bytes to the children with room. A file that is not a
        regular one, cannot be read, is empty or too large is not read ahead: the caller finds out."""
        while self.planned and self._has_room():
            tasks = []
            while self.planned and len(tasks) < _CHUNK:
                path = self.planned.popleft()
                key = str(path)
                self.planned_keys.discard(key)
                try:
                    opened = read_regular(path)
                except OSError:
                    continue
                if not opened.data:
                    continue
                self.read_ahead[key] = opened
                self.ahead_bytes += len(opened.data)
                tasks.append(_Task(key, path, opened.data, opened.sha256))
            if tasks:
                self._start(tasks)

    def _wait_for(self, key: str) -> tuple[str, str | None, CheckResult] | None:
        """The result for ``key`` once a child gives it; None if it is neither planned nor handed out."""
        while key not in self.done:
            if not self.handed.get(key) and key not in self.planned_keys:
                return None
            self._feed()
            self._collect()
        return self.done.pop(key)

    def _answered(self, child: _Child, found: tuple[str, str | None, CheckResult]) -> None:
        task = child.tasks.popleft()
        self.handed[task.key] -= 1
        if not self.handed[task.key]:
            del self.handed[task.key]
        self.done[task.key] = (task.sha256, found[1], found[2])
        child.since = time.monotonic()

    def _collect(self) -> None:
        """Wait for any child to answer, die or run out of time; take what it gives."""
        busy = [c for c in self.children if c.tasks]
        if not busy:
            return
        timeout = max(0.0, min(c.since for c in busy) + self.seconds - time.monotonic())
        ready = set(wait([c.conn for c in busy] + [c.process.sentinel for c in busy], timeout))
        for child in busy:
            if child.conn in ready:
                try:
                    while child.tasks and child.conn.poll():
                        self._answered(child, child.conn.recv())
                    continue
                except (EOFError, OSError):
                    pass  # it died: told below
            if child.process.sentinel in ready or time.monotonic() - child.since >= self.seconds:
                self._lost(child)

    def _lost(self, child: _Child) -> None:
        """A child that died or took too long over its first file: that file's answer is CRASHED; the
        files handed to it after that go to another child."""
        if child.process.is_alive():
            child.process.kill()
        child.process.join()
        self._forget(child)
        self.children.remove(child)
        self.crashes += 1
        if child.tasks:
            first = child.tasks.popleft()
            self._answered_lost(first)
        for task in child.tasks:
            self.handed[task.key] -= 1
            self._start([task])

    def _answered_lost(self, task: _Task) -> None:
        self.handed[task.key] -= 1
        if not self.handed[task.key]:
            del self.handed[task.key]
        self.done[task.key] = (task.sha256, None, crashed(task.path))


def default_workers() -> int:
    """Children checking at once: one per core, at most four (``COLLECTOR_WORKERS`` overrides). Checking
    is most of the work; this process's own part (ledger, receipts, moves) mostly waits on the disk."""
    return int(os.environ.get("COLLECTOR_WORKERS") or 0) or max(1, min(4, os.cpu_count() or 1))


def can_start_children() -> bool:
    """Whether a child can start: a forked one always; a spawned one (Windows, macOS) needs the main
    module run by name (``python -m collector``, the console-script launcher) or found again by its path."""
    if multiprocessing.get_start_method(allow_none=False) == "fork":
        return True
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and (spec.name == "__main__" or spec.name.endswith(".__main__")):
        return True
    path = getattr(main, "__file__", None)
    return bool(path) and os.path.isfile(path)


def file_sha256(path: Path | str) -> str | None:
    """The hash of a regular file's bytes, by streaming; None for anything else or if it cannot be read."""
    try:
        st = os.lstat(path)
        if entry_kind(st) is not None:
            return None
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as stream:
            if entry_kind(os.fstat(stream.fileno())) is not None:
                return None
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError:
        return None


def check_paths(paths: list[Path], forms: dict[str, Form], schemas: Path) -> list[CheckResult]:
    """``collect check``: each file by the cheap checks, then read and checked in a limited child."""
    workers = (default_workers() if len(paths) > 1 else 1) if can_start_children() else 0
    results = []
    with Checker(forms, schemas, workers=workers) as checker:
        checker.plan([Path(p) for p in paths])
        for path in map(Path, paths):
            results.append(_check_one(checker, path))
    return results


def _check_one(checker: Checker, path: Path) -> CheckResult:
    from .workbook import os_error_text

    try:
        opened = checker.opened(path)
    except NotRegular as exc:
        message = f"这是{NOT_A_FILE[exc.kind]}。"
        return CheckResult(file=path, problems=[Problem("error", "not_a_file", message)], error_code="not_a_file")
    except OSError as exc:
        message = f"无法读取文件：{os_error_text(exc)}"
        return CheckResult(file=path, problems=[Problem("error", "unreadable", message)], error_code="unreadable")
    if opened.data is None:
        return too_large(path, opened.size)
    if not opened.data:
        return check_file(path, checker.forms, opened.data)  # says it is empty
    return checker.check(path, opened.data, opened.sha256)
