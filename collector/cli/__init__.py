"""The ``collect`` command: one module per command, output formatting in ``output``.

Each command parses its options, makes one library call, and prints the result. Errors the user
must see (``CollectorError``) are caught once, here, printed in Chinese, and end the run with their
exit code (1 something for the clerk, 2 could not run). Anything else that escapes — an OS error
not translated where it entered, a bug — is caught here too, as a last resort: one Chinese line,
exit 2, never a traceback. Ctrl-C ends any command with exit 130.
"""

from __future__ import annotations

import os
import re
from typing import Any, NoReturn

# pydantic looks for plugins of its own (observability hooks) among every installed package's
# metadata when the first model is built: ~60 ms of every command's start, for plugins the collector
# never uses. The command, not the library, turns the search off; a clerk's environment may still
# ask for it (PYDANTIC_DISABLE_PLUGINS set to anything else).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import CollectorError, os_reason
from .help import command_help, group_help

#: click's words for a wrong call, in Chinese
_USAGE_WORDS = [
    (re.compile(r"^Missing option (.+?)\.?$"), r"缺少选项 \1。"),
    (re.compile(r"^Missing argument (.+?)\.?$"), r"缺少参数 \1。"),
    (re.compile(r"^Missing parameter:? (.+?)\.?$"), r"缺少参数 \1。"),
    (re.compile(r"^No such option: (\S+) \(Possible options: (.+)\)$"), r"没有这个选项：\1（是不是 \2？）"),
    (re.compile(r"^No such option: (\S+) Did you mean (.+?)\?$"), r"没有这个选项：\1（是不是 \2？）"),
    (re.compile(r"^No such option: (\S+)$"), r"没有这个选项：\1。"),
    (re.compile(r"^No such command (.+?)\.?$"), r"没有这个命令：\1。"),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.+)\)$"), r"多余的参数：\1。"),
    (re.compile(r"^Option (.+?) requires an argument\.?$"), r"选项 \1 后面要写一个值。"),
    (re.compile(r"^Option (.+?) requires (\d+) arguments\.?$"), r"选项 \1 后面要写 \2 个值。"),
    (re.compile(r"^Option (.+?) does not take a value\.?$"), r"选项 \1 后面不写值。"),
    (re.compile(r"^Missing command\.?$"), r"缺少命令。"),
]
#: click's words for a value it refused (the second half of "Invalid value for X: …")
_VALUE_WORDS = [
    (re.compile(r"^Input should be a valid (?:number|float).*$"), "应为数字"),
    (re.compile(r"^Input should be a valid integer.*$"), "应为整数"),
    (re.compile(r"^Input should be a valid boolean.*$"), "应为 是/否"),
    (re.compile(r"^'?(.*?)'? is not a valid float(?: range)?\.?$"), r"“\1”不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid integer(?: range)?\.?$"), r"“\1”不是整数"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), r"“\1”应为 是/否"),
    (re.compile(r"^(?:[Ff]ile|[Dd]irectory|[Dd]ir|[Pp]ath) '(.+)' is a file\.?$"), r"“\1”是一个文件，这里要写文件夹"),
    (re.compile(r"^(?:[Ff]ile|[Dd]irectory|[Dd]ir|[Pp]ath) '(.+)' is a directory\.?$"), r"“\1”是一个文件夹，这里要写文件"),
    (re.compile(r"^(?:[Ff]ile|[Dd]irectory|[Dd]ir|[Pp]ath) '(.+)' does not exist\.?$"), r"“\1”不存在"),
    (re.compile(r"^(?:[Ff]ile|[Dd]irectory|[Dd]ir|[Pp]ath) '(.+)' is not readable\.?$"), r"“\1”无法读取"),
    (re.compile(r"^(?:[Ff]ile|[Dd]irectory|[Dd]ir|[Pp]ath) '(.+)' is not writable\.?$"), r"“\1”无法写入"),
    (re.compile(r"^'?(.*?)'? is not one of (.+)\.?$"), r"“\1”不在可选的值 \2 之中"),
    (re.compile(r"^'?(.*?)'? is not in the range (.+)\.?$"), r"“\1”超出了范围 \2"),
]


def _value_words(text: str) -> str:
    for pattern, chinese in _VALUE_WORDS:
        if pattern.match(text):
            return pattern.sub(chinese, text) + "。"
    return text if re.search(r"[\u4e00-\u9fff]", text) else f"取值不对（{text}）"


def usage_message(message: str) -> str:
    """click's English message for a wrong call, said in Chinese."""
    invalid = re.match(r"^Invalid value for (.+?): (.+)$", message, re.S)
    if invalid:
        return f"{invalid.group(1)} 的取值不对：{_value_words(invalid.group(2).strip())}"
    for pattern, chinese in _USAGE_WORDS:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return f"命令写法不对：{message}"


def _is_wrong_call(exc: Exception) -> bool:
    """A usage error of click (typer bundles click without exporting its classes): it carries the
    context it happened in. The one that only asks for help (a command called without arguments) is not."""
    return hasattr(exc, "ctx") and hasattr(exc, "format_message") and type(exc).__name__ != "NoArgsIsHelpError"


class _Command(TyperCommand):
    """A command whose --help is in Chinese."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(command_help(self, ctx))


class _SubGroup(TyperGroup):
    """A group of commands under one (collect form …): its --help in Chinese."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(group_help(self, ctx))


class _Group(TyperGroup):
    """Catches CollectorError once for every command, and anything else as a last resort."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(group_help(self, ctx))

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CollectorError as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as exc:
            if not _is_wrong_call(exc):
                raise
            _wrong_call(exc)
        except KeyboardInterrupt:
            typer.echo("已中断（Ctrl-C）。已完成的部分都已保存，再运行一次即可接着做。", err=True)
            raise typer.Exit(130) from None
        except OSError as exc:
            where = f"（{exc.filename}）" if exc.filename else ""
            typer.echo(f"错误：读写文件失败{where}：{os_reason(exc)}。", err=True)
            raise typer.Exit(2) from None
        except Exception as exc:  # the last resort: a bug, told in one line
            typer.echo(f"错误：程序内部出错（{type(exc).__name__}），本次未能完成；已完成的部分都已保存。"
                       "请把这一行和所用的命令告诉维护人员。", err=True)
            raise typer.Exit(2) from None

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        # a wrong option before any command (collect --bogus) is caught here, not in invoke
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            if not _is_wrong_call(exc):
                raise
            _wrong_call(exc)


def _wrong_call(exc: Any) -> NoReturn:
    typer.echo(f"错误：{usage_message(exc.format_message())}", err=True)
    where = exc.ctx.command_path if exc.ctx is not None else "collect"
    typer.echo(f"运行 {where} --help 查看用法。", err=True)
    raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    name="collect",
    help="收集、检查、汇总各单位报送的活动进展情况统计表。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    """Every module of this package with a ``register(app)`` adds its command(s)."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
    _in_chinese(app)


def _in_chinese(typer_app: typer.Typer) -> None:
    """Every command's and command group's --help in Chinese, whoever added it."""
    for info in typer_app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = _Command
    for group in typer_app.registered_groups:
        # typer marks a class nobody chose by wrapping its default (a DefaultPlaceholder)
        if getattr(group.cls, "value", group.cls) in (None, TyperGroup):
            group.cls = _SubGroup
        if group.typer_instance is not None:
            _in_chinese(group.typer_instance)


_register_commands()


def main() -> None:
    app()
