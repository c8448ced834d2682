"""Word returns (.docx) read as sheets: every fill style Word users have, merged cells, split tables,
positions in Word's terms, and the same caps as a workbook. The documents are made here with
python-docx (what Word writes), the checkbox controls and symbols with the XML Word writes for them."""

import io
import json
import random
import re
import shutil
import zipfile
from datetime import date

import pytest
from conftest import DATA
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from collector.errors import TooLarge, UnreadableWorkbook, UnsafeXML
from collector.forms.model import load_forms
from collector.jobs.samples import realistic_values
from collector.reading.check import check_file
from collector.reading.word import open_docx
from collector.reports.seed_sheet import fill_line, format_number

FORMS = load_forms()
FORM = FORMS["dxal-2020"]
WORD_SAMPLES = DATA / "dxal-2020-word"

_W14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'


# ---------------------------------------------------------------------------------------------
# writing Word returns the ways units fill them


def _checkbox_control(checked: bool):
    mark = "☒" if checked else "☐"
    return parse_xml(
        f'<w:sdt {nsdecls("w")} {_W14}><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/><w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
        '</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" '
        f'w:hAnsi="MS Gothic"/></w:rPr><w:t>{mark}</w:t></w:r></w:sdtContent></w:sdt>'
    )


def _sym(font: str, char: str):
    return parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="{font}" w:char="{char}"/></w:r>')


def _font_run(font: str, text: str):
    return parse_xml(f'<w:r {nsdecls("w")}><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>'
                     f'<w:t xml:space="preserve">{text}</w:t></w:r>')


def _form_field(checked: bool):
    """A legacy FORMCHECKBOX field, as Word 97-2003 documents have them."""
    return [
        parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/>'
                  f'<w:enabled/><w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/><w:default w:val="{int(checked)}"/>'
                  '</w:checkBox></w:ffData></w:fldChar></w:r>'),
        parse_xml(f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'),
        parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>'),
    ]


#: how each style writes a ticked and an unticked box
BOX_STYLES = {
    "content_control": lambda checked: [_checkbox_control(checked)],
    "wingdings2_sym": lambda checked: [_sym("Wingdings 2", "F052" if checked else "F0A3")],
    "wingdings_sym": lambda checked: [_sym("Wingdings", "F0FE" if checked else "F0A8")],
    "wingdings2_typed": lambda checked: [_font_run("Wingdings 2", "R" if checked else "£")],
    "wingdings_typed": lambda checked: [_font_run("Wingdings", "þ" if checked else "¨")],
    "form_field": _form_field,
}


def _add_text(paragraph, text: str, boxes: str | None) -> None:
    """``text`` into ``paragraph``; its ☑ / □ written in the style ``boxes`` (None: as typed characters)."""
    if boxes is None:
        paragraph.add_run(text)
        return
    piece = ""
    for ch in text:
        if ch in "☑□":
            if piece:
                paragraph.add_run(piece)
                piece = ""
            for element in BOX_STYLES[boxes](ch == "☑"):
                paragraph._p.append(element)
        else:
            piece += ch
    if piece:
        paragraph.add_run(piece)


def _line_texts(activity, values, yesno_written):
    out = []
    for line in activity.lines:
        fills = [values.get(b.key) for b in line.blanks if b.kind != "yesno"]
        fills = [format_number(v) if isinstance(v, (int, float)) else v for v in fills]
        question = next((b for b in line.blanks if b.kind == "yesno"), None)
        text = fill_line(line, fills, values.get(question.key) if question else None)
        if question and yesno_written is not None:
            text = text.replace("☑是 □否" if values[question.key] == "是" else "□是 ☑否",
                                yesno_written[values[question.key]])
        out.append(text)
    return out


def word_return(path, values, *, unit="呼中林业局", boxes=None, yesno_written=None, lines_as="paragraphs",
                split_after=None, repeat_head=True, header_in_table=False, filled_on=date(2020, 6, 28)):
    """A 兴安行 return as a unit sends it in Word: title and header line above one table (the section
    column merged down), progress lines as paragraphs (or one paragraph with line breaks)."""
    doc = Document()
    header_line = f"填报单位（盖章）：{unit}    联系人：张三    电话：0457-1234567    填报日期：{filled_on.isoformat()}"
    if not header_in_table:
        doc.add_paragraph(FORM.title)
        doc.add_paragraph(header_line)
    head = ["", *FORM.columns]
    rows = [(section, activity) for section in FORM.sections for activity in section.activities]
    parts = [rows] if split_after is None else [rows[:split_after], rows[split_after:]]
    for part_no, part in enumerate(parts):
        if part_no:
            doc.add_paragraph()  # the empty paragraph Word keeps between two tables
        top = [] if part_no or not header_in_table else [FORM.title, header_line]
        with_head = part_no == 0 or repeat_head
        table = doc.add_table(rows=len(top) + with_head + len(part), cols=4)
        for r, text in enumerate(top):
            merged = table.cell(r, 0).merge(table.cell(r, 3))
            merged.text = text
        r0 = len(top)
        if with_head:
            for c, text in enumerate(head):
                table.cell(r0, c).text = text
            r0 += 1
        start = r0
        for r, (section, activity) in enumerate(part, start=r0):
            table.cell(r, 1).text = activity.seed_name
            table.cell(r, 2).text = activity.requirement
            cell = table.cell(r, 3)
            texts = _line_texts(activity, values, yesno_written)
            paragraph = cell.paragraphs[0]
            if lines_as == "breaks":
                for i, text in enumerate(texts):
                    if i:
                        paragraph.add_run().add_break()
                    _add_text(paragraph, text, boxes)
            else:
                for i, text in enumerate(texts):
                    _add_text(paragraph if i == 0 else cell.add_paragraph(), text, boxes)
            is_last = r == r0 + len(part) - 1 or part[r - r0 + 1][0] is not section
            if is_last:
                merged = table.cell(start, 0).merge(table.cell(r, 0)) if r > start else table.cell(r, 0)
                merged.text = section.name
                start = r + 1
    doc.save(path)
    return path


def values_for(seed: int = 1) -> dict:
    return realistic_values(FORM, random.Random(seed))


def _counted(result):
    return {k: v for k, v in result.values.items()}


# ---------------------------------------------------------------------------------------------
# the grid


def test_table_is_a_grid_with_merged_cells_both_ways_and_paragraphs_above(tmp_path):
    path = word_return(tmp_path / "r.docx", values_for(), header_in_table=True)
    (sheet,) = open_docx(path).sheets
    assert sheet.rows[0][0] == FORM.title and sheet.rows[0][1:] == [None, None, None]
    assert sheet.rows[1][0].startswith("填报单位（盖章）：呼中林业局")
    assert sheet.rows[2] == ["", *FORM.columns]
    first_section = FORM.sections[0]
    n = len(first_section.activities)
    assert sheet.rows[3][0] == first_section.name
    assert all(sheet.rows[r][0] is None for r in range(4, 3 + n))
    assert ((0, 0), (0, 3)) in sheet.merged and ((1, 0), (1, 3)) in sheet.merged
    assert ((3, 0), (3 + n - 1, 0)) in sheet.merged
    # the second activity's two progress lines, one per paragraph
    assert sheet.rows[4][3].count("\n") == len(first_section.activities[1].lines) - 1


@pytest.mark.parametrize("boxes", [None, *BOX_STYLES])
def test_every_way_of_ticking_reads_exactly(tmp_path, boxes):
    values = values_for(2)
    values["org.in_plan"], values["org.mechanism"] = "否", "是"
    path = word_return(tmp_path / "呼中林业局.docx", values, boxes=boxes)
    result = check_file(path, FORMS)
    assert result.ok, result.problems
    assert result.unit == "呼中林业局"
    assert result.header["填报日期"] == "2020-06-28"
    assert _counted(result) == values


@pytest.mark.parametrize("written", [{"是": "是√ 否", "否": "是 否√"}, {"是": "√是 □否", "否": "□是 √否"}])
def test_a_tick_typed_beside_reads(tmp_path, written):
    values = values_for(3)
    values["org.in_plan"], values["org.mechanism"] = "否", "是"
    result = check_file(word_return(tmp_path / "r.docx", values, yesno_written=written), FORMS)
    assert result.ok, result.problems
    assert _counted(result) == values


def test_lines_as_line_breaks_in_one_paragraph(tmp_path):
    values = values_for(4)
    result = check_file(word_return(tmp_path / "r.docx", values, lines_as="breaks"), FORMS)
    assert result.ok, result.problems
    assert _counted(result) == values


@pytest.mark.parametrize("repeat_head", [True, False])
def test_a_table_split_over_two_pages_reads_as_one(tmp_path, repeat_head):
    values = values_for(5)
    path = word_return(tmp_path / "r.docx", values, split_after=4, repeat_head=repeat_head)
    workbook = open_docx(path)
    assert [s.name for s in workbook.sheets] == ["表1-2"]
    result = check_file(path, FORMS)
    assert result.ok, result.problems
    assert _counted(result) == values
    # a blank in the second table is placed in it: its row counts from that table's top
    key = FORM.activities[5].lines[0].blanks[0].key
    assert result.cells[key] == f"表2 第{1 + repeat_head + 1}行第4列"


def test_header_in_merged_table_rows_reads(tmp_path):
    values = values_for(6)
    result = check_file(word_return(tmp_path / "r.docx", values, header_in_table=True), FORMS)
    assert result.ok, result.problems
    assert result.unit == "呼中林业局" and result.header["联系人"] == "张三"
    assert _counted(result) == values


def test_value_typed_in_its_own_runs_and_a_value_in_a_new_paragraph(tmp_path):
    """Word splits what is typed into runs (a different format, a spell check); a header value typed
    after pressing Enter is a new paragraph of the cell."""
    doc = Document()
    doc.add_paragraph(FORM.title)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "填报单位（盖章）："
    table.cell(0, 0).add_paragraph("呼中林业局")
    p = table.cell(1, 0).paragraphs[0]
    p.add_run("以（")
    p.add_run("视频").bold = True
    p.add_run("会议")
    p.add_run("）等形式启动“安全生产月”活动（")
    p.add_run("1").underline = True
    p.add_run("2")
    p.add_run("）场次。")
    doc.save(tmp_path / "r.docx")
    (sheet,) = open_docx(tmp_path / "r.docx").sheets
    assert sheet.rows[1][0] == "填报单位（盖章）：\n呼中林业局"
    assert sheet.rows[2][0] == "以（视频会议）等形式启动“安全生产月”活动（12）场次。"


def test_positions_are_said_in_word_terms(tmp_path):
    values = values_for(7)
    values["launch.sessions"] = "-3"
    result = check_file(word_return(tmp_path / "r.docx", values), FORMS)
    (error,) = result.errors
    # title and header line above; the table's row 1 is its column heads, row 2 the first activity
    assert error.cell == "表1 第2行第4列"
    assert result.cells["launch.form"] == "表1 第2行第4列"


def test_paragraph_positions(tmp_path):
    path = word_return(tmp_path / "r.docx", values_for())
    (sheet,) = open_docx(path).sheets
    assert sheet.address(1, 0) == "表1上方第2段"


# ---------------------------------------------------------------------------------------------
# the shared samples, read and then taken in and totalled as workbooks are


def _sample_cases():
    for path in sorted((WORD_SAMPLES / "inbox").iterdir()):
        if path.suffix in (".docx", ".doc"):
            yield pytest.param(path, id=path.name)


@pytest.mark.parametrize("path", list(_sample_cases()))
def test_word_sample_reads_as_truth_says(path):
    truth = json.loads((WORD_SAMPLES / "truth.json").read_text(encoding="utf-8"))
    result = check_file(path, FORMS)
    assert result.ok, result.problems
    assert result.unit in truth["valid_units"] and result.unit in path.stem
    got = [result.values[ref.key] for ref in FORM.blank_refs]
    got = [0 if (v is None and ref.kind in ("count", "percent")) else v for v, ref in zip(got, FORM.blank_refs)]
    assert got == truth["values"][result.unit]
    assert all(re.fullmatch(r"表1 第\d+行第4列", result.cells[ref.key]) for ref in FORM.blank_refs)


def test_word_returns_are_taken_in_and_totalled_like_workbooks(tmp_path):
    from collector.inbox.ingest import ingest
    from collector.inbox.workspace import init_workspace
    from collector.reports.summarize import summarize

    truth = json.loads((WORD_SAMPLES / "truth.json").read_text(encoding="utf-8"))
    ws = init_workspace(tmp_path / "工作 目录", "dxal-2020", office="大兴安岭地区安委办").workspace
    shutil.copyfile(WORD_SAMPLES / "units.csv", ws.root / "units.csv")
    for path in (WORD_SAMPLES / "inbox").iterdir():
        shutil.copyfile(path, ws.inbox / path.name)
    result = ingest(ws, period=truth["period"])
    states = {o.name: o.state for o in result.outcomes}
    assert set(states.values()) == {"accepted"}, {n: (o.state, o.reason) for o in result.outcomes for n in [o.name]}
    assert len(states) == len(truth["valid_units"])
    report = summarize(ws, truth["period"])
    assert report.counted == len(truth["valid_units"])
    back = check_file(report.path, FORMS)
    index = {(s[0], s[1], s[2]): i for i, s in enumerate(truth["slots"])}
    for row, line, blank, total in truth["totals"]:
        ref = FORM.blank_refs[index[(row, line, blank)]]
        if ref.kind == "count":
            assert back.values[ref.key] == total, ref.label
    # a Word return sent back says where in Word terms
    bad = tmp_path / "塔河林业局-统计表.docx"
    values = values_for(9)
    values["launch.sessions"] = "-3"
    word_return(bad, values, unit="塔河林业局")
    shutil.copyfile(bad, ws.inbox / "塔河林业局-更正.docx")
    (outcome,) = ingest(ws, period=truth["period"]).outcomes
    assert outcome.state == "returned" and "表1 第2行第4列" in outcome.reason
    assert "表1 第2行第4列" in outcome.receipt.read_text(encoding="utf-8")
    # a corrected return in Word is the unit's next version, and counts instead of the first
    fixed = values_for(10)
    word_return(tmp_path / "更正.docx", fixed, unit="呼中林业局")
    shutil.copyfile(tmp_path / "更正.docx", ws.inbox / "呼中林业局-更正.docx")
    (outcome,) = ingest(ws, period=truth["period"]).outcomes
    assert (outcome.state, outcome.unit, outcome.version) == ("accepted", "呼中林业局", 2)
    assert summarize(ws, truth["period"]).counted == len(truth["valid_units"])


# ---------------------------------------------------------------------------------------------
# untrusted input


def _docx_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused(tmp_path):
    data = _docx_with({"word/document.xml": b"<w:document/>", "word/media/bomb.bin": b"\0" * (201 * 1024 * 1024)})
    assert len(data) < 1024 * 1024
    with pytest.raises(TooLarge):
        open_docx(tmp_path / "炸弹.docx", data)


def test_too_many_members_are_refused(tmp_path):
    data = _docx_with({"word/document.xml": b"<w:document/>", **{f"word/x{i}.xml": b"" for i in range(2001)}})
    with pytest.raises(TooLarge):
        open_docx(tmp_path / "多.docx", data)


def test_entities_are_refused(tmp_path):
    xml = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           b"<w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>")
    with pytest.raises(UnsafeXML):
        open_docx(tmp_path / "实体.docx", _docx_with({"word/document.xml": xml}))


def test_truncated_docx_is_one_error(tmp_path):
    data = (WORD_SAMPLES / "inbox" / "呼中林业局-统计表.docx").read_bytes()
    with pytest.raises(UnreadableWorkbook):
        open_docx(tmp_path / "半截.docx", data[: len(data) // 2])
    (tmp_path / "半截.docx").write_bytes(data[: len(data) // 2])
    result = check_file(tmp_path / "半截.docx", FORMS)
    assert result.error_code == "unreadable" and "损坏" in result.problems[0].message


def test_password_protected_docx_is_one_line(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = WORD_SAMPLES / "inbox" / "呼中林业局-统计表.docx"
    path = tmp_path / "加密.docx"
    with plain.open("rb") as src, path.open("wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    result = check_file(path, FORMS)
    assert result.error_code == "password" and len(result.problems) == 1 and "密码" in result.problems[0].message
