"""When a return was received: the moment its file reached ``inbox/``, not the moment ingest took it in.

A unit that sent its table on time is on time, however late the clerk gets to it: a backlog taken in
on 7月1日 keeps the days its files arrived. The received time is the file's modification time in
``inbox/`` — never later than the moment it is taken in, never in the future (a file copied from a
machine whose clock runs ahead). When the clerk saved a batch late (from a mail client that stamps
files with the save time), ``collect ingest --received 2020-06-29`` says when it came instead; a date
alone means that day (kept as ``2020-06-29``, shown without a time).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ..errors import UsageError

_RECEIVED_RE = re.compile(
    r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T\s]\s*(\d{1,2})\s*[:：点时]\s*(\d{1,2})\s*(?:[:：分]\s*(?:(\d{1,2})\s*秒?)?)?)?"
)
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")

_FORMS = "2020-06-29、2020/6/29、2020.6.29、2020年6月29日 或 20200629，可加时间，如 2020-06-29 17:30"


def received_from_mtime(mtime: float, taken_in: str) -> str:
    """The received time of a file: its modification time (``st_mtime``), as ISO local time, but no
    later than ``taken_in`` (the ISO time ingest takes it in — which is also never in the future)."""
    try:
        modified = datetime.fromtimestamp(mtime).isoformat(timespec="microseconds")
    except (OverflowError, OSError, ValueError):  # a time the platform cannot show: only taken_in is known
        return taken_in
    return min(modified, taken_in, key=datetime.fromisoformat)


def parse_received(text: str, now: datetime | None = None) -> str:
    """The received time the clerk typed (``--received``), as the ledger keeps it: ``2020-06-29`` for a
    date alone (that day), ``2020-06-29T17:30:00`` with a time. Not a date, or later than now: a usage
    error saying what to write."""
    now = now or datetime.now()
    written = text.strip()
    match = _RECEIVED_RE.fullmatch(written) or _COMPACT_RE.fullmatch(written)
    if match is None:
        raise UsageError(f"--received 的时间“{text}”看不懂：请写成 {_FORMS}。")
    parts = [int(g) if g else None for g in match.groups()]
    year, month, day = parts[:3]
    hour, minute, second = (parts[3:] + [None, None, None])[:3]
    try:
        day_given = date(year, month, day)  # type: ignore[arg-type]
        moment = (datetime(year, month, day, hour, minute or 0, second or 0)  # type: ignore[arg-type]
                  if hour is not None else None)
    except ValueError:
        raise UsageError(f"--received 的时间“{text}”不是有效的日期或时间：请写成 {_FORMS}。") from None
    if day_given > now.date() or (moment is not None and moment > now):
        raise UsageError(f"--received 的时间“{text}”晚于现在（{now:%Y-%m-%d %H:%M}）：收到的时间不能在将来。")
    return moment.isoformat(timespec="seconds") if moment is not None else day_given.isoformat()
