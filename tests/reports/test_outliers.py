"""存疑 figures: far above the peers, and people counted for an activity with no sessions."""

import pandas as pd

from collector.forms.model import load_forms
from collector.reports.outliers import find_suspects, related_pairs

FORM = load_forms()["dxal-2020"]


def detail(values_by_unit):
    rows = []
    for unit, values in values_by_unit.items():
        row = {"unit": unit, "file": f"{unit}.xlsx"}
        row.update({ref.key: 0 for ref in FORM.blank_refs if ref.kind == "count"})
        row.update(values)
        rows.append(row)
    return pd.DataFrame(rows)


def test_relations_come_from_the_form_units():
    pairs = related_pairs(FORM)
    assert ("study.group_sessions", "study.group_attendance") in pairs
    assert ("inspect.screenings", "inspect.screening_attendance") in pairs


def test_value_far_above_peers_is_suspect_with_its_cell():
    table = detail({f"单位{i}": {"study.group_sessions": 2, "study.group_attendance": v}
                    for i, v in enumerate([40, 60, 50, 45, 52, 6000])})
    suspects = find_suspects(FORM, table, {("单位5.xlsx", "study.group_attendance"): "统计表!D5"})
    assert [(s.unit, s.key, s.value, s.cell) for s in suspects] == [
        ("单位5", "study.group_attendance", 6000, "统计表!D5")
    ]
    assert suspects[0].message.startswith("存疑：“理论学习中心组专题学习·参与人次”填报6000，是其他单位中位数（50）的120倍")


def test_below_floor_or_few_peers_is_not_suspect():
    small = detail({f"单位{i}": {"study.group_sessions": v} for i, v in enumerate([1, 1, 1, 1, 90])})
    assert find_suspects(FORM, small) == []  # 90 > 10 × 1 but under the floor
    few = detail({"甲": {"study.group_attendance": 10, "study.group_sessions": 1},
                  "乙": {"study.group_attendance": 5000, "study.group_sessions": 1}})
    assert find_suspects(FORM, few) == []


def test_people_without_sessions_is_suspect():
    table = detail({"甲": {"inspect.screenings": 0, "inspect.screening_attendance": 300}})
    suspects = find_suspects(FORM, table)
    assert len(suspects) == 1
    assert suspects[0].key == "inspect.screening_attendance"
    assert "为0" in suspects[0].message


def test_median_of_the_others_matches_leaving_each_out():
    import random
    import statistics

    import numpy as np

    from collector.reports.outliers import _medians_without

    rng = random.Random(0)
    for n in (2, 3, 4, 5, 8, 11):
        data = sorted(rng.randint(1, 50) for _ in range(n))
        got = _medians_without(np.array(data, dtype=float), np.array(data, dtype=float))
        for value, median in zip(data, got):
            others = list(data)
            others.remove(value)
            assert median == statistics.median(others)
