"""Moving a return filed under the wrong period (``collect refile FILE|单位 --period P``).

A return without a 填报日期, or with a mistyped one, can land in the wrong period; dropping it in
again is only a duplicate. ``refile`` moves it: its ledger row gets the new period, the history is
kept in ``refiles`` (from, to, when, where the original was and went), the versions of the unit's
accepted returns in both periods are numbered again as if it had been filed right, and which return
counts follows by itself (each unit's newest accepted return of a period, by arrival).

The original is **moved** too — ``archive/<期间>/`` (or ``returned/<期间>/``) keeps meaning what it says,
so the clerk finds the return where its period is — by a rename inside the workspace, never a copy
left behind and never a deletion. The steps, each safe to repeat:

1. the ledger row and its ``refiles`` row (``moved = 0``, naming both places) in one transaction;
2. the receipt for the new period written (and, for a return sent back, the one beside it);
3. the original renamed to its new place; the renames made durable;
4. our own receipts for the old period removed (they name the wrong period);
5. ``moved = 1``.

A crash anywhere leaves the original at one of the two places the ledger names; the next ``refile``
(or ``ingest``) finishes the move (``complete_refiles``). Before step 1 nothing has changed.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..errors import RefileError, RosterError
from ..forms.model import load_forms
from .ledger import FileRecord, Ledger, RefileRow
from .receipts import NO_PERIOD, beside_path, receipt_from_ledger, receipt_path, write_receipt
from .roster import load_roster
from .workspace import Workspace, WorkspaceLock, check_period

#: the states of a return that can be moved: those with a period folder of their own
MOVABLE = ("accepted", "returned")
_STATE_WORDS = {"accepted": "已接收", "returned": "退回", "held": "待确认", "duplicate": "重复", "ignored": "忽略"}


@dataclass
class RefileResult:
    """What ``refile`` did: the return as it is now, and what counts in the two periods since."""

    record: FileRecord
    from_period: str | None
    to_period: str
    moved: bool = True  # False: it was in that period already, nothing was changed
    from_path: str | None = None  # where the original was (relative to the workspace)
    receipt_removed: str | None = None  # our receipt for the old period, removed
    counts: bool = False  # it is now the return that counts for its unit in to_period
    counted_instead: FileRecord | None = None  # the unit's newer return that counts in to_period instead
    left_behind: FileRecord | None = None  # the unit's return that still counts in from_period
    elsewhere: list[FileRecord] = field(default_factory=list)  # (unit named, nothing to move) its returns of other periods
    completed: int = 0  # moves an interrupted refile left, finished first


def refile(workspace: Workspace, target: str, period: str, *, lock_wait: float = 10.0,
           now: datetime | None = None) -> RefileResult:
    """Move the return ``target`` names — its file name as it arrived, its path in the workspace, or a
    unit (then that unit's newest return) — to ``period``."""
    check_period(period)
    if not workspace.ledger_path.exists():
        raise RefileError("还没有收到过任何文件（没有台账），无可改期间的报表。")
    config = workspace.config()
    with WorkspaceLock(workspace, wait=lock_wait, purpose="collect refile"), Ledger(workspace.ledger_path) as ledger:
        completed = complete_refiles(workspace, ledger)
        record, by_unit = find_return(workspace, ledger, target)
        if record.period == period:
            result = RefileResult(record, period, period, moved=False, completed=completed)
            if by_unit:
                result.elsewhere = [f for f in ledger.files(form=record.form, unit=record.unit)
                                    if f.state in MOVABLE and f.period != period]
            return result
        assert record.id is not None
        stored = _new_place(workspace, record, period)
        receipt = receipt_path(workspace, replace(record, period=period)) if record.receipt_path else None
        at = (now or datetime.now()).isoformat(timespec="seconds")
        row = ledger.refile(record.id, period, at=at, stored_path=stored,
                            receipt_path=_rel(workspace, receipt) if receipt else None)
        _finish(workspace, ledger, row, config.office)
        moved = ledger.get(record.id)
        assert moved is not None
        result = RefileResult(moved, record.period, period, from_path=record.stored_path, completed=completed,
                              receipt_removed=row.from_receipt if row.from_receipt != moved.receipt_path else None)
        if moved.state == "accepted" and moved.form:
            now_counted = {f.unit: f for f in ledger.counted(moved.form, period)}
            result.counts = getattr(now_counted.get(moved.unit), "id", None) == moved.id
            if not result.counts:
                result.counted_instead = now_counted.get(moved.unit)
            if record.period:
                result.left_behind = {f.unit: f for f in ledger.counted(moved.form, record.period)}.get(moved.unit)
        return result


def complete_refiles(workspace: Workspace, ledger: Ledger) -> int:
    """Finish the moves an interrupted refile left (``moved = 0``); how many. Called by ``refile`` and
    ``ingest`` before they begin."""
    rows = ledger.refiles(unfinished=True)
    done = 0
    if rows:
        office = workspace.config().office
        for row in rows:
            try:
                _finish(workspace, ledger, row, office)
                done += 1
            except RefileError:
                continue  # the original cannot be moved yet (open in another program): the next run tries again
    return done


def find_return(workspace: Workspace, ledger: Ledger, target: str) -> tuple[FileRecord, bool]:
    """The return ``target`` names, and whether it was named by its unit. A name several returns
    share, or words that could mean several units, list the choices (``RefileError``)."""
    text = target.strip()
    if not text:
        raise RefileError("请写明要改期间的文件名、存放路径或单位名称。")
    named = ledger.named(text, _as_workspace_paths(workspace, text))
    if named:
        returns: dict[int, FileRecord] = {}
        for f in named:
            if f.state == "duplicate":  # dropped again: the return it repeats
                f = next((o for o in ledger.by_hash(f.sha256) if o.state in MOVABLE), f)
            if f.state in MOVABLE and f.id is not None:
                returns[f.id] = f
        if len(returns) == 1:
            return next(iter(returns.values())), False
        if len(returns) > 1:
            raise RefileError(f"“{text}”对应 {len(returns)} 份报表，请写明是哪一份（用存放路径）：\n"
                              + "\n".join(f"  {_choice(f)}" for f in returns.values()))
        f = named[-1]
        if f.state == "held":
            raise RefileError(f"“{text}”是待确认的文件（{f.reason}），还没有归到哪个单位：请先按回执确认单位"
                              "（collect ingest --alias …），它就会按期间计入；确认后如期间仍不对，再运行 collect refile。")
        raise RefileError(f"“{text}”不是报表（{_STATE_WORDS.get(f.state, f.state)}：{f.reason}），没有期间可改。")
    try:
        unit, could_be = load_roster(workspace).lookup(text)
    except RosterError:
        unit, could_be = None, ()
    if unit is None and could_be:
        raise RefileError(f"“{text}”可能是名单中的：{'、'.join(u.name for u in could_be)}。请写出单位全称。")
    if unit is None:
        raise RefileError(f"没有找到“{text}”：它既不是收到过的文件名或存放路径，也不是名单中的单位。"
                          "请照 collect status 或回执中的文件名、单位名称填写。")
    mine = [f for f in ledger.files(unit=unit.name) if f.state in MOVABLE]
    newest = (max([f for f in mine if f.state == "accepted"] or mine, key=lambda f: (f.arrived_at, f.id or 0))
              if mine else None)
    if newest is None:
        raise RefileError(f"{unit.name} 还没有报送过报表，没有可改期间的表。")
    return newest, True


def refile_command(record: FileRecord, period: str) -> str:
    """The command that moves ``record`` to ``period``, to be typed as shown (quoted when needed)."""
    target = record.stored_path or record.name
    if any(ch in target for ch in " ()（）&;'\"<>|$`"):
        target = f'"{target}"'
    return f"collect refile {target} --period {period}"


def _choice(f: FileRecord) -> str:
    when = f.received[:16].replace("T", " ")
    return (f"{f.stored_path}（{f.unit or '单位未定'}，{f.period or NO_PERIOD}，"
            f"{_STATE_WORDS.get(f.state, f.state)}，收到 {when}）")


def _as_workspace_paths(workspace: Workspace, text: str) -> set[str]:
    """``text`` as the ledger keeps paths (relative to the workspace, with /), however it was typed:
    relative to the workspace, relative to the current folder, or absolute."""
    found = {text.replace("\\", "/").removeprefix("./")}
    for candidate in (Path(text), Path.cwd() / text):
        try:
            found.add(candidate.resolve().relative_to(workspace.root.resolve()).as_posix())
        except (ValueError, OSError):
            continue
    return found


def _rel(workspace: Workspace, path: Path) -> str:
    try:
        return path.relative_to(workspace.root).as_posix()
    except ValueError:
        return str(path)


def _abs(workspace: Workspace, rel: str) -> Path:
    path = Path(rel)
    return path if path.is_absolute() else workspace.root / path


def _new_place(workspace: Workspace, record: FileRecord, period: str) -> str | None:
    """Where the original goes in ``period``'s folder: the name it is stored under (made safe for a
    file name when it was taken in), or ``name (2)`` … when another file has it."""
    if not record.stored_path:
        return None
    folder = (workspace.archive if record.state == "accepted" else workspace.returned) / period
    name = Path(record.stored_path).name
    stem, suffix = os.path.splitext(name)
    n, candidate = 1, folder / name
    while candidate.exists() or candidate.with_name(f"{candidate.stem}.回执.txt").exists():
        n += 1
        candidate = folder / f"{stem} ({n}){suffix}"
    return _rel(workspace, candidate)


def _finish(workspace: Workspace, ledger: Ledger, row: RefileRow, office: str) -> None:
    """Steps 2–5 of a move (see the module): each one safe to do again."""
    record = ledger.get(row.file_id)
    assert record is not None
    text = None
    written = []
    if record.receipt_path:
        text = receipt_from_ledger(workspace, ledger, record, load_forms(workspace.schemas), office)
        written.append(_abs(workspace, record.receipt_path))
        write_receipt(written[-1], text)
    if row.from_path and row.to_path and row.from_path != row.to_path:
        source, target = _abs(workspace, row.from_path), _abs(workspace, row.to_path)
        if record.state == "returned" and text is not None:
            written.append(beside_path(target))
            write_receipt(written[-1], text)
        _move(workspace, source, target)
        _durable(*written, source.parent, target.parent)
        if record.state == "returned":
            _remove(beside_path(source))
    if row.from_receipt and row.from_receipt != record.receipt_path:
        _remove(_abs(workspace, row.from_receipt))
    ledger.mark_refiled(row.id)


def _move(workspace: Workspace, source: Path, target: Path) -> None:
    """The original from its old place to its new one, by a rename (a copy then removal across disks:
    the copy is whole before the original goes). Already there: nothing to do."""
    if not source.exists():
        return  # moved already (a finished step of an interrupted refile)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise RefileError(f"无法把 {_rel(workspace, source)} 移到 {_rel(workspace, target)}：{exc.strerror or exc}。"
                              "台账已改好；关闭占用它的程序后再运行一次同样的命令即可完成移动。") from exc
        staged = workspace.staging / f"refile{target.suffix}"
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staged)
        _durable(staged)
        shutil.move(staged, target)
        _durable(target.parent)
        source.unlink()


def _remove(path: Path) -> None:
    """Our own receipt for the old period (never a unit's file)."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass  # open in Notepad (Windows): it only names the old period; left


def _durable(*paths: Path) -> None:
    """These files and folders on disk (fsync'd); a folder that cannot be opened (Windows) is left to
    the system."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
