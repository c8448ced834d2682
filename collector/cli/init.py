"""``collect init [DIR] (--form FORM_ID | --from BLANK)``: make a workspace; safe to run again (never overwrites)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from ..errors import UsageError
from ..inbox.workspace import init_workspace, parse_date
from .output import format_import, format_init
from .workspace_option import period_option


def _deadline(value: str | None) -> date | None:
    """A deadline as the clerk types it: 2020-06-30, 2020年6月30日, 2020/6/30, 2020.6.30."""
    if value is None:
        return None
    day = parse_date(value)
    if day is None or len(value.strip()) < 8:
        raise UsageError(f"截止日期“{value}”看不懂：请写成 2020-06-30 这样的年-月-日。")
    return day


def init(
    directory: Path | None = typer.Argument(None, help="工作目录（默认为当前目录；不存在则新建）。", show_default=False,
                                            metavar="目录"),
    form: str | None = typer.Option(None, "--form", help="要收集的统计表编号（schemas/ 中的 id，如 dxal-2020）；与 --from 同用时是新表的编号。",
                                    show_default=False, metavar="表格编号"),
    blank: Path | None = typer.Option(None, "--from", help="上级发来的空白表（.docx .doc .xlsx …）：从它生成表格定义并收集这张表。",
                                      show_default=False, metavar="空白表文件"),
    office: str = typer.Option("", "--office", help="本单位名称（汇总表的“填报单位”）。", show_default=False,
                               metavar="名称"),
    period: str | None = period_option("本次收集的期间（如 2020-06）；与 --deadline 一起写，代替表格自带的期间和截止日期。"),
    deadline: str | None = typer.Option(None, "--deadline", help="这一期间的报送截止日期，如 2020-06-30。",
                                        show_default=False, metavar="日期"),
) -> None:
    """建立工作目录：inbox/ outbox/ 等文件夹、配置文件 collector.toml 和单位名单 units.csv；已有的文件不会被改动。"""
    if form is None and blank is None:
        raise UsageError("请用 --form 表格编号 指定要收集的表，或用 --from 空白表文件 从上级发来的空白表生成。")
    result = init_workspace(directory or Path.cwd(), form, office, from_blank=blank, period=period,
                            deadline=_deadline(deadline))
    if result.imported is not None:
        typer.echo(format_import(result.imported))
    typer.echo(format_init(result, here=Path.cwd(), today=date.today()))
    if result.imported is not None and result.config is not None and result.config.form != result.imported.form.id:
        typer.echo(f"collector.toml 原已存在，未改动，收集的仍是 {result.config.form}；要收集这张新表，"
                   f"把其中的 form 改为 \"{result.imported.form.id}\"。")


def register(app: typer.Typer) -> None:
    app.command()(init)
