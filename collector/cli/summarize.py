"""``collect summarize --period P``: the consolidated report of one period."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import format_summary
from .workspace_option import WorkspaceOption, period_option, ready_workspace


def summarize(
    period: str = period_option("期间，如 2020-06、2020-W25（第25周）、2020-H2（下半年）。", required=True),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """写出本期汇总表（outbox/…_汇总.xlsx）：第一张就是原表格式，可直接打印盖章上报。

    退出码：0 已写出；1 本期没有可计入的报表，或汇总表未能写出。
    """
    from ..reports.summarize import summarize as summarize_period  # pandas loads only for this command

    result = summarize_period(ready_workspace(workspace), period)
    typer.echo(format_summary(result))
    # 1: nothing counted yet, a table of zeros is nothing to send up
    raise typer.Exit(0 if result.counted else 1)


def register(app: typer.Typer) -> None:
    app.command()(summarize)
