"""``collect template``: blank returns to send out, one per unit of the roster."""

from __future__ import annotations

from pathlib import Path

import typer

from ..inbox.workspace import open_workspace
from .output import format_templates
from .workspace_option import WorkspaceOption, period_option, ready_workspace


def template(
    form_id: str | None = typer.Option(None, "--form", help="统计表编号（默认为工作目录配置中的 form）。", show_default=False,
                                        metavar="表格编号"),
    period: str | None = period_option("报送期间，如 2020-06、2020-W25、2020-H1。"),
    units: list[str] = typer.Option([], "--unit", help="为这个单位生成（名单中的名称或别名）。", show_default=False,
                                     metavar="单位"),
    all_units: bool = typer.Option(False, "--all", help="为名单中的每个单位生成。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """生成发给各单位的空白表（outbox/空白表/），每个单位一份，只有要填的格子可以填写。"""
    from ..reports.templates import make_templates  # openpyxl loads only for this command

    # with --form, a folder with a roster will do; without, the workspace's config names the form
    ws = open_workspace(workspace) if form_id else ready_workspace(workspace)
    batch = make_templates(ws, form_id=form_id, period=period, units=units, all_units=all_units)
    typer.echo(format_templates(batch.form, batch.period, batch.written, ws.root))


def register(app: typer.Typer) -> None:
    app.command()(template)
