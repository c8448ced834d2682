"""``collect export --period P``: the counted values as a long table (CSV and Parquet)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..inbox.workspace import open_workspace
from .output import format_export
from .workspace_option import WorkspaceOption


def export(
    period: str = typer.Option(..., "--period", "-p", help="期间，如 2020-06。", show_default=False),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """导出本期明细（CSV 带 BOM，Excel 可直接打开；Parquet 供分析）。Export the long table as CSV and Parquet."""
    from ..reports.export import export as export_period  # pandas loads only for this command

    result = export_period(open_workspace(workspace), period)
    typer.echo(format_export(result))
    # 1: nothing counted yet, a table of zeros is nothing to send up
    raise typer.Exit(0 if result.rows else 1)


def register(app: typer.Typer) -> None:
    app.command()(export)
