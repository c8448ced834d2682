"""The consolidated workbook for the next level up.

Sheets:

- **汇总表** — the form's own table as the seed prints it, the office as 填报单位, every progress
  sentence with its totals in the blanks; ready to print, stamp and send up (and readable as this
  office's return one level up);
- **按地区** — one row per region, one column per blank, a totals row, and a bar chart;
- **按活动** — per activity, its measures summed over all counted units;
- **明细** — one row per counted unit, every blank;
- **报送情况** — every expected unit and its state, counts at the foot;
- **校验问题** — every error, warning and 存疑 figure, with unit, file, cell, label, value, message.

Everything a unit wrote goes in as text, never as a formula (``safe_cells``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from ..forms.layout import PROP_PERIOD, ROLLUP_HEAD, ROLLUP_MARK, ROLLUP_SHEET, ROLLUP_VERSION
from ..forms.model import Activity, Form
from .print_setup import a4_landscape, pages_across
from .rollup import Rollup, Total, tally_text
from .safe_cells import set_text, set_value
from .seed_sheet import fill_line, format_number, write_seed_sheet
from .xlsx_tables import TableColumns, TableRows, save_workbook, stream_rows

_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEAD_FONT = Font(bold=True)
#: a free-text blank in 汇总表 lists at most this many distinct answers
MAX_ANSWERS = 8

SHEETS = ("汇总表", "按地区", "按活动", "明细", "报送情况", "校验问题")


@dataclass(frozen=True)
class IssueRow:
    """One line of 校验问题."""

    level: str  # 错误 / 提醒 / 存疑 / 待确认
    unit: str
    file: str
    cell: str | None
    label: str | None
    written: str | None
    message: str


@dataclass(frozen=True)
class StatusRow:
    """One line of 报送情况."""

    region: str
    unit: str
    state: str  # 已报 / 退回待改 / 待确认 / 未报
    on_time: bool | None
    arrived_at: str | None  # when the file shown reached the inbox (received_at)
    versions: int
    problems: int
    file: str | None
    correction_pending: bool = False


@dataclass
class ReportInput:
    """Everything the consolidated workbook shows."""

    form: Form
    period: str
    rollup: Rollup
    expected: int
    office: str = ""
    contact: str = ""
    phone: str = ""
    made_on: date | None = None
    data_as_of: datetime | None = None  # the ledger as it stood then: "数据截至 …"
    stamp: dict[str, str] = field(default_factory=dict)  # document properties: what the report was made from
    statuses: Sequence[StatusRow] = ()
    status_line: str = ""
    issues: Sequence[IssueRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# 汇总表


def _fill(total: Total | None) -> str | None:
    if total is None:
        return None
    if total.kind == "count":
        return format_number(total.sum)
    if total.kind == "percent":
        return format_number(round(total.mean, 1)) if total.mean is not None else None
    if total.kind == "text":
        answers = [a for a, _ in total.answers]
        if not answers:
            return None
        shown = "、".join(answers[:MAX_ANSWERS])
        return shown + (f"等{len(answers)}种" if len(answers) > MAX_ANSWERS else "")
    return None


def _progress(rollup: Rollup):  # type: ignore[no-untyped-def]
    def lines(activity: Activity) -> list[str]:
        out = []
        for line in activity.lines:
            fills = [_fill(rollup.totals.get(b.key)) for b in line.blanks if b.kind != "yesno"]
            question = next((b for b in line.blanks if b.kind == "yesno"), None)
            answer, note = None, ""
            if question is not None:
                total = rollup.totals.get(question.key)
                if total is not None:
                    answer = total.answer
                    note = f"（{tally_text(total.yes, total.no, total.unanswered)}）"
                    if not line.question:
                        # a line that is only the boxes reads as an answer only when alone on its line
                        note = "\n" + note
            out.append(fill_line(line, fills, answer, note))
        return out

    return lines


def coverage_line(data: ReportInput) -> str:
    """The one line under the 汇总表: how many units it sums, of how many expected, and as of when.

    ``本表汇总22个单位的报表（应报25个）``; one level up, where the returns are consolidated ones,
    the units are those below them all: ``本表汇总66个单位的报表（计入下级汇总表3份，应报3份）``."""
    rollup = data.rollup
    if rollup.covered == rollup.counted:
        line = f"本表汇总{rollup.covered}个单位的报表（应报{data.expected}个）"
    else:
        line = f"本表汇总{rollup.covered}个单位的报表（计入下级报表{rollup.counted}份，应报{data.expected}份）"
    if data.data_as_of is not None:
        line += f"，数据截至{as_of_text(data.data_as_of)}"
    return line + "。"


def as_of_text(when: datetime) -> str:
    """2020-06-30 18:05 → 2020年6月30日18:05."""
    return f"{when.year}年{when.month}月{when.day}日{when:%H:%M}"


def _rollup_rows(data: ReportInput) -> list[tuple[Any, ...]]:
    """The hidden roll-up sheet's rows (docs/rollup-metadata.md): settings, a blank row, the blanks."""
    rollup = data.rollup
    rows: list[tuple[Any, ...]] = [
        (ROLLUP_MARK, ROLLUP_VERSION), ("form", data.form.id), ("period", data.period), ("units", rollup.covered),
        (), ROLLUP_HEAD,
    ]
    for ref in data.form.blank_refs:
        total = rollup.totals.get(ref.key)
        if total is None:
            continue
        if total.kind == "count":
            rows.append((ref.key, "count", total.sum, None, None, rollup.covered))
        elif total.kind == "percent":
            rows.append((ref.key, "percent", total.mean, None, None, total.weight))
        elif total.kind == "yesno":
            rows.append((ref.key, "yesno", total.answer, total.yes, total.no, rollup.covered))
    return rows


def _write_rollup_sheet(wb: Workbook, data: ReportInput) -> None:
    ws = wb.create_sheet(ROLLUP_SHEET)
    for r, row in enumerate(_rollup_rows(data), start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                set_value(ws.cell(r, c), value)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


# ---------------------------------------------------------------------------------------------
# the other sheets


def _heading(ws: Worksheet, heads: Sequence[str], widths: Sequence[float], row: int = 1) -> None:
    for col, (head, width) in enumerate(zip(heads, widths), start=1):
        cell = ws.cell(row, col)
        set_text(cell, head)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.border = _BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[cell.column_letter].width = width
    ws.row_dimensions[row].height = 45
    ws.freeze_panes = f"{'C' if len(heads) > 2 else 'A'}{row + 1}"  # a string: ws.cell() would add a row
    # a narrow table prints one page wide; a wide one (a column per blank: 按地区, 明细) across as many
    # pages as keep it readable, every page across saying which region or unit a row is
    pages = pages_across(widths)
    a4_landscape(ws, title_rows=f"{row}:{row}", title_cols="A:B" if pages > 1 else None, pages_wide=pages)


def _column_label(form: Form, key: str, kind: str) -> str:
    ref = form.by_key[key]
    unit = f"（{ref.blank.unit}）" if ref.blank.unit else ""
    return ref.label + unit + ("·平均" if kind == "percent" else "")


def _region_cell_value(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    return value


def _by_region(wb: Workbook, data: ReportInput) -> None:
    ws = wb.create_sheet("按地区")
    form, rollup = data.form, data.rollup
    keys = [ref.key for ref in form.blank_refs]
    kinds = {ref.key: ref.kind for ref in form.blank_refs}
    heads = ["地区", "计入单位数"] + [_column_label(form, k, kinds[k]) for k in keys]
    _heading(ws, heads, [14, 8] + [14] * len(keys))
    table = rollup.by_region
    row = 2
    for region, record in table.iterrows():
        set_text(ws.cell(row, 1), str(region))
        ws.cell(row, 2).value = int(record["units"])
        for col, key in enumerate(keys, start=3):
            value = _region_cell_value(record[key])
            if isinstance(value, float) and kinds[key] == "percent":
                value = round(value, 1)
            set_value(ws.cell(row, col), value)
        row += 1
    last_data = row - 1
    set_text(ws.cell(row, 1), "合计")
    ws.cell(row, 1).font = _HEAD_FONT
    ws.cell(row, 2).value = rollup.counted
    for col, key in enumerate(keys, start=3):
        total = rollup.totals.get(key)
        if total is None:
            continue
        if total.kind == "count":
            value: Any = total.sum
        elif total.kind == "percent":
            value = round(total.mean, 1) if total.mean is not None else None
        elif total.kind == "yesno":
            value = tally_text(total.yes, total.no, total.unanswered)
        else:
            value = "、".join(a for a, _ in total.answers[:MAX_ANSWERS])
        set_value(ws.cell(row, col), value)
        ws.cell(row, col).font = _HEAD_FONT
    _region_chart(ws, data, keys, last_data)


def _chart_key(form: Form, rollup: Rollup) -> str | None:
    """The figure a clerk shows in a meeting: a 参与人次 most units reported (the first such in the
    form's order) — not the largest total, which one mistyped figure can make."""
    counts = [ref for ref in form.blank_refs if ref.kind == "count" and ref.key in rollup.totals]
    people = [ref for ref in counts if ref.blank.unit in ("人次", "人")] or counts
    if not people:
        return None
    most = max(rollup.totals[ref.key].reported for ref in people)
    return next(ref.key for ref in people if rollup.totals[ref.key].reported == most)


def _region_chart(ws: Worksheet, data: ReportInput, keys: list[str], last_data: int) -> None:
    key = _chart_key(data.form, data.rollup)
    if key is None or last_data < 2:
        return
    col = keys.index(key) + 3
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    label = data.form.by_key[key].label
    chart.title = f"{label}（按地区）"
    chart.y_axis.title = data.form.by_key[key].blank.unit or ""
    chart.legend = None
    chart.x_axis.tickLblSkip = 1  # every region named, not every other one
    chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
    chart.y_axis.delete = False
    values = Reference(ws, min_col=col, min_row=1, max_row=last_data)
    regions = Reference(ws, min_col=1, min_row=2, max_row=last_data)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(regions)
    chart.height = max(7.5, 0.9 * (last_data - 1) + 3)  # room for every region's name
    chart.width = 18
    ws.add_chart(chart, f"A{last_data + 4}")


def _by_activity(wb: Workbook, data: ReportInput) -> None:
    ws = wb.create_sheet("按活动")
    _heading(ws, ["类别", "活动项目", "指标", "计量单位", "合计", "填报单位数", "数值不为0的单位数", "说明"],
             [14, 30, 40, 8, 12, 10, 10, 30])
    row = 2
    for record in data.rollup.by_activity.itertuples(index=False):
        set_text(ws.cell(row, 1), record.section)
        set_text(ws.cell(row, 2), record.activity)
        set_text(ws.cell(row, 3), record.label)
        set_text(ws.cell(row, 4), record.measure)
        if record.kind == "percent":
            total = data.rollup.totals[record.key]
            ws.cell(row, 5).value = round(total.mean, 1) if total.mean is not None else None
            set_text(ws.cell(row, 8), "百分比不能相加：此为平均值"
                     + (f"（{format_number(total.weight)}个单位，最低{format_number(total.low)}，"
                        f"最高{format_number(total.high)}）" if total.mean is not None else ""))
        else:
            ws.cell(row, 5).value = record.total
            ws.cell(row, 7).value = int(record.nonzero)
        ws.cell(row, 6).value = int(record.reported)
        row += 1


#: how a date-time column of 明细 and 报送情况 shows its times
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _table_sheet(wb: Workbook, name: str, heads: Sequence[str], widths: Sequence[float]) -> Worksheet:
    """A sheet whose rows ``xlsx_tables`` streams in after saving: heading, widths and filter only
    (and the time columns' format, which the streamed times take)."""
    ws = wb.create_sheet(name)
    _heading(ws, heads, widths)
    for col, head in enumerate(heads, start=1):
        if head.endswith("时间"):
            ws.column_dimensions[ws.cell(1, col).column_letter].number_format = TIME_FORMAT
    ws.auto_filter.ref = f"A1:{ws.cell(1, len(heads)).column_letter}1"
    return ws


def _detail_columns(data: ReportInput) -> list[list[Any]]:
    detail = data.rollup.detail
    columns: list[list[Any]] = [detail[c].to_numpy(dtype=object).tolist() for c in ["region", "unit", "file", "version"]]
    columns.append([excel_time(t) for t in detail["arrived_at"].tolist()])
    for ref in data.form.blank_refs:
        column = detail[ref.key]
        missing = column.isna().to_numpy()
        if ref.kind == "count":
            # whole numbers as ints (pandas holds them as floats beside NaN)
            values = column.fillna(0).to_numpy().astype(np.int64).astype(object)
        else:
            values = column.to_numpy(dtype=object, copy=True)  # to be written to
        values[missing] = None
        columns.append(values.tolist())
    return columns


def excel_time(iso: Any) -> datetime | None:
    """A ledger time (ISO text, to the microsecond) as a date-time Excel shows and sorts as one, to the second."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        return datetime.fromisoformat(iso[:19])  # YYYY-MM-DDTHH:MM:SS: to the second, as it was taken in
    except ValueError:
        return None


def _status_rows(data: ReportInput):  # type: ignore[no-untyped-def]
    # grouped by region, as `collect status` shows them
    by_region: dict[str, list[StatusRow]] = {}
    for s in data.statuses:
        by_region.setdefault(s.region, []).append(s)
    for statuses in by_region.values():
        for s in statuses:
            timing = "" if s.on_time is None else ("按时" if s.on_time else "逾期")
            state = s.state + ("（更正表已退回，待重报）" if s.correction_pending else "")
            arrived = excel_time(s.arrived_at)
            yield [s.region, s.unit, state, timing, arrived, s.versions, s.problems, s.file]


def _issue_rows(data: ReportInput):  # type: ignore[no-untyped-def]
    for i in data.issues:
        yield [i.level, i.unit, i.file, i.cell, i.label, i.written, i.message]


def write_report(path: Path, data: ReportInput) -> None:
    """Write the consolidated workbook to ``path`` (the caller makes it atomic)."""
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总表"
    made_on = (data.made_on or date.today()).isoformat()
    header = {label: "" for label in data.form.header}
    header[data.form.unit_field] = data.office
    for label in data.form.header:
        if "联系人" in label:
            header[label] = data.contact
        elif "电话" in label:
            header[label] = data.phone
        elif "日期" in label:
            header[label] = made_on
    write_seed_sheet(summary, data.form, header, _progress(data.rollup), [coverage_line(data)], paginate=True)
    if data.data_as_of is not None:
        summary.oddHeader.right.text = f"数据截至 {data.data_as_of:%Y-%m-%d %H:%M}"

    _by_region(wb, data)
    _by_activity(wb, data)
    labels = [_column_label(data.form, ref.key, ref.kind) for ref in data.form.blank_refs]
    _table_sheet(wb, "明细", ["地区", "单位", "文件", "版本", "收到时间"] + labels, [14, 24, 30, 6, 18] + [12] * len(labels))
    _table_sheet(wb, "报送情况", ["地区", "单位", "状态", "按时/逾期", "收到时间", "版本数", "问题数", "文件"],
                 [14, 28, 14, 10, 18, 8, 8, 36])
    _table_sheet(wb, "校验问题", ["级别", "单位", "文件", "位置", "填报项", "填写内容", "说明"], [8, 24, 30, 18, 30, 16, 60])
    wb.properties.title = f"{data.form.title}（{data.period} 汇总）"
    wb.properties.creator = "collector"
    # one level up, this workbook is the office's return: its period travels with it (as a template's
    # does); no collector.form, so it is read by its words like any return in the seed's layout
    wb.custom_doc_props.append(StringProperty(name=PROP_PERIOD, value=data.period))
    for name, value in data.stamp.items():
        wb.custom_doc_props.append(StringProperty(name=name, value=value))
    _write_rollup_sheet(wb, data)
    save_workbook(wb, path)
    stream_rows(path, [
        TableColumns("明细", _detail_columns(data)),
        TableRows("报送情况", _status_rows(data), [data.status_line] if data.status_line else []),
        TableRows("校验问题", _issue_rows(data)),
    ])
