"""The ledger's read model for one form and period: what status, summarize and export all read.

Read once, with every problem and the held files still pending, because the report needs it all again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..reading.problem import Problem
from .ledger import FileRecord, Ledger


@dataclass
class PeriodFiles:
    """What the ledger holds about one form and period, read once (the report needs it all again)."""

    files: list[FileRecord] = field(default_factory=list)  # every file, in arrival order
    counted: list[FileRecord] = field(default_factory=list)  # each unit's counted return
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # by file id, in recorded order
    pending: set[int] = field(default_factory=set)  # held files not settled since


def read_period(ledger: Ledger, form: str, period: str) -> PeriodFiles:
    """The files of ``form`` and ``period``, the counted ones, their problems and the held ones pending."""
    files = ledger.files(form=form, period=period)
    problems: dict[int, list[Problem]] = {}
    for file_id, problem in ledger.problems([f.id for f in files if f.id is not None]):
        problems.setdefault(file_id, []).append(problem)
    pending = {f.id for f in ledger.held_unsettled() if f.id is not None}
    counted = ledger.counted_ids(form, period)  # every counted return is among the files
    return PeriodFiles(files, [f for f in files if f.id in counted], problems, pending)
