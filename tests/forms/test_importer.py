"""A form from a blank table's grid: tables the bundled forms do not have, built here cell by cell."""

import tomllib

import pytest

from collector.errors import FormImportError
from collector.forms.importer import Grid, form_toml, import_grid, measure_word
from collector.forms.model import Form

#: a table unlike the seeds': 序号 column, other header and column words, units the seeds never use,
#: a blank opening a line, a standalone □是 □否, bracketed words that are not blanks, a percent, free text
OTHER_TABLE = [
    ["附件2", "", "", "", ""],
    ["2021年“平安乡村”重点工作完成情况表", "", "", "", ""],
    ["报送单位：          填表日期：", "", "", "", ""],
    ["序号", "类别", "重点活动", "工作要求", "完成情况"],
    ["1", "宣传发动", "召开动员会", "全面部署（含视频会议）", "召开动员会（ ）期，投入经费（  ）元；\n（ ）个乡镇（街道）完成部署"],
    ["2", "宣传发动", "走访群众", "入户宣传", "走访（ ）户，覆盖社区（村）（ ）个，覆盖率（ ）%"],
    ["3", "隐患整治", "", "排查隐患，建立台账。整改到位", "排查隐患（ ）处；以（ ）等形式公开；演练科目：（ ）"],
    ["4", "隐患整治", "建立台账", "台账完整", "□是    □否"],
    ["5", "隐患整治", "落实责任", "责任到人", "是否签订责任书：□是 □否"],
]


def _form(rows=OTHER_TABLE, form_id="other-2021"):
    return import_grid(Grid(rows=[list(r) for r in rows], name="附件2.xlsx"), form_id)


def _blanks(form: Form):
    return [(r.line.text, r.blank.kind, r.blank.unit, r.blank.label) for r in form.blank_refs]


def test_title_header_and_columns_are_found_by_their_words():
    result = _form()
    form = result.form
    assert form.title == "2021年“平安乡村”重点工作完成情况表"  # 附件2 above it is not the title
    assert form.header == ["报送单位", "填表日期"]
    assert form.unit_field == "报送单位"
    assert result.date_field == "填表日期"
    assert form.columns == ["类别", "重点活动", "工作要求", "完成情况"]  # the 序号 column is not a column of the form


def test_a_title_after_the_attachment_number_on_its_line():
    rows = [["附件3：2021年度统计表"], ["填报单位："], ["活动项目", "内容要求", "进展情况"], ["宣讲", "宣讲", "宣讲（ ）场"]]
    assert _form(rows).form.title == "2021年度统计表"


def test_sections_activities_and_a_name_from_the_requirement():
    result = _form()
    form = result.form
    assert [s.name for s in form.sections] == ["宣传发动", "隐患整治"]
    names = [a.name for a in form.activities]
    assert names == ["召开动员会", "走访群众", "排查隐患", "建立台账", "落实责任"]
    empty = form.activities[2]
    assert empty.printed_name == "" and empty.requirement == "排查隐患，建立台账。整改到位"
    assert result.named_from_requirement == ["排查隐患"]
    assert all(not a.name.isdigit() for a in form.activities)  # 序号 is not taken for a name


def test_every_blank_and_its_kind_with_units_the_seeds_never_use():
    got = [(kind, unit) for _text, kind, unit, _label in _blanks(_form().form)]
    assert got == [
        ("count", "期"), ("count", "元"),  # 召开动员会（ ）期，投入经费（  ）元
        ("count", "个"),  # （ ）个乡镇（街道）… — a blank opening the line
        ("count", "户"), ("count", "个"), ("percent", "%"),
        ("count", "处"), ("text", None), ("text", None),  # 以（ ）等形式; 演练科目：（ ）
        ("yesno", None), ("yesno", None),
    ]


def test_lines_are_verbatim_with_blanks_written_the_one_way():
    form = _form().form
    texts = [line.text for a in form.activities for line in a.lines]
    assert texts == [
        "召开动员会（ ）期，投入经费（ ）元；",
        "（ ）个乡镇（街道）完成部署",
        "走访（ ）户，覆盖社区（村）（ ）个，覆盖率（ ）%",
        "排查隐患（ ）处；以（ ）等形式公开；演练科目：（ ）",
        "□是 □否",
        "是否签订责任书：□是 □否",
    ]
    # bracketed words are words: 乡镇（街道）, 社区（村）, （含视频会议） are not blanks
    assert form.activities[0].requirement == "全面部署（含视频会议）"
    assert form.activities[1].lines[0].text.count("（ ）") == 3


def test_yes_no_questions_and_the_standalone_boxes_asking_the_rows_question():
    form = _form().form
    yesno = [r for r in form.blank_refs if r.kind == "yesno"]
    assert [r.label for r in yesno] == ["建立台账", "签订责任书"]


def test_labels_come_from_the_words_before_each_blank():
    labels = {label for *_rest, label in _blanks(_form().form)}
    assert "召开动员会·期" in labels
    assert "投入经费·元" in labels
    assert "乡镇（街道）完成部署·个" in labels  # the words after a blank that opens the line
    assert "走访·户" in labels
    assert "演练科目" in labels
    assert "公开·形式" in labels  # 以（ ）等形式公开


def test_tools_and_ways_blank_is_named_by_what_it_is_the_way_of():
    rows = [["某某表"], ["单位："], ["活动项目", "内容要求", "进展情况"],
            ["启动", "启动仪式", "以（ ）等形式启动“安全生产月”活动（ ）场次。"]]
    assert [r.label for r in _form(rows).form.blank_refs] == ["启动“安全生产月”活动·形式", "启动“安全生产月”活动·场次"]


def test_keys_are_ascii_stable_and_unique():
    first, second = _form().form, _form().form
    keys = [r.key for r in first.blank_refs]
    assert keys == [r.key for r in second.blank_refs]
    assert len(set(keys)) == len(keys) and all(k.isascii() for k in keys)
    assert keys[:3] == ["a01.l1.b1", "a01.l1.b2", "a01.l2.b1"]


def test_what_it_was_unsure_of_is_said_with_the_words_around_it():
    rows = [list(r) for r in OTHER_TABLE]
    rows[4][4] = "创新开展（ ）活动（ ）场"
    doubts = _form(rows).unsure
    assert any("活动" in d.message and "创新开展" in d.words for d in doubts)


def test_a_table_without_a_unit_field_gets_one_and_says_so():
    rows = [["统计表"], ["活动名称", "具体内容", "开展情况"], ["宣讲", "宣讲", "宣讲（ ）场"]]
    result = _form(rows)
    assert result.form.unit_field == "填报单位"
    assert any("填报单位" in d.message for d in result.unsure)


def test_a_section_row_across_the_table():
    rows = [["某某表"], ["单位："], ["活动项目", "内容要求", "进展情况"], ["一、宣传"] * 3,
            ["宣讲", "宣讲到位", "宣讲（ ）场"], ["二、检查"] * 3, ["检查", "检查到位", "检查（ ）次，发现问题（ ）起"]]
    form = _form(rows).form
    assert [s.name for s in form.sections] == ["一、宣传", "二、检查"]
    assert [r.blank.unit for r in form.blank_refs] == ["场", "次", "起"]


def test_boxes_after_the_words_and_a_full_width_percent():
    rows = [["某某表"], ["单位："], ["活动项目", "内容要求", "进展情况"],
            ["培训", "全员培训", "培训覆盖率（　）％\n是否建立台账：是□  否□"]]
    form = _form(rows).form
    assert [line.text for line in form.activities[0].lines] == ["培训覆盖率（ ）%", "是否建立台账：□是 □否"]
    assert [r.kind for r in form.blank_refs] == ["percent", "yesno"]


def test_a_grid_without_blanks_is_refused_in_chinese():
    with pytest.raises(FormImportError, match="空格"):
        _form([["预算表"], ["项目", "金额"], ["办公", "100"]])


def test_measure_words():
    assert measure_word("人次；") == "人次"
    assert measure_word("场次") == "场次"
    assert measure_word("万元") == "万元"
    assert measure_word("平方米") == "平方米"
    assert measure_word("户，") == "户"
    assert measure_word("等形式") is None
    assert measure_word("活动") is None


def test_the_toml_reads_back_as_the_same_form():
    result = _form()
    text = form_toml(result.form, result)
    assert text.startswith("# 2021年“平安乡村”重点工作完成情况表")
    assert Form.model_validate(tomllib.loads(text)) == result.form
