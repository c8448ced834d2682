"""What a unit wrote in a blank, turned into a value — or into the reason it is not one.

Units fill blanks every way there is: （12） （ 12 ） (12) （１２） （十二） bare 12, 1,200; zero as （0）
（/） （无）; a blank left （ ）; 约300 / 300余; ☑是 □否, ■是, √是, 是√, ☒是 ☐否. The functions here
take the text of one blank (already cut out of its sentence) and say what it means.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
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
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
              "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_ALL = set(_CN_DIGITS) | set(_CN_SMALL) | {"万"}
_NUMBER = re.compile(r"^[+-]?(\d+(,\d{3})*|\d+)(\.\d+)?$")


def chinese_numeral(text: str) -> int | None:
    """十二 → 12, 一百二十 → 120, 两千零五 → 2005; None if ``text`` is not a Chinese numeral."""
    if not text or any(ch not in _CN_ALL for ch in text):
        return None
    total = section = number = 0
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (number or (1 if ch in "十拾" else 0)) * _CN_SMALL[ch]
            number = 0
        else:  # 万
            total += (section + number) * 10000
            section = number = 0
    return total + section + number


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
    decimal, not_number, over_100, both (是 and 否 both ticked), unanswered.
    """

    value: int | float | str | None
    problem: str | None = None


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
    elif text.endswith("万") and _NUMBER.match(text[:-1]):
        number = float(text[:-1].replace(",", "")) * 10000
        value = int(number) if number.is_integer() else number
    else:
        value = chinese_numeral(text)
    if value is None:
        return Reading(None, "not_number")
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


@lru_cache(maxsize=1 << 12)
def read_yesno(raw: str | None) -> Reading:
    """☑是 □否 → 是; □是 ■否 → 否; both ticked or none: say so."""
    text = normalize(raw or "").replace("(", "").replace(")", "")
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
