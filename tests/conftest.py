import json
import os
import random
import shutil
import time
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

