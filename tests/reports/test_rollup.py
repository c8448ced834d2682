"""Totals exact against independently computed sums, for every form; percents never summed; tallies."""

import random

import pandas as pd
import pytest

from collector.forms.model import load_forms
from collector.jobs.samples import realistic_values
from collector.reports.rollup import LONG_COLUMNS, rollup, tally_text

FORMS = load_forms()


def long_table(form, answers, regions):
    rows = []
    for i, values in enumerate(answers):
        for ref in form.blank_refs:
            rows.append((i + 1, f"单位{i}", regions[i], f"单位{i}.xlsx", 1, "2020-06-28T09:00", ref.key, "统计表!D4",
                         values.get(ref.key)))
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_totals_exact_for_every_form(form_id):
    form = FORMS[form_id]
    rng = random.Random(form_id)
    answers = [realistic_values(form, rng) for _ in range(9)]
    regions = ["甲区", "乙区", "丙区"] * 3
    rolled = rollup(form, long_table(form, answers, regions), ["甲区", "乙区", "丙区"])
    assert rolled.counted == 9
    for ref in form.blank_refs:
        column = [a[ref.key] for a in answers]
        total = rolled.totals[ref.key]
        if ref.kind == "count":
            assert total.sum == sum(column)
            for region in ("甲区", "乙区", "丙区"):
                expected = sum(v for v, r in zip(column, regions) if r == region)
                assert rolled.by_region.loc[region, ref.key] == expected
        elif ref.kind == "percent":
            assert total.mean == pytest.approx(sum(column) / len(column))
            assert (total.low, total.high) == (min(column), max(column))
        elif ref.kind == "yesno":
            assert (total.yes, total.no) == (column.count("是"), column.count("否"))
    by_activity = rolled.by_activity.set_index("key")
    for ref in form.blank_refs:
        if ref.kind == "count":
            assert by_activity.loc[ref.key, "total"] == sum(a[ref.key] for a in answers)


def test_blank_left_empty_counts_as_zero_and_percent_is_not_summed():
    form = FORMS["dxal-2020"]
    rng = random.Random(1)
    a, b = realistic_values(form, rng), realistic_values(form, rng)
    a["study.group_sessions"] = None
    a["five_in.volunteer_share"], b["five_in.volunteer_share"] = 2.0, 4.0
    rolled = rollup(form, long_table(form, [a, b], ["甲区", "甲区"]))
    assert rolled.totals["study.group_sessions"].sum == b["study.group_sessions"]
    share = rolled.totals["five_in.volunteer_share"]
    assert (share.mean, share.low, share.high, share.reported) == (3.0, 2.0, 4.0, 2)
    assert rolled.by_region.loc["甲区", "five_in.volunteer_share"] == 3.0


def test_yesno_ticked_only_when_every_unit_said_the_same_and_tally():
    form = FORMS["dxal-2020"]
    rng = random.Random(2)
    answers = [realistic_values(form, rng) for _ in range(3)]
    for a in answers:
        a["org.in_plan"] = "是"
        a["org.mechanism"] = "是"
        a["org.resources"] = "否"
    answers[2]["org.mechanism"] = "否"
    answers[1]["org.roadmap"] = None
    answers[0]["org.roadmap"] = answers[2]["org.roadmap"] = "是"
    answers[0]["effect.epidemic"], answers[1]["effect.epidemic"], answers[2]["effect.epidemic"] = "否", "否", None
    rolled = rollup(form, long_table(form, answers, ["甲区"] * 3))
    assert rolled.totals["org.in_plan"].answer == "是"
    assert rolled.totals["org.resources"].answer == "否"  # every unit said 否
    assert rolled.totals["org.mechanism"].answer is None  # 2 是, 1 否: neither box, the tally says it
    assert (rolled.totals["org.mechanism"].yes, rolled.totals["org.mechanism"].no) == (2, 1)
    assert rolled.totals["org.roadmap"].answer is None  # one unit did not answer: cannot say 是 for all
    assert rolled.totals["effect.epidemic"].answer is None  # nor 否 for all
    assert tally_text(2, 1) == "是2，否1"
    assert tally_text(2, 0, 1) == "是2，否0，未答1"


def test_free_text_distinct_answers_most_common_first():
    form = FORMS["dxal-2020"]
    rng = random.Random(3)
    answers = [realistic_values(form, rng) for _ in range(3)]
    answers[0]["launch.form"] = "视频会议、现场启动仪式"
    answers[1]["launch.form"] = "视频会议"
    answers[2]["launch.form"] = "网络直播，视频会议"
    rolled = rollup(form, long_table(form, answers, ["甲区"] * 3))
    assert rolled.totals["launch.form"].answers == (("视频会议", 3), ("现场启动仪式", 1), ("网络直播", 1))


def test_no_counted_returns_gives_zero_totals():
    form = FORMS["haicheng-2020"]
    rolled = rollup(form, pd.DataFrame(columns=LONG_COLUMNS))
    assert rolled.counted == 0
    assert all(t.sum == 0 for t in rolled.totals.values() if t.kind == "count")
