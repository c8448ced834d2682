"""The ledger: one SQLite file per workspace recording every file received, every value, every problem.

Each file is recorded in one transaction (ingest puts a batch of files, each whole, in one), so a
crash (or ``kill -9``) leaves no half record. Moving the original out of the inbox happens after the
commit; a record whose move did not finish is ``moved = 0`` and the next run completes it (see
``ingest``), so nothing is lost or counted twice.

The protocol for one file (``ingest``): record its row (``moved = 0``, naming where the original
goes) → commit → make the rows durable → rename the original from the inbox to its place → make the
renames durable → mark ``moved = 1``. All but the first step are batched over several files. The next
run first completes every ``moved = 0`` row (see ``unfinished_moves``).

Which return counts: the newest **accepted** return for (unit, form, period), by arrival order
(``arrived_at``, then ``files.id``). Older ones stay in the ledger and the archive.

Two times per file: ``arrived_at`` is when ingest took it in (the order things happened here);
``received_at`` is when the file reached the inbox — its modification time there, clamped to no later
than ``arrived_at``, or the date the clerk gave (``collect ingest --received``; a date alone, written
``YYYY-MM-DD``, means that day). Whether a return was 逾期 is judged by ``received_at``, so a backlog
taken in after the deadline is not late. A ledger made before ``received_at`` existed gets the column
when it is opened, filled from ``arrived_at`` (all that was known then).

A return filed under the wrong period is moved by ``collect refile`` (``inbox.refile``): its row gets
the new period and place, and ``refiles`` keeps the history — from, to, when, and where the original
was and went (``moved = 0`` until the original is in its new place; the next refile or ingest
finishes an interrupted move).

A held return (待确认) that is settled later gets a new row with the same ``sha256`` and the settled
state; the held row stays, and counts as settled from then on (``held_unsettled``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterator

from ..errors import LedgerError
from ..reading.problem import Problem

#: how the states are named to the clerk
#: how the levels of a problem are named to the clerk and the units

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id           INTEGER PRIMARY KEY,          -- arrival order
    name         TEXT NOT NULL,                -- file name as it arrived
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    arrived_at   TEXT NOT NULL,                -- ISO time the file was taken in
    form         TEXT,
    unit         TEXT,                         -- the roster unit it belongs to, when known
    unit_written TEXT,                         -- what its 填报单位 says
    period       TEXT,
    state        TEXT NOT NULL CHECK (state IN ('accepted','returned','held','duplicate','ignored')),
    reason       TEXT NOT NULL DEFAULT '',     -- one line: why returned / held / ignored
    version      INTEGER,                      -- nth accepted return of (unit, form, period)
    inbox_path   TEXT NOT NULL,                -- where it was found
    stored_path  TEXT,                         -- where the original is now (archive/, returned/, held/ …)
    receipt_path TEXT,
    header_json  TEXT NOT NULL DEFAULT '{}',
    moved        INTEGER NOT NULL DEFAULT 0,   -- 1 once the original left the inbox
    received_at  TEXT                          -- ISO time (or date) the file reached the inbox
);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
CREATE INDEX IF NOT EXISTS files_period ON files(form, period, unit, state);
-- every value of a return with its cell, as two JSON objects in reading order: one row per return,
-- not one per value (~80 rows cost ingest four times as much, and the report decodes one object)
CREATE TABLE IF NOT EXISTS value_sets (
    file_id  INTEGER PRIMARY KEY REFERENCES files(id),
    json     TEXT NOT NULL,                    -- {key: value}: number, "是"/"否", text, or null
    cells    TEXT                              -- {key: "统计表!D7"}
);
-- ledgers written before value_sets held cells: one row per value (read, no longer written)
CREATE TABLE IF NOT EXISTS vals (
    file_id  INTEGER NOT NULL REFERENCES files(id),
    seq      INTEGER NOT NULL,                 -- reading order in the form
    key      TEXT NOT NULL,
    cell     TEXT,
    value    TEXT,                             -- JSON
    PRIMARY KEY (file_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS problems (
    file_id  INTEGER NOT NULL REFERENCES files(id),
    level    TEXT NOT NULL,
    code     TEXT NOT NULL,
    cell     TEXT,
    key      TEXT,
    label    TEXT,
    written  TEXT,
    message  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_file ON problems(file_id);
-- returns moved to another period (collect refile): the history, oldest first
CREATE TABLE IF NOT EXISTS refiles (
    id           INTEGER PRIMARY KEY,
    file_id      INTEGER NOT NULL REFERENCES files(id),
    from_period  TEXT,
    to_period    TEXT NOT NULL,
    refiled_at   TEXT NOT NULL,                -- ISO time of the move
    from_path    TEXT,                         -- where the original was (stored_path before)
    to_path      TEXT,                         -- where it goes (stored_path after)
    from_receipt TEXT,                         -- the receipt written for the old period
    moved        INTEGER NOT NULL DEFAULT 0    -- 1 once the original is at to_path
);
CREATE INDEX IF NOT EXISTS refiles_file ON refiles(file_id);
"""


@dataclass
class FileRecord:
    """One row of ``files``."""

    id: int | None
    name: str
    sha256: str
    size: int
    arrived_at: str
    state: str
    inbox_path: str
    form: str | None = None
    unit: str | None = None
    unit_written: str | None = None
    period: str | None = None
    reason: str = ""
    version: int | None = None
    stored_path: str | None = None
    receipt_path: str | None = None
    header_json: str = "{}"
    moved: int = 0
    received_at: str | None = None  # when the file reached the inbox; None: when it was taken in

    @property
    def received(self) -> str:
        """When the file reached the inbox (ISO time, or a date alone when the clerk gave only a date)."""
        return self.received_at or self.arrived_at

    @property
    def header(self) -> dict[str, Any]:
        return json.loads(self.header_json or "{}")


@dataclass
class RefileRow:
    """One move of a return to another period (``refiles``)."""

    id: int
    file_id: int
    from_period: str | None
    to_period: str
    refiled_at: str
    from_path: str | None
    to_path: str | None
    from_receipt: str | None
    moved: int


#: the ids of the returns that count for (form, period): each unit's newest accepted one, by arrival
#: (``arrived_at``, then id)
_COUNTED_IDS = (
    "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY unit ORDER BY arrived_at DESC, id DESC)"
    " AS newest FROM files WHERE state='accepted' AND form=? AND period=?) WHERE newest = 1"
)
_COLUMNS = [f.name for f in fields(FileRecord)]
_SELECT_COLUMNS = ", ".join(_COLUMNS)
_INSERT_COLUMNS = [c for c in _COLUMNS if c != "id"]
_INSERT_FILE = f"INSERT INTO files ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})"
#: JSON given as UTF-8 bytes (``CheckResult.encode``) is kept as the text it is: CAST takes the bytes
#: as they are, with no decoding and encoding again on the way in
_INSERT_VALUES = "INSERT INTO value_sets (file_id, json, cells) VALUES (?, CAST(? AS TEXT), CAST(? AS TEXT))"
_dumps = json.JSONEncoder(ensure_ascii=False).encode


#: SQLite's words for what went wrong → the clerk's, with what to do
_LEDGER_REASONS = [
    (("malformed", "not a database", "file is encrypted"),
     "台账文件已损坏。处理办法：把 collector.sqlite3 改名留存（如 collector.sqlite3.损坏），再把 archive/ 下各期间"
     "文件夹中的表放回 inbox/，运行 collect ingest 重新建立台账"),
    (("database or disk is full",), "磁盘已满，请腾出空间后再试"),
    (("readonly database", "read-only"), "台账文件或所在文件夹是只读的，请检查文件夹的权限"),
    (("database is locked", "database table is locked"), "台账正被另一个程序使用，请稍后再试"),
    (("unable to open",), "打不开台账文件（所在文件夹只读、已被删除，或磁盘已满）"),
    (("disk i/o error",), "读写台账时出错（磁盘已满或只读，或网络共享断开）"),
]


def ledger_reason(exc: Exception) -> str:
    """SQLite's error in the clerk's words."""
    text = str(exc).lower()
    for words, reason in _LEDGER_REASONS:
        if any(w in text for w in words):
            return reason
    return f"数据库出错（{type(exc).__name__}）"


class Ledger:
    """The workspace's SQLite ledger. Use as a context manager."""

    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        """``synchronous="NORMAL"``: commits survive a crash of the process but may be lost with the power;
        a caller using it makes the data durable (a sync of the disk) before anything depends on it."""
        self.path = Path(path)
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(synchronous)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={synchronous}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
            if "cells" not in {r[1] for r in self.db.execute("PRAGMA table_info(value_sets)")}:
                self.db.execute("ALTER TABLE value_sets ADD COLUMN cells TEXT")  # a ledger of an earlier version
            self._add_received_at()
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise LedgerError(f"台账数据库无法打开：{ledger_reason(exc)}", path=str(self.path)) from exc

    def _add_received_at(self) -> None:
        """A ledger of an earlier version: ``received_at`` added, filled from ``arrived_at`` — in one
        transaction, looked at again inside it (another process may be opening the same ledger)."""
        if "received_at" in {r[1] for r in self.db.execute("PRAGMA table_info(files)")}:
            return
        self.db.execute("BEGIN IMMEDIATE")
        if "received_at" not in {r[1] for r in self.db.execute("PRAGMA table_info(files)")}:
            self.db.execute("ALTER TABLE files ADD COLUMN received_at TEXT")
            self.db.execute("UPDATE files SET received_at = arrived_at WHERE received_at IS NULL")
        self.db.execute("COMMIT")

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"台账数据库读取失败：{ledger_reason(exc)}", path=str(self.path)) from exc

    # -- writing ---------------------------------------------------------------------------

    def record(
        self,
        record: FileRecord,
        values: dict[str, Any] | None = None,
        problems: list[Problem] | None = None,
        *,
        cells: dict[str, str | None] | None = None,
        commit: bool = True,
        encoded: tuple[bytes | None, bytes | None] = (None, None),
    ) -> int:
        """Insert a file with its values ({key: value}, in reading order), the cells they were read
        from ({key: "统计表!D7"}) and its problems, all in one transaction.

        ``encoded``: the values and cells as JSON text in UTF-8 already (``CheckResult.encode``).
        ``commit=False`` leaves the transaction open for the next files, to be committed together by
        ``commit()`` (one commit per file is most of the cost of recording). Each file is still whole
        or absent: an error rolls back the open transaction, and so does closing the ledger first."""
        if record.received_at is None:
            record.received_at = record.arrived_at
        row = {c: getattr(record, c) for c in _INSERT_COLUMNS}
        try:
            if not self.db.in_transaction:
                self.db.execute("BEGIN IMMEDIATE")
            if record.state == "accepted" and record.version is None:
                (count,) = self.db.execute(
                    "SELECT COUNT(*) FROM files WHERE state='accepted' AND unit=? AND form=? AND period=?",
                    (record.unit, record.form, record.period),
                ).fetchone()
                row["version"] = count + 1
            file_id = int(self.db.execute(_INSERT_FILE, tuple(row.values())).lastrowid or 0)
            if values:
                self.db.execute(_INSERT_VALUES,
                                (file_id, encoded[0] or _dumps(values), encoded[1] or _dumps(cells or {})))
            self.db.executemany(
                "INSERT INTO problems (file_id, level, code, cell, key, label, written, message) VALUES (?,?,?,?,?,?,?,?)",
                [(file_id, p.level, p.code, p.cell, p.key, p.label, p.written, p.message) for p in problems or []],
            )
            if commit:
                self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK") if self.db.in_transaction else None
            raise LedgerError(f"台账数据库写入失败：{ledger_reason(exc)}", path=str(self.path)) from exc
        record.id = file_id
        record.version = row["version"]
        return file_id

    def commit(self) -> None:
        """Commit the files recorded with ``commit=False`` (nothing if there are none)."""
        if not self.db.in_transaction:
            return
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK") if self.db.in_transaction else None
            raise LedgerError(f"台账数据库写入失败：{ledger_reason(exc)}", path=str(self.path)) from exc

    def update(self, file_id: int, **changes: Any) -> None:
        """Change columns of one file (e.g. ``moved=1``, ``stored_path=…``, ``receipt_path=…``)."""
        bad = set(changes) - set(_COLUMNS)
        if bad:
            raise ValueError(f"unknown columns {bad}")
        sets = ", ".join(f"{k} = ?" for k in changes)
        try:
            self.db.execute(f"UPDATE files SET {sets} WHERE id = ?", (*changes.values(), file_id))
        except sqlite3.Error as exc:
            raise LedgerError(f"台账数据库写入失败：{ledger_reason(exc)}", path=str(self.path)) from exc

    def mark_moved(self, file_ids: list[int]) -> None:
        """``moved = 1`` for these files, in one transaction."""
        if not file_ids:
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("UPDATE files SET moved = 1 WHERE id = ?", [(i,) for i in file_ids])
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK") if self.db.in_transaction else None
            raise LedgerError(f"台账数据库写入失败：{ledger_reason(exc)}", path=str(self.path)) from exc

    def refile(self, file_id: int, period: str, *, at: str, stored_path: str | None,
               receipt_path: str | None) -> RefileRow:
        """Move a return to ``period`` in one transaction: its row gets the period, the place its
        original goes and its new receipt; the versions of the unit's accepted returns in the old and
        the new period are numbered again in the order they were taken in (as if it had been filed
        right); the move is kept in ``refiles`` (``moved = 0`` until the original is in place)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            before = self.db.execute("SELECT period, stored_path, receipt_path, unit, form FROM files WHERE id = ?",
                                     (file_id,)).fetchone()
            if before is None:
                raise sqlite3.IntegrityError(f"no file {file_id}")
            self.db.execute("UPDATE files SET period = ?, stored_path = ?, receipt_path = ? WHERE id = ?",
                            (period, stored_path, receipt_path, file_id))
            self.db.execute(
                "UPDATE files SET version = (SELECT COUNT(*) FROM files AS o WHERE o.state = 'accepted'"
                " AND o.unit IS files.unit AND o.form IS files.form AND o.period IS files.period AND o.id <= files.id)"
                " WHERE state = 'accepted' AND unit IS ? AND form IS ? AND (period IS ? OR period IS ?)",
                (before["unit"], before["form"], before["period"], period),
            )
            cursor = self.db.execute(
                "INSERT INTO refiles (file_id, from_period, to_period, refiled_at, from_path, to_path, from_receipt)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (file_id, before["period"], period, at, before["stored_path"], stored_path, before["receipt_path"]),
            )
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK") if self.db.in_transaction else None
            raise LedgerError(f"台账数据库写入失败：{ledger_reason(exc)}", path=str(self.path)) from exc
        return RefileRow(int(cursor.lastrowid or 0), file_id, before["period"], period, at, before["stored_path"],
                         stored_path, before["receipt_path"], 0)

    def mark_refiled(self, refile_id: int) -> None:
        """The original of this move is in its new place."""
        try:
            self.db.execute("UPDATE refiles SET moved = 1 WHERE id = ?", (refile_id,))
        except sqlite3.Error as exc:
            raise LedgerError(f"台账数据库写入失败：{ledger_reason(exc)}", path=str(self.path)) from exc

    def refiles(self, file_id: int | None = None, *, unfinished: bool = False) -> list[RefileRow]:
        """The moves to another period, oldest first: of one file, or (``unfinished``) those whose
        original was not yet in its new place when the move stopped."""
        where, params = ["1"], []
        if file_id is not None:
            where.append("file_id = ?")
            params.append(file_id)
        if unfinished:
            where.append("moved = 0")
        rows = self._query(
            "SELECT id, file_id, from_period, to_period, refiled_at, from_path, to_path, from_receipt, moved"
            f" FROM refiles WHERE {' AND '.join(where)} ORDER BY id", tuple(params))
        return [RefileRow(*r) for r in rows]

    # -- reading ---------------------------------------------------------------------------

    def next_version(self, unit: str | None, form: str | None, period: str | None) -> int:
        """The version an accepted return of (unit, form, period) would get now."""
        (count,) = self._query(
            "SELECT COUNT(*) FROM files WHERE state='accepted' AND unit=? AND form=? AND period=?",
            (unit, form, period),
        )[0]
        return int(count) + 1

    def newest_period(self, form: str) -> str | None:
        """The period of the newest return of ``form`` taken in (by arrival; ignored files aside): the
        period being collected, when nobody says which."""
        rows = self._query(
            "SELECT period FROM files WHERE form = ? AND period IS NOT NULL AND period != '' AND state != 'ignored'"
            " ORDER BY arrived_at DESC, id DESC LIMIT 1", (form,))
        return rows[0][0] if rows else None

    def held_unsettled(self) -> list[FileRecord]:
        """Held files (待确认) not settled since: no later row with the same bytes."""
        return self._records(
            "state = 'held' AND NOT EXISTS (SELECT 1 FROM files AS later "
            "WHERE later.sha256 = files.sha256 AND later.id > files.id AND later.state != 'duplicate')"
        )

    def known_in_place(self, inbox_path: str, sha256: str) -> bool:
        """Whether this file was already recorded as ignored and left where it is."""
        return bool(self._query(
            "SELECT 1 FROM files WHERE state = 'ignored' AND inbox_path = ? AND sha256 = ? AND stored_path = inbox_path",
            (inbox_path, sha256),
        ))

    def _records(self, where: str = "1", params: tuple[Any, ...] = ()) -> list[FileRecord]:
        # the columns in the record's order: a record per row without a dict per row
        rows = self._query(f"SELECT {_SELECT_COLUMNS} FROM files WHERE {where} ORDER BY id", params)
        return [FileRecord(*r) for r in rows]

    def get(self, file_id: int) -> FileRecord | None:
        found = self._records("id = ?", (file_id,))
        return found[0] if found else None

    def files(self, *, form: str | None = None, period: str | None = None, unit: str | None = None) -> list[FileRecord]:
        """Every file recorded, in arrival order, optionally for one form, period and unit."""
        where, params = ["1"], []
        if unit is not None:
            where.append("unit = ?")
            params.append(unit)
        if form is not None:
            where.append("form = ?")
            params.append(form)
        if period is not None:
            where.append("period = ?")
            params.append(period)
        return self._records(" AND ".join(where), tuple(params))

    def named(self, text: str, paths: set[str]) -> list[FileRecord]:
        """Files whose name as it arrived, or the last part of it or of where the original is, is
        ``text``, or whose place (in the inbox or now) is one of ``paths`` — looked for by SQLite."""
        marks = ",".join("?" * len(paths)) or "NULL"
        tail = "/" + text
        return self._records(
            f"name = ? OR substr(name, -{len(tail)}) = ? OR substr(stored_path, -{len(tail)}) = ?"
            f" OR stored_path IN ({marks}) OR inbox_path IN ({marks})",
            (text, tail, tail, *paths, *paths),
        )

    def by_hash(self, sha256: str) -> list[FileRecord]:
        return self._records("sha256 = ?", (sha256,))

    def unfinished_moves(self) -> list[FileRecord]:
        """Files recorded whose original had not left the inbox when the last run stopped."""
        return self._records("moved = 0")

    def counted(self, form: str, period: str) -> list[FileRecord]:
        """The return that counts for each unit: its newest accepted one, by arrival (``arrived_at``, then id).

        A held return settled later keeps its first arrival, so it does not displace a newer one."""
        return self._records(f"id IN ({_COUNTED_IDS})", (form, period))

    def counted_ids(self, form: str, period: str) -> set[int]:
        """The ids of the returns ``counted`` gives, for a caller that has their records already."""
        return {r[0] for r in self._query(_COUNTED_IDS, (form, period))}

    def counted_values_by_file(self, form: str, period: str) -> list[tuple[int, bytes]]:
        """(file_id, its values as one JSON object {key: value}, UTF-8) of every counted return, in one query.

        For the consolidated report of thousands of returns: one object per return (``value_sets``,
        or assembled from ``vals`` by SQLite for a return recorded without one), as bytes: what a
        JSON parser takes, without decoding megabytes into str and encoding them again."""
        return [
            (r[0], r[1]) for r in self._query(
                # driven by files in id order: sorting the selected rows would sort megabytes of JSON
                "SELECT f.id, CAST(COALESCE(s.json, (SELECT json_group_object(key, json(value)) FROM vals"
                " WHERE file_id = f.id)) AS BLOB)"
                f" FROM files AS f LEFT JOIN value_sets AS s ON s.file_id = f.id WHERE f.id IN ({_COUNTED_IDS}) ORDER BY f.id",
                (form, period),
            )
        ]

    def cell_of(self, file_id: int, key: str) -> str | None:
        """Where a value was read from (``统计表!D7``). One key looked up by SQLite: the report asks
        this for every 存疑 figure, and decoding the return's whole value set each time costs more."""
        rows = self._query(
            "SELECT COALESCE((SELECT json_extract(cells, ?) FROM value_sets WHERE file_id = ? AND cells IS NOT NULL),"
            " (SELECT cell FROM vals WHERE file_id = ? AND key = ?))",
            (f'$."{key}"', file_id, file_id, key),  # a form's keys are [a-z0-9_.]: safe inside the quotes
        )
        return rows[0][0] if rows else None

    def values(self, file_ids: list[int]) -> Iterator[tuple[int, str, str | None, Any]]:
        """(file_id, key, cell, value) for the given files, in reading order."""
        for chunk_start in range(0, len(file_ids), 500):
            chunk = file_ids[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            sets = {r[0]: (r[1], r[2]) for r in self._query(
                f"SELECT file_id, json, cells FROM value_sets WHERE cells IS NOT NULL AND file_id IN ({marks})",
                tuple(chunk))}
            older = [i for i in chunk if i not in sets]
            rows: dict[int, list[sqlite3.Row]] = {}
            if older:  # recorded by an earlier version: one row per value
                for r in self._query(f"SELECT file_id, key, cell, value FROM vals WHERE file_id IN "
                                     f"({','.join('?' * len(older))}) ORDER BY file_id, seq", tuple(older)):
                    rows.setdefault(r["file_id"], []).append(r)
            for file_id in sorted(chunk):
                if file_id in sets:
                    values, cells = json.loads(sets[file_id][0]), json.loads(sets[file_id][1])
                    for key, value in values.items():
                        yield file_id, key, cells.get(key), value
                for r in rows.get(file_id, []):
                    yield file_id, r["key"], r["cell"], json.loads(r["value"]) if r["value"] is not None else None

    def problems(self, file_ids: list[int]) -> list[tuple[int, Problem]]:
        out = []
        for chunk_start in range(0, len(file_ids), 500):
            chunk = file_ids[chunk_start : chunk_start + 500]
            rows = self._query(
                f"SELECT * FROM problems WHERE file_id IN ({','.join('?' * len(chunk))}) ORDER BY file_id, rowid",
                tuple(chunk),
            )
            for r in rows:
                d = dict(r)
                file_id = d.pop("file_id")
                out.append((file_id, Problem(**d)))
        return out

    def periods(self, form: str | None = None) -> list[str]:
        rows = self._query(
            "SELECT DISTINCT period FROM files WHERE period IS NOT NULL" + (" AND form = ?" if form else "")
            + " ORDER BY period",
            (form,) if form else (),
        )
        return [r["period"] for r in rows]
