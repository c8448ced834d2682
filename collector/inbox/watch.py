"""Watch ``inbox/`` and take each file in as soon as it is complete.

A watchdog observer (or a polling one, for network shares where change events do not arrive) reports
files created, changed or renamed into the inbox — Excel saves to a temp file and renames it, so the
rename's destination is what counts. A file is taken only once it is complete: its size and mtime
unchanged for ``settle`` seconds and, for .xlsx, its zip directory readable; for an .xls, every sector
its compound-file header and FAT name present (``compound_file_complete``).
A periodic rescan of the inbox is the safety net for missed events. Each pass is an ordinary
``ingest`` of the ready files, under the workspace lock; if an overnight run holds the lock, the files
wait for the next tick. Ctrl-C (or ``stop``) ends the watch cleanly between passes.
"""

from __future__ import annotations

import logging
import os
import signal
import struct
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..errors import RunLocked
from ..reading.workbook import OLE_MAGIC, compound_file_complete
from .ingest import FileOutcome, OnFile, ingest, is_system_file, is_temp_file
from .outcomes import needs_attention
from .roster import load_roster
from .workspace import Workspace, check_period

#: a file that stays unreadable this long after its last change is taken as it is (and sent back)
GIVE_UP_SECONDS = 10.0


@dataclass
class WatchResult:
    """What the watch took in before it stopped."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    passes: int = 0

    @property
    def needs_attention(self) -> bool:
        """Something for the clerk, as ingest says it (its exit 1)."""
        return needs_attention(self.outcomes)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    changed_at: float


class _Handler(FileSystemEventHandler):
    """Collects the paths that events name; the watch loop decides when they are complete."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox
        self.lock = threading.Lock()
        self.paths: set[Path] = set()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        raw = getattr(event, "dest_path", "") or event.src_path
        path = Path(os.fsdecode(raw))
        with self.lock:
            self.paths.add(path)

    def drain(self) -> set[Path]:
        with self.lock:
            paths, self.paths = self.paths, set()
        return paths


def is_complete(path: Path) -> bool:
    """Whether the file is whole as what it claims to be: a zip with its directory, a compound file
    (.xls) with every sector its header and FAT name."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
            if not head:
                return False
            if head.startswith(b"PK"):
                with zipfile.ZipFile(stream) as archive:
                    archive.infolist()
                return True
            if head == OLE_MAGIC:
                return compound_file_complete(stream, os.fstat(stream.fileno()).st_size)
        return True
    except (OSError, zipfile.BadZipFile, ValueError, struct.error):
        return False


def _silence_watchdog() -> None:
    """watchdog logs its own English lines (at shutdown, a benign race: "InotifyEmitter.queue_events()
    called when the thread is inactive"); with no logging set up, Python prints them on the clerk's
    screen. What the watch means is said by this module, in Chinese; watchdog's words go nowhere."""
    logger = logging.getLogger("watchdog")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False


def watch(
    workspace: Workspace,
    *,
    polling: bool = False,
    settle: float = 0.5,
    rescan: float = 60.0,
    tick: float = 0.1,
    period: str | None = None,
    on_file: OnFile | None = None,
    on_ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> WatchResult:
    """Watch the inbox until ``stop`` is set (or Ctrl-C); ``on_file`` hears of every file taken in."""
    if period is not None:
        check_period(period)
    workspace.config()  # a missing workspace is said now, not at the first file
    load_roster(workspace)
    workspace.inbox.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    result = WatchResult()
    handler = _Handler(workspace.inbox)
    _silence_watchdog()
    observer = PollingObserver(timeout=1.0) if polling else Observer()
    observer.schedule(handler, str(workspace.inbox), recursive=True)
    restore = _catch_signals(stop)
    seen: dict[Path, _Seen] = {}
    observer.start()
    try:
        last_scan = 0.0
        ready_called = False
        while not stop.is_set():
            now = time.monotonic()
            candidates = handler.drain()
            if now - last_scan >= rescan or not ready_called:
                candidates |= _scan(workspace.inbox)
                last_scan = now
            for path in candidates:
                if path not in seen and _wanted(path, workspace.inbox):
                    seen[path] = _Seen(-1, -1, now)
            ready = _ready(seen, settle, now)
            if ready:
                try:
                    outcome_list: list[FileOutcome] = []

                    def hear(outcome: FileOutcome) -> None:
                        outcome_list.append(outcome)
                        if outcome.state != "waiting" and on_file is not None:
                            on_file(outcome)

                    ingest(workspace, period=period, on_file=hear, paths=ready, lock_wait=0.0, settling=0.0)
                    result.passes += 1
                    result.outcomes += [o for o in outcome_list if o.state != "waiting"]
                    for path in ready:
                        if path.exists():  # left for later (still arriving): watch it again
                            seen[path] = _Seen(-1, -1, time.monotonic())
                        else:
                            seen.pop(path, None)
                except RunLocked:
                    for path in ready:  # another run has the workspace: try again shortly
                        seen[path] = _Seen(-1, -1, time.monotonic())
            if not ready_called:
                ready_called = True
                if on_ready is not None:
                    on_ready()
            stop.wait(tick)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join(timeout=5)
        restore()
    return result


def _wanted(path: Path, inbox: Path) -> bool:
    name = path.name
    if is_system_file(name) or is_temp_file(name):
        return False  # lock and temp files come and go; the next ingest records any that stay
    try:
        path.relative_to(inbox)
    except ValueError:
        return False
    return True


def _scan(inbox: Path) -> set[Path]:
    found = set()
    for dirpath, _, filenames in os.walk(inbox):
        for name in filenames:
            found.add(Path(dirpath) / name)
    return found


def _ready(seen: dict[Path, _Seen], settle: float, now: float) -> list[Path]:
    """Files whose size and mtime have held still for ``settle`` seconds and that open whole."""
    ready = []
    for path, state in list(seen.items()):
        try:
            st = path.stat()
        except FileNotFoundError:
            del seen[path]  # renamed away or taken in by another pass
            continue
        except OSError:
            continue
        if not path.is_file():
            del seen[path]
            continue
        if (st.st_size, st.st_mtime_ns) != (state.size, state.mtime_ns):
            seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)
            continue
        quiet = now - state.changed_at
        if quiet >= settle and (is_complete(path) or quiet >= GIVE_UP_SECONDS):
            ready.append(path)
    return sorted(ready, key=lambda p: (seen[p].mtime_ns, str(p)))


def _catch_signals(stop: threading.Event) -> Callable[[], None]:
    """Ctrl-C (and SIGTERM) set ``stop``, so a pass in progress finishes its files; main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}

    def handler(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            pass

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
