"""`collect export`: the long table as CSV with a BOM and as Parquet."""

import random
from datetime import date

import pandas as pd

from collector.forms.model import load_forms
from collector.inbox.ingest import ingest
from collector.inbox.workspace import init_workspace
from collector.jobs.samples import realistic_values, write_return
from collector.reports.export import export

FORM = load_forms()["dxal-2020"]


def workspace_with_two_returns(tmp_path):
    ws = init_workspace(tmp_path / "ws", FORM.id, office="县安委办").workspace
    (ws.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n乙局,西区,\n", encoding="utf-8")
    rng = random.Random(3)
    a, b = realistic_values(FORM, rng), realistic_values(FORM, rng)
    b["launch.form"] = "=1+2宣讲"
    write_return(ws.inbox / "甲局.xlsx", FORM, "甲局", a, filled_on=date(2020, 6, 28))
    write_return(ws.inbox / "乙局.xlsx", FORM, "乙局", b, filled_on=date(2020, 6, 28))
    ingest(ws, period="2020-06")
    return ws, a, b


def test_csv_with_bom_and_parquet(tmp_path):
    ws, a, b = workspace_with_two_returns(tmp_path)
    result = export(ws, "2020-06")
    n = len(FORM.blank_refs)
    assert result.rows == 2 * n
    raw = result.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    table = pd.read_csv(result.csv, encoding="utf-8-sig", dtype=str)
    assert list(table.columns) == ["单位", "地区", "类别", "活动项目", "填报项", "计量单位", "数值", "未填写", "单元格", "文件",
                                   "编号", "版本"]
    first = table.iloc[1]
    assert (first["单位"], first["地区"], first["填报项"], first["计量单位"]) == ("甲局", "东区", "启动仪式·场次", "场次")
    assert first["数值"] == str(a["launch.sessions"]) and first["单元格"].startswith("统计表!")
    formula = table[(table["单位"] == "乙局") & (table["编号"] == "launch.form")]["数值"].iloc[0]
    assert formula == "'=1+2宣讲"  # shown as text by Excel, never run
    parquet = pd.read_parquet(result.parquet)
    assert len(parquet) == 2 * n
    sessions = parquet[(parquet["单位"] == "甲局") & (parquet["编号"] == "launch.sessions")]
    assert sessions["数值_数字"].iloc[0] == a["launch.sessions"]


def test_a_count_left_empty_is_written_0_and_said_to_be_empty(tmp_path):
    """The totals count an empty count blank as 0: the export says 0 too, and that it was empty;
    an empty text blank stays empty (nothing is counted for it)."""
    ws = init_workspace(tmp_path / "ws", FORM.id, office="县安委办").workspace
    (ws.root / "units.csv").write_text("单位,地区,别名\n甲局,东区,\n", encoding="utf-8")
    values = realistic_values(FORM, random.Random(8))
    values["launch.sessions"] = None
    values["launch.form"] = None
    write_return(ws.inbox / "甲局.xlsx", FORM, "甲局", values, filled_on=date(2020, 6, 28))
    assert [o.state for o in ingest(ws, period="2020-06").outcomes] == ["accepted"]
    result = export(ws, "2020-06")
    table = pd.read_csv(result.csv, encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("编号")
    assert (table.loc["launch.sessions", "数值"], table.loc["launch.sessions", "未填写"]) == ("0", "是")
    assert (table.loc["launch.form", "数值"], table.loc["launch.form", "未填写"]) == ("", "是")
    assert (table.loc["study.group_sessions", "数值"], table.loc["study.group_sessions", "未填写"]) == (
        str(values["study.group_sessions"]), "否")
    parquet = pd.read_parquet(result.parquet).set_index("编号")
    assert parquet.loc["launch.sessions", "数值_数字"] == 0 and bool(parquet.loc["launch.sessions", "未填写"]) is True
    assert bool(parquet.loc["study.group_sessions", "未填写"]) is False
