"""``collect ingest``: one pass over inbox/ — every file taken once, one line each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import UsageError
from .output import format_ingest_summary, format_outcome
from .workspace_option import WorkspaceOption, period_option, ready_workspace

if TYPE_CHECKING:
    from ..inbox.ingest import FileOutcome


def _aliases(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        alias, sep, unit = value.replace("＝", "=").partition("=")  # a full-width ＝ typed with a Chinese IME
        if not sep or not alias.strip() or not unit.strip():
            raise UsageError(f"--alias 的写法是 “别名=名单中的单位名称”，现为“{value}”。")
        pairs.append((alias.strip(), unit.strip()))
    return pairs


def ingest(
    period: str | None = period_option("把本次收到的表都记为这一期间（如 2020-06）。"),
    alias: list[str] = typer.Option([], "--alias", help="先在 units.csv 中添加别名（表上写的名称=名单中的单位），再处理。",
                                     show_default=False, metavar="写的名称=单位"),
    received: str | None = typer.Option(
        None, "--received", metavar="日期",
        help="这批文件实际收到的日期（如 2020-06-29、2020年6月29日，可加时间 \"2020-06-29 17:30\"），"
             "用于事后才存进 inbox/ 的文件；不写则按文件放进 inbox/ 的时间。是否逾期按收到时间算。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """处理 inbox/ 中的文件：已接收、退回、待确认或忽略，每个文件一行。

    退出码：0 全部接收（或没有新文件）；1 有退回、待确认或稍后处理的文件（回执在 outbox/回执/）；2 无法运行；130 按 Ctrl-C 中断。
    """
    from ..inbox.ingest import ingest as ingest_inbox  # the readers: only for the commands that read returns

    ws = ready_workspace(workspace)
    pairs = _aliases(alias)
    try:
        if sys.stdout.isatty():
            result = _with_progress(ws, period, pairs, received)
        else:
            result = ingest_inbox(ws, period=period, aliases=pairs, parallel=True, received=received,
                                  on_file=lambda o: typer.echo(format_outcome(o, ws.root)))
    except KeyboardInterrupt:
        typer.echo("已中断：已处理的文件都已记录；其余留在 inbox/，下次运行 collect ingest 接着处理。", err=True)
        raise typer.Exit(130) from None
    typer.echo(format_ingest_summary(result))
    raise typer.Exit(1 if result.needs_attention else 0)


def _with_progress(ws, period, pairs, received):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..inbox.ingest import ingest as ingest_inbox

    console = Console(highlight=False)
    with Progress(TextColumn("处理中"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("ingest", total=None)

        def start(total: int) -> None:
            progress.update(task, total=total)

        def hear(outcome: FileOutcome) -> None:
            console.print(format_outcome(outcome, ws.root), markup=False, soft_wrap=True)
            if not outcome.settled:
                progress.advance(task)

        return ingest_inbox(ws, period=period, aliases=pairs, on_file=hear, on_start=start, parallel=True,
                            received=received)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
