import pytest

from collector.forms.values import (
    BadNumeral,
    chinese_numeral,
    normalize,
    parse_numeral,
    read_number,
    read_text,
    read_yesno,
    strip_brackets,
)


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


# ---------------------------------------------------------------------------------------------
# numerals written every way a person writes them (issue #13 §1)

#: the ways issue #13 lists: standard, the last unit dropped, 两, digits with 万/千, full width
WRITTEN_EVERY_WAY = {
    "三百五十": 350, "两千零五": 2005, "一万二千": 12000, "四万零一十": 40010, "十二": 12,
    "三百五": 350, "两万五": 25000, "一万二": 12000, "一百一": 110, "两千五": 2500,
    "2.5万": 25000, "7.14万": 71400, "3千": 3000, "1万2千": 12000, "1.2万": 12000, "１２": 12, "1，200": 1200,
    "二十五": 25, "一千零五十": 1050, "一千零五": 1005, "一万零五百": 10500, "两万五千五": 25500, "两百": 200,
    "1万2": 12000, "十五万": 150000, "（三百五）": 350, "（ 2.5万 ）": 25000, "约两万五": 25000,
}

#: cn2an's test cases (Ailln/cn2an, cn2an/cn2an_test.py: strict_data_dict, the whole numbers; and
#: normal_data_dict's 十万 / 十万零一 / 拾万零壹, which it reads in its "normal" mode) — the facts
#: carry over, the code does not
CN2AN_STRICT = {
    "一": 1, "两": 2, "十": 10, "十一": 11, "一十一": 11, "一百一十一": 111, "一千一百一十一": 1111,
    "一万一千一百一十一": 11111, "一十一万一千一百一十一": 111111, "一百一十一万一千一百一十一": 1111111,
    "一千一百一十一万一千一百一十一": 11111111, "一亿一千一百一十一万一千一百一十一": 111111111,
    "一十一亿一千一百一十一万一千一百一十一": 1111111111, "一百一十一亿一千一百一十一万一千一百一十一": 11111111111,
    "一千一百一十一亿一千一百一十一万一千一百一十一": 111111111111,
    "壹": 1, "拾": 10, "拾壹": 11, "壹拾壹": 11, "壹佰壹拾壹": 111, "壹仟壹佰壹拾壹": 1111,
    "壹万壹仟壹佰壹拾壹": 11111, "壹拾壹万壹仟壹佰壹拾壹": 111111, "壹佰壹拾壹万壹仟壹佰壹拾壹": 1111111,
    "壹仟壹佰壹拾壹万壹仟壹佰壹拾壹": 11111111, "壹亿壹仟壹佰壹拾壹万壹仟壹佰壹拾壹": 111111111,
    "壹拾壹亿壹仟壹佰壹拾壹万壹仟壹佰壹拾壹": 1111111111, "壹佰壹拾壹亿壹仟壹佰壹拾壹万壹仟壹佰壹拾壹": 11111111111,
    "壹仟壹佰壹拾壹亿壹仟壹佰壹拾壹万壹仟壹佰壹拾壹": 111111111111,
    "一百零一": 101, "一千零一": 1001, "一千零一十一": 1011, "一千一百零一": 1101, "一万零一": 10001,
    "一万零一十一": 10011, "一万零一百一十一": 10111, "一十万零一": 100001, "一百万零一": 1000001,
    "一千万零一": 10000001, "一千零一万一千零一": 10011001, "一千零一万零一": 10010001, "一亿零一": 100000001,
    "一十亿零一": 1000000001, "一百亿零一": 10000000001, "一千零一亿一千零一万一千零一": 100110011001,
    "一千亿一千万一千零一": 100010001001, "一千亿零一": 100000000001,
    "十万": 100000, "十万零一": 100001, "拾万零壹": 100001, "十亿零一万零一": 1000010001,
}


@pytest.mark.parametrize(("written", "value"), sorted({**WRITTEN_EVERY_WAY, **CN2AN_STRICT}.items()))
def test_numerals_read_exactly(written, value):
    reading = read_number(written, unit="人次")
    assert reading.value == value and type(reading.value) is int
    assert reading.problem in (None, "approx")


#: not a well-formed number: issue #13's, and cn2an's strict-mode errors that are numeral characters
#: (一一, 壹壹 — its "normal" mode reads them digit by digit as 11; a count written so is ambiguous)
MALFORMED = ["一二", "五五", "十十", "百百", "万万", "一一", "壹壹", "百", "千", "万", "一万二百", "一千五十",
             "一千零五百", "零五", "三百零", "一十零五", "一七二零", "12千", "2.5万3千", "二十二十"]


@pytest.mark.parametrize("written", MALFORMED)
def test_malformed_numerals_are_errors_never_a_number(written):
    assert read_number(written, unit="人").problem == "bad_numeral"
    assert chinese_numeral(written) is None
    with pytest.raises(BadNumeral):
        parse_numeral(written)


@pytest.mark.parametrize("written", ["零点", "点零", "点一", "零点点", "零点零大", "若干"])
def test_cn2an_error_cases_that_are_not_numerals_are_not_numbers(written):
    assert read_number(written, unit="人").problem == "not_number"


def test_a_wan_form_that_is_not_a_whole_count_is_an_error():
    assert read_number("1.23456万", unit="人") == type(read_number("1"))(12345.6, "not_whole")
    assert read_number("2.5万", unit="人").value == 25000  # exact: no 24999.999…


def test_percent_with_digits_stays_a_decimal():
    assert read_number("（85.5）", whole=False).value == 85.5
    assert read_number("（八十五）", whole=False).value == 85
