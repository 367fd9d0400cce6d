"""thidua_xl.numbers and thidua_xl.text: scores as staff type them, numbers as documents print
them (rules.md §2–§3, domain.md §7)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from thidua_xl.numbers import (NotANumber, format_number, format_points, fraction_text,
                               is_multiple, parse_fraction, parse_score, two_digits)
from thidua_xl.text import ascii_fold, fold, normalize


@pytest.mark.parametrize("typed, points", [
    ("9.5", "9.5"),                 # decimal point
    ("9,5", "9.5"),                 # decimal comma (Vietnamese locale)
    (" 9,5 ", "9.5"),
    ("\u00a09,5\u200b", "9.5"),     # NBSP and a zero-width space left by Unikey/Word
    ("10", "10"),
    (",5", "0.5"),
    (9.5, "9.5"),                   # numeric cell
    (0.1, "0.1"),                   # a float cell keeps its shortest repr, not 0.1000000000000000055…
    (9, "9"),
    (Decimal("17.5"), "17.5"),
    ("-0", "0"),
])
def test_parse_score_accepts_numbers_and_text(typed, points):
    value = parse_score(typed)
    assert isinstance(value, Decimal)
    assert value == Decimal(points)
    assert str(value) == points


@pytest.mark.parametrize("blank", [None, "", "   ", "\u200b"])
def test_parse_score_blank_is_none(blank):
    assert parse_score(blank) is None


@pytest.mark.parametrize("bad", ["chín", "9,5,1", "9.5.1", "1e3", "9 điểm", "x", True,
                                 float("nan"), float("inf")])
def test_parse_score_rejects_non_numbers(bad):
    with pytest.raises(NotANumber) as info:
        parse_score(bad)
    assert "không phải là số" in str(info.value)


def test_parse_score_keeps_decimal_sums_exact():
    # 0.7 + 0.2 + 0.1 is 0.9999999999999999 in binary floats.
    assert 0.7 + 0.2 + 0.1 != 1.0
    assert parse_score(0.7) + parse_score("0,2") + parse_score(0.1) == Decimal(1)


@pytest.mark.parametrize("value, text", [
    (Decimal("106"), "106,0"),
    (Decimal("106.0"), "106,0"),
    (Decimal("101.25"), "101,25"),
    (Decimal("100"), "100,0"),       # 100 normalises to 1E+2: must still print plainly
    (Decimal("47.00"), "47,0"),
    (Decimal("0"), "0,0"),
])
def test_format_points_uses_decimal_comma(value, text):
    assert format_points(value) == text


def test_format_points_none():
    assert format_points(None) == ""
    assert format_points(None, empty="–") == "–"


@pytest.mark.parametrize("value, text", [
    (Decimal("7.5"), "7,5"), (7.5, "7,5"), (100, "100"), (Decimal("100.00"), "100"),
    (Decimal("0.25"), "0,25")])
def test_format_number(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize("count, text", [(0, "00"), (2, "02"), (9, "09"), (15, "15"),
                                         (100, "100")])
def test_two_digits(count, text):
    assert two_digits(count) == text


@pytest.mark.parametrize("text, share", [
    ("2/3", Fraction(2, 3)), ("1/2", Fraction(1, 2)), (" 1 / 3 ", Fraction(1, 3)),
    ("0.5", Fraction(1, 2)), ("0,5", Fraction(1, 2)), ("1", Fraction(1)), ("0/1", Fraction(0))])
def test_parse_fraction(text, share):
    assert parse_fraction(text) == share


@pytest.mark.parametrize("bad", ["1/0", "3/2", "-1/2", "abc", "1/2/3", ""])
def test_parse_fraction_rejects(bad):
    with pytest.raises(ValueError):
        parse_fraction(bad)


def test_fraction_text():
    assert fraction_text(Fraction(2, 3)) == "2/3"
    assert fraction_text(Fraction(1)) == "1/1"


@pytest.mark.parametrize("value, step, ok", [
    ("0.3", "0.1", True), ("7.25", "0.25", True), ("7.3", "0.25", False),
    ("8", "1", True), ("7.5", "1", False), ("9.5", "0.5", True), ("9.2", "0.5", False),
    ("0", "0.5", True)])
def test_is_multiple(value, step, ok):
    assert is_multiple(Decimal(value), Decimal(step)) is ok


def test_normalize_nfc_and_invisible_characters():
    decomposed = "Ho\u0302\u0323i"          # "Hội" typed as base letters + combining marks
    assert normalize(decomposed) == "Hội"
    assert len(normalize(decomposed)) == 3
    assert normalize("\ufeff HNB\u200b\u200d ") == "HNB"
    assert normalize("a\u00a0b") == "a b"
    assert normalize(None) == ""
    assert normalize(12) == "12"


def test_fold_and_ascii_fold():
    assert fold("  Tổng   HỢP ") == fold("tổng hợp")
    assert ascii_fold("Tổng hợp") == "Tong hop"
    assert ascii_fold("Đề nghị") == "De nghi"


@pytest.mark.parametrize("typed", ["9 5", "1 0", "2 7,5"])
def test_parse_score_rejects_spaces_inside_a_number(typed):
    # rules.md §2: anything but 9.5 / 9,5 / 9 / a numeric cell is an error.  Engine bug:
    # inner spaces are removed, so a mistyped "1 0" silently becomes 10 points.
    with pytest.raises(NotANumber):
        parse_score(typed)


@pytest.mark.parametrize("typed, shown", [("1.000", "“1.000” không rõ là 1 hay 1000"),
                                          ("9.500", "“9.500” không rõ là 9,5 hay 9500")])
def test_a_dot_before_three_digits_is_ambiguous(typed, shown):
    # Vietnamese writes thousands with a dot: refuse rather than guess.
    with pytest.raises(NotANumber, match=shown):
        parse_score(typed)
