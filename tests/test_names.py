"""File names from outside: shown on one line, stored under a name every file system accepts."""

import os

import pytest

from collector.names import NAME_BYTES, safe_file_name, shown


@pytest.mark.parametrize("name, expected", [
    ("安监局-统计表.xlsx", "安监局-统计表.xlsx"),
    ("\u3000全角 空格.xlsx", "\u3000全角 空格.xlsx"),  # a wide space is text
    (os.fsdecode(b"\xb0\xb2\xbc\xe0.xlsx"), "\\xb0\\xb2\\xbc\\xe0.xlsx"),  # GBK bytes, not UTF-8
    ("a\nb.xlsx", "a\\nb.xlsx"),
    ("\x1b[2J\x1b[31m红.xlsx", "\\x1b[2J\\x1b[31m红.xlsx"),
    ("x\u202eslx.exe", "x\\u202eslx.exe"),  # a right-to-left override
    ("a\u2028b", "a\\u2028b"),  # a line separator
])
def test_a_name_is_shown_on_one_line_of_printable_text(name, expected):
    assert shown(name) == expected
    shown(name).encode("utf-8")  # printable anywhere, no lone surrogate left


def test_a_long_name_is_cut_to_the_byte_limit_with_a_hash_and_its_extension():
    long_a, long_b = "甲" * 100 + "A.xlsx", "甲" * 100 + "B.xlsx"
    a, b = safe_file_name(long_a), safe_file_name(long_b)
    assert len(a.encode()) <= NAME_BYTES and a.endswith(".xlsx") and "~" in a
    assert a != b  # two long names never fall together
    assert safe_file_name(long_a) == a  # the same name, the same stored name


def test_a_name_with_control_characters_and_windows_reserved_words_is_safe_to_write(tmp_path):
    for name in ("CON.xlsx", "a\nb\x1b.xlsx", os.fsdecode(b"\xb0\xb2.xlsx"), 'a<b>:"c"|?*.xlsx', "单位" * 80):
        safe = safe_file_name(name)
        (tmp_path / safe).write_bytes(b"x")  # no OSError 36, no invalid name
        assert "\n" not in safe and "\x1b" not in safe and "/" not in safe
    assert safe_file_name("CON.xlsx") == "_CON.xlsx"
