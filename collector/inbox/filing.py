"""The crash-safe filing of what ingest took in: record → commit → rename → mark moved.

For every file: its receipt is written and its row recorded (``moved = 0``); a batch of rows is
committed together, each file whole; once the rows and receipts are durable, each original is renamed
into the place its row names (if it is still the very file that was read), the renames are made
durable, and the rows are marked ``moved``. A run first completes whatever an interrupted one left
(``moved = 0``), so a ``kill -9`` at any moment and a re-run give the same result as an undisturbed
run. A rename, not a copy: the original is moved unchanged, and no second file is written for it.

Durable means on disk before anything depends on it: the ledger commits with ``synchronous=FULL``;
the receipts and copies written and the folders whose entries changed are synced with each batch
(``Durable``) — on Linux by one ``syncfs`` of the workspace's disk, elsewhere by an fsync of each
file, by a few threads while the run goes on. Never the whole machine (``os.sync`` would wait for
every disk, network share and USB stick on it).
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import storage_error
from ..names import safe_file_name
from ..reading.isolated import NotRegular, file_sha256, read_regular, still_the_file
from ..reading.problem import Problem
from .arrivals import relative
from .ledger import FileRecord, Ledger
from .receipts import NO_PERIOD, beside_path, write_receipt
from .workspace import Workspace

#: files whose rows are made durable, then their originals moved into place, together
BATCH = 64

#: test hooks: seconds to sleep between the steps of each file, and the batch size (crash tests)
_PAUSE = float(os.environ.get("COLLECTOR_INGEST_PAUSE", "0") or 0)
_BATCH = int(os.environ.get("COLLECTOR_INGEST_BATCH", "0") or 0) or BATCH


def pause() -> None:
    if _PAUSE:
        time.sleep(_PAUSE)


class Durable:
    """Make what was written durable when asked (``wait``), before anything depends on it.

    On Linux, ``wait`` is one ``syncfs`` per disk that holds a file or folder named since the last
    wait: the workspace's disk, not the whole machine. A batch of 64 returns then costs one journal
    commit instead of an fsync of each receipt (~0.15 ms of system time each: ingest of 1,000 returns
    took 6-11 % longer with them, ``benchmarks/bench_ingest.py``). Elsewhere (Windows, macOS: no
    ``syncfs``) each file is fsync'd in the background as it is written (a few files per job, so that
    the threads are woken seldom), and the folders when asked."""

    #: files fsync'd per background job
    GROUP = 8

    def __init__(self, whole_disk: bool | None = None) -> None:
        #: ``syncfs`` per disk (None: where the system has it)
        self.whole_disk = _syncfs() is not None if whole_disk is None else whole_disk
        self.pool: ThreadPoolExecutor | None = None
        self.pending: list[Future[None]] = []
        self.files: list[str] = []  # written, not handed to a thread yet
        self.folders: set[str] = set()

    def file(self, path: Path | str) -> None:
        """A file just written (and closed): durable at the next ``wait``."""
        self.folder(os.path.dirname(path))
        if self.whole_disk:
            return  # its disk is synced with its folder's
        self.files.append(str(path))
        if len(self.files) >= self.GROUP:
            self._hand_over(self.files, folders=False)
            self.files = []

    def folder(self, path: Path | str) -> None:
        """A folder in which an entry was made, renamed or removed."""
        self.folders.add(str(path))

    def wait(self) -> None:
        """Everything named so far on disk."""
        if self.whole_disk:
            folders, self.folders = self.folders, set()
            _sync_disks(folders)
            return
        if self.files:
            self._hand_over(self.files, folders=False)
            self.files = []
        if self.folders and sys.platform != "win32":  # a folder cannot be opened to be synced on Windows
            folders = sorted(self.folders)
            for i in range(0, len(folders), self.GROUP):
                self._hand_over(folders[i : i + self.GROUP], folders=True)
        self.folders.clear()
        pending, self.pending = self.pending, []
        for future in pending:
            future.result()

    def _hand_over(self, paths: list[str], folders: bool) -> None:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(4, thread_name_prefix="fsync")
        self.pending.append(self.pool.submit(_fsync_all, paths, folders))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


_SYNCFS: list[Callable[[int], int] | None] = []  # found once: libc's syncfs, or None


def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(fd)``: writes out one file system (the one ``fd`` is on), waits for it."""
    if not _SYNCFS:
        found = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                found = ctypes.CDLL(None, use_errno=True).syncfs
                found.argtypes = [ctypes.c_int]
                found.restype = ctypes.c_int
            except (OSError, AttributeError):  # no such libc function (a libc older than 2.14)
                found = None
        _SYNCFS.append(found)
    return _SYNCFS[0]


def _sync_disks(folders: set[str]) -> None:
    """``syncfs`` once for each disk the folders are on (a folder gone meanwhile: its disk is synced
    by another, or nothing of it is left to sync)."""
    syncfs = _syncfs()
    assert syncfs is not None
    disks: dict[int, str] = {}
    for folder in sorted(folders):
        try:
            disks.setdefault(os.stat(folder).st_dev, folder)
        except OSError:
            continue
    for folder in disks.values():
        try:
            fd = os.open(folder, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            if syncfs(fd) != 0:
                import ctypes

                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), folder)
        finally:
            os.close(fd)


def _fsync_all(paths: list[str], folders: bool) -> None:
    for path in paths:
        _fsync(path, folders)


def _fsync(path: str, folder: bool) -> None:
    flags = os.O_RDONLY if folder or sys.platform != "win32" else os.O_RDWR | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:  # moved on already (a copy staged and renamed): its folder is synced
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Pending:
    """A recorded row whose original is still to be moved into place."""

    file_id: int
    source: Path
    st: os.stat_result  # of the source when it was read (by lstat for an entry that is not a file)
    data: bytes | None  # the bytes read; None above the size cap, or for an entry that is not a file
    sha256: str
    stored: Path
    entry: bool = False  # not a regular file (a symlink, a FIFO…): renamed as it is, never opened


class Filing:
    """Where each file goes, and getting it there safely (see the module doc)."""

    def __init__(self, workspace: Workspace, ledger: Ledger) -> None:
        self.ws = workspace
        self.ledger = ledger
        self.durable = Durable()
        self.pending: list[Pending] = []
        # paths as str: looked up for every file, and a Path hashes slowly
        self.reserved: set[str] = set()  # destinations of this batch, not yet moved there
        self.stuck: set[str] = set()  # taken in already, but could not be moved out of the inbox yet
        self.folders_made: set[str] = set()
        self.folders: dict[tuple[str, str | None], Path] = {}

    # -- paths ----------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        """A path as the ledger keeps it: relative to the workspace (which may then move)."""
        return relative(path, self.ws.root) or str(path)

    def abs(self, rel: str) -> Path:
        return Path(rel if os.path.isabs(rel) else os.path.join(self.ws.root, rel))

    def folder(self, state: str, period: str | None) -> Path:
        """Where an accepted, returned or held original goes (worked out once per state and period)."""
        key = (state, period)
        folder = self.folders.get(key)
        if folder is None:
            if state == "held":
                folder = self.ws.held
            elif state in ("duplicate", "ignored"):
                folder = self.ws.ignored
            else:
                folder = (self.ws.archive if state == "accepted" else self.ws.returned) / (period or NO_PERIOD)
            self.folders[key] = folder
        return folder

    def destination(self, folder: Path, name: str, sha: str) -> Path:
        """``folder/name`` (a safe, short form of the name), or ``name (2)`` … when another file has that
        name (or a file of this batch is to be moved there); the same bytes reuse theirs."""
        name = safe_file_name(name)
        n, base = 1, str(folder)
        while True:
            candidate = os.path.join(base, _numbered(name, n))
            if candidate not in self.reserved and (not os.path.lexists(candidate) or file_sha256(candidate) == sha):
                self.reserved.add(candidate)
                return Path(candidate)
            n += 1

    def make_folder(self, folder: Path | str) -> None:
        """Make ``folder`` (and its parents) if this run has not made it yet."""
        key = str(folder)
        if key not in self.folders_made:
            if not os.path.isdir(key):
                os.makedirs(key, exist_ok=True)
                self.durable.folder(os.path.dirname(key))
            self.folders_made.add(key)

    # -- steps ----------------------------------------------------------------------------------

    def write_receipt(self, path: Path, text: str) -> None:
        write_receipt(path, text)
        self.durable.file(path)

    def record(self, record: FileRecord, source: Path, st: os.stat_result, data: bytes | None,
               values: dict[str, Any] | None = None, cells: dict[str, str | None] | None = None,
               problems: list[Problem] | None = None, entry: bool = False,
               encoded: tuple[bytes | None, bytes | None] = (None, None)) -> int:
        """Record the row (committed with its batch); its original is moved into place with the batch.
        ``record.stored_path`` says where (made with ``destination``)."""
        pause()
        file_id = self.ledger.record(record, values, problems, cells=cells, commit=False, encoded=encoded)
        pause()
        assert record.stored_path is not None
        self.pending.append(Pending(file_id, source, st, data, record.sha256, self.abs(record.stored_path), entry))
        return file_id

    @property
    def full(self) -> bool:
        return len(self.pending) >= _BATCH

    def clear_staging(self) -> None:
        """Our own half-made copies from an interrupted run (the originals are still in place)."""
        if self.ws.staging.is_dir():
            for leftover in self.ws.staging.iterdir():
                if leftover.is_file():
                    leftover.unlink()

    def complete_unfinished(self, rewrite_receipt: Callable[[FileRecord], str]) -> int:
        """Finish what an interrupted run left: rows committed whose original may still be in place.
        ``rewrite_receipt``: a row's receipt text again, from the ledger (for one the crash cut off)."""
        rows = self.ledger.unfinished_moves()
        if not rows:
            return 0
        for row in rows:
            if row.receipt_path and not self.abs(row.receipt_path).exists():
                text = rewrite_receipt(row)
                self.write_receipt(self.abs(row.receipt_path), text)
                if row.state == "returned" and row.stored_path:
                    self.write_receipt(beside_path(self.abs(row.stored_path)), text)
        self.durable.wait()
        finished = []
        for row in rows:
            assert row.id is not None
            source = self.abs(row.inbox_path)
            stored = self.abs(row.stored_path) if row.stored_path else None
            if stored is None or stored == source:
                finished.append(row.id)
                continue
            try:
                opened = read_regular(source)
                pending = Pending(row.id, source, opened.st, opened.data, opened.sha256, stored)
            except NotRegular:  # an entry that is not a file, renamed as it is
                try:
                    pending = Pending(row.id, source, os.lstat(source), None, row.sha256, stored, entry=True)
                except OSError:
                    finished.append(row.id)
                    continue
            except OSError:  # moved already (or taken away by the clerk)
                finished.append(row.id)
                continue
            if pending.sha256 != row.sha256:
                # another file under the same name: a new arrival for this pass; ours is in place
                # unless the crash came before its move, when the bytes recorded are gone from here
                finished.append(row.id)
                continue
            if self._move_into_place(pending):
                finished.append(row.id)
            else:
                self.stuck.add(str(source))
        self.durable.wait()
        self.ledger.mark_moved(finished)
        return len(rows)

    def flush(self) -> None:
        """Commit this batch's rows and make them durable with their receipts, move the originals into
        place, make that durable, mark them moved."""
        self.ledger.commit()
        if not self.pending:
            return
        self.durable.wait()
        pause()
        moved = [p.file_id for p in self.pending if self._move_into_place(p)]
        self.durable.wait()
        self.ledger.mark_moved(moved)
        self.pending.clear()
        self.reserved.clear()

    def close(self) -> None:
        self.durable.close()

    # -- one move ---------------------------------------------------------------------------------

    def _move_into_place(self, p: Pending) -> bool:
        """Rename the original to where its row says; False if it must be tried again by the next run.

        Only the very file that was read is moved: a file replaced meanwhile stays in the inbox (a new
        arrival for the next pass) and the bytes read are written in its place instead."""
        if p.entry:
            return self._move_entry(p)
        if os.path.lexists(p.stored) and file_sha256(p.stored) == p.sha256:  # in place already (copied, or a crash)
            return _unlink_if_same(p.source, p.sha256)
        self.make_folder(os.path.dirname(p.stored))
        if not still_the_file(p.source, p.st):  # changed or replaced since it was read: the bytes read go in place
            self._write_copy(p)
            return True
        try:
            os.replace(p.source, p.stored)
        except OSError as exc:
            # another disk (EXDEV), or the file is open in another program (Windows): copy the bytes
            # read into place; the original leaves the inbox once it can (this run or the next)
            self._write_copy(p)
            return exc.errno == errno.EXDEV and _unlink_if_same(p.source, p.sha256)
        self.durable.folder(p.source.parent)
        self.durable.folder(p.stored.parent)
        pause()
        if not still_the_file(p.stored, p.st):  # renamed: its change time is new
            # replaced in the instant between the look and the rename: give it back to the inbox
            os.replace(p.stored, _free_name(p.source))
            self._write_copy(p)
        return True

    def _move_entry(self, p: Pending) -> bool:
        """An entry that is not a file (a symlink, a FIFO, a socket…) renamed as it is: never opened.
        Where it cannot be renamed (another disk), it stays where it is, and its row says so."""
        try:
            now = os.lstat(p.source)
        except FileNotFoundError:
            return True  # gone (or moved by the interrupted run)
        if (now.st_ino, now.st_mode) != (p.st.st_ino, p.st.st_mode):
            return True  # something else under that name now: a new arrival for the next pass
        self.make_folder(os.path.dirname(p.stored))
        try:
            os.replace(p.source, p.stored)
        except OSError:
            self.ledger.update(p.file_id, stored_path=self.rel(p.source))
            return True
        self.durable.folder(p.source.parent)
        self.durable.folder(p.stored.parent)
        return True

    def _write_copy(self, p: Pending) -> None:
        """The bytes read, put in place via a staged file (a crash leaves no half copy in place). A
        file above the size cap was never held: it is left for the next pass, as a new arrival."""
        if p.data is None:
            return
        staged = self.ws.staging / f"{p.sha256[:16]}{p.stored.suffix.lower()}"
        try:
            self.make_folder(self.ws.staging)
            with open(staged, "wb") as stream:
                stream.write(p.data)
                stream.flush()
                os.fsync(stream.fileno())
            os.utime(staged, ns=(p.st.st_atime_ns, p.st.st_mtime_ns))
            try:
                os.replace(staged, p.stored)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                shutil.move(staged, p.stored)
                self.durable.file(p.stored)
        except OSError as exc:  # a full or read-only disk: the run stops, the re-run finishes the file
            raise storage_error(exc, "把收到的文件复制到位", p.stored) from exc
        self.durable.folder(p.stored.parent)


def _unlink_if_same(path: Path, sha: str) -> bool:
    """Remove ``path`` from the inbox if it still holds these bytes (a copy of them is in place);
    False if it could not be removed now (open in another program)."""
    try:
        if file_sha256(path) == sha:
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
    while os.path.lexists(candidate):
        n += 1
        candidate = path.with_name(_numbered(path.name, n))
    return candidate
