"""Returns written in the seed's layout read back exactly, for every form (demo, tests, benchmarks rely on it)."""

import random

import pytest

from collector.forms.model import load_forms
from collector.jobs.samples import realistic_values, write_return
from collector.reading.check import check_file

FORMS = load_forms()


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_written_return_reads_back_exactly(tmp_path, form_id):
    form = FORMS[form_id]
    values = realistic_values(form, random.Random(form_id))
    path = write_return(tmp_path / "回执 测试" / "某县应急局.xlsx", form, "某县应急管理局", values, contact="张三")
    result = check_file(path, FORMS)
    assert result.ok, result.problems
    assert result.form.id == form_id
    assert result.unit == "某县应急管理局"
    assert result.values == values


def test_raw_text_is_written_as_the_unit_wrote_it(tmp_path):
    form = FORMS["dxal-2020"]
    values = realistic_values(form, random.Random(0))
    values["study.group_attendance"] = "-3"
    values["study.group_sessions"] = "若干"
    result = check_file(write_return(tmp_path / "x.xlsx", form, "某单位", values), FORMS)
    assert {p.key: p.code for p in result.errors} == {"study.group_attendance": "negative",
                                                      "study.group_sessions": "not_number"}
