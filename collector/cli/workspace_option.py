"""The options several commands share: ``--workspace/-w`` and ``--period/-p``; and the workspace a
command works on, checked before it starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..inbox.workspace import Workspace, configured_form_id, open_workspace, parse_period

WorkspaceOption = typer.Option(
    None, "--workspace", "-w", help="工作目录（默认为当前目录）。", show_default=False, file_okay=False,
    metavar="目录",
)


def _period(value: str | None) -> str | None:
    """A period as the clerk types it (2020-6, 2020年6月, 202006, 2020/06 …), in its one spelling."""
    return None if value is None else parse_period(value)


def period_option(help: str, *, required: bool = False) -> Any:
    """``--period/-p``; the value is read as a clerk writes it."""
    return typer.Option(... if required else None, "--period", "-p", help=help, show_default=False,
                        metavar="期间", callback=_period)


def workspace_root(workspace: Path | None) -> Path:
    return (workspace or Path.cwd()).resolve()


def schemas_dir(workspace: Path | None) -> Path:
    """A workspace's own schemas/ folder, which adds forms or overrides one by id."""
    return workspace_root(workspace) / "schemas"


def ready_workspace(workspace: Path | None) -> Workspace:
    """The workspace a command works on, with a config that reads and names a form there is."""
    ws = open_workspace(workspace)
    configured_form_id(ws)
    return ws
