"""Figure functions and the two-language helpers on tiny frames: traces, ordering, labels, number formats."""

import pandas as pd
import pytest
from markupsafe import Markup

from pipelines.report import figures
from pipelines.report.i18n import num, number_id, t
from tests.chart_languages import in_language


def test_region_radar_closes_each_trace_and_keeps_the_dimension_order():
    dims = pd.DataFrame({"label_id": ["Smart Governance", "Smart Branding", "Smart Economy"],
                         "label_en": ["Smart Governance", "Smart Branding", "Smart Economy"],
                         "score": [80.123, 40.0, None], "national_median": [60.0, 50.0, 55.0],
                         "province_median": [70.0, None, 65.0]})
    spec = figures.region_radar(dims, "Kota Solok")
    names = [trace["name"] for trace in spec["data"]]
    assert names == ["Median nasional", "Median provinsi", "Kota Solok"]
    assert [t["name"] for t in in_language(spec, "en")["data"]] == ["National median", "Province median", "Kota Solok"]
    region = spec["data"][2]
    assert region["theta"] == ["Smart Governance", "Smart Branding", "Smart Economy", "Smart Governance"]
    assert region["r"] == [80.12, 40.0, None, 80.12]
    assert spec["data"][1]["r"] == [70.0, None, 65.0, 70.0]


def test_region_heatmap_puts_dimensions_in_rows_and_aspects_in_columns_in_order():
    cells = pd.DataFrame({"dimension": ["economy", "governance", "governance"],
                          "aspect": ["structure", "structure", "superstructure"], "cell_score": [30.0, 90.0, 70.0]})
    dimensions = pd.DataFrame({"label_id": ["Tata kelola", "Ekonomi"], "label_en": ["Governance", "Economy"]},
                              index=["governance", "economy"])
    aspects = pd.DataFrame({"label_id": ["Struktur", "Suprastruktur"], "label_en": ["Structure", "Superstructure"]},
                           index=["structure", "superstructure"])
    spec = figures.region_heatmap(cells, dimensions, aspects)
    trace = spec["data"][0]
    assert trace["y"] == ["Tata kelola", "Ekonomi"] and trace["z"] == [[90.0, 70.0], [30.0, None]]
    assert trace["x"] == ["Struktur", "Suprastruktur"]
    assert in_language(spec, "en")["data"][0]["x"] == ["Structure", "Superstructure"]
    assert (trace["zmin"], trace["zmax"]) == (0, 100)
    assert trace["colorscale"][0][1] != trace["colorscale"][-1][1]          # a real scale, low to high


def test_region_contributions_one_trace_per_index_largest_first():
    contributions = pd.DataFrame({"index_code": ["readiness"] * 2 + ["screening"] * 2,
                                  "label_id": ["Smart Living", "Smart Economy", "Kapasitas fiskal", "EKPPD"],
                                  "label_en": ["Smart Living", "Smart Economy", "Fiscal capacity", "EKPPD"],
                                  "contribution": [10.0, 14.5, 20.0, 31.25]})
    spec = figures.region_contributions(contributions)
    assert [trace["name"] for trace in spec["data"]] == ["Kesiapan", "Penyaringan"]
    assert spec["data"][0]["y"] == ["Smart Economy", "Smart Living"] and spec["data"][1]["x"] == [31.25, 20.0]
    # The chart's labels follow the page's language, as the table under it does.
    english = in_language(spec, "en")
    assert spec["data"][1]["y"] == ["EKPPD", "Kapasitas fiskal"] and english["data"][1]["y"] == ["EKPPD", "Fiscal capacity"]
    assert [trace["name"] for trace in english["data"]] == ["Readiness", "Screening"]


def test_region_history_labels_runs_by_day_and_inputs():
    history = pd.DataFrame({"index_code": ["readiness"] * 2, "score": [61.0, 64.5],
                            "scored_at": pd.to_datetime(["2026-11-23 02:00", "2026-11-22 02:00"]),
                            "run_label": ["2026-11-23 · bbbb", "2026-11-22 · aaaa"]})
    trace = figures.region_history(history)["data"][0]
    assert trace["x"] == ["2026-11-22 · aaaa", "2026-11-23 · bbbb"] and trace["y"] == [64.5, 61.0]


def test_province_regions_best_readiness_first_members_starred():
    regions = pd.DataFrame({"region_code": ["34.01", "34.04", "34.71"], "region_name": ["Kab A", "Kab B", "Kota C"],
                            "readiness_index": [None, 70.0, 80.0], "screening_index": [40.0, 50.0, 45.0],
                            "is_member": [False, True, False]})
    spec = figures.province_regions(regions)
    assert spec["data"][1]["y"] == ["Kota C", "Kab B ★", "Kab A"] and spec["data"][1]["x"] == [80.0, 70.0, None]


def test_labels_come_in_both_languages_and_are_escaped():
    assert t("Peringkat", "Ranking") == Markup('<span class="l-id">Peringkat</span><span class="l-en">Ranking</span>')
    assert t("Smart Living", "Smart Living") == "Smart Living"
    assert "&lt;script&gt;" in t("<script>", "<b>") and "<script>" not in t("<script>", "<b>")


@pytest.mark.parametrize("value, decimals, expected", [
    (1234.567, 2, "1.234,57"), (0.5766, 4, "0,5766"), (-2.5, 1, "-2,5"), (1_000_000, 0, "1.000.000"),
    (float("nan"), 2, ""), (None, 2, ""),
])
def test_numbers_are_written_the_indonesian_way(value, decimals, expected):
    assert number_id(value, decimals) == expected


def test_number_spans_carry_the_raw_value_for_the_english_switch():
    assert num(0.1 + 0.2, 2) == Markup('<span class="n" data-v="0.3" data-d="2">0,30</span>')
    assert num(1.5, 1, sign=True) == Markup('<span class="n" data-v="1.5" data-d="1" data-sign="1">+1,5</span>')
    assert num(None) == ""
