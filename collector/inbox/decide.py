"""The accept / return / hold decision for a checked return: its form, unit, period and state.

* **已接收** (accepted): the collected form, a unit of the roster, no error;
* **退回** (returned): another form, no readable return at all, or errors — named in the reason;
* **待确认** (held): the unit is unknown or contradictory — the clerk decides.

The period: ``--period`` if given, else the one our blank form carries, else the date filled in (by
the deadlines), else the arrival date. A file that is no return at all: ``--period``, else the period
being collected (that of the newest return taken in), else the arrival date.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ..errors import UnknownForm
from ..forms.model import Form
from ..reading.check import CheckResult, Problem
from .ledger import FileRecord
from .outcomes import not_this_form, wrong_form
from .roster import Roster
from .workspace import PERIOD_RE, Config, parse_date, period_for_date


class Decision:
    """Decides for one pass: the collected form, the roster, the period given (if any)."""

    def __init__(self, form: Form, config: Config, roster: Roster, period: str | None,
                 newest_period: Callable[[], str | None] | None = None) -> None:
        self.form = form
        self.roster = roster
        self.period = period
        self.newest_period = newest_period  # the period of the newest return taken in (the ledger's)
        self.deadlines = {**form.deadlines, **config.deadlines}
        self.date_field = next((h for h in form.header if "日期" in h or "时间" in h), None)

    def period_of(self, checked: CheckResult, received: datetime) -> str:
        """``--period``; else our template's period; else its 填报日期; else the day it was received."""
        if self.period:
            return self.period
        from_template = checked.properties.get("collector.period", "")
        if PERIOD_RE.match(from_template):
            return from_template
        if self.date_field and checked.header:
            day = parse_date(checked.header.get(self.date_field))
            if day is not None:
                return period_for_date(day, self.deadlines)
        return period_for_date(received.date(), self.deadlines)

    def collecting(self, received: datetime) -> str:
        """The period being collected, for a file that says none (no return at all): ``--period``; else
        that of the newest return taken in, as ``collect status`` shows by default; else the day received."""
        if self.period:
            return self.period
        newest = self.newest_period() if self.newest_period is not None else None
        return newest or period_for_date(received.date(), self.deadlines)

    def verdict(self, record: FileRecord, checked: CheckResult) -> str:
        """Fill in form, unit, period and state of the record from the check result."""
        received = datetime.fromisoformat(record.received)
        if checked.form is None:
            # no return of any form: filed under the period being collected, not the day's month
            record.period = self.collecting(received)
            # a format only LibreOffice reads, on a machine without it: the clerk's to settle (held
            # returns are read again every run, so installing LibreOffice settles it), not the unit's
            record.state = "held" if checked.error_code == "no_converter" else "returned"
            unit, _ = self.roster.in_filename(record.name)
            record.unit = unit.name if unit else None
            record.reason = self._messages(checked)[0] if checked.problems else "无法读取"
            return record.state
        record.period = self.period_of(checked, received)
        record.form = checked.form.id
        record.unit_written = checked.unit
        if checked.form.id != self.form.id:
            record.state = "returned"
            unit, _ = self.roster.in_filename(record.name)
            record.unit = unit.name if unit else None
            record.reason = wrong_form(checked.form.title, self.form.title)
            return record.state
        match = self.roster.match(checked.unit, os.path.basename(record.name),
                                  template_unit=checked.properties.get("collector.unit"))
        if not match.ok:
            record.state = "held"
            record.unit = match.candidates[0].name if len(match.candidates) == 1 else None
            record.reason = match.reason
            return record.state
        assert match.unit is not None
        record.unit = match.unit.name
        errors = checked.errors
        if errors:
            record.state = "returned"
            more = f"等 {len(errors)} 处错误" if len(errors) > 1 else ""
            where = f"{errors[0].cell} " if errors[0].cell else ""
            record.reason = f"{where}{errors[0].message}{more}"
        else:
            record.state = "accepted"
            record.reason = f"提醒 {len(checked.warnings)} 处" if checked.warnings else ""
        return record.state

    def problems(self, record: FileRecord, checked: CheckResult) -> list[Problem]:
        """The record's problems, as said here (another form's one first)."""
        rows = [replace(problem, message=message) for problem, message in zip(checked.problems, self._messages(checked))]
        if checked.form is not None and checked.form.id != self.form.id:
            rows.insert(0, Problem("error", "wrong_form", record.reason + "。请使用下发的原表填写。"))
        return rows


    def _messages(self, checked: CheckResult) -> list[str]:
        """The problems' messages, said for this workspace: a file that is none of the known forms is
        told about the one form collected here, not every form the reader knows."""
        return [not_this_form(self.form.title) if p.code == UnknownForm.code else p.message
                for p in checked.problems]
