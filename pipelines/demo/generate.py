"""Seeded synthetic raw files in the shapes analysts receive (../shared/spec/inputs.md). Not real data."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipelines.ingest import reference
from pipelines.settings import Settings, load_yaml

SYNTHETIC = {"publisher": "readiness demo generator (synthetic data, not real statistics)",
             "licence": "CC0-1.0 (synthetic)", "synthetic": True}
BPS_SYNTHETIC = {**SYNTHETIC, "publisher": "readiness demo generator imitating BPS exports (synthetic, not BPS data)"}
# The BPS tables the demo imitates: file name stem -> the title BPS gives the table.
BPS_TABLES = {
    "ipm": "[Metode Baru] Indeks Pembangunan Manusia (IPM)",
    "p0": "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)",
    "kepadatan_penduduk": "Kepadatan Penduduk Menurut Kabupaten/Kota (jiwa/km2)",
}
# BPS's spellings of the provinces with long Kemendagri names; the others are the Kemendagri name in capitals.
BPS_PROVINCE_NAMES = {"19": "KEP. BANGKA BELITUNG", "31": "DKI JAKARTA", "34": "D I YOGYAKARTA"}
ISLAND_EFFECT = {"1": 0.1, "2": 0.3, "3": 0.6, "5": 0.1, "6": 0.1, "7": 0.0, "8": -0.4, "9": -0.7}
SCALE_NAMES = {1: "Rintisan", 2: "Terkelola", 3: "Terdefinisi", 4: "Terpadu dan Terukur", 5: "Optimum"}
OPDS = [
    "Dinas Komunikasi dan Informatika", "Badan Perencanaan Pembangunan Daerah", "Sekretariat Daerah",
    "Badan Kepegawaian dan Pengembangan SDM", "Badan Pengelolaan Keuangan dan Aset Daerah",
    "Dinas Penanaman Modal dan PTSP", "Dinas Kependudukan dan Pencatatan Sipil", "Inspektorat",
    "Dinas Pariwisata", "Dinas Perdagangan", "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Perumahan dan Kawasan Permukiman", "Dinas Koperasi dan UMKM", "Dinas Perindustrian",
    "Dinas Pertanian", "Dinas Kesehatan", "Dinas Perhubungan", "Dinas Pendidikan",
    "Badan Kesatuan Bangsa dan Politik", "Satuan Polisi Pamong Praja", "Badan Penanggulangan Bencana Daerah",
    "Dinas Sosial", "Dinas Lingkungan Hidup", "Dinas Tenaga Kerja", "Dinas Ketahanan Pangan",
    "Dinas Perikanan", "Dinas Kebudayaan", "Dinas Pemuda dan Olahraga", "Dinas Perpustakaan dan Kearsipan",
    "Badan Pendapatan Daerah", "Rumah Sakit Umum Daerah", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
]
ASPECT_TEXT = {
    "structure": ("kepemimpinan, organisasi, SDM dan anggaran", "leadership, organisation, staff and budget"),
    "infrastructure": ("jaringan, pusat data, aplikasi dan data", "network, data centre, applications and data"),
    "superstructure": ("kebijakan, regulasi dan SOP", "policies, regulations and SOPs"),
}


@dataclass(frozen=True)
class DemoSize:
    """One demo size: how many regions answer questionnaires, how many OPDs and questions, which years."""

    name: str
    seed: int
    shortlist: int
    opds: tuple[int, int]
    questions: int
    years: tuple[int, ...]
    missing_answer_pct: float
    questionnaire_periods: int = 1      # years of questionnaire history, ending with the last statistics year
    evaluation_regions: int = 0         # regions with assessors' score sheets (known cohort members first)
    evaluation_years: tuple[int, ...] = ()
    assessors_per_region: int = 3
    xlsx: bool = True                   # False: every file as CSV (the largest sizes, to keep generation fast)

    @classmethod
    def named(cls, name: str, settings: Settings) -> "DemoSize":
        """Return the size called `name` in config/demo.yaml."""
        sizes = load_yaml(settings.config_dir / "demo.yaml")["sizes"]
        if name not in sizes:
            raise ValueError(f"unknown demo size {name!r}; config/demo.yaml defines {', '.join(sizes)}")
        s = sizes[name]
        return cls(name=name, seed=s["seed"], shortlist=s["shortlist"], opds=tuple(s["opds"]),
                   questions=s["questions"], years=tuple(s["years"]), missing_answer_pct=s["missing_answer_pct"],
                   evaluation_years=tuple(s.get("evaluation_years", s["years"][-1:])),
                   **{k: s[k] for k in ("questionnaire_periods", "evaluation_regions", "assessors_per_region", "xlsx")
                      if k in s})


def id_number(x: float, decimals: int) -> str:
    """Return a number written the Indonesian way: dot for thousands, comma for decimals."""
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def question_bank(n: int, framework: dict) -> pd.DataFrame:
    """Return a question bank of n ≥ 54 questions covering every dimension × element × aspect."""
    if n < 54:
        raise ValueError("the question bank needs at least 54 questions (6 dimensions × 3 elements × 3 aspects)")
    cells = [(d, e, a) for d, dim in framework["dimensions"].items() for e in dim["elements"] for a in framework["aspects"]]
    rows = []
    for i in range(n):
        dimension, element, aspect = cells[i % len(cells)]
        round_ = i // len(cells)
        labels = framework["dimensions"][dimension]["elements"][element]
        kind = ["scale_1_5", "scale_1_5", "yes_no", "number"][round_ % 4] if round_ else "scale_1_5"
        if i % len(cells) % 7 == 3 and round_:
            kind = "number"
        row = {"question_code": f"Q{i + 1:03d}", "dimension": dimension, "element": element, "aspect": aspect,
               "answer_type": kind, "weight": 1, "direction": 1, "goal_low": None, "goal_high": None}
        about_id, about_en = ASPECT_TEXT[aspect]
        if kind == "scale_1_5":
            row["text_id"] = f"Tingkat kematangan {about_id} untuk {labels['id'].lower()}"
            row["text_en"] = f"Maturity of {about_en} for {labels['en'].lower()}"
        elif kind == "yes_no":
            row["text_id"] = f"Apakah tersedia dokumen {about_id} untuk {labels['id'].lower()}?"
            row["text_en"] = f"Are {about_en} documented for {labels['en'].lower()}?"
        elif i % 2:
            row.update(direction=-1, goal_low=0, goal_high=50)
            row["text_id"] = f"Jumlah aplikasi {labels['id'].lower()} yang belum terintegrasi"
            row["text_en"] = f"Number of {labels['en'].lower()} applications not yet integrated"
        else:
            row.update(goal_low=0, goal_high=100)
            row["text_id"] = f"Persentase layanan {labels['id'].lower()} yang sudah daring (%)"
            row["text_en"] = f"Share of {labels['en'].lower()} services online (%)"
        rows.append(row)
    return pd.DataFrame(rows)


def _latent(regions: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    effect = regions["island_group_code"].map(ISLAND_EFFECT) + np.where(regions["region_type"] == "kota", 0.5, 0.0)
    return pd.Series(effect.to_numpy() + rng.normal(0, 0.7, len(regions)), index=regions["region_code"])


def generate(size: DemoSize, settings: Settings, framework: dict, inject_defects: bool = True) -> dict[str, int]:
    """Write the demo's raw files under data/raw/ (replacing earlier demo files), with a question bank on the
    methodology's `framework`; return rows written per source."""
    rng = np.random.default_rng(size.seed)
    regions = reference.regions(settings.reference_dir)
    autonomous = regions[regions["is_autonomous"]].reset_index(drop=True)
    latent = _latent(autonomous, rng)
    raw = settings.raw_dir
    if raw.exists():
        shutil.rmtree(raw)
    counts = {}
    counts["fiscal_capacity"] = _fiscal(autonomous, latent, size, rng, raw / "fiscal_capacity", inject_defects)
    counts["government_performance"] = _performance(autonomous, latent, size, rng, raw / "government_performance", inject_defects)
    counts["sustainability"] = _sustainability(autonomous, latent, size, rng, raw / "sustainability", inject_defects)
    bank = question_bank(size.questions, framework)
    _write_csv(bank.astype(object).where(bank.notna(), ""), raw / "question_bank" / "bank_soal.csv", ",", "utf-8-sig")
    _sidecar(raw / "question_bank")
    counts["question_bank"] = len(bank)
    counts["questionnaires"] = _questionnaires(autonomous, latent, bank, size, rng, raw / "questionnaires", inject_defects)
    members = pd.read_csv(settings.reference_dir / "cohorts_known.csv", dtype=str)
    counts["evaluations"] = _evaluations(autonomous, latent, members, size, rng, raw / "evaluations", inject_defects)
    cohorts_dir = raw / "cohorts"
    cohorts_dir.mkdir(parents=True)
    shutil.copyfile(settings.reference_dir / "cohorts_known.csv", cohorts_dir / "cohorts_known.csv")
    _sidecar(cohorts_dir, {"publisher": "public news and regional government pages (see the source column)",
                           "licence": "facts from public pages", "synthetic": False})
    counts["cohorts"] = len(pd.read_csv(cohorts_dir / "cohorts_known.csv"))
    # Drawn last, so that the other demo files stay the same whatever is drawn here.
    provinces = reference.provinces(settings.reference_dir)
    # The provinces formed in 2022 -> the one they were split from, under which BPS still lists their regions with `-`.
    splits = reference.province_splits(settings.reference_dir)
    split_from = dict(zip(splits["successor_code"], splits["province_code"]))
    counts["indicators"] = _bps_exports(autonomous, provinces, split_from, latent, size, rng, raw / "indicators")
    return counts


def _sidecar(folder: Path, meta: dict | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_source.yaml").write_text(yaml.safe_dump(meta or SYNTHETIC, sort_keys=False), encoding="utf-8")


def _write_csv(df: pd.DataFrame, path: Path, delimiter: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(df.columns)
        writer.writerows(df.itertuples(index=False, name=None))


def _write_table(df: pd.DataFrame, path: Path, size: DemoSize, title_rows: list[str], delimiter: str = ";") -> None:
    """Write an XLSX, or a CSV with the same name when the size asks for CSV only."""
    if size.xlsx:
        _write_xlsx(df, path, title_rows)
    else:
        _write_csv(df, path.with_suffix(".csv"), delimiter)


def _write_xlsx(df: pd.DataFrame, path: Path, title_rows: list[str]) -> None:
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    for title in title_rows:
        sheet.append([title])
    if title_rows:
        sheet.append([])
    sheet.append(list(df.columns))
    for row in df.itertuples(index=False, name=None):
        sheet.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    workbook.save(path)
    _pin_xlsx_timestamps(path)


def _pin_xlsx_timestamps(path: Path) -> None:
    """Rewrite an XLSX with fixed save times so the same seed gives byte-identical files."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def _fiscal(regions, latent, size, rng, folder, defects) -> int:
    _sidecar(folder)
    total = 0
    for k, year in enumerate(size.years):
        value = np.exp(0.45 * latent.to_numpy() + rng.normal(0, 0.3, len(regions)) + 0.02 * k)
        category = pd.cut(value, [-np.inf, 0.5, 0.8, 1.25, 2.0, np.inf],
                          labels=["sangat rendah", "rendah", "sedang", "tinggi", "sangat tinggi"]).astype(str)
        df = pd.DataFrame({"kode_wilayah": regions["region_code"], "nama_daerah": regions["region_name"],
                           "tahun": year, "ikfd": [id_number(v, 4) for v in value], "kategori": category,
                           "pmk": "PMK 84/2023 (sintetis)"})
        if defects and year == size.years[-1]:
            df.loc[len(df)] = ["", "Probolinggo", year, "1,2345", "sedang", "PMK 84/2023 (sintetis)"]
            df.loc[len(df)] = ["", "Kota Atlantis", year, "0,9000", "sedang", "PMK 84/2023 (sintetis)"]
        _write_csv(df, folder / f"kapasitas_fiskal_{year}.csv", ";")
        total += len(df)
    return total


def _performance(regions, latent, size, rng, folder, defects) -> int:
    _sidecar(folder)
    total = 0
    for k, year in enumerate(size.years):
        score = np.clip(2.6 + 0.35 * latent.to_numpy() + rng.normal(0, 0.25, len(regions)) + 0.03 * k, 0, 4).round(4)
        status = pd.cut(score, [-np.inf, 1, 2, 3, np.inf], labels=["rendah", "sedang", "tinggi", "sangat tinggi"],
                        right=False).astype(str)
        df = pd.DataFrame({"Kode": regions["region_code"], "Pemerintah Daerah": regions["region_name"],
                           "Tahun": year, "Skor": score, "Status": status})
        df["Peringkat"] = df["Skor"].rank(ascending=False, method="min").astype(int)
        if defects and year == size.years[-1]:
            df.loc[0, "Skor"] = 4.7
            df.loc[len(df)] = ["35.13", "Kota Probolinggo", year, 3.1, "sangat tinggi", 50]
        title = [f"Hasil Evaluasi Kinerja Penyelenggaraan Pemerintahan Daerah (EKPPD) Tahun {year}",
                 "Data sintetis untuk demo - bukan data resmi Kemendagri"]
        _write_table(df, folder / f"ekppd_{year}.xlsx", size, title)
        total += len(df)
    return total


def _sustainability(regions, latent, size, rng, folder, defects) -> int:
    _sidecar(folder)
    kota = regions["region_type"] == "kota"
    total = 0
    for k, year in enumerate(size.years):
        value = np.clip(55 + 8 * latent.to_numpy() + rng.normal(0, 6, len(regions)) + 0.5 * k, 0, 100).round(2)
        df = pd.DataFrame({"region_code": regions["region_code"], "region_name": regions["region_name"],
                           "year": year, "value": value, "index_name": "IKB"})[kota.to_numpy()].reset_index(drop=True)
        if defects and year == size.years[-1]:
            df.loc[len(df)] = df.loc[0].tolist()
        _write_csv(df, folder / f"ikb_kota_{year}.csv", ",")
        total += len(df)
    return total


def _bps_values(regions, latent, size, rng) -> dict[str, np.ndarray]:
    """Return each BPS statistic as a region × year array: IPM higher and P0 lower with the latent readiness,
    population density log-normal around a kota's or a kabupaten's typical level (jiwa/km²)."""
    shape = (len(regions), len(size.years))
    trend = np.arange(len(size.years))
    z = latent.to_numpy()[:, None]
    is_kota = (regions["region_type"] == "kota").to_numpy()[:, None]

    def noise(sd: float) -> np.ndarray:
        # A region's own level, and a much smaller change from year to year.
        return rng.normal(0, sd, (shape[0], 1)) + rng.normal(0, sd / 8, shape)

    return {
        "ipm": np.clip(71 + 4 * z + noise(2.0) + 0.5 * trend, 50, 90),
        "p0": np.exp(np.log(10) - 0.45 * z + noise(0.3) - 0.03 * trend),
        "kepadatan_penduduk": np.exp(np.log(np.where(is_kota, 3500, 120)) + 0.3 * z + noise(0.8) + 0.01 * trend),
    }


def _bps_exports(regions, provinces, split_from, latent, size, rng, folder) -> int:
    """Write one BPS table export per statistic, every year a column; return the data rows written (below the header).

    The layout is BPS's: a three-line header (label, title, years), a capitalised row per province (its value the
    mean of its kab/kota) opening a block of names only (kabupaten bare, `Kota X`, kabupaten before kota), the
    regions of the 2022 Papua provinces listed with `-` under the province they were split from too, and a last
    `INDONESIA` row. DKI Jakarta has no autonomous kab/kota: its row takes the mean of all kota.
    """
    _sidecar(folder, BPS_SYNTHETIC)
    values = _bps_values(regions, latent, size, rng)
    names = regions["region_name"].str.removeprefix("Kabupaten ")
    order = regions.sort_values(["region_type", "region_code"]).index
    kota = (regions["region_type"] == "kota").to_numpy()
    blocks = []   # (province row name, the regions its value averages, [(region, has a value)] listed under it)
    for code, name in zip(provinces["province_code"], provinces["province_name"]):
        own = (regions["province_code"] == code).to_numpy()
        split = (regions["province_code"].map(split_from) == code).to_numpy()
        listed = [(i, bool(own[i])) for i in order if own[i] or split[i]]
        blocks.append((BPS_PROVINCE_NAMES.get(code, name.upper()), own if own.any() else kota, listed))
    years = f"{size.years[0]}-{size.years[-1]}" if len(size.years) > 1 else f"{size.years[0]}"

    def numbers(row: np.ndarray) -> list[str]:
        return [f"{v:.2f}" for v in row]

    total = 0
    for stem, title in BPS_TABLES.items():
        value = values[stem]
        cells = [["Provinsi/Kabupaten/Kota"] + [""] * len(size.years), ["", title] + [""] * (len(size.years) - 1),
                 [""] + [str(y) for y in size.years]]
        for name, averaged, listed in blocks:
            cells.append([name, *numbers(value[averaged].mean(axis=0))])
            cells += [[names[i], *(numbers(value[i]) if has_value else ["-"] * len(size.years))]
                      for i, has_value in listed]
        cells.append(["INDONESIA", *numbers(value.mean(axis=0))])
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(cells)
        # BPS's exports end without a final newline.
        (folder / f"{stem}_{years}.csv").write_text(text.getvalue().removesuffix("\n"), encoding="utf-8")
        total += len(cells) - 3
    return total


def _answer_text(kind: str, level: float, rng: np.random.Generator, goal: tuple, direction: int) -> str:
    if kind == "scale_1_5":
        level = int(level)
        style = rng.integers(0, 3)
        return str(level) if style == 0 else (f"{level} - {SCALE_NAMES[level]}" if style == 1 else f"Level {level}")
    if kind == "yes_no":
        return "Ya" if level >= 3 else "Tidak"
    low, high = goal
    share = (level - 1) / 4 if direction > 0 else 1 - (level - 1) / 4
    return id_number(low + share * (high - low) + rng.normal(0, 2), 1)


def _questionnaires(regions, latent, bank, size, rng, folder, defects) -> int:
    _sidecar(folder)
    n = min(size.shortlist, len(regions))
    noisy = latent.to_numpy() + rng.normal(0, 0.8, len(regions))
    chosen = regions.iloc[np.sort(np.argsort(-noisy)[:n])].reset_index(drop=True)
    readiness = 0.6 * latent[chosen["region_code"]].to_numpy() + rng.normal(0, 0.6, n)
    last = size.years[-1]
    periods = list(range(last - size.questionnaire_periods + 1, last + 1))
    rows_written = 0
    for period in periods:
        # Readiness grows a little each year; only the last period carries the planted defects.
        frame = _submissions(chosen, readiness + 0.05 * (period - last), bank, size, rng, period)
        if defects and period == last:
            frame = _with_defects(frame, bank, period)
        suffix = f"_{period}" if len(periods) > 1 else ""
        rows_written += _write_submissions(frame, bank, size, folder, suffix)
    return rows_written


def _submissions(chosen, readiness, bank, size, rng, period) -> pd.DataFrame:
    dims = list(dict.fromkeys(bank["dimension"]))
    question_specs = list(bank[["answer_type", "goal_low", "goal_high", "direction"]].itertuples(index=False, name=None))
    rows = []
    for i, region in chosen.iterrows():
        dim_offset = dict(zip(dims, rng.normal(0, 0.4, len(dims))))
        n_opd = int(rng.integers(size.opds[0], size.opds[1] + 1))
        for j, opd in enumerate(rng.choice(OPDS, size=min(n_opd, len(OPDS)), replace=False)):
            base = 3 + readiness[i] + rng.normal(0, 0.3)
            noise = rng.normal(0, 0.8, len(bank))
            level = np.clip(np.rint(base + bank["dimension"].map(dim_offset).to_numpy() + noise), 1, 5)
            missing = rng.random(len(bank)) < size.missing_answer_pct / 100
            answers = ["" if missing[q] else _answer_text(k, level[q], rng, (gl, gh), d)
                       for q, (k, gl, gh, d) in enumerate(question_specs)]
            minute = int(rng.integers(0, 60 * 24 * 20))
            stamp = pd.Timestamp(f"{period}-09-01") + pd.Timedelta(minutes=minute)
            person = f"Responden {region['region_code']}-{j + 1}"
            rows.append([stamp.strftime("%d/%m/%Y %H:%M:%S"), region["region_code"], region["region_name"], opd, period,
                         person, f"responden{j + 1}.{region['region_code'].replace('.', '')}@contoh.go.id",
                         f"08{rng.integers(10**9, 10**10)}", region["province_code"], *answers])
    return pd.DataFrame(rows, columns=SUBMISSION_COLUMNS + list(bank["question_code"]))


SUBMISSION_COLUMNS = ["Timestamp", "Kode Wilayah", "Nama Daerah", "Perangkat Daerah", "Periode", "Nama Responden",
                      "Email", "No HP", "_province"]


def _with_defects(df: pd.DataFrame, bank: pd.DataFrame, period: int) -> pd.DataFrame:
    """Plant an earlier duplicate submission, an out-of-scale answer and an ambiguous region name."""
    first = df.iloc[0].copy()
    earlier = first.copy()
    earlier["Timestamp"] = "01/08/%d 08:00:00" % period
    earlier[bank["question_code"].iloc[0]] = "1"
    df.loc[len(df)] = earlier
    scale_q = bank.loc[bank["answer_type"] == "scale_1_5", "question_code"].iloc[1]
    df.loc[1, scale_q] = "7"
    df.loc[len(df)] = [*first.iloc[:1], "", "Probolinggo", *first.iloc[3:]]
    return df


def _write_submissions(df: pd.DataFrame, bank: pd.DataFrame, size: DemoSize, folder: Path, suffix: str) -> int:
    rows_written = 0
    for k, (province, part) in enumerate(df.groupby("_province", sort=True)):
        part = part.drop(columns="_province")
        if k % 5 == 4:
            # Some provinces send one row per answer (the long layout of an online form export).
            long = part.melt(id_vars=SUBMISSION_COLUMNS[:8], value_vars=list(bank["question_code"]),
                             var_name="kode_pertanyaan", value_name="jawaban").sort_values(
                ["Timestamp", "Perangkat Daerah", "kode_pertanyaan"], kind="stable")
            _write_csv(long, folder / f"kuesioner_opd_{province}{suffix}_per_jawaban.csv", ",")
            rows_written += len(long)
        elif k % 2:
            _write_table(part, folder / f"kuesioner_opd_{province}{suffix}.xlsx", size, [])
            rows_written += len(part)
        else:
            _write_csv(part, folder / f"kuesioner_opd_{province}{suffix}.csv", ";")
            rows_written += len(part)
    return rows_written


COMPONENTS = ["baseline", "output", "outcome", "impact", "quick_win"]


def _evaluations(regions, latent, members, size, rng, folder, defects) -> int:
    """Write assessors' score sheets, one file per evaluation year: known members first, 3 assessors per region.

    One assessor of the pool is lenient (+0.5); a few cells get one assessor far off (moderation cases); quick wins
    are scored as a whole, the other components per dimension. A member is evaluated from the year after it joined.
    """
    if not size.evaluation_regions:
        return 0
    _sidecar(folder)
    codes = set(regions["region_code"])
    smart_city = members[(members["programme"] == "smart_city") & members["region_code"].isin(codes)]
    joined = dict(zip(smart_city["region_code"], smart_city["year_joined"].astype(int)))
    others = [c for c in latent.sort_values(ascending=False).index if c not in joined]
    evaluated = sorted((list(joined) + others)[:size.evaluation_regions])
    names = dict(zip(regions["region_code"], regions["region_name"]))
    pool = [f"Asesor {i:02d}" for i in range(1, max(4, round(size.evaluation_regions / 5)) + 1)]
    lenient = pool[6 % len(pool)]
    dimensions = ["governance", "branding", "economy", "living", "society", "environment"]
    truth = {code: np.clip(2.0 + 0.5 * latent[code] + rng.normal(0, 0.3, (len(COMPONENTS), len(dimensions))), 0, 4)
             for code in evaluated}
    rows_written = 0
    for k, year in enumerate(size.evaluation_years):
        rows = []
        for code in evaluated:
            if joined.get(code, 0) >= year:
                continue
            truth[code] = np.clip(truth[code] + (rng.normal(0.15, 0.2, truth[code].shape) if k else 0), 0, 4)
            for assessor in sorted(rng.choice(pool, size=size.assessors_per_region, replace=False)):
                bias = 0.5 if assessor == lenient else rng.normal(0, 0.15)
                noise = rng.normal(0, 0.3, truth[code].shape) + rng.choice([0, 1.75, -1.75], truth[code].shape,
                                                                           p=[0.98, 0.01, 0.01])
                scores = np.clip(np.round((truth[code] + bias + noise) * 2) / 2, 0, 4) + 0.0  # no "-0,0"
                for c, component in enumerate(COMPONENTS):
                    # Quick wins are judged as a whole: the sheet leaves the dimension empty.
                    cells = [("", scores[c].mean())] if component == "quick_win" else zip(dimensions, scores[c])
                    for dimension, score in cells:
                        rows.append([code, names[code], year, assessor, component, dimension,
                                     id_number(np.round(score * 2) / 2, 1), f"{year}-10-{1 + c:02d} 09:00:00"])
        df = pd.DataFrame(rows, columns=["kode_wilayah", "nama_daerah", "tahun", "asesor", "komponen", "dimensi",
                                         "skor", "waktu"])
        if defects and year == size.evaluation_years[-1]:
            # One sheet went missing: the last region has one assessor fewer (flagged as too few assessors).
            last = df[df["kode_wilayah"] == df["kode_wilayah"].iloc[-1]]
            df = df.drop(last.index[last["asesor"] == last["asesor"].iloc[-1]]).reset_index(drop=True)
            df.loc[0, "skor"] = "5,0"
            again = df.iloc[1].copy()
            again["skor"], again["waktu"] = "2,5", f"{year}-11-01 09:00:00"
            df.loc[len(df)] = again
        _write_csv(df, folder / f"penilaian_{year}.csv", ";")
        rows_written += len(df)
    return rows_written
