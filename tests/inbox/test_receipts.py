"""Receipts (回执): what the unit is told, in Chinese, for each return."""

from collector.forms.model import load_forms
from collector.inbox.ledger import FileRecord, ProblemRow
from collector.inbox.receipts import ReceiptInput, beside_path, receipt_path, receipt_text
from collector.inbox.workspace import Workspace

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


def test_accepted_receipt_names_unit_period_version_and_numbers():
    record = _record("accepted", version=2)
    previous = _record("accepted", version=1, arrived_at="2020-06-20T08:00:00")
    warning = ProblemRow("warning", "approx", "“启动仪式·场次”填写的“约3”是约数，按 3 计；请填写准确的数字。",
                         "统计表!D4", "launch.sessions", "启动仪式·场次", "约3")
    text = receipt_text(ReceiptInput(record, FORM, [warning], {"launch.sessions": 3, "study.group_sessions": 2},
                                     "地区安委办", previous))
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
    assert "  1. 位置：统计表!D4" in lines
    assert "     原表文字：以（ ）等形式启动“安全生产月”活动（ ）场次。" in lines
    assert "     填写的是：约3" in lines
    assert any(line.startswith("下一步：无需再报") for line in lines)
    assert lines[-2].startswith("地区安委办  ")


def test_returned_receipt_lists_every_problem_and_what_to_do():
    problems = [
        ProblemRow("error", "negative", "“启动仪式·场次”应填写不小于0的整数，现填写“-3”。", "统计表!D4", "launch.sessions",
                   "启动仪式·场次", "-3"),
        ProblemRow("error", "not_number", "“x”应填写不小于0的整数，现填写“若干”；没有请填 0，有请填写准确数字。", "统计表!D5",
                   "study.group_sessions", "x", "若干"),
    ]
    text = receipt_text(ReceiptInput(_record("returned"), FORM, problems, {}))
    assert "结论：退回，暂不计入汇总。共 2 处需要修改：" in text
    assert "  2. 位置：统计表!D5\r\n" in text
    assert "     填写的是：若干\r\n" in text
    assert "     问题及改法：“x”应填写不小于0的整数，现填写“若干”；没有请填 0，有请填写准确数字。\r\n" in text
    assert "下一步：请在原表上修改以上各处" in text


def test_unreadable_file_receipt():
    record = _record("returned", form=None, unit=None, unit_written=None)
    text = receipt_text(ReceiptInput(record, None, [ProblemRow("error", "empty", "文件是空的（0 字节），请对方重新发送。")], {}))
    assert "报送单位：（未能确定）" in text
    assert "  1. 文件是空的（0 字节），请对方重新发送。" in text
    assert "下一步：请使用下发的原表填写" in text


def test_held_receipt_gives_the_command_that_settles_it():
    record = _record("held", unit="塔河县安委会", unit_written="某某不存在局", reason="填报单位“某某不存在局”不在名单中")
    text = receipt_text(ReceiptInput(record, FORM, [], {}))
    assert "结论：待确认，暂不计入汇总。原因：填报单位“某某不存在局”不在名单中。" in text
    assert 'collect ingest --alias "某某不存在局=塔河县安委会"' in text


def test_paths(tmp_path):
    ws = Workspace(tmp_path)
    assert receipt_path(ws, _record("accepted")) == tmp_path / "outbox" / "回执" / "2020-06" / "呼中林业局-已接收-abababab.txt"
    no_unit = _record("returned", unit=None, period=None, name="sub/坏:文件.xlsx")
    assert receipt_path(ws, no_unit).name == "坏_文件-退回-abababab.txt"
    assert receipt_path(ws, no_unit).parent.name == "未定期间"
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
