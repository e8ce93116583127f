"""Figures: each a pure function of a finished table returning a plotly Figure."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

# Made once: plotly validates the scale's name against every named scale on each call.
RED_YELLOW_GREEN = get_colorscale("RdYlGn")
ISLAND_COLOURS = {
    "Sumatera": "#1f77b4", "Kepulauan Riau": "#17becf", "Jawa": "#d62728", "Bali dan Nusa Tenggara": "#ff7f0e",
    "Kalimantan": "#2ca02c", "Sulawesi": "#9467bd", "Maluku": "#8c564b", "Papua": "#e377c2",
}


def top_bar(ranking: pd.DataFrame, index: str, rank: str, title: str, n: int = 25) -> go.Figure:
    """Return a horizontal bar chart of the n best-ranked regions on `index`, coloured by island group."""
    top = ranking.dropna(subset=[index]).sort_values([rank, "region_code"]).head(n).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=top[index], y=[f"{r}. {name}" for r, name in zip(top[rank], top["region_name"])], orientation="h",
        marker_color=[ISLAND_COLOURS.get(g, "#7f7f7f") for g in top["island_group"]],
        customdata=top[["province_name", "island_group"]].to_numpy(),
        hovertemplate="%{y}<br>%{customdata[0]} (%{customdata[1]})<br>%{x:.2f}<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="0-100", height=max(400, 22 * len(top) + 120),
                      margin={"l": 260, "r": 20, "t": 50, "b": 40}, xaxis_range=[0, 100])
    return fig


def scatter(ranking: pd.DataFrame) -> go.Figure:
    """Return screening index against readiness index for regions that have both, by island group."""
    both = ranking.dropna(subset=["screening_index", "readiness_index"])
    fig = go.Figure()
    for group, part in both.groupby("island_group", sort=True):
        fig.add_trace(go.Scatter(
            x=part["screening_index"], y=part["readiness_index"], mode="markers", name=group,
            marker={"color": ISLAND_COLOURS.get(group, "#7f7f7f"), "size": 9, "opacity": 0.8},
            text=part["region_name"], hovertemplate="%{text}<br>screening %{x:.2f}<br>readiness %{y:.2f}<extra></extra>",
        ))
    fig.update_layout(xaxis_title="Indeks penyaringan / screening index (0-100)",
                      yaxis_title="Indeks kesiapan / readiness index (0-100)", height=520,
                      xaxis_range=[0, 100], yaxis_range=[0, 100], margin={"t": 30})
    return fig


def rank_intervals(selection: pd.DataFrame, size: int) -> go.Figure:
    """Return each selectable region's nominal selection rank with its 5-95% Monte Carlo interval, best first."""
    shown = selection.dropna(subset=["selection_rank"]).sort_values(["selection_rank", "region_code"])
    labels = [f"{r:.0f}. {name}" for r, name in zip(shown["selection_rank"], shown["region_name"])]
    colours = ["#d62728" if selected else "#7f7f7f" for selected in shown["is_selected"]]
    fig = go.Figure(go.Scatter(
        x=shown["selection_rank"], y=labels, mode="markers", marker={"color": colours, "size": 8},
        error_x={"type": "data", "symmetric": False, "array": shown["q95_rank"] - shown["selection_rank"],
                 "arrayminus": shown["selection_rank"] - shown["q05_rank"], "color": "#999"},
        customdata=shown[["q05_rank", "q95_rank", "selection_probability_pct"]].to_numpy(),
        hovertemplate="%{y}<br>rank %{x} (5-95%: %{customdata[0]}-%{customdata[1]})<br>"
                      "P(selected) %{customdata[2]:.1f}%<extra></extra>"))
    fig.add_vline(x=size + 0.5, line_dash="dash", line_color="#d62728")
    fig.update_layout(xaxis_title="Peringkat seleksi / selection rank (nominal, 5-95%)", height=max(400, 16 * len(shown) + 120),
                      yaxis={"autorange": "reversed"}, margin={"l": 280, "r": 20, "t": 30, "b": 40})
    return fig


def evaluation_heatmap(regions: pd.DataFrame, columns: list[tuple[str, str]]) -> go.Figure:
    """Return a heatmap of evaluated regions (best first) × their component and dimension scores (0-4)."""
    shown = regions.sort_values(["national_rank", "region_code"], na_position="last")
    z = shown[[column for column, _ in columns]].to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z, x=[label for _, label in columns], y=[f"{name} ({code})" for name, code in zip(shown["region_name"], shown["region_code"])],
        zmin=0, zmax=4, colorscale="RdYlGn", colorbar={"title": "0-4"},
        hovertemplate="%{y}<br>%{x}: %{z:.2f}<extra></extra>"))
    fig.update_layout(title="Komponen dan dimensi / Components and dimensions", height=max(400, 18 * len(shown) + 140),
                      yaxis={"autorange": "reversed"}, margin={"l": 260, "r": 20, "t": 50, "b": 60})
    return fig


def assessor_severity(assessors: pd.DataFrame) -> go.Figure:
    """Return each assessor's mean deviation from consensus with its 95% interval; lenient red, severe blue."""
    shown = assessors.sort_values(["mean_deviation", "evaluator"])
    colours = {"lenient": "#d62728", "severe": "#1f77b4"}
    fig = go.Figure(go.Bar(
        x=shown["mean_deviation"], y=shown["evaluator"], orientation="h",
        marker_color=[colours.get(v, "#7f7f7f") for v in shown["leaning"]],
        error_x={"type": "data", "array": 1.96 * shown["standard_error"].fillna(0), "color": "#555"},
        customdata=shown[["cells", "leaning"]].to_numpy(),
        hovertemplate="%{y}: %{x:+.3f} over %{customdata[0]} cells<br>%{customdata[1]}<extra></extra>"))
    fig.add_vline(x=0, line_color="#333")
    fig.update_layout(xaxis_title="Rata-rata selisih dari konsensus / mean deviation from consensus (0-4 scale)",
                      height=max(300, 22 * len(shown) + 100), margin={"l": 120, "r": 20, "t": 20, "b": 50})
    return fig


def masterplan_share(rollup: pd.DataFrame, threshold_pct: float) -> go.Figure:
    """Return each province's share of kab/kota with a masterplan and in the programme, with the threshold line."""
    shown = rollup.sort_values(["with_masterplan_pct", "province_code"], ascending=[False, True])
    fig = go.Figure([
        go.Bar(x=shown["province_name"], y=shown["in_programme_pct"], name="Dalam program / in programme %",
               marker_color="#9ecae1"),
        go.Bar(x=shown["province_name"], y=shown["with_masterplan_pct"], name="Masterplan %", marker_color="#08519c"),
    ])
    fig.add_hline(y=threshold_pct, line_dash="dash", line_color="#d62728",
                  annotation_text=f"{threshold_pct:g}%", annotation_position="top right")
    fig.update_layout(barmode="group", yaxis_title="% kab/kota", yaxis_range=[0, 100], height=460,
                      legend={"orientation": "h"}, margin={"t": 30, "b": 160})
    return fig


def province_distribution(regions: pd.DataFrame) -> go.Figure:
    """Return a box per province of its kab/kota overall evaluation indices (points shown)."""
    shown = regions.dropna(subset=["evaluation_index"]).sort_values(["province_code", "region_code"])
    fig = go.Figure()
    for (code, name), part in shown.groupby(["province_code", "province_name"], sort=True):
        fig.add_trace(go.Box(y=part["evaluation_index"], name=name, boxpoints="all", jitter=0.3, pointpos=0,
                             text=part["region_name"], marker_color=ISLAND_COLOURS.get(part["island_group"].iloc[0], "#7f7f7f"),
                             hovertemplate="%{text}: %{y:.2f}<extra></extra>", showlegend=False))
    fig.update_layout(title="Hasil evaluasi kab/kota per provinsi / kab/kota evaluation results per province",
                      yaxis_title="Indeks evaluasi / evaluation index (0-4)", yaxis_range=[0, 4], height=480,
                      margin={"t": 50, "b": 160})
    return fig


# Region and province pages: 550 pages of small charts, so these return plotly.js specs as plain dicts (building
# go.Figure objects validates every property and would cost about a minute at national size).
def _spec(data: list[dict], **layout) -> dict:
    return {"data": data, "layout": {"margin": {"t": 30, "b": 40, "l": 60, "r": 20}, **layout}}


def region_radar(dimensions: pd.DataFrame, name: str) -> dict:
    """Return a radar spec of a region's dimension scores against the national and province medians."""
    theta = list(dimensions["label"]) + list(dimensions["label"][:1])

    def closed(column: str) -> list:
        values = [None if pd.isna(v) else round(float(v), 2) for v in dimensions[column]]
        return values + values[:1]

    return _spec([
        {"type": "scatterpolar", "r": closed("national_median"), "theta": theta, "name": "Median nasional / national median",
         "line": {"dash": "dash", "color": "#7f7f7f"}},
        {"type": "scatterpolar", "r": closed("province_median"), "theta": theta, "name": "Median provinsi / province median",
         "line": {"dash": "dot", "color": "#1f77b4"}},
        {"type": "scatterpolar", "r": closed("score"), "theta": theta, "name": name, "fill": "toself",
         "line": {"color": "#d62728"}},
    ], polar={"radialaxis": {"range": [0, 100]}}, height=460, legend={"orientation": "h"})


def region_heatmap(cells: pd.DataFrame, dimensions: list[str], aspects: list[str]) -> dict:
    """Return a heatmap spec of dimension (rows, in order) × aspect (columns, in order) scores, 0-100."""
    # A lookup rather than a pivot: 514 pages of a few dozen cells each.
    score = dict(zip(zip(cells["dimension_label"], cells["aspect_label"]), cells["cell_score"]))
    if len(score) < len(cells):
        raise ValueError("region_heatmap: a dimension × aspect cell appears twice")
    z = [[None if pd.isna(v := score.get((d, a))) else round(float(v), 2) for a in aspects] for d in dimensions]
    return _spec([{"type": "heatmap", "z": z, "x": aspects, "y": dimensions, "zmin": 0, "zmax": 100,
                   "colorscale": RED_YELLOW_GREEN, "hovertemplate": "%{y} × %{x}: %{z:.1f}<extra></extra>",
                   "texttemplate": "%{z:.0f}"}],
                 height=360, yaxis={"autorange": "reversed"}, margin={"t": 20, "b": 40, "l": 150, "r": 20})


def region_contributions(contributions: pd.DataFrame) -> dict:
    """Return a bar spec of each child's contribution to its index (points of the 0-100 score), largest first."""
    shown = contributions.sort_values(["index_label", "contribution"], ascending=[True, False])
    data = [{"type": "bar", "orientation": "h", "name": index, "x": [round(float(v), 3) for v in part["contribution"]],
             "y": list(part["label"]), "hovertemplate": "%{y}: %{x:.2f}<extra></extra>"}
            for index, part in shown.groupby("index_label", sort=True)]
    return _spec(data, height=max(260, 26 * len(shown) + 100), yaxis={"autorange": "reversed"},
                 xaxis={"title": {"text": "Kontribusi / contribution (poin / points)"}},
                 margin={"t": 20, "b": 50, "l": 220, "r": 20}, legend={"orientation": "h"})


def region_history(history: pd.DataFrame) -> dict:
    """Return a line spec of the region's index scores over the runs that changed them."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": index,
             "x": list(part["run_label"]), "y": [round(float(v), 3) for v in part["score"]]}
            for index, part in history.sort_values("scored_at").groupby("index_label", sort=True)]
    return _spec(data, height=300, xaxis={"type": "category"}, yaxis={"range": [0, 100], "title": {"text": "0-100"}},
                 legend={"orientation": "h"})


def province_regions(regions: pd.DataFrame) -> dict:
    """Return grouped bars of a province's kab/kota: screening and readiness (0-100) side by side, best first."""
    shown = regions.sort_values(["readiness_index", "screening_index", "region_code"], ascending=[False, False, True],
                                na_position="last")
    labels = [f"{n}{' ★' if member else ''}" for n, member in zip(shown["region_name"], shown["is_member"])]

    def values(column: str) -> list:
        return [None if pd.isna(v) else round(float(v), 2) for v in shown[column]]

    return _spec([
        {"type": "bar", "orientation": "h", "name": "Indeks penyaringan / screening index", "y": labels,
         "x": values("screening_index"), "marker": {"color": "#9ecae1"}},
        {"type": "bar", "orientation": "h", "name": "Indeks kesiapan / readiness index", "y": labels,
         "x": values("readiness_index"), "marker": {"color": "#08519c"}},
    ], barmode="group", height=max(300, 34 * len(shown) + 120), xaxis={"range": [0, 100]},
        yaxis={"autorange": "reversed"}, margin={"t": 20, "b": 40, "l": 240, "r": 20}, legend={"orientation": "h"})
