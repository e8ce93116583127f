"""Two languages on every page: Indonesian by default, English on request. Text is written in both and the page
shows one (a class on <html>); numbers are written the Indonesian way and re-formatted in the browser for English.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

# Published numbers carry 6 decimals: DuckDB's parallel sums differ from run to run in the 15th digit, and the same
# inputs must give the same files.
PUBLISHED_DECIMALS = 6


def number_id(value: object, decimals: int = 2) -> str:
    """Return a number written the Indonesian way (1.234,56), or '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(number):
        return ""
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def num(value: object, decimals: int = 2, sign: bool = False) -> Markup:
    """Return a number as a span the language switch can re-format: Indonesian text, the raw value in data-v."""
    text = number_id(value, decimals)
    if not text:
        return Markup("")
    if sign and float(value) > 0:
        text = "+" + text
    return Markup('<span class="n" data-v="{}" data-d="{}"{}>{}</span>').format(
        repr(round(float(value), PUBLISHED_DECIMALS)), decimals, Markup(' data-sign="1"') if sign else "", text)


def t(indonesian: object, english: object | None = None) -> Markup:
    """Return text in both languages; the page shows the one chosen (English falls back to the Indonesian)."""
    english = indonesian if english is None else english
    if english == indonesian:
        return escape(indonesian)
    return Markup('<span class="l-id">{}</span><span class="l-en">{}</span>').format(indonesian, english)


# The parts of a publication that can be missing (score.part_status, the report's images), in both languages.
PARTS = {"screening": ("Indeks penyaringan", "Screening index"), "readiness": ("Indeks kesiapan", "Readiness index"),
         "cohort": ("Usulan kohort", "Proposed cohort"), "evaluation": ("Evaluasi", "Evaluation"),
         "images": ("Gambar PNG untuk slide", "PNG images for slides")}


def part_label(part: str) -> Markup:
    """Return the name of a part of the publication in both languages."""
    return t(*PARTS.get(part, (part, part)))
