"""``collect demo [DIR]``: build a workspace with realistic returns and run the whole job in it."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import format_demo


def demo(
    directory: Path = typer.Argument(Path("collector-demo"), help="演示工作目录（新建或空目录；默认 collector-demo）。",
                                     file_okay=False, show_default=False, metavar="目录"),
) -> None:
    """演示：建立工作目录、模拟各单位报送、接收检查并写出汇总表，全程用内置的样例数据。"""
    from ..jobs.demo import build_demo  # pandas loads only for this command

    result = build_demo(directory)
    typer.echo(format_demo(result))


def register(app: typer.Typer) -> None:
    app.command()(demo)
