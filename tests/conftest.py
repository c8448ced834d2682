import json
from pathlib import Path

import pytest

from collector.forms.model import load_forms

DATA = Path(__file__).parent / "data"
SAMPLE_FORMS = ("dxal-2020", "haicheng-2020", "changchun-2019")


@pytest.fixture(scope="session")
def forms():
    return load_forms()


def truth(form_id: str) -> dict:
    return json.loads((DATA / form_id / "truth.json").read_text(encoding="utf-8"))


def sample_inbox(form_id: str) -> Path:
    return DATA / form_id / "inbox"
