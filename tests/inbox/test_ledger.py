"""The ledger: each file whole in one transaction, which return counts, held returns settled."""

import pytest

from collector.errors import LedgerError
from collector.inbox.ledger import FileRecord, Ledger
from collector.reading.problem import Problem


def _rec(name, state="accepted", unit="甲局", sha=None, arrived="2020-06-28T10:00:00", period="2020-06", **kw):
    return FileRecord(id=None, name=name, sha256=sha or name * 8, size=1, arrived_at=arrived, state=state,
                      inbox_path=f"inbox/{name}", form="f", unit=unit, period=period, **kw)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "l.sqlite3") as opened:
        yield opened


def test_record_with_values_and_problems(ledger):
    file_id = ledger.record(_rec("a"), {"k1": 3, "k2": "是", "k3": None},
                            [Problem("warning", "blank", "没有填写", "表!D6", "k4", "标签", "")],
                            cells={"k1": "表!D4", "k2": "表!D5"})
    assert list(ledger.values([file_id])) == [(file_id, "k1", "表!D4", 3), (file_id, "k2", "表!D5", "是"),
                                              (file_id, "k3", None, None)]
    ((fid, problem),) = ledger.problems([file_id])
    assert problem.code == "blank" and problem.cell == "表!D6"
    assert ledger.get(file_id).version == 1


def test_values_encoded_where_the_file_was_checked_are_kept_as_they_are(ledger):
    """A checking child hands over the values and cells as JSON text in UTF-8 already
    (CheckResult.encode): the ledger keeps that text, as text, and reads back what the values were."""
    from collector.reading.check import CheckResult

    values, cells = {"k1": 3, "k2": "是"}, {"k1": "表!D4", "k2": "表!D5"}
    checked = CheckResult(file=None, values=values, cells=cells)
    checked.encode()
    file_id = ledger.record(_rec("a"), values, [], cells=cells, encoded=(checked.values_json, checked.cells_json))
    assert list(ledger.values([file_id])) == [(file_id, "k1", "表!D4", 3), (file_id, "k2", "表!D5", "是")]
    # the bytes given are what is kept, not an encoding of its own — and kept as TEXT, as SQLite's own
    # JSON functions and any other reader of the ledger expect
    other = ledger.record(_rec("b"), values, [], cells=cells, encoded=('{"k1": 4}'.encode(), '{"k1": "表!D9"}'.encode()))
    assert list(ledger.values([other])) == [(other, "k1", "表!D9", 4)]
    assert tuple(ledger.db.execute("SELECT typeof(json), typeof(cells), json_extract(cells, '$.k1') FROM value_sets"
                             " WHERE file_id = ?", (other,)).fetchone()) == ("text", "text", "表!D9")


def test_a_failed_record_leaves_nothing(ledger):
    with pytest.raises(LedgerError):
        # values go in, then a problem without its message fails: nothing of the file stays
        ledger.record(_rec("a"), {"k1": 1}, [Problem("error", "blank", None)])
    assert ledger.files() == []
    assert list(ledger.values([1])) == []


def test_a_batch_of_files_is_committed_together_each_whole(tmp_path):
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as ledger:
        first = ledger.record(_rec("a"), {"k1": 1}, commit=False)
        assert ledger.record(_rec("b", unit="乙局"), commit=False) == first + 1
        assert [f.name for f in ledger.files()] == ["a", "b"]  # seen by this connection already
        with Ledger(path) as other:
            assert other.files() == []  # not by another until committed
        ledger.commit()
        ledger.commit()  # nothing open: nothing to do
        ledger.record(_rec("c", unit="丙局"), commit=False)
        with pytest.raises(LedgerError):  # a failed file takes its open batch with it
            ledger.record(_rec("d"), {"k1": 1}, [Problem("error", "blank", None)], commit=False)
        ledger.record(_rec("e", unit="戊局"), commit=False)  # closed without a commit: rolled back
    with Ledger(path) as ledger:
        assert [f.name for f in ledger.files()] == ["a", "b"]
        assert list(ledger.values([first])) == [(first, "k1", None, 1)]


def test_versions_and_which_counts(ledger):
    assert ledger.next_version("甲局", "f", "2020-06") == 1
    ledger.record(_rec("a"))
    ledger.record(_rec("b", arrived="2020-06-29T10:00:00"))
    ledger.record(_rec("c", state="returned", arrived="2020-06-30T10:00:00"))
    # a held return settled later keeps its earlier arrival: it does not displace the newer one
    ledger.record(_rec("d", arrived="2020-06-28T12:00:00"))
    ledger.record(_rec("e", unit="乙局"))
    assert [r.version for r in ledger.files() if r.state == "accepted"] == [1, 2, 3, 1]
    assert sorted(r.name for r in ledger.counted("f", "2020-06")) == ["b", "e"]
    assert ledger.next_version("甲局", "f", "2020-06") == 4


def test_held_unsettled_and_moves(ledger):
    held = ledger.record(_rec("h", state="held", unit=None, sha="x" * 64))
    assert [r.id for r in ledger.held_unsettled()] == [held]
    ledger.record(_rec("h2", state="duplicate", sha="x" * 64))
    assert [r.id for r in ledger.held_unsettled()] == [held]  # a duplicate settles nothing
    settled = ledger.record(_rec("h", sha="x" * 64))
    assert ledger.held_unsettled() == []
    assert {r.id for r in ledger.unfinished_moves()} == {held, held + 1, settled}
    ledger.mark_moved([held, held + 1, settled])
    assert ledger.unfinished_moves() == []


def test_known_in_place(ledger):
    ledger.record(_rec("~$a.xlsx", state="ignored", stored_path="inbox/~$a.xlsx", moved=1))
    assert ledger.known_in_place("inbox/~$a.xlsx", "~$a.xlsx" * 8)
    assert not ledger.known_in_place("inbox/~$a.xlsx", "other")


def test_counted_values_by_file_from_value_sets_or_vals(ledger):
    import json

    old = ledger.record(_rec("a", unit="乙局"), {"k1": 3, "k2": "是，\"引号\""}, cells={"k1": "表!D4", "k2": "表!D5"})
    new = ledger.record(_rec("b", unit="甲局"), {"k1": 7, "k2": None}, cells={"k1": "表!D4", "k2": "表!D5"})
    ledger.record(_rec("c", state="returned", unit="甲局"), {"k1": -1}, cells={"k1": "表!D4"})
    # a return recorded by an earlier version, one row per value in vals
    ledger.db.execute("DELETE FROM value_sets WHERE file_id = ?", (old,))
    ledger.db.executemany("INSERT INTO vals (file_id, seq, key, cell, value) VALUES (?, ?, ?, ?, ?)",
                          [(old, 0, "k1", "表!D4", "3"), (old, 1, "k2", "表!D5", json.dumps("是，\"引号\""))])
    got = {file_id: json.loads(text) for file_id, text in ledger.counted_values_by_file("f", "2020-06")}
    assert got == {old: {"k1": 3, "k2": "是，\"引号\""}, new: {"k1": 7, "k2": None}}
    assert ledger.cell_of(new, "k1") == "表!D4" and ledger.cell_of(old, "k2") == "表!D5"
    assert list(ledger.values([new, old])) == [
        (old, "k1", "表!D4", 3), (old, "k2", "表!D5", "是，\"引号\""), (new, "k1", "表!D4", 7), (new, "k2", "表!D5", None)]


def test_a_ledger_of_an_earlier_version_gets_the_cells_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE value_sets (file_id INTEGER PRIMARY KEY, json TEXT NOT NULL)")
    with Ledger(path) as ledger:
        file_id = ledger.record(_rec("a"), {"k1": 1}, cells={"k1": "表!D4"})
        assert list(ledger.values([file_id])) == [(file_id, "k1", "表!D4", 1)]


def test_counted_ids_are_those_of_the_counted_returns(ledger):
    for i, (unit, arrived) in enumerate([("甲", "2020-06-01"), ("甲", "2020-06-03"), ("乙", "2020-06-02")]):
        ledger.record(FileRecord(None, f"{i}.xlsx", f"{i:064x}", 1, arrived, "accepted", "inbox/x.xlsx", form="f",
                                 unit=unit, period="2020-06"))
    assert ledger.counted_ids("f", "2020-06") == {r.id for r in ledger.counted("f", "2020-06")} == {2, 3}


def test_a_ledger_made_before_received_times_opens_and_works(tmp_path):
    """A ledger written by the version before ``received_at`` (tests/data/ledger-before-received.sqlite3,
    two returns taken in on 2020-07-02): the column is added, filled from when they were taken in."""
    import shutil
    import sqlite3

    from conftest import DATA

    path = tmp_path / "collector.sqlite3"
    shutil.copy(DATA / "ledger-before-received.sqlite3", path)
    with sqlite3.connect(path) as db:
        assert "received_at" not in {r[1] for r in db.execute("PRAGMA table_info(files)")}
    with Ledger(path) as ledger:
        old = ledger.files()
        assert [(f.state, f.received_at) for f in old] == [("accepted", "2020-07-02T09:00:00.000000"),
                                                           ("returned", "2020-07-02T09:00:01.000000")]
        assert [f.id for f in ledger.counted("dxal-2020", "2020-06")] == [old[0].id]
        new = ledger.record(_rec("b", arrived="2020-07-03T10:00:00", received_at="2020-06-29"))
        assert ledger.get(new).received == "2020-06-29"
        assert ledger.refiles() == []
    with Ledger(path) as again:  # opened a second time: nothing more to add
        assert again.get(new).received_at == "2020-06-29"


def test_received_at_defaults_to_when_it_was_taken_in(ledger):
    file_id = ledger.record(_rec("a", arrived="2020-07-01T08:00:00"))
    assert ledger.get(file_id).received_at == "2020-07-01T08:00:00"
    assert FileRecord(None, "x", "s", 1, "2020-07-01T08:00:00", "accepted", "inbox/x").received == "2020-07-01T08:00:00"


def test_refile_moves_a_return_renumbers_versions_and_keeps_the_history(ledger):
    may = [ledger.record(_rec(n, arrived=f"2020-06-0{i}T10:00:00", period=p, stored_path=f"archive/{p}/{n}"))
           for i, (n, p) in enumerate([("a", "2020-05"), ("b", "2020-05"), ("c", "2020-06")], start=1)]
    june_newer = ledger.record(_rec("d", arrived="2020-06-09T10:00:00"))  # version 2 of 2020-06
    assert [r.version for r in ledger.files()] == [1, 2, 1, 2]
    row = ledger.refile(may[1], "2020-06", at="2020-07-01T09:00:00", stored_path="archive/2020-06/b",
                        receipt_path="outbox/回执/2020-06/甲局-已接收-bbbbbbbb.txt")
    moved = ledger.get(may[1])
    assert (moved.period, moved.stored_path, moved.receipt_path) == (
        "2020-06", "archive/2020-06/b", "outbox/回执/2020-06/甲局-已接收-bbbbbbbb.txt")
    # numbered again by the order taken in, as if filed right: 2020-05 a=1; 2020-06 b, c, d
    assert {r.name: (r.period, r.version) for r in ledger.files()} == {
        "a": ("2020-05", 1), "b": ("2020-06", 1), "c": ("2020-06", 2), "d": ("2020-06", 3)}
    # which counts is still the newest by arrival: d in 2020-06, a in 2020-05
    assert [r.id for r in ledger.counted("f", "2020-06")] == [june_newer]
    assert [r.name for r in ledger.counted("f", "2020-05")] == ["a"]
    assert row.from_period == "2020-05" and row.from_path == "archive/2020-05/b" and row.moved == 0
    assert ledger.refiles(unfinished=True) == [row]
    ledger.mark_refiled(row.id)
    assert ledger.refiles(unfinished=True) == []
    (history,) = ledger.refiles(may[1])
    assert (history.from_period, history.to_period, history.refiled_at, history.moved) == (
        "2020-05", "2020-06", "2020-07-01T09:00:00", 1)
    with pytest.raises(LedgerError):
        ledger.refile(999, "2020-06", at="x", stored_path=None, receipt_path=None)
