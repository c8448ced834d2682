"""The ``collect`` command: one module per command, output formatting in ``output``.

Each command parses its options, makes one library call, and prints the result. Errors the user
must see (``CollectorError``) are caught once, here, printed in Chinese, and end the run with exit
code 1 (usage errors 2).
"""

from __future__ import annotations

import re
from typing import NoReturn

import typer

# typer (>= 0.26) bundles its own click and does not re-export the error it raises for a wrong call
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as CommandLineError
from typer.core import TyperGroup

from ..errors import CollectorError

#: click's words for a wrong call, in Chinese
_USAGE_WORDS = [
    (re.compile(r"^Missing option (.+?)\.?$"), r"缺少选项 \1。"),
    (re.compile(r"^Missing argument (.+?)\.?$"), r"缺少参数 \1。"),
    (re.compile(r"^No such option: (\S+) \(Possible options: (.+)\)$"), r"没有这个选项：\1（是不是 \2？）"),
    (re.compile(r"^No such option: (\S+) Did you mean (.+?)\?$"), r"没有这个选项：\1（是不是 \2？）"),
    (re.compile(r"^No such option: (\S+)$"), r"没有这个选项：\1。"),
    (re.compile(r"^No such command (.+?)\.?$"), r"没有这个命令：\1。"),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.+)\)$"), r"多余的参数：\1。"),
    (re.compile(r"^Invalid value for (.+?): (.+)$"), r"\1 的取值不对：\2"),
    (re.compile(r"^Option (.+?) requires an argument\.?$"), r"选项 \1 后面要写一个值。"),
]


def usage_message(message: str) -> str:
    """click's English message for a wrong call, said in Chinese where we know its words."""
    for pattern, chinese in _USAGE_WORDS:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return f"命令写法不对：{message}"


class _Group(TyperGroup):
    """Catches CollectorError once for every command."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CollectorError as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except NoArgsIsHelpError:
            raise
        except CommandLineError as exc:
            _wrong_call(exc)

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        # a wrong option before any command (collect --bogus) is caught here, not in invoke
        try:
            return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise
        except CommandLineError as exc:
            _wrong_call(exc)


def _wrong_call(exc: CommandLineError) -> NoReturn:
    typer.echo(f"错误：{usage_message(exc.format_message())}", err=True)
    where = exc.ctx.command_path if exc.ctx is not None else "collect"
    typer.echo(f"运行 {where} --help 查看用法。", err=True)
    raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    name="collect",
    help="收集、检查、汇总各单位报送的活动进展情况统计表。Gather, check and consolidate returned statistics tables.",
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


_register_commands()


def main() -> None:
    app()
