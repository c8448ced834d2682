"""collect refile (library): a return filed under the wrong period is moved — ledger, archive, receipt."""

import hashlib
from datetime import date, datetime

import pytest
from conftest import make_return, make_workspace

from collector.errors import RefileError
from collector.inbox.ingest import ingest
from collector.inbox.ledger import Ledger
from collector.inbox.refile import find_return, refile, refile_command
from collector.reports.status import status_report

MAY = date(2020, 5, 28)  # a mistyped 填报日期: the return lands in 2020-05


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _receipts(ws, period):
    folder = ws.receipts / period
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_return_in_the_wrong_period_is_moved_with_its_history(ws):
    make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", filled_on=MAY)
    (outcome,) = ingest(ws).outcomes
    assert outcome.period == "2020-05"
    original = ws.archive / "2020-05" / "呼中区安委会.xlsx"
    digest = _sha(original)
    (old_receipt,) = _receipts(ws, "2020-05")

    result = refile(ws, "呼中区安委会.xlsx", "2020-06", now=datetime(2020, 7, 1, 9, 0))

    assert (result.from_period, result.to_period, result.moved, result.counts) == ("2020-05", "2020-06", True, True)
    moved = ws.archive / "2020-06" / "呼中区安委会.xlsx"
    assert _sha(moved) == digest and not original.exists()  # the original moved, unchanged; nothing copied
    assert _receipts(ws, "2020-05") == [] and _receipts(ws, "2020-06") == [old_receipt]
    receipt = (ws.receipts / "2020-06" / old_receipt).read_text(encoding="utf-8-sig")
    assert "期间：2020-06" in receipt and "版本：第 1 版" in receipt
    with Ledger(ws.ledger_path) as ledger:
        record = ledger.get(outcome.file_id)
        assert (record.period, record.stored_path) == ("2020-06", "archive/2020-06/呼中区安委会.xlsx")
        assert record.receipt_path == f"outbox/回执/2020-06/{old_receipt}"
        (history,) = ledger.refiles(outcome.file_id)
        assert (history.from_period, history.to_period, history.refiled_at, history.moved) == (
            "2020-05", "2020-06", "2020-07-01T09:00:00", 1)
        assert (history.from_path, history.to_path) == ("archive/2020-05/呼中区安委会.xlsx",
                                                        "archive/2020-06/呼中区安委会.xlsx")
        assert ledger.counted("dxal-2020", "2020-05") == []
        assert [r.id for r in ledger.counted("dxal-2020", "2020-06")] == [outcome.file_id]
    june = {u.unit: u for u in status_report(ws, "2020-06").units}
    assert june["呼中区安委会"].state == "已报"
    # asked again: already there, nothing changes
    again = refile(ws, "archive/2020-06/呼中区安委会.xlsx", "2020-06")
    assert not again.moved and again.record.id == outcome.file_id
    with Ledger(ws.ledger_path) as ledger:
        assert len(ledger.refiles()) == 1


def test_a_unit_names_its_newest_return_and_what_counts_follows(ws):
    make_return(ws.inbox / "呼中1.xlsx", "呼中区安委会", seed=1, filled_on=MAY)
    ingest(ws)
    make_return(ws.inbox / "呼中2.xlsx", "呼中区安委会", seed=2, filled_on=MAY)
    make_return(ws.inbox / "新林.xlsx", "新林区安委会", seed=3, filled_on=MAY)
    ingest(ws)
    result = refile(ws, "呼中区安委会", "2020-06")
    assert result.record.name == "呼中2.xlsx" and result.counts
    # the first, still in 2020-05, counts there now: the clerk is told how to move it too
    assert result.left_behind.name == "呼中1.xlsx"
    assert refile_command(result.left_behind, "2020-06") == (
        "collect refile archive/2020-05/呼中1.xlsx --period 2020-06")
    second = refile(ws, "呼中1.xlsx", "2020-06")
    assert second.left_behind is None and not second.counts  # 呼中2 arrived later: it still counts
    assert second.counted_instead.name == "呼中2.xlsx"
    with Ledger(ws.ledger_path) as ledger:
        june = {r.name: r.version for r in ledger.files(period="2020-06")}
        assert june == {"呼中1.xlsx": 1, "呼中2.xlsx": 2}  # numbered as if filed right
        assert [r.unit for r in ledger.counted("dxal-2020", "2020-05")] == ["新林区安委会"]
    # the unit's newest return is there already: nothing to move, its others listed
    third = refile(ws, "新林区安委会", "2020-05")
    assert not third.moved and third.elsewhere == []


def test_a_return_sent_back_moves_with_the_receipt_beside_it(ws):
    make_return(ws.inbox / "松岭.xlsx", "松岭区安委会", filled_on=MAY, changes={"launch.sessions": "-1"})
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "returned"
    refile(ws, "松岭区安委会", "2020-06")
    assert sorted(p.name for p in (ws.returned / "2020-06").iterdir()) == ["松岭.xlsx", "松岭.回执.txt"]
    assert list((ws.returned / "2020-05").iterdir()) == []
    assert "期间：2020-06" in (ws.returned / "2020-06" / "松岭.回执.txt").read_text(encoding="utf-8-sig")


def test_a_name_another_file_has_in_the_new_period_gets_a_number(ws):
    make_return(ws.inbox / "统计表.xlsx", "呼中区安委会", seed=1)  # 2020-06
    ingest(ws)
    make_return(ws.inbox / "统计表.xlsx", "新林区安委会", seed=2, filled_on=MAY)
    ingest(ws)
    with pytest.raises(RefileError) as caught:  # two returns arrived under that name
        refile(ws, "统计表.xlsx", "2020-06")
    assert caught.value.exit_code == 2
    assert "“统计表.xlsx”对应 2 份报表" in str(caught.value)
    assert "  archive/2020-06/统计表.xlsx（呼中区安委会，2020-06，已接收，收到 " in str(caught.value)
    assert "  archive/2020-05/统计表.xlsx（新林区安委会，2020-05，已接收，收到 " in str(caught.value)
    result = refile(ws, str(ws.archive / "2020-05" / "统计表.xlsx"), "2020-06")  # the absolute path
    assert result.record.stored_path == "archive/2020-06/统计表 (2).xlsx"
    assert result.record.unit == "新林区安委会"
    assert sorted(p.name for p in (ws.archive / "2020-06").iterdir()) == ["统计表 (2).xlsx", "统计表.xlsx"]


def test_what_cannot_be_moved_is_said_in_chinese(ws):
    make_return(ws.inbox / "统计表.xlsx", "某某不存在局")  # held: no unit yet
    (ws.inbox / "说明.txt").write_text("请查收", encoding="utf-8")
    ingest(ws)
    cases = {
        "统计表.xlsx": "是待确认的文件",
        "说明.txt": "不是报表",
        "不存在.xlsx": "没有找到“不存在.xlsx”",
        "呼中区安委会": "呼中区安委会 还没有报送过报表",
        " ": "请写明要改期间的文件名",
    }
    for target, words in cases.items():
        with pytest.raises(RefileError) as caught:
            refile(ws, target, "2020-06")
        assert words in str(caught.value) and caught.value.exit_code == 2, target


def test_an_interrupted_refile_is_finished_by_the_next_one(ws):
    make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", filled_on=MAY)
    (outcome,) = ingest(ws).outcomes
    digest = _sha(ws.archive / "2020-05" / "呼中区安委会.xlsx")
    with Ledger(ws.ledger_path) as ledger:  # a crash right after the ledger was changed
        ledger.refile(outcome.file_id, "2020-06", at="2020-07-01T09:00:00",
                      stored_path="archive/2020-06/呼中区安委会.xlsx",
                      receipt_path=ledger.get(outcome.file_id).receipt_path.replace("2020-05", "2020-06"))
    assert (ws.archive / "2020-05" / "呼中区安委会.xlsx").exists()  # the original is where it was
    result = refile(ws, "呼中区安委会", "2020-06")  # the same command again
    assert result.completed == 1 and not result.moved
    assert _sha(ws.archive / "2020-06" / "呼中区安委会.xlsx") == digest
    assert not (ws.archive / "2020-05" / "呼中区安委会.xlsx").exists()
    assert len(_receipts(ws, "2020-06")) == 1 and _receipts(ws, "2020-05") == []
    with Ledger(ws.ledger_path) as ledger:
        assert ledger.refiles(unfinished=True) == []


def test_find_return_maps_a_duplicate_to_the_return_it_repeats(ws):
    import shutil

    make_return(ws.inbox / "呼中区安委会.xlsx", "呼中区安委会", filled_on=MAY)
    ingest(ws)
    shutil.copy2(ws.archive / "2020-05" / "呼中区安委会.xlsx", ws.inbox / "又发了一次.xlsx")
    (dup,) = ingest(ws).outcomes
    assert dup.state == "duplicate"
    with Ledger(ws.ledger_path) as ledger:
        record, by_unit = find_return(ws, ledger, "又发了一次.xlsx")
    assert record.name == "呼中区安委会.xlsx" and record.state == "accepted" and not by_unit
