"""Figures: each a pure function of a finished table returning a plotly Figure (or a plotly.js spec), in Indonesian
with the English texts alongside for the page's language switch (bilingual)."""

from __future__ import annotations

import functools
import json
import re

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from pipelines.report.i18n import status_text

# Made once: plotly validates the scale's name against every named scale on each call.
RED_YELLOW_GREEN = get_colorscale("RdYlGn")
ISLAND_COLOURS = {
    "Sumatera": "#1f77b4", "Kepulauan Riau": "#17becf", "Jawa": "#d62728", "Bali dan Nusa Tenggara": "#ff7f0e",
    "Kalimantan": "#2ca02c", "Sulawesi": "#9467bd", "Maluku": "#8c564b", "Papua": "#e377c2",
}
LANGS = ("id", "en")
OTHER = ("Lainnya", "Other")
# The indices a region page charts, by index_code.
INDEX_NAMES = {"screening": ("Penyaringan", "Screening"), "readiness": ("Kesiapan", "Readiness")}


def _say(lang: str, texts: tuple[str, str]) -> str:
    return texts[LANGS.index(lang)]


def _differences(one, other, path: str = ""):
    """Yield the attribute paths ('xaxis.title.text', 'updatemenus[0].buttons[1].label') where two versions of a
    chart's spec differ."""
    if isinstance(one, dict) and isinstance(other, dict) and one.keys() == other.keys():
        for key in one:
            yield from _differences(one[key], other[key], f"{path}.{key}" if path else key)
    elif (isinstance(one, list) and isinstance(other, list) and len(one) == len(other)
          and all(isinstance(v, dict) for v in one + other)):
        for i, (a, b) in enumerate(zip(one, other)):
            yield from _differences(a, b, f"{path}[{i}]")
    elif one != other:
        yield path


def _at(spec, path: str):
    for key in re.findall(r"[^.\[\]]+", path):
        spec = spec[int(key)] if key.isdigit() else spec[key]
    return spec


def language_texts(versions: dict[str, dict]) -> dict:
    """Return, per language, the texts where a chart's language versions (lang -> spec) differ: per attribute path the
    traces that have it ("traces") and their values ("data"), and the layout's paths and values ("layout")."""
    first, second = (versions[lang] for lang in LANGS)
    traces: dict[str, list[int]] = {}
    for i, (a, b) in enumerate(zip(first["data"], second["data"])):
        for path in _differences(a, b):
            traces.setdefault(path, []).append(i)
    layout = [p for p in _differences(first["layout"], second["layout"]) if p != "meta"]
    return {lang: {"traces": traces, "data": {p: [_at(spec["data"][i], p) for i in at] for p, at in traces.items()},
                   "layout": {p: _at(spec["layout"], p) for p in layout}} for lang, spec in versions.items()}


def bilingual(build):
    """Return the figure function `build` (with a keyword `lang`: 'id' or 'en') made to return its chart in Indonesian
    with both languages' texts in layout.meta.i18n, which the page's language switch applies (_base.html.j2)."""

    @functools.wraps(build)
    def in_both(*args, **kwargs):
        built = {lang: build(*args, lang=lang, **kwargs) for lang in LANGS}
        if isinstance(built["id"], go.Figure):
            meta = {"i18n": language_texts({lang: json.loads(fig.to_json()) for lang, fig in built.items()})}
            return built["id"].update_layout(meta=meta)
        built["id"]["layout"]["meta"] = {"i18n": language_texts(built)}
        return built["id"]

    return in_both


@bilingual
def top_bar(ranking: pd.DataFrame, index: str, rank: str, title: tuple[str, str], n: int = 25, *,
            lang: str) -> go.Figure:
    """Return a horizontal bar chart of the n best-ranked regions on `index`, coloured by island group (in the legend);
    `title` in both languages."""
    top = ranking.dropna(subset=[index]).sort_values([rank, "region_code"]).head(n).iloc[::-1]
    labels = [f"{r}. {name}" for r, name in zip(top[rank], top["region_name"])]
    top = top.assign(label=labels)
    fig = go.Figure()
    # One trace per island group, so the legend says what a colour means; stacked, each bar keeps its full width.
    other = _say(lang, OTHER)
    groups = top["island_group"].where(top["island_group"].isin(list(ISLAND_COLOURS)), other)
    for group in [g for g in [*ISLAND_COLOURS, other] if g in set(groups)]:
        part = top[groups == group]
        fig.add_trace(go.Bar(
            x=part[index], y=part["label"], orientation="h", name=group, marker_color=ISLAND_COLOURS.get(group, "#7f7f7f"),
            customdata=part[["province_name", "island_group"]].to_numpy(),
            hovertemplate="%{y}<br>%{customdata[0]} (%{customdata[1]})<br>%{x:.2f}<extra></extra>"))
    fig.update_layout(title=_say(lang, title), xaxis_title="0-100", height=max(400, 22 * len(top) + 150), barmode="stack",
                      margin={"l": 260, "r": 20, "t": 50, "b": 40}, xaxis_range=[0, 100],
                      yaxis={"categoryorder": "array", "categoryarray": labels},
                      legend={"title": {"text": _say(lang, ("Kelompok pulau", "Island group"))}, "orientation": "h", "y": -0.08,
                              "yanchor": "top"})
    return fig


@bilingual
def scatter(ranking: pd.DataFrame, *, lang: str) -> go.Figure:
    """Return screening index against readiness index for regions that have both, by island group."""
    both = ranking.dropna(subset=["screening_index", "readiness_index"])
    screening, readiness = _say(lang, ("Indeks penyaringan", "Screening index")), _say(lang, ("Indeks kesiapan", "Readiness index"))
    fig = go.Figure()
    for group, part in both.groupby("island_group", sort=True):
        fig.add_trace(go.Scatter(
            x=part["screening_index"], y=part["readiness_index"], mode="markers", name=group,
            marker={"color": ISLAND_COLOURS.get(group, "#7f7f7f"), "size": 9, "opacity": 0.8},
            text=part["region_name"], hovertemplate=f"%{{text}}<br>{screening} %{{x:.2f}}<br>{readiness} %{{y:.2f}}<extra></extra>",
        ))
    fig.update_layout(xaxis_title=f"{screening} (0-100)", yaxis_title=f"{readiness} (0-100)", height=520,
                      xaxis_range=[0, 100], yaxis_range=[0, 100], margin={"t": 30})
    return fig


# How a ranked shortlisted region was selected or kept out (report.cohort_selection's selection_way), in the order
# seats are filled: the legend's label and colour of each way.
SELECTION_WAYS = {
    "reserved_seat": (("Terpilih: kursi khusus", "Selected: reserved seat"), "#6a3d9a"),
    "minimum": (("Terpilih: memenuhi minimum", "Selected: to meet a minimum"), "#ff7f0e"),
    "open_competition": (("Terpilih: kompetisi terbuka", "Selected: open competition"), "#d62728"),
    "kept_out": (("Tidak terpilih: batas maksimum tercapai", "Not selected: a maximum reached"), "#333333"),
    "below_cutoff": (("Tidak terpilih: di bawah batas", "Not selected: below the cut-off"), "#aaaaaa"),
    "other": (OTHER, "#8c564b"),
}


@bilingual
def rank_intervals(selection: pd.DataFrame, size: int, *, lang: str) -> go.Figure:
    """Return each selectable region's nominal selection rank with its 5-95% Monte Carlo interval, best first,
    coloured by how it was selected or kept out (in the legend)."""
    shown = selection.dropna(subset=["selection_rank"]).sort_values(["selection_rank", "region_code"])
    shown = shown.assign(label=[f"{r:.0f}. {name}" for r, name in zip(shown["selection_rank"], shown["region_name"])],
                         how=[status_text(how, lang) for how in shown["how_selected"]])
    rank, chance = _say(lang, ("peringkat", "rank")), _say(lang, ("P(terpilih)", "P(selected)"))
    fig = go.Figure()
    for way, (name, colour) in SELECTION_WAYS.items():
        part = shown[shown["selection_way"] == way]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["selection_rank"], y=part["label"], mode="markers", name=_say(lang, name),
            marker={"color": colour, "size": 8},
            error_x={"type": "data", "symmetric": False, "array": part["q95_rank"] - part["selection_rank"],
                     "arrayminus": part["selection_rank"] - part["q05_rank"], "color": "#999"},
            customdata=part[["q05_rank", "q95_rank", "selection_probability_pct", "how"]].to_numpy(),
            hovertemplate=f"%{{y}}<br>{rank} %{{x}} (5-95%: %{{customdata[0]}}-%{{customdata[1]}})<br>"
                          f"{chance} %{{customdata[2]:.1f}}%<br>%{{customdata[3]}}<extra></extra>"))
    fig.add_vline(x=size + 0.5, line_dash="dash", line_color="#d62728", annotation_position="bottom right",
                  annotation_text=f"{size} {_say(lang, ('kursi', 'seats'))}")
    fig.update_layout(xaxis_title=_say(lang, ("Peringkat seleksi (nominal, 5-95%)", "Selection rank (nominal, 5-95%)")), height=max(400, 16 * len(shown) + 200),
                      # Best at the top; an explicit range, as autorange pads a category axis split over traces.
                      yaxis={"categoryorder": "array", "categoryarray": list(shown["label"]),
                             "range": [len(shown) - 0.5, -0.5]},
                      margin={"l": 280, "r": 20, "t": 90, "b": 40},
                      legend={"orientation": "h", "y": 1.01, "yanchor": "bottom", "x": 0, "xanchor": "left"})
    return fig


@bilingual
def evaluation_heatmap(regions: pd.DataFrame, columns: list[tuple[str, tuple[str, str]]], *, lang: str) -> go.Figure:
    """Return a heatmap of evaluated regions (best first) × their component and dimension scores (0-4); `columns` are
    (column, its label in both languages)."""
    shown = regions.sort_values(["national_rank", "region_code"], na_position="last")
    z = shown[[column for column, _ in columns]].to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z, x=[_say(lang, label) for _, label in columns], y=[f"{name} ({code})" for name, code in zip(shown["region_name"], shown["region_code"])],
        zmin=0, zmax=4, colorscale="RdYlGn", colorbar={"title": "0-4"},
        hovertemplate="%{y}<br>%{x}: %{z:.2f}<extra></extra>"))
    fig.update_layout(title=_say(lang, ("Komponen dan dimensi", "Components and dimensions")), height=max(400, 18 * len(shown) + 140),
                      yaxis={"autorange": "reversed"}, margin={"l": 260, "r": 20, "t": 50, "b": 60})
    return fig


@bilingual
def assessor_severity(assessors: pd.DataFrame, flag_deviation: float, *, lang: str) -> go.Figure:
    """Return each assessor's mean deviation from consensus with its 95% interval and the ±flag lines; lenient red,
    severe blue (in the legend)."""
    shown = assessors.sort_values(["mean_deviation", "evaluator"])
    shown = shown.assign(verdict=[status_text(leaning, lang) for leaning in shown["leaning"]])
    ways = {"lenient": (("Longgar", "Lenient"), "#d62728"), "severe": (("Ketat", "Severe"), "#1f77b4")}
    cells = _say(lang, ("sel", "cells"))
    fig = go.Figure()
    for leaning, part in shown.groupby(shown["leaning"].where(shown["leaning"].isin(list(ways)), "other"), sort=True):
        name, colour = ways.get(leaning, (("Wajar, atau sel terlalu sedikit", "In line, or too few cells"), "#7f7f7f"))
        fig.add_trace(go.Bar(
            x=part["mean_deviation"], y=part["evaluator"], orientation="h", name=_say(lang, name), marker_color=colour,
            error_x={"type": "data", "array": 1.96 * part["standard_error"].fillna(0), "color": "#555"},
            customdata=part[["cells", "verdict"]].to_numpy(),
            hovertemplate=f"%{{y}}: %{{x:+.3f}} (%{{customdata[0]}} {cells})<br>%{{customdata[1]}}<extra></extra>"))
    fig.add_vline(x=0, line_color="#333")
    for edge in (-flag_deviation, flag_deviation):
        fig.add_vline(x=edge, line_dash="dot", line_color="#999", annotation_text=f"{edge:+g}",
                      annotation_position="top")
    fig.update_layout(xaxis_title=_say(lang, ("Rata-rata selisih dari konsensus (skala 0-4)",
                                              "Mean deviation from consensus (0-4 scale)")),
                      height=max(320, 22 * len(shown) + 140), margin={"l": 120, "r": 20, "t": 30, "b": 50},
                      barmode="stack", yaxis={"categoryorder": "array", "categoryarray": list(shown["evaluator"])},
                      legend={"orientation": "h", "y": -0.2, "yanchor": "top"})
    return fig


@bilingual
def masterplan_share(rollup: pd.DataFrame, threshold_pct: float, *, lang: str) -> go.Figure:
    """Return each province's share of kab/kota with a masterplan and in the programme, with the threshold line."""
    shown = rollup.sort_values(["with_masterplan_pct", "province_code"], ascending=[False, True])
    fig = go.Figure([
        go.Bar(x=shown["province_name"], y=shown["in_programme_pct"], name=_say(lang, ("Dalam program %", "In the programme %")),
               marker_color="#9ecae1"),
        go.Bar(x=shown["province_name"], y=shown["with_masterplan_pct"], name="Masterplan %", marker_color="#08519c"),
    ])
    fig.add_hline(y=threshold_pct, line_dash="dash", line_color="#d62728",
                  annotation_text=f"{threshold_pct:g}%", annotation_position="top right")
    fig.update_layout(title=_say(lang, ("Kab/kota dalam program dan dengan masterplan",
                                        "Kab/kota in the programme and with a masterplan")),
                      barmode="group", yaxis_title="% kab/kota", yaxis_range=[0, 100], height=500, xaxis_tickangle=-45,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0}, margin={"t": 80, "b": 170})
    return fig


@bilingual
def province_distribution(regions: pd.DataFrame, *, lang: str) -> go.Figure:
    """Return a box per province of its kab/kota overall evaluation indices (points shown)."""
    shown = regions.dropna(subset=["evaluation_index"]).sort_values(["province_code", "region_code"])
    fig = go.Figure()
    for (code, name), part in shown.groupby(["province_code", "province_name"], sort=True):
        fig.add_trace(go.Box(y=part["evaluation_index"], name=name, boxpoints="all", jitter=0.3, pointpos=0,
                             text=part["region_name"], marker_color=ISLAND_COLOURS.get(part["island_group"].iloc[0], "#7f7f7f"),
                             hovertemplate="%{text}: %{y:.2f}<extra></extra>", showlegend=False))
    fig.update_layout(title=_say(lang, ("Hasil evaluasi kab/kota per provinsi", "Kab/kota evaluation results per province")),
                      yaxis_title=_say(lang, ("Indeks evaluasi (0-4)", "Evaluation index (0-4)")), yaxis_range=[0, 4], height=480,
                      margin={"t": 50, "b": 160})
    return fig


# Region and province pages: 550 pages of small charts, so these return plotly.js specs as plain dicts (building
# go.Figure objects validates every property and would cost about a minute at national size).
def _spec(data: list[dict], **layout) -> dict:
    return {"data": data, "layout": {"margin": {"t": 30, "b": 40, "l": 60, "r": 20}, **layout}}


@bilingual
def region_radar(dimensions: pd.DataFrame, name: str, *, lang: str) -> dict:
    """Return a radar spec of a region's dimension scores (labels in label_id, label_en) against the national and
    province medians."""
    labels = dimensions[f"label_{lang}"]
    theta = list(labels) + list(labels[:1])

    def closed(column: str) -> list:
        values = [None if pd.isna(v) else round(float(v), 2) for v in dimensions[column]]
        return values + values[:1]

    return _spec([
        {"type": "scatterpolar", "r": closed("national_median"), "theta": theta, "name": _say(lang, ("Median nasional", "National median")),
         "line": {"dash": "dash", "color": "#7f7f7f"}},
        {"type": "scatterpolar", "r": closed("province_median"), "theta": theta, "name": _say(lang, ("Median provinsi", "Province median")),
         "line": {"dash": "dot", "color": "#1f77b4"}},
        {"type": "scatterpolar", "r": closed("score"), "theta": theta, "name": name, "fill": "toself",
         "line": {"color": "#d62728"}},
    ], polar={"radialaxis": {"range": [0, 100]}}, height=460, legend={"orientation": "h"})


@bilingual
def region_heatmap(cells: pd.DataFrame, dimensions: pd.DataFrame, aspects: pd.DataFrame, *, lang: str) -> dict:
    """Return a heatmap spec of dimension (rows) × aspect (columns) scores, 0-100; `dimensions` and `aspects` are
    their labels (label_id, label_en) by code, in order."""
    # A lookup rather than a pivot: 514 pages of a few dozen cells each.
    score = dict(zip(zip(cells["dimension"], cells["aspect"]), cells["cell_score"]))
    if len(score) < len(cells):
        raise ValueError("region_heatmap: a dimension × aspect cell appears twice")
    z = [[None if pd.isna(v := score.get((d, a))) else round(float(v), 2) for a in aspects.index] for d in dimensions.index]
    return _spec([{"type": "heatmap", "z": z, "x": list(aspects[f"label_{lang}"]), "y": list(dimensions[f"label_{lang}"]), "zmin": 0, "zmax": 100,
                   "colorscale": RED_YELLOW_GREEN, "hovertemplate": "%{y} × %{x}: %{z:.1f}<extra></extra>",
                   "texttemplate": "%{z:.0f}"}],
                 height=360, yaxis={"autorange": "reversed"}, margin={"t": 20, "b": 40, "l": 150, "r": 20})


@bilingual
def region_contributions(contributions: pd.DataFrame, *, lang: str) -> dict:
    """Return a bar spec of each child's (label_id, label_en) contribution to its index (index_code; points of the
    0-100 score), largest first."""
    shown = contributions.sort_values(["index_code", "contribution"], ascending=[True, False])
    data = [{"type": "bar", "orientation": "h", "name": _say(lang, INDEX_NAMES[index]),
             "x": [round(float(v), 3) for v in part["contribution"]],
             "y": list(part[f"label_{lang}"]), "hovertemplate": "%{y}: %{x:.2f}<extra></extra>"}
            for index, part in shown.groupby("index_code", sort=True)]
    return _spec(data, height=max(260, 26 * len(shown) + 100), yaxis={"autorange": "reversed"},
                 xaxis={"title": {"text": _say(lang, ("Kontribusi (poin)", "Contribution (points)"))}},
                 margin={"t": 20, "b": 50, "l": 220, "r": 20}, legend={"orientation": "h"})


@bilingual
def region_history(history: pd.DataFrame, *, lang: str) -> dict:
    """Return a line spec of the region's index scores (by index_code) over the runs that changed them."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": _say(lang, INDEX_NAMES[index]),
             "x": list(part["run_label"]), "y": [round(float(v), 3) for v in part["score"]]}
            for index, part in history.sort_values("scored_at").groupby("index_code", sort=True)]
    return _spec(data, height=300, xaxis={"type": "category"}, yaxis={"range": [0, 100], "title": {"text": "0-100"}},
                 legend={"orientation": "h"})


@bilingual
def province_regions(regions: pd.DataFrame, *, lang: str) -> dict:
    """Return grouped bars of a province's kab/kota: screening and readiness (0-100) side by side, best first."""
    shown = regions.sort_values(["readiness_index", "screening_index", "region_code"], ascending=[False, False, True],
                                na_position="last")
    labels = [f"{n}{' ★' if member else ''}" for n, member in zip(shown["region_name"], shown["is_member"])]

    def values(column: str) -> list:
        return [None if pd.isna(v) else round(float(v), 2) for v in shown[column]]

    return _spec([
        {"type": "bar", "orientation": "h", "name": _say(lang, ("Indeks penyaringan", "Screening index")), "y": labels,
         "x": values("screening_index"), "marker": {"color": "#9ecae1"}},
        {"type": "bar", "orientation": "h", "name": _say(lang, ("Indeks kesiapan", "Readiness index")), "y": labels,
         "x": values("readiness_index"), "marker": {"color": "#08519c"}},
    ], barmode="group", height=max(300, 34 * len(shown) + 120), xaxis={"range": [0, 100], "side": "top"},
        yaxis={"autorange": "reversed"}, margin={"t": 70, "b": 20, "l": 240, "r": 20},
        # Above the bars: a province of 38 kab/kota makes a chart taller than the screen.
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0})


# Maps: choropleths on the installed boundaries (pipelines/report/maps.py). Each trace names its boundary layer
# ("provinces" or "regencies") instead of holding it: the page loads each layer once, from maps/<layer>.js, and puts
# it into the traces before plotting (templates/_base.html.j2). Colours that mean a category have a legend entry.
NO_VALUE = "#e6e6e6"
INDONESIA = {"lonaxis": {"range": [94.5, 141.5]}, "lataxis": {"range": [-11.5, 6.5]}}
# Per measure: the button's label and the colour bar's title in both languages, and the scale's ends.
MAP_LAYERS = {"screening_index": (("Penyaringan", "Screening"), ("Indeks penyaringan (0-100)", "Screening index (0-100)"),
                                  0, 100),
              "readiness_index": (("Kesiapan", "Readiness"), ("Indeks kesiapan (0-100)", "Readiness index (0-100)"),
                                  0, 100),
              "evaluation_index": (("Evaluasi {year}", "Evaluation {year}"), ("Evaluasi ({year}, 0-4)",
                                                                              "Evaluation ({year}, 0-4)"), 0, 4),
              "in_programme_pct": (("Dalam program", "In the programme"),
                                   ("Kab/kota dalam program (%)", "Kab/kota in the programme (%)"), 0, 100),
              "with_masterplan_pct": (("Masterplan", "Masterplan"), ("Kab/kota dengan masterplan (%)",
                                                                     "Kab/kota with a masterplan (%)"), 0, 100),
              "evaluation_median": (("Evaluasi {year}", "Evaluation {year}"),
                                    ("Median evaluasi ({year}, 0-4)", "Evaluation median ({year}, 0-4)"), 0, 4),
              "readiness_median": (("Kesiapan", "Readiness"), ("Median kesiapan (0-100)", "Readiness median (0-100)"),
                                   0, 100),
              "screening_median": (("Penyaringan", "Screening"),
                                   ("Median penyaringan (0-100)", "Screening median (0-100)"), 0, 100)}
NO_VALUE_NAME = ("Tanpa nilai", "No value")


def _rounded_values(values: pd.Series) -> list:
    return [None if pd.isna(v) else round(float(v), 2) for v in values]


def _base_trace(layer: str, codes: list[str], names: list[str], lang: str) -> dict:
    """Every area in grey, under the coloured ones: an area with no value shows as a gap in the colours, not the sea."""
    no_value = _say(lang, NO_VALUE_NAME)
    return {"type": "choropleth", "geojson": layer, "featureidkey": "properties.code", "locations": codes,
            "z": [0] * len(codes), "text": names, "colorscale": [[0, NO_VALUE], [1, NO_VALUE]], "showscale": False,
            "marker": {"line": {"width": 0.3, "color": "#ffffff"}}, "name": no_value,
            "showlegend": True, "hovertemplate": f"%{{text}}: {no_value}<extra></extra>"}


def _value_trace(layer: str, frame: pd.DataFrame, code: str, column: str, title: str, low: float, high: float) -> dict:
    shown = frame.dropna(subset=[column])
    return {"type": "choropleth", "geojson": layer, "featureidkey": "properties.code", "locations": list(shown[code]),
            "z": _rounded_values(shown[column]), "text": list(shown["name"]), "zmin": low, "zmax": high,
            "colorscale": RED_YELLOW_GREEN, "marker": {"line": {"width": 0.3, "color": "#ffffff"}},
            "colorbar": {"title": {"text": title}, "thickness": 14, "len": 0.8},
            "name": title, "showlegend": False, "hovertemplate": "%{text}: %{z:.2f}<extra></extra>"}


def _view(layer: str, frame: pd.DataFrame, code: str, column: str, lang: str,
          year: int | None = None) -> tuple[str, list[dict]]:
    """Return one measure of a switchable map: its button label and its trace."""
    label, title, low, high = MAP_LAYERS[column]
    return (_say(lang, label).format(year=year),
            [_value_trace(layer, frame, code, column, _say(lang, title).format(year=year), low, high)])


def _category_trace(layer: str, codes: list[str], names: list[str], label: str, colour: str) -> dict:
    return {"type": "choropleth", "geojson": layer, "featureidkey": "properties.code", "locations": codes,
            "z": [1] * len(codes), "text": names, "colorscale": [[0, colour], [1, colour]], "showscale": False,
            "marker": {"line": {"width": 0.3, "color": "#ffffff"}}, "name": label, "showlegend": True,
            "hovertemplate": f"%{{text}}: {label}<extra></extra>"}


def _boundaries(attribution: str, lang: str) -> str:
    return f"{_say(lang, ('Batas wilayah', 'Boundaries'))}: {attribution}"


def _switchable_map(layer: str, base: dict, views: list[tuple[str, list[dict]]], attribution: str, height: int,
                    lang: str) -> dict:
    """Return a map spec showing one view (a list of traces) at a time, chosen with buttons above it."""
    data = [base] + [trace for _, traces in views for trace in traces]
    buttons, start = [], 1
    for label, traces in views:
        visible = [True] + [False] * (len(data) - 1)
        visible[start:start + len(traces)] = [True] * len(traces)
        buttons.append({"label": label, "method": "restyle", "args": [{"visible": visible}]})
        start += len(traces)
    for trace, shown in zip(data, buttons[0]["args"][0]["visible"] if buttons else [True]):
        trace["visible"] = shown
    return _spec(data, geo={"visible": False, "projection": {"type": "mercator"}, **INDONESIA}, height=height,
                 margin={"t": 40, "b": 30, "l": 0, "r": 0}, dragmode=False,
                 legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
                 updatemenus=[{"type": "buttons", "direction": "right", "x": 0, "y": 1.08, "xanchor": "left",
                               "yanchor": "bottom", "showactive": True, "buttons": buttons}],
                 annotations=[{"text": _boundaries(attribution, lang), "showarrow": False, "xref": "paper",
                               "yref": "paper", "x": 1, "y": 0, "xanchor": "right", "yanchor": "bottom", "font": {"size": 10, "color": "#555"}}])


@bilingual
def regions_map(ranking: pd.DataFrame, selection: pd.DataFrame, evaluation: pd.DataFrame, year: int | None,
                attribution: str, *, lang: str) -> dict:
    """Return the map of the 514 kab/kota: screening, readiness, programme membership, the proposed cohort and the
    latest evaluation, one at a time."""
    regions = ranking.assign(name=ranking["region_name"])
    codes, names = list(regions["region_code"]), list(regions["name"])
    views = [_view("regencies", regions, "region_code", c, lang) for c in ("screening_index", "readiness_index")]
    members = regions.dropna(subset=["smart_city_year_joined"])
    years = sorted(members["smart_city_year_joined"].astype(int).unique())
    # One shade per cohort year, darkest for the earliest, however many years there are.
    shades = sample_colorscale("Blues", [1 - 0.7 * i / max(len(years) - 1, 1) for i in range(len(years))])
    joined = _say(lang, ("Bergabung", "Joined"))
    views.append((_say(lang, ("Program", "Programme")), [
        _category_trace("regencies", list(part["region_code"]), list(part["name"]), f"{joined} {y}", shade)
        for y, shade, part in ((y, shade, members[members["smart_city_year_joined"] == y])
                               for y, shade in zip(years, shades))]))
    if not selection.empty:
        chosen = selection[selection["is_selected"].fillna(False).astype(bool)]
        ranked = selection[~selection["is_selected"].fillna(False).astype(bool) & selection["selection_rank"].notna()]
        views.append((_say(lang, ("Usulan kohort", "Proposed cohort")), [
            _category_trace("regencies", list(chosen["region_code"]), list(chosen["region_name"]),
                            _say(lang, ("Terpilih", "Selected")), "#d62728"),
            _category_trace("regencies", list(ranked["region_code"]), list(ranked["region_name"]),
                            _say(lang, ("Diperingkat, tidak terpilih", "Ranked, not selected")), "#fdae6b")]))
    if year is not None and not evaluation.empty:
        views.append(_view("regencies", evaluation.assign(name=evaluation["region_name"]), "region_code",
                           "evaluation_index", lang, year))
    return _switchable_map("regencies", _base_trace("regencies", codes, names, lang), views, attribution, height=560,
                           lang=lang)


@bilingual
def provinces_map(provinces: pd.DataFrame, rollup: pd.DataFrame, year: int, attribution: str, *, lang: str) -> dict:
    """Return the map of the 38 provinces from the evaluation year's roll-up, one measure at a time."""
    frame = rollup.assign(name=rollup["province_name"])
    views = [_view("provinces", frame, "province_code", column, lang, year) for column in
             ("in_programme_pct", "with_masterplan_pct", "evaluation_median", "readiness_median", "screening_median")]
    base = _base_trace("provinces", list(provinces["province_code"]), list(provinces["province_name"]), lang)
    return _switchable_map("provinces", base, views, attribution, height=520, lang=lang)


@bilingual
def locator_map(layer: str, codes: list[str], names: list[str], highlight: str, label: str, attribution: str,
                national: bool, *, lang: str) -> dict:
    """Return a small map of `codes` in grey with `highlight` in red: the whole country (`national`), or zoomed to
    the areas given (a region among its province's kab/kota)."""
    at = codes.index(highlight)
    geo = {"visible": False, "projection": {"type": "mercator"}, **(INDONESIA if national else {"fitbounds": "locations"})}
    # The province's other areas carry no value here: their hover names them only.
    others = {"showlegend": False, "name": "", "hovertemplate": "%{text}<extra></extra>"}
    return _spec([_base_trace(layer, codes, names, lang) | others,
                  _category_trace(layer, [highlight], [names[at]], label, "#d62728")],
                 geo=geo, height=260, margin={"t": 0, "b": 0, "l": 0, "r": 0}, showlegend=False, dragmode=False,
                 annotations=[{"text": _boundaries(attribution, lang), "showarrow": False, "xref": "paper",
                               "yref": "paper", "x": 1, "y": 0,
                               "xanchor": "right", "yanchor": "bottom", "font": {"size": 9, "color": "#555"}}])


@bilingual
def framework_sunburst(nodes: pd.DataFrame, *, lang: str) -> dict:
    """Return a sunburst spec of one index's framework (report.index_node_method): a sector per node inside its
    parent's, indicators sized by their effective weight; aggregates are labelled, indicators show their code."""
    labels = list(nodes[f"label_{lang}"])
    weights = [round(float(w), 6) for w in nodes["effective_weight"]]
    return _spec([{
        "type": "sunburst", "ids": list(nodes["node_code"]),
        "parents": ["" if pd.isna(p) else p for p in nodes["parent_code"]],
        "labels": [code if leaf else label
                   for code, leaf, label in zip(nodes["node_code"], nodes["is_indicator"], labels)],
        # "remainder": an aggregate's sector is the sum of its indicators' (its own value is 0), so rounding cannot make
        # the children outgrow their parent.
        "values": [w if leaf else 0 for w, leaf in zip(weights, nodes["is_indicator"])], "branchvalues": "remainder",
        "hovertext": labels, "customdata": weights,
        "hovertemplate": f"%{{hovertext}} (%{{id}})<br>{_say(lang, ('Bobot efektif', 'Effective weight'))}: "
                         "%{customdata:.4f}<extra></extra>",
        "insidetextorientation": "radial"}],
        height=560, margin={"t": 10, "b": 10, "l": 10, "r": 10}, uniformtext={"minsize": 9, "mode": "hide"})
