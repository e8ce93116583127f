import json

import pandas as pd
import pytest

from pipelines import sources
from pipelines.ingest import parsers, run
from pipelines.ingest.canonical import Problems, canonical_rows
from pipelines.ingest.readers import read_raw
from pipelines.ingest.regions import RegionResolver
from pipelines.ingest.run import ingest, key_conflicts, supersede
from pipelines.settings import Settings, load_yaml
from pipelines.sources import file_sha256, is_inside, load_contracts
from pipelines.validate.run import AccountingError, row_accounting
from tests.conftest import ROOT

CONTRACT = load_contracts(ROOT / "config" / "sources")
FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")


def test_canonical_rows_parse_types_and_quarantine_bad_rows(tmp_path, reference_regions):
    path = tmp_path / "ekppd.csv"
    path.write_text("kode;pemerintah_daerah;tahun;skor;predikat\n"
                    "35.13;Kab. Probolinggo;2024;3,25;Sangat Tinggi\n"
                    ";Probolinggo;2024;3,1;tinggi\n"
                    "35.74;Kota Probolinggo;dua ribu;2,0;sedang\n"
                    "35.74;Kota Probolinggo;2024;;sedang\n")
    problems = Problems("government_performance", "government_performance/ekppd.csv")
    rows = canonical_rows(read_raw(path, set()), CONTRACT["government_performance"], problems,
                          RegionResolver(reference_regions))
    assert rows[["region_code", "year", "performance_score", "performance_status", "source_row"]].values.tolist() == [
        ["35.13", 2024, 3.25, "sangat tinggi", 2]]
    found = problems.frame().set_index("source_row")
    assert found.loc[3, "rule"] == "region_ambiguous"
    assert found.loc[4, "rule"] == "integer_unreadable" and found.loc[4, "source_column"] == "tahun"
    assert found.loc[5, "rule"] == "required_missing" and "skor is empty" in found.loc[5, "message"]


def test_latest_submission_supersedes_earlier():
    table = pd.DataFrame({
        "region_code": ["35.13", "35.13", "35.74"], "opd_name": ["Diskominfo"] * 3, "period": [2024] * 3,
        "submitted_at": pd.to_datetime(["2024-09-02", "2024-09-01", "2024-09-01"]),
        "source_file": ["a.csv", "b.csv", "a.csv"], "source_row": [2, 2, 3]})
    kept, superseded = supersede(table, "questionnaires", ["region_code", "opd_name", "period"], "submitted_at")
    assert kept[["source_file", "source_row"]].values.tolist() == [["a.csv", 2], ["a.csv", 3]]
    assert superseded[["source_file", "source_row", "superseded_by"]].values.tolist() == [["b.csv", 2, "a.csv row 2"]]


def test_exact_duplicate_statistics_are_counted_once():
    table = pd.DataFrame({"region_code": ["35.13", "35.13", "35.74"], "year": [2024] * 3,
                          "sustainability_index": [60.0, 60.0, 70.0], "source_file": ["s.csv"] * 3,
                          "source_row": [2, 3, 4]})
    kept, superseded = supersede(table, "sustainability", ["region_code", "year"], None)
    assert kept["source_row"].tolist() == [2, 4]
    assert superseded["source_row"].tolist() == [3] and "exact duplicate" in superseded["reason"][0]


def test_row_accounting_fails_loudly_when_rows_go_missing():
    files = pd.DataFrame({"source_file": ["f.csv"], "source": ["fiscal_capacity"], "sha256": ["x"], "rows_read": [3],
                          "file_error": [None], "notes": [None], "was_parsed": [True]})
    no_questionnaires = pd.DataFrame(columns=["submission_id", "layout", "source_file", "source_row"])
    tables = {"fiscal_capacity": pd.DataFrame({"source_file": ["f.csv"], "source_row": [2]}),
              "questionnaire_submissions": no_questionnaires, "questionnaire_answers": no_questionnaires}
    quarantine = pd.DataFrame({"source_file": ["f.csv"], "source_row": [3], "scope": ["row"]})
    empty = pd.DataFrame(columns=["source_file", "source_row"])
    with pytest.raises(AccountingError, match="f.csv: read 3"):
        row_accounting(files, tables, quarantine, empty, {"fiscal_capacity": "fiscal_capacity"})
    log = row_accounting(files.assign(rows_read=2), tables, quarantine, empty, {"fiscal_capacity": "fiscal_capacity"})
    assert log[["rows_curated", "rows_quarantined", "rows_superseded"]].values.tolist() == [[1, 1, 0]]


GOOD_FISCAL = "kode_wilayah;tahun;ikfd\n35.13;2024;0,9\n"


def _raw(settings, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = settings.raw_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


def test_file_records_hold_none_not_nan_next_to_an_unreadable_file(tmp_path):
    settings = Settings.default(tmp_path)
    _raw(settings, {"fiscal_capacity/a_empty.csv": b"", "fiscal_capacity/b.csv": GOOD_FISCAL})
    for run in ("parsed", "from the cache"):
        files = ingest(settings, FRAMEWORK).files.set_index("source_file")
        good, bad = files.loc["fiscal_capacity/b.csv"], files.loc["fiscal_capacity/a_empty.csv"]
        assert good["file_error"] is None and good["notes"] is None, run
        assert json.loads(good["column_map"]) == {"region_code": "kode_wilayah", "year": "tahun",
                                                  "fiscal_capacity_value": "ikfd"}, run
        assert (bad["file_error"], bad["column_map"], bad["rows_read"]) == ("the file is empty", None, 0), run
        assert bad["publisher"] is None, run


def test_a_link_out_of_the_data_folder_is_reported_and_never_read(tmp_path, monkeypatch):
    settings = Settings.default(tmp_path / "data")
    _raw(settings, {"fiscal_capacity/b.csv": GOOD_FISCAL})
    secret = tmp_path / "secret.csv"
    secret.write_text(GOOD_FISCAL)
    (settings.raw_dir / "fiscal_capacity" / "passwd.csv").symlink_to(secret)
    (settings.raw_dir / "fiscal_capacity" / "etc").symlink_to(tmp_path, target_is_directory=True)
    (settings.raw_dir / "fiscal_capacity" / "same.csv").symlink_to(settings.raw_dir / "fiscal_capacity" / "b.csv")
    opened = []
    monkeypatch.setattr(run, "read_raw", lambda path, known: opened.append(path.resolve()) or read_raw(path, known))
    monkeypatch.setattr(sources, "file_sha256", lambda path: opened.append(path.resolve()) or file_sha256(path))
    files = ingest(settings, FRAMEWORK, expected={"fiscal_capacity/b.csv": file_sha256(settings.raw_dir / "fiscal_capacity/b.csv"),
                                       "fiscal_capacity/same.csv": file_sha256(secret)}).files.set_index("source_file")
    for name in ("fiscal_capacity/passwd.csv", "fiscal_capacity/etc"):
        record = files.loc[name]
        assert record["file_error"] == "a link to a file outside the data folder (data/raw/); not read"
        assert (record["rows_read"], record["size_bytes"]) == (0, 0) and record["sha256"].startswith("link:")
    assert files.loc["fiscal_capacity/same.csv", "rows_read"] == 1      # a link inside data/raw/ is read
    assert secret.resolve() not in opened and tmp_path.resolve() not in opened
    assert is_inside(settings.raw_dir / "fiscal_capacity" / "same.csv", settings.raw_dir)
    assert not is_inside(settings.raw_dir / "fiscal_capacity" / "passwd.csv", settings.raw_dir)


def test_files_outside_the_source_folders_are_listed_with_a_reason(tmp_path):
    settings = Settings.default(tmp_path)
    questionnaire = "Timestamp;Kode Wilayah;Perangkat Daerah;Periode;Q001\n13/09/2024 10:00:00;35.13;Diskominfo;2024;3\n"
    _raw(settings, {"fiscal_capacity/b.csv": GOOD_FISCAL, "x.csv": GOOD_FISCAL, "misc/kuesioner.csv": questionnaire,
                    "misc/notes.docx": b"PK\x03\x04", "README.md": "notes", ".DS_Store": b"\x00",
                    "misc/_source.yaml": "publisher: x\n", "misc/.hidden/y.csv": GOOD_FISCAL})
    staged = ingest(settings, FRAMEWORK)
    assert staged.ignored.values.tolist() == [
        ["misc/kuesioner.csv", "not in a source folder; its columns look like a questionnaire: move it to questionnaires/"],
        ["misc/notes.docx", "not in a source folder: move it into one of question_bank/, fiscal_capacity/, "
                            "government_performance/, sustainability/, indicators/, evaluations/, cohorts/, questionnaires/"],
        ["x.csv", "not in a source folder; its columns look like a fiscal capacity table: move it to fiscal_capacity/"],
    ]
    assert list(staged.ignored.columns) == ["source_file", "reason"]
    assert staged.files["source_file"].tolist() == ["fiscal_capacity/b.csv"]
    assert pd.read_parquet(settings.staging_dir / "ignored_files.parquet").values.tolist() == staged.ignored.values.tolist()


def test_a_long_list_of_ignored_columns_is_cut_in_the_log(tmp_path):
    settings = Settings.default(tmp_path)
    extra = [f"kolom_{i}" for i in range(500)]
    _raw(settings, {"fiscal_capacity/b.csv": ";".join(["kode_wilayah", "tahun", "ikfd", *extra]) + "\n35.13;2024;0,9\n"})
    notes = ingest(settings, FRAMEWORK).files.loc[0, "notes"]
    assert notes == "columns not in the contract, ignored: " + ", ".join(extra[:10]) + " and 490 more"


def test_conflicting_duplicates_across_files_name_the_other_file(tmp_path):
    settings = Settings.default(tmp_path)
    _raw(settings, {"fiscal_capacity/a.csv": GOOD_FISCAL, "fiscal_capacity/b.csv": GOOD_FISCAL.replace("0,9", "0,8")})
    staged = ingest(settings, FRAMEWORK)
    assert staged.tables["fiscal_capacity"].empty
    assert staged.quarantine[["source_file", "rule", "value", "message"]].values.tolist() == [
        ["fiscal_capacity/a.csv", "key_unique", "35.13 | 2024",
         "duplicate of fiscal_capacity/b.csv row 2 for region_code 35.13, year 2024 with different values; "
         "keep the correct one"],
        ["fiscal_capacity/b.csv", "key_unique", "35.13 | 2024",
         "duplicate of fiscal_capacity/a.csv row 2 for region_code 35.13, year 2024 with different values; "
         "keep the correct one"]]


def test_many_clashing_rows_name_three_others():
    table = pd.DataFrame({"region_code": ["35.13"] * 6, "year": pd.array([2024] * 6, dtype="Int64"),
                          "fiscal_capacity_value": [float(i) for i in range(6)], "source_file": ["f.csv"] * 6,
                          "source_row": range(2, 8)})
    kept, clashes = key_conflicts(table, "fiscal_capacity", ["region_code", "year"])
    assert kept.empty and clashes["message"][0] == (
        "duplicate of row 3, row 4, row 5 and 2 more for region_code 35.13, year 2024 with different values; "
        "keep the correct one")


@pytest.mark.parametrize("value", ["2019/2020", "2019-2020", "2019/20", "2019 – 2020"])
def test_a_year_span_gets_a_hint_about_years(value):
    with pytest.raises(parsers.ParseError) as info:
        parsers.parse_integer(value)
    assert str(info.value) == (f"expected a year such as 2024; for a span like 2019/2020 give the year the data "
                               f"refers to, found {value!r}")


def test_an_unreadable_integer_is_not_described_as_a_decimal():
    with pytest.raises(parsers.ParseError) as info:
        parsers.parse_integer("dua ribu")
    assert str(info.value) == "expected a whole number such as 2024, found 'dua ribu'"
