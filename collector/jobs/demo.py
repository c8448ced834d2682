"""``collect demo``: the whole job on realistic data, in a fresh workspace.

Builds a workspace for the bundled 兴安行 form (dxal-2020) and its roster of 25 units, then plays a
June: most units send their return; one types a negative number and 若干 (sent back), one signs
with a name not in the roster (held), one sends a correction after its first return (version 2),
a lock file and a duplicate land in the inbox too; two units never report. It ingests, writes the
consolidated report and shows the status — what the clerk would see.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ..errors import UsageError, storage_error
from ..forms.model import load_forms
from ..inbox.ingest import IngestResult, ingest
from ..inbox.roster import load_roster
from ..inbox.workspace import Workspace, init_workspace, update_config
from ..reports.status import StatusReport, status_report
from ..reports.summarize import SummaryResult, summarize
from .samples import realistic_values, write_return

DEMO_FORM = "dxal-2020"
DEMO_PERIOD = "2020-06"
DEMO_OFFICE = "大兴安岭地区安全生产委员会办公室"
ROSTER = Path(__file__).parent / "demo_data" / f"{DEMO_FORM}-units.csv"
#: units that never report in the demo (they show up in 催报)
SILENT = ("韩家园林业局", "地区教育局")
WITH_ERRORS = "呼玛县安委会"
CORRECTED = "塔河县安委会"
TYPO = "地区公安局"
UNKNOWN_NAME = "大兴安岭林业集团公司"


@dataclass
class DemoResult:
    """The demo workspace and what each step produced."""

    workspace: Workspace
    passes: list[IngestResult] = field(default_factory=list)
    summary: SummaryResult | None = None
    status: StatusReport | None = None


def build_demo(root: Path, *, seed: int = 20200630) -> DemoResult:
    """Make the demo workspace at ``root`` (new or empty) and run the job in it."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"目录 {root} 已存在且不是空的；演示需要一个新目录，例如：collect demo 演示目录2")
    try:
        return _play(root, seed)
    except OSError as exc:  # the returns and the roster written here (the library maps its own)
        raise storage_error(exc, "写演示文件") from exc


def _play(root: Path, seed: int) -> DemoResult:
    workspace = init_workspace(root, DEMO_FORM, office=DEMO_OFFICE).workspace
    # the demo plays June 2020 today: its deadline is set a week ahead, so arrivals are on time
    update_config(workspace, contact="王明", phone="0457-2123456",
                  deadlines={DEMO_PERIOD: date.today() + timedelta(days=7)})
    (workspace.root / "units.csv").write_bytes(ROSTER.read_bytes())

    form = load_forms(workspace.schemas)[DEMO_FORM]
    units = [u.name for u in load_roster(workspace).units]
    rng = random.Random(seed)
    result = DemoResult(workspace)

    def send(name: str, unit: str, values: dict, day: int) -> Path:
        return write_return(workspace.inbox / name, form, unit, values, contact="联络员", phone="0457-2100000",
                            filled_on=date(2020, 6, day))

    first: dict[str, dict] = {}
    for unit in units:
        if unit in SILENT:
            continue
        values = realistic_values(form, rng)
        first[unit] = values
        if unit == WITH_ERRORS:
            wrong = dict(values, **{"study.group_attendance": "-30", "inspect.hazard_reports": "若干"})
            send(f"{unit}-统计表.xlsx", unit, wrong, 28)
        elif unit == TYPO:
            # an extra zero typed: counted, but flagged 存疑 in the report for a phone call
            typo = dict(values, **{"study.online_attendance": values["study.online_attendance"] * 100 + 1})
            send(f"{unit}-统计表.xlsx", unit, typo, 27)
        else:
            send(f"{unit}-统计表.xlsx", unit, values, rng.randint(24, 30))
    # one with a 填报单位 the roster does not know, a lock file Excel left, and the same bytes twice
    send(f"{UNKNOWN_NAME}-统计表.xlsx", UNKNOWN_NAME, realistic_values(form, rng), 29)
    (workspace.inbox / f"~${CORRECTED}-统计表.xlsx").write_bytes(b"\x00" * 165)
    shutil.copyfile(workspace.inbox / f"{units[0]}-统计表.xlsx", workspace.inbox / f"{units[0]}-统计表(1).xlsx")
    result.passes.append(ingest(workspace))

    # corrections come in: the one sent back fixes its mistakes, another revises its figures
    send(f"{WITH_ERRORS}-统计表（修改后）.xlsx", WITH_ERRORS, first[WITH_ERRORS], 30)
    revised = dict(first[CORRECTED], **{"study.group_attendance": first[CORRECTED]["study.group_attendance"] + 40})
    send(f"{CORRECTED}-统计表（更正）.xlsx", CORRECTED, revised, 30)
    result.passes.append(ingest(workspace))

    result.summary = summarize(workspace, DEMO_PERIOD)
    result.status = status_report(workspace, DEMO_PERIOD)
    return result
