"""What a unit wrote in a blank, turned into a value — or into the reason it is not one.

Units fill blanks every way there is: （12） （ 12 ） (12) （１２） （十二） bare 12, 1,200, 1，200; Chinese
numerals standard (三百五十, 两千零五, 四万零一十) or with the last unit dropped (三百五 = 350, 两万五 = 25000);
digits with 万/千 (2.5万, 3千, 1万2千); zero as （0）
（/） （无）; a blank left （ ）; 约300 / 300余; ☑是 □否, ■是, √是, 是√, ☒是 ☐否. The functions here
take the text of one blank (already cut out of its sentence) and say what it means.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

_WS = re.compile(r"[^\S\n]+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'", "’": "'", "′": "'", "\r": None})


# cached: the form's own words recur in every return, and reading speed matters (benchmarks/)
@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """Fold the ways the same words get typed: full/half width, spaces, quotes. Keeps line breaks."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _WS.sub("", text)


# ---------------------------------------------------------------------------------------------
# numbers

ZERO_WORDS = frozenset({"/", "\\", "无", "-", "—", "--", "——", "－", "零", "〇", "没有", "暂无", "0"})
_APPROX_BEFORE = ("大约", "约", "将近", "近", "超过", "逾", "大概")
_APPROX_AFTER = ("左右", "以上", "余", "多", "+", "许")
_CN_DIGITS = {"一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3, "叁": 3, "參": 3, "四": 4,
              "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_ZERO = frozenset("零〇")
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = (("亿", "亿億", 10**8), ("万", "万萬", 10**4))
_CN_BIG_CHARS = {ch: name for name, chars, _ in _CN_BIG for ch in chars}
_CN_ALL = frozenset(_CN_DIGITS) | _CN_ZERO | frozenset(_CN_SMALL) | frozenset(_CN_BIG_CHARS)
_NUMBER = re.compile(r"^[+-]?(\d+(,\d{3})*|\d+)(\.\d+)?$")
_NUMERAL_CHARS = _CN_ALL | frozenset("0123456789,.")
#: a numeral's pieces: an Arabic number (1,200  2.5), or one Chinese character
_TOKEN = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|.")


Number = int | Decimal


def _whole(number: Number) -> bool:
    return type(number) is int or number == number.to_integral_value()  # type: ignore[union-attr]


class BadNumeral(ValueError):
    """Text made of numeral characters that is not a well-formed number (一二, 五五, 十十, 百百, 万万)."""


def _tokens(text: str) -> list[Number | str]:
    """一万零五 → [1, 万, 零, 5]; 2.5万 → [Decimal('2.5'), 万]: digits as numbers (int, Decimal when they
    have a decimal point: exact), units and 零 as words."""
    out: list[Number | str] = []
    for piece in _TOKEN.findall(text):
        if piece[0].isdigit():
            digits = piece.replace(",", "")
            out.append(Decimal(digits) if "." in digits else int(digits))
        elif piece in _CN_DIGITS:
            out.append(_CN_DIGITS[piece])
        elif piece in _CN_ZERO:
            out.append("零")
        elif piece in _CN_SMALL:
            out.append(piece)
        elif piece in _CN_BIG_CHARS:
            out.append(_CN_BIG_CHARS[piece])
        else:
            raise BadNumeral(piece)
    return out


def _section(tokens: list[Number | str]) -> Number:
    """A number below 万: terms digit+unit with the units falling (千 百 十), 零 where a place is
    skipped, and a last digit that is the ones after 零 or 十, or the next place down after 百/千
    (三百五 = 350, 两千五 = 2500 — a person drops the last unit, never a place)."""
    if not tokens:
        raise BadNumeral("empty")
    if len(tokens) == 1 and not isinstance(tokens[0], str):
        return tokens[0]  # 5, 1200 (a whole number before 万), 2.5 (before 万: checked by the caller)
    value: Number = 0
    above, after_zero, i, n = 10**5, False, 0, len(tokens)
    while i < n:
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < n else None
        if token == "零":
            if i == 0 or after_zero or following is None:
                raise BadNumeral("零")
            after_zero = True
            i += 1
            continue
        if isinstance(token, str):  # a unit with no digit before it: only 十 opening the number (十二)
            if i != 0 or _CN_SMALL.get(token) != 10:
                raise BadNumeral(token)
            value, above, i = 10, 10, 1
            continue
        if not (0 < token < 10) or (not _whole(token) and (i != 0 or n != 2)):
            raise BadNumeral(str(token))  # 12千; 2.5 only alone before its unit (2.5千)
        if isinstance(following, str) and following in _CN_SMALL:
            unit = _CN_SMALL[following]
            # falling units; with 零 a place was skipped, without it none was (一千零五十, not 一千五十)
            if unit >= above or (after_zero and unit * 10 >= above) or (not after_zero and above <= 10**4 and unit * 10 != above):
                raise BadNumeral(following)
            value += token * unit
            above, after_zero, i = unit, False, i + 2
            continue
        if following is not None:
            raise BadNumeral(str(following))  # 一二, 五零
        if above > 10**4:
            raise BadNumeral(str(token))  # a digit alone is caught above; here a digit after 零 opening
        # the last digit: ones after 零 (一百零五) or 十; the place below the last unit otherwise (三百五)
        if after_zero:
            if above < 100:
                raise BadNumeral("零")
            value += token
        else:
            value += token * (above // 10)
        i += 1
    return value


def _numeral(tokens: list[Number | str], bigs: tuple[tuple[str, str, int], ...] = _CN_BIG) -> Number:
    """A number with 亿 and 万 parts, each at most once, each part a number below it; after the big unit
    零 when the next place is skipped (四万零一十), a bare digit for the place below (两万五 = 25000)."""
    if not bigs:
        return _section(tokens)
    name, _chars, big = bigs[0]
    if name not in tokens:
        return _numeral(tokens, bigs[1:])
    at = tokens.index(name)
    head, tail = tokens[:at], tokens[at + 1 :]
    if not head:
        raise BadNumeral(name)
    top = _numeral(head, bigs[1:])
    if top <= 0:
        raise BadNumeral(name)
    if not _whole(top) and tail:
        raise BadNumeral(name)  # 2.5万3千
    if not tail:
        return top * big
    if len(tail) == 1 and type(tail[0]) is int and 0 < tail[0] < 10:
        return top * big + tail[0] * (big // 10)  # 一万二 = 12000
    if tail[0] == "零":
        if len(tail) == 1 or tail[1] == "零":
            raise BadNumeral("零")
        rest = _numeral(tail[1:], bigs[1:])
        if not 0 < rest < big // 10:
            raise BadNumeral("零")
    else:
        rest = _numeral(tail, bigs[1:])
        if not big // 10 <= rest < big:
            raise BadNumeral(name)  # 一万二百: the 千 place skipped without 零
    return top * big + rest


def parse_numeral(text: str) -> Number | None:
    """The number a numeral writes — Chinese (十二, 三百五十, 两千零五, 三百五 = 350, 一万二 = 12000),
    Arabic with 万/千/百 (2.5万 = 25000, 3千, 1万2千) — exactly, an int or a Decimal (2.5万 → 25000; 1.23456万 →
    12345.6: whether a whole number was needed is for the caller). None when ``text`` is not made of
    numeral characters; BadNumeral when it is but is not a well-formed number (一二, 五五, 十十, 百百, 万万)."""
    if not text or not _NUMERAL_CHARS.issuperset(text) or _CN_ALL.isdisjoint(text):
        return None  # not numeral characters; or Arabic alone, read by the caller
    return _numeral(_tokens(text))


def chinese_numeral(text: str) -> int | None:
    """十二 → 12, 一百二十 → 120, 两千零五 → 2005; None if ``text`` is not a well-formed whole numeral."""
    try:
        value = parse_numeral(text)
    except BadNumeral:
        return None
    if value is None or not _whole(value):
        return None
    return int(value)


def strip_brackets(text: str) -> str:
    """（12） → 12: the blank's own brackets, however many survived, and the spaces inside."""
    text = text.strip()
    while text[:1] in "(（[【" and text[-1:] in ")）]】" and len(text) >= 2:
        text = text[1:-1].strip()
    return text.lstrip("(（").rstrip(")）").strip()


@dataclass(frozen=True)
class Reading:
    """What one blank says: a value, or why it has none.

    ``problem`` is a code: blank (left empty), approx (an approximation, counted), negative,
    decimal, not_whole (a 万/千 form that is not a whole number: 1.23456万), bad_numeral (numeral
    characters that are not a well-formed number: 一二, 十十), not_number, over_100, both (是 and 否
    both ticked), unanswered.
    """

    value: int | float | str | None
    problem: str | None = None
    #: a 是/否 line of a consolidated table: (是, 否, 未答) over the units it covers, as （是22，否3） says
    tally: tuple[int, int, int] | None = None


@lru_cache(maxsize=1 << 16)
def read_number(raw: str | None, *, unit: str | None = None, whole: bool = True) -> Reading:
    """The number in a count (``whole``) or percent blank."""
    text = normalize(strip_brackets(raw or ""))
    text = strip_brackets(text)
    if unit and text.endswith(normalize(unit)) and len(text) > len(unit):
        text = text[: -len(normalize(unit))]
    if text == "":
        return Reading(None, "blank")
    if text in ZERO_WORDS:
        return Reading(0)
    approx = False
    for word in _APPROX_BEFORE:
        if text.startswith(word) and len(text) > len(word):
            text, approx = text[len(word):], True
            break
    for word in _APPROX_AFTER:
        if text.endswith(word) and len(text) > len(word):
            text, approx = text[: -len(word)], True
            break
    if unit and text.endswith(normalize(unit)) and len(text) > len(unit):
        text = text[: -len(normalize(unit))]
    value: int | float | None = None
    if _NUMBER.match(text):
        number = float(text.replace(",", ""))
        value = int(number) if number.is_integer() and "." not in text else number
    else:
        try:
            exact = parse_numeral(text)
        except BadNumeral:
            return Reading(None, "bad_numeral")
        if exact is None:
            return Reading(None, "not_number")
        if _whole(exact):
            value = int(exact)
        elif whole:
            return Reading(float(exact), "not_whole")  # 1.23456万 = 12345.6 people
        else:
            value = float(exact)
    if value < 0:
        return Reading(value, "negative")
    if whole and isinstance(value, float):
        return Reading(value, "decimal")
    if not whole and value > 100:
        return Reading(value, "over_100")
    return Reading(value, "approx" if approx else None)


def read_text(raw: str | None) -> Reading:
    """Free text (以（ ）等形式): the words as written, without the blank's brackets."""
    text = strip_brackets(raw or "")
    return Reading(text) if text else Reading(None, "blank")


# ---------------------------------------------------------------------------------------------
# 是 / 否

CHECKED = frozenset("☑■√✓✔☒✗✘×●◼▣⊠⊗✅▇█")
UNCHECKED = frozenset("□☐○◻◯")


#: the tally a consolidated table writes after a 是/否 line: （是22，否3）, （是21，否3，未答1）
TALLY = re.compile(r"\(是[:：]?(\d+)[,，;；、]否[:：]?(\d+)(?:[,，;；、]未答[:：]?(\d+))?\)")


@lru_cache(maxsize=1 << 12)
def read_yesno(raw: str | None) -> Reading:
    """☑是 □否 → 是; □是 ■否 → 否; both ticked or none: say so.

    A line with a tally after it — □是 □否（是22，否3）, a consolidated table's — is that tally: 22
    units said 是 and 3 否, whatever box is ticked; its answer is 是 or 否 only when every unit said so."""
    text = normalize(raw or "")
    tallied = TALLY.search(text)
    if tallied:
        yes, no, unanswered = (int(n) if n else 0 for n in tallied.groups())
        if yes + no == 0:
            return Reading(None, "unanswered", (yes, no, unanswered))
        answer = "是" if not no and not unanswered else "否" if not yes and not unanswered else None
        return Reading(answer, None, (yes, no, unanswered))
    text = text.replace("(", "").replace(")", "")
    marks = CHECKED | UNCHECKED
    if not any(ch in marks for ch in text):
        bare = text.strip("：:。.")
        if bare in ("是", "否"):
            return Reading(bare)
        return Reading(None, "unanswered")
    prefix_style = text[:1] in marks
    ticked = []
    for word in ("是", "否"):
        i = text.find(word)
        if i < 0:
            continue
        mark = text[i - 1 : i] if prefix_style else text[i + 1 : i + 2]
        if mark and mark in CHECKED:
            ticked.append(word)
    if len(ticked) == 2:
        return Reading(None, "both")
    if not ticked:
        return Reading(None, "unanswered")
    return Reading(ticked[0])
