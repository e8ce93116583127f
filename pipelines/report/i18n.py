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
    # Built as text, not with Markup.format (a page has thousands): every part is a number written here, nothing
    # that needs escaping.
    signed = ' data-sign="1"' if sign else ""
    return Markup(f'<span class="n" data-v="{round(float(value), PUBLISHED_DECIMALS)!r}" data-d="{decimals}"{signed}>'
                  f'{text}</span>')


def t(indonesian: object, english: object | None = None) -> Markup:
    """Return text in both languages; the page shows the one chosen (English falls back to the Indonesian)."""
    english = indonesian if english is None else english
    if english == indonesian:
        return escape(indonesian)
    return Markup(f'<span class="l-id">{escape(indonesian)}</span><span class="l-en">{escape(english)}</span>')


# The parts of a publication that can be missing (score.part_status, the report's images), in both languages.
PARTS = {"screening": ("Indeks penyaringan", "Screening index"), "readiness": ("Indeks kesiapan", "Readiness index"),
         "cohort": ("Usulan kohort", "Proposed cohort"), "evaluation": ("Evaluasi", "Evaluation"),
         "images": ("Gambar PNG untuk slide", "PNG images for slides")}


def part_label(part: str) -> Markup:
    """Return the name of a part of the publication in both languages."""
    return t(*PARTS.get(part, (part, part)))


# Where a source's files come from (report.source_ingest's provenance) and the banner naming the synthetic sources
# (report.synthetic_notice), in both languages. A real source names its publishers (its folder's _source.yaml).
PROVENANCE = {
    "real": ("nyata — {publishers}", "real — {publishers}"),
    "synthetic": ("sintetis", "synthetic"),
    "mixed": ("{real_files} dari {files} berkas nyata — {publishers}; sisanya sintetis",
              "{real_files} of {files} files real — {publishers}; the others synthetic"),
    "no_publisher": ("penerbit tidak disebut", "publisher not stated"),
    "notice": ("DATA SINTETIS pada sumber {synthetic_sources}: data buatan, bukan data resmi.",
               "SYNTHETIC DATA in {synthetic_sources}: generated data, not official statistics."),
    "notice_real": ("Sumber lainnya berisi data nyata: {real_sources}.", "The other sources are real: {real_sources}."),
    "notice_no_real": ("Tidak ada sumber dengan data nyata.", "No source holds real data."),
}


def _both(key: str, **values: object) -> Markup:
    return t(*(text.format(**values) for text in PROVENANCE[key]))


def provenance_label(source: dict) -> Markup:
    """Return where a source's files come from in both languages (a row of report.source_ingest): `real — <publisher>`,
    `synthetic`, or how many of its files are real."""
    return t(*(text.format(publishers=source["real_publishers"] or unnamed, files=source["files"],
                           real_files=source["real_files"])
               for text, unnamed in zip(PROVENANCE[source["provenance"]], PROVENANCE["no_publisher"])))


def synthetic_notice(notice: dict) -> Markup:
    """Return the banner of a site with synthetic sources in both languages (the row of report.synthetic_notice):
    which sources are synthetic, and which are real."""
    real = _both("notice_real", **notice) if notice["real_sources"] else _both("notice_no_real")
    return _both("notice", **notice) + Markup(" ") + real


# Why a page shows no map (pipelines/report/maps.py): no boundary file of that level is installed.
MAPS_OFF = {
    "provinces": ("batas 38 provinsi", "the boundaries of the 38 provinces"),
    "regencies": ("batas 514 kabupaten/kota", "the boundaries of the 514 kabupaten/kota"),
    "off": ("Peta tidak ditampilkan: {layer} belum dipasang di folder data (boundaries/). Pasang berkas GeoJSON dengan "
            "`readiness boundaries <berkas.geojson>`, lalu jalankan `readiness refresh` (docs/report.md, \"Maps\").",
            "Maps are off: {layer} are not installed in the data folder (boundaries/). Install a GeoJSON file with "
            "`readiness boundaries <file.geojson>`, then run `readiness refresh` (docs/report.md, \"Maps\")."),
}


def maps_off(layer: str) -> Markup:
    """Return, in both languages, why a page has no map of `layer` and how to get one."""
    return t(*(text.format(layer=name) for text, name in zip(MAPS_OFF["off"], MAPS_OFF[layer])))
