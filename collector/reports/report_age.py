"""Whether a period's consolidated report still says what the ledger says.

A report records what it was made from in its document properties: a digest of its counted returns
(``collector.made_from``: each one's ledger id and SHA-256), the newest of their ids
(``collector.newest``) and when the ledger was read (``collector.made_at``, printed as "数据截至").
The report is stale when the counted returns now give another digest — a correction taken in by
``watch`` or a daytime ``ingest``, a held return settled, a return moved to another period —
whoever took them in. ``status`` says so; ``collect run`` refreshes it.

A report with no such properties (written by an earlier version, or saved by a program that dropped
them) is stale when a counted return arrived after the file was last written.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from ..forms.model import Form
from ..inbox.ledger import FileRecord
from ..inbox.workspace import Workspace, safe_file_name

PROP_MADE_FROM = "collector.made_from"
PROP_MADE_AT = "collector.made_at"
PROP_NEWEST = "collector.newest"
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
#: a report's docProps/custom.xml is a few hundred bytes; anything near this is not ours
_MAX_PROPERTIES_BYTES = 1_000_000


def report_file(workspace: Workspace, form: Form, period: str) -> Path:
    """``outbox/<表名>_<期间>_汇总.xlsx``."""
    return workspace.outbox / f"{safe_file_name(form.title)[:120]}_{period}_汇总.xlsx"


def made_from(counted: list[FileRecord]) -> str:
    """What a report is made from, in one word: a digest of its counted returns (id and SHA-256 of
    each). Any return taken in, replaced, moved or settled since changes it."""
    digest = hashlib.sha256()
    for f in sorted(counted, key=lambda f: f.id or 0):
        digest.update(f"{f.id}:{f.sha256}\n".encode())
    return digest.hexdigest()


def report_stamp(counted: list[FileRecord], as_of: datetime) -> dict[str, str]:
    """The document properties that say what a report was made from."""
    return {
        PROP_MADE_FROM: made_from(counted),
        PROP_MADE_AT: as_of.isoformat(),
        PROP_NEWEST: str(max((f.id or 0 for f in counted), default=0)),
    }


def read_stamp(path: Path) -> dict[str, str] | None:
    """A report's ``collector.*`` document properties; None if it cannot be read (open elsewhere,
    damaged, not a workbook)."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("docProps/custom.xml")
            except KeyError:
                return {}
            if info.file_size > _MAX_PROPERTIES_BYTES:
                return {}
            root = SafeET.fromstring(archive.read(info))
    except (OSError, zipfile.BadZipFile, DefusedXmlException, SafeET.ParseError):
        return None
    props: dict[str, str] = {}
    for prop in root.findall(f"{_CUSTOM_NS}property"):
        name = prop.get("name") or ""
        if name.startswith("collector.") and len(prop):
            props[name] = (prop[0].text or "").strip()
    return props


@dataclass(frozen=True)
class ReportAge:
    """A period's report against the ledger: ``stale`` when counted returns changed since it was made."""

    path: Path
    stale: bool
    made_at: str | None  # when the ledger was read for it (ISO), or the file's time
    newer: int = 0  # counted returns taken in after it was made
    newest_arrival: str | None = None  # the newest of those, when it arrived (ISO)

    def line(self) -> str:
        """What ``status`` says about the report."""
        made = f"（生成于{_when(self.made_at)}）" if self.made_at else ""
        if not self.stale:
            return f"汇总表是最新的{made}。"
        if self.newer:
            change = f"此后又计入了{self.newer}份报表（最新一份接收于{_when(self.newest_arrival)}）"
        else:
            change = "此后计入的报表有变化"
        return f"汇总表已过时{made}：{change}；请运行 collect summarize（或等今晚的 collect run）重新生成。"

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "stale": self.stale, "made_at": self.made_at, "newer": self.newer,
                "newest_arrival": self.newest_arrival}


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "？"


def report_age(path: Path, counted: list[FileRecord]) -> ReportAge | None:
    """How the report at ``path`` stands against the ``counted`` returns now; None when there is no report."""
    if not path.is_file():
        return None
    stamp = read_stamp(path) or {}
    digest = stamp.get(PROP_MADE_FROM)
    if digest:
        made_at = stamp.get(PROP_MADE_AT)
        try:
            newest = int(stamp.get(PROP_NEWEST) or 0)
        except ValueError:
            newest = 0
        newer = [f for f in counted if (f.id or 0) > newest]
        stale = digest != made_from(counted)
    else:
        # no stamp: by the file's own time
        try:
            made_at = datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
        except OSError:
            return None
        newer = [f for f in counted if f.arrived_at > made_at]
        stale = bool(newer)
    newest_arrival = max((f.arrived_at for f in newer), default=None)
    return ReportAge(path, stale, made_at, len(newer), newest_arrival)
