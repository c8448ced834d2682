"""``collect run``: the scheduled overnight job (ingest, refresh reports, status), logged and locked."""

from __future__ import annotations

from pathlib import Path

import typer

from .workspace_option import WorkspaceOption, period_option, ready_workspace


def run(
    period: str | None = period_option("把本次收到的表都记为这一期间（如 2020-06）。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """定时任务：处理 inbox/，更新已有的汇总表，输出报送情况；日志写入 logs/collect-run.log。

    退出码：0 一切正常；1 有需要处理的事（退回、待确认、逾期未报、汇总表未能更新）；2 无法运行（如另一个任务正在运行）。
    """
    from ..jobs.run import run as run_job  # the readers: only for the commands that read returns

    ws = ready_workspace(workspace)
    result = run_job(ws, period=period, on_line=typer.echo)
    if result.error:
        typer.echo(f"错误：{result.error}", err=True)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command()(run)
