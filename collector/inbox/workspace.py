"""A workspace: the folder a clerk works in, and its config.

Layout (the repository root is itself a workspace)::

    collector.toml     config: form, office name, deadlines per period
    units.csv          the roster: 单位,地区,别名
    inbox/             returned files are dropped here
    outbox/            what goes out: consolidated reports, receipts (回执/), blank templates (空白表/)
    archive/           accepted originals, unchanged, by period
    returned/          returns sent back, each beside its receipt
    held/              returns held for a decision (待确认)
    ignored/           files set aside that are not returns (never deleted)
    logs/              the overnight run's log
    collector.sqlite3  the ledger: every file received, every value, every problem
    collect.lock       held while a command takes files in (ingest, watch, run)
    .collector-tmp/    copies being made (only ever our own copies; cleared on the next run)
    schemas/           (optional) the workspace's own form files

Periods: every return belongs to one — ``YYYY-MM`` (the 安全生产月 is ``2020-06``), ``YYYY-Www`` for
weekly reports, ``YYYY-H1``/``YYYY-H2`` for half-year campaigns. ``period_for_date`` maps a date
(填报日期, or the arrival day) to the configured period it belongs to.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import RunLocked, UsageError, WorkspaceError, os_reason, storage_error
from ..names import safe_file_name  # noqa: F401  (where the reports have always found it)

if TYPE_CHECKING:
    from ..forms.importer import ImportResult

CONFIG_NAME = "collector.toml"
LEDGER_NAME = "collector.sqlite3"
LOCK_NAME = "collect.lock"
ROSTER_NAMES = ("units.csv", "units.xlsx")
ROSTER_HEADER = "单位,地区,别名"
#: a return dated this long after a period's deadline still belongs to that period (late returns)
LATE_GRACE = timedelta(days=31)
#: … for a weekly report, two days (after that the next week's report is due)
WEEKLY_GRACE = timedelta(days=2)

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2]|W(0[1-9]|[1-4]\d|5[0-3])|H[12])$")


def check_period(period: str) -> str:
    """``2020-06``, ``2020-W25``, ``2020-H2``; anything else is a usage error (which says the period
    meant, when the text is another way of writing one: “是不是 2020-06？”)."""
    if not PERIOD_RE.match(period):
        meant = normalize_period(period)
        if meant is not None:
            raise UsageError(f"期间“{period}”格式不对：是不是 {meant}？")
        raise UsageError(f"期间“{period}”格式不对：应为 YYYY-MM（如 2020-06）、YYYY-Www（如 2020-W25）或 YYYY-H1/H2。")
    return period


#: a period as a clerk types it → (year, month / week / half)
_PERIOD_SPELLINGS = [
    (re.compile(r"(\d{4})(?:[-./年]?)(0[1-9]|1[0-2])月?"), "{0}-{1:02d}"),  # 202006, 2020-06, 2020年06月
    (re.compile(r"(\d{4})[-./年]([1-9])月?"), "{0}-{1:02d}"),  # 2020-6, 2020年6月, 2020.6
    (re.compile(r"(\d{4})[-年]?(?:W|第)(\d{1,2})周?"), "{0}-W{1:02d}"),  # 2020W25, 2020-w25, 2020年第25周
    (re.compile(r"(\d{4})[-年]?(?:H1|上半年)"), "{0}-H1"),
    (re.compile(r"(\d{4})[-年]?(?:H2|下半年)"), "{0}-H2"),
]


def normalize_period(text: str) -> str | None:
    """The period ``text`` means, written the one way (``2020-6``, ``2020年6月``, ``202006``,
    ``2020.06``, ``2020/06``, ``２０２０－０６ `` → ``2020-06``); None when it means none."""
    folded = unicodedata.normalize("NFKC", str(text)).strip().upper().replace(" ", "")
    folded = folded.replace("/", "-")
    for pattern, shape in _PERIOD_SPELLINGS:
        match = pattern.fullmatch(folded)
        if match:
            numbers = [int(g) for g in match.groups()]
            period = shape.format(*numbers)
            return period if PERIOD_RE.match(period) else None
    return None


def parse_period(text: str) -> str:
    """A period as the clerk typed it, in its one spelling; a usage error when it means none."""
    return check_period(normalize_period(text) or text)


def period_start(period: str) -> date:
    """The first day a period covers."""
    year, rest = int(period[:4]), period[5:]
    if rest.startswith("W"):
        return date.fromisocalendar(year, int(rest[1:]), 1)
    if rest.startswith("H"):
        return date(year, 1 if rest == "H1" else 7, 1)
    return date(year, int(rest), 1)


_DATE_RE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*(?:[-./月]\s*(\d{1,2}))?")


def parse_date(text: str | None) -> date | None:
    """填报日期 as units write it: 2020-06-28, 2020年6月28日, 2020.6.28, 2020/6/28, 2020年6月; else None."""
    if not text:
        return None
    text = str(text).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial date that lost its format
        serial = int(float(text))
        if 30000 <= serial <= 60000:
            return date(1899, 12, 30) + timedelta(days=serial)
        return None
    match = _DATE_RE.search(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
    except ValueError:
        return None


def period_for_date(day: date, deadlines: dict[str, date]) -> str:
    """The period a return dated ``day`` belongs to.

    A configured period (one with a deadline) claims the days from its start until a month after its
    deadline (two days for a week), so a late return still counts for it; when several claim the day, the one whose deadline
    is nearest wins. Otherwise the calendar: the ISO week when the workspace's periods are weekly,
    else the month.
    """
    claiming = [
        (abs((day - deadline).days), period)
        for period, deadline in deadlines.items()
        if period_start(period) <= day <= deadline + (WEEKLY_GRACE if period[5:].startswith("W") else LATE_GRACE)
    ]
    if claiming:
        return min(claiming)[1]
    if any(p[5:].startswith("W") for p in deadlines):
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


@dataclass
class Config:
    """What ``collector.toml`` says."""

    form: str
    office: str = ""
    contact: str = ""
    phone: str = ""
    deadlines: dict[str, date] = field(default_factory=dict)

    def to_toml(self) -> str:
        """A new ``collector.toml`` saying this, with a comment on each line for the clerk. Written by a
        TOML library: whatever the office's name holds (a quote, a backslash), the file reads back."""
        import tomlkit

        doc = tomlkit.document()
        doc.add(tomlkit.comment("collector 工作目录配置。修改后保存即可生效。"))
        for key, value, words in (
            ("form", self.form, "收集的统计表（schemas/ 中的 id）"),
            ("office", self.office, "本单位名称，汇总表的“填报单位”"),
            ("contact", self.contact, "汇总表的联系人"),
            ("phone", self.phone, "汇总表的电话"),
        ):
            item = tomlkit.item(value)
            item.comment(words)
            doc.add(key, item)
        doc.add(tomlkit.nl())
        table = tomlkit.table()
        table.add(tomlkit.comment("各期间的报送截止日期：期间 = 日期"))
        for period, day in sorted(self.deadlines.items()):
            table.add(period, day)
        doc.add("deadlines", table)
        text = tomlkit.dumps(doc)
        return text if text.endswith("\n") else text + "\n"


@dataclass
class Workspace:
    """Paths of a workspace, and its config once read. (The paths are worked out once: ingest asks for
    them for every file.)"""

    root: Path

    @cached_property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @cached_property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @cached_property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @cached_property
    def receipts(self) -> Path:
        return self.outbox / "回执"

    @cached_property
    def archive(self) -> Path:
        return self.root / "archive"

    @cached_property
    def returned(self) -> Path:
        return self.root / "returned"

    @cached_property
    def held(self) -> Path:
        return self.root / "held"

    @cached_property
    def ignored(self) -> Path:
        return self.root / "ignored"

    @cached_property
    def logs(self) -> Path:
        return self.root / "logs"

    @cached_property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_NAME

    @cached_property
    def schemas(self) -> Path:
        return self.root / "schemas"

    @cached_property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    @cached_property
    def staging(self) -> Path:
        """Where copies are made before they are moved into place (our own files only)."""
        return self.root / ".collector-tmp"

    @property
    def roster_path(self) -> Path | None:
        for name in ROSTER_NAMES:
            if (self.root / name).is_file():
                return self.root / name
        return None

    def folders(self) -> list[Path]:
        return [self.inbox, self.outbox, self.receipts, self.archive, self.returned, self.held, self.ignored, self.logs]

    def config(self) -> Config:
        """Read ``collector.toml``; a missing or broken config is a WorkspaceError."""
        if not self.config_path.is_file():
            raise WorkspaceError(not_a_workspace(self.root))
        try:
            data = tomllib.loads(self.config_path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise WorkspaceError(f"配置文件无法读取：{os_reason(exc)}。", path=str(self.config_path)) from exc
        except UnicodeDecodeError as exc:
            raise WorkspaceError("配置文件不是 UTF-8 编码；请用记事本打开，另存为 UTF-8。",
                                 path=str(self.config_path)) from exc
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            where = f"第 {line.group(1)} 行" if line else "其中有一处"
            raise WorkspaceError(
                f"配置文件{where}写法不对（常见原因：文字两边的英文引号 \"\" 缺了一个，或文字里有引号、反斜杠 \\）。"
                "请用记事本改正；也可以把它改名留存，再运行 collect init 重新生成。",
                path=str(self.config_path),
            ) from exc
        if not isinstance(data.get("form"), str) or not data["form"]:
            raise WorkspaceError(f"配置文件 {self.config_path} 缺少 form（统计表编号）。")
        deadlines = {}
        for period, value in (data.get("deadlines") or {}).items():
            if not PERIOD_RE.match(period) or not isinstance(value, date):
                raise WorkspaceError(f"配置文件 {self.config_path} 的 deadlines 中“{period} = {value}”格式不对。")
            deadlines[period] = value
        return Config(
            form=data["form"],
            office=str(data.get("office", "")),
            contact=str(data.get("contact", "")),
            phone=str(data.get("phone", "")),
            deadlines=deadlines,
        )


def open_workspace(root: Path | None) -> Workspace:
    """The workspace at ``root`` (default: the current directory)."""
    return Workspace((root or Path.cwd()).resolve())


def nearest_workspaces(root: Path) -> list[Path]:
    """Workspaces near ``root``: the nearest folder above it with a ``collector.toml``, then the folders
    right inside it that have one."""
    found = []
    for parent in root.parents:
        if (parent / CONFIG_NAME).is_file():
            found.append(parent)
            break
    try:
        found += sorted(child for child in root.iterdir() if child.is_dir() and (child / CONFIG_NAME).is_file())
    except OSError:
        pass
    return found


def not_a_workspace(root: Path) -> str:
    """What to tell a clerk who ran a command outside a workspace: where the nearest one is."""
    text = f"{root} 不是工作目录（没有 {CONFIG_NAME}）。"
    near = nearest_workspaces(root)
    if near:
        def shown(path: Path) -> str:
            try:
                relative = os.path.relpath(path, root)
            except ValueError:  # another drive (Windows)
                relative = str(path)
            return f'"{relative}"' if " " in relative else relative

        names = "、".join(shown(p) for p in near[:3])
        return text + f"附近的工作目录：{names}。请先 cd {shown(near[0])}，或在命令后加 -w {shown(near[0])}。"
    return text + "请先 cd 到工作目录，或在命令后加 -w 工作目录；还没有工作目录时运行：collect init 目录名 --form 表格编号。"


def configured_form_id(workspace: Workspace) -> str:
    """The form ``collector.toml`` names, checked against the forms there are (a mistyped id is a
    WorkspaceError: nothing can run on it)."""
    from ..forms.model import load_forms

    config = workspace.config()
    forms = load_forms(workspace.schemas)
    if config.form not in forms:
        known = "、".join(f"{f.id}（{f.title}）" for f in forms.values())
        raise WorkspaceError(f"配置文件中的统计表编号“{config.form}”不存在；请改为以下之一：{known}",
                             path=str(workspace.config_path))
    return config.form


def update_config(workspace: Workspace, **changes: object) -> Config:
    """Change keys of ``collector.toml`` (``deadlines``: periods to set, others kept), keeping the
    clerk's comments and layout; written whole or not at all."""
    import tomlkit

    workspace.config()  # a broken file is said, not overwritten
    path = workspace.config_path
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8-sig"))
        for key, value in changes.items():
            if key == "deadlines":
                table = doc.get("deadlines")
                if table is None:
                    table = tomlkit.table()
                    doc.add("deadlines", table)
                for period, day in sorted(dict(value).items()):  # type: ignore[call-overload]
                    table[check_period(period)] = day
            else:
                doc[key] = value
        with staged_file(workspace.root, ".toml") as tmp:
            text = tomlkit.dumps(doc)
            tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
            os.replace(tmp, path)
    except OSError as exc:
        raise storage_error(exc, "写配置文件", path) from exc
    return workspace.config()


# ---------------------------------------------------------------------------------------------
# making a workspace


@dataclass
class InitResult:
    """What ``init_workspace`` made, and what was already there (and left alone)."""

    workspace: Workspace
    created: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    config: Config | None = None
    imported: ImportResult | None = None  # the form made from the blank (init --from)
    #: the deadlines the form brings with it
    form_deadlines: dict[str, date] = field(default_factory=dict)
    #: the period whose deadline was set in an existing config
    deadline_set: str | None = None

    def past_deadlines(self, today: date | None = None) -> dict[str, date]:
        """The form's own deadlines the workspace has taken over and that are over already (the plan
        was made for another year, most likely) — when they are all it has."""
        today = today or date.today()
        deadlines = self.config.deadlines if self.config is not None else {}
        if self.deadline_set or any(self.form_deadlines.get(p) != d for p, d in deadlines.items()):
            return {}
        return {p: d for p, d in deadlines.items() if d < today}


def init_workspace(root: Path, form_id: str | None, office: str = "", *, from_blank: Path | None = None,
                   period: str | None = None, deadline: date | None = None) -> InitResult:
    """Make the folders, ``collector.toml`` and an empty roster; never overwrite anything.

    ``from_blank``: the blank table that came down; its form is made (``schemas/<id>.toml``) and collected.
    ``period`` with ``deadline``: the period this workspace collects and its deadline, in place of the
    form's bundled ones (a form with no date field, a plan from another year); in a workspace that
    has its config already, that one period's deadline is set in it."""
    from ..forms.model import load_forms

    if (period is None) != (deadline is None):
        raise UsageError("--period 和 --deadline 要一起写，如：--period 2020-06 --deadline 2020-06-30。")
    if period is not None:
        period = check_period(period)
    workspace = Workspace(Path(root).resolve())
    imported = _form_from_blank(workspace, from_blank, form_id) if from_blank is not None else None
    form_id = imported.form.id if imported is not None else form_id
    forms = load_forms(workspace.schemas)
    if form_id not in forms:
        known = "、".join(f"{f.id}（{f.title}）" for f in forms.values())
        raise UsageError(f"没有编号为“{form_id}”的统计表。可用的有：{known}")
    form = forms[form_id]
    result = InitResult(workspace, form_deadlines=dict(form.deadlines))
    try:
        workspace.root.mkdir(parents=True, exist_ok=True)
        for folder in workspace.folders():
            (result.existing if folder.is_dir() else result.created).append(folder)
            folder.mkdir(parents=True, exist_ok=True)
        deadlines = {period: deadline} if period is not None and deadline is not None else dict(form.deadlines)
        config = Config(form=form.id, office=office, deadlines=deadlines)
        if workspace.config_path.exists():
            if period is not None:
                update_config(workspace, deadlines={period: deadline})
                result.deadline_set = period
            else:
                result.existing.append(workspace.config_path)
        else:
            _write_new(workspace.config_path, config.to_toml().encode("utf-8"))
            result.created.append(workspace.config_path)
        if workspace.roster_path is not None:
            result.existing.append(workspace.roster_path)
        else:
            # UTF-8 with BOM, so that Excel on a Chinese Windows opens it right
            _write_new(workspace.root / ROSTER_NAMES[0], (ROSTER_HEADER + "\r\n").encode("utf-8-sig"))
            result.created.append(workspace.root / ROSTER_NAMES[0])
    except OSError as exc:
        raise storage_error(exc, f"在 {workspace.root} 建立工作目录") from exc
    result.config = workspace.config()
    result.imported = imported
    return result


def _form_from_blank(workspace: Workspace, blank: Path, form_id: str | None) -> ImportResult:
    """The blank's form, written into the workspace's schemas/ (an existing different file is left alone: an error)."""
    from ..reading.blank import import_blank, save_form

    if form_id is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", form_id):
        raise UsageError(f"表格编号“{form_id}”不对：只能用小写字母、数字和“-”，如 aqscy-2021。")
    imported = import_blank(blank, form_id)
    save_form(imported, workspace.schemas)
    return imported


@contextmanager
def staged_file(folder: Path, suffix: str) -> Iterator[Path]:
    """A temporary file beside where a file is going (so that the final rename is atomic), readable
    by colleagues like any new file; gone afterwards unless the caller renamed it into place."""
    handle, name = tempfile.mkstemp(dir=folder, prefix=".~", suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        readable_by_all(path)
        yield path
    finally:
        if path.exists():
            path.unlink()


def readable_by_all(path: Path) -> None:
    """As a new file would be (the umask decides): mkstemp's 0600 would hide a report or a blank form
    from colleagues on a shared folder."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path``; if it appeared meanwhile, leave it alone."""
    try:
        with open(path, "xb") as stream:
            stream.write(data)
    except FileExistsError:
        pass


# ---------------------------------------------------------------------------------------------
# the lock


class WorkspaceLock:
    """An exclusive lock on the workspace, held while files are taken in.

    An OS file lock (``fcntl.flock`` / ``msvcrt.locking``) on ``collect.lock``: the system releases it
    when the process ends, however it ends (``kill -9`` included), so a lock is never left stale. The
    file says who holds it, in its first bytes; on Windows the lock covers one byte far past them
    (``LOCK_BYTE``), because Windows refuses to read a byte range another process has locked — the
    second run reads the holder's name and says who it is. Re-entrant within one process (``run``
    holds it while ``ingest`` runs).
    A forked child (ingest's worker processes) lets go of its copy at once (``_forget_in_child``), so
    that a worker orphaned by a killed run never holds the lock against the next one.
    """

    _held: dict[Path, int] = {}
    _streams: dict[Path, IO[bytes]] = {}

    def __init__(self, workspace: Workspace, *, wait: float = 0.0, purpose: str = "collect") -> None:
        self.path = workspace.lock_path
        self.wait = wait
        self.purpose = purpose
        self._stream: IO[bytes] | None = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        key = self.path
        if self._held.get(key):
            self._held[key] += 1
            return
        try:
            stream = open(self.path, "a+b")
        except OSError as exc:
            raise WorkspaceError(f"无法建立锁文件 {self.path}：{os_reason(exc)}。") from exc
        deadline = time.monotonic() + self.wait
        while True:
            if _try_lock(stream):
                break
            if time.monotonic() >= deadline:
                holder = _holder(stream) or "另一个进程"
                stream.close()
                raise RunLocked(f"工作目录正被占用（{holder}），本次不运行。请等它结束后再试。", path=str(self.path))
            time.sleep(0.05)
        try:
            stream.seek(0)
            stream.truncate()
            tail = f"，进程 {os.getpid()}，开始于 {datetime.now():%Y-%m-%d %H:%M:%S}".encode()
            purpose = self.purpose.encode()[: HOLDER_BYTES - len(tail)].decode("utf-8", "ignore").encode()
            stream.write(purpose + tail)  # within HOLDER_BYTES, cut between characters
            stream.flush()
        except OSError as exc:  # a full disk
            _unlock(stream)
            try:
                stream.close()
            except OSError:  # the holder's words could not be written: nothing is lost
                pass
            raise storage_error(exc, "写锁文件", self.path) from exc
        self._stream = stream
        self._held[key] = 1
        self._streams[key] = stream

    def release(self) -> None:
        key = self.path
        count = self._held.get(key, 0)
        if count > 1:
            self._held[key] = count - 1
            return
        self._held.pop(key, None)
        self._streams.pop(key, None)
        if self._stream is not None:
            try:
                self._stream.seek(0)
                self._stream.truncate()
                self._stream.flush()
            except OSError:
                pass
            _unlock(self._stream)
            self._stream.close()
            self._stream = None


#: the holder's name is written in the lock file's first bytes, at most this many
HOLDER_BYTES = 1024
#: the byte the OS lock is taken on where the lock covers a byte range (Windows): far past the name,
#: so that another process can read who holds the lock
LOCK_BYTE = 1 << 20


def _holder(stream: IO[bytes]) -> str:
    """Who holds the lock, as the holder wrote it (outside the locked range); "" if it cannot be read."""
    try:
        stream.seek(0)
        return stream.read(HOLDER_BYTES).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _forget_in_child() -> None:
    """In a forked child: close its copies of the held locks' files, without unlocking — an flock
    belongs to the open file shared with the parent, which keeps it until its own copy is closed."""
    for stream in WorkspaceLock._streams.values():
        try:
            stream.close()  # its buffer is empty (flushed when the lock was taken): only the fd goes
        except OSError:
            pass
    WorkspaceLock._streams.clear()
    WorkspaceLock._held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(stream: IO[bytes]) -> bool:
        # msvcrt.locking locks from the descriptor's position: one byte at LOCK_BYTE (past the end of
        # the file, which Windows allows), never the name's bytes
        try:
            stream.seek(LOCK_BYTE)
            msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(stream: IO[bytes]) -> None:
        try:
            stream.seek(LOCK_BYTE)
            msvcrt.locking(stream.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(stream: IO[bytes]) -> bool:
        try:  # flock locks the file as a whole and never stops another process reading it
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(stream: IO[bytes]) -> None:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
        except OSError:
            pass
