"""What the report's marks and legends say: strengths and weaknesses by their sign, legends where colour means
something, and the cohort chart's ways of being selected."""

from __future__ import annotations

import re

import pandas as pd

from pipelines.report import figures
from tests.chart_languages import in_language
from pipelines.report.site import _environment

REGION = {"region_code": "35.13", "region_name": "Kabupaten Probolinggo", "province_code": "35", "province_name": "Jawa Timur",
          "region_type": "kabupaten", "island_group": "Jawa", "screening_status": "ranked", "readiness_status": "ranked",
          "screening_index": 40.0, "screening_rank": 100, "readiness_index": 60.0, "readiness_rank": 5,
          "smart_city_year_joined": None}


def _profile(gaps: dict[str, float], strengths: list[str], weaknesses: list[str]) -> list[dict]:
    return [{"item": item, "label_id": item, "label_en": item, "score": 50 + gap, "national_median": 50.0,
             "province_median": 50.0, "gap_to_national": gap,
             "swot": "strength" if item in strengths else "weakness" if item in weaknesses else None}
            for item, gap in gaps.items()]


def _swot(profile: list[dict]) -> list[tuple[str, str]]:
    html = _environment().get_template("region.html.j2").render(
        root="../", r=REGION, profile=profile, specs={"radar": {}, "heatmap": {}}, hashes={}, components=[], indicators=[], missing=[],
        quarantine=[], submissions=[], evaluation_rows=[])
    block = html[html.index('<ul id="swot">'):html.index("</ul>", html.index('<ul id="swot">'))]
    return [(cls, re.sub(r"<[^>]+>", "", text).split(":")[0].strip())
            for cls, text in re.findall(r'<li class="([^"]+)"[^>]*>(.*?)</li>', block, re.DOTALL)]


def test_strengths_and_weaknesses_are_marked_by_their_sign_against_the_median():
    mixed = _swot(_profile({"a": 12.0, "b": 3.0, "c": -2.0, "d": -9.0}, ["a", "b"], ["c", "d"]))
    assert [cls for cls, _ in mixed] == ["swot-heading", "strength above", "strength above", "swot-heading",
                                         "weakness below", "weakness below"]
    assert mixed[0][1] == "KekuatanStrengths" and mixed[3][1] == "KelemahanWeaknesses"
    # A region above the median everywhere: its weaknesses are still above it, marked ▲ and called relatively weakest.
    above = _swot(_profile({"a": 20.0, "b": 15.3, "c": 4.0, "d": 0.5}, ["a", "b"], ["c", "d"]))
    assert [cls for cls, _ in above][3:] == ["swot-heading", "weakness above", "weakness above"]
    assert above[3][1].startswith("Relatif terlemah (semua di atas median nasional)")
    below = _swot(_profile({"a": -1.0, "b": -3.0, "c": -8.0, "d": -15.0}, ["a", "b"], ["c", "d"]))
    assert below[0][1].startswith("Relatif terkuat (semua di bawah median nasional)")
    assert [cls for cls, _ in below][1:3] == ["strength below", "strength below"]


def test_top_bars_say_which_colour_is_which_island_group():
    ranking = pd.DataFrame({"region_code": ["11.01", "31.71", "35.13"], "region_name": ["A", "B", "C"],
                            "screening_index": [90.0, 80.0, 70.0], "screening_rank": [1, 2, 3],
                            "province_name": ["Aceh", "DKI", "Jatim"], "island_group": ["Sumatera", "Jawa", "Jawa"]})
    fig = figures.top_bar(ranking, "screening_index", "screening_rank", ("t", "t"))
    assert [(t.name, list(t.y)) for t in fig.data] == [("Sumatera", ["1. A"]), ("Jawa", ["3. C", "2. B"])]
    assert list(fig.layout.yaxis.categoryarray) == ["3. C", "2. B", "1. A"]
    assert fig.layout.legend.title.text == "Kelompok pulau"
    assert in_language(fig, "en")["layout"]["legend"]["title"]["text"] == "Island group"
    unknown = figures.top_bar(ranking.assign(island_group=["Sumatera", None, "Jawa"]), "screening_index",
                              "screening_rank", ("t", "t"))
    # A region without a known island group stays in the chart, in grey.
    assert [(t.name, list(t.y)) for t in unknown.data] == [("Sumatera", ["1. A"]), ("Jawa", ["3. C"]),
                                                          ("Lainnya", ["2. B"])]
    assert in_language(unknown, "en")["data"][2]["name"] == "Other"


def test_the_rank_chart_names_each_way_a_region_was_selected_or_kept_out():
    selection = pd.DataFrame({
        "region_code": ["a", "b", "c", "d", "e"], "region_name": list("ABCDE"), "selection_rank": [1, 2, 3, 4, 5],
        "q05_rank": [1, 1, 2, 3, 4], "q95_rank": [2, 3, 4, 5, 5], "selection_probability_pct": [100, 90, 50, 40, 1],
        "how_selected": ["open competition", "kept out: maximum 1 per province_code: 35 reached",
                         "minimum 1 per island_group: Jawa", "reserved seat: ikn_buffer", "below the cut-off"],
        "selection_way": ["open_competition", "kept_out", "minimum", "reserved_seat", "below_cutoff"],
        "is_selected": [True, False, True, True, False]})
    fig = figures.rank_intervals(selection, 3)
    english = in_language(fig, "en")
    assert [(t["name"], t["y"]) for t in english["data"]] == [
        ("Selected: reserved seat", ["4. D"]), ("Selected: to meet a minimum", ["3. C"]),
        ("Selected: open competition", ["1. A"]), ("Not selected: a maximum reached", ["2. B"]),
        ("Not selected: below the cut-off", ["5. E"])]
    assert [t.name for t in fig.data][2] == "Terpilih: kompetisi terbuka"
    # The hover says how, in the page's language.
    assert fig.data[2].customdata[0][3] == "kompetisi terbuka" and english["data"][2]["customdata"][0][3] == "open competition"
    assert fig.layout.shapes[0].x0 == 3.5 and fig.layout.annotations[0].text == "3 kursi"
    assert english["layout"]["annotations"][0]["text"] == "3 seats"


def test_the_assessor_chart_draws_the_flag_threshold_and_a_legend():
    assessors = pd.DataFrame({"evaluator": ["x", "y", "z"], "mean_deviation": [0.4, 0.08, -0.3],
                              "standard_error": [0.02, 0.02, 0.03], "cells": [100, 100, 100],
                              "leaning": ["lenient", "in line", "severe"]})
    fig = figures.assessor_severity(assessors, 0.25)
    assert [t.name for t in fig.data] == ["Longgar", "Wajar, atau sel terlalu sedikit", "Ketat"]
    assert [t["name"] for t in in_language(fig, "en")["data"]] == ["Lenient", "In line, or too few cells", "Severe"]
    assert sorted(s.x0 for s in fig.layout.shapes) == [-0.25, 0, 0.25]


def _movers_section(**context) -> str:
    counts = dict.fromkeys(("regions", "screened", "assessed", "members", "shortlisted", "rows_read", "rows_quarantined"), 0)
    html = _environment().get_template("index.html.j2").render(
        root="", hashes={}, counts=counts, figs={}, cohort_missing="x", movers=[], movers_total=0, **context)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.index('id="movers"'):html.index('id="cohort"')]))


def test_the_movers_section_tells_no_earlier_run_from_no_rank_changed():
    assert "Belum ada run sebelumnya dengan input atau metodologi lain" in _movers_section(previous_run=None)
    earlier = {"previous_scored_at": pd.Timestamp("2026-11-30 19:00"), "previous_inputs_hash": "1e890665a67b58f4"}
    said = _movers_section(previous_run=earlier)
    assert "Tidak ada peringkat yang berubah dibanding run sebelumnya dengan input atau metodologi lain" in said
    assert "2026-11-30" in said and "1e890665 " in said and "19:00" not in said
