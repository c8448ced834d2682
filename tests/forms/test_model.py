"""Form files: every bundled form loads, a broken one is refused by name and field, a workspace overrides."""

import shutil

import pytest

from collector.errors import FormFileError
from collector.forms.model import bundled_schemas_dir, load_form_file, load_forms

EXPECTED = {"dxal-2020": 83, "haicheng-2020": 66, "changchun-2019": 39, "liaoning-scjg-2020": 64}


def test_bundled_forms_and_their_blanks():
    forms = load_forms()
    assert {f: len(forms[f].blank_refs) for f in EXPECTED} == EXPECTED
    for form in forms.values():
        for ref in form.blank_refs:
            assert ref.label and ref.kind in ("count", "percent", "text", "yesno")
            if ref.kind in ("count", "percent"):
                assert ref.blank.unit
        # rows the seed leaves unnamed get a descriptive activity name for grouping
        assert all(a.name for a in form.activities)
    assert forms["liaoning-scjg-2020"].notes  # says what was rebuilt and from where
    assert forms["changchun-2019"].header == ["单位"]


def test_installed_package_carries_its_forms(tmp_path, monkeypatch):
    import collector.forms.model as module

    package = tmp_path / "site-packages" / "collector"
    shutil.copytree(bundled_schemas_dir(), package / "_schemas")
    monkeypatch.setattr(module, "__file__", str(package / "forms" / "model.py"))
    assert module.bundled_schemas_dir() == package / "_schemas"


def _broken(tmp_path, old, new):
    text = (bundled_schemas_dir() / "haicheng-2020.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "坏表.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_blank_without_its_unit_is_refused_naming_file_and_field(tmp_path):
    path = _broken(tmp_path, 'kind = "count", unit = "场次" }', 'kind = "count" }')
    with pytest.raises(FormFileError) as caught:
        load_form_file(path)
    message = str(caught.value)
    assert "坏表.toml" in message and "sections.0.activities.0.lines.0.blanks.1" in message


def test_not_toml_is_refused(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text("id = ", encoding="utf-8")
    with pytest.raises(FormFileError, match="TOML"):
        load_form_file(path)


def test_workspace_form_overrides_by_id_and_adds(tmp_path):
    own = tmp_path / "schemas"
    own.mkdir()
    text = (bundled_schemas_dir() / "haicheng-2020.toml").read_text(encoding="utf-8")
    (own / "a.toml").write_text(text.replace('short_name = "平安临溟统计表"', 'short_name = "本地改过"'), encoding="utf-8")
    (own / "b.toml").write_text(text.replace('id = "haicheng-2020"', 'id = "haicheng-2021"'), encoding="utf-8")
    forms = load_forms(own)
    assert forms["haicheng-2020"].short_name == "本地改过"
    assert "haicheng-2021" in forms and "dxal-2020" in forms


def test_a_workspace_form_of_a_bundled_table_under_its_own_id_stands_in_for_it(tmp_path):
    own = tmp_path / "schemas"
    own.mkdir()
    text = (bundled_schemas_dir() / "haicheng-2020.toml").read_text(encoding="utf-8")
    (own / "imported.toml").write_text(text.replace('id = "haicheng-2020"', 'id = "form-2020-abc"'), encoding="utf-8")
    forms = load_forms(own)
    assert "form-2020-abc" in forms and "haicheng-2020" not in forms  # a return could not tell the two apart
    assert "dxal-2020" in forms
