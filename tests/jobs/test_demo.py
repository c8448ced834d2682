"""`collect demo`: a fresh workspace with realistic returns, mistakes, a correction, and the report."""

import pytest
from openpyxl import load_workbook

from collector.errors import UsageError
from collector.jobs.demo import CORRECTED, SILENT, TYPO, UNKNOWN_NAME, WITH_ERRORS, build_demo


def test_demo_plays_the_whole_job(tmp_path):
    result = build_demo(tmp_path / "演示")
    first, second = result.passes
    states = {o.name: o.state for o in first.outcomes}
    assert states[f"{WITH_ERRORS}-统计表.xlsx"] == "returned"
    assert states[f"{UNKNOWN_NAME}-统计表.xlsx"] == "held"
    assert states[f"~${CORRECTED}-统计表.xlsx"] == "ignored"
    assert list(states.values()).count("duplicate") == 1
    assert {o.name: o.version for o in second.outcomes} == {
        f"{WITH_ERRORS}-统计表（修改后）.xlsx": 1, f"{CORRECTED}-统计表（更正）.xlsx": 2}
    assert (result.summary.counted, result.summary.expected) == (23, 25)
    assert result.summary.suspects >= 1
    assert sorted(u.unit for u in result.status.to_chase) == sorted(SILENT)
    wb = load_workbook(result.summary.path)
    suspects = [row for row in wb["校验问题"].iter_rows(min_row=2, values_only=True) if row[0] == "存疑"]
    assert any(row[1] == TYPO for row in suspects)
    # the receipt of the return sent back tells the unit what to fix
    receipts = list(result.workspace.receipts.rglob(f"*{WITH_ERRORS}*"))
    assert receipts


def test_demo_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(UsageError, match="不是空的"):
        build_demo(tmp_path / "x")
    assert (tmp_path / "x" / "mine.txt").read_text(encoding="utf-8") == "keep"
