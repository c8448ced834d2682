"""The received time: the file's modification time in inbox/, clamped; or the date the clerk gives."""

from datetime import datetime

import pytest

from collector.errors import UsageError
from collector.inbox.received import parse_received, received_from_mtime

NOW = datetime(2020, 7, 2, 9, 30)


def test_the_modification_time_is_the_received_time_but_never_after_it_was_taken_in():
    taken_in = "2020-07-02T09:30:00.000000"
    saved = datetime(2020, 6, 29, 16, 20, 5).timestamp()
    assert received_from_mtime(saved, taken_in) == "2020-06-29T16:20:05.000000"
    future = datetime(2031, 1, 1).timestamp()  # copied from a machine whose clock runs ahead
    assert received_from_mtime(future, taken_in) == taken_in
    assert received_from_mtime(1e20, taken_in) == taken_in  # no time the platform can show


@pytest.mark.parametrize("written, kept", [
    ("2020-06-29", "2020-06-29"),
    ("2020/6/29", "2020-06-29"),
    ("2020.6.29", "2020-06-29"),
    (" 2020年6月29日 ", "2020-06-29"),
    ("2020年6月29号", "2020-06-29"),
    ("20200629", "2020-06-29"),
    ("2020-06-29 17:30", "2020-06-29T17:30:00"),
    ("2020-06-29T17:30:15", "2020-06-29T17:30:15"),
    ("2020年6月29日 17点30分", "2020-06-29T17:30:00"),
    ("2020-07-02", "2020-07-02"),  # today
])
def test_the_date_forms_a_clerk_types(written, kept):
    assert parse_received(written, NOW) == kept


@pytest.mark.parametrize("written, words", [
    ("六月二十九", "看不懂"),
    ("2020-06", "看不懂"),
    ("29/06/2020", "看不懂"),
    ("2020-02-30", "不是有效的日期"),
    ("2020-06-29 25:00", "不是有效的日期"),
    ("2020-07-03", "晚于现在"),
    ("2020-07-02 10:00", "晚于现在"),
])
def test_what_is_not_a_date_or_lies_ahead_is_a_usage_error_saying_what_to_write(written, words):
    with pytest.raises(UsageError) as caught:
        parse_received(written, NOW)
    assert words in str(caught.value) and caught.value.exit_code == 2
    if words != "晚于现在":
        assert "2020年6月29日" in str(caught.value)  # the forms it takes
