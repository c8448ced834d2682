"""The roster: which units are expected to report, by region, and how a return is tied to one of them.

``units.csv`` (or ``units.xlsx``) has the columns ``单位,地区,别名``; aliases are split by ``；`` or ``;``.
A CSV may be UTF-8 with or without BOM, or GBK as Excel on a Chinese Windows saves it.

Matching is tolerant — 盖章 noise, spaces, full-width letters, a suffix such as 安委会/安委办/办公室 —
but never guesses between two units: when the words could be either, the return is held (待确认).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import RosterError, os_reason
from .workspace import ROSTER_HEADER, ROSTER_NAMES, Workspace

#: suffixes that name the same body in different ways (longest first)
SUFFIXES = (
    "安全生产委员会办公室", "安全生产委员会", "安委会办公室", "安委办公室", "安委会", "安委办", "办公室",
)
#: what a return may carry around the unit's name: stamps, brackets, punctuation
_NOISE = re.compile(r"[(（\[【〔](?:盖章|公章|章|签章|印章|盖公章)[)）\]】〕]|盖章|公章|[\s_＿:：,，.。;；、\"'“”‘’()（）\[\]【】〔〕<>《》-]")
#: what a file name carries besides the unit: 附件3, 统计表, （错误1）, 副本, dates …
_NAME_NOISE = re.compile(r"附件\s*\d*|统计表|进展情况|活动情况|副本|copy|\(\d+\)|（\d+）|\d{4,}")

_MIN_PART = 3  # a shortened name must be at least this long to be matched inside a longer one
NO_REGION = "（未分地区）"


def fold(text: str | None) -> str:
    """A name as matched: full/half width folded, stamps, spaces and punctuation removed."""
    if not text:
        return ""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def core(name: str) -> str:
    """A folded name without the suffix (塔河县安委会 → 塔河县)."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Unit:
    """One expected unit: its name as the roster writes it, its region, and other names it goes by."""

    name: str
    region: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class MatchResult:
    """Which unit a return belongs to — or why that cannot be said (``reason``, in Chinese)."""

    unit: Unit | None
    reason: str = ""
    by: str = ""  # how it was matched: 表头 / 文件名 / 模板
    candidates: tuple[Unit, ...] = ()  # the units the words could mean, when undecided

    @property
    def ok(self) -> bool:
        return self.unit is not None


@dataclass
class Roster:
    """The expected units in roster order."""

    units: list[Unit]
    path: Path | None = None
    _exact: dict[str, Unit] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for unit in self.units:
            for name in unit.names:
                key = fold(name)
                if not key:
                    continue
                other = self._exact.get(key)
                if other is not None and other != unit:
                    raise RosterError(
                        f"名单中“{other.name}”和“{unit.name}”都叫“{name}”，无法区分；请修改其中一个的名称或别名。",
                        path=str(self.path) if self.path else None,
                    )
                self._exact[key] = unit

    # the indexes for matching are built when first needed: a report reads the roster only for its units

    @cached_property
    def _cores(self) -> dict[str, set[Unit]]:
        cores: dict[str, set[Unit]] = {}
        for key, unit in self._exact.items():
            cores.setdefault(core(key), set()).add(unit)
        return cores

    @cached_property
    def _names_inside(self) -> tuple[dict[str, tuple[int, ...]], dict[str, set[Unit]]]:
        """For finding names inside a text without a scan of all: the lengths of the names that begin
        with each two characters, and the units by name."""
        return _text_index(self._exact.items())

    @cached_property
    def _cores_inside(self) -> tuple[dict[str, tuple[int, ...]], dict[str, set[Unit]]]:
        """The same for names without suffix (if long enough)."""
        return _text_index((core(key), unit) for key, unit in self._exact.items() if len(core(key)) >= _MIN_PART)

    def _inside(self, text: str, *, cores: bool = False) -> set[Unit]:
        """Units whose name (or, with ``cores``, name without suffix, if long enough) appears in ``text``."""
        lengths, units = self._cores_inside if cores else self._names_inside
        found: set[Unit] = set()
        for i in range(len(text)):
            for n in lengths.get(text[i : i + 2], ()):
                named = units.get(text[i : i + n])
                if named:
                    found |= named
        return found

    def get(self, name: str) -> Unit | None:
        """The unit of this exact (folded) name or alias."""
        return self._exact.get(fold(name))

    @property
    def regions(self) -> list[str]:
        """Regions in the order they first appear."""
        return list(dict.fromkeys(u.region or NO_REGION for u in self.units))

    # -- matching ------------------------------------------------------------------------------

    def lookup(self, written: str | None) -> tuple[Unit | None, tuple[Unit, ...]]:
        """A name as written in a header: (the unit, ()) or (None, the units it could be)."""
        key = fold(written)
        if not key:
            return None, ()
        if key in self._exact:
            return self._exact[key], ()
        by_core = self._cores.get(core(key), set())
        if len(by_core) == 1:
            return next(iter(by_core)), ()
        if len(by_core) > 1:
            return None, self._ordered(by_core)
        # a longer form of a name (大兴安岭地区塔河县安委会), or a shorter one (应急管理局)
        inside = self._inside(key, cores=True)
        long_enough = True
        if not inside:
            inside = {u for k, u in self._exact.items() if core(key) in k}
            long_enough = len(core(key)) >= _MIN_PART
        inside = self._longest(inside, key)
        if len(inside) == 1 and long_enough:
            return next(iter(inside)), ()
        return None, self._ordered(inside)

    def in_filename(self, filename: str | None) -> tuple[Unit | None, tuple[Unit, ...]]:
        """The unit a file name names, if it names exactly one."""
        if not filename:
            return None, ()
        stem = fold(_NAME_NOISE.sub(" ", unicodedata.normalize("NFKC", Path(filename).stem)))
        if not stem:
            return None, ()
        found = self._inside(stem)
        if not found:
            found = self._inside(stem, cores=True)
        found = self._longest(found, stem)
        if len(found) == 1:
            return next(iter(found)), ()
        return None, self._ordered(found)

    def _longest(self, units: set[Unit], text: str) -> set[Unit]:
        """Drop units only matched because their name is part of another matched unit's name."""
        if len(units) < 2:
            return units
        hits = {u: max((fold(n) for n in u.names if fold(n) in text or core(fold(n)) in text), key=len, default="")
                for u in units}
        return {u for u, h in hits.items() if not any(h != o and h in o for o in hits.values())}

    def _ordered(self, units: set[Unit]) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u in units)

    def match(self, written: str | None, filename: str | None, *, template_unit: str | None = None) -> MatchResult:
        """Tie a return to a unit by its 填报单位 (``written``), its file name, and the unit our blank
        template was made for. The header decides; the other two must not contradict it."""
        evidence: list[tuple[str, Unit]] = []
        if template_unit:
            unit, _ = self.lookup(template_unit)
            if unit is not None:
                evidence.append(("模板", unit))
        by_name, _ = self.in_filename(filename)
        if by_name is not None:
            evidence.append(("文件名", by_name))
        if fold(written):
            unit, candidates = self.lookup(written)
            if unit is None:
                if len(candidates) == 1:
                    return MatchResult(None, f"填报单位“{written}”写得太简略，可能是“{candidates[0].name}”", candidates=candidates)
                if candidates:
                    names = "、".join(f"“{u.name}”" for u in candidates[:5])
                    if len(candidates) > 5:
                        names += f"等 {len(candidates)} 个单位"
                    return MatchResult(None, f"填报单位“{written}”可能是 {names}，无法确定是哪一个", candidates=candidates)
                return MatchResult(None, f"填报单位“{written}”不在名单中", candidates=tuple(u for _, u in evidence[:1]))
            for source, other in evidence:
                if other != unit:
                    return MatchResult(
                        None, f"表头填报单位是“{written}”（{unit.name}），{source}却是“{other.name}”，两者不一致",
                        candidates=(unit, other),
                    )
            return MatchResult(unit, by="表头")
        distinct = list(dict.fromkeys(u for _, u in evidence))
        if len(distinct) == 1:
            return MatchResult(distinct[0], by=evidence[0][0])
        if len(distinct) > 1:
            names = "、".join(f"{s}“{u.name}”" for s, u in evidence)
            return MatchResult(None, f"表头没有填写填报单位，而{names}不一致", candidates=tuple(distinct))
        return MatchResult(None, "表头没有填写填报单位，文件名也看不出是哪个单位")


def _text_index(names: Iterable[tuple[str, Unit]]) -> tuple[dict[str, tuple[int, ...]], dict[str, set[Unit]]]:
    lengths: dict[str, set[int]] = {}
    units: dict[str, set[Unit]] = {}
    for name, unit in names:
        lengths.setdefault(name[:2], set()).add(len(name))
        units.setdefault(name, set()).add(unit)
    return {start: tuple(sorted(found)) for start, found in lengths.items()}, units


# ---------------------------------------------------------------------------------------------
# reading the roster


def load_roster(workspace: Workspace) -> Roster:
    """Read ``units.csv`` or ``units.xlsx``; a missing or unreadable roster is a RosterError.

    Both may be there: ``init`` makes an empty units.csv, and a clerk may fill in a units.xlsx beside
    it. The one with units is used; when both list units, the clerk is asked to keep one.
    """
    paths = [workspace.root / name for name in ROSTER_NAMES if (workspace.root / name).is_file()]
    if not paths and (workspace.root / "units.csv").is_dir():
        raise RosterError("units.csv 是一个文件夹，不是单位名单；请把它改名或移走，再运行 collect init 生成名单。",
                          path=str(workspace.root / "units.csv"))
    if not paths:
        raise RosterError(
            f"工作目录 {workspace.root} 中没有单位名单 units.csv。请运行 collect init 生成后，"
            "按“单位,地区,别名”三列填写应报单位。"
        )
    rosters = [_read(path) for path in paths]
    filled = [r for r in rosters if r.units]
    if len(filled) > 1:
        names = "和".join(r.path.name for r in filled if r.path is not None)
        raise RosterError(f"工作目录中同时有两份填了单位的名单（{names}），不知道该用哪一份。"
                          "请只保留一份（把另一份移走或改名）后重试。", path=str(workspace.root))
    return (filled or rosters)[0]


def _read(path: Path) -> Roster:
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    return _parse(rows, path)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 as Excel on a Chinese Windows saves it.

    A file in one encoding except for some lines (a line typed in Notepad's ANSI into a UTF-8 file,
    or the other way round) is refused naming the first such line: decoding it whole one way would
    turn the other lines into mojibake, and a unit's name would silently never match.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    utf8 = [n for n, line in enumerate(lines, start=1) if not line.isascii() and _is_utf8(line)]
    other = [n for n, line in enumerate(lines, start=1) if not line.isascii() and not _is_utf8(line)]
    if utf8 and other:
        first = min(other) if len(other) <= len(utf8) else min(utf8)
        raise RosterError(f"单位名单第 {first} 行的文字编码与其他行不同（一部分是 UTF-8，一部分是 GBK），读出来会是乱码。"
                          "请用 Excel 打开名单，重新输入这一行后另存为“CSV UTF-8（逗号分隔）”。")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterError("单位名单的文字编码无法识别；请用 Excel 另存为“CSV UTF-8（逗号分隔）”。") from exc


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        text = decode_csv(path.read_bytes())
    except OSError as exc:
        raise RosterError(f"无法读取单位名单：{os_reason(exc)}。", path=str(path)) from exc
    except RosterError as exc:
        raise RosterError(exc.message, path=str(path)) from exc
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise RosterError(f"单位名单格式不对（CSV）：{exc}", path=str(path)) from exc


def _xlsx_rows(path: Path) -> list[list[str]]:
    from ..errors import ReturnError
    from ..reading.workbook import cell_text, open_workbook

    try:
        book = open_workbook(path)
    except ReturnError as exc:
        raise RosterError(f"无法读取单位名单：{exc.message}", path=str(path)) from exc
    if not book.sheets:
        return []
    return [[cell_text(v) for v in row] for row in book.sheets[0].rows]


def _parse(rows: list[list[str]], path: Path) -> Roster:
    rows = [[(c or "").strip() for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return Roster([], path)
    head = [fold(c) for c in rows[0]]

    def column(*names: str) -> int | None:
        for i, h in enumerate(head):
            if h in names:
                return i
        return None

    name_col = column("单位", "单位名称", "填报单位", "unit", "name")
    if name_col is None:
        raise RosterError(f"单位名单第一行应为表头“{ROSTER_HEADER}”，现为“{','.join(rows[0])}”。", path=str(path))
    region_col = column("地区", "区域", "片区", "region")
    alias_col = column("别名", "简称", "aliases", "alias")
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda i: row[i] if i is not None and i < len(row) else ""  # noqa: E731
        name = cell(name_col)
        if not name:
            continue
        key = fold(name)
        if key in seen:
            raise RosterError(f"单位名单第 {number} 行的“{name}”与第 {seen[key]} 行重复。", path=str(path))
        seen[key] = number
        aliases = tuple(a.strip() for a in re.split(r"[;；]", cell(alias_col)) if a.strip())
        units.append(Unit(name=name, region=cell(region_col), aliases=aliases))
    return Roster(units, path)


def add_alias(workspace: Workspace, unit_name: str, alias: str) -> Unit:
    """Add ``alias`` to a unit's 别名 in ``units.csv`` (kept in its own encoding); returns the unit."""
    roster = load_roster(workspace)
    path = roster.path
    assert path is not None
    unit = roster.get(unit_name)
    if unit is None:
        raise RosterError(f"名单中没有单位“{unit_name}”。", path=str(path))
    other = roster.get(alias)
    if other is not None:
        if other == unit:
            return unit
        raise RosterError(f"“{alias}”已经是“{other.name}”的名称或别名。", path=str(path))
    if path.suffix.lower() != ".csv":
        raise RosterError(f"请用 Excel 打开 {path.name}，在“{unit.name}”一行的“别名”栏填上“{alias}”。", path=str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"无法读取单位名单：{os_reason(exc)}。", path=str(path)) from exc
    text = decode_csv(data)
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else ("utf-8" if _is_utf8(data) else "gb18030")
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text)))
    head = [fold(c) for c in rows[0]]
    name_col = next(i for i, h in enumerate(head) if h in ("单位", "单位名称", "填报单位", "unit", "name"))
    alias_col = next((i for i, h in enumerate(head) if h in ("别名", "简称", "aliases", "alias")), None)
    if alias_col is None:
        alias_col = len(rows[0])
        rows[0].append("别名")
    for row in rows[1:]:
        if len(row) > name_col and fold(row[name_col]) == fold(unit.name):
            while len(row) <= alias_col:
                row.append("")
            row[alias_col] = "；".join([*(a for a in re.split(r"[;；]", row[alias_col]) if a.strip()), alias])
            break
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(out.getvalue().encode(encoding))
        tmp.replace(path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, PermissionError):
            reason = "文件被占用或只读（是否在 Excel/WPS 中打开着？请关闭后重试）"
        else:
            reason = os_reason(exc)
        raise RosterError(f"无法把别名“{alias}”写入单位名单：{reason}。", path=str(path)) from exc
    return Unit(unit.name, unit.region, (*unit.aliases, alias))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
