"""`collect form import BLANK` and `collect init DIR --from BLANK`: a workspace made from the blank that
came down reads the sample returns and totals them as truth.json says; a new table works everywhere."""

import random
import shutil
from datetime import date

import pytest
from conftest import DATA, NEW_TABLE_MERGES, NEW_TABLE_ROWS, truth, write_sheet
from openpyxl import Workbook
from typer.testing import CliRunner

from collector.cli import app
from collector.forms.model import load_forms
from collector.jobs.samples import realistic_values, write_return
from collector.reading.check import check_file

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize(("form_id", "suffix"), [("dxal-2020", ".docx"), ("haicheng-2020", ".xlsx"),
                                                 ("changchun-2019", ".doc")])
def test_init_from_a_seed_tables_blank_reads_and_totals_the_samples_as_truth_says(tmp_path, form_id, suffix):
    root = tmp_path / "安全生产月"
    made = invoke("init", root, "--from", DATA / form_id / "blank" / f"blank{suffix}", "--office", "上级汇总办公室")
    assert made.exit_code == 0, made.output
    assert "表名：" in made.output and "已建立" in made.output
    (schema,) = (root / "schemas").glob("*.toml")
    forms = load_forms(root / "schemas")
    form = forms[schema.stem]
    assert form_id not in forms  # the imported form stands in for the bundled one of the same table
    shutil.copyfile(DATA / form_id / "units.csv", root / "units.csv")
    for path in (DATA / form_id / "inbox").iterdir():
        shutil.copyfile(path, root / "inbox" / path.name)
    t = truth(form_id)
    ingested = invoke("ingest", "--period", "2020-06", "-w", root)
    assert ingested.exit_code == 1, ingested.output  # the samples include returns to send back
    assert ingested.output.count("已接收") >= len(t["valid_units"])
    summarized = invoke("summarize", "--period", "2020-06", "-w", root)
    assert summarized.exit_code == 0, summarized.output
    assert f"计入 {len(t['valid_units'])} 个单位" in summarized.output
    (report,) = (root / "outbox").glob("*_2020-06_汇总.xlsx")
    back = check_file(report, forms)  # the 汇总表 read back as a return of the imported form
    assert back.ok and back.form is form, back.problems
    refs = form.blank_refs
    index = {(s[0], s[1], s[2]): i for i, s in enumerate(t["slots"])}
    for row, line, blank, total in t["totals"]:
        ref = refs[index[(row, line, blank)]]  # by slot order: the imported keys are its own
        if ref.kind == "count":
            assert back.values[ref.key] == total, ref.label




def new_blank(path):
    return write_sheet(path, NEW_TABLE_ROWS, NEW_TABLE_MERGES)


def test_form_import_prints_what_it_found_and_writes_the_form_file(tmp_path):
    root = tmp_path / "ws"
    assert invoke("init", root, "--form", "dxal-2020").exit_code == 0
    blank = new_blank(tmp_path / "附件2.xlsx")
    result = invoke("form", "import", blank, "--id", "pingan-2021", "-w", root)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "表名：2021年“平安乡村”重点工作完成情况表" in out
    assert "填报单位一栏：报送单位；填报日期一栏：填表日期" in out
    assert "数量空格 6 个，百分比 1 个，文字 1 个，是/否 1 个" in out
    assert "◆ 排查隐患（原表此格为空，名称取自内容要求）" in out
    assert "- 数量，单位“元”：投入经费·元" in out
    assert "- 是/否：建立台账" in out
    path = root / "schemas" / "pingan-2021.toml"
    assert f"已写入：{path}" in out
    assert 'form 改为 "pingan-2021"' in out  # the workspace still collects dxal-2020: it says how to switch
    assert load_forms(root / "schemas")["pingan-2021"].title == "2021年“平安乡村”重点工作完成情况表"


def test_form_import_of_a_bundled_tables_blank_says_it_stands_in_for_it(tmp_path):
    root = tmp_path / "ws"
    invoke("init", root, "--form", "changchun-2019")
    blank = DATA / "changchun-2019" / "blank" / "blank.xlsx"
    refused = invoke("form", "import", blank, "--id", "cc-2019", "-w", root)
    assert refused.exit_code == 2  # the workspace collects that very table: nothing to import, unless asked to
    assert "就是本工作目录正在收集的 changchun-2019" in refused.output and "--force" in refused.output
    assert not (root / "schemas").exists() or not list((root / "schemas").iterdir())
    result = invoke("form", "import", blank, "--id", "cc-2019", "--force", "-w", root)
    assert result.exit_code == 0, result.output
    assert "与程序自带的 changchun-2019 是同一张表；在本工作目录里，由新生成的 cc-2019 代替它" in result.output
    assert "表头里没有“填报日期”一类的栏目" in result.output  # the seed's 单位： is its only header field
    assert 'form 改为 "cc-2019"' in result.output


def test_form_import_never_overwrites_without_saying(tmp_path):
    root = tmp_path / "ws"
    invoke("init", root, "--form", "dxal-2020")
    blank = new_blank(tmp_path / "附件2.xlsx")
    invoke("form", "import", blank, "--id", "pingan-2021", "-w", root)
    again = invoke("form", "import", blank, "--id", "pingan-2021", "-w", root)
    assert again.exit_code == 0 and "已有相同的文件，未改动" in again.output
    path = root / "schemas" / "pingan-2021.toml"
    edited = path.read_text(encoding="utf-8").replace("投入经费·元", "动员会经费")  # the clerk edited a label
    path.write_text(edited, encoding="utf-8")
    refused = invoke("form", "import", blank, "--id", "pingan-2021", "-w", root)
    assert refused.exit_code == 2
    assert "已经存在，内容不同，没有覆盖" in refused.output and "--force" in refused.output
    assert path.read_text(encoding="utf-8") == edited
    forced = invoke("form", "import", blank, "--id", "pingan-2021", "--force", "-w", root)
    assert forced.exit_code == 0 and "已覆盖" in forced.output
    assert "投入经费·元" in path.read_text(encoding="utf-8")


def test_a_new_table_works_everywhere_check_ingest_template_status_export_summarize(tmp_path):
    root = tmp_path / "平安乡村"
    made = invoke("init", root, "--from", new_blank(tmp_path / "附件2.xlsx"), "--form", "pingan-2021")
    assert made.exit_code == 0, made.output
    assert "统计表：pingan-2021" in made.output
    form = load_forms(root / "schemas")["pingan-2021"]
    (root / "units.csv").write_text("单位,地区,别名\n甲镇,东区,\n乙镇,西区,\n", encoding="utf-8")
    values = {"甲镇": realistic_values(form, random.Random(1)), "乙镇": realistic_values(form, random.Random(2))}
    for unit, vals in values.items():
        write_return(root / "inbox" / f"{unit}.xlsx", form, unit, vals, filled_on=date(2021, 6, 28))
    checked = invoke("check", root / "inbox" / "甲镇.xlsx", "-w", root)
    assert checked.exit_code == 0, checked.output
    assert "表：2021年“平安乡村”重点工作完成情况表（pingan-2021）" in checked.output and "可以计入" in checked.output
    ingested = invoke("ingest", "--period", "2021-06", "-w", root)
    assert ingested.exit_code == 0, ingested.output
    assert "共 2 个文件：已接收 2。" in ingested.output
    template = invoke("template", "--unit", "甲镇", "--period", "2021-07", "-w", root)
    assert template.exit_code == 0, template.output
    (blank_form,) = (root / "outbox" / "空白表" / "2021-07").glob("甲镇*.xlsx")
    assert check_file(blank_form, load_forms(root / "schemas")).form.id == "pingan-2021"
    status = invoke("status", "--period", "2021-06", "-w", root)
    assert status.exit_code == 0, status.output
    assert "甲镇" in status.output and "乙镇" in status.output
    exported = invoke("export", "--period", "2021-06", "-w", root)
    assert exported.exit_code == 0, exported.output
    (csv,) = (root / "outbox").glob("*2021-06*.csv")
    assert "投入经费·元" in csv.read_text(encoding="utf-8-sig")  # the imported labels reach the long table
    summarized = invoke("summarize", "--period", "2021-06", "-w", root)
    assert summarized.exit_code == 0, summarized.output
    (report,) = (root / "outbox").glob("*_2021-06_汇总.xlsx")
    back = check_file(report, load_forms(root / "schemas"))
    for ref in form.blank_refs:
        if ref.kind == "count":
            assert back.values[ref.key] == values["甲镇"][ref.key] + values["乙镇"][ref.key], ref.label


def test_init_needs_a_form_or_a_blank(tmp_path):
    result = invoke("init", tmp_path / "ws")
    assert result.exit_code == 2
    assert "--form" in result.output and "--from" in result.output
    assert not (tmp_path / "ws").exists()


def test_a_blank_that_is_not_a_table_is_one_line_not_a_traceback(tmp_path):
    wb = Workbook()
    wb.active.append(["项目", "金额"])
    wb.save(tmp_path / "预算.xlsx")
    result = invoke("init", tmp_path / "ws", "--from", tmp_path / "预算.xlsx")
    assert result.exit_code == 2
    assert "预算.xlsx" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "ws" / "collector.toml").exists()


def test_form_import_has_help_in_chinese_and_a_wrong_call_is_told_in_chinese():
    helped = invoke("form", "import", "--help")
    assert helped.exit_code == 0 and "从空白表生成表格定义" in helped.output
    wrong = invoke("form", "import")
    assert wrong.exit_code == 2 and "缺少参数" in wrong.output


def test_init_from_a_blank_in_an_existing_workspace_leaves_its_config_and_says_so(tmp_path):
    root = tmp_path / "ws"
    invoke("init", root, "--form", "dxal-2020")
    before = (root / "collector.toml").read_text(encoding="utf-8")
    result = invoke("init", root, "--from", new_blank(tmp_path / "附件2.xlsx"), "--form", "pingan-2021")
    assert result.exit_code == 0, result.output
    assert (root / "collector.toml").read_text(encoding="utf-8") == before
    assert (root / "schemas" / "pingan-2021.toml").is_file()
    assert '收集的仍是 dxal-2020；要收集这张新表，把其中的 form 改为 "pingan-2021"' in result.output
