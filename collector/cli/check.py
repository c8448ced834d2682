"""``collect check FILE...``: read and check returns without recording anything."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .output import format_check
from .workspace_option import WorkspaceOption, schemas_dir


def check(
    files: list[Path] = typer.Argument(..., help="要检查的统计表文件（.xlsx / .xlsm / .xls / .docx / .doc / .wps / .et / .ods），可写多个。",
                              show_default=False, metavar="文件"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 数组（每个文件一个对象）。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """检查统计表，不做任何记录：每个文件的问题（哪个单元格、填了什么、应该怎么填）和读出的数字。

    退出码：0 每个文件都可以计入；1 有文件不能计入。
    """
    from ..forms.model import load_forms

    # pydantic and the readers: only for the commands that read returns; each file read in a limited child
    from ..reading.isolated import check_paths

    schemas = schemas_dir(workspace)
    forms = load_forms(schemas)
    results = check_paths(files, forms, schemas)
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            typer.echo(format_check(result))
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


def register(app: typer.Typer) -> None:
    app.command()(check)
