"""Receipts (回执): what the unit is told, in Chinese, for each return."""

from collector.forms.model import load_forms
from collector.inbox.ledger import FileRecord
from collector.inbox.receipts import ReceiptInput, beside_path, receipt_path, receipt_text
from collector.inbox.workspace import Workspace
from collector.reading.problem import Problem

FORM = load_forms()["dxal-2020"]


def _record(state, **kw):
    base = dict(id=1, name="附件3 呼中林业局.xlsx", sha256="ab" * 32, size=100, arrived_at="2020-06-28T09:05:00",
                state=state, inbox_path="inbox/x.xlsx", form="dxal-2020", unit="呼中林业局", unit_written="呼中林业局",
                period="2020-06", version=None)
    base.update(kw)
    return FileRecord(**base)


def test_the_receipt_gives_when_the_file_was_received_not_when_it_was_taken_in():
    record = _record("accepted", version=2, arrived_at="2020-07-02T09:00:00", received_at="2020-06-29T16:20:00")
    previous = _record("accepted", version=1, arrived_at="2020-07-02T08:00:00", received_at="2020-06-20")
    lines = receipt_text(ReceiptInput(record, FORM, [], {}, "地区安委办", previous)).split("\r\n")
    assert "文件：附件3 呼中林业局.xlsx（收到时间 2020-06-29 16:20）" in lines
    assert "版本：第 2 版，替换 2020-06-20 收到的第 1 版" in lines  # a date alone (--received): that day


def _checked(tmp_path, changes):
    """A real return with ``changes`` written into it, read and checked: its problems as the ledger keeps them."""
    from conftest import make_return

    from collector.reading.check import check_file

    path = make_return(tmp_path / "附件3 呼中林业局.xlsx", "呼中林业局", changes=changes)
    result = check_file(path, {FORM.id: FORM})
    return result, list(result.problems)


def test_accepted_receipt_names_unit_period_version_and_numbers(tmp_path):
    result, problems = _checked(tmp_path, {"launch.sessions": "约3"})
    assert result.ok and [p.code for p in problems if p.key == "launch.sessions"] == ["approx"]
    record = _record("accepted", version=2)
    previous = _record("accepted", version=1, arrived_at="2020-06-20T08:00:00")
    text = receipt_text(ReceiptInput(record, FORM, problems, result.values, "地区安委办", previous))
    lines = text.split("\r\n")
    assert lines[:8] == [
        "回执（已接收）", "",
        "报送单位：呼中林业局",
        f"统计表：{FORM.title}",
        "期间：2020-06",
        "文件：附件3 呼中林业局.xlsx（收到时间 2020-06-28 09:05）",
        "版本：第 2 版，替换 2020-06-20 08:00 收到的第 1 版",
        "结论：已接收，计入汇总。",
    ]
    assert "  启动仪式·场次：3场次" in lines
    # a reminder is one short line: the place and the checker's own words, not the whole sentence again
    approx = next(p for p in problems if p.key == "launch.sessions")
    assert f"  1. {approx.cell}：{approx.message}" in lines
    assert "约3" in approx.message and approx.cell.startswith("统计表!")
    assert not any(line.startswith("     原表文字") for line in lines)
    assert any(line.startswith("下一步：无需再报") for line in lines)
    assert lines[-2].startswith("地区安委办  ")


def test_returned_receipt_lists_every_problem_and_what_to_do(tmp_path):
    result, problems = _checked(tmp_path, {"launch.sessions": "-3", "study.group_sessions": "若干"})
    errors = [p for p in problems if p.level == "error"]
    assert not result.ok and {p.key for p in errors} == {"launch.sessions", "study.group_sessions"}
    text = receipt_text(ReceiptInput(_record("returned"), FORM, problems, {}))
    assert f"结论：退回，暂不计入汇总。共 {len(errors)} 处需要修改：" in text
    for n, problem in enumerate(errors, start=1):
        line = FORM.by_key[problem.key].line.text
        assert f"  {n}. 位置：{problem.cell}\r\n     原表文字：{line}\r\n" in text
        assert f"     填写的是：{problem.written}\r\n     问题及改法：{problem.message}\r\n" in text
    assert "下一步：请在原表上修改以上各处" in text


def test_unreadable_file_receipt():
    record = _record("returned", form=None, unit=None, unit_written=None)
    text = receipt_text(ReceiptInput(record, None, [Problem("error", "empty", "文件是空的（0 字节），请对方重新发送。")], {}))
    assert "报送单位：（未能确定）" in text
    assert "  1. 文件是空的（0 字节），请对方重新发送。" in text
    assert "下一步：请使用下发的原表填写" in text


def test_held_receipt_gives_the_command_that_settles_it():
    record = _record("held", unit="塔河县安委会", unit_written="某某不存在局", reason="填报单位“某某不存在局”不在名单中")
    text = receipt_text(ReceiptInput(record, FORM, [], {}))
    assert "结论：待确认，暂不计入汇总。原因：填报单位“某某不存在局”不在名单中。" in text
    assert 'collect ingest --alias "某某不存在局=塔河县安委会"' in text
    # the roster line that settles it, exactly as units.csv takes it
    assert "在 units.csv 末尾增加一行 某某不存在局,," in text


def test_roster_line_is_one_csv_row():
    import csv
    import io

    from collector.inbox.receipts import roster_line

    for written in ("某某局", '某"县",安委办'):
        assert next(csv.reader(io.StringIO(roster_line(written)))) == [written, "", ""]


def test_labels_with_nested_quotes_are_quoted_once():
    from collector.forms.model import quoted

    assert quoted("联办“‘公众开放日’云端直播”·线上参与人数") == "“联办‘公众开放日云端直播’·线上参与人数”"
    assert quoted("“安全生产啄木鸟”等活动·企业数") == "“‘安全生产啄木鸟’等活动·企业数”"


def test_paths(tmp_path):
    ws = Workspace(tmp_path)
    assert receipt_path(ws, _record("accepted")) == tmp_path / "outbox" / "回执" / "2020-06" / "呼中林业局-已接收-abababab.txt"
    no_unit = _record("returned", unit=None, period=None, name="sub/坏:文件.xlsx")
    assert receipt_path(ws, no_unit).name == "坏_文件-退回-abababab.txt"
    assert receipt_path(ws, no_unit).parent.name == "未定期间"
    # a held return's note is the clerk's: apart from the receipts that are forwarded to units
    assert receipt_path(ws, _record("held")).parent == tmp_path / "outbox" / "待确认说明" / "2020-06"
    assert beside_path(tmp_path / "a.b.xlsx") == tmp_path / "a.b.回执.txt"


def test_a_contradiction_is_settled_by_a_correction_not_an_alias():
    from collector.inbox.ledger import FileRecord
    from collector.inbox.receipts import settle_hint

    record = FileRecord(None, "塔河林业局.xlsx", "0" * 64, 1, "2020-06-28T10:00:00", "held", "inbox/塔河林业局.xlsx",
                        unit_written="呼中林业局",
                        reason="表头填报单位是“呼中林业局”（呼中林业局），文件名却是“塔河林业局”，两者不一致")
    hint = "\n".join(settle_hint(record))
    assert "--alias" not in hint
    assert "改正表头" in hint and "改名后放回 inbox/" in hint


def test_a_mismatch_with_our_blank_form_asks_for_the_right_form():
    from collector.inbox.ledger import FileRecord
    from collector.inbox.receipts import settle_hint

    def held(reason):
        return FileRecord(None, "x.xlsx", "0" * 64, 1, "2020-06-28T10:00:00", "held", "inbox/x.xlsx",
                          unit_written="松岭区安委会", reason=reason)

    template = "\n".join(settle_hint(held("表头填报单位是“松岭区安委会”（松岭区安委会），模板却是“松岭林业局”，两者不一致")))
    assert "--alias" not in template and "本单位的空白表" in template
    no_header = "\n".join(settle_hint(held("表头没有填写填报单位，而文件名“甲”、模板“乙”不一致")))
    assert "在表头填写填报单位" in no_header and "按表头" not in no_header
