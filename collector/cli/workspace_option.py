"""The ``--workspace/-w`` option every command shares."""

from __future__ import annotations

from pathlib import Path

import typer

WorkspaceOption = typer.Option(
    None, "--workspace", "-w", help="工作目录（默认为当前目录）。", show_default=False, file_okay=False
)


def workspace_root(workspace: Path | None) -> Path:
    return (workspace or Path.cwd()).resolve()


def schemas_dir(workspace: Path | None) -> Path:
    """A workspace's own schemas/ folder, which adds forms or overrides one by id."""
    return workspace_root(workspace) / "schemas"
