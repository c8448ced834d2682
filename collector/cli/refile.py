"""``collect refile FILE|单位 --period P``: move a return filed under the wrong period."""

from __future__ import annotations

from pathlib import Path

import typer

from ..inbox.refile import refile as refile_return
from .output import format_refile
from .workspace_option import WorkspaceOption, period_option, ready_workspace


def refile(
    target: str = typer.Argument(..., metavar="文件或单位",
                                 help="收到时的文件名、存放路径（如 archive/2020-05/甲局.xlsx），或单位名称（改其最新一份报表）。"),
    period: str = period_option("改到的期间（如 2020-06）。", required=True),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """把归错期间的报表改到另一期间：台账记下改动（由哪期改到哪期、何时），原件移到新期间的文件夹，回执重新生成。

    退出码：0 已改好（或本来就在该期间）；2 找不到这份报表、对应多份需写明，或期间写法不对。
    """
    ws = ready_workspace(workspace)
    result = refile_return(ws, target, period)
    typer.echo(format_refile(result))


def register(app: typer.Typer) -> None:
    app.command()(refile)
