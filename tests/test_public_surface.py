"""The library's public surface is exactly what ``collector.__all__`` names, and every name resolves."""

import ast
import subprocess
import sys
from pathlib import Path

import collector

PACKAGE = Path(collector.__file__).parent
#: the pipeline's stages in order; a module may import only from its own stage or an earlier one
STAGES = ["errors", "wording", "names", "forms", "reading", "inbox", "reports", "jobs", "cli"]

EXPECTED = {
    "__version__",
    "Form", "load_forms",
    "CheckResult", "Problem", "check_file",
    "Workspace", "open_workspace", "init_workspace",
    "ingest", "IngestResult",
    "refile", "RefileResult",
    "status_report", "StatusReport",
    "summarize", "SummaryResult",
    "export", "ExportResult",
    "make_templates",
    "run", "RunResult",
    "CollectorError", "UsageError", "FormFileError", "WorkspaceError", "RosterError", "ReturnError",
    "UnreadableWorkbook", "EmptyFile", "PasswordProtected", "TooLarge", "UnsafeXML", "UnknownForm",
    "LedgerError", "RunLocked", "ReportError", "TemplateError", "RefileError",
}


def test_exported_members():
    assert set(collector.__all__) == EXPECTED
    for name in collector.__all__:
        assert getattr(collector, name) is not None, name
    assert issubclass(collector.ReturnError, collector.CollectorError)


def test_importing_the_package_loads_no_heavy_library():
    code = "import sys, collector; print(' '.join(m for m in ('pandas', 'openpyxl', 'pydantic', 'sqlite3') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def _stage(module: str) -> int:
    first = module.split(".")[0]
    return STAGES.index(first) if first in STAGES else -1


def _imports(path: Path) -> list[str]:
    """The collector modules one file imports, as dotted names below ``collector``."""
    here = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(here[:-1]) if here[-1] != "__init__" else list(here[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            elif node.module and node.module.startswith("collector."):
                target = node.module.removeprefix("collector.")
            else:
                continue
            found.append(target)
    return found


def test_no_module_imports_from_a_later_stage():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        own = path.relative_to(PACKAGE).with_suffix("").parts
        if own[0] in ("__init__", "__main__"):
            continue
        for target in _imports(path):
            if target and _stage(target) > _stage(".".join(own)):
                wrong.append(f"{'/'.join(own)} → {target}")
    assert wrong == []


def test_one_name_for_one_thing_and_no_dead_code():
    import collector.cli.output as output
    import collector.forms.model as model
    import collector.inbox.ledger as ledger
    import collector.reading.check as check
    import collector.reports.status as status
    from collector.wording import KIND_NAMES

    dead = [(check, "problem_dict"), (ledger.Ledger, "max_id"), (model, "KIND_NAMES"), (status, "unit_statuses"),
            (status, "STATES"), (check, "_judge"), (output, "_KIND_WORDS")]
    assert [name for owner, name in dead if hasattr(owner, name)] == []
    assert status.UNIT_STATES == ("已报", "退回待改", "待确认", "未报")  # a unit's states, not a file's
    assert set(KIND_NAMES) == {"count", "percent", "text", "yesno"}  # the kinds' words: wording's alone
