"""Forms are data: one TOML file per statistics table in ``schemas/``, loaded into pydantic models.

A form file copies the seed's table verbatim: title, header fields, sections → activities →
内容要求 → progress lines. In a line's text every blank is written ``（ ）`` and every 是/否
question ``□是 □否``; the line's ``blanks`` list describes them in order. See ``schemas/README.md``.

Where forms come from: the bundled ``schemas/`` (inside the installed package as ``_schemas``,
or the repository's ``schemas/`` in a checkout), then a workspace's own ``schemas/`` folder, which
adds forms or overrides one by id.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import FormFileError, os_reason

#: how a blank is written in a form file's line text
BLANK_MARK = "（ ）"
#: how a 是/否 question is written in a form file's line text
YESNO_MARK = "□是 □否"

#: units of measure the seed tables' count and percent blanks carry; a form may use any other
#: measure word (元, 户, 处, 期, 万元 …): see ``UNIT_RE``
UNITS = ("场", "场次", "次", "人次", "人", "个", "部", "篇", "条", "条次", "份", "家", "%")
#: a unit of measure: a measure word of one to four Chinese characters, or %
UNIT_RE = re.compile(r"^([\u4e00-\u9fff]{1,4}|%)$")

Kind = Literal["count", "percent", "text", "yesno"]

_KEY_RE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Blank(_Strict):
    """One blank of a progress line: a number, a percent, free text, or a 是/否 question."""

    key: str = Field(pattern=_KEY_RE)
    label: str = Field(min_length=1)
    kind: Kind
    unit: str | None = None

    @model_validator(mode="after")
    def _unit_fits_kind(self) -> Blank:
        if self.kind in ("count", "percent"):
            if self.unit is None:
                raise ValueError(f"blank {self.key!r}: a {self.kind} blank needs a unit")
            if not UNIT_RE.match(self.unit):
                raise ValueError(f"blank {self.key!r}: unit {self.unit!r} is not a measure word (场次, 人, 元 …) or %")
            if self.kind == "percent" and self.unit != "%":
                raise ValueError(f"blank {self.key!r}: a percent blank has unit '%'")
        elif self.unit is not None:
            raise ValueError(f"blank {self.key!r}: a {self.kind} blank has no unit")
        return self


class Line(_Strict):
    """One progress sentence, verbatim from the seed, with its blanks in order."""

    text: str = Field(min_length=1)
    blanks: list[Blank] = Field(min_length=1)

    @model_validator(mode="after")
    def _marks_match_blanks(self) -> Line:
        n_fill = self.text.count(BLANK_MARK)
        n_yesno = self.text.count(YESNO_MARK)
        fill = [b for b in self.blanks if b.kind != "yesno"]
        yesno = [b for b in self.blanks if b.kind == "yesno"]
        if n_fill != len(fill):
            raise ValueError(
                f"line {self.text!r}: {n_fill} blank marks {BLANK_MARK!r} but {len(fill)} fill-in blanks listed"
            )
        if n_yesno != len(yesno) or n_yesno > 1:
            raise ValueError(f"line {self.text!r}: a line holds at most one {YESNO_MARK!r}, listed as one yesno blank")
        if yesno and self.blanks[-1].kind != "yesno":
            raise ValueError(f"line {self.text!r}: the yesno blank comes after the line's other blanks")
        if yesno and not self.text.rstrip().endswith(YESNO_MARK):
            raise ValueError(f"line {self.text!r}: {YESNO_MARK!r} ends the line")
        pieces = self.text.replace(YESNO_MARK, "").split(BLANK_MARK)
        for blank, after in zip(fill, pieces[1:]):
            if blank.unit and not after.lstrip().startswith(blank.unit):
                raise ValueError(f"line {self.text!r}: blank {blank.key!r} has unit {blank.unit!r} but is followed by {after[:4]!r}")
        return self

    @property
    def literals(self) -> list[str]:
        """The fixed text around the fill-in blanks (one more piece than there are blanks)."""
        return self.text.replace(YESNO_MARK, "").split(BLANK_MARK)

    @property
    def question(self) -> str:
        """The words of the line's 是/否 question (the text before the boxes)."""
        return self.text.replace(YESNO_MARK, "").strip().rstrip("：:").strip()


class Activity(_Strict):
    """One row of the table: an activity, its 内容要求 and its progress lines."""

    name: str = Field(min_length=1)
    printed_name: str | None = None
    requirement: str = ""
    lines: list[Line] = []

    @property
    def seed_name(self) -> str:
        """What the seed prints in the 活动项目 cell (may be empty)."""
        return self.name if self.printed_name is None else self.printed_name


class Section(_Strict):
    """A group of rows under one merged cell (安全生产月活动, 兴安行活动, 加强组织落实…)."""

    name: str = Field(min_length=1)
    activities: list[Activity] = Field(min_length=1)


_INNER_QUOTE = re.compile(r"“([^“”]*)”")


def quoted(label: str) -> str:
    """A label in a sentence: “理论学习·参与人次”; quotes inside it become ‘ ’ (“‘安全生产啄木鸟’等活动”).

    Single quotes already nested in a double-quoted part are dropped, so that a label written
    联办“‘公众开放日’云端直播” reads “联办‘公众开放日云端直播’”, not with doubled marks.
    """
    inner = _INNER_QUOTE.sub(lambda m: "‘" + m.group(1).replace("‘", "").replace("’", "") + "’", label)
    return "“" + inner.replace("“", "‘").replace("”", "’") + "”"


@dataclass(frozen=True)
class BlankRef:
    """A blank with its place in the form: the unit of reading order."""

    blank: Blank
    line: Line
    activity: Activity
    section: Section
    row: int  # activity index over the whole table
    line_no: int  # line index within the activity
    index: int  # blank index within the line

    @property
    def key(self) -> str:
        return self.blank.key

    @property
    def label(self) -> str:
        return self.blank.label

    @property
    def kind(self) -> str:
        return self.blank.kind


class Form(_Strict):
    """A statistics table as units receive it, with every blank described."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = 1
    title: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    issuer: str = ""
    header: list[str] = Field(min_length=1)
    unit_field: str
    columns: list[str] = ["活动项目", "内容要求", "进展情况"]
    deadlines: dict[str, date] = {}
    notes: str = ""
    sections: list[Section] = Field(min_length=1)

    @field_validator("deadlines")
    @classmethod
    def _period_keys(cls, value: dict[str, date]) -> dict[str, date]:
        for key in value:
            if not re.fullmatch(r"\d{4}-(\d{2}|W\d{2}|H[12])", key):
                raise ValueError(f"deadline period {key!r} is not YYYY-MM, YYYY-Www or YYYY-H1/H2")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Form:
        if self.unit_field not in self.header:
            raise ValueError(f"unit_field {self.unit_field!r} is not one of header {self.header}")
        seen: set[str] = set()
        for ref in self.blank_refs:
            if ref.key in seen:
                raise ValueError(f"blank key {ref.key!r} is used twice")
            seen.add(ref.key)
        return self

    @property
    def activities(self) -> list[Activity]:
        return [a for s in self.sections for a in s.activities]

    @cached_property
    def blank_refs(self) -> list[BlankRef]:
        """Every blank in reading order: row by row, line by line, blank by blank."""
        refs: list[BlankRef] = []
        row = 0
        for section in self.sections:
            for activity in section.activities:
                for line_no, line in enumerate(activity.lines):
                    for index, blank in enumerate(line.blanks):
                        refs.append(BlankRef(blank, line, activity, section, row, line_no, index))
                row += 1
        return refs

    @cached_property
    def by_key(self) -> dict[str, BlankRef]:
        return {ref.key: ref for ref in self.blank_refs}


# ---------------------------------------------------------------------------------------------
# loading


def bundled_schemas_dir() -> Path:
    """Where the forms shipped with the tool are: inside the installed package, or the checkout."""
    here = Path(__file__).resolve().parent.parent  # the collector package
    for candidate in (here / "_schemas", here.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise FormFileError("找不到随程序提供的表格定义（schemas 文件夹），请重新安装 collector。")


def load_form_file(path: Path) -> Form:
    """Read and validate one form file; a malformed file is refused naming the file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormFileError(f"无法读取表格定义文件：{os_reason(exc)}。", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise FormFileError("表格定义文件不是 UTF-8 编码；请用记事本另存为 UTF-8。", path=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"第 {line.group(1)} 行" if line else "其中有一处"
        raise FormFileError(f"表格定义文件{where}写法不对（TOML 格式：引号、方括号或等号有误）。", path=str(path)) from exc
    try:
        return Form.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(文件整体)"
        more = f"（另有 {exc.error_count() - 1} 处问题）" if exc.error_count() > 1 else ""
        raise FormFileError(f"表格定义字段 {where} 有误：{_validation_words(first)}{more}", path=str(path)) from exc


#: pydantic's kinds of error → what the form file should say instead
_VALIDATION_WORDS = {
    "missing": "缺少这一项",
    "extra_forbidden": "不认识这一项（是否拼写错了？）",
    "string_type": "应为文字（两边加引号）",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（[ … ]）", "dict_type": "应为表（[ … ] 段或 { … }）", "model_type": "应为表（[ … ] 段或 { … }）",
    "date_type": "应为日期（如 2020-06-30）", "date_parsing": "应为日期（如 2020-06-30）",
    "date_from_datetime_parsing": "应为日期（如 2020-06-30）",
    "too_short": "内容太少", "too_long": "内容太多", "string_too_short": "不能为空",
}


def _validation_words(error: dict[str, Any]) -> str:
    """One of pydantic's errors in Chinese (a validator of ours words its own)."""
    kind = error.get("type", "")
    if kind in _VALIDATION_WORDS:
        return _VALIDATION_WORDS[kind]
    if kind == "literal_error":
        return f"应为以下之一：{(error.get('ctx') or {}).get('expected', '')}"
    if kind in ("value_error", "assertion_error"):
        return str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"取值不对（{kind}）"


#: forms already read, by file: the file's (modification time, size) then, and the form. Forms are
#: frozen; a file read again unchanged gives the same object (a command checks the workspace's form
#: and then reads its returns by it; a week-long watch loads the forms every pass)
_READ: dict[str, tuple[tuple[int, int], Form]] = {}


def _form_file(path: Path) -> Form:
    """``load_form_file``, once per version of the file."""
    try:
        st = path.stat()
    except OSError:
        return load_form_file(path)  # says what is wrong
    stamp = (st.st_mtime_ns, st.st_size)
    known = _READ.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    form = load_form_file(path)
    _READ[str(path)] = (stamp, form)
    return form


def load_forms(workspace_schemas: Path | None = None) -> dict[str, Form]:
    """All known forms by id: the bundled ones, then a workspace's own folder adding or overriding."""
    forms: dict[str, Form] = {}
    bundled = bundled_schemas_dir()
    for path in sorted(bundled.glob("*.toml")):
        form = _form_file(path)
        forms[form.id] = form
    if workspace_schemas is not None and workspace_schemas.is_dir() and workspace_schemas.resolve() != bundled.resolve():
        own = [_form_file(path) for path in sorted(workspace_schemas.glob("*.toml"))]
        for form in own:
            forms[form.id] = form
        # the workspace's own form of a bundled table under its own id (imported from the table's
        # blank) stands in for the bundled one: a return could not tell the two apart
        own_ids = {f.id for f in own}
        for form in own:
            for other in [f for f in forms.values() if f.title == form.title and f.id not in own_ids]:
                del forms[other.id]
    return forms
