"""A new form from the blank table as the level above sends it: a grid of cell texts → a Form.

Nothing here opens a file (``reading.blank`` does, and hands over a ``Grid``): the grid is the
table's rows top to bottom — paragraphs above a Word table are one-cell rows — with a merged cell's
text in every cell it covers. From it, with nothing typed by hand:

- the title (the first line that is not 附件N or header fields), the header fields (``填报单位（盖章）：``
  ``联系人：`` …) and which of them names the unit and which the date;
- the row of column heads, found by its words (活动项目 / 重点活动 / 活动名称; 内容要求 / 工作要求 / 具体
  内容 / 标准; 进展情况 / 完成情况 / 开展情况 / 落实情况) or, failing that, by where the blanks are; a 序号
  column is recognised and left out;
- sections (the column left of the activities, merged down), activities (an empty 活动项目 cell gets a
  name from its 内容要求), 内容要求, and each paragraph of the progress cell as a line, verbatim;
- every blank — ``（ ）`` ``( )`` ``（  ）`` ``（）`` — and its kind: a count with the measure word that
  follows it (any measure word, 元 户 处 期 …), a percent, or free text (no measure word follows);
  every 是/否 question (``□是 □否``; a line that is only the boxes asks the row's question). Words in
  brackets stay words: 社区（村）, （含视频会议）.

Keys are ASCII and follow the table's order (``a03.l2.b1``: activity 3, line 2, blank 1), so the same
blank gives the same key every time; labels come from the words before each blank. What the import
was unsure of is listed in ``ImportResult.unsure`` with the words around it, for the clerk to check.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from ..errors import FormImportError
from .model import BLANK_MARK, YESNO_MARK, Activity, Blank, Form, Line, Section

# ---------------------------------------------------------------------------------------------
# words


#: a blank: brackets with nothing but spaces inside
BLANK_RE = re.compile(r"[（(][ \t\u3000\u00a0]*[）)]")
#: a 是/否 question's boxes
_YESNO_RE = re.compile(r"[□☐○◻]\s*是\s*[□☐○◻]\s*否|是\s*[□☐○◻]\s*否\s*[□☐○◻]")
#: column heads, by what they are called
_PROGRESS_HEAD = re.compile(r"(进展|完成|开展|落实|工作|推进|实施|执行|填报)?情况$|^进展$|^完成数?$|^成效$|^进度$")
_REQUIREMENT_HEAD = re.compile(r"要求|标准|具体内容|主要内容|工作内容|内容|措施|任务")
_NUMBER_HEAD = re.compile(r"^(序号|编号|序)$")
_NUMBER_CELL = re.compile(r"^[\d一二三四五六七八九十]+[、.．]?$")
#: header fields: a label ending in a colon
_FIELD_RE = re.compile(r"([^\s:：_＿]{1,16}?)\s*[:：]")
_UNIT_FIELD = re.compile(r"单位|部门|机构|名称")
_DATE_FIELD = re.compile(r"日期|时间")
_ATTACHMENT = re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*[:：]?$")
_FOOTNOTE = re.compile(r"^(注|备注|说明|填表说明|填报说明)\s*[\d一二三四五六七八九十]*\s*[:：]")

#: measure words (量词) a count's blank is followed by; compounds first (人次 before 人)
_MEASURE_CHARS = set(
    "场次人个家户元处期件起项篇条份部名所座台辆艘架套张幅块本册批轮天种类支队组栋间片吨米首集段位例宗桩封盘道门根只头棵亩节站面版届期"
)
_MEASURE_COMPOUNDS = ("平方米", "立方米", "公里", "千米", "公斤", "千克", "小时", "学时", "课时", "部门", "单位")
_MAGNITUDES = "万亿千百"
_PUNCT = "，,；;。.、：:！!？?）)」』】》”’ \t\u3000"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def measure_word(after: str) -> str | None:
    """The measure word ``after`` starts with (场次, 人, 元, 万元, 平方米 …); None when none does."""
    text = after.lstrip(" \t\u3000")
    for word in _MEASURE_COMPOUNDS:
        if text.startswith(word):
            return word + "次" if text[len(word) : len(word) + 1] == "次" and word != "小时" else word
    unit = ""
    if not text:
        return None
    if text[0] in _MAGNITUDES and text[1:2] in _MEASURE_CHARS:
        unit, text = text[0], text[1:]
    if text[:1] not in _MEASURE_CHARS:
        return None
    unit += text[0]
    if text[1:2] == "次" and text[0] != "次":
        unit += "次"
    return unit


# ---------------------------------------------------------------------------------------------
# what the import found


@dataclass(frozen=True)
class Grid:
    """A table as the blank lays it out: rows of cell texts (a merged cell's text in every cell it covers)."""

    rows: list[list[str]]
    name: str = ""  # the file it came from, for the form's ``source``


@dataclass(frozen=True)
class Doubt:
    """Something the import decided but was not sure of, with the words around it."""

    where: str  # 第5行 活动“…”
    words: str
    message: str


@dataclass
class ImportResult:
    form: Form
    date_field: str | None
    unsure: list[Doubt] = field(default_factory=list)
    named_from_requirement: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# the grid's parts


@dataclass
class _Columns:
    heads_row: int
    progress: int
    requirement: int | None
    activity: int | None
    section: int | None
    number: set[int]
    heads: list[str]


def _cells(row: list[str]) -> list[str]:
    """The row's distinct texts left to right (a merged cell counted once)."""
    out: list[str] = []
    for text in row:
        text = text.strip()
        if text and (not out or out[-1] != text):
            out.append(text)
    return out


def _marks(text: str) -> int:
    return len(BLANK_RE.findall(text)) + len(_YESNO_RE.findall(text))


def _find_columns(rows: list[list[str]]) -> _Columns:
    width = max((len(r) for r in rows), default=0)
    for r, row in enumerate(rows):
        heads = [_squash(t) for t in row]
        progress = [c for c, h in enumerate(heads) if h and _PROGRESS_HEAD.search(h) and not _marks(row[c])]
        if not progress or len(_cells(row)) < 2:
            continue
        p = progress[-1]
        requirement = next((c for c in range(p - 1, -1, -1) if heads[c] and _REQUIREMENT_HEAD.search(heads[c])), None)
        number = {c for c, h in enumerate(heads) if _NUMBER_HEAD.match(h)}
        return _layout(rows, r, p, requirement, number, [t.strip() for t in _cells(row)])
    # no heads row: the column with the most blanks is the progress column
    counts = [sum(_marks(row[c]) for row in rows if c < len(row)) for c in range(width)]
    if not counts or max(counts) == 0:
        raise FormImportError("这个文件里找不到统计表：没有“进展情况”一类的表头，也没有（ ）或 □是 □否 空格。")
    p = counts.index(max(counts))
    first = next(r for r, row in enumerate(rows) if p < len(row) and _marks(row[p]))
    return _layout(rows, first - 1, p, p - 1 if p >= 1 else None, set(), [])


def _layout(rows: list[list[str]], heads_row: int, progress: int, requirement: int | None, number: set[int],
            heads: list[str]) -> _Columns:
    body = rows[heads_row + 1 :]
    for c in range(progress):
        texts = [row[c].strip() for row in body if c < len(row) and row[c].strip()]
        if texts and all(_NUMBER_CELL.match(t) for t in texts) and c not in number:
            number.add(c)
    left = [c for c in range(requirement if requirement is not None else progress) if c not in number]
    activity = left[-1] if left else None
    section = left[-2] if len(left) >= 2 else None
    if requirement is not None and requirement in number:
        requirement = None
    return _Columns(heads_row, progress, requirement, activity, section, number, heads)


def _title_and_header(rows: list[list[str]]) -> tuple[str, list[str]]:
    title = ""
    header: list[str] = []
    for row in rows:
        text = " ".join(_cells(row))
        if not text or _ATTACHMENT.match(_squash(text)):
            continue
        fields = _FIELD_RE.findall(text)
        if fields and (title or len(_squash(_FIELD_RE.sub("", text))) < 8):
            for name in fields:
                name = name.strip()
                if name not in header:
                    header.append(name)
        elif not title:
            title = _squash(text) if len(text) < 80 else text.strip()
            title = re.sub(r"^附件\s*[\d一二三四五六七八九十]*\s*[:：]\s*", "", title)  # 附件3：2020年…统计表
    return title, header


# ---------------------------------------------------------------------------------------------
# lines and blanks


_CLAUSE_END = "；;。，,、：:！!？?"
_STRIP = "，,；;。.、：:！!？? \t\u3000"
_PIECES = re.compile(r"[，,、；;。:：！!？?]")
#: a label's words before its blank: at most this many characters
_LABEL_WORDS = 30


def _clean_words(text: str) -> str:
    """Words without the punctuation around them, and without a quote or bracket left open or closed alone."""
    text = text.strip(_STRIP)
    changed = True
    while changed and text:
        changed = False
        for left, right in (("“", "”"), ("‘", "’"), ("（", "）"), ("(", ")"), ('"', '"')):
            if text.startswith(left) and (right not in text[1:]):
                text, changed = text[1:].strip(_STRIP), True
            if text.endswith(right) and (left not in text[:-1]):
                text, changed = text[:-1].strip(_STRIP), True
    return text


def _labels(body: str, spans: list[tuple[int, int]], units: list[str | None], kinds: list[str]) -> list[str]:
    """A label for each blank of a line, from the words before it (安排理论学习中心组专题学习·参与人次).

    Words of four characters or more before a blank name it; shorter ones (参与, 奖励) are added to the
    words that named the blank before it in the same clause; a blank that opens its clause is named by
    the words after it."""
    labels = []
    subject = ""
    previous_end = 0
    for (start, end), unit, kind in zip(spans, units, kinds):
        segment = body[previous_end:start]
        if re.search(r"[；;。]", segment):
            subject = ""  # a new clause
        pieces = _PIECES.split(segment.rstrip("：: \t\u3000"))  # 演练科目：（ ）
        before = _clean_words(pieces[-1]) if pieces else ""
        if previous_end:  # （ ）等形式启动…活动（ ）场次: the words after 等形式 name the next blank
            before = re.sub(r"^等(形式|方式|方法|途径|渠道)?", "", before)
        what = unit or ""
        if kind == "percent":
            what = "比例" if "比例" not in before else ""
        if len(before) >= 4:
            subject = _clean_words(before[-_LABEL_WORDS:])
            label = subject if kind == "text" else f"{subject}·{what}"
        elif subject:
            label = f"{subject}·{before}{what}" if (before or what) else subject
        else:
            after = _clean_words(_PIECES.split(BLANK_RE.split(body[end:])[0])[0])
            if unit and after.startswith(unit):
                after = after[len(unit):]
            manner = re.match(r"^等?(形式|方式|方法|途径|渠道|内容)(.+)$", after) if kind == "text" else None
            after = after.lstrip("等")
            context = _clean_words((after if len(after) >= 2 else before + after)[:_LABEL_WORDS]) or "填报项"
            label = context if kind == "text" else f"{context}·{what}"
            if manner:  # 以（ ）等形式启动“安全生产月”活动 → 启动“安全生产月”活动·形式
                label = f"{manner.group(2)[:_LABEL_WORDS]}·{manner.group(1)}"
            subject = context
        labels.append(label.rstrip("·") or "填报项")
        previous_end = end
    return labels


@dataclass
class _LineDraft:
    text: str
    blanks: list[dict]


def _split_yesno(text: str) -> list[str]:
    """A line with 是/否 boxes in its middle becomes two lines: the question, and what follows it."""
    parts: list[str] = []
    while True:
        m = _YESNO_RE.search(text)
        if not m:
            break
        rest = text[m.end() :].lstrip(_PUNCT + _CLAUSE_END)
        parts.append(text[: m.start()] + YESNO_MARK)
        text = rest
        if not text:
            break
    if text:
        parts.append(text)
    return parts


def _line(raw: str, row_words: str, where: str, unsure: list[Doubt]) -> _LineDraft | None:
    """One paragraph of a progress cell → the line's text with every blank written （ ）, and its blanks."""
    text = raw.strip().replace("\t", " ")
    has_yesno = bool(_YESNO_RE.search(text))
    body = _YESNO_RE.sub("", text) if has_yesno else text
    matches = list(BLANK_RE.finditer(body))
    if not matches and not has_yesno:
        if text:
            unsure.append(Doubt(where, text, "这一行没有（ ）空格，也没有 □是 □否，没有作为填报项。"))
        return None
    blanks: list[dict] = []
    for m in matches:
        after = body[m.end() :]
        stripped = after.lstrip(" \t\u3000")
        if stripped[:1] and stripped[:1] in "%％":
            kind, unit = "percent", "%"
        else:
            unit = measure_word(stripped)
            kind = "count" if unit else "text"
            if unit is None and stripped[:1] and stripped[:1] not in _PUNCT + _CLAUSE_END + "等":
                near = body[max(0, m.start() - 12) : m.end() + 8]
                unsure.append(Doubt(where, near, f"空格后面是“{stripped[:2]}”，不像量词，当作文字空格；如果要填数字，请在表格定义里改为 count 并写明单位。"))
            elif unit is None and re.search(r"(数|数量|人数|次数|金额)[:：]?\s*$", body[: m.start()]):
                near = body[max(0, m.start() - 12) : m.end() + 8]
                unsure.append(Doubt(where, near, "空格前面说的是数目，但后面没有单位，当作文字空格。"))
        blanks.append({"kind": kind, "unit": unit if kind != "text" else None})
    labels = _labels(body, [m.span() for m in matches], [b["unit"] for b in blanks], [b["kind"] for b in blanks])
    for b, label in zip(blanks, labels):
        b["label"] = label
    out = re.sub(BLANK_MARK + r"(\s*)％", BLANK_MARK + r"\1%", BLANK_RE.sub(BLANK_MARK, body).strip())
    if has_yesno:
        question = _clean_words(re.sub(r"^是否", "", out.replace(BLANK_MARK, ""))) if out else ""
        out = (out.rstrip() + YESNO_MARK) if out else YESNO_MARK
        if out != YESNO_MARK and not re.search(r"[:：]" + re.escape(YESNO_MARK) + "$", out):
            out = out[: -len(YESNO_MARK)].rstrip() + " " + YESNO_MARK
        label = question or row_words or "是否完成"
        blanks.append({"kind": "yesno", "unit": None, "label": label[:40]})
    return _LineDraft(out, blanks)


def _progress_lines(cell: str, row_words: str, where: str, unsure: list[Doubt]) -> list[_LineDraft]:
    drafts = []
    for paragraph in cell.replace("\r", "\n").split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        for piece in _split_yesno(paragraph):
            draft = _line(piece, row_words, where, unsure)
            if draft is not None:
                drafts.append(draft)
    return drafts


def _name_from_requirement(requirement: str) -> str:
    first = re.split(r"[，,；;。…]", requirement.strip())[0].strip("…. ")
    return (first[:30] + "…") if len(first) > 30 else (first or requirement[:30])


# ---------------------------------------------------------------------------------------------
# the form


_KEY_SAFE = re.compile(r"[^a-z0-9-]+")


def form_id_for(title: str, name: str = "") -> str:
    """An id for a form that has none: the file's name when it is ASCII, else the year and a short hash of the title."""
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    stem = _KEY_SAFE.sub("-", stem).strip("-")
    if stem and re.match(r"^[a-z0-9]", stem) and len(stem) >= 3 and stem not in ("blank", "form", "table"):
        return stem[:40]
    year = re.search(r"(19|20)\d\d", title)
    digest = hashlib.sha1(title.encode("utf-8")).hexdigest()[:6]
    return f"form-{year.group(0)}-{digest}" if year else f"form-{digest}"


def short_name_for(title: str) -> str:
    """兴安行统计表 from 2020年全区“安全生产月”和“安全生产兴安行”活动进展情况统计表."""
    quoted = re.findall(r"[“\"]([^”\"]{2,20})[”\"]", title)
    kind = "统计表" if "统计表" in title else ("情况表" if "情况表" in title else "表")
    if quoted:
        return quoted[-1] + kind
    words = re.sub(r"^\d{4}年(度)?", "", title)
    return words[:16] or "统计表"


def import_grid(grid: Grid, form_id: str | None = None) -> ImportResult:
    """Read a blank table's grid into a Form (validated as any form file is), with what was unsure."""
    rows = [[("" if c is None else str(c)).replace("\r\n", "\n") for c in row] for row in grid.rows]
    cols = _find_columns(rows)
    title, header = _title_and_header(rows[: max(cols.heads_row, 0)])
    unsure: list[Doubt] = []
    if not title:
        title = "活动进展情况统计表"
        unsure.append(Doubt("表头", "", "找不到表格标题，用了“活动进展情况统计表”，请在表格定义里改为原表标题。"))
    unit_field = next((h for h in header if _UNIT_FIELD.search(h)), None)
    if unit_field is None:
        unit_field = "填报单位"
        header.insert(0, unit_field)
        unsure.append(Doubt("表头", " ".join(header), "表头里没有“填报单位”一类的栏目，加了“填报单位”；各单位要在表头写明单位名称。"))
    date_field = next((h for h in header if _DATE_FIELD.search(h)), None)
    if date_field is None:
        unsure.append(Doubt("表头", " ".join(header), "表头里没有“填报日期”一类的栏目：收到的表按收到的日期归入期间（或运行命令时用 --period 指定）。"))

    sections: list[tuple[str, list[dict]]] = []
    named: list[str] = []
    current_activity: dict | None = None
    last_key: tuple[str, str] | None = None
    heads_squashed = [_squash(t) for t in rows[cols.heads_row]] if cols.heads_row >= 0 else []

    def cell(row: list[str], c: int | None) -> str:
        return row[c].strip() if c is not None and c < len(row) else ""

    for r in range(cols.heads_row + 1, len(rows)):
        row = rows[r]
        if [_squash(t) for t in row] == heads_squashed:
            continue  # the heads repeated (a table over two pages)
        distinct = _cells(row)
        if not distinct:
            continue
        if _FOOTNOTE.match(distinct[0]) and not any(_marks(t) for t in distinct):
            continue
        progress = cell(row, cols.progress)
        requirement = cell(row, cols.requirement)
        activity_name = cell(row, cols.activity)
        section_name = cell(row, cols.section)
        if len(distinct) == 1 and not _marks(distinct[0]):
            # one cell across the table: a section's own row
            sections.append((distinct[0], []))
            current_activity, last_key = None, None
            continue
        if section_name and section_name != activity_name and (not sections or sections[-1][0] != section_name):
            sections.append((section_name, []))
            current_activity, last_key = None, None
        if not sections:
            sections.append((cols.heads[0] if cols.heads else "活动", []))
        if not progress:
            if current_activity is None or activity_name or requirement:
                unsure.append(Doubt(f"第{r + 1}行", " ".join(distinct)[:60], "这一行的进展情况栏是空的，没有填报项。"))
            continue
        key = (activity_name, requirement)
        row_words = activity_name or _name_from_requirement(requirement)
        where = f"“{row_words[:20]}”一行"
        same = current_activity is not None and (
            (activity_name and activity_name == last_key[0]) or (not activity_name and (not requirement or requirement == last_key[1]))
        )
        drafts = _progress_lines(progress, row_words, where, unsure)
        if same and current_activity is not None:
            current_activity["lines"].extend(drafts)
            continue
        name = activity_name
        printed: str | None = None
        if not name:
            name = _name_from_requirement(requirement) if requirement else f"第{r + 1}行"
            printed = ""
            named.append(name)
        current_activity = {"name": name, "printed_name": printed, "requirement": requirement, "lines": drafts}
        sections[-1][1].append(current_activity)
        last_key = key

    built_sections = []
    n_activity = 0
    seen_labels: dict[str, int] = {}
    for section_name, activities in sections:
        kept = []
        for activity in activities:
            n_activity += 1
            lines = []
            for l_no, draft in enumerate(activity["lines"], start=1):
                blanks = []
                for b_no, b in enumerate(draft.blanks, start=1):
                    label = b["label"]
                    seen_labels[label] = seen_labels.get(label, 0) + 1
                    if seen_labels[label] > 1:
                        label = f"{label}（{seen_labels[label]}）"
                    blanks.append(Blank(key=f"a{n_activity:02d}.l{l_no}.b{b_no}", label=label, kind=b["kind"], unit=b["unit"]))
                lines.append(Line(text=draft.text, blanks=blanks))
            kept.append(Activity(name=activity["name"], printed_name=activity["printed_name"],
                                 requirement=activity["requirement"], lines=lines))
        if kept:
            built_sections.append(Section(name=section_name, activities=kept))
    if not any(a.lines for s in built_sections for a in s.activities):
        raise FormImportError("表格里找不到任何填报空格（（ ）或 □是 □否），无法生成表格定义。")
    fid = form_id or form_id_for(title, grid.name)
    try:
        form = Form(
            id=fid,
            title=title,
            short_name=short_name_for(title),
            source=f"由 collect form import 从“{grid.name or '空白表'}”导入（{date.today().isoformat()}）",
            header=header,
            unit_field=unit_field,
            columns=[h for h in cols.heads if not _NUMBER_HEAD.match(_squash(h))] or ["活动项目", "内容要求", "进展情况"],
            notes="由空白表自动生成：键（key）按表中顺序编号，标签（label）取自空格前的文字，可以修改标签，不要改键。",
            sections=built_sections,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FormImportError(f"生成的表格定义不成立：{first['msg']}") from exc
    return ImportResult(form, date_field, unsure, named)


# ---------------------------------------------------------------------------------------------
# TOML


def form_toml(form: Form, result: ImportResult | None = None) -> str:
    """The form as a form file (``schemas/<id>.toml``), written with tomli-w."""
    import tomli_w

    data = form.model_dump(mode="python", exclude_none=True)
    if not data.get("deadlines"):
        data.pop("deadlines", None)
    if not data.get("issuer"):
        data.pop("issuer", None)
    head = [
        f"# {form.title}",
        "# 由 collect form import 从空白表生成。可以修改 label（回执和汇总表里的说法）、title、short_name；",
        "# 不要改 key 和 text（text 是原表的原话，各单位报表靠它来识别）。格式见 schemas/README.md。",
    ]
    if result is not None and result.date_field:
        head.append(f"# 填报日期栏：{result.date_field}")
    return "\n".join(head) + "\n\n" + tomli_w.dumps(data, multiline_strings=True)
