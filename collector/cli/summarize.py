"""``collect summarize --period P``: the consolidated report of one period."""

from __future__ import annotations

from pathlib import Path

import typer

from ..inbox.workspace import open_workspace
from .output import format_summary
from .workspace_option import WorkspaceOption


def summarize(
    period: str = typer.Option(..., "--period", "-p", help="期间，如 2020-06、2020-W25、2020-H2。", show_default=False),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """写出本期汇总表（outbox/…_汇总.xlsx）。Write the consolidated report of a period."""
    from ..reports.summarize import summarize as summarize_period  # pandas loads only for this command

    result = summarize_period(open_workspace(workspace), period)
    typer.echo(format_summary(result))
    # 1: nothing counted yet, a table of zeros is nothing to send up
    raise typer.Exit(0 if result.counted else 1)


def register(app: typer.Typer) -> None:
    app.command()(summarize)
