"""``--help`` in Chinese, whole: our own layout instead of click's and rich's English frames.

Nothing is cut: a command's summary is the first paragraph of its docstring, however long (the
terminal wraps it); each option shows its Chinese metavar (``期间``, ``目录``), never a type name.
"""

from __future__ import annotations

import inspect
import unicodedata
from typing import Any

#: the order a clerk meets the commands in; a command not named here follows, by name
ORDER = ("init", "template", "check", "ingest", "watch", "status", "summarize", "export", "run", "refile", "form",
         "demo")
HELP_TEXT = "显示本说明。"


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def summary(command: Any) -> str:
    """The first paragraph of a command's help, on one line."""
    text = inspect.cleandoc(command.help or "")
    return " ".join(text.split("\n\n")[0].split())


def _rest(command: Any) -> str:
    """The paragraphs after the first."""
    parts = inspect.cleandoc(command.help or "").split("\n\n")[1:]
    return "\n\n".join(" ".join(p.split()) for p in parts)


def _metavar(param: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    return "值"


def _table(rows: list[tuple[str, str]]) -> list[str]:
    left = max((width(a) for a, _ in rows), default=0) + 2
    return [f"  {_pad(a, left)}{b}".rstrip() for a, b in rows]


def _option_rows(command: Any, ctx: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(arguments, options) as (left, right) rows."""
    arguments, options = [], []
    help_option = command.get_help_option(ctx)
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param is help_option:
            options.append(("    --help", HELP_TEXT))
            continue
        words = param.help or ""
        if param.param_type_name == "argument":
            name = _metavar(param) + ("…" if param.nargs == -1 else "")
            if not param.required:
                name = f"[{name}]"
            arguments.append((name, words))
            continue
        short = [o for o in param.opts if not o.startswith("--")]
        long = [o for o in param.opts if o.startswith("--")]
        left = ", ".join(short + long) if short else "    " + ", ".join(long)
        if not param.is_flag:
            left += f" {_metavar(param)}"
        if param.required:
            words += "（必填）"
        if getattr(param, "multiple", False):
            words += "（可重复）" if "可重复" not in words else ""
        options.append((left, words))
    return arguments, options


def command_help(command: Any, ctx: Any) -> str:
    arguments, options = _option_rows(command, ctx)
    usage = ctx.command_path + (" [选项]" if options else "")
    for name, _ in arguments:
        usage += f" {name}"
    lines = [f"用法：{usage}", "", summary(command)]
    if _rest(command):
        lines += ["", _rest(command)]
    if arguments:
        lines += ["", "参数："] + _table(arguments)
    if options:
        lines += ["", "选项："] + _table(options)
    return "\n".join(lines) + "\n"


def group_help(group: Any, ctx: Any) -> str:
    names = group.list_commands(ctx)
    names = [n for n in ORDER if n in names] + sorted(n for n in names if n not in ORDER)
    rows = []
    for name in names:
        command = group.get_command(ctx, name)
        if command is None or getattr(command, "hidden", False):
            continue
        rows.append((name, summary(command)))
    lines = [f"用法：{ctx.command_path} 命令 [选项]", "", summary(group), "", "命令："] + _table(rows)
    lines += ["", "选项："] + _table([("--help", HELP_TEXT)])
    example = "ingest" if "ingest" in names else (names[0] if names else "")
    lines += ["", f"运行 {ctx.command_path} 命令 --help 查看该命令的用法，如：{ctx.command_path} {example} --help"]
    return "\n".join(lines) + "\n"
