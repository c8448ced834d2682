"""``collect status``: who has reported for a period, by region, and who to chase (催报)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..reports.status import current_period, status_report
from .output import format_status
from .workspace_option import WorkspaceOption, period_option, ready_workspace


def status(
    period: str | None = period_option("期间（如 2020-06）；默认为最近收到表的期间。"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """各单位报送情况：已报（按时/逾期）、退回待改、待确认、未报，按地区分组，附催报名单。

    退出码：0 无需处理；1 有待确认的表，或截止日期已过仍有单位未报；2 无法运行。
    """
    ws = ready_workspace(workspace)
    report = status_report(ws, period or current_period(ws))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_status(report))
    if not report.units:  # as template says: nobody is expected, so nobody can be chased
        typer.echo(f"注意：单位名单 {ws.roster_path.name if ws.roster_path else 'units.csv'} 中还没有单位，"
                   "无法知道谁未报。请按“单位,地区,别名”填写应报单位。", err=True)
    # 1: something for the clerk (a held return, units not reported after the deadline, an empty roster)
    raise typer.Exit(1 if report.needs_attention or not report.units else 0)


def register(app: typer.Typer) -> None:
    app.command()(status)
