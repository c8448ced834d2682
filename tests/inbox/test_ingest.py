"""collect ingest: every file in the inbox ends in exactly one state, its original kept unchanged."""

import hashlib
import os
import random
import re
import shutil
import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import DATA, SAMPLE_FORMS, drop, make_return, make_workspace, sample_inbox, truth
from typer.testing import CliRunner

import collector.inbox.ingest as ingest_module
from collector.cli import app
from collector.forms.model import load_forms
from collector.inbox.ingest import ingest, is_temp_file
from collector.inbox.ledger import Ledger
from collector.inbox.workspace import Workspace

FORMS = load_forms()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def states(result) -> dict[str, str]:
    return {o.name: o.state for o in result.outcomes}


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path)


# ---------------------------------------------------------------------------------------------
# the sample inboxes, end to end


@pytest.mark.parametrize("form_id", SAMPLE_FORMS)
def test_sample_inbox_ends_as_truth_says(tmp_path, form_id):
    workspace = make_workspace(tmp_path, form_id)
    t = truth(form_id)
    originals = {p.name: sha(p) for p in sample_inbox(form_id).iterdir()}
    for path in sample_inbox(form_id).iterdir():
        drop(workspace, path)
    result = ingest(workspace, period="2020-06" if form_id != "changchun-2019" else "2019-06")

    got = states(result)
    assert sorted(got) == sorted(originals)  # every file, once
    for name, state in got.items():
        if name in t["ignored"]:
            assert state == "ignored", name
        elif t["rejected"].get(name) == "未知单位":
            assert state == "held", name
        elif name in t["rejected"]:
            assert state == "returned", name
        else:
            assert state == "accepted", name
    # the inbox keeps only what is left in place (an Office lock file); nothing is lost
    left = {p.name for p in workspace.inbox.iterdir()}
    assert left == {n for n in t["ignored"] if is_temp_file(n)}
    kept = {p.name: sha(p) for folder in (workspace.archive, workspace.returned, workspace.held, workspace.ignored)
            for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".回执.txt")}
    kept.update({n: sha(workspace.inbox / n) for n in left})
    assert kept == originals  # unchanged bytes, every one
    # the counted values are the truth
    form = FORMS[form_id]
    with Ledger(workspace.ledger_path) as ledger:
        counted = ledger.counted(form_id, result.outcomes[0].period or "")
        assert sorted(r.unit for r in counted) == sorted(t["valid_units"])
        for record in counted:
            values = {key: value for _, key, _, value in ledger.values([record.id])}
            got_values = [values[ref.key] if values[ref.key] is not None or ref.kind not in ("count", "percent") else 0
                          for ref in form.blank_refs]
            assert got_values == t["values"][record.unit], record.name
        for record in ledger.files():
            assert record.moved == 1
            assert record.sha256 == originals[Path(record.name).name]
    for outcome in result.outcomes:
        if outcome.state in ("accepted", "returned", "held"):
            assert outcome.receipt is not None and outcome.receipt.is_file()
    assert result.periods_changed == {result.outcomes[0].period}


def test_accepted_original_archived_unchanged_with_hash(ws):
    path = make_return(ws.inbox / "附件3 呼中林业局.xlsx", "呼中林业局")
    digest, mtime = sha(path), path.stat().st_mtime_ns
    result = ingest(ws)
    (outcome,) = result.outcomes
    assert (outcome.state, outcome.unit, outcome.period, outcome.version) == ("accepted", "呼中林业局", "2020-06", 1)
    archived = ws.archive / "2020-06" / "附件3 呼中林业局.xlsx"
    assert outcome.stored == archived and sha(archived) == digest
    assert archived.stat().st_mtime_ns == mtime
    assert not path.exists()
    with Ledger(ws.ledger_path) as ledger:
        (record,) = ledger.files()
    assert (record.sha256, record.size, record.state, record.unit, record.unit_written, record.period) == (
        digest, archived.stat().st_size, "accepted", "呼中林业局", "呼中林业局", "2020-06")
    assert record.stored_path == "archive/2020-06/附件3 呼中林业局.xlsx"
    assert record.inbox_path == "inbox/附件3 呼中林业局.xlsx"
    assert record.header["填报日期"] == "2020-06-28"


def test_returned_file_lies_beside_its_receipt(ws):
    make_return(ws.inbox / "呼中林业局-统计表.xlsx", "呼中林业局",
                changes={"study.group_attendance": "-30", "study.online_attendance": "若干"})
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "returned" and outcome.errors == 2
    assert outcome.stored == ws.returned / "2020-06" / "呼中林业局-统计表.xlsx"
    beside = ws.returned / "2020-06" / "呼中林业局-统计表.回执.txt"
    assert beside.read_bytes() == outcome.receipt.read_bytes()
    assert outcome.receipt.parent == ws.receipts / "2020-06"
    assert outcome.reason.endswith("等 2 处错误")


def test_duplicate_bytes_are_recognised(ws):
    path = make_return(ws.inbox / "呼中林业局.xlsx", "呼中林业局")
    copy = shutil.copy2(path, ws.inbox / "呼中林业局 (1).xlsx")
    first = ingest(ws)
    assert sorted(o.state for o in first.outcomes) == ["accepted", "duplicate"]
    (archived,) = (ws.archive / "2020-06").iterdir()
    shutil.copy2(archived, ws.inbox / "又发了一次.xlsx")
    second = ingest(ws)
    (outcome,) = second.outcomes
    assert outcome.state == "duplicate" and "完全相同" in outcome.reason
    assert outcome.stored == ws.ignored / "又发了一次.xlsx"
    assert second.periods_changed == set()
    with Ledger(ws.ledger_path) as ledger:
        assert [r.version for r in ledger.counted("dxal-2020", "2020-06")] == [1]
    assert not Path(copy).exists()


def test_office_lock_and_temp_files_are_left_in_place_and_recorded_once(ws):
    lock = ws.inbox / "~$呼中林业局.xlsx"
    lock.write_bytes(b"\x00" * 165)
    lo_lock = ws.inbox / ".~lock.呼中林业局.xlsx#"
    lo_lock.write_text("x", encoding="utf-8")
    (ws.inbox / ".gitkeep").write_bytes(b"")
    first = ingest(ws)
    assert states(first) == {"~$呼中林业局.xlsx": "ignored", ".~lock.呼中林业局.xlsx#": "ignored"}
    assert lock.exists() and lo_lock.exists() and (ws.inbox / ".gitkeep").exists()
    assert ingest(ws).outcomes == []  # already accounted for


def test_files_that_are_not_spreadsheets_are_set_aside(ws):
    (ws.inbox / "说明.txt").write_text("请查收", encoding="utf-8")
    (ws.inbox / "总结.pptx").write_bytes(b"PK\x03\x04 not really")  # (a .docx is a return now: tests/reading/test_word.py)
    result = ingest(ws)
    assert states(result) == {"说明.txt": "ignored", "总结.pptx": "ignored"}
    assert (ws.ignored / "说明.txt").read_text(encoding="utf-8") == "请查收"
    assert not any(ws.inbox.iterdir())
    assert not result.needs_attention


def test_chinese_names_spaces_and_subfolders(ws):
    sub = ws.inbox / "6月 第二批"
    sub.mkdir()
    make_return(sub / "附件3 地区公安局（最终版） 2020.xlsx", "地区公安局")
    (outcome,) = ingest(ws).outcomes
    assert outcome.name == "6月 第二批/附件3 地区公安局（最终版） 2020.xlsx"
    assert outcome.state == "accepted" and outcome.unit == "地区公安局"
    assert (ws.archive / "2020-06" / "附件3 地区公安局（最终版） 2020.xlsx").is_file()


def test_same_name_different_bytes_does_not_overwrite(ws):
    make_return(ws.inbox / "统计表.xlsx", "呼中林业局", seed=1)
    ingest(ws)
    make_return(ws.inbox / "统计表.xlsx", "地区公安局", seed=2)
    (outcome,) = ingest(ws).outcomes
    assert outcome.stored == ws.archive / "2020-06" / "统计表 (2).xlsx"
    assert (ws.archive / "2020-06" / "统计表.xlsx").is_file()


def test_the_original_is_moved_not_copied(ws):
    """The archived file is the very file that was dropped in (renamed, same inode), not a copy."""
    path = make_return(ws.inbox / "呼中林业局.xlsx", "呼中林业局")
    inode = path.stat().st_ino
    (outcome,) = ingest(ws).outcomes
    assert outcome.stored.stat().st_ino == inode and not path.exists()


def test_same_name_in_two_subfolders_of_one_batch_gets_two_places(ws):
    make_return(ws.inbox / "一" / "统计表.xlsx", "呼中林业局", seed=1)
    make_return(ws.inbox / "二" / "统计表.xlsx", "地区公安局", seed=2)
    before = {sha(p) for p in ws.inbox.rglob("*.xlsx")}
    stored = {o.stored for o in ingest(ws).outcomes}
    assert stored == {ws.archive / "2020-06" / "统计表.xlsx", ws.archive / "2020-06" / "统计表 (2).xlsx"}
    assert {sha(p) for p in stored} == before


def test_a_file_replaced_before_its_move_stays_for_the_next_pass(ws, monkeypatch):
    """Between reading a file and moving it, the unit's clerk saves it again: the bytes read go to the
    archive, the new file stays in the inbox and is taken in next time."""
    path = make_return(ws.inbox / "呼中林业局.xlsx", "呼中林业局", seed=1)
    read = sha(path)
    real_flush = ingest_module._Run.flush

    def flush_after_a_new_save(self):
        if path.exists() and sha(path) == read:
            make_return(ws.inbox / "new.xlsx", "呼中林业局", seed=2)
            os.replace(ws.inbox / "new.xlsx", path)  # saved as Excel does: a new file renamed over it
        real_flush(self)

    monkeypatch.setattr(ingest_module._Run, "flush", flush_after_a_new_save)
    (first,) = ingest(ws).outcomes
    assert sha(first.stored) == read and path.exists() and sha(path) != read
    monkeypatch.undo()
    (second,) = ingest(ws).outcomes
    assert second.state == "accepted" and second.version == 2 and not path.exists()


def test_a_file_that_cannot_be_moved_is_copied_and_moved_next_time(ws, monkeypatch):
    """Windows refuses to rename a file open in Excel: the bytes read are put in place, the row stays
    unfinished, and the next run moves the original out of the inbox."""
    path = make_return(ws.inbox / "呼中林业局.xlsx", "呼中林业局")
    real_replace, real_unlink = os.replace, os.unlink

    def refuse_replace(source, target, *args, **kwargs):
        if Path(source) == path:
            raise PermissionError(13, "The process cannot access the file")
        return real_replace(source, target, *args, **kwargs)

    def refuse_unlink(target, *args, **kwargs):
        if Path(target) == path:
            raise PermissionError(13, "The process cannot access the file")
        return real_unlink(target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse_replace)
    monkeypatch.setattr(os, "unlink", refuse_unlink)
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "accepted" and sha(outcome.stored) == sha(path)
    with Ledger(ws.ledger_path) as ledger:
        assert [r.moved for r in ledger.files()] == [0]
    (still_open,) = ingest(ws).outcomes  # still open: not taken in a second time
    assert still_open.state == "waiting" and "正被其他程序打开" in still_open.reason
    with Ledger(ws.ledger_path) as ledger:
        assert [r.moved for r in ledger.files()] == [0]
    monkeypatch.undo()
    result = ingest(ws)
    assert result.completed == 1 and result.outcomes == [] and not path.exists()
    with Ledger(ws.ledger_path) as ledger:
        assert [r.moved for r in ledger.files()] == [1]
        assert len(ledger.counted("dxal-2020", "2020-06")) == 1


def test_another_form_is_sent_back(ws):
    drop(ws, sample_inbox("haicheng-2020") / "建设集团-统计表.xlsx")
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "returned"
    assert outcome.reason == ("报送的是《2020年“安全生产月”和“平安临溟”活动进展情况统计表》，"
                              "不是本次收集的《2020年全区“安全生产月”和“安全生产兴安行”活动进展情况统计表》")


def test_unreadable_file_is_sent_back_to_the_unit_its_name_says(ws):
    path = ws.inbox / "松岭林业局-统计表.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    old = time.time() - 60
    os.utime(path, (old, old))
    (outcome,) = ingest(ws).outcomes
    assert (outcome.state, outcome.unit) == ("returned", "松岭林业局")
    assert "不完整或已损坏" in outcome.reason


def test_a_file_still_being_written_waits_for_the_next_pass(ws):
    whole = make_return(ws.inbox.parent / "whole.xlsx", "呼中林业局").read_bytes()
    part = ws.inbox / "呼中林业局.xlsx"
    part.write_bytes(whole[: len(whole) // 2])  # just now, half of it
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "waiting"
    assert part.exists()
    with Ledger(ws.ledger_path) as ledger:
        assert ledger.files() == []
    part.write_bytes(whole)
    assert states(ingest(ws)) == {"呼中林业局.xlsx": "accepted"}


# ---------------------------------------------------------------------------------------------
# versions


def test_newest_accepted_return_counts_and_a_later_one_sent_back_does_not_erase_it(ws, monkeypatch):
    make_return(ws.inbox / "呼中林业局.xlsx", "呼中林业局", seed=1)
    ingest(ws)
    make_return(ws.inbox / "呼中林业局（更正）.xlsx", "呼中林业局", seed=2)
    (second,) = ingest(ws).outcomes
    assert second.version == 2
    assert "替换" in second.receipt.read_text(encoding="utf-8-sig")
    make_return(ws.inbox / "呼中林业局（再更正）.xlsx", "呼中林业局", seed=3, changes={"launch.sessions": "-1"})
    (third,) = ingest(ws).outcomes
    assert third.state == "returned"
    with Ledger(ws.ledger_path) as ledger:
        (counted,) = ledger.counted("dxal-2020", "2020-06")
        assert (counted.name, counted.version) == ("呼中林业局（更正）.xlsx", 2)
        assert [r.state for r in ledger.files()] == ["accepted", "accepted", "returned"]
    assert (ws.archive / "2020-06" / "呼中林业局.xlsx").is_file()  # the older one stays


# ---------------------------------------------------------------------------------------------
# periods


def test_period_from_template_metadata_wins_over_the_date(ws):
    make_return(ws.inbox / "a.xlsx", "呼中林业局", filled_on=date(2020, 7, 3),
                properties={"collector.period": "2020-W25", "collector.form": "dxal-2020"})
    (outcome,) = ingest(ws).outcomes
    assert outcome.period == "2020-W25"


@pytest.mark.parametrize(
    ("filled_on", "period"),
    [
        (date(2020, 6, 28), "2020-06"),
        (date(2020, 7, 5), "2020-06"),  # late, still the 安全生产月
        (date(2020, 9, 1), "2020-09"),  # no configured period claims it: the month
    ],
)
def test_period_from_the_date_filled_in(ws, filled_on, period):
    make_return(ws.inbox / "a.xlsx", "呼中林业局", filled_on=filled_on)
    (outcome,) = ingest(ws).outcomes
    assert outcome.period == period


def test_period_from_arrival_when_there_is_no_date(tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path, "changchun-2019")
    drop(workspace, sample_inbox("changchun-2019") / "净月区经发局-统计表.xlsx")
    monkeypatch.setattr(ingest_module, "_now", lambda: "2019-07-01T09:30:00.000000")
    (outcome,) = ingest(workspace).outcomes
    assert outcome.period == "2019-06"  # arrived a day before the deadline of 2019-07-02


def test_period_option_overrides(ws):
    make_return(ws.inbox / "a.xlsx", "呼中林业局", properties={"collector.period": "2020-W25"})
    (outcome,) = ingest(ws, period="2020-H2").outcomes
    assert outcome.period == "2020-H2"
    assert (ws.archive / "2020-H2" / "a.xlsx").is_file()


# ---------------------------------------------------------------------------------------------
# held returns


def test_unknown_unit_is_held_then_settled_by_an_alias(ws):
    drop(ws, sample_inbox("dxal-2020") / "塔河县安委会-统计表（错误6）.xlsx")
    (held,) = ingest(ws).outcomes
    assert held.state == "held" and held.reason == "填报单位“某某不存在局”不在名单中"
    assert held.stored == ws.held / "塔河县安委会-统计表（错误6）.xlsx"
    text = held.receipt.read_text(encoding="utf-8-sig")
    assert 'collect ingest --alias "某某不存在局=塔河县安委会"' in text
    assert ingest(ws).outcomes == []  # still held, nothing new to say
    result = ingest(ws, aliases=[("某某不存在局", "塔河县安委会")])
    (settled,) = result.outcomes
    assert (settled.state, settled.unit, settled.settled) == ("accepted", "塔河县安委会", True)
    assert result.periods_changed == {"2020-06"}
    assert not any(ws.held.iterdir())
    assert (ws.archive / "2020-06" / "塔河县安委会-统计表（错误6）.xlsx").is_file()
    with Ledger(ws.ledger_path) as ledger:
        assert ledger.held_unsettled() == []
        assert [r.state for r in ledger.files()] == ["held", "accepted"]
    assert "某某不存在局" in (ws.root / "units.csv").read_text(encoding="utf-8-sig")


def test_header_and_filename_naming_different_units_is_held(ws):
    make_return(ws.inbox / "附件3 塔河林业局.xlsx", "呼中林业局")
    (outcome,) = ingest(ws).outcomes
    assert outcome.state == "held"
    assert "文件名却是“塔河林业局”" in outcome.reason


# ---------------------------------------------------------------------------------------------
# crash safety, in process (the killed process is in test_ingest_killed.py)


def test_an_interrupted_run_is_completed_by_the_next(ws, monkeypatch):
    for i, unit in enumerate(["呼中林业局", "地区公安局", "塔河林业局"]):
        make_return(ws.inbox / f"{unit}.xlsx", unit, seed=i)
    # the run stops after committing its rows, before any original left the inbox
    monkeypatch.setattr(ingest_module._Run, "flush", lambda self: self.ledger.commit())
    ingest(ws)
    ws.staging.mkdir(exist_ok=True)  # a copy cut short by the crash (the rare copy instead of a rename)
    (ws.staging / "half-made-copy.xlsx").write_bytes(b"PK")
    monkeypatch.undo()
    with Ledger(ws.ledger_path) as ledger:
        assert [r.moved for r in ledger.files()] == [0, 0, 0]
    assert len(list(ws.inbox.iterdir())) == 3
    result = ingest(ws)
    assert result.completed == 3 and result.outcomes == []
    assert not any(ws.inbox.iterdir()) and not any(ws.staging.iterdir())
    with Ledger(ws.ledger_path) as ledger:
        assert [r.moved for r in ledger.files()] == [1, 1, 1]
        assert len(ledger.counted("dxal-2020", "2020-06")) == 3


def test_a_lost_receipt_is_written_again_from_the_ledger(ws, monkeypatch):
    make_return(ws.inbox / "呼中林业局.xlsx", "呼中林业局", changes={"launch.sessions": "-1"})
    monkeypatch.setattr(ingest_module._Run, "flush", lambda self: self.ledger.commit())
    (outcome,) = ingest(ws).outcomes
    monkeypatch.undo()
    text = outcome.receipt.read_text(encoding="utf-8-sig")
    outcome.receipt.unlink()
    ingest(ws)
    assert outcome.receipt.read_text(encoding="utf-8-sig").split("\r\n")[:-3] == text.split("\r\n")[:-3]


# ---------------------------------------------------------------------------------------------
# the command


def test_cli_ingest_plain_lines_and_exit_codes(ws):
    make_return(ws.inbox / "附件3 呼中林业局.xlsx", "呼中林业局")
    good = sha(ws.inbox / "附件3 呼中林业局.xlsx")[:8]
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"已接收  附件3 呼中林业局.xlsx → 呼中林业局，2020-06，第 1 版；回执 outbox/回执/2020-06/呼中林业局-已接收-{good}.txt\n"
        "共 1 个文件：已接收 1。\n"
        "有新接收的期间：2020-06\n"
    )
    make_return(ws.inbox / "地区公安局.xlsx", "地区公安局", changes={"launch.sessions": "2.5"})
    bad = sha(ws.inbox / "地区公安局.xlsx")[:8]
    result = runner.invoke(app, ["ingest", "-w", str(ws.root)])
    assert result.exit_code == 1
    assert result.output == (
        "退回   地区公安局.xlsx → 地区公安局，统计表!D4 “启动仪式·场次”应填写整数（单位：场次），不能有小数，现填写“2.5”；"
        f"已移到 returned/2020-06/地区公安局.xlsx，回执 outbox/回执/2020-06/地区公安局-退回-{bad}.txt\n"
        "共 1 个文件：退回 1。\n"
    )
    result = runner.invoke(app, ["ingest", "-w", str(ws.root)])
    assert (result.exit_code, result.output) == (0, "收件箱中没有新文件。\n")


def test_cli_ingest_refuses_bad_input_without_a_traceback(tmp_path, ws):
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "-w", str(tmp_path / "无此目录")])
    assert result.exit_code == 2  # could not run
    assert "不是工作目录" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["ingest", "-w", str(ws.root), "--period", "2020-13"])
    assert result.exit_code == 2 and "期间“2020-13”格式不对" in result.output
    result = runner.invoke(app, ["ingest", "-w", str(ws.root), "--alias", "无等号"])
    assert result.exit_code == 2 and "--alias 的写法" in result.output


# ---------------------------------------------------------------------------------------------
# a real process killed with SIGKILL mid-run, then re-run: the same result as an undisturbed run


def _fill_inbox(inbox: Path, count: int) -> None:
    """Returns of every kind: accepted, versions, sent back, held, a duplicate, a text file."""
    roster = [line.split(",")[0] for line in (DATA / "dxal-2020" / "units.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    for i in range(count):
        unit = roster[i % len(roster)]
        changes = {"launch.sessions": "-1"} if i % 7 == 3 else None
        make_return(inbox / f"{i:03d} {unit}.xlsx", unit, seed=i, changes=changes)
    make_return(inbox / "050 某某不存在局.xlsx", "某某不存在局", seed=99)
    shutil.copy2(inbox / "001 松岭区安委会.xlsx", inbox / "051 松岭区安委会（重发）.xlsx")
    (inbox / "052 说明.txt").write_text("附件请查收", encoding="utf-8")
    old = time.time() - 3600
    for path in inbox.iterdir():
        os.utime(path, (old, old))


def _outcome_of(workspace: Workspace) -> dict:
    """Everything a run leaves, except arrival times: rows in order, values, problems, files, receipts."""
    with Ledger(workspace.ledger_path) as ledger:
        rows = [(r.name, r.sha256, r.state, r.unit, r.period, r.version, r.stored_path, r.receipt_path, r.moved)
                for r in ledger.files()]
        ids = [r.id for r in ledger.files()]
        values = [(key, cell, value) for _, key, cell, value in ledger.values(ids)]
        problems = [(p.code, p.cell) for _, p in ledger.problems(ids)]
        counted = sorted((r.unit, r.name) for r in ledger.counted("dxal-2020", "2020-06"))
        half = ledger.db.execute(
            "SELECT COUNT(*) FROM files f WHERE f.form IS NOT NULL AND f.state != 'duplicate' AND "
            "(SELECT COUNT(*) FROM value_sets s, json_each(s.json) WHERE s.file_id = f.id) != ?", (len(FORMS["dxal-2020"].blank_refs),)
        ).fetchone()[0]
    files = {}
    for folder in ("inbox", "archive", "returned", "held", "ignored", "outbox"):
        for path in sorted((workspace.root / folder).rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if path.name.endswith("回执.txt") or folder == "outbox":
                    # receipts carry the times of arrival and writing; the rest must be byte for byte
                    data = re.sub(rb"\d{4}-\d\d-\d\d( \d\d:\d\d)?", b"<time>", data)
                files[path.relative_to(workspace.root).as_posix()] = hashlib.sha256(data).hexdigest()
    return {"rows": rows, "values": values, "problems": problems, "counted": counted, "files": files, "half": half}


def _receipts(workspace: Workspace) -> int:
    return sum(1 for p in workspace.receipts.rglob("*.txt") if not p.name.startswith("."))


def _committed_unmoved(workspace: Workspace) -> bool:
    """Whether the ledger has a committed row whose original has not been moved yet."""
    if not workspace.ledger_path.exists():
        return False
    db = sqlite3.connect(workspace.ledger_path, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM files WHERE moved = 0").fetchone()[0] > 0
    except sqlite3.OperationalError:  # the tables are not made yet
        return False
    finally:
        db.close()


def _undisturbed_and_twin(tmp_path: Path, count: int) -> tuple[Workspace, Workspace, list[str]]:
    """Two workspaces with the same inbox; the first taken in by an undisturbed `collect ingest` process
    (the result to compare with), the second left for the test to disturb; and the command."""
    import subprocess
    import sys

    calm = make_workspace(tmp_path / "calm")
    twin = make_workspace(tmp_path / "twin")
    _fill_inbox(calm.inbox, count)
    for path in calm.inbox.iterdir():
        shutil.copy2(path, twin.inbox / path.name)
    command = [sys.executable, "-m", "collector", "ingest", "-w"]
    subprocess.run(command + [str(calm.root)], check=False, capture_output=True, timeout=120)
    return calm, twin, command


def test_killed_process_then_rerun_equals_an_undisturbed_run(tmp_path):
    import signal
    import subprocess

    calm, killed, command = _undisturbed_and_twin(tmp_path, 40)

    env = dict(os.environ, COLLECTOR_INGEST_PAUSE="0.01", COLLECTOR_INGEST_BATCH="4")
    rng = random.Random(7)
    kills = unfinished = 0
    for n, target in enumerate((2, 9, 17, 26, 33)):
        process = subprocess.Popen(command + [str(killed.root)], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        if n % 2:  # between a batch's commit and its originals leaving the inbox
            while not _committed_unmoved(killed) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        else:  # anywhere between the steps of a file
            while _receipts(killed) < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.03))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        if killed.ledger_path.exists():
            with Ledger(killed.ledger_path) as ledger:
                unfinished += len(ledger.unfinished_moves())
    assert kills >= 3
    assert unfinished > 0  # some kill landed between a commit and the original leaving the inbox
    finished = subprocess.run(command + [str(killed.root)], capture_output=True, timeout=120, text=True)
    assert "Traceback" not in finished.stderr

    want, got = _outcome_of(calm), _outcome_of(killed)
    assert got["half"] == 0
    assert got["rows"] == want["rows"]
    assert got["counted"] == want["counted"]
    assert got["values"] == want["values"] and got["problems"] == want["problems"]
    assert got["files"] == want["files"]
    assert not (killed.staging.exists() and any(killed.staging.iterdir()))


def test_checking_ahead_in_child_processes_changes_nothing(tmp_path, monkeypatch):
    """A large inbox is read and checked ahead by several children: the same ledger, files and receipts
    as with one child checking each file when it comes to it."""
    from collector.reading.isolated import Checker

    ahead = []
    real_wait = Checker._wait_for

    def counting_wait(self, key):
        found = real_wait(self, key)
        ahead.append(found is not None)
        return found

    monkeypatch.setattr(Checker, "_wait_for", counting_wait)
    monkeypatch.setenv("COLLECTOR_WORKERS", "2")
    alone = make_workspace(tmp_path / "alone")
    workers = make_workspace(tmp_path / "workers")
    _fill_inbox(alone.inbox, 30)
    for path in alone.inbox.iterdir():
        shutil.copy2(path, workers.inbox / path.name)
    expected = ingest(alone)
    result = ingest(workers, parallel=True)
    assert [(o.name, o.state) for o in result.outcomes] == [(o.name, o.state) for o in expected.outcomes]
    assert _outcome_of(workers) == _outcome_of(alone)
    assert sum(ahead) >= 25  # read and checked ahead, not asked for afresh


def test_ctrl_c_stops_cleanly_and_the_next_run_finishes(tmp_path):
    """Ctrl-C reaches the whole process group (main process and workers): one Chinese line, no
    traceback, nothing hangs; the next run completes the job exactly."""
    import signal
    import subprocess

    calm, stopped, command = _undisturbed_and_twin(tmp_path, 30)

    env = dict(os.environ, COLLECTOR_INGEST_PAUSE="0.02")
    process = subprocess.Popen(command + [str(stopped.root)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while _receipts(stopped) < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)  # a hang fails here
    assert process.returncode == 130, (out[-2000:], err[-2000:])
    assert err.strip() == "已中断：已处理的文件都已记录；其余留在 inbox/，下次运行 collect ingest 接着处理。", err[-2000:]
    assert "Traceback" not in err
    subprocess.run(command + [str(stopped.root)], check=False, capture_output=True, timeout=120)
    assert _outcome_of(stopped)["counted"] == _outcome_of(calm)["counted"]
    assert _outcome_of(stopped)["half"] == 0


def test_an_alias_onto_a_unit_with_an_accepted_return_says_which_version_counts(ws, monkeypatch):
    clock = iter(f"2020-06-{d:02d}T10:00:00.000000" for d in range(20, 31))
    monkeypatch.setattr(ingest_module, "_now", lambda: next(clock))
    make_return(ws.inbox / "塔河县安委会.xlsx", "塔河县安委会", seed=1)  # arrives first: 第 1 版
    assert [o.state for o in ingest(ws).outcomes] == ["accepted"]
    make_return(ws.inbox / "统计表甲.xlsx", "某某不存在局", seed=2)  # held, newer than 塔河县安委会's
    make_return(ws.inbox / "统计表乙.xlsx", "某某乙局", seed=3)  # held, older than 塔河林业局's below
    assert [o.state for o in ingest(ws).outcomes] == ["held", "held"]
    make_return(ws.inbox / "塔河林业局.xlsx", "塔河林业局", seed=4)
    assert [o.state for o in ingest(ws).outcomes] == ["accepted"]
    result = CliRunner().invoke(app, ["ingest", "-w", str(ws.root), "--alias", "某某不存在局=塔河县安委会",
                                      "--alias", "某某乙局=塔河林业局"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.search("统计表甲.xlsx → 塔河县安委会，2020-06，第 2 版（待确认的文件已确认），"
                     f"替换已接收的第 1 版（“塔河县安委会.xlsx”，{when} 收到），计入汇总的改为本表；回执", result.output)
    assert re.search("统计表乙.xlsx → 塔河林业局，2020-06，第 2 版（待确认的文件已确认），"
                     f"塔河林业局 另有更新的第 1 版（“塔河林业局.xlsx”，{when} 收到），计入汇总的仍是那一份；回执",
                     result.output)
    with Ledger(ws.ledger_path) as ledger:
        counted = {r.unit: r.name for r in ledger.counted("dxal-2020", "2020-06")}
    assert counted == {"塔河县安委会": "统计表甲.xlsx", "塔河林业局": "塔河林业局.xlsx"}


def test_a_file_that_is_no_return_is_sent_back_under_the_period_being_collected_naming_our_form(ws):
    make_return(ws.inbox / "甲.xlsx", "塔河县安委会")  # filled 2020-06-28: June is being collected
    assert [(o.state, o.period) for o in ingest(ws).outcomes] == [("accepted", "2020-06")]
    drop(ws, sample_inbox("dxal-2020") / "2020年部门预算表.xlsx")
    (budget,) = ingest(ws).outcomes  # received today (not in June 2020), no --period
    title = FORMS["dxal-2020"].title
    assert budget.state == "returned" and budget.period == "2020-06"
    assert budget.reason == f"这不是要收集的统计表：表中找不到《{title}》的文字"
    assert budget.receipt.parent == ws.receipts / "2020-06"
    assert budget.stored.parent == ws.returned / "2020-06"
    text = budget.receipt.read_text(encoding="utf-8-sig")
    assert "期间：2020-06" in text and f"《{title}》" in text
    others = [form.title for form in FORMS.values() if form.id != "dxal-2020"]
    assert others and not any(other in text for other in others)  # only this workspace's form
    assert "已知的表" not in text


def test_a_returned_file_sent_again_unchanged_gets_its_receipt_again(ws, tmp_path):
    bad = make_return(tmp_path / "乙局.xlsx", "塔河县安委会", changes={"launch.sessions": "-1"})
    drop(ws, bad)
    (first,) = ingest(ws).outcomes
    assert first.state == "returned" and first.receipt.parent == ws.receipts / "2020-06"
    text = first.receipt.read_text(encoding="utf-8-sig")
    first.receipt.unlink()  # forwarded to the unit and cleared away by the clerk
    drop(ws, bad)  # the unit sends the very same file again
    result = CliRunner().invoke(app, ["ingest", "-w", str(ws.root)], catch_exceptions=False)
    assert result.exit_code == 1, result.output  # a receipt to forward again
    rel = first.receipt.relative_to(ws.root).as_posix()
    assert f"，不重复计入；已移到 ignored/乙局.xlsx；回执已重新写出：{rel}（可再转给单位）\n" in result.output
    assert result.output.startswith("重复")
    again = first.receipt.read_text(encoding="utf-8-sig")
    assert again.splitlines()[:-1] == text.splitlines()[:-1]  # the same receipt (signed with today's date)
    with Ledger(ws.ledger_path) as ledger:
        assert [r.state for r in ledger.files()] == ["returned", "duplicate"]
