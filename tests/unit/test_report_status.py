"""The statuses the score step writes in English, shown in Indonesian from one catalogue (pipelines/report/i18n.py)."""

import pytest

from pipelines.report.i18n import STATUS, status, status_text
from pipelines.score import cohort, evaluation

# (as the score step writes it, with values of the small demo, as the Indonesian page shows it)
WRITTEN = [
    ("ranked", "diperingkat"),
    ("no questionnaire", "tidak ada kuesioner"),
    ("not ranked: not an autonomous region: is_autonomous is false",
     "tidak diperingkat: bukan daerah otonom: is_autonomous = false"),
    ("not ranked: data for 3 of 9 indicators", "tidak diperingkat: data untuk 3 dari 9 indikator"),
    ("not ranked: data for 33.3% of its indicators, below 50%",
     "tidak diperingkat: data untuk 33,3% indikatornya, di bawah 50%"),
    ("not ranked: 4 of 6 dimensions scored", "tidak diperingkat: 4 dari 6 dimensi berskor"),
    ("not eligible: in the programme since 2017", "tidak memenuhi syarat: dalam program sejak 2017"),
    ("not eligible: not an autonomous region", "tidak memenuhi syarat: bukan daerah otonom"),
    ("not eligible: no screening index (not ranked: data for 3 of 9 indicators)",
     "tidak memenuhi syarat: tanpa indeks penyaringan (tidak diperingkat: data untuk 3 dari 9 indikator)"),
    ("invited: rank 12 of 444 eligible", "diundang: peringkat 12 dari 444 yang memenuhi syarat"),
    ("not invited: rank 151 of 444, 2.35 points below the cut-off",
     "tidak diundang: peringkat 151 dari 444, 2,35 poin di bawah batas"),
    ("selected: open competition", "terpilih: kompetisi terbuka"),
    ("selected: reserved seat: frontier", "terpilih: kursi khusus: frontier"),
    ("kept out: maximum 1 per province_code: 32 reached", "tidak terpilih: maksimum 1 per province_code: 32 tercapai"),
    ("not selectable: no readiness index (no questionnaire)",
     "tidak dapat dipilih: tanpa indeks kesiapan (tidak ada kuesioner)"),
    ("+1.25 on Smart Governance (45.6 → 46.9)", "+1,25 pada Smart Governance (45,6 → 46,9)"),
    ("not yet: 3 of 23 kab/kota have a masterplan (80% needed)",
     "belum: 3 dari 23 kab/kota memiliki masterplan (perlu 80%)"),
    ("ready: 21 of 23 kab/kota have a masterplan", "siap: 21 dari 23 kab/kota memiliki masterplan"),
    ("in the Smart Province programme since 2023", "dalam program Smart Province sejak 2023"),
    ("in line", "wajar"),
    ("too few cells to judge (12 of 30)", "sel terlalu sedikit untuk dinilai (12 dari 30)"),
    # A list of flags, one of which holds the separator itself.
    ("not ranked: 4 of 5 components scored; only 2 assessor(s); the methodology asks for 3",
     "tidak diperingkat: 4 dari 5 komponen berskor; hanya 2 asesor; metodologi meminta 3"),
    ("its own data changed (fiscal_capacity); the methodology changed",
     "datanya sendiri berubah (fiscal_capacity); metodologi berubah"),
    # Why the small demo is published without its cohort (score.part_status, in the pages' missing-parts box).
    ("cohort size 50, but only 8 shortlisted regions can be selected (eligible, invited, with a readiness index) "
     "(the rules are in cohort.yaml of the methodology folder)",
     "ukuran kohort 50, tetapi hanya 8 daerah daftar pendek yang dapat dipilih (memenuhi syarat, diundang, dengan "
     "indeks kesiapan) (aturannya ada di cohort.yaml dalam folder metodologi)"),
    ("quotas: at most 1 per province_code leaves room for 3 of the 4 seats among these candidates",
     "kuota: paling banyak 1 per province_code menyisakan tempat untuk 3 dari 4 kursi di antara kandidat ini"),
]


@pytest.mark.parametrize(("english", "indonesian"), WRITTEN)
def test_a_status_is_shown_in_indonesian_and_kept_in_english(english, indonesian):
    assert status_text(english, "id") == indonesian
    assert status_text(english, "en") == english
    assert status(english) == f'<span class="l-id">{indonesian}</span><span class="l-en">{english}</span>'


def test_the_cohort_s_ways_and_the_agreement_verdicts_come_out_in_indonesian():
    # The texts as the cohort and the evaluation code make them, not copies of them.
    made = [cohort.OPEN, cohort.NOT_SELECTED, f"selected: {cohort.OPEN}",
            *(evaluation._verdict(alpha) for alpha in (0.9, 0.7, 0.5, None))]
    assert [status_text(text, "id") == text for text in made] == [False] * len(made)


def test_a_text_that_is_no_status_is_shown_as_it_is():
    assert status_text("Kota Bandung", "id") == "Kota Bandung"
    assert status(None) == ""
    assert status("Asesor 01") == "Asesor 01"


def test_every_form_has_an_indonesian_text_with_the_same_fields():
    import string

    def fields(text):
        return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)

    assert {en: fields(en) for en in STATUS} == {en: fields(idn) for en, idn in STATUS.items()}
    assert [en for en, idn in STATUS.items() if en == idn and "{" not in en] == []
