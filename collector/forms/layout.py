"""The template's layout, shared by the reader and the template writer: what is printed around each input.

A template (``reports.templates``) prints each blank of a progress sentence as an input cell between
the words before it and the unit after it; the reader (``reading.reader``) finds those inputs again
by the same words. Both sides compute them here, with the names of the hidden metadata that marks a
workbook as one of our templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import BlankRef, Form, Line

#: custom document properties carried by every template
PROP_FORM = "collector.form"
PROP_VERSION = "collector.form_version"
PROP_UNIT = "collector.unit"
PROP_PERIOD = "collector.period"
PROP_SHEET = "collector.sheet"
#: the hidden sheet holding the same pairs, then a ``key``/``cell`` table of the inputs
META_SHEET = "_collector"
META_MAP_HEAD = ("key", "cell")
#: the hidden sheet of a consolidated report: what an exact roll-up one level up needs, as settings
#: (``collector.rollup`` 1, form, period, units), a blank row, then a row per blank under
#: ``ROLLUP_HEAD`` (docs/rollup-metadata.md)
ROLLUP_SHEET = "_collector_rollup"
ROLLUP_MARK = "collector.rollup"
ROLLUP_VERSION = 1
ROLLUP_HEAD = ("key", "kind", "value", "yes", "no", "weight")

#: printed after a 是/否 drop-down, so that the empty cell says what it takes
YESNO_HINT = "（选是/否）"

_PUNCT = set("，。；、：,.;:！!？?　 ）)")


# ---------------------------------------------------------------------------------------------
# layout: what is printed around each input


@dataclass(frozen=True)
class Slot:
    """One input of the template: the blank, the words before it and the text after it, as printed."""

    ref: BlankRef
    words: str
    after: str


#: punctuation that ends a clause of a progress sentence
_CLAUSE_ENDS = ("，", "；", "。", ",", ";")


def _split_after(text: str, unit: str | None) -> tuple[str, str]:
    """``次，参与`` after a blank of unit 次 → (``次，``, ``参与``): the unit and its punctuation, the rest."""
    text = text.strip()
    head = ""
    if unit and text.startswith(unit):
        head, text = unit, text[len(unit):]
    i = 0
    while i < len(text) and text[i] in _PUNCT:
        i += 1
    return (head + text[:i]).strip(), text[i:].strip()


def line_slots(line: Line, refs: Sequence[BlankRef]) -> list[Slot]:
    """The inputs of one progress sentence, read left to right, words and units as the seed prints them.

    A blank's words are the sentence's text since the previous blank's unit and punctuation; the last
    blank carries the rest of the sentence after it; a 是/否 question's words are the question, and
    ``YESNO_HINT`` follows its drop-down. Where the seed prints no words at all around a blank (a bare
    □是 □否), the blank's label stands in.
    """
    literals = line.literals  # the fixed text around the fill-in blanks, 是/否 boxes removed
    fill = [r for r in refs if r.kind != "yesno"]
    yesno = [r for r in refs if r.kind == "yesno"]
    slots: list[Slot] = []
    pending = literals[0].strip()
    for i, ref in enumerate(fill):
        rest = literals[i + 1]
        if i == len(fill) - 1 and not yesno:
            after, following = rest.strip(), ""
        else:
            after, following = _split_after(rest, ref.blank.unit)
        words = pending
        if not words:
            # a blank that opens its clause (（ ）个企业开展……等活动，排查……（ ）个): the clause's own words
            # follow it, up to the clause's end; the next blank keeps the words after that
            cut = max(following.rfind(p) for p in _CLAUSE_ENDS)
            if cut >= 0:
                after, following = after + following[: cut + 1], following[cut + 1 :].strip()
            else:
                words = ref.label  # no words of its own anywhere near: say what it is
        slots.append(Slot(ref, words=words, after=after))
        pending = following
    if yesno:
        question = pending.rstrip("：:").strip()
        slots.append(Slot(yesno[0], words=question or yesno[0].label, after=YESNO_HINT))
    return slots


def form_slots(form: Form) -> list[tuple[Line, list[Slot]]]:
    """Every progress sentence of the form with its inputs, in reading order."""
    by_line: dict[int, list[BlankRef]] = {}
    lines: list[Line] = []
    for ref in form.blank_refs:
        if id(ref.line) not in by_line:
            by_line[id(ref.line)] = []
            lines.append(ref.line)
        by_line[id(ref.line)].append(ref)
    return [(line, line_slots(line, by_line[id(line)])) for line in lines]
