import io
import json
import os
import random
import shutil
import time
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.packaging.custom import StringProperty

from collector.forms.model import load_forms
from collector.inbox.workspace import Workspace, init_workspace
from collector.jobs.samples import realistic_values, write_return

DATA = Path(__file__).parent / "data"
SAMPLE_FORMS = ("dxal-2020", "haicheng-2020", "changchun-2019")
FORMS = load_forms()


@pytest.fixture(scope="session")
def forms():
    return load_forms()


def truth(form_id: str) -> dict:
    return json.loads((DATA / form_id / "truth.json").read_text(encoding="utf-8"))


def sample_inbox(form_id: str) -> Path:
    return DATA / form_id / "inbox"


def make_workspace(tmp_path: Path, form_id: str = "dxal-2020", name: str = "工作 目录") -> Workspace:
    """A workspace (its path with Chinese characters and a space) with the sample roster."""
    result = init_workspace(tmp_path / name, form_id, office="地区安委办")
    shutil.copy(DATA / form_id / "units.csv", result.workspace.root / "units.csv")
    return result.workspace


def drop(workspace: Workspace, source: Path, name: str | None = None) -> Path:
    target = workspace.inbox / (name or source.name)
    shutil.copy2(source, target)
    return target


def make_return(path: Path, unit: str, *, form_id: str = "dxal-2020", seed: int = 1, filled_on: date | None = date(2020, 6, 28),
                changes: dict | None = None, properties: dict | None = None) -> Path:
    """A filled return written from code; ``properties``: custom document properties (our own template)."""
    form = FORMS[form_id]
    values = realistic_values(form, random.Random(seed))
    values.update(changes or {})
    write_return(path, form, unit, values, contact="联络员", phone="0457-2100000", filled_on=filled_on)
    if properties:
        wb = openpyxl.load_workbook(path)
        for key, value in properties.items():
            wb.custom_doc_props.append(StringProperty(name=key, value=value))
        wb.save(path)
    old = time.time() - 3600  # arrived an hour ago: complete
    os.utime(path, (old, old))
    return path



# ---------------------------------------------------------------------------------------------
# hostile and odd workbooks (issue 12), built tiny

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def write_sheet(path: Path, rows, merges=(), title: str = "Sheet") -> Path:
    """A one-sheet workbook of ``rows`` (lists of cell values), ``merges`` (``"A1:E1"``) merged."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def far_cells(path: Path, last: str) -> Path:
    """Two cells: A1 and ``last`` (XFD1048576: 1.8 KB that asked a reader for 512 GiB)."""
    wb = openpyxl.Workbook()
    wb.active.title = "统计表"
    wb.active["A1"] = 1
    wb.active[last] = 1
    wb.save(path)
    return path


def rewrite(source: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook with these parts replaced or added."""
    src = zipfile.ZipFile(io.BytesIO(source))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for m in src.infolist():
            z.writestr(m.filename, parts.pop(m.filename, None) or src.read(m.filename))
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def shared_string_bomb(path: Path, cells: int, text_bytes: int = 1 << 20) -> Path:
    """One shared string of ``text_bytes`` characters, used by ``cells`` cells."""
    wb = openpyxl.Workbook()
    wb.active.title = "统计表"
    wb.active["A1"] = "x"
    base = io.BytesIO()
    wb.save(base)
    rows = "".join(f'<row r="{r + 1}">' + "".join(f'<c r="{col}{r + 1}" t="s"><v>0</v></c>' for col in "ABCDEFGHIJ")
                   + "</row>" for r in range(cells // 10))
    sheet = f'<worksheet xmlns="{SHEET_NS}"><dimension ref="A1:J{cells // 10}"/><sheetData>{rows}</sheetData></worksheet>'
    sst = f'<sst xmlns="{SHEET_NS}" count="{cells}" uniqueCount="1"><si><t>{"a" * text_bytes}</t></si></sst>'
    rels = zipfile.ZipFile(io.BytesIO(base.getvalue())).read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    types = zipfile.ZipFile(io.BytesIO(base.getvalue())).read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    path.write_bytes(rewrite(base.getvalue(), {
        "xl/worksheets/sheet1.xml": sheet.encode(), "xl/sharedStrings.xml": sst.encode(),
        "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types}))
    return path


def with_macro_sheet(source: bytes) -> bytes:
    """An .xlsm with an Excel 4.0 macro sheet beside the return's sheet."""
    src = zipfile.ZipFile(io.BytesIO(source))
    return rewrite(source, {
        "xl/workbook.xml": src.read("xl/workbook.xml").replace(
            b"</sheets>", b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
            b'name="Macro1" sheetId="99" r:id="rId99"/></sheets>'),
        "xl/_rels/workbook.xml.rels": src.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.microsoft.com/office/2006/'
            b'relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/></Relationships>'),
        "[Content_Types].xml": src.read("[Content_Types].xml").replace(
            b"</Types>", b'<Override PartName="/xl/macrosheets/sheet1.xml" '
            b'ContentType="application/vnd.ms-excel.macrosheet+xml"/></Types>'),
        "xl/macrosheets/sheet1.xml": (
            f'<xm:macrosheet xmlns="{SHEET_NS}" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="b"><f>HALT()</f><v>0</v></c></row></sheetData></xm:macrosheet>'
        ).encode(),
    })


#: a table none of the bundled forms has (other header and column words, a 序号 column, 元/户/处/期, a blank
#: opening a line, a standalone □是 □否, bracketed words that are not blanks), as rows of a sheet
NEW_TABLE_ROWS = [
    ["2021年“平安乡村”重点工作完成情况表", None, None, None, None],
    ["报送单位：          填表日期：", None, None, None, None],
    ["序号", "类别", "重点活动", "工作要求", "完成情况"],
    [1, "宣传发动", "召开动员会", "全面部署（含视频会议）", "召开动员会（ ）期，投入经费（  ）元；\n（ ）个乡镇（街道）完成部署"],
    [2, None, "走访群众", "入户宣传", "走访( )户，覆盖社区（村）（ ）个，覆盖率（ ）%"],
    [3, "隐患整治", None, "排查隐患，建立台账。", "排查隐患（ ）处；以（ ）等形式公开"],
    [4, None, "建立台账", "台账完整", "□是    □否"],
]
NEW_TABLE_MERGES = ["A1:E1", "A2:E2", "B4:B5", "B6:B7"]
