"""``collect watch``: take each file in as soon as it lands in inbox/ (Ctrl-C to stop)."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import format_outcome
from .workspace_option import WorkspaceOption, period_option, ready_workspace


def watch(
    polling: bool = typer.Option(False, "--polling", help="轮询方式监视（用于网络共享文件夹等收不到变动通知的位置）。"),
    rescan: float = typer.Option(60.0, "--rescan", help="每隔多少秒整体重新扫描一次 inbox/（安全网；默认 60）。",
                                 show_default=False, metavar="秒"),
    settle: float = typer.Option(0.5, "--settle", help="文件大小和修改时间保持不变多少秒后才读取（默认 0.5）。",
                                 show_default=False, metavar="秒"),
    period: str | None = period_option("把收到的表都记为这一期间（如 2020-06）。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """监视 inbox/：文件一放入（写完后）即处理并写回执，每个文件一行。按 Ctrl-C 停止。

    退出码：0 收到的都已接收；1 有退回、待确认或稍后处理的文件；2 无法运行（如磁盘已满）。
    """
    from ..inbox.watch import watch as watch_inbox  # watchdog: only when watching

    ws = ready_workspace(workspace)
    result = watch_inbox(
        ws, polling=polling, rescan=rescan, settle=settle, period=period,
        on_file=lambda o: typer.echo(format_outcome(o, ws.root)),
        on_ready=lambda: typer.echo(f"正在监视 {ws.inbox}（{'轮询' if polling else '系统通知'}方式），按 Ctrl-C 停止。"),
    )
    typer.echo(f"已停止监视。共处理 {len(result.outcomes)} 个文件。")
    raise typer.Exit(1 if result.needs_attention else 0)


def register(app: typer.Typer) -> None:
    app.command()(watch)
