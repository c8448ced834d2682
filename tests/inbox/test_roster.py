"""The roster: read in every encoding Excel saves, match tolerantly, never guess between two units."""

import openpyxl
import pytest

from collector.errors import RosterError
from collector.inbox.roster import Roster, Unit, add_alias, fold, load_roster
from collector.inbox.workspace import Workspace

ROWS = [
    ("塔河县安委会", "塔河县", "塔河安委会；塔河县安全生产委员会"),
    ("塔河林业局", "塔河县", ""),
    ("呼中区安委会", "呼中区", ""),
    ("呼中林业局", "呼中区", ""),
    ("地区应急管理局", "地直单位", "应急局;地区应急局"),
    ("地区公安局", "地直单位", ""),
]


def _csv(rows=ROWS) -> str:
    return "单位,地区,别名\r\n" + "".join(f"{n},{r},{a}\r\n" for n, r, a in rows)


@pytest.fixture
def roster() -> Roster:
    return Roster([Unit(n, r, tuple(a.replace(";", "；").split("；")) if a else ()) for n, r, a in ROWS])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_reads_csv_in_every_encoding_excel_saves(tmp_path, encoding):
    (tmp_path / "units.csv").write_bytes(_csv().encode(encoding))
    roster = load_roster(Workspace(tmp_path))
    assert [u.name for u in roster.units] == [r[0] for r in ROWS]
    assert roster.units[0] == Unit("塔河县安委会", "塔河县", ("塔河安委会", "塔河县安全生产委员会"))
    assert roster.units[4].aliases == ("应急局", "地区应急局")  # ; and ； both split
    assert roster.regions == ["塔河县", "呼中区", "地直单位"]


def _units_xlsx(path):
    wb = openpyxl.Workbook()
    wb.active.append(["单位", "地区", "别名"])
    for row in ROWS:
        wb.active.append(list(row))
    wb.save(path)


def test_reads_xlsx(tmp_path):
    _units_xlsx(tmp_path / "units.xlsx")
    roster = load_roster(Workspace(tmp_path))
    assert [u.name for u in roster.units] == [r[0] for r in ROWS]
    assert roster.units[4].aliases == ("应急局", "地区应急局")


def test_a_filled_units_xlsx_beside_the_empty_units_csv_of_init_is_used(tmp_path):
    (tmp_path / "units.csv").write_bytes("单位,地区,别名\r\n".encode("utf-8-sig"))  # as collect init leaves it
    _units_xlsx(tmp_path / "units.xlsx")
    roster = load_roster(Workspace(tmp_path))
    assert roster.path == tmp_path / "units.xlsx" and len(roster.units) == len(ROWS)
    # both filled: which one is meant cannot be guessed
    (tmp_path / "units.csv").write_text(_csv(ROWS[:2]), encoding="utf-8")
    with pytest.raises(RosterError, match="同时有两份填了单位的名单（units.csv和units.xlsx）"):
        load_roster(Workspace(tmp_path))


def test_a_line_in_another_encoding_is_refused_with_its_number(tmp_path):
    data = _csv().encode("utf-8") + "新林林业局,新林区,\r\n".encode("gbk")  # line 8 typed in Notepad's ANSI
    (tmp_path / "units.csv").write_bytes(data)
    with pytest.raises(RosterError, match="第 8 行的文字编码与其他行不同"):
        load_roster(Workspace(tmp_path))
    # the other way round: a GBK file with one UTF-8 line
    data = _csv().encode("gbk") + "新林林业局,新林区,\r\n".encode("utf-8")
    (tmp_path / "units.csv").write_bytes(data)
    with pytest.raises(RosterError, match="第 8 行的文字编码与其他行不同"):
        load_roster(Workspace(tmp_path))


def test_missing_roster_says_what_to_do(tmp_path):
    with pytest.raises(RosterError, match="没有单位名单 units.csv"):
        load_roster(Workspace(tmp_path))


def test_bad_header_and_duplicates_are_refused(tmp_path):
    (tmp_path / "units.csv").write_text("名称,区\n甲,乙\n", encoding="utf-8")
    with pytest.raises(RosterError, match="第一行应为表头"):
        load_roster(Workspace(tmp_path))
    (tmp_path / "units.csv").write_text("单位,地区,别名\n甲局,一区,\n乙局,二区,\n甲局,三区,\n", encoding="utf-8")
    with pytest.raises(RosterError, match="第 4 行的“甲局”与第 2 行重复"):
        load_roster(Workspace(tmp_path))
    (tmp_path / "units.csv").write_text("单位,地区,别名\n甲局,一区,乙局\n乙局,二区,\n", encoding="utf-8")
    with pytest.raises(RosterError, match="都叫“乙局”"):
        load_roster(Workspace(tmp_path))


def test_header_and_blank_lines_only_give_an_empty_roster(tmp_path):
    (tmp_path / "units.csv").write_bytes("单位,地区,别名\r\n,,\r\n".encode("utf-8-sig"))
    assert load_roster(Workspace(tmp_path)).units == []


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("塔河县安委会", "塔河县安委会"),
        ("塔河县安委会（盖章）", "塔河县安委会"),
        (" 塔河县 安委会 ", "塔河县安委会"),
        ("塔河县安委办", "塔河县安委会"),  # another suffix for the same body
        ("塔河县安全生产委员会办公室", "塔河县安委会"),
        ("塔河安委会", "塔河县安委会"),  # an alias
        ("大兴安岭地区塔河县安委会", "塔河县安委会"),  # a longer form of the name
        ("应急局", "地区应急管理局"),
        ("地区应急管理局(公章)", "地区应急管理局"),
        ("ｄ地区公安局"[1:], "地区公安局"),
    ],
)
def test_header_matches_tolerantly(roster, written, unit):
    result = roster.match(written, None)
    assert result.ok, result.reason
    assert result.unit.name == unit
    assert result.by == "表头"


@pytest.mark.parametrize("written", ["呼中", "林业局", "安委会"])
def test_never_guesses_between_two_units(roster, written):
    result = roster.match(written, None)
    assert not result.ok
    assert len(result.candidates) >= 2
    assert "无法确定是哪一个" in result.reason


def test_too_short_is_not_matched_even_when_unique(roster):
    result = roster.match("应急", None)
    assert not result.ok
    assert result.reason == "填报单位“应急”写得太简略，可能是“地区应急管理局”"


def test_unknown_unit(roster):
    result = roster.match("某某不存在局", "塔河县安委会-统计表（错误6）.xlsx")
    assert not result.ok
    assert result.reason == "填报单位“某某不存在局”不在名单中"
    assert [u.name for u in result.candidates] == ["塔河县安委会"]  # what the file name suggests


def test_header_and_filename_naming_different_units_is_held(roster):
    result = roster.match("呼中林业局", "附件3 塔河林业局.xlsx")
    assert not result.ok
    assert result.reason == "表头填报单位是“呼中林业局”（呼中林业局），文件名却是“塔河林业局”，两者不一致"


def test_filename_agrees_or_says_nothing(roster):
    assert roster.match("塔河林业局", "附件3 塔河林业局.xlsx").unit.name == "塔河林业局"
    assert roster.match("塔河林业局", "统计表.xlsx").unit.name == "塔河林业局"
    # 塔河县安委会 contains no other unit's name; 塔河林业局 is not inside it
    assert roster.match("塔河县安委会", "塔河县安委会-统计表（错误1）.xlsx").unit.name == "塔河县安委会"


def test_blank_header_falls_back_to_template_and_filename(roster):
    by_name = roster.match("", "附件3 呼中林业局.xlsx")
    assert by_name.unit.name == "呼中林业局" and by_name.by == "文件名"
    by_template = roster.match(None, "统计表.xlsx", template_unit="地区公安局")
    assert by_template.unit.name == "地区公安局" and by_template.by == "模板"
    conflict = roster.match(None, "附件3 呼中林业局.xlsx", template_unit="地区公安局")
    assert not conflict.ok and "不一致" in conflict.reason
    nothing = roster.match(None, "统计表.xlsx")
    assert not nothing.ok and nothing.reason == "表头没有填写填报单位，文件名也看不出是哪个单位"


def test_template_unit_contradicting_header_is_held(roster):
    result = roster.match("地区公安局", "统计表.xlsx", template_unit="呼中林业局")
    assert not result.ok and "模板却是“呼中林业局”" in result.reason


def test_fold():
    assert fold(" 塔河县安委会（盖章）： ") == "塔河县安委会"
    assert fold("ＡＢＣ局") == "abc局"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_add_alias_keeps_the_file_encoding(tmp_path, encoding):
    (tmp_path / "units.csv").write_bytes(_csv().encode(encoding))
    workspace = Workspace(tmp_path)
    add_alias(workspace, "塔河林业局", "某某不存在局")
    data = (tmp_path / "units.csv").read_bytes()
    assert data.decode(encoding).splitlines()[2] == "塔河林业局,塔河县,某某不存在局"
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    roster = load_roster(workspace)
    assert roster.match("某某不存在局", None).unit.name == "塔河林业局"
    add_alias(workspace, "塔河林业局", "某某不存在局")  # again: nothing changes
    assert (tmp_path / "units.csv").read_bytes() == data
    with pytest.raises(RosterError, match="名单中没有单位“无此局”"):
        add_alias(workspace, "无此局", "甲")
    with pytest.raises(RosterError, match="已经是“地区应急管理局”的名称或别名"):
        add_alias(workspace, "塔河林业局", "应急局")
