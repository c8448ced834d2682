"""The `collect` command: help for every command, and exact output of summarize, export and demo."""

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

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_all_commands_are_there():
    for name in ("check", "init", "ingest", "watch", "status", "run", "summarize", "export", "template", "demo", "refile"):
        assert name in COMMANDS


def invoke(args):
    return CliRunner().invoke(app, args, catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = invoke([command, "--help"])
    assert result.exit_code == 0
    assert re.search(r"[\u4e00-\u9fff]", result.output), "help in Chinese"
    top = invoke(["--help"])
    assert command in top.output


def small_workspace(tmp_path):
    form = load_forms()["changchun-2019"]
    ws = init_workspace(tmp_path / "ws", form.id, office="县安委办").workspace
    (ws.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n乙局,西区,\n", encoding="utf-8")
    write_return(ws.inbox / "甲局.xlsx", form, "甲局", realistic_values(form, random.Random(1)), filled_on=date(2020, 6, 28))
    ingest(ws, period="2020-06")
    return ws


def test_summarize_output(tmp_path):
    ws = small_workspace(tmp_path)
    result = invoke(["summarize", "--period", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    path = ws.outbox / "“安全生产月”和“白山松水安全行”活动情况统计表_2020-06_汇总.xlsx"
    assert result.output == f"汇总表：{path}\n期间 2020-06：计入 1 个单位（应报 2 个）。\n"
    assert path.is_file()


def test_summarize_bad_period_is_a_usage_error(tmp_path):
    ws = small_workspace(tmp_path)
    result = invoke(["summarize", "--period", "2020-13", "-w", str(ws.root)])
    assert result.exit_code == 2
    assert result.output == ("错误：期间“2020-13”格式不对：应为 YYYY-MM（如 2020-06）、YYYY-Www（如 2020-W25）或 YYYY-H1/H2。\n")


def test_summarize_outside_a_workspace(tmp_path):
    result = invoke(["summarize", "--period", "2020-06", "-w", str(tmp_path)])
    assert result.exit_code == 2  # could not run
    assert "不是工作目录" in result.output


def test_export_output(tmp_path):
    ws = small_workspace(tmp_path)
    result = invoke(["export", "--period", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    stem = ws.outbox / "“安全生产月”和“白山松水安全行”活动情况统计表_2020-06_明细"
    n = len(load_forms()["changchun-2019"].blank_refs)
    assert result.output == f"已导出 {n} 行：\n  {stem}.csv\n  {stem}.parquet\n"


def test_demo_output(tmp_path):
    target = tmp_path / "demo"
    result = invoke(["demo", str(target)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"演示工作目录：{target.resolve()}"
    assert lines[1] == "第 1 次接收：共 26 个文件：已接收 22，退回 1，待确认 1，重复 1，忽略 1。"
    assert "报送情况：应报25，已报23，逾期0，未报2，待确认文件1份" in lines
    assert "催报：韩家园林业局、地区教育局" in lines
    again = invoke(["demo", str(target)])
    assert again.exit_code == 2 and "不是空的" in again.output


def test_summarize_with_nothing_counted_warns_and_exits_1(tmp_path):
    ws = small_workspace(tmp_path)
    result = invoke(["summarize", "--period", "2020-07", "-w", str(ws.root)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "注意：本期没有可计入的报表，表中数字全为 0，不要上报。请先运行 collect ingest，或检查期间是否写对。")
    empty = invoke(["export", "--period", "2020-07", "-w", str(ws.root)])
    assert empty.exit_code == 1 and "本期没有可计入的报表" in empty.output


def test_export_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path):
    ws = small_workspace(tmp_path)
    blocked = ws.outbox / "“安全生产月”和“白山松水安全行”活动情况统计表_2020-06_明细.csv"
    blocked.mkdir(parents=True)  # something in the way of the CSV
    result = invoke(["export", "--period", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 1
    assert result.output.startswith("错误：") and "无法写入" in result.output
    assert "Traceback" not in result.output
    assert [p.name for p in ws.outbox.glob(".~*")] == []


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (["summarize"], "错误：缺少选项 '--period' / '-p'。"),
        (["summarize", "--perod", "2020-06"], "错误：没有这个选项：--perod（是不是 --period？）"),
        (["check"], "错误：缺少参数 '文件'。"),
        (["demo", "a", "b"], "错误：多余的参数：b。"),
        (["frob"], "错误：没有这个命令：'frob'。"),
        (["--bogus"], "错误：没有这个选项：--bogus。"),
    ],
)
def test_a_wrong_call_is_told_in_chinese(args, first_line):
    result = invoke(args)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == first_line
    assert lines[1].endswith("--help 查看用法。")
