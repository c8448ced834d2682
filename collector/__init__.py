"""collector: gather, check and consolidate the returned 活动进展情况统计表.

The library is usable without the CLI. Its packages read as the pipeline (see docs/architecture.md):
``forms`` (what a table is) → ``reading`` (one file → values and problems) → ``inbox`` (files coming
in: workspace, roster, ledger, ingest) → ``reports`` (status, the consolidated workbook, export,
templates) → ``jobs`` (the scheduled run, the demo); ``cli`` prints what they return.

The names below are the public surface. They are loaded when first used, so that ``import
collector`` (and every command's start) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: public name → the module that defines it
_WHERE = {
    "Form": "collector.forms.model",
    "load_forms": "collector.forms.model",
    "CheckResult": "collector.reading.check",
    "Problem": "collector.reading.check",
    "check_file": "collector.reading.check",
    "Workspace": "collector.inbox.workspace",
    "open_workspace": "collector.inbox.workspace",
    "init_workspace": "collector.inbox.workspace",
    "ingest": "collector.inbox.ingest",
    "IngestResult": "collector.inbox.ingest",
    "refile": "collector.inbox.refile",
    "RefileResult": "collector.inbox.refile",
    "status_report": "collector.reports.status",
    "StatusReport": "collector.reports.status",
    "summarize": "collector.reports.summarize",
    "SummaryResult": "collector.reports.summarize",
    "export": "collector.reports.export",
    "ExportResult": "collector.reports.export",
    "make_templates": "collector.reports.templates",
    "run": "collector.jobs.run",
    "RunResult": "collector.jobs.run",
    **{name: "collector.errors" for name in (
        "CollectorError", "UsageError", "FormFileError", "WorkspaceError", "RosterError", "ReturnError",
        "UnreadableWorkbook", "EmptyFile", "PasswordProtected", "TooLarge", "UnsafeXML", "UnknownForm",
        "LedgerError", "RunLocked", "ReportError", "TemplateError", "RefileError",
    )},
}

__all__ = ["__version__", *_WHERE]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'collector' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
