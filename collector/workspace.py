"""A workspace: the folder a clerk works in, and its config.

Layout (the repository root is itself a workspace)::

    collector.toml     config: form, office name, deadlines per period
    units.csv          the roster: 单位,地区,别名
    inbox/             returned files are dropped here
    outbox/            what goes out: consolidated reports, receipts (回执/), blank templates (空白表/)
    archive/           accepted originals, unchanged, by period
    returned/          returns sent back, each beside its receipt
    held/              returns held for a decision (待确认)
    ignored/           files set aside that are not returns (never deleted)
    logs/              the overnight run's log
    ledger.sqlite3     every file received, every value, every problem
    schemas/           (optional) the workspace's own form files
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import UsageError, WorkspaceError

CONFIG_NAME = "collector.toml"
LEDGER_NAME = "ledger.sqlite3"
ROSTER_NAMES = ("units.csv", "units.xlsx")

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2]|W(0[1-9]|[1-4]\d|5[0-3])|H[12])$")


def check_period(period: str) -> str:
    """``2020-06``, ``2020-W25``, ``2020-H2``; anything else is a usage error."""
    if not PERIOD_RE.match(period):
        raise UsageError(f"期间“{period}”格式不对：应为 YYYY-MM（如 2020-06）、YYYY-Www（如 2020-W25）或 YYYY-H1/H2。")
    return period


def period_start(period: str) -> date:
    """The first day a period covers."""
    year, rest = int(period[:4]), period[5:]
    if rest.startswith("W"):
        return date.fromisocalendar(year, int(rest[1:]), 1)
    if rest.startswith("H"):
        return date(year, 1 if rest == "H1" else 7, 1)
    return date(year, int(rest), 1)


@dataclass
class Config:
    """What ``collector.toml`` says."""

    form: str
    office: str = ""
    contact: str = ""
    phone: str = ""
    deadlines: dict[str, date] = field(default_factory=dict)

    def to_toml(self) -> str:
        lines = [
            "# collector 工作目录配置。修改后保存即可生效。",
            f'form = "{self.form}"          # 收集的统计表（schemas/ 中的 id）',
            f'office = "{self.office}"      # 本单位名称，汇总表的“填报单位”',
            f'contact = "{self.contact}"    # 汇总表的联系人',
            f'phone = "{self.phone}"        # 汇总表的电话',
            "",
            "# 各期间的报送截止日期：期间 = 日期",
            "[deadlines]",
        ]
        lines += [f'"{p}" = {d.isoformat()}' for p, d in sorted(self.deadlines.items())]
        return "\n".join(lines) + "\n"


@dataclass
class Workspace:
    """Paths of a workspace, and its config once read."""

    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def receipts(self) -> Path:
        return self.outbox / "回执"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def returned(self) -> Path:
        return self.root / "returned"

    @property
    def held(self) -> Path:
        return self.root / "held"

    @property
    def ignored(self) -> Path:
        return self.root / "ignored"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_NAME

    @property
    def schemas(self) -> Path:
        return self.root / "schemas"

    @property
    def roster_path(self) -> Path | None:
        for name in ROSTER_NAMES:
            if (self.root / name).is_file():
                return self.root / name
        return None

    def folders(self) -> list[Path]:
        return [self.inbox, self.outbox, self.receipts, self.archive, self.returned, self.held, self.ignored, self.logs]

    def config(self) -> Config:
        """Read ``collector.toml``; a missing or broken config is a WorkspaceError."""
        if not self.config_path.is_file():
            raise WorkspaceError(
                f"{self.root} 不是工作目录（没有 {CONFIG_NAME}）。请先运行：collect init --form 表格编号，"
                "或用 --workspace 指定工作目录。"
            )
        try:
            data = tomllib.loads(self.config_path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise WorkspaceError(f"配置文件 {self.config_path} 无法读取：{exc}") from exc
        if not isinstance(data.get("form"), str) or not data["form"]:
            raise WorkspaceError(f"配置文件 {self.config_path} 缺少 form（统计表编号）。")
        deadlines = {}
        for period, value in (data.get("deadlines") or {}).items():
            if not PERIOD_RE.match(period) or not isinstance(value, date):
                raise WorkspaceError(f"配置文件 {self.config_path} 的 deadlines 中“{period} = {value}”格式不对。")
            deadlines[period] = value
        return Config(
            form=data["form"],
            office=str(data.get("office", "")),
            contact=str(data.get("contact", "")),
            phone=str(data.get("phone", "")),
            deadlines=deadlines,
        )


def open_workspace(root: Path | None) -> Workspace:
    """The workspace at ``root`` (default: the current directory)."""
    return Workspace((root or Path.cwd()).resolve())
