"""``collect init [DIR] --form FORM_ID``: make a workspace; safe to run again (never overwrites)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..inbox.workspace import init_workspace
from .output import format_init


def init(
    directory: Path | None = typer.Argument(None, help="工作目录（默认为当前目录；不存在则新建）。", show_default=False),
    form: str = typer.Option(..., "--form", help="要收集的统计表编号（schemas/ 中的 id，如 dxal-2020）。"),
    office: str = typer.Option("", "--office", help="本单位名称（汇总表的“填报单位”）。"),
) -> None:
    """建立工作目录：inbox/ outbox/ 等文件夹、配置文件 collector.toml 和单位名单 units.csv。"""
    result = init_workspace(directory or Path.cwd(), form, office)
    typer.echo(format_init(result))


def register(app: typer.Typer) -> None:
    app.command()(init)
