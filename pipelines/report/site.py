"""Report step: read the finished warehouse tables and write data/reports/ (HTML, plotly.js once, CSV, manifest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from plotly.offline import get_plotlyjs

from pipelines import __version__
from pipelines.report import figures
from pipelines.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
RANKING_CSV_COLUMNS = [
    "region_code", "region_name", "region_type", "province_code", "province_name", "island_group", "is_autonomous",
    "smart_city_year_joined", "screening_rank", "screening_index", "screening_coverage_pct", "screening_status",
    "readiness_rank", "readiness_index", "opd_submissions", "readiness_status", "methodology_hash", "inputs_hash",
]
QUARANTINE_SHOWN = 500


@dataclass
class ReportTables:
    """The finished tables the report shows; nothing in the report computes a score."""

    ranking: pd.DataFrame
    dimensions: pd.DataFrame
    dimension_labels: pd.DataFrame
    quarantine: pd.DataFrame
    ingest_log: pd.DataFrame
    raw_files: pd.DataFrame
    source_status: pd.DataFrame
    hashes: dict
    selection: pd.DataFrame
    cohort_run: dict
    evaluation_years: pd.DataFrame
    evaluation_regions: pd.DataFrame
    evaluation_dimensions: pd.DataFrame
    evaluation_cells: pd.DataFrame
    evaluation_agreement: pd.DataFrame
    evaluation_moderation: pd.DataFrame
    evaluation_assessors: pd.DataFrame
    evaluation_components: pd.DataFrame
    evaluation_methodology: pd.DataFrame
    province_rollup: pd.DataFrame
    masterplan_share_pct: float


def report_tables(warehouse: Path) -> ReportTables:
    """Return the report's tables, read from the warehouse without locking it for writing."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        def q(sql: str) -> pd.DataFrame:
            return con.sql(sql).df()

        return ReportTables(
            ranking=q("SELECT * FROM score.region_ranking ORDER BY screening_rank NULLS LAST, region_code"),
            dimensions=q("""SELECT d.region_code, r.region_name, d.dimension, d.dimension_score, m.position
                            FROM score.region_dimension d JOIN reference.regions r USING (region_code)
                            JOIN methodology.readiness_dimension m USING (dimension)
                            JOIN score.region_readiness s USING (region_code)
                            WHERE s.readiness_index IS NOT NULL ORDER BY d.region_code, m.position"""),
            dimension_labels=q("SELECT dimension, label_id, label_en FROM methodology.readiness_dimension ORDER BY position"),
            quarantine=q("SELECT * FROM curated.quarantine ORDER BY source_file, source_row, source_column, rule"),
            ingest_log=q("SELECT * FROM curated.ingest_log ORDER BY source, source_file"),
            raw_files=q("SELECT * FROM curated.raw_files ORDER BY source, source_file"),
            source_status=q("SELECT * FROM curated.source_status ORDER BY \"table\""),
            hashes=q("SELECT * FROM methodology.run").iloc[0].to_dict(),
            selection=q("SELECT * FROM score.cohort_selection ORDER BY selection_rank NULLS LAST, region_code"),
            cohort_run=q("SELECT * FROM score.cohort_run").iloc[0].to_dict(),
            evaluation_years=q("SELECT * FROM score.evaluation_year ORDER BY year"),
            evaluation_regions=q("SELECT * FROM score.evaluation_region ORDER BY year, national_rank NULLS LAST, region_code"),
            evaluation_dimensions=q("SELECT * FROM score.evaluation_dimension ORDER BY region_code, year, dimension"),
            evaluation_cells=q("SELECT * FROM score.evaluation_cell ORDER BY region_code, year, component, dimension"),
            evaluation_agreement=q("""SELECT a.* FROM score.evaluation_agreement a
                                      LEFT JOIN methodology.evaluation_component c USING (component)
                                      ORDER BY a.year, c.position NULLS LAST"""),
            evaluation_moderation=q("SELECT * FROM score.evaluation_moderation"),
            evaluation_assessors=q("SELECT * FROM score.evaluation_assessor"),
            evaluation_components=q("SELECT * FROM methodology.evaluation_component ORDER BY position"),
            evaluation_methodology=q("""SELECT m.*, list(w.weight ORDER BY c.position) AS component_weights
                                        FROM methodology.evaluation_year m
                                        JOIN methodology.evaluation_weight w ON w.year = m.year AND w.level = 'component'
                                        JOIN methodology.evaluation_component c ON c.component = w.code
                                        GROUP BY ALL ORDER BY m.year"""),
            province_rollup=q("SELECT * FROM score.province_rollup ORDER BY year, province_code"),
            masterplan_share_pct=float(q("SELECT value FROM methodology.parameter "
                                         "WHERE name = 'evaluation.masterplan_share_pct'").iloc[0, 0]),
        )


def _figure_html(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _fmt(value, decimals: int = 2) -> str:
    return "" if pd.isna(value) else f"{value:.{decimals}f}"


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def evaluation_view(tables: ReportTables) -> dict:
    """Return what the evaluation section shows: the latest evaluation year's results, agreement and moderation."""
    years = tables.evaluation_regions["year"]
    if years.empty:
        return {"year": None}
    year = int(years.max())
    regions = tables.evaluation_regions[years == year]
    wide = (tables.evaluation_dimensions[tables.evaluation_dimensions["year"] == year]
            .pivot(index="region_code", columns="dimension", values="dimension_score").add_prefix("dimension_"))
    regions = regions.join(wide, on="region_code")
    year_row = tables.evaluation_years.set_index("year").loc[year]
    method = tables.evaluation_methodology.set_index("year").loc[int(year_row["methodology_year"])]
    components = tables.evaluation_components
    return {
        "year": year, "year_row": year_row.to_dict(), "regions_frame": regions, "regions": _records(regions),
        "components": _records(components),
        "weights": "/".join(f"{w:g}" for w in method["component_weights"]) + " (" + "/".join(components["component"]) + ")",
        "rule": method["consensus_rule"].replace("_", " "), "decimals": int(method["decimals"]),
        "max_spread": float(method["max_spread"]), "min_cells": int(method["severity_min_cells"]),
        "agreement": _records(tables.evaluation_agreement[tables.evaluation_agreement["year"] == year]),
        "moderation": _records(tables.evaluation_moderation[tables.evaluation_moderation["year"] == year]),
        "assessors": _records(tables.evaluation_assessors[tables.evaluation_assessors["year"] == year]),
        "assessors_frame": tables.evaluation_assessors[tables.evaluation_assessors["year"] == year],
    }


def build_report(settings: Settings) -> Path:
    """Return the path of index.html after writing the whole report folder from the warehouse."""
    tables = report_tables(settings.warehouse_path)
    out = settings.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    ranking = tables.ranking
    labels = [f"{i} / {e}" if i != e else i for i, e in zip(tables.dimension_labels["label_id"], tables.dimension_labels["label_en"])]
    assessed = tables.dimensions.drop_duplicates("region_code")
    best = ranking.dropna(subset=["readiness_rank"]).sort_values(["readiness_rank", "region_code"])
    radar_region = best["region_code"].iloc[0] if not best.empty else None
    radar_data = {
        code: {"name": part["region_name"].iloc[0], "r": [round(v, 4) for v in part.sort_values("position")["dimension_score"]]}
        for code, part in tables.dimensions.groupby("region_code", sort=True)
    }
    figs = {
        "screening_top": _figure_html(figures.top_bar(ranking, "screening_index", "screening_rank",
                                                      "Top 25: indeks penyaringan / screening index"), "fig-screening-top"),
        "readiness_top": _figure_html(figures.top_bar(ranking, "readiness_index", "readiness_rank",
                                                      "Top 25: indeks kesiapan / readiness index"), "fig-readiness-top"),
        "radar": _figure_html(figures.radar(tables.dimensions, radar_region, labels), "fig-radar") if radar_region else "",
        "scatter": _figure_html(figures.scatter(ranking), "fig-scatter"),
        "rank_intervals": _figure_html(figures.rank_intervals(tables.selection, int(tables.cohort_run["size"])),
                                       "fig-rank-intervals"),
    }
    evaluation = evaluation_view(tables)
    if evaluation["year"]:
        columns = [(f"{c}_score", label) for c, label in zip(tables.evaluation_components["component"],
                                                              tables.evaluation_components["label_en"])]
        columns += [(f"dimension_{d}", label) for d, label in zip(tables.dimension_labels["dimension"],
                                                                  tables.dimension_labels["label_en"])]
        figs["evaluation_heatmap"] = _figure_html(figures.evaluation_heatmap(evaluation["regions_frame"], columns),
                                                  "fig-evaluation-heatmap")
        figs["assessor_severity"] = _figure_html(figures.assessor_severity(evaluation["assessors_frame"]),
                                                 "fig-assessor-severity")
    quarantine_rows = tables.quarantine.head(QUARANTINE_SHOWN)
    by_rule = (tables.quarantine.groupby(["source", "rule", "scope"]).size().rename("rows").reset_index()
               .sort_values(["source", "rule"]))
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = _fmt
    html = env.get_template("index.html.j2").render(
        selection=_records(tables.selection), evaluation=evaluation,
        dimension_labels=tables.dimension_labels.to_dict("records"),
        cohort_run=tables.cohort_run,
        ranking=ranking.to_dict("records"), figs=figs, radar_region=radar_region,
        radar_data=json.dumps(radar_data, ensure_ascii=False, sort_keys=True),
        radar_regions=assessed.sort_values("region_name")[["region_code", "region_name"]].to_dict("records"),
        quarantine=quarantine_rows.to_dict("records"), quarantine_total=len(tables.quarantine),
        quarantine_by_rule=by_rule.to_dict("records"), ingest_log=tables.ingest_log.to_dict("records"),
        raw_files=tables.raw_files.to_dict("records"),
        failed_sources=tables.source_status[tables.source_status["status"] == "failed"].to_dict("records"),
        is_synthetic=bool(tables.raw_files["is_synthetic"].any()),
        hashes=tables.hashes, version=__version__,
        counts={
            "regions": len(ranking), "screened": int(ranking["screening_index"].notna().sum()),
            "assessed": int(ranking["readiness_index"].notna().sum()),
            "members": int(ranking["smart_city_year_joined"].notna().sum()),
            "rows_read": int(tables.ingest_log["rows_read"].sum()),
            "rows_curated": int(tables.ingest_log["rows_curated"].sum()),
            "rows_quarantined": int(tables.ingest_log["rows_quarantined"].sum()),
            "rows_superseded": int(tables.ingest_log["rows_superseded"].sum()),
            "cells_quarantined": int(tables.ingest_log["cells_quarantined"].sum()),
            "unreadable_files": int(tables.ingest_log["file_error"].notna().sum()),
        },
    )
    (out / "index.html").write_text(html, encoding="utf-8")
    (out / "provinces.html").write_text(_provinces_page(env, tables, evaluation), encoding="utf-8")
    published = ranking[RANKING_CSV_COLUMNS].sort_values(["screening_rank", "region_code"], na_position="last")
    published.to_csv(out / "ranking.csv", index=False, float_format="%.6f")
    tables.quarantine.to_csv(out / "quarantine.csv", index=False)
    # The cohort as the warehouse has it (each row carries the methodology and inputs hashes).
    cohort_files = {"cohort_selection.csv": tables.selection,
                    "cohort_proposed.csv": tables.selection[tables.selection["is_selected"]],
                    "evaluation_region.csv": tables.evaluation_regions, "evaluation_cell.csv": tables.evaluation_cells,
                    "evaluation_moderation.csv": tables.evaluation_moderation,
                    "evaluation_agreement.csv": tables.evaluation_agreement,
                    "evaluation_assessor.csv": tables.evaluation_assessors, "province_rollup.csv": tables.province_rollup}
    for name, frame in cohort_files.items():
        frame.to_csv(out / name, index=False, float_format="%.6f")
    manifest = {
        "layer": "report", "code_version": __version__, **tables.hashes,
        "outputs": {"index.html": {}, "provinces.html": {}, "ranking.csv": {"rows": len(published)},
                    "quarantine.csv": {"rows": len(tables.quarantine)},
                    **{name: {"rows": len(frame)} for name, frame in cohort_files.items()}},
        "inputs": tables.raw_files[["source_file", "sha256"]].to_dict("records"),
        "is_synthetic": bool(tables.raw_files["is_synthetic"].any()),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out / "index.html"


def _provinces_page(env: Environment, tables: ReportTables, evaluation: dict) -> str:
    """Return provinces.html: the Smart Province roll-up of the latest evaluation year."""
    year = evaluation["year"]
    rollup = tables.province_rollup[tables.province_rollup["year"] == year]
    figs = {}
    if year:
        figs = {"masterplan_share": _figure_html(figures.masterplan_share(rollup, tables.masterplan_share_pct),
                                                 "fig-masterplan-share"),
                "province_distribution": _figure_html(figures.province_distribution(evaluation["regions_frame"]),
                                                      "fig-province-distribution")}
    return env.get_template("provinces.html.j2").render(
        rollup=_records(rollup), year=year, figs=figs, hashes=tables.hashes, version=__version__,
        is_synthetic=bool(tables.raw_files["is_synthetic"].any()), masterplan_share_pct=tables.masterplan_share_pct)
