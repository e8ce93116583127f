"""Parsers for values as analysts receive them: Indonesian numbers, scale and yes/no answers, dates.

Each parser returns a value or raises ParseError with a message a person can act on.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

MISSING_MARKERS = {"", "-", "--", "n/a", "na", "#n/a", "nan", "null", "none", "tidak ada data", "tidak ada", "t/a"}

# The 1–5 maturity labels used by the SPBE index; our questionnaire adopts the same scale (docs/methodology.md).
SCALE_LABELS = {
    "rintisan": 1,
    "terkelola": 2,
    "terdefinisi": 3,
    "terpadu": 4,
    "terpadu dan terukur": 4,
    "optimum": 5,
}
YES = {"ya", "yes", "y", "1", "true", "benar", "ada", "sudah"}
NO = {"tidak", "no", "t", "n", "0", "false", "salah", "belum", "tidak ada"}

# A value quoted in a message is cut here; the quarantine's value column keeps more (canonical.LOG_TEXT_CHARS).
MESSAGE_VALUE_CHARS = 80
_YEAR_SPAN = re.compile(r"^(19|20)\d{2}\s*[/\-–]\s*(\d{2}|(19|20)\d{2})$")
_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}([.,]\d{3})+)([.,]\d+)?$")
_SCALE = re.compile(r"^(?:level|tingkat|skala)?\s*([1-5])(?:[.,]0+)?(?:\s*[-–:.)]\s*(.*))?$")


class ParseError(ValueError):
    """A value that cannot be read; the message says what was expected."""


def shorten(text: object, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """Return text cut to `limit` characters, ending in `…` when it was longer."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quoted(value: object) -> str:
    """Return a value as a message quotes it: repr, shortened."""
    return shorten(repr(value))


def is_missing(value: object) -> bool:
    """Return True for None, NaN and the textual markers of a missing value (`-`, `n/a`, `tidak ada data`)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_MARKERS


def uses_decimal_comma(values: list[object]) -> bool:
    """Return True when a column writes decimals with a comma (`0,5766`, `1.234,56`): then dots group thousands."""
    for v in values:
        if isinstance(v, str):
            s = v.strip().replace(" ", "").rstrip("%")
            if re.fullmatch(r"[+-]?\d+(\.\d{3})*,\d+", s):
                return True
    return False


def parse_number(value: object, decimal_comma: bool = False) -> float | None:
    """Return a float from `1.234,56`, `0,5766`, `45,2 %`, `1234.56` or a number; None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ParseError(f"expected a number, found the yes/no value {quoted(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if s.endswith("%"):
        s = s[:-1]
    if not _NUMBER.match(s):
        raise ParseError(f"expected a number such as 1.234,56 or 0,57, found {quoted(value)}")
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
    elif has_comma:
        # Indonesian convention: a single comma is the decimal mark.
        decimal = "," if s.count(",") == 1 else None
    elif has_dot:
        lone_thousands = decimal_comma and re.search(r"\.\d{3}$", s)
        decimal = "." if s.count(".") == 1 and not lone_thousands else None
    else:
        decimal = None
    if decimal is None:
        s = s.replace(".", "").replace(",", "")
    else:
        s = s.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    return float(s)


def parse_scale(value: object) -> float | None:
    """Return 1–5 from `3`, `3 - Terdefinisi`, `Level 3` or a maturity label; None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 5:
            return float(value)
        raise ParseError(f"expected a level from 1 to 5, found {quoted(value)}")
    s = str(value).strip().lower()
    if (m := _SCALE.match(s)) and not (m.group(2) or "")[:1].isdigit():
        return float(m.group(1))
    if s in SCALE_LABELS:
        return float(SCALE_LABELS[s])
    raise ParseError(f"expected a level from 1 to 5 (e.g. '3' or '3 - Terdefinisi'), found {quoted(value)}")


def parse_yes_no(value: object) -> float | None:
    """Return 1.0 for Ya/Yes/Y/1 and 0.0 for Tidak/No/T/0 (and `Tidak ada`); None when missing."""
    if isinstance(value, str) and value.strip().lower() in NO:
        return 0.0
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return float(value)
    s = str(value).strip().lower()
    if s in YES:
        return 1.0
    if s in NO:
        return 0.0
    raise ParseError(f"expected Ya/Tidak (Yes/No, 1/0), found {quoted(value)}")


_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
)


def parse_timestamp(value: object) -> datetime | None:
    """Return a datetime from ISO or day-first text (`13/09/2021 10:22:33`) or an Excel date; None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    s = str(value).strip()
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise ParseError(f"expected a date such as 13/09/2021 10:22:33 (day first) or 2021-09-13, found {quoted(value)}")


def parse_integer(value: object) -> int | None:
    """Return an integer (a year, a rank) from text or a number; None when missing."""
    if isinstance(value, str) and _YEAR_SPAN.match(value.strip()):
        raise ParseError(f"expected a year such as 2024; for a span like 2019/2020 give the year the data refers to, "
                         f"found {quoted(value)}")
    try:
        number = parse_number(value)
    except ParseError:
        raise ParseError(f"expected a whole number such as 2024, found {quoted(value)}") from None
    if number is None:
        return None
    if not float(number).is_integer():
        raise ParseError(f"expected a whole number such as 2024, found {quoted(value)}")
    return int(number)


def parse_text(value: object) -> str | None:
    """Return trimmed text with inner whitespace collapsed; None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()
