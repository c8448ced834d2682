"""The ``collect`` command: one module per command, output formatting in ``output``.

Each command parses its options, makes one library call, and prints the result. Errors the user
must see (``CollectorError``) are caught once, here, printed in Chinese, and end the run with exit
code 1 (usage errors 2).
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from ..errors import CollectorError


class _Group(TyperGroup):
    """Catches CollectorError once for every command."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CollectorError as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(exc.exit_code) from None


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
