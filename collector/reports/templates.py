"""Blank returns to send out: the seed's table, with every blank its own checked input cell.

A unit types into a table made for paper, and most errors start there. A template reads like the
seed's table — title, header, sections, activities, 内容要求 and the progress sentences — but each
blank of a sentence is an input cell of its own, between the words before it and the unit after it::

    安排理论学习中心组专题学习 │ [    ] │ 次，
                         参与 │ [    ] │ 人次；

Layout (columns A–F): A the section (merged down), B 活动项目 and C 内容要求 (merged over the
activity's rows), then one row per blank: D the words before the blank, E the input, F the unit and
the punctuation after it (the last blank of a sentence carries the rest of the sentence). The header
is label / value pairs above the column heads, the unit's name already in its field.

What makes a wrong entry hard to make:

- Excel data validation on every input, refused at typing time in Excel, WPS and LibreOffice: a
  whole number ≥ 0 for counts (the input message names the unit of measure), a decimal 0–100 for
  percents, a 是/否 drop-down list for each question; text blanks only carry an input message.
- Inputs and header values are unlocked and shaded; every other cell is locked by **sheet
  protection without a password** (a unit who must change the words can unprotect the sheet —
  审阅 → 撤销工作表保护 — and the reader copes; see below). No password means none to lose.
- Hidden metadata, in two carriers that survive a save in Excel, WPS and LibreOffice (LibreOffice
  is tested): custom document properties ``collector.form``, ``collector.form_version``,
  ``collector.unit``, ``collector.period``, and a hidden sheet ``_collector`` (state veryHidden,
  which LibreOffice saves as hidden) holding the same pairs plus each blank's key → input cell.

Reading a returned template back is ``reader``'s business (``read_template``): the words beside each
input identify it, so a renamed sheet, an inserted row or the table pasted into a fresh workbook
still reads exactly; the key → cell map of the hidden sheet covers sentences whose words a unit
edited, as long as no rows moved.

openpyxl is imported when a template is written, not when one is read (``collect check`` starts
faster without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TemplateError, UsageError, os_reason
from ..forms.layout import (
    META_MAP_HEAD,
    META_SHEET,
    PROP_FORM,
    PROP_PERIOD,
    PROP_SHEET,
    PROP_UNIT,
    PROP_VERSION,
    Slot,
    form_slots,
)
from ..forms.model import BlankRef, Form
from ..inbox.workspace import Workspace, check_period, safe_file_name, staged_file
from .xlsx_tables import save_workbook

if TYPE_CHECKING:
    from openpyxl import Workbook as OpenpyxlWorkbook

#: the sheet the table is on
SHEET_NAME = "统计表"

#: the folder under outbox/ templates go to, and the one for templates without a period
OUTBOX_FOLDER = "空白表"
NO_PERIOD = "未定期间"

#: column widths in characters: section, 活动项目, 内容要求, words, input, unit
WIDTHS = (9, 16, 32, 40, 11, 12)
INPUT_FILL = "FFF2CC"  # light yellow: the eye finds the inputs
NOTE = (
    "填写说明：只在浅黄色格子中填写，其他文字已锁定，请勿改动。数量填写不小于 0 的整数（没有请填 0）；"
    "百分比填写 0 到 100 之间的数字，不要输入 % 号；“是/否”从下拉列表中选择。填好后直接保存，以 .xlsx 格式发回。"
)

# ---------------------------------------------------------------------------------------------
# file names


def template_filename(form: Form, unit: str, period: str | None) -> str:
    """``<单位>_<表名>_<period>.xlsx`` (without the period part when there is none)."""
    parts = [unit, form.short_name or form.title] + ([period] if period else [])
    return safe_file_name("_".join(parts))[:150] + ".xlsx"


def template_folder(outbox: Path, period: str | None) -> Path:
    """``outbox/空白表/<period>/``, or ``outbox/空白表/未定期间/``."""
    return outbox / OUTBOX_FOLDER / (period or NO_PERIOD)


# ---------------------------------------------------------------------------------------------
# writing


def _height(lines: int) -> float:
    return min(409.0, 14.5 * lines + 5)


@dataclass(frozen=True)
class _Styles:
    """openpyxl style objects, made once per workbook."""

    font: object
    bold: object
    title: object
    box: object
    fill: object
    center: object
    top: object
    top_left: object
    left: object
    right: object
    locked: object
    unlocked: object


def _styles() -> _Styles:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    thin = Side(style="thin", color="000000")
    return _Styles(
        font=Font(name="宋体", size=11),
        bold=Font(name="宋体", size=11, bold=True),
        title=Font(name="宋体", size=16, bold=True),
        box=Border(left=thin, right=thin, top=thin, bottom=thin),
        fill=PatternFill("solid", fgColor=INPUT_FILL),
        center=Alignment(horizontal="center", vertical="center", wrap_text=True),
        top=Alignment(horizontal="center", vertical="top", wrap_text=True),
        top_left=Alignment(horizontal="left", vertical="top", wrap_text=True),
        left=Alignment(horizontal="left", vertical="center", wrap_text=True),
        right=Alignment(horizontal="right", vertical="center", wrap_text=True),
        locked=Protection(locked=True),
        unlocked=Protection(locked=False),
    )


def _validation(ref: BlankRef):  # type: ignore[no-untyped-def]
    """The data validation of one input, with its Chinese input message and error."""
    from openpyxl.worksheet.datavalidation import DataValidation

    label, unit = ref.label, ref.blank.unit
    common = {"allow_blank": True, "showInputMessage": True, "showErrorMessage": True, "errorStyle": "stop"}
    if ref.kind == "count":
        dv = DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", **common,
            promptTitle=f"填写数量（单位：{unit}）"[:32],
            prompt=f"{label}：请填写不小于 0 的整数，单位为“{unit}”。没有请填 0。"[:255],
            errorTitle="填写有误",
            error=f"这里只能填写不小于 0 的整数（单位：{unit}），不能有小数、文字或负数。没有请填 0。"[:225],
        )
    elif ref.kind == "percent":
        dv = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="100", **common,
            promptTitle="填写百分比（0～100）",
            prompt=f"{label}：请填写 0 到 100 之间的数字，不要输入 % 号。"[:255],
            errorTitle="填写有误",
            error="这里只能填写 0 到 100 之间的数字（百分比，不要输入 % 号）。",
        )
    elif ref.kind == "yesno":
        dv = DataValidation(
            type="list", formula1='"是,否"', **common,
            promptTitle="选择“是”或“否”",
            prompt=f"{label}：请从下拉列表中选择“是”或“否”。"[:255],
            errorTitle="填写有误",
            error="这里只能选择“是”或“否”。",
        )
    else:
        dv = DataValidation(
            allow_blank=True, showInputMessage=True,
            promptTitle="填写文字", prompt=f"{label}：请填写具体内容。"[:255],
        )
    return dv


class _TemplateSheet:
    """The template's one sheet as it is written: a cell writer with the styles, and the input map."""

    def __init__(self, ws: Any) -> None:
        from .safe_cells import set_text

        self.ws = ws
        self.st = _styles()
        self.set_text = set_text
        self.inputs: list[tuple[str, str]] = []  # (key, cell) of every input, header values first

    def put(self, row: int, col: int, text: str, *, font: object = None, align: object = None,
            border: bool = True, end_col: int | None = None, end_row: int | None = None) -> Any:
        ws, st = self.ws, self.st
        cell = ws.cell(row, col)
        if text:
            self.set_text(cell, text)
        cell.font, cell.alignment, cell.protection = font or st.font, align or st.left, st.locked
        if end_col or end_row:
            ws.merge_cells(start_row=row, start_column=col, end_row=end_row or row, end_column=end_col or col)
        if border:
            for r in range(row, (end_row or row) + 1):
                for c in range(col, (end_col or col) + 1):
                    ws.cell(r, c).border = st.box
        return cell

    def open_input(self, cell: Any, key: str) -> None:
        """An input: unlocked, shaded, and recorded in the key → cell map of the hidden sheet."""
        cell.protection, cell.fill = self.st.unlocked, self.st.fill
        self.inputs.append((key, cell.coordinate))


def _write_title_and_header(sheet: _TemplateSheet, form: Form, unit: str) -> int:
    """Title in row 1, then the header as two label / value pairs a row; returns the column heads' row."""
    from .safe_cells import printed_lines

    st, ws = sheet.st, sheet.ws
    sheet.put(1, 1, form.title, font=st.title, align=st.center, border=False, end_col=len(WIDTHS))
    ws.row_dimensions[1].height = _height(printed_lines(form.title, sum(WIDTHS) * 0.7))
    row = 2
    header_values = {form.unit_field: unit}
    for i in range(0, len(form.header), 2):
        # label A:B, value C; label D, value E:F
        for label, (label_col, label_end, value_col, value_end) in zip(
            form.header[i : i + 2], ((1, 2, 3, 3), (4, 4, 5, 6))
        ):
            sheet.put(row, label_col, f"{label}：", align=st.right, border=False,
                      end_col=label_end if label_end != label_col else None)
            value = sheet.put(row, value_col, header_values.get(label, ""), border=False,
                              end_col=value_end if value_end != value_col else None)
            value.number_format = "@"
            sheet.open_input(value, f"header:{label}")
        ws.row_dimensions[row].height = 24
        row += 1
    # column heads: the section column has none (as in the seeds); 进展情况 spans words, input, unit
    sheet.put(row, 1, "", font=st.bold, align=st.center)
    sheet.put(row, 2, form.columns[-3], font=st.bold, align=st.center)
    sheet.put(row, 3, form.columns[-2], font=st.bold, align=st.center)
    sheet.put(row, 4, form.columns[-1], font=st.bold, align=st.center, end_col=6)
    ws.row_dimensions[row].height = 22
    return row


def _write_activity(sheet: _TemplateSheet, section_name: str, activity: Any, slots: list[Slot], row: int) -> int:
    """One activity: a row per input; returns the next free row.

    The section's name starts every activity (not once merged down the whole section): a section
    runs over pages, and the name must be on each. 活动项目 and 内容要求 sit at the top of their
    merged cells, so that a page break through an activity still prints them.
    """
    from .safe_cells import printed_lines

    st, ws = sheet.st, sheet.ws
    first = row
    heights: list[float] = []
    if not slots:  # an activity without progress lines: its row stays empty
        sheet.put(row, 4, "", end_col=6)
        heights.append(_height(1))
        row += 1
    for slot in slots:
        sheet.put(row, 4, slot.words, align=st.right)
        cell = sheet.put(row, 5, "", align=st.center)
        sheet.open_input(cell, slot.ref.key)
        if slot.ref.kind == "text":
            cell.number_format = "@"
            cell.alignment = st.left
        dv = _validation(slot.ref)
        ws.add_data_validation(dv)
        dv.add(cell.coordinate)
        sheet.put(row, 6, slot.after)
        text_room = printed_lines("线上直播视频会议", WIDTHS[4]) if slot.ref.kind == "text" else 1
        heights.append(_height(max(printed_lines(slot.words, WIDTHS[3]), printed_lines(slot.after, WIDTHS[5]),
                                   text_room)))
        row += 1
    last = row - 1 if row - 1 > first else None
    sheet.put(first, 1, section_name, align=st.top, end_row=last)
    sheet.put(first, 2, activity.seed_name, align=st.top, end_row=last)
    sheet.put(first, 3, activity.requirement, align=st.top_left, end_row=last)
    # merged cells do not grow their rows: make room for the longest of 活动项目 / 内容要求 / section
    need = _height(max(printed_lines(activity.seed_name, WIDTHS[1]), printed_lines(activity.requirement, WIDTHS[2]),
                       printed_lines(section_name, WIDTHS[0])))
    extra = max(0.0, need - sum(heights)) / len(heights)
    for r, h in zip(range(first, row), heights):
        ws.row_dimensions[r].height = min(409.0, h + extra)
    return row


def _write_metadata(wb: Any, form: Form, unit: str, period: str | None, inputs: list[tuple[str, str]]) -> None:
    """The custom document properties and the very hidden sheet (see the module docstring)."""
    from openpyxl.packaging.custom import StringProperty

    from .safe_cells import clean_text, set_text

    meta = {PROP_FORM: form.id, PROP_VERSION: str(form.version), PROP_UNIT: clean_text(unit),
            PROP_SHEET: SHEET_NAME}
    if period:
        meta[PROP_PERIOD] = period
    for name, value in meta.items():
        wb.custom_doc_props.append(StringProperty(name=name, value=value))
    hidden = wb.create_sheet(META_SHEET)
    for r, (name, value) in enumerate([*meta.items(), ("", ""), META_MAP_HEAD, *inputs], start=1):
        if name:
            set_text(hidden.cell(r, 1), name)
            set_text(hidden.cell(r, 2), value)
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True


def build_template(form: Form, unit: str, period: str | None = None) -> OpenpyxlWorkbook:
    """The blank return of ``unit`` for ``form`` (and ``period``), as an openpyxl workbook."""
    from openpyxl import Workbook

    from ..reading.workbook import column_letter
    from .print_setup import a4_landscape
    from .safe_cells import printed_lines

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    sheet = _TemplateSheet(ws)
    head_row = _write_title_and_header(sheet, form, unit)
    row = head_row + 1
    slots_by_line = {id(line): slots for line, slots in form_slots(form)}
    for section in form.sections:
        for activity in section.activities:
            slots = [s for line in activity.lines for s in slots_by_line[id(line)]]
            row = _write_activity(sheet, section.name, activity, slots, row)
    note_row = row + 1
    sheet.put(note_row, 1, NOTE, border=False, end_col=len(WIDTHS))
    ws.row_dimensions[note_row].height = _height(printed_lines(NOTE, sum(WIDTHS)))

    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[column_letter(i)].width = width
    ws.sheet_view.showGridLines = False
    ws.freeze_panes = f"A{head_row + 1}"
    a4_landscape(ws, title_rows=f"1:{head_row}", print_area=f"A1:{column_letter(len(WIDTHS) - 1)}{note_row}")
    # locked cells stay as issued; no password (see the module docstring); rows and columns may be resized
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False

    _write_metadata(wb, form, unit, period, sheet.inputs)
    wb.active = 0
    wb.properties.title = form.title
    wb.properties.creator = "collector"
    return wb


# ---------------------------------------------------------------------------------------------
# one file per unit


@dataclass(frozen=True)
class WrittenTemplate:
    """A template written to disk; ``replaced`` when a file of that name was there before."""

    unit: str
    path: Path
    replaced: bool


def _for_unit(wb: OpenpyxlWorkbook, form: Form, unit: str) -> None:
    """Make a built template another unit's: the unit is in its header field and in both metadata carriers.

    Building a template takes ~100 ms of openpyxl styling; a batch builds one and re-labels it per unit.
    """
    from .safe_cells import clean_text, set_text

    hidden = wb[META_SHEET]
    unit_input = f"header:{form.unit_field}"
    for name_cell, value_cell in hidden.iter_rows(min_col=1, max_col=2):
        if name_cell.value == PROP_UNIT:
            set_text(value_cell, clean_text(unit))
        elif name_cell.value == unit_input:
            set_text(wb[SHEET_NAME][value_cell.value], unit)
    for prop in wb.custom_doc_props.props:
        if prop.name == PROP_UNIT:
            prop.value = clean_text(unit)


def _save(wb: OpenpyxlWorkbook, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staged_file(path.parent, ".xlsx") as tmp:
            save_workbook(wb, tmp)
            tmp.replace(path)
    except PermissionError as exc:
        raise TemplateError(f"无法写入 {path}：文件被占用或没有权限（是否在 Excel/WPS 中打开着？请关闭后重试）。") from exc
    except OSError as exc:
        raise TemplateError(f"无法写入 {path}：{os_reason(exc)}。") from exc


def write_template(form: Form, unit: str, period: str | None, folder: Path) -> WrittenTemplate:
    """Write the template of ``unit`` into ``folder`` (replacing an earlier one of the same name)."""
    path = folder / template_filename(form, unit, period)
    replaced = path.exists()
    _save(build_template(form, unit, period), path)
    return WrittenTemplate(unit=unit, path=path, replaced=replaced)


def write_templates(form: Form, units: Sequence[str], period: str | None, outbox: Path) -> list[WrittenTemplate]:
    """One template per unit into ``outbox/空白表/<period>/``; two units may not share a file name."""
    folder = template_folder(outbox, period)
    names: dict[str, str] = {}
    for unit in units:
        name = template_filename(form, unit, period)
        if name in names and names[name] != unit:
            raise TemplateError(f"单位“{names[name]}”和“{unit}”的空白表文件名相同（{name}），请在名单中区分这两个单位的名称。")
        names[name] = unit
    written: list[WrittenTemplate] = []
    wb = None
    for unit in dict.fromkeys(units):
        if wb is None:
            wb = build_template(form, unit, period)
        else:
            _for_unit(wb, form, unit)
        path = folder / template_filename(form, unit, period)
        replaced = path.exists()
        _save(wb, path)
        written.append(WrittenTemplate(unit=unit, path=path, replaced=replaced))
    return written


@dataclass(frozen=True)
class TemplateBatch:
    """What ``make_templates`` wrote: the form, the period and one file per unit."""

    form: Form
    period: str | None
    written: list[WrittenTemplate]


def make_templates(
    workspace: Workspace,
    *,
    form_id: str | None = None,
    period: str | None = None,
    units: Sequence[str] = (),
    all_units: bool = False,
) -> TemplateBatch:
    """``collect template``: blank returns for the named units (names or aliases) or for the whole roster."""
    from ..forms.model import load_forms
    from ..inbox.roster import load_roster

    if bool(units) == all_units:
        raise UsageError("请用 --unit 单位名称 指定单位，或用 --all 为名单中的每个单位生成（二者选一）。")
    if period is not None:
        check_period(period)
    form_id = form_id or workspace.config().form
    forms = load_forms(workspace.schemas)
    form = forms.get(form_id)
    if form is None:
        raise UsageError(f"没有编号为“{form_id}”的统计表。已知的表：{'、'.join(sorted(forms))}")
    roster = load_roster(workspace)
    if all_units:
        names = [u.name for u in roster.units]
        if not names:
            raise UsageError(f"单位名单 {roster.path} 中没有单位，请先填写应报单位。")
    else:
        names = []
        for written in units:
            unit = roster.get(written)
            if unit is None:
                unit, candidates = roster.lookup(written)
                if unit is None:
                    hint = ("，可能是：" + "、".join(u.name for u in candidates)) if candidates else ""
                    roster_name = roster.path.name if roster.path else ""
                    raise UsageError(f"单位“{written}”不在单位名单 {roster_name} 中{hint}。")
            names.append(unit.name)
    return TemplateBatch(form, period, write_templates(form, names, period, workspace.outbox))
