from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.ingest import parsers
from pipelines.ingest.parsers import ParseError


@pytest.mark.parametrize("text, decimal_comma, expected", [
    ("1.234,56", False, 1234.56),
    ("0,5766", False, 0.5766),
    ("45,2 %", False, 45.2),
    ("1234.56", False, 1234.56),
    ("1.234.567", False, 1234567.0),
    ("1,234.5", False, 1234.5),
    ("1.234", True, 1234.0),       # a decimal-comma column: a lone dot groups thousands
    ("1.234", False, 1.234),
    ("-3,5", False, -3.5),
    (7, False, 7.0),
    (0.25, False, 0.25),
])
def test_parse_number_reads_indonesian_and_english_numbers(text, decimal_comma, expected):
    assert parsers.parse_number(text, decimal_comma) == pytest.approx(expected)


@pytest.mark.parametrize("marker", ["", "-", "n/a", "N/A", "tidak ada data", "  ", None, float("nan")])
def test_missing_markers_are_none(marker):
    assert parsers.parse_number(marker) is None
    assert parsers.parse_scale(marker) is None
    assert parsers.parse_yes_no(marker) is None


@pytest.mark.parametrize("text", ["abc", "1,2,3,4x", "12..5", "Ya"])
def test_parse_number_rejects_text_with_a_message(text):
    with pytest.raises(ParseError, match="expected a number"):
        parsers.parse_number(text)


@pytest.mark.parametrize("text, expected", [
    ("3", 3), ("3 - Terdefinisi", 3), ("Level 4", 4), ("level 2", 2), ("5,0", 5), ("Optimum", 5),
    ("rintisan", 1), (4, 4), (2.0, 2),
])
def test_parse_scale(text, expected):
    assert parsers.parse_scale(text) == expected


@pytest.mark.parametrize("text", ["7", "0", "Level 9", "bagus", 3.5, "3.5", "4,5"])
def test_parse_scale_rejects_out_of_scale(text):
    with pytest.raises(ParseError, match="1 to 5"):
        parsers.parse_scale(text)


@pytest.mark.parametrize("text, expected", [
    ("Ya", 1), ("YES", 1), ("y", 1), ("1", 1), (1, 1), ("Tidak", 0), ("no", 0), ("T", 0), ("0", 0), (False, 0),
    ("Tidak ada", 0),   # "there is none" answers the question; it is not a missing value
])
def test_parse_yes_no(text, expected):
    assert parsers.parse_yes_no(text) == expected


def test_parse_timestamp_is_day_first():
    assert parsers.parse_timestamp("13/09/2021 10:22:33") == datetime(2021, 9, 13, 10, 22, 33)
    assert parsers.parse_timestamp("02/03/2024") == datetime(2024, 3, 2)
    assert parsers.parse_timestamp("2024-03-02T08:00:00") == datetime(2024, 3, 2, 8)
    with pytest.raises(ParseError, match="day first"):
        parsers.parse_timestamp("31/31/2024")


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 2)))
def test_indonesian_formatting_round_trips(x):
    text = f"{x:,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    assert parsers.parse_number(text, decimal_comma=True) == pytest.approx(x)


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none(), st.booleans()))
def test_parsers_never_crash(value):
    for parse in (parsers.parse_number, parsers.parse_scale, parsers.parse_yes_no, parsers.parse_timestamp):
        try:
            parse(value)
        except ParseError:
            pass
