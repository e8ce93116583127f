"""Two languages on every page: Indonesian by default, English on request. Text is written in both and the page
shows one (a class on <html>); numbers are written the Indonesian way and re-formatted in the browser for English.
"""

from __future__ import annotations

import math
import re

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



def t_attrs(indonesian: str, english: str) -> Markup:
    """Return the attributes that let the language switch swap an element's own text (an <option>, an input's
    placeholder), which cannot hold the language spans."""
    return Markup(f' data-l-id="{escape(indonesian)}" data-l-en="{escape(english)}"')


# The statuses and reasons the score step writes in English into its tables (score.region_ranking's statuses,
# score.cohort_shortlist's reasons, the cohort's ways of selection, score.province_rollup's status, the evaluation's
# verdicts, leanings and flags): one entry per sentence form, English -> Indonesian. A {field} is a value; a field that
# is itself one of these sentences is translated too. The downloads keep the English, which programs filter on.
STATUS = {
    "ranked": "diperingkat",
    "not ranked: data for {used} of {applicable} indicators": "tidak diperingkat: data untuk {used} dari {applicable} indikator",
    "not ranked: {dimensions} of 6 dimensions scored": "tidak diperingkat: {dimensions} dari 6 dimensi berskor",
    "not ranked: {components} of 5 components scored": "tidak diperingkat: {components} dari 5 komponen berskor",
    "not ranked: {reason}": "tidak diperingkat: {reason}",
    "no questionnaire": "tidak ada kuesioner",
    "member": "anggota",
    "missing": "hilang",
    "row": "baris",
    "cell": "sel",
    "r = {r} with sibling {node}": "r = {r} dengan saudara {node}",
    "skew {skew}, kurtosis {kurtosis} after treatment ({treatment})":
        "kemencengan {skew}, kurtosis {kurtosis} setelah penanganan ({treatment})",
    "published weights {weights} ({components})": "bobot yang diterbitkan {weights} ({components})",
    "none": "tidak ada",
    "not a member": "bukan anggota",
    "forced in": "dipaksa masuk",
    "forced out": "dipaksa keluar",
    "data for {pct}% of its indicators, below {minimum}%": "data untuk {pct}% indikatornya, di bawah {minimum}%",
    "not an autonomous region: {attribute} is {value}": "bukan daerah otonom: {attribute} = {value}",
    "not an autonomous region": "bukan daerah otonom",
    "not eligible: {reason}": "tidak memenuhi syarat: {reason}",
    "in the programme since {year}": "dalam program sejak {year}",
    "no screening index ({status})": "tanpa indeks penyaringan ({status})",
    "invited: rank {rank} of {eligible} eligible": "diundang: peringkat {rank} dari {eligible} yang memenuhi syarat",
    "not invited: rank {rank} of {eligible}, {points} points below the cut-off":
        "tidak diundang: peringkat {rank} dari {eligible}, {points} poin di bawah batas",
    "selected: {how}": "terpilih: {how}",
    "open competition": "kompetisi terbuka",
    "below the cut-off": "di bawah batas",
    "reserved seat: {tag}": "kursi khusus: {tag}",
    "minimum {n} per {group}: {value}": "minimum {n} per {group}: {value}",
    "maximum {n} per {group}: {value}": "maksimum {n} per {group}: {value}",
    "kept out: {rule} reached": "tidak terpilih: {rule} tercapai",
    "not selectable: no {component} ({reason})": "tidak dapat dipilih: tanpa {component} ({reason})",
    "screening index": "indeks penyaringan",
    "readiness index": "indeks kesiapan",
    "interview score": "skor wawancara",
    "none received": "belum diterima",
    "+{points} on {dimension} ({now} → {then})": "+{points} pada {dimension} ({now} → {then})",
    "out of reach through one dimension": "tidak terjangkau lewat satu dimensi",
    "in the Smart Province programme since {year}": "dalam program Smart Province sejak {year}",
    "ready: {with_masterplan} of {kabkota} kab/kota have a masterplan":
        "siap: {with_masterplan} dari {kabkota} kab/kota memiliki masterplan",
    "not yet: {with_masterplan} of {kabkota} kab/kota have a masterplan ({share}% needed)":
        "belum: {with_masterplan} dari {kabkota} kab/kota memiliki masterplan (perlu {share}%)",
    "lenient": "longgar",
    "severe": "ketat",
    "in line": "wajar",
    "too few cells to judge ({cells} of {minimum})": "sel terlalu sedikit untuk dinilai ({cells} dari {minimum})",
    "reliable (alpha ≥ 0.800)": "andal (alpha ≥ 0,800)",
    "tentative (0.667 ≤ alpha < 0.800)": "sementara (0,667 ≤ alpha < 0,800)",
    "unreliable (alpha < 0.667): moderate before publishing": "tidak andal (alpha < 0,667): moderasi sebelum diterbitkan",
    "not computable: fewer than two cells scored by two assessors, or a single value throughout":
        "tidak dapat dihitung: kurang dari dua sel dinilai dua asesor, atau hanya satu nilai",
    "only {assessors} assessor(s); the methodology asks for {minimum}":
        "hanya {assessors} asesor; metodologi meminta {minimum}",
    "{components} scored both as a whole and per dimension: the dimension cells count":
        "{components} dinilai secara utuh dan per dimensi: sel dimensi yang dihitung",
    "scored with the {year} methodology": "dinilai dengan metodologi {year}",
    "not known: the previous run kept no input fingerprints": "tidak diketahui: run sebelumnya tidak menyimpan sidik masukan",
    "its own data changed ({sources})": "datanya sendiri berubah ({sources})",
    "the methodology changed": "metodologi berubah",
    "other regions' data changed ({sources}); ranks are relative":
        "data daerah lain berubah ({sources}); peringkat bersifat relatif",
    "no input or methodology of this index changed (code or settings did)":
        "tidak ada masukan atau metodologi indeks ini yang berubah (kode atau pengaturan yang berubah)",
    # Why the cohort part is missing (score.part_status, cohort.CohortRuleError raised by the rules of cohort.yaml).
    "{reason} (the rules are in cohort.yaml of the methodology folder)":
        "{reason} (aturannya ada di cohort.yaml dalam folder metodologi)",
    "cohort size {size}, but only {n} shortlisted regions can be selected (eligible, invited, with a readiness index)":
        "ukuran kohort {size}, tetapi hanya {n} daerah daftar pendek yang dapat dipilih (memenuhi syarat, diundang, "
        "dengan indeks kesiapan)",
    "quotas: at most {n} per {group} leaves room for {room} of the {size} seats among these candidates":
        "kuota: paling banyak {n} per {group} menyisakan tempat untuk {room} dari {size} kursi di antara kandidat ini",
    "tags.{tag}: {seats} reserved seats, but {n} candidates carry the tag ({codes})":
        "tags.{tag}: {seats} kursi khusus, tetapi {n} kandidat memiliki tanda ini ({codes})",
}
# A list of statuses (score.evaluation_region's flags, region_mover's causes) is joined with "; ".
_STATUS_SEPARATOR = "; "


def _status_pattern(english: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", english)
    # A field never spans the separator of a list of statuses.
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>(?:(?!; ).)+?)" for i, p in enumerate(parts))
                      + r"\Z")


_STATUS_PATTERNS = [(_status_pattern(en), idn) for en, idn in STATUS.items()]


def _one_status(text: str) -> str | None:
    """Return one status in Indonesian, or None when it is none of STATUS's forms (the first form that fits wins:
    "not ranked: data for ..." is listed before "not ranked: {reason}")."""
    for pattern, indonesian in _STATUS_PATTERNS:
        found = pattern.match(text)
        if found:
            return indonesian.format(**{k: number_text(status_text(v, "id")) for k, v in found.groupdict().items()})
    return None


def status_text(english: object, lang: str) -> str:
    """Return a status the score step wrote in English (STATUS), or a list of them joined with "; ", in `lang` ('id'
    or 'en'); a part that is no known status stays as it is (a name, a code, or a sentence STATUS lacks, which the
    report's language test finds)."""
    text = "" if english is None else str(english)
    if lang == "en" or not text:
        return text
    # The longest run of parts that is one status: a status can hold the separator itself.
    parts, shown, start = text.split(_STATUS_SEPARATOR), [], 0
    while start < len(parts):
        for end in range(len(parts), start, -1):
            indonesian = _one_status(_STATUS_SEPARATOR.join(parts[start:end]))
            if indonesian is not None:
                break
        else:
            indonesian, end = parts[start], start + 1
        shown.append(indonesian)
        start = end
    return _STATUS_SEPARATOR.join(shown)


def number_text(value: str) -> str:
    """Return a decimal number written in English (45.6, +1.25) with the Indonesian decimal comma; other text as it is."""
    return value.replace(".", ",") if re.fullmatch(r"[+-]?\d+\.\d+", value) else value


def status(english: object) -> Markup:
    """Return a status the score step wrote in English (STATUS) in both languages."""
    return t(status_text(english, "id"), "" if english is None else str(english))

# The parts of a publication that can be missing (score.part_status, the report's images), in both languages.
PARTS = {"screening": ("Indeks penyaringan", "Screening index"), "readiness": ("Indeks kesiapan", "Readiness index"),
         "cohort": ("Usulan kohort", "Proposed cohort"), "evaluation": ("Evaluasi", "Evaluation"),
         "images": ("Gambar PNG untuk slide", "PNG images for slides"),
         "pdfs": ("PDF provinsi dan daerah kohort (unduhan)", "PDFs of the provinces and cohort regions (downloads)")}


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


# The headings of the published columns (the downloads of pipelines/report/site.py PUBLISHED), in both languages:
# machine name (snake_case, the CSV and Parquet header) -> (Indonesian, English). The Excel workbook shows both.
COLUMN_LABELS = {
    # Regions
    "region_code": ("Kode wilayah", "Region code"),
    "region_name": ("Nama wilayah", "Region name"),
    "region_type": ("Jenis wilayah", "Region type"),
    "province_code": ("Kode provinsi", "Province code"),
    "province_name": ("Nama provinsi", "Province name"),
    "island_group": ("Kelompok pulau", "Island group"),
    "is_autonomous": ("Daerah otonom", "Autonomous region"),
    "smart_city_year_joined": ("Tahun bergabung Smart City", "Year joined Smart City"),
    # Screening and readiness
    "screening_rank": ("Peringkat penyaringan", "Screening rank"),
    "screening_index": ("Indeks penyaringan", "Screening index"),
    "screening_coverage_pct": ("Cakupan data penyaringan (%)", "Screening data coverage (%)"),
    "screening_status": ("Status penyaringan", "Screening status"),
    "readiness_rank": ("Peringkat kesiapan", "Readiness rank"),
    "readiness_index": ("Indeks kesiapan", "Readiness index"),
    "opd_submissions": ("Kuesioner OPD", "OPD questionnaires"),
    "readiness_status": ("Status kesiapan", "Readiness status"),
    "methodology_hash": ("Hash metodologi", "Methodology hash"),
    "inputs_hash": ("Hash masukan", "Inputs hash"),
    # Cohort: shortlist, selection, Monte Carlo
    "is_eligible": ("Memenuhi syarat", "Eligible"),
    "eligible_rank": ("Peringkat di antara yang memenuhi syarat", "Rank among the eligible"),
    "is_shortlisted": ("Masuk daftar pendek", "Shortlisted"),
    "cutoff_screening_index": ("Indeks penyaringan batas", "Cut-off screening index"),
    "gap_to_shortlist": ("Selisih ke daftar pendek", "Gap to the shortlist"),
    "shortlist_reason": ("Alasan daftar pendek", "Shortlist reason"),
    "interview_score": ("Skor wawancara", "Interview score"),
    "dimension_governance": ("Smart Governance", "Smart Governance"),
    "dimension_branding": ("Smart Branding", "Smart Branding"),
    "dimension_economy": ("Smart Economy", "Smart Economy"),
    "dimension_living": ("Smart Living", "Smart Living"),
    "dimension_society": ("Smart Society", "Smart Society"),
    "dimension_environment": ("Smart Environment", "Smart Environment"),
    "selection_status": ("Status seleksi", "Selection status"),
    "bonus_points": ("Poin bonus", "Bonus points"),
    "selection_score": ("Skor seleksi", "Selection score"),
    "adjusted_score": ("Skor setelah bonus", "Adjusted score"),
    "selection_rank": ("Peringkat seleksi", "Selection rank"),
    "is_selected": ("Terpilih", "Selected"),
    "how_selected": ("Cara terpilih", "How selected"),
    "selection_way": ("Jalur seleksi", "Selection way"),
    "binding_rule": ("Aturan yang mengikat", "Binding rule"),
    "tags": ("Tag prioritas", "Priority tags"),
    "cutoff_score": ("Skor batas", "Cut-off score"),
    "gap_to_cutoff": ("Selisih ke batas", "Gap to the cut-off"),
    "dimension_to_raise": ("Dimensi yang perlu dinaikkan", "Dimension to raise"),
    "dimension_rise_points": ("Kenaikan yang diperlukan (poin)", "Rise needed (points)"),
    "what_it_would_take": ("Yang diperlukan", "What it would take"),
    "median_rank": ("Peringkat median", "Median rank"),
    "q05_rank": ("Peringkat persentil 5", "5th percentile rank"),
    "q95_rank": ("Peringkat persentil 95", "95th percentile rank"),
    "selection_probability_pct": ("Peluang terpilih (%)", "Probability of selection (%)"),
    "is_flagged": ("Ditandai tidak stabil", "Flagged as unstable"),
    "nominal_rank": ("Peringkat nominal", "Nominal rank"),
    "mean_rank": ("Peringkat rata-rata", "Mean rank"),
    "stage": ("Tahap", "Stage"),
    "probability_pct": ("Peluang (%)", "Probability (%)"),
    "factor": ("Faktor", "Factor"),
    "alternatives": ("Jumlah alternatif", "Alternatives"),
    "first_order": ("Indeks Sobol orde pertama", "First-order Sobol index"),
    "first_order_conf": ("Interval kepercayaan orde pertama", "First-order confidence interval"),
    "total": ("Indeks Sobol total", "Total Sobol index"),
    "total_conf": ("Interval kepercayaan total", "Total confidence interval"),
    "output": ("Keluaran", "Output"),
    # Dimensions, aspects and profiles
    "dimension": ("Dimensi", "Dimension"),
    "dimension_score": ("Skor dimensi", "Dimension score"),
    "elements_scored": ("Elemen berskor", "Elements scored"),
    "aspect": ("Aspek", "Aspect"),
    "aspect_score": ("Skor aspek", "Aspect score"),
    "answered_pct": ("Dijawab (%)", "Answered (%)"),
    "cell_score": ("Skor sel", "Cell score"),
    "kind": ("Jenis", "Kind"),
    "item": ("Butir", "Item"),
    "score": ("Skor", "Score"),
    "national_median": ("Median nasional", "National median"),
    "province_median": ("Median provinsi", "Province median"),
    "province_assessed": ("Dinilai di provinsi", "Assessed in the province"),
    "gap_to_national": ("Selisih ke median nasional", "Gap to the national median"),
    "swot": ("Kekuatan atau kelemahan", "Strength or weakness"),
    # Evaluation
    "year": ("Tahun", "Year"),
    "methodology_year": ("Tahun metodologi", "Methodology year"),
    "evaluation_index": ("Indeks evaluasi (0-4)", "Evaluation index (0-4)"),
    "national_rank": ("Peringkat nasional", "National rank"),
    "national_ranked": ("Diperingkat secara nasional", "Ranked nationally"),
    "province_rank": ("Peringkat provinsi", "Province rank"),
    "province_ranked": ("Diperingkat di provinsi", "Ranked in the province"),
    "previous_year": ("Tahun sebelumnya", "Previous year"),
    "previous_index": ("Indeks tahun sebelumnya", "Previous index"),
    "index_change": ("Perubahan indeks", "Index change"),
    "national_rank_change": ("Perubahan peringkat nasional", "National rank change"),
    "baseline_score": ("Skor baseline", "Baseline score"),
    "output_score": ("Skor output", "Output score"),
    "outcome_score": ("Skor outcome", "Outcome score"),
    "impact_score": ("Skor dampak", "Impact score"),
    "quick_win_score": ("Skor quick win", "Quick win score"),
    "assessors": ("Jumlah asesor", "Assessors"),
    "too_few_assessors": ("Asesor terlalu sedikit", "Too few assessors"),
    "flags": ("Catatan", "Flags"),
    "component": ("Komponen", "Component"),
    "score_min": ("Skor minimum", "Minimum score"),
    "score_max": ("Skor maksimum", "Maximum score"),
    "spread": ("Selisih", "Spread"),
    "score_mean": ("Skor rata-rata", "Mean score"),
    "score_median": ("Skor median", "Median score"),
    "score_trimmed_mean": ("Skor rata-rata terpangkas", "Trimmed mean score"),
    "consensus_rule": ("Aturan konsensus", "Consensus rule"),
    "consensus_score": ("Skor konsensus", "Consensus score"),
    "needs_moderation": ("Perlu moderasi", "Needs moderation"),
    "max_spread": ("Selisih maksimum", "Maximum spread"),
    "scores_side_by_side": ("Nilai para asesor", "Scores side by side"),
    "furthest_assessor": ("Asesor terjauh", "Furthest assessor"),
    "units": ("Jumlah unit", "Units"),
    "pairable_values": ("Nilai berpasangan", "Pairable values"),
    "alpha_nominal": ("Alpha Krippendorff (nominal)", "Krippendorff's alpha (nominal)"),
    "alpha_ordinal": ("Alpha Krippendorff (ordinal)", "Krippendorff's alpha (ordinal)"),
    "alpha_interval": ("Alpha Krippendorff (interval)", "Krippendorff's alpha (interval)"),
    "alpha_ratio": ("Alpha Krippendorff (rasio)", "Krippendorff's alpha (ratio)"),
    "verdict_level": ("Tingkat pengukuran kesimpulan", "Level of the verdict"),
    "verdict_alpha": ("Alpha untuk kesimpulan", "Alpha of the verdict"),
    "verdict": ("Kesimpulan", "Verdict"),
    "evaluator": ("Asesor", "Assessor"),
    "cells": ("Jumlah sel", "Cells"),
    "regions": ("Jumlah daerah", "Regions"),
    "mean_deviation": ("Deviasi rata-rata", "Mean deviation"),
    "mean_absolute_deviation": ("Deviasi absolut rata-rata", "Mean absolute deviation"),
    "standard_error": ("Galat baku", "Standard error"),
    "enough_data": ("Data cukup", "Enough data"),
    "leaning": ("Kecenderungan", "Leaning"),
    # Smart Province
    "kabkota": ("Jumlah kabupaten/kota", "Number of kab/kota"),
    "in_programme": ("Dalam program", "In programme"),
    "in_programme_pct": ("Dalam program (%)", "In programme (%)"),
    "with_masterplan": ("Dengan masterplan", "With a masterplan"),
    "with_masterplan_pct": ("Dengan masterplan (%)", "With a masterplan (%)"),
    "evaluated": ("Dievaluasi", "Evaluated"),
    "evaluation_min": ("Evaluasi minimum", "Evaluation minimum"),
    "evaluation_q1": ("Evaluasi kuartil 1", "Evaluation first quartile"),
    "evaluation_median": ("Evaluasi median", "Evaluation median"),
    "evaluation_q3": ("Evaluasi kuartil 3", "Evaluation third quartile"),
    "evaluation_max": ("Evaluasi maksimum", "Evaluation maximum"),
    "evaluation_mean": ("Evaluasi rata-rata", "Evaluation mean"),
    "readiness_assessed": ("Dinilai kesiapannya", "Readiness assessed"),
    "readiness_median": ("Median kesiapan", "Readiness median"),
    "screening_median": ("Median penyaringan", "Screening median"),
    "smart_province_since": ("Smart Province sejak", "Smart Province since"),
    "meets_masterplan_share": ("Memenuhi pangsa masterplan", "Meets the masterplan share"),
    "smart_province_status": ("Status Smart Province", "Smart Province status"),
    # Movers since the previous run
    "index_code": ("Kode indeks", "Index code"),
    "rank_before": ("Peringkat sebelumnya", "Rank before"),
    "rank_now": ("Peringkat sekarang", "Rank now"),
    "places_up": ("Naik (tingkat)", "Places up"),
    "is_methodology_changed": ("Metodologi berubah", "Methodology changed"),
    "changed_sources": ("Sumber yang berubah", "Changed sources"),
    "cause": ("Penyebab", "Cause"),
    # Ingest, quarantine and provenance
    "source": ("Sumber", "Source"),
    "source_file": ("Berkas sumber", "Source file"),
    "source_row": ("Baris sumber", "Source row"),
    "source_column": ("Kolom sumber", "Source column"),
    "rule": ("Aturan", "Rule"),
    "value": ("Nilai", "Value"),
    "message": ("Pesan", "Message"),
    "scope": ("Cakupan", "Scope"),
    "sha256": ("SHA-256", "SHA-256"),
    "rows_read": ("Baris dibaca", "Rows read"),
    "rows_curated": ("Baris dikurasi", "Rows curated"),
    "rows_quarantined": ("Baris dikarantina", "Rows quarantined"),
    "rows_superseded": ("Baris digantikan", "Rows superseded"),
    "cells_quarantined": ("Sel dikarantina", "Cells quarantined"),
    "file_error": ("Galat berkas", "File error"),
    "notes": ("Catatan", "Notes"),
    "size_bytes": ("Ukuran (bita)", "Size (bytes)"),
    "received_date": ("Tanggal diterima", "Date received"),
    "publisher": ("Penerbit", "Publisher"),
    "licence": ("Lisensi", "Licence"),
    "is_synthetic": ("Sintetis", "Synthetic"),
}


# The statistical audit's flags (score.index_flag) on the methodology page, in both languages: what each is, when the
# engine raises it (the thresholds are the methodology's `audit` settings, named here as in the YAML) and what an
# analyst should do about it.
AUDIT_FLAGS = {
    "low_availability": {
        "label": ("Ketersediaan data rendah", "Low data availability"),
        "raised": ("Data mentah indikator mencakup kurang dari low_availability_pct % unit berskor yang "
                   "dikenainya.",
                   "The indicator's raw data cover less than low_availability_pct % of the scored units it "
                   "applies to."),
        "advice": ("Cakupan datanya tipis: imputasi dengan sadar (pilih metodenya dan periksa dampaknya pada "
                   "peringkat) atau keluarkan indikator ini.",
                   "The data coverage is thin: impute consciously (choose the method and check its effect on the "
                   "ranks) or drop the indicator."),
    },
    "constant": {
        "label": ("Nilai konstan", "Constant"),
        "raised": ("Indikator hanya punya satu nilai mentah yang berbeda.",
                   "The indicator has one distinct raw value."),
        "advice": ("Indikator ini tidak membedakan unit mana pun: periksa datanya, atau keluarkan indikator ini.",
                   "It cannot tell units apart: check its data, or drop the indicator."),
    },
    "skew_kurtosis": {
        "label": ("Kemencengan dan kurtosis tinggi", "High skew and kurtosis"),
        "raised": ("Setelah penanganan pencilan, |kemencengan| ≥ skew_max dan kurtosis ≥ kurtosis_max.",
                   "After the outlier treatment, |skew| ≥ skew_max and kurtosis ≥ kurtosis_max."),
        "advice": ("Beberapa nilai ekstrem mendominasi skornya: periksa penanganan pencilan (winsorisasi dan batasnya) "
                   "atau pertimbangkan transformasi log.",
                   "A few extreme values dominate its scores: check the outlier treatment (winsorising and its limits) "
                   "or consider a log transform."),
    },
    "redundant": {
        "label": ("Redundan", "Redundant"),
        "raised": ("Dua simpul bersaudara berkorelasi dengan |r| ≥ redundancy_r.",
                   "Two siblings correlate with |r| ≥ redundancy_r."),
        "advice": ("Keduanya mungkin mengukur hal yang sama, yang lalu terhitung dua kali: pertimbangkan untuk "
                   "menggabungkan keduanya atau mengeluarkan salah satunya, atau pertahankan keduanya dengan sadar.",
                   "They may measure the same thing, which then counts twice: consider merging them or dropping one of "
                   "the pair, or keep both knowingly."),
    },
    "negative_correlation": {
        "label": ("Korelasi negatif dengan induk", "Negative correlation with the parent"),
        "raised": ("Simpul berkorelasi negatif dengan induknya.", "A node correlates negatively with its parent."),
        "advice": ("Simpul ini menarik induknya ke arah sebaliknya: periksa arahnya (direction), lalu apakah ia memang "
                   "termasuk dalam kelompok itu.",
                   "It pulls against its parent: check its direction, then whether it belongs in that group."),
    },
    "low_cronbach_alpha": {
        "label": ("Alpha Cronbach rendah", "Low Cronbach's alpha"),
        "raised": ("Alpha Cronbach anak-anak suatu agregat < cronbach_min.",
                   "Cronbach's alpha of an aggregate's children is below cronbach_min."),
        "advice": ("Anak-anaknya mungkin tidak mengukur satu konsep: tinjau pengelompokannya.",
                   "The children may not measure one concept: review the grouping."),
    },
    "undefined_mean": {
        "label": ("Rata-rata tak terdefinisi", "Undefined mean"),
        "raised": ("Rata-rata geometrik, harmonik atau umum bertemu nilai anak yang tidak dapat diterimanya (nol atau "
                   "negatif): unit itu tidak mendapat skor pada simpul ini.",
                   "A geometric, harmonic or generalised mean met a child value it cannot take (zero or negative): "
                   "that unit has no score at this node."),
        "advice": ("Normalisasi ke rentang yang positif, misalnya minmax {low: 1, high: 100}, atau pilih agregasi lain.",
                   "Normalise to a strictly positive range, such as minmax {low: 1, high: 100}, or choose another "
                   "aggregation."),
    },
}


def exact_num(value: object) -> Markup:
    """Return num() of a methodology parameter with the decimals it was written with (3,5; 100; 0,1), at most
    PUBLISHED_DECIMALS."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Markup("")
    written = f"{round(float(value), PUBLISHED_DECIMALS):.{PUBLISHED_DECIMALS}f}".rstrip("0")
    return num(value, len(written.split(".")[1]))
