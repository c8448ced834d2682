"""One thing wrong with a return: what the checker finds (``reading.check``), the ledger keeps and the
receipt says (``inbox``) — one model for both stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a return, said so that the unit can fix it."""

    level: Level
    code: str
    message: str
    cell: str | None = None
    key: str | None = None
    label: str | None = None
    written: str | None = None
