"""Incremental ingest and validation (unchanged files are not parsed again, unchanged tables not validated again) and
the last-good fallback of a failed source."""

import re
import shutil

import pandas as pd

from pipelines.ingest.run import ingest
from pipelines.settings import Settings, load_yaml
from pipelines.validate.run import validate
from tests.conftest import ROOT

FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")

CORPUS = ROOT / "tests" / "fixtures" / "malformed"


def _settings(tmp_path, **validation):
    settings = Settings.default(tmp_path, **{"coverage_min_pct": 0, "as_of_year": 2025, **validation})
    (settings.raw_dir / "fiscal_capacity").mkdir(parents=True)
    return settings


def test_unchanged_files_are_read_from_the_cache(tmp_path):
    settings = _settings(tmp_path)
    folder = settings.raw_dir / "fiscal_capacity"
    shutil.copyfile(CORPUS / "fiscal_ok_indonesian.csv", folder / "a.csv")
    # The second file is another year's: the same regions and year in both would be conflicting duplicates.
    bad_number = (CORPUS / "fiscal_bad_number.csv").read_text().replace("2024", "2023")
    (folder / "b.csv").write_text(bad_number)
    first = ingest(settings, FRAMEWORK)
    assert first.files["was_parsed"].tolist() == [True, True]

    (folder / "b.csv").write_text(bad_number.replace("satu koma dua", "1,2"))
    second = ingest(settings, FRAMEWORK)
    assert dict(zip(second.files["source_file"], second.files["was_parsed"])) == {
        "fiscal_capacity/a.csv": False, "fiscal_capacity/b.csv": True}
    assert len(list((settings.staging_dir / "cache").iterdir())) == 2     # b.csv's earlier parse is dropped
    # A damaged entry is parsed again, not an error.
    next((settings.staging_dir / "cache").glob("*/rows.parquet")).write_bytes(b"not parquet")
    assert ingest(settings, FRAMEWORK).files["was_parsed"].sum() == 1
    # The cached parse gives the same tables as parsing again.
    shutil.rmtree(settings.staging_dir / "cache")
    fresh = ingest(settings, FRAMEWORK)
    pd.testing.assert_frame_equal(second.tables["fiscal_capacity"], fresh.tables["fiscal_capacity"])
    assert len(fresh.tables["fiscal_capacity"]) == 6


def test_a_changed_contract_invalidates_the_cache(tmp_path):
    settings = _settings(tmp_path)
    shutil.copyfile(CORPUS / "fiscal_ok_indonesian.csv", settings.raw_dir / "fiscal_capacity" / "a.csv")
    ingest(settings, FRAMEWORK)
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    contract = config / "sources" / "fiscal_capacity.yaml"
    contract.write_text(contract.read_text().replace("rasio_kfd", "rasio_kfd, rkfd"))
    staged = ingest(_with_config(settings, config), FRAMEWORK)
    assert staged.files["was_parsed"].tolist() == [True]


def _cache_entries(settings) -> dict[str, int]:
    """Return the validation cache's entries (file name -> modification time in ns)."""
    return {p.name: p.stat().st_mtime_ns for p in (settings.staging_dir / "validation_cache").glob("*.json")}


def _docs_pages(settings) -> list[str]:
    """Return the Data Docs' pages, each run's time in their paths replaced by TIME."""
    return sorted(re.sub(r"\d{8}T\d{6}\.\d+Z", "TIME", p.relative_to(settings.validation_docs_dir).as_posix())
                  for p in settings.validation_docs_dir.rglob("*.html"))


def test_a_table_whose_rows_did_not_change_is_not_validated_again(tmp_path):
    settings = _settings(tmp_path)
    shutil.copyfile(CORPUS / "fiscal_ok_indonesian.csv", settings.raw_dir / "fiscal_capacity" / "a.csv")
    (settings.raw_dir / "sustainability").mkdir()
    # A value over 100 fails a row rule; a file of a year after the run's fails a file rule (its observed year).
    shutil.copyfile(CORPUS / "ikb_over_100.csv", settings.raw_dir / "sustainability" / "a.csv")
    shutil.copyfile(CORPUS / "fiscal_year_out_of_range.csv", settings.raw_dir / "fiscal_capacity" / "b.csv")
    first = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    entries = _cache_entries(settings)
    assert len(entries) == 2                                         # the two tables that received rows
    rules = set(first.quarantine.loc[first.quarantine["stage"] == "validate", "rule"].str.split(":").str[0])
    assert {"between", "year_after_run"} <= rules, rules

    again = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    assert _cache_entries(settings) == entries                       # both read back, neither written again
    assert again.suites == first.suites
    next(iter((settings.staging_dir / "validation_cache").glob("*.json"))).write_text("{}")   # damaged: validated again
    assert validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK).suites == first.suites
    entries = _cache_entries(settings)
    pd.testing.assert_frame_equal(again.quarantine, first.quarantine)

    # One fiscal value changes: that table is validated again, the other is reused; the replaced entry is dropped.
    path = settings.raw_dir / "fiscal_capacity" / "a.csv"
    path.write_text(path.read_text().replace("0,5766", "0,6766"))
    third = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    now = _cache_entries(settings)
    assert len(now) == 2 and len(set(now) & set(entries)) == 1
    kept = (set(now) & set(entries)).pop()
    assert now[kept] == entries[kept]
    # What the cache gives equals validating from scratch, Data Docs included (a page's path has its run's time).
    docs = _docs_pages(settings)
    shutil.rmtree(settings.staging_dir / "validation_cache")
    fresh = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    assert third.suites == fresh.suites
    pd.testing.assert_frame_equal(third.quarantine, fresh.quarantine)
    for table in ("fiscal_capacity", "sustainability"):
        pd.testing.assert_frame_equal(third.tables[table], fresh.tables[table])
    assert docs == _docs_pages(settings)
    assert any("sustainability" in name for name in docs)


def test_parses_made_by_other_parsing_code_are_not_reused(tmp_path, monkeypatch):
    settings = _settings(tmp_path)
    shutil.copyfile(CORPUS / "fiscal_ok_indonesian.csv", settings.raw_dir / "fiscal_capacity" / "a.csv")
    assert ingest(settings, FRAMEWORK).files["was_parsed"].tolist() == [True]
    assert ingest(settings, FRAMEWORK).files["was_parsed"].tolist() == [False]
    # The same version number with other code (an upgrade, a fix) parses again: the key takes the code's hash.
    code = tmp_path / "pipelines"
    shutil.copytree(ROOT / "pipelines", code, ignore=shutil.ignore_patterns("__pycache__"))
    readers = code / "ingest" / "readers.py"
    readers.write_text(readers.read_text() + "\n# a change\n")
    monkeypatch.setattr("pipelines.code.PACKAGE", code)
    assert ingest(settings, FRAMEWORK).files["was_parsed"].tolist() == [True]

def _with_config(settings, config):
    """Return settings whose config/ folder is `config` (everything else unchanged)."""

    class Relocated(Settings):
        @property
        def config_dir(self):
            return config

    return Relocated(root=settings.root, data_dir=settings.data_dir, validation=settings.validation)


def test_a_file_covering_too_few_regions_fails_its_source_and_the_last_good_version_is_used(tmp_path):
    settings = _settings(tmp_path, coverage_min_pct=50)
    folder = settings.raw_dir / "government_performance"
    folder.mkdir()
    regions = pd.read_csv(ROOT / "data" / "reference" / "regions" / "regencies.csv", dtype=str)
    autonomous = regions[~regions["code"].str.startswith("31.")]
    full = pd.DataFrame({"kode": autonomous["code"], "tahun": 2024, "skor": 3.0})
    full.to_csv(folder / "ekppd_2024.csv", index=False)
    first = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    assert first.source_status.set_index("table").loc["government_performance", "status"] == "passed"

    # 200 of 508 regions is 39 %, below the 50 % gate (254 regions).
    full.head(200).assign(tahun=2025, skor=2.0).to_csv(folder / "ekppd_2025.csv", index=False)
    second = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    status = second.source_status.set_index("table").loc["government_performance"]
    assert status["status"] == "failed" and status["reason"] == "coverage (200 rows)"
    assert "last good version (508 rows from government_performance/ekppd_2024.csv)" == status["version_used"]
    used = second.tables["government_performance"]
    assert set(used["year"]) == {2024} and len(used) == 508
    quarantine = second.quarantine[second.quarantine["source_file"] == "government_performance/ekppd_2025.csv"]
    assert len(quarantine) == 200 and set(quarantine["rule"]) == {"coverage: expect_column_unique_value_count_to_be_between"}
    assert "covers 200 regions for one year, fewer than the 254 needed" in quarantine["message"].iloc[0]
    log = second.ingest_log.set_index("source_file").loc["government_performance/ekppd_2025.csv"]
    assert (log["rows_read"], log["rows_curated"], log["rows_quarantined"]) == (200, 0, 200)


def test_a_failed_source_without_an_earlier_good_version_is_left_out(tmp_path):
    settings = _settings(tmp_path)
    shutil.copyfile(CORPUS / "fiscal_year_out_of_range.csv", settings.raw_dir / "fiscal_capacity" / "f.csv")
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    status = curated.source_status.set_index("table").loc["fiscal_capacity"]
    assert status["status"] == "failed" and status["version_used"].startswith("none")
    assert curated.tables["fiscal_capacity"].empty
    message = curated.quarantine["message"].iloc[0]
    assert "the file has year 2031, after the run year 2025" in message and "fix:" in message


def test_a_renamed_or_copied_file_is_counted_under_its_own_name(tmp_path):
    settings = _settings(tmp_path)
    folder = settings.raw_dir / "fiscal_capacity"
    shutil.copyfile(CORPUS / "fiscal_ok_indonesian.csv", folder / "a.csv")
    validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    (folder / "a.csv").rename(folder / "renamed.csv")
    shutil.copyfile(folder / "renamed.csv", folder / "copy.csv")
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    log = curated.ingest_log.set_index("source_file")
    # Two identical files: every row counts once, in the first file by name; the other's rows are superseded.
    assert log.loc["fiscal_capacity/copy.csv", ["rows_curated", "rows_superseded"]].tolist() == [3, 0]
    assert log.loc["fiscal_capacity/renamed.csv", ["rows_curated", "rows_superseded"]].tolist() == [0, 3]


QUESTIONNAIRE = ("Timestamp;Kode Wilayah;Perangkat Daerah;Periode;Q001;Q002;No HP\n"
                 "01/09/2024 10:00:00;35.13;Diskominfo;{period};3;Ya;0812;3456\n")


def _questionnaire_settings(tmp_path, bank_rows: str, period: int = 2024):
    settings = _settings(tmp_path)
    for source, name, text in (("question_bank", "bank.csv", "question_code,dimension,element,aspect,answer_type,"
                                "goal_low,goal_high\n" + bank_rows),
                               ("questionnaires", "q.csv", QUESTIONNAIRE.format(period=period))):
        (settings.raw_dir / source).mkdir(exist_ok=True)
        (settings.raw_dir / source / name).write_text(text)
    return settings


def test_spilled_over_cells_of_a_questionnaire_are_not_repeated(tmp_path):
    bank = "Q001,governance,public_service,structure,scale_1_5,,\nQ002,governance,public_policy,structure,yes_no,,\n"
    settings = _questionnaire_settings(tmp_path, bank)
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    row = curated.quarantine.set_index("rule").loc["row_too_long"]
    assert row["value"] is None and "3456" not in row["message"] and "personal data" in row["message"]


def test_an_unknown_answer_type_quarantines_the_answers_instead_of_stopping(tmp_path):
    bank = "Q001,governance,public_service,structure,skala_1_5,,\nQ002,governance,public_policy,structure,yes_no,,\n"
    settings = _questionnaire_settings(tmp_path, bank)
    (settings.raw_dir / "questionnaires" / "q.csv").write_text(QUESTIONNAIRE.format(period=2024).replace(";3456", ""))
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    rules = curated.quarantine.groupby("source")["rule"].apply(lambda r: sorted(x.split(":")[0] for x in r)).to_dict()
    assert rules == {"question_bank": ["in_set"], "questionnaires": ["answer_unreadable"]}
    assert "unknown answer type 'skala_1_5'" in curated.quarantine.set_index("source").loc["questionnaires", "message"]


def test_a_questionnaire_gate_failure_falls_back_both_tables(tmp_path):
    bank = "Q001,governance,public_service,structure,scale_1_5,,\nQ002,governance,public_policy,structure,yes_no,,\n"
    settings = _questionnaire_settings(tmp_path, bank, period=2094)
    (settings.raw_dir / "questionnaires" / "q.csv").write_text(QUESTIONNAIRE.format(period=2094).replace(";3456", ""))
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    status = curated.source_status.set_index("table")["status"]
    assert status["questionnaire_submissions"] == status["questionnaire_answers"] == "failed"
    assert curated.tables["questionnaire_answers"].empty and curated.tables["questionnaire_submissions"].empty
