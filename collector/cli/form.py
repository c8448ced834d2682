"""``collect form import BLANK [--id ID] [--force]``: a form file made from the blank table that came down."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import UsageError
from .output import format_import
from .workspace_option import WorkspaceOption, workspace_root

form_app = typer.Typer(help="统计表定义（schemas/ 中的表格文件）。", no_args_is_help=True)


@form_app.command("import")
def import_(
    blank: Path = typer.Argument(..., help="上级发来的空白表（.docx .doc .wps .xlsx .xls .et .ods）。", show_default=False,
                                 metavar="空白表文件"),
    form_id: str | None = typer.Option(None, "--id", help="表格编号（小写字母、数字和“-”，如 aqscy-2021）；默认自动生成。",
                                       show_default=False, metavar="编号"),
    force: bool = typer.Option(False, "--force", help="schemas/ 中已有同编号的不同文件时覆盖它。"),
    workspace: Path | None = WorkspaceOption,
) -> None:
    """从空白表生成表格定义，写入工作目录的 schemas/<编号>.toml，并列出找到的内容供核对。"""
    from ..inbox.workspace import open_workspace
    from ..reading.blank import import_blank, save_form

    ws = open_workspace(workspace_root(workspace))
    config = ws.config()  # a workspace: the form goes into its schemas/
    result = import_blank(blank, _checked_id(form_id))
    same_table = _bundled_same_table(result.form)
    if same_table is not None and same_table.id == config.form and not force:
        # the imported form would stand in for the one this workspace collects: collector.toml must follow
        raise UsageError(
            f"这张空白表就是本工作目录正在收集的 {same_table.id}（程序自带），不需要导入。"
            f"如果要用从空白表生成的定义代替它，请加 --force，再把 collector.toml 里的 form 改为 \"{result.form.id}\"。")
    saved = save_form(result, ws.schemas, force=force)
    typer.echo(format_import(result, saved, collecting=config.form, same_table=same_table))


def _bundled_same_table(form):  # type: ignore[no-untyped-def]
    """The bundled form of the same table (same title) that the imported one stands in for, if any."""
    from ..forms.model import load_forms

    return next((f for f in load_forms().values() if f.title == form.title and f.id != form.id), None)


def _checked_id(form_id: str | None) -> str | None:
    import re

    if form_id is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", form_id):
        raise UsageError(f"表格编号“{form_id}”不对：只能用小写字母、数字和“-”，如 aqscy-2021。")
    return form_id


def register(app: typer.Typer) -> None:
    app.add_typer(form_app, name="form")
