import pytest

from collector.forms.values import chinese_numeral, normalize, read_number, read_text, read_yesno, strip_brackets


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("（12）", 12), ("（ 12 ）", 12), ("(12)", 12), ("（１２）", 12), ("（十二）", 12), ("12", 12),
        ("1,200", 1200), ("（1,200）", 1200), ("（0）", 0), ("（/）", 0), ("（无）", 0), ("零", 0),
        ("（二十五）", 25), ("一百二十", 120), ("两千零五", 2005), ("三万", 30000), ("(12场)", 12),
    ],
)
def test_counts_written_every_way(written, value):
    reading = read_number(written, unit="场")
    assert (reading.value, reading.problem) == (value, None)


@pytest.mark.parametrize(("written", "value"), [("约300", 300), ("300余", 300), ("300多", 300), ("近300", 300)])
def test_approximations_are_counted_with_a_warning(written, value):
    assert read_number(written, unit="人") == type(read_number("1"))(value, "approx")


@pytest.mark.parametrize(
    ("written", "problem"),
    [("（ ）", "blank"), ("（）", "blank"), ("", "blank"), ("（-3）", "negative"), ("2.5", "decimal"),
     ("（若干）", "not_number"), ("很多", "not_number")],
)
def test_count_problems(written, problem):
    assert read_number(written, unit="人次").problem == problem


def test_percent():
    assert read_number("（4.5）", whole=False).value == 4.5
    assert read_number("120", whole=False).problem == "over_100"
    assert read_number("（ ）", whole=False).problem == "blank"


@pytest.mark.parametrize(
    ("written", "answer", "problem"),
    [
        ("☑是 □否", "是", None), ("□是 ☑否", "否", None), ("■是 □否", "是", None), ("√是 □否", "是", None),
        ("是√  否", "是", None), ("是  否√", "否", None), ("☒是 ☐否", "是", None), ("☐是 ☒否", "否", None),
        ("☑是 ☑否", None, "both"), ("□是 □否", None, "unanswered"), ("是", "是", None), ("", None, "unanswered"),
    ],
)
def test_yes_no_marks(written, answer, problem):
    reading = read_yesno(written)
    assert (reading.value, reading.problem) == (answer, problem)


def test_text_blank_keeps_words():
    assert read_text("（线上直播、现场启动）").value == "线上直播、现场启动"
    assert read_text("（ ）").problem == "blank"


def test_helpers():
    assert chinese_numeral("十") == 10
    assert chinese_numeral("abc") is None
    assert strip_brackets("（（12））") == "12"
    assert normalize("参与（ １２ ）人次；") == "参与(12)人次;"
