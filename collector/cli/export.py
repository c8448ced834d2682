"""``collect export --period P``: the counted values as a long table (CSV and Parquet)."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import format_export
from .workspace_option import WorkspaceOption, period_option, ready_workspace


def export(
    period: str = period_option("期间，如 2020-06（2020-6、2020年6月 也可以）。", required=True),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """导出本期明细：CSV（带 BOM，Excel 可直接打开）和 Parquet（供分析），写在 outbox/。

    退出码：0 已导出；1 本期没有可计入的报表。
    """
    from ..reports.export import export as export_period  # pandas loads only for this command

    result = export_period(ready_workspace(workspace), period)
    typer.echo(format_export(result))
    # 1: nothing counted yet, a table of zeros is nothing to send up
    raise typer.Exit(0 if result.rows else 1)


def register(app: typer.Typer) -> None:
    app.command()(export)
