"""collect refile: exit codes and the exact lines the clerk reads."""

import random
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.forms.model import load_forms
from collector.inbox.ingest import ingest
from collector.inbox.workspace import init_workspace
from collector.jobs.samples import realistic_values, write_return

runner = CliRunner()
FORM = load_forms()["dxal-2020"]


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "收表 2020", FORM.id, office="县安委办").workspace
    (workspace.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n乙局,西区,\n应急局,西区,\n应急管理局,西区,\n",
                                              encoding="utf-8")
    return workspace


def _return(ws, name, unit, seed, filled_on, **changes):
    write_return(ws.inbox / name, FORM, unit, {**realistic_values(FORM, random.Random(seed)), **changes},
                 filled_on=filled_on)


def _refile(ws, *args):
    return runner.invoke(app, ["refile", "-w", str(ws.root), *args], catch_exceptions=False)


def _receipt(text):
    return re.sub(r"-[0-9a-f]{8}\.txt", "-xxxxxxxx.txt", re.sub(r"收到 [0-9-]+ [0-9:]+", "收到 …", text))


def test_cli_refile_moves_and_says_what_counts_where(ws):
    _return(ws, "甲局（5月）.xlsx", "甲局", 1, date(2020, 5, 28))
    ingest(ws)
    _return(ws, "甲局（更正）.xlsx", "甲局", 2, date(2020, 5, 29))
    ingest(ws)
    result = _refile(ws, "甲局", "--period", "2020-06")
    assert result.exit_code == 0, result.output
    assert _receipt(result.output) == (
        "已改期间：甲局 的“甲局（更正）.xlsx”（收到 …）由 2020-05 改为 2020-06。\n"
        "  原件：archive/2020-05/甲局（更正）.xlsx → archive/2020-06/甲局（更正）.xlsx\n"
        "  回执：outbox/回执/2020-06/甲局-已接收-xxxxxxxx.txt（2020-05 的旧回执已删除）\n"
        "  2020-06：本表计入汇总（第 1 版）。\n"
        "  2020-05：仍计入 甲局 的“甲局（5月）.xlsx”（第 1 版）；如它也归错了期间，请运行 "
        "collect refile \"archive/2020-05/甲局（5月）.xlsx\" --period 2020-06\n"
        "如已出过汇总表，请重新运行 collect summarize --period 2020-06 和 collect summarize --period 2020-05。\n"
    )
    result = _refile(ws, "archive/2020-05/甲局（5月）.xlsx", "--period", "2020-06")
    assert result.exit_code == 0, result.output
    assert "  2020-06：甲局 另有更新的报表“甲局（更正）.xlsx”（收到 " in result.output
    assert "计入汇总的仍是那一份；本表记为第 1 版。\n  2020-05：甲局 不再有计入汇总的报表。\n" in result.output
    result = _refile(ws, "甲局", "--period", "2020-06")
    assert result.exit_code == 0
    assert result.output == "甲局 的“甲局（更正）.xlsx”（archive/2020-06/甲局（更正）.xlsx）已在 2020-06，无需改动。\n"
    status = runner.invoke(app, ["status", "-w", str(ws.root), "--period", "2020-06"], catch_exceptions=False)
    assert "  甲局  已报（逾期）  第 2 版，收到 " in status.output  # taken in today, years after the deadline


def test_cli_refile_errors_exit_2_in_chinese(ws):
    _return(ws, "统计表.xlsx", "甲局", 1, date(2020, 5, 28))
    ingest(ws)
    _return(ws, "统计表.xlsx", "乙局", 2, date(2020, 5, 28))
    ingest(ws)
    cases = [
        (["统计表.xlsx", "--period", "2020-06"], "错误：“统计表.xlsx”对应 2 份报表，请写明是哪一份（用存放路径）：\n"
                                                 "  archive/2020-05/统计表.xlsx（甲局，2020-05，已接收，收到 …）\n"
                                                 "  archive/2020-05/统计表 (2).xlsx（乙局，2020-05，已接收，收到 …）\n"),
        (["应急", "--period", "2020-06"], "错误：“应急”可能是名单中的：应急局、应急管理局。请写出单位全称。\n"),
        (["丙局", "--period", "2020-06"], "错误：没有找到“丙局”：它既不是收到过的文件名或存放路径，也不是名单中的单位。"
                                         "请照 collect status 或回执中的文件名、单位名称填写。\n"),
        (["甲局", "--period", "六月"], "错误：期间“六月”格式不对：应为 YYYY-MM（如 2020-06）、YYYY-Www（如 2020-W25）或 YYYY-H1/H2。\n"),
    ]
    for args, output in cases:
        result = _refile(ws, *args)
        assert (result.exit_code, _receipt(result.output)) == (2, output), args
    result = _refile(ws, "甲局")
    assert result.exit_code == 2 and "缺少选项 '--period'" in result.output


def test_cli_refile_without_a_ledger(tmp_path):
    ws = init_workspace(tmp_path / "ws", FORM.id).workspace
    result = runner.invoke(app, ["refile", "-w", str(ws.root), "甲局", "--period", "2020-06"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output == "错误：还没有收到过任何文件（没有台账），无可改期间的报表。\n"
