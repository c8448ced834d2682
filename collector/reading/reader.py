"""Read a returned statistics table: which form it is, its header, and the text in every blank.

The seed's progress sentences are the anchors. Each line of a form becomes a regular expression:
its fixed words, folded the way ``values.normalize`` folds the cell text, with a capture group where
each blank is. Whatever the unit did to the blank — （12）, (12), bare 12, （十二）, （ ） — lands in
the group; ``check`` decides what it means. Because the words anchor the values, layout drift does
not matter: a 序号 column in front, a 填报说明 sheet first, any sheet name, lines in one cell with
line breaks or one per row under merged cells.

Returns laid out as our own templates (``template``: one input cell per blank, the words before it
on its left, the unit after it on its right) are read exactly from their input cells by
``read_template``. The words beside the inputs identify them, so a renamed sheet, inserted rows or the
table pasted into a fresh workbook (its metadata lost) still read; the template's metadata (custom
document properties, or the hidden ``_collector`` sheet) names the form and the period, and its
key → cell map covers sentences whose words a unit edited, as long as no row moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import UnknownForm
from ..forms.layout import (
    META_MAP_HEAD,
    META_SHEET,
    PROP_FORM,
    ROLLUP_HEAD,
    ROLLUP_MARK,
    ROLLUP_SHEET,
    ROLLUP_VERSION,
    form_slots,
)
from ..forms.model import Form, Line
from ..forms.values import CHECKED, UNCHECKED, normalize
from .workbook import Sheet, Workbook, cell_text, parse_address

#: a workbook is this form when at least this share of the form's lines is found in one sheet
MIN_SCORE = 0.5

_MARKS = re.escape("".join(sorted(CHECKED | UNCHECKED)) + "()")
#: a consolidated table's tally after the boxes, on their line or the next (folded: （是22，否3） → (是22,否3))
_TALLY_AFTER = r"(?:\n?\(是\d+,否\d+(?:,未答\d+)?\))?"
_YESNO_ONLY = re.compile(rf"(?m)^([{_MARKS}]*[是否][{_MARKS}是否]*{_TALLY_AFTER})$")
#: the coverage line a consolidated report prints under its table (本表汇总22个单位的报表（应报25个）)
_COVERAGE = re.compile(r"^本表汇总(\d+)个单位")
_TRAILING_PUNCT = ";。.,:"
_STAMP = re.compile(r"[(（](盖章|公章|章|签章)[)）]")


class Found(NamedTuple):  # NamedTuple, not a frozen dataclass: ~100 are made per return, at half the cost
    """The text written in one blank and the cell it is in; both None when its line is missing."""

    key: str
    cell: str | None
    raw: str | None


class HeaderValue(NamedTuple):
    value: str | None
    cell: str | None


class RollupRow(NamedTuple):
    """One blank's row of the hidden roll-up sheet: kind, value (a count's sum, a percent's exact mean,
    a 是/否's answer), the 是/否 tallies and the weight (units covered; for a percent, units its mean is over)."""

    kind: str
    value: Any
    yes: int | None
    no: int | None
    weight: float | None


@dataclass(frozen=True)
class RollupSheet:
    """A consolidated report's hidden ``_collector_rollup`` sheet, read (docs/rollup-metadata.md)."""

    form: str
    period: str
    units: int
    rows: dict[str, RollupRow]


class Extra(NamedTuple):
    """Words on the table that the form does not have: a row the unit added (``row``), a cell in a
    column the form does not have or with words of its own (``cell``: a 备注 column), or words left
    over in a progress cell after its lines (``line``). ``where`` names the row (表中第16行) or the
    cell's column head (备注); ``text`` is what is written, cells of a row joined with ｜."""

    kind: str
    cell: str
    where: str
    text: str


@dataclass
class ReturnRead:
    """Everything read from one return, before any checking."""

    path: Path
    form: Form
    sheet: str
    header: dict[str, HeaderValue]
    blanks: dict[str, Found]
    missing_lines: list[Line] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    layout: str = "seed"
    #: what the unit wrote on the table that the form does not know (not counted; said in a warning)
    extras: list[Extra] = field(default_factory=list)
    #: a consolidated report's hidden roll-up sheet (docs/rollup-metadata.md), when the file has one
    rollup: RollupSheet | None = None
    #: the units a consolidated table says it covers (本表汇总22个单位的报表…), when it says so
    stated_units: int | None = None

    @property
    def unit(self) -> str | None:
        return self.header.get(self.form.unit_field, HeaderValue(None, None)).value


# ---------------------------------------------------------------------------------------------
# compiled forms


@dataclass(frozen=True)
class _LineMatcher:
    line: Line
    pattern: re.Pattern[str]
    anchor: str  # longest fixed piece, for a fast substring test; "" when the line has no words


@dataclass(frozen=True)
class _FormMatcher:
    form: Form
    lines: tuple[_LineMatcher, ...]
    title: str
    stop_row_words: tuple[str, ...]
    header_pattern: re.Pattern[str]

    @cached_property
    def anchors(self) -> tuple[str, ...]:
        """The lines' anchors, for telling which form a sheet is."""
        return tuple(m.anchor for m in self.lines if m.anchor)

    @cached_property
    def known_words(self) -> str:
        """Every fixed text of the form's table, folded and joined: a cell whose words are in it is the form's own."""
        return "\x1f".join(self.known_pieces)

    @cached_property
    def known_pieces(self) -> frozenset[str]:
        """The same fixed texts one by one: most cells are one of them whole, found without a search."""
        form = self.form
        pieces = [form.title, *form.header, *form.columns]
        for section in form.sections:
            pieces.append(section.name)
            for activity in section.activities:
                pieces += [activity.name, activity.seed_name, *activity.requirement.split("\n")]
        return frozenset(normalize(p) for p in pieces if p)

    @cached_property
    def own_texts(self) -> dict[str, bool]:
        """Whether a cell's (folded) text is the form's own, by text, as worked out (``_is_own``): most
        cells of a return are the form's fixed texts, the same in every return of the form."""
        return {}


def _line_pattern(line: Line) -> re.Pattern[str]:
    literals = [normalize(piece) for piece in line.literals]
    has_yesno = any(b.kind == "yesno" for b in line.blanks)
    if has_yesno:
        question = literals[-1].rstrip(":")
        if not question and len(literals) == 1:
            return _YESNO_ONLY
        literals[-1] = question
    else:
        literals[-1] = literals[-1].rstrip(_TRAILING_PUNCT)
    parts: list[str] = []
    for i, literal in enumerate(literals):
        if i > 0:
            if i == 1 and literals[0] == "":
                # a line that opens with a blank: the blank starts the cell or follows a sentence end
                parts.append(r"(?:^|(?<=[\n;。]))([^\n;。]*?)")
            elif i == len(literals) - 1 and literal == "" and not has_yesno:
                parts.append(r"([^\n;。]*)")
            else:
                parts.append(r"(.*?)")
        parts.append(re.escape(literal))
    if has_yesno:
        parts.append(r":?([^\n]*" + _TALLY_AFTER + ")")
    return re.compile("".join(parts))


#: built readers by form id: one entry per form id, replaced when the forms are loaded again (a
#: long ``watch`` loads them every pass; keyed by the object's id, every copy was kept alive)
_MATCHERS: dict[str, _FormMatcher] = {}


def prepare(form: Form) -> None:
    """Work out now what reading returns of ``form`` needs (done once per form in any case)."""
    _matcher(form)
    _template_matcher(form)


def _matcher(form: Form) -> _FormMatcher:
    cached = _MATCHERS.get(form.id)
    if cached is not None and cached.form is form:
        return cached
    lines = []
    for activity in form.activities:
        for line in activity.lines:
            anchor = max((normalize(p) for p in line.literals), key=len).rstrip(_TRAILING_PUNCT)
            if any(b.kind == "yesno" for b in line.blanks):
                anchor = normalize(line.question)
            lines.append(_LineMatcher(line, _line_pattern(line), anchor))
    labels = sorted({_STAMP.sub("", normalize(h)) for h in form.header}, key=len, reverse=True)
    header_pattern = re.compile(
        "(" + "|".join(re.escape(label) for label in labels) + r")(?:[(（](?:盖章|公章|章|签章)[)）])?[:：]?"
    )
    stop = tuple(normalize(c) for c in form.columns)
    built = _FormMatcher(form, tuple(lines), normalize(form.title), stop, header_pattern)
    _MATCHERS[form.id] = built
    return built


# ---------------------------------------------------------------------------------------------
# reading


class _Cell(NamedTuple):
    row: int
    col: int
    text: str  # normalized


def _cells(sheet: Sheet) -> list[_Cell]:
    cells = []
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            text = normalize(value if type(value) is str else cell_text(value))  # most cells are text
            if text:
                cells.append(_Cell(r, c, text))
    return cells


def _score(matcher: _FormMatcher, sheet_text: str) -> float:
    anchors = matcher.anchors
    if not anchors:
        return 0.0
    return sum(anchor in sheet_text for anchor in anchors) / len(anchors)


def identify(workbook: Workbook, forms: dict[str, Form]) -> tuple[Form, Sheet, list[_Cell]]:
    """The form and sheet this workbook is a return of, or UnknownForm."""
    best: tuple[tuple[float, int, int], Form, Sheet, list[_Cell]] | None = None
    ordered = sorted(forms.values(), key=lambda f: -len(_matcher(f).lines))
    for sheet in workbook.sheets:
        cells = _cells(sheet)
        if not cells:
            continue
        text = "\n".join(c.text for c in cells)
        # forms whose title is on the sheet first, longest first: once one matches every line, no
        # form after it can rank higher (a shorter one, or one without its title on the sheet)
        for form in sorted(ordered, key=lambda f: _matcher(f).title not in text):
            matcher = _matcher(form)
            score = _score(matcher, text)
            rank = (score, int(matcher.title in text), len(matcher.lines))
            if best is None or rank > best[0]:
                best = (rank, form, sheet, cells)
            if rank[:2] == (1.0, 1):
                break
    if best is None or best[0][0] < MIN_SCORE:
        known = "、".join(f.title for f in forms.values()) or "（无）"
        raise UnknownForm(f"这不是要收集的统计表：表中找不到任何已知统计表的文字。已知的表：{known}")
    return best[1], best[2], best[3]


def _header(matcher: _FormMatcher, sheet: Sheet, cells: list[_Cell], table_row: int) -> dict[str, HeaderValue]:
    """Header values: after each label, up to the next label, in one cell or the cells after it."""
    pieces: list[tuple[int, int, _Cell]] = []  # (start, end, cell) in the joined text
    joined = ""
    for cell in cells:
        if cell.row >= table_row:
            break
        start = len(joined)
        joined += cell.text
        pieces.append((start, len(joined), cell))
        joined += "\x1f"
    labels = {_STAMP.sub("", normalize(h)): h for h in matcher.form.header}
    found = list(matcher.header_pattern.finditer(joined))
    header: dict[str, HeaderValue] = {h: HeaderValue(None, None) for h in matcher.form.header}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(joined)
        segment = joined[m.end() : end]
        value = segment.replace("\x1f", " ").strip(" _＿:：").strip()
        value = _STAMP.sub("", value).strip(" _＿")
        field_name = labels[m.group(1)]
        if not value or header[field_name].value is not None:
            continue
        offset = m.end() + (len(segment) - len(segment.lstrip("\x1f _＿:")))
        cell = next((c for s, e, c in pieces if s <= offset < e), None)
        header[field_name] = HeaderValue(value, sheet.address(cell.row, cell.col) if cell else None)
    return header


def _table_row(matcher: _FormMatcher, cells: list[_Cell]) -> int:
    """The row of the column heads (活动项目 / 内容要求 / 进展情况), where the header ends."""
    for cell in cells:
        if cell.text in matcher.stop_row_words:
            return cell.row
    return cells[min(len(cells) - 1, 3)].row if cells else 0


def read_sheet(workbook: Workbook, form: Form, sheet: Sheet, cells: list[_Cell] | None = None) -> ReturnRead:
    """Find every line of ``form`` in ``sheet`` and cut out what is written in its blanks."""
    matcher = _matcher(form)
    cells = _cells(sheet) if cells is None else cells
    table_row = _table_row(matcher, cells)
    header = _header(matcher, sheet, cells, table_row)
    blanks: dict[str, Found] = {}
    missing: list[Line] = []
    consumed: dict[int, list[tuple[int, int]]] = {}  # cell index -> the spans its lines matched
    at_cell, at_pos = 0, 0
    for line_matcher in matcher.lines:
        hit = _find(line_matcher, cells, at_cell, at_pos)
        line = line_matcher.line
        if hit is None:
            missing.append(line)
            for blank in line.blanks:
                blanks[blank.key] = Found(blank.key, None, None)
            continue
        index, match = hit
        cell = cells[index]
        address = sheet.address(cell.row, cell.col)
        for blank, raw in zip(line.blanks, match.groups()):
            blanks[blank.key] = Found(blank.key, address, raw)
        consumed.setdefault(index, []).append(match.span())
        at_cell, at_pos = index, match.end()
    return ReturnRead(
        path=workbook.path,
        form=form,
        sheet=sheet.name,
        header=header,
        blanks=blanks,
        missing_lines=missing,
        properties=workbook.properties,
        extras=_extras(matcher, sheet, cells, table_row, consumed),
        stated_units=next((int(m.group(1)) for c in cells if c.row > table_row and (m := _COVERAGE.match(c.text))), None),
    )


#: what is left of a cell's words that says nothing: punctuation, spaces, the words for none
_NOTHING = re.compile(r"[\s;。.,，、:：!！?？…\-—_＿|｜/\\()（）\[\]【】\"'“”‘’·*#]+")
_NONE_WORDS = frozenset({"", "无", "没有", "暂无", "0", "零"})
#: a 序号 column's cells are the rows' numbers, not figures
_SEQUENCE_HEADS = frozenset({"序号", "序", "编号", "No", "No."})
_MAX_QUOTE = 300


#: short texts already judged by ``_says_something`` (what is left around a line in its cell: "", "。", "\n"…)
_SAID: dict[str, bool] = {}


def _says_something(text: str) -> bool:
    said = _SAID.get(text)
    if said is None:
        said = _NOTHING.sub("", text) not in _NONE_WORDS
        if len(text) <= 8 and len(_SAID) < 4096:
            _SAID[text] = said
    return said


def _row_words(sheet: Sheet, row: int) -> str:
    """表中第16行 — or, for a Word table presented as a sheet, 表1第16行."""
    places = getattr(sheet, "places", None)
    if places and row < len(places) and places[row][0] == "table":
        return f"表{places[row][1]}第{places[row][2]}行"
    return f"表中第{row + 1}行"


def _quote_cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_QUOTE else text[:_MAX_QUOTE] + "……"


def _extras(
    matcher: _FormMatcher, sheet: Sheet, cells: list[_Cell], table_row: int, consumed: dict[int, list[tuple[int, int]]]
) -> list[Extra]:
    """Whatever is written on the table (from its column heads down) that the form does not know.

    A cell is the form's own when a line of the form was found in it (what is left over after the
    lines is reported), or when its words are among the form's fixed texts (title, column heads,
    section and activity names, 内容要求). A 内容要求 cell without figures is let be (units shorten
    it with ……), and so is a 序号 column. A row with nothing of the form's own is one warning; a cell
    in a row of the form's (a 备注 column) is one each."""
    heads = {c.col: c.text for c in cells if c.row == table_row}
    skip_cols = {col for col, text in heads.items() if text in _SEQUENCE_HEADS}
    requirement_col = next((col for col, text in heads.items() if text == "内容要求"), None)
    rows: dict[int, tuple[list[_Cell], list[_Cell]]] = {}  # row -> (unknown cells, other cells)
    extras: list[tuple[int, int, Extra]] = []  # (row, col, extra), put in the sheet's order at the end
    for index, cell in enumerate(cells):
        if cell.row <= table_row or cell.col in skip_cols or _COVERAGE.match(cell.text):
            continue  # the column heads, a 序号 column, a consolidated table's coverage line
        unknown, other = rows.setdefault(cell.row, ([], []))
        spans = consumed.get(index)
        if spans is not None:
            other.append(cell)
            left, at = [], 0
            for start, end in sorted(spans):
                left.append(cell.text[at:start])
                at = max(at, end)
            left.append(cell.text[at:])
            rest = "\n".join(piece.strip(_NOTHING_EDGES) for piece in left if _says_something(piece))
            if rest:
                extras.append((cell.row, cell.col, Extra("line", sheet.address(cell.row, cell.col),
                                                         heads.get(cell.col, ""), _quote_cut(_original(sheet, cell, rest)))))
            continue
        if _is_own(matcher, cell.text):
            other.append(cell)
        elif cell.col == requirement_col and not any(ch.isdigit() for ch in cell.text):
            other.append(cell)
        else:
            unknown.append(cell)
    for row, (unknown, other) in sorted(rows.items()):
        if not unknown:
            continue
        if all(c.col == requirement_col or not _says_something(c.text) for c in other):
            quoted = "｜".join(sheet.text(c.row, c.col).strip() for c in sorted(unknown + other, key=lambda c: c.col)
                              if _says_something(c.text))
            first = min(unknown, key=lambda c: c.col)
            extras.append((row, -1, Extra("row", sheet.address(row, first.col), _row_words(sheet, row), _quote_cut(quoted))))
            continue
        for cell in unknown:
            extras.append((cell.row, cell.col, Extra("cell", sheet.address(cell.row, cell.col), heads.get(cell.col, ""),
                                                     _quote_cut(sheet.text(cell.row, cell.col)))))
    return [extra for _row, _col, extra in sorted(extras, key=lambda e: (e[0], e[1]))]


_NOTHING_EDGES = " \n;。.,，、:：；"
#: texts remembered per form by ``_is_own`` (the form's own are a few hundred; a unit's words are
#: not kept beyond this), each of at most so many characters (the longest text of a real table is ~300):
#: a child reads file after file, and a crafted one's long texts must not pile up in it
_OWN_TEXTS_KEPT = 4096
_OWN_TEXT_CHARS = 1000


def _is_own(matcher: _FormMatcher, text: str) -> bool:
    """Whether a cell's words are the form's own: one of its fixed texts (or a piece of one, as units
    shorten them with ……), nothing at all, or lines that each are."""
    memo = matcher.own_texts
    own = memo.get(text)
    if own is None:
        known, pieces = matcher.known_words, matcher.known_pieces
        own = text.strip("…. 。") in pieces or not _says_something(text) or all(
            part in pieces or part in known
            for part in (piece.strip("…. 。") for piece in text.split("\n") if _says_something(piece))
        )
        if len(text) <= _OWN_TEXT_CHARS and len(memo) < _OWN_TEXTS_KEPT:
            memo[text] = own
    return own


def _original(sheet: Sheet, cell: _Cell, folded: str) -> str:
    """The left-over words as the unit wrote them where they can be found (the folded text otherwise)."""
    written = sheet.text(cell.row, cell.col)
    for line in written.splitlines():
        if line.strip() and normalize(line).strip(_NOTHING_EDGES) == folded:
            return line.strip()
    return folded


def _find(line: _LineMatcher, cells: list[_Cell], at_cell: int, at_pos: int) -> tuple[int, re.Match[str]] | None:
    """The next place the line appears, looking forward from where the last line ended, then wrapping."""
    anchor, search = line.anchor, line.pattern.search
    # forward from the last line's end (in its cell, from where it ended), then from the top again
    for start, stop, first_pos in ((at_cell, len(cells), at_pos), (0, min(at_cell + 1, len(cells)), 0)):
        for i in range(start, stop):
            text = cells[i].text
            if anchor and anchor not in text:
                continue
            match = search(text, first_pos if i == start else 0)
            if match:
                return i, match
    return None


# ---------------------------------------------------------------------------------------------
# returns laid out as our templates


@dataclass(frozen=True)
class _TemplateMatcher:
    form: Form
    # per progress line: the line, and its inputs' (key, normalized words, normalized after)
    lines: tuple[tuple[Line, tuple[tuple[str, str, str], ...]], ...]
    words: dict[str, frozenset[str]]  # normalized words -> the normalized texts after their input
    labels: dict[str, str]  # header label, normalized without 盖章 and colon -> the form's header field


_TEMPLATE_MATCHERS: dict[str, _TemplateMatcher] = {}  # by form id, as _MATCHERS


def _template_matcher(form: Form) -> _TemplateMatcher:
    cached = _TEMPLATE_MATCHERS.get(form.id)
    if cached is not None and cached.form is form:
        return cached
    lines = []
    words: dict[str, set[str]] = {}
    for line, slots in form_slots(form):
        expected = tuple((s.ref.key, normalize(s.words), normalize(s.after)) for s in slots)
        lines.append((line, expected))
        for _key, w, a in expected:
            if w:
                words.setdefault(w, set()).add(a)
    labels = {_label_key(h): h for h in form.header}
    built = _TemplateMatcher(form, tuple(lines), {w: frozenset(a) for w, a in words.items()}, labels)
    _TEMPLATE_MATCHERS[form.id] = built
    return built


def _label_key(text: str) -> str:
    return _STAMP.sub("", normalize(text)).rstrip(":")


def template_metadata(workbook: Workbook) -> tuple[dict[str, str], dict[str, str]]:
    """The template's properties (document properties, else the hidden sheet's) and its key → cell map."""
    properties = dict(workbook.properties)
    cells: dict[str, str] = {}
    meta = next((s for s in workbook.sheets if s.name == META_SHEET), None)
    if meta is not None:
        in_map = False
        for r in range(len(meta.rows)):
            name, value = meta.text(r, 0).strip(), meta.text(r, 1).strip()
            if (name, value) == META_MAP_HEAD:
                in_map = True
            elif name and in_map:
                cells[name] = value
            elif name.startswith("collector."):
                properties.setdefault(name, value)
    return properties, cells


@dataclass
class _TemplateSheet:
    sheet: Sheet
    cells: list[_Cell]
    column: int  # the input column (0-based)
    found: dict[int, int]  # line index -> the row its first input is on
    rows: list[int]  # the rows of the inputs, in sheet order


def _scan_template(matcher: _TemplateMatcher, sheet: Sheet, cells: list[_Cell] | None = None) -> _TemplateSheet | None:
    """Where ``sheet`` has the form's inputs: the input column, and the lines found by their words."""
    cells = _cells(sheet) if cells is None else cells
    grid = {(c.row, c.col): c.text for c in cells}
    votes: dict[int, int] = {}
    for cell in cells:
        afters = matcher.words.get(cell.text)
        if afters is not None and grid.get((cell.row, cell.col + 2), "") in afters:
            votes[cell.col + 1] = votes.get(cell.col + 1, 0) + 1
    if not votes:
        return None
    column = max(votes, key=lambda c: (votes[c], -c))
    rows = sorted({c.row for c in cells if c.col in (column - 1, column + 1)})
    pairs = [(grid.get((r, column - 1), ""), grid.get((r, column + 1), "")) for r in rows]
    found: dict[int, int] = {}
    at = 0
    for index, (_line, expected) in enumerate(matcher.lines):
        want = [(w, a) for _key, w, a in expected]
        n = len(want)
        for start in [*range(at, len(pairs) - n + 1), *range(0, min(at, len(pairs) - n + 1))]:
            if pairs[start : start + n] == want:
                found[index] = start
                at = start + n
                break
    return _TemplateSheet(sheet, cells, column, found, rows)


def _template_header(matcher: _TemplateMatcher, scan: _TemplateSheet) -> dict[str, HeaderValue]:
    """Header values: the cell right of each label (label and value cells as the template has them)."""
    header: dict[str, HeaderValue] = {h: HeaderValue(None, None) for h in matcher.form.header}
    first_input = scan.rows[min(scan.found.values())] if scan.found else len(scan.sheet.rows)
    by_row: dict[int, list[_Cell]] = {}
    for cell in scan.cells:
        if cell.row < first_input:
            by_row.setdefault(cell.row, []).append(cell)
    for row_cells in by_row.values():
        for i, cell in enumerate(row_cells):
            field_name = matcher.labels.get(_label_key(cell.text))
            if field_name is None or header[field_name].value is not None:
                continue
            following = row_cells[i + 1] if i + 1 < len(row_cells) else None
            if following is None or _label_key(following.text) in matcher.labels:
                continue
            value = scan.sheet.text(following.row, following.col).strip()
            header[field_name] = HeaderValue(value, scan.sheet.address(following.row, following.col))
    return header


def read_template(workbook: Workbook, forms: dict[str, Form], form: Form | None = None) -> ReturnRead | None:
    """Read ``workbook`` as one of our templates (of ``form``, or of whichever form fits best); None if it is not one.

    Each blank comes from its input cell, found by the words on its left and the unit on its right.
    When a sentence's words are not found and no row has moved (every sentence that is found sits
    where the hidden key → cell map says), the map gives the input cell.
    """
    properties, cell_map = template_metadata(workbook)
    candidates = [form] if form is not None else list(forms.values())
    best: tuple[tuple[float, int], _TemplateMatcher, _TemplateSheet] | None = None
    for sheet in workbook.sheets:
        if sheet.name == META_SHEET:
            continue
        cells = _cells(sheet)
        if not cells:
            continue
        for candidate in candidates:
            matcher = _template_matcher(candidate)
            scan = _scan_template(matcher, sheet, cells)
            if scan is None:
                continue
            rank = (len(scan.found) / len(matcher.lines) if matcher.lines else 0.0, len(scan.found))
            if best is None or rank > best[0]:
                best = (rank, matcher, scan)
    if best is None:
        return None
    _rank, matcher, scan = best
    chosen = matcher.form
    share = len(scan.found) / len(matcher.lines) if matcher.lines else 0.0
    from_metadata = properties.get(PROP_FORM) == chosen.id
    if share < MIN_SCORE and not (from_metadata and scan.found):
        return None
    sheet = scan.sheet
    blanks: dict[str, Found] = {}
    missing: list[Line] = []
    # the map is trusted only where nothing moved: every input found by its words is where the map says
    unmoved = from_metadata and bool(cell_map) and all(
        parse_address(cell_map.get(key, "")) == (scan.rows[start + k], scan.column)
        for index, start in scan.found.items()
        for k, (key, _w, _a) in enumerate(matcher.lines[index][1])
    )
    for index, (line, expected) in enumerate(matcher.lines):
        start = scan.found.get(index)
        if start is not None:
            for k, (key, _w, _a) in enumerate(expected):
                row = scan.rows[start + k]
                blanks[key] = Found(key, sheet.address(row, scan.column), sheet.text(row, scan.column))
            continue
        places = [parse_address(cell_map.get(key, "")) for key, _w, _a in expected] if unmoved else []
        if places and all(places):
            for (key, _w, _a), (row, col) in zip(expected, places):  # type: ignore[misc]
                blanks[key] = Found(key, sheet.address(row, col), sheet.text(row, col))
            continue
        missing.append(line)
        for key, _w, _a in expected:
            blanks[key] = Found(key, None, None)
    return ReturnRead(
        path=workbook.path,
        form=chosen,
        sheet=sheet.name,
        header=_template_header(matcher, scan),
        blanks={ref.key: blanks[ref.key] for ref in chosen.blank_refs},
        missing_lines=missing,
        properties=properties,
        layout="template",
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def rollup_sheet(workbook: Workbook) -> RollupSheet | None:
    """The hidden roll-up sheet of a consolidated report (docs/rollup-metadata.md); None when the file has
    none, or one of another format version."""
    sheet = next((s for s in workbook.sheets if s.name == ROLLUP_SHEET), None)
    if sheet is None:
        return None
    settings: dict[str, str] = {}
    rows: dict[str, RollupRow] = {}
    in_rows = False
    for r, row in enumerate(sheet.rows):
        first = sheet.text(r, 0).strip()
        if not first:
            continue
        if not in_rows:
            if tuple(sheet.text(r, c).strip() for c in range(len(ROLLUP_HEAD))) == ROLLUP_HEAD:
                in_rows = True
            else:
                settings[first] = sheet.text(r, 1).strip()
            continue
        cells = list(row) + [None] * (len(ROLLUP_HEAD) - len(row))
        yes, no, weight = _number(cells[3]), _number(cells[4]), _number(cells[5])
        rows[first] = RollupRow(sheet.text(r, 1).strip(), cells[2], None if yes is None else int(yes),
                                None if no is None else int(no), weight)
    units = _number(settings.get("units"))
    if _number(settings.get(ROLLUP_MARK)) != ROLLUP_VERSION or units is None or units < 1:
        return None
    return RollupSheet(settings.get("form", ""), settings.get("period", ""), int(units), rows)


def read_workbook(workbook: Workbook, forms: dict[str, Form]) -> ReturnRead:
    """Identify the form of an opened workbook and read it, as a template or in the seed's layout
    (with, for a consolidated report, its hidden roll-up sheet)."""
    read = _read_workbook(workbook, forms)
    if read.layout == "seed":
        sheet = rollup_sheet(workbook)
        if sheet is not None and sheet.form == read.form.id:
            read.rollup = sheet
    return read


def _read_workbook(workbook: Workbook, forms: dict[str, Form]) -> ReturnRead:
    properties, _cells_map = template_metadata(workbook)
    marked = forms.get(properties.get(PROP_FORM, ""))
    if marked is not None:
        read = read_template(workbook, forms, marked)
        if read is not None:
            return read
    try:
        form, sheet, cells = identify(workbook, forms)
    except UnknownForm:
        # a template pasted into a fresh workbook may not read as the seed's sentences at all
        read = read_template(workbook, forms)
        if read is None:
            raise
        return read
    read = read_sheet(workbook, form, sheet, cells)
    if read.missing_lines:
        # words split over cells around input cells: a template whose metadata was lost
        template = read_template(workbook, forms)
        if template is not None and len(template.missing_lines) < len(read.missing_lines):
            return template
    return read
