"""The clerk's words and habits: help and errors wholly in Chinese, periods as typed, -p everywhere,
a full-width ＝, a mistyped form id, an empty roster."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.cli.help import summary
from collector.forms.model import load_forms
from collector.inbox.ingest import ingest
from collector.inbox.workspace import init_workspace
from collector.jobs.samples import realistic_values, write_return

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)
#: what help may say in Latin letters: commands, options, file and folder names, formats
_ALLOWED = re.compile(
    r"[\w./-]*\.(?:csv|xlsx|xlsm|xls|toml|txt|log|sqlite3|parquet|docx|doc|wps|et|ods)\b|[a-z]+-20\d\d|import|--?[\w-]+|python -m collector|collect|"
    r"inbox|outbox|Excel|WPS|CSV|BOM|Parquet|JSON|Ctrl-C|YYYY-MM|YYYY-Www|YYYY-H1|H1|H2|schemas|dxal-2020|id|logs|"
    r"[0-9]{4}-W[0-9]{2}|[0-9]{4}-H[12]|collector-demo|form|" + "|".join(rf"\b{c}\b" for c in COMMANDS)
)


def invoke(args, **kwargs):
    return CliRunner().invoke(app, args, catch_exceptions=False, **kwargs)


def _command_paths(group, path=()):
    """Every command and command group, as the words that call it."""
    for name, command in group.commands.items():
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from _command_paths(command, (*path, name))


GROUP = __import__("typer.main", fromlist=["get_command"]).get_command(app)


@pytest.mark.parametrize("command", [(), *sorted(_command_paths(GROUP))], ids=" ".join)
def test_help_is_wholly_chinese(command):
    result = invoke([*command, "--help"])
    assert result.exit_code == 0
    text = result.output
    for english in ("Show this message", "Usage:", "Options", "Arguments", "Commands", "[required]", "…│"):
        assert english not in text, f"{english!r} in {command} --help"
    assert not re.search(r"<[A-Za-z]", text), "a type for a metavar (<float>, <list[Path]>)"
    left = _ALLOWED.sub("", text)
    assert not re.search(r"[A-Za-z]{3,}", left), re.findall(r"[A-Za-z]{3,}.{0,20}", left)
    assert "显示本说明。" in text


def test_the_command_list_gives_each_summary_whole():
    text = invoke(["--help"]).output
    for name in COMMANDS:
        line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
        assert line.strip().endswith(summary(GROUP.commands[name])), line


@pytest.mark.parametrize("command", ["ingest", "watch", "status", "summarize", "export", "run", "template", "init", "refile"])
def test_every_period_option_has_p(command):
    assert re.search(r"-p, --period 期间", invoke([command, "--help"]).output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["watch", "--rescan", "abc"], "错误：'--rescan' 的取值不对：应为数字。"),
        (["status", "-w", __file__], f"错误：'--workspace' / '-w' 的取值不对：“{__file__}”是一个文件，这里要写文件夹。"),
        (["summarize", "--perod", "2020-06"], "错误：没有这个选项：--perod（是不是 --period？）"),
    ],
)
def test_a_refused_value_is_told_in_chinese(args, message):
    result = invoke(args)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == message
    assert "Input should" not in result.output and "Did you mean" not in result.output


@pytest.fixture
def ws(tmp_path):
    form = load_forms()["changchun-2019"]
    workspace = init_workspace(tmp_path / "ws", form.id, office="县安委办").workspace
    (workspace.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n乙局,西区,\n", encoding="utf-8")
    write_return(workspace.inbox / "甲局.xlsx", form, "甲局", realistic_values(form, random.Random(1)),
                 filled_on=date(2020, 6, 28))
    ingest(workspace, period="2020-06")
    return workspace


@pytest.mark.parametrize("typed", ["2020-6", "2020年6月", "202006", "2020.06", "2020/06", "2020-06 "])
def test_a_period_as_the_clerk_types_it(ws, typed):
    result = invoke(["status", "-p", typed, "-w", str(ws.root)])
    assert result.exit_code == 0  # no deadline set for 2020-06: 乙局 is not overdue
    assert result.output.splitlines()[1] == "期间 2020-06"


def test_a_period_that_means_none_is_a_usage_error(ws):
    result = invoke(["status", "-p", "2020-13", "-w", str(ws.root)])
    assert result.exit_code == 2
    assert result.output.startswith("错误：期间“2020-13”格式不对：应为 YYYY-MM")


def test_a_full_width_equals_in_alias(ws):
    result = invoke(["ingest", "--alias", "乙＝乙局", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "已添加别名：乙=乙局"
    assert (ws.root / "units.csv").read_text(encoding="utf-8").splitlines()[2] == "乙局,西区,乙"


def call(command, ws):
    w = ["-w", str(ws.root)]
    return {
        "export": ["export", "-p", "2020-06", *w], "ingest": ["ingest", *w], "run": ["run", *w],
        "status": ["status", *w], "summarize": ["summarize", "-p", "2020-06", *w],
        "template": ["template", "--all", *w], "watch": ["watch", *w], "refile": ["refile", "甲局", "-p", "2020-07", *w],
    }[command]


@pytest.mark.parametrize("command", ["export", "ingest", "run", "status", "summarize", "template", "watch", "refile"])
def test_a_mistyped_form_id_stops_every_command(ws, command):
    text = ws.config_path.read_text(encoding="utf-8").replace('"changchun-2019"', '"changchun-2091"')
    ws.config_path.write_text(text, encoding="utf-8")
    result = invoke(call(command, ws))
    assert result.exit_code == 2
    assert result.output.startswith(f"错误：{ws.config_path}：配置文件中的统计表编号“changchun-2091”不存在；请改为以下之一：")


def test_status_with_an_empty_roster_warns(ws):
    (ws.root / "units.csv").write_text("单位,地区,别名\n", encoding="utf-8")
    result = invoke(["status", "-p", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "注意：单位名单 units.csv 中还没有单位，无法知道谁未报。请按“单位,地区,别名”填写应报单位。")


def test_outside_a_workspace_the_command_names_the_nearest(ws, monkeypatch):
    monkeypatch.chdir(ws.root.parent)
    result = invoke(["status"])
    assert result.exit_code == 2
    assert result.output == (f"错误：{ws.root.parent} 不是工作目录（没有 collector.toml）。附近的工作目录：ws。"
                             "请先 cd ws，或在命令后加 -w ws。\n")


def test_ctrl_c_is_exit_130_in_chinese(ws, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("collector.cli.status.status_report", interrupted)
    result = invoke(["status", "-p", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 130
    assert result.output == "已中断（Ctrl-C）。已完成的部分都已保存，再运行一次即可接着做。\n"


def test_a_damaged_ledger_says_what_to_do(ws):
    ws.ledger_path.write_bytes(b"this is no database" * 100)
    for suffix in ("-wal", "-shm"):
        (ws.root / f"collector.sqlite3{suffix}").unlink(missing_ok=True)
    result = invoke(["status", "-p", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 2
    assert result.output == (
        f"错误：{ws.ledger_path}：台账数据库无法打开：台账文件已损坏。处理办法：把 collector.sqlite3 改名留存"
        "（如 collector.sqlite3.损坏），再把 archive/ 下各期间文件夹中的表放回 inbox/，运行 collect ingest 重新建立台账\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('id = "x"\ntitle = "表\n', "表格定义文件第 2 行写法不对（TOML 格式：引号、方括号或等号有误）。"),
        ('id = "x"\ntitle = 12\n', "有误："),
    ],
)
def test_a_broken_form_file_is_told_in_chinese(ws, text, message):
    ws.schemas.mkdir(exist_ok=True)
    (ws.schemas / "x.toml").write_text(text, encoding="utf-8")
    result = invoke(["status", "-p", "2020-06", "-w", str(ws.root)])
    assert result.exit_code == 2
    line = result.output.splitlines()[0]
    assert line.startswith(f"错误：{ws.schemas / 'x.toml'}：") and message in line
    assert not re.search(r"Input should|Illegal character|Field required|line \d", line), line


def test_watchdogs_own_english_never_reaches_the_screen(ws):
    """watchdog logs in English as it stops (an error from its inotify thread); with no handler Python
    would print it on the clerk's screen. A real process: pytest's own log capture would hide it."""
    import subprocess
    import sys

    code = (
        "import logging, os, signal, sys, threading\n"
        f"sys.argv = ['collect', 'watch', '-w', {str(ws.root)!r}]\n"
        "threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        "from collector.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "logging.getLogger('watchdog.observers.inotify').error('InotifyEmitter.queue_events() called when the thread is inactive')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "已停止监视。共处理 0 个文件。", done.stdout
    assert done.stderr == ""
