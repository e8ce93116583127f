import pandas as pd
import pytest

from pipelines.ingest.canonical import Problems, canonical_rows
from pipelines.ingest.readers import read_raw
from pipelines.ingest.regions import RegionResolver
from pipelines.ingest.run import supersede
from pipelines.settings import load_yaml
from pipelines.validate.run import AccountingError, row_accounting
from tests.conftest import ROOT

CONTRACT = load_yaml(ROOT / "config" / "sources.yaml")["sources"]


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
