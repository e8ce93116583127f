"""Report step: read the finished warehouse tables and write the static site in data/reports/ (pages, plotly.js
once, downloads, manifest). Nothing here computes a score or joins tables: every table is a view of the report
schema (pipelines/score/models/report/), which the score step builds over the score, curated and methodology tables.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from plotly.offline import get_plotlyjs

from pipelines import __version__
from pipelines.report import compare, exports, figures, publish
from pipelines.report.maps import EMPTY_WORLD, Maps, write_map_files
from pipelines.report.images import ImageExportError, write_pngs
from pipelines.report.pdf import PdfExportError, write_site_pdfs
from pipelines.report.i18n import (PUBLISHED_DECIMALS, maps_off, num, part_label, provenance_label, status, status_text,
                                   synthetic_notice, t, t_attrs)
from pipelines.report.validation_docs import write_validation_docs
from pipelines.settings import Settings
from pipelines.warehouse import read as read_warehouse

# What the report depends on besides the score tables and this code (Settings attributes, see runs/plan.py).
READS = ("boundaries_dir",)
TEMPLATES = Path(__file__).parent / "templates"
RANKING_COLUMNS = [
    "region_code", "region_name", "region_type", "province_code", "province_name", "island_group", "is_autonomous",
    "smart_city_year_joined", "screening_rank", "screening_index", "screening_coverage_pct", "screening_status",
    "readiness_rank", "readiness_index", "opd_submissions", "readiness_status", "methodology_hash", "inputs_hash",
]
QUARANTINE_SHOWN = 500
# Every table the report reads, by name: a view of the report schema (pipelines/score/models/report/<name>.sql,
# built by the score step), sorted here. The ones in PUBLISHED are also downloads (CSV, Parquet, Excel).
QUERIES = {
    "ranking": "SELECT * FROM report.ranking ORDER BY screening_rank NULLS LAST, region_code",
    "region_dimension": "SELECT * FROM report.region_dimension ORDER BY region_code, dimension",
    "region_aspect": "SELECT * FROM report.region_aspect ORDER BY region_code, aspect",
    "region_dimension_aspect": "SELECT * FROM report.region_dimension_aspect ORDER BY region_code, dimension, aspect",
    "region_profile": "SELECT * FROM report.region_profile ORDER BY region_code, kind, item",
    "dimension_label": "SELECT * FROM report.dimension_label ORDER BY position",
    "aspect_label": "SELECT * FROM report.aspect_label",
    "component_label": "SELECT * FROM report.component_label ORDER BY position",
    "quarantine": "SELECT * FROM report.quarantine ORDER BY source_file, source_row, source_column, rule",
    "quarantine_by_rule": "SELECT * FROM report.quarantine_by_rule ORDER BY source, rule, scope",
    "ingest_log": "SELECT * FROM report.ingest_log ORDER BY source, source_file",
    "ingest_total": "SELECT * FROM report.ingest_total",
    "source_ingest": "SELECT * FROM report.source_ingest ORDER BY source",
    "synthetic_notice": "SELECT * FROM report.synthetic_notice",
    "raw_files": "SELECT * FROM report.raw_files ORDER BY source, source_file",
    "source_status": "SELECT * FROM report.source_status ORDER BY \"table\"",
    "ignored_files": "SELECT * FROM report.ignored_files ORDER BY source_file",
    "run": "SELECT * FROM report.run",
    "index_previous_run": "SELECT * FROM report.index_previous_run ORDER BY index_code",
    "region_mover": """SELECT * FROM report.region_mover
                       ORDER BY abs(places_up) DESC NULLS LAST, index_code, rank_now NULLS LAST, region_code""",
    "cohort_shortlist": "SELECT * FROM report.cohort_shortlist ORDER BY eligible_rank NULLS LAST, region_code",
    "cohort_selection": "SELECT * FROM report.cohort_selection ORDER BY selection_rank NULLS LAST, region_code",
    "cohort_rank_statistics": "SELECT * FROM report.cohort_rank_statistics ORDER BY stage, region_code",
    "cohort_sensitivity": "SELECT * FROM report.cohort_sensitivity ORDER BY output, total DESC",
    "cohort_run": "SELECT * FROM report.cohort_run",
    "cohort_seat": "SELECT * FROM report.cohort_seat ORDER BY way_position",
    "region_contribution": "SELECT * FROM report.region_contribution ORDER BY region_code, index_code, child_code",
    "region_indicator": "SELECT * FROM report.region_indicator ORDER BY region_code, indicator_code",
    "region_missing_answer": "SELECT * FROM report.region_missing_answer ORDER BY region_code, question_code",
    "region_submission": "SELECT * FROM report.region_submission ORDER BY region_code, opd_name, period",
    "region_history": "SELECT * FROM report.region_history ORDER BY region_code, index_code, scored_at",
    "index_node_method": "SELECT * EXCLUDE (tree_path) FROM report.index_node_method ORDER BY index_code, tree_path",
    "index_audit_indicator": """SELECT * EXCLUDE (tree_path) FROM report.index_audit_indicator
                                ORDER BY index_code, tree_path""",
    "index_audit_aggregate": """SELECT * EXCLUDE (tree_path) FROM report.index_audit_aggregate
                                ORDER BY index_code, tree_path""",
    "index_audit_correlation": """SELECT * EXCLUDE (tree_path) FROM report.index_audit_correlation
                                  ORDER BY index_code, tree_path""",
    "index_audit_setting": "SELECT * FROM report.index_audit_setting ORDER BY index_code, setting",
    "index_flag": "SELECT * EXCLUDE (tree_path) FROM report.index_flag ORDER BY index_code, tree_path, flag, other_code",
    "index_flag_count": "SELECT * FROM report.index_flag_count ORDER BY index_code, flag",
    "monte_carlo_design": "SELECT * FROM report.monte_carlo_design",
    "monte_carlo_factor": "SELECT * FROM report.monte_carlo_factor ORDER BY position",
    "methodology_parameter": "SELECT * FROM report.methodology_parameter ORDER BY name",
    "evaluation_year": "SELECT * FROM report.evaluation_year ORDER BY year",
    "evaluation_region": "SELECT * FROM report.evaluation_region ORDER BY year, national_rank NULLS LAST, region_code",
    "evaluation_dimension": "SELECT * FROM report.evaluation_dimension ORDER BY region_code, year, dimension",
    "evaluation_cell": "SELECT * FROM report.evaluation_cell ORDER BY region_code, year, component, dimension",
    # Components in the methodology's order, 'all' last; the position is only for sorting.
    "evaluation_agreement": """SELECT * EXCLUDE (component_position) FROM report.evaluation_agreement
                               ORDER BY year, component_position NULLS LAST""",
    "evaluation_moderation": "SELECT * FROM report.evaluation_moderation",
    "evaluation_assessor": "SELECT * FROM report.evaluation_assessor",
    "evaluation_methodology": "SELECT * FROM report.evaluation_methodology ORDER BY year",
    "evaluation_weight": "SELECT * FROM report.evaluation_weight ORDER BY year, level, code",
    "province_rollup": "SELECT * FROM report.province_rollup ORDER BY year, province_code",
    "part_status": "SELECT * FROM report.part_status ORDER BY part",
}
# The queries that read a part of the scores that may be missing (score.part_status): empty tables when it is.
PART_QUERIES = {
    "cohort": {"cohort_selection", "cohort_rank_statistics", "cohort_sensitivity", "cohort_run", "cohort_seat"},
    "evaluation": {"evaluation_year", "evaluation_region", "evaluation_dimension", "evaluation_cell",
                   "evaluation_agreement", "evaluation_moderation", "evaluation_assessor", "province_rollup"},
}
PUBLISHED = ["ranking", "cohort_shortlist", "cohort_selection", "cohort_rank_statistics", "cohort_sensitivity",
             "region_dimension", "region_aspect", "region_dimension_aspect", "region_profile", "evaluation_region",
             "evaluation_cell", "evaluation_moderation", "evaluation_agreement", "evaluation_assessor",
             "province_rollup", "region_mover", "quarantine", "ingest_log", "raw_files"]
MOVERS_SHOWN = 20
# The Excel workbook: sheet name -> published table.
WORKBOOK = {"ranking": "ranking", "cohort": "cohort_selection", "shortlist": "cohort_shortlist",
            "region profiles": "region_profile", "evaluation": "evaluation_region",
            "evaluation cells": "evaluation_cell", "moderation": "evaluation_moderation",
            "agreement": "evaluation_agreement", "assessors": "evaluation_assessor", "provinces": "province_rollup"}


@dataclass
class Site:
    """The finished tables, the template environment and the values every page shares."""

    tables: dict[str, pd.DataFrame]
    env: Environment
    common: dict
    maps: Maps
    figures: dict = field(default_factory=dict)

    def figure(self, fig, div_id: str) -> str:
        """Return a plotly figure as a div for a page, and keep it for the PNG images."""
        self.figures[div_id.removeprefix("fig-")] = fig
        return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           config={"displaylogo": False, "responsive": True})

    def map_context(self, layer: str) -> dict:
        """Return what a page with a map of `layer` needs: the boundary script to load, or why there is no map."""
        if self.maps.has(layer):
            return {"map_layers": [layer], "empty_world": EMPTY_WORLD, "maps_off": None}
        return {"map_layers": [], "maps_off": maps_off(layer)}

    def page(self, template: str, path: Path, root: str = "", **context) -> None:
        """Render one template into `path`; `root` leads from the page back to the site folder."""
        path.parent.mkdir(parents=True, exist_ok=True)
        html = self.env.get_template(template).render(root=root, **self.common, **context)
        path.write_text(html, encoding="utf-8")


def _part_queries(parts) -> set[str]:
    """Return the report's queries that read the given parts of the scores."""
    return set().union(*(PART_QUERIES.get(p, set()) for p in parts))


def missing_parts(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Return the parts of the scores that could not be computed, each with the reason."""
    status = tables["part_status"]
    absent = status[status["status"] != "complete"]
    return dict(zip(absent["part"], absent["reason"]))


def report_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Return every table the report shows, read from the warehouse without locking it for writing, its numbers
    rounded to PUBLISHED_DECIMALS.

    The tables of a part that could not be computed are empty (no columns); missing_parts() says why.
    """
    with read_warehouse(warehouse) as con:
        status = con.sql(QUERIES["part_status"]).df()
        skipped = _part_queries(status.loc[status["status"] != "complete", "part"])
        # Rounded once, here: DuckDB's parallel sums differ from run to run in the 15th digit, and a chart value
        # rounded to 2 decimals from the unrounded number (49.574999… or 49.575000…) flipped between runs.
        return {name: _rounded(con.sql(sql).df()) if name not in skipped else pd.DataFrame()
                for name, sql in QUERIES.items()}


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with its floating-point columns rounded to PUBLISHED_DECIMALS (dates and text as they are)."""
    return frame.round(dict.fromkeys(frame.select_dtypes("floating").columns, PUBLISHED_DECIMALS))


def _fmt(value, decimals: int = 2) -> str:
    return "" if pd.isna(value) else f"{value:.{decimals}f}"


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: None if v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v for k, v in row.items()}
            for row in frame.to_dict("records")]


def _records_by_region(frame: pd.DataFrame) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in _records(frame):
        grouped.setdefault(row["region_code"], []).append(row)
    return grouped


def _by_region(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {code: part for code, part in frame.groupby("region_code", sort=False)}


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = _fmt
    env.globals.update(num=num, t=t, t_attrs=t_attrs, status=status, status_text=status_text, part_label=part_label,
                       provenance_label=provenance_label, synthetic_notice=synthetic_notice)
    return env


def evaluation_view(tables: dict[str, pd.DataFrame]) -> dict:
    """Return what the evaluation page shows: the latest evaluation year's results, agreement and moderation."""
    missing = missing_parts(tables).get("evaluation")
    if missing:
        return {"year": None, "missing": missing}
    years = tables["evaluation_region"]["year"]
    if years.empty:
        return {"year": None}
    year = int(years.max())
    regions = tables["evaluation_region"][years == year]
    dims = tables["evaluation_dimension"]
    wide = (dims[dims["year"] == year].pivot(index="region_code", columns="dimension", values="dimension_score")
            .add_prefix("dimension_"))
    regions = regions.join(wide, on="region_code")
    year_row = tables["evaluation_year"].set_index("year").loc[year]
    method = tables["evaluation_methodology"].set_index("year").loc[int(year_row["methodology_year"])]
    components = tables["component_label"]

    def of_year(name: str) -> pd.DataFrame:
        return tables[name][tables[name]["year"] == year]

    return {
        "year": year, "year_row": year_row.to_dict(), "regions_frame": regions, "regions": _records(regions),
        "components": _records(components),
        "weights": "/".join(f"{w:g}" for w in method["component_weights"]) + " (" + "/".join(components["component"]) + ")",
        "rule": method["consensus_rule"].replace("_", " "), "decimals": int(method["decimals"]),
        "rounding": method["rounding"].replace("_", " "), "alpha_level": method["alpha_level"],
        "max_spread": float(method["max_spread"]), "min_cells": int(method["severity_min_cells"]),
        "flag_deviation": float(method["severity_flag_deviation"]),
        "agreement": _records(of_year("evaluation_agreement")), "moderation": _records(of_year("evaluation_moderation")),
        "assessors": _records(of_year("evaluation_assessor")), "assessors_frame": of_year("evaluation_assessor"),
    }


def _overview(site: Site, out: Path, evaluation: dict) -> dict:
    tables = site.tables
    ranking, selection = tables["ranking"], tables["cohort_selection"]
    maps = site.map_context("regencies")
    if maps["map_layers"]:
        evaluated = evaluation["regions_frame"] if evaluation["year"] else pd.DataFrame()
        maps["map_spec"] = figures.regions_map(ranking, selection, evaluated, evaluation["year"],
                                               site.maps.attribution("regencies"))
    cohort_run = tables["cohort_run"].iloc[0].to_dict() if not tables["cohort_run"].empty else None
    figs = {
        "screening_top": site.figure(figures.top_bar(ranking, "screening_index", "screening_rank",
                                                      ("Top 25: indeks penyaringan", "Top 25: screening index")),
                                     "fig-screening-top"),
        "readiness_top": site.figure(figures.top_bar(ranking, "readiness_index", "readiness_rank",
                                                      ("Top 25: indeks kesiapan", "Top 25: readiness index")),
                                     "fig-readiness-top"),
        "scatter": site.figure(figures.scatter(ranking), "fig-scatter"),
    }
    if cohort_run is not None:
        figs["rank_intervals"] = site.figure(figures.rank_intervals(selection, int(cohort_run["size"])),
                                             "fig-rank-intervals")
    coverage = tables["source_ingest"]
    totals = tables["ingest_total"].iloc[0]
    filters = [(attr, label_id, label_en, sorted(ranking[column].dropna().unique()))
               for attr, column, label_id, label_en in (
                   ("province", "province_name", "Provinsi", "Province"),
                   ("island", "island_group", "Kelompok pulau", "Island group"),
                   ("type", "region_type", "Jenis", "Type"),
                   ("programme", "programme_status", "Program", "Programme"))]
    counts = {
        "regions": len(ranking), "screened": int(ranking["screening_index"].notna().sum()),
        "assessed": int(ranking["readiness_index"].notna().sum()),
        "members": int(ranking["smart_city_year_joined"].notna().sum()),
        "shortlisted": int(tables["cohort_shortlist"]["is_shortlisted"].sum()),
        "rows_read": int(totals["rows_read"]), "rows_quarantined": int(totals["rows_quarantined"]),
    }
    site.page("index.html.j2", out / "index.html", ranking=_records(ranking), selection=_records(selection),
              movers=_records(tables["region_mover"].head(MOVERS_SHOWN)), movers_total=len(tables["region_mover"]),
              previous_run=(_records(tables["index_previous_run"].dropna(subset=["previous_scored_at"])) or [None])[0],
              cohort_run=cohort_run, seats={r["way"]: r["regions"] for r in _records(tables["cohort_seat"])},
              cohort_missing=missing_parts(tables).get("cohort"), figs=figs, counts=counts, coverage=_records(coverage), filters=filters,
              failed_sources=_records(tables["source_status"][tables["source_status"]["status"] == "failed"]), **maps)
    return figs


def _evaluation_page(site: Site, out: Path, evaluation: dict) -> dict:
    figs = {}
    if evaluation["year"]:
        tables = site.tables
        columns = [(f"{row.component}_score", (row.label_id, row.label_en))
                   for row in tables["component_label"].itertuples()]
        columns += [(f"dimension_{row.dimension}", (row.label_id, row.label_en))
                    for row in tables["dimension_label"].itertuples()]
        figs["evaluation_heatmap"] = site.figure(figures.evaluation_heatmap(evaluation["regions_frame"], columns),
                                                  "fig-evaluation-heatmap")
        figs["assessor_severity"] = site.figure(figures.assessor_severity(evaluation["assessors_frame"],
                                                                           evaluation["flag_deviation"]),
                                                 "fig-assessor-severity")
    site.page("evaluation.html.j2", out / "evaluation.html", evaluation=evaluation, figs=figs,
              dimension_labels=_records(site.tables["dimension_label"]))
    return figs


def _province_pages(site: Site, out: Path, evaluation: dict) -> None:
    tables = site.tables
    year = evaluation["year"]
    rollup = tables["province_rollup"]
    latest = rollup[rollup["year"] == year] if year else rollup.iloc[0:0]
    share = float(tables["methodology_parameter"].set_index("name").loc["evaluation.masterplan_share_pct", "value"])
    figs = {}
    if year:
        figs = {"masterplan_share": site.figure(figures.masterplan_share(latest, share), "fig-masterplan-share"),
                "province_distribution": site.figure(figures.province_distribution(evaluation["regions_frame"]),
                                                      "fig-province-distribution")}
    provinces = (tables["ranking"][["province_code", "province_name", "island_group"]].drop_duplicates("province_code")
                 .sort_values("province_code"))
    maps = site.map_context("provinces")
    if maps["map_layers"] and year:
        maps["map_spec"] = figures.provinces_map(provinces, latest, year, site.maps.attribution("provinces"))
    site.page("provinces.html.j2", out / "provinces.html", rollup=_records(latest), provinces=_records(provinces),
              year=year, figs=figs, masterplan_share_pct=share, **maps)
    locator = site.map_context("provinces")
    codes, names = list(provinces["province_code"]), list(provinces["province_name"])
    by_province = latest.set_index("province_code") if year else pd.DataFrame()
    evaluated = tables["evaluation_region"]
    evaluated = (evaluated[evaluated["year"] == year].set_index("region_code")["evaluation_index"] if year
                 else pd.Series(dtype="float64"))
    for province in provinces.itertuples():
        members = tables["ranking"][tables["ranking"]["province_code"] == province.province_code].assign(
            is_member=lambda f: f["smart_city_year_joined"].notna(),
            evaluation_index=lambda f: f["region_code"].map(evaluated))
        if locator["map_layers"]:
            locator["locator_spec"] = figures.locator_map("provinces", codes, names, province.province_code,
                                                          province.province_name, site.maps.attribution("provinces"),
                                                          national=True)
        site.page("province.html.j2", out / "provinces" / f"{province.province_code}.html", root="../",
                  province=province._asdict(), regions=_records(members),
                  rollup=by_province.loc[province.province_code].to_dict() if province.province_code in by_province.index else None,
                  spec=figures.province_regions(members), year=year, **locator)


def _region_pages(site: Site, out: Path) -> None:
    tables = site.tables
    dimension_labels = tables["dimension_label"].set_index("dimension")
    aspect_labels = tables["aspect_label"].set_index("aspect")
    # Labels and chart inputs are prepared once for all regions; each page then takes its own rows.
    label_id = pd.concat([dimension_labels["label_id"], aspect_labels["label_id"]])
    label_en = pd.concat([dimension_labels["label_en"], aspect_labels["label_en"]])
    profile = tables["region_profile"].assign(label_id=lambda f: f["item"].map(label_id),
                                              label_en=lambda f: f["item"].map(label_en))
    dims = (profile[profile["kind"] == "dimension"]
            .assign(position=lambda f: f["item"].map(dimension_labels["position"]))
            .sort_values(["region_code", "position"]))
    frames = {name: _by_region(frame) for name, frame in
              (("dims", dims), ("cells", tables["region_dimension_aspect"]),
               ("contributions", tables["region_contribution"]), ("history", tables["region_history"]))}
    records = {name: _records_by_region(tables[name] if name != "region_profile" else profile) for name in (
        "region_profile", "region_indicator", "region_missing_answer", "region_submission", "evaluation_region",
        "cohort_selection",
        "cohort_shortlist")}
    records["quarantine"] = _records_by_region(tables["quarantine"].dropna(subset=["region_code"]))
    components = _records(tables["component_label"])
    dimension_order, aspect_order = dimension_labels[["label_id", "label_en"]], aspect_labels[["label_id", "label_en"]]
    locator = site.map_context("regencies")
    neighbours = {p: (list(part["region_code"]), list(part["region_name"]))
                  for p, part in tables["ranking"].sort_values("region_code").groupby("province_code")}
    for r in _records(tables["ranking"]):
        code = r["region_code"]
        specs = {}
        if locator["map_layers"]:
            specs["locator"] = figures.locator_map("regencies", *neighbours[r["province_code"]], code, r["region_name"],
                                                   site.maps.attribution("regencies"), national=False)
        if code in frames["dims"]:
            specs["radar"] = figures.region_radar(frames["dims"][code], r["region_name"])
        if code in frames["cells"]:
            specs["heatmap"] = figures.region_heatmap(frames["cells"][code], dimension_order, aspect_order)
        if code in frames["contributions"]:
            specs["contributions"] = figures.region_contributions(frames["contributions"][code])
        if code in frames["history"]:
            specs["history"] = figures.region_history(frames["history"][code])
        rows = {name: group.get(code, []) for name, group in records.items()}
        site.page("region.html.j2", out / "regions" / f"{code}.html", root="../", r=r, specs=specs,
                  profile=rows["region_profile"], indicators=rows["region_indicator"],
                  missing=rows["region_missing_answer"], quarantine=rows["quarantine"],
                  submissions=rows["region_submission"], evaluation_rows=rows["evaluation_region"],
                  components=components, evaluation=(rows["evaluation_region"] or [None])[-1],
                  selection=(rows["cohort_selection"] or [None])[0], shortlist=(rows["cohort_shortlist"] or [None])[0],
                  **locator)


def _methodology_page(site: Site, out: Path) -> None:
    from pipelines.report.i18n import AUDIT_FLAGS, exact_num

    tables = site.tables
    frameworks = [{"index_code": code, "nodes": _records(nodes), "sunburst": figures.framework_sunburst(nodes)}
                  for code, nodes in tables["index_node_method"].groupby("index_code", sort=False)]
    site.page("methodology.html.j2", out / "methodology.html", frameworks=frameworks,
              monte_carlo=_records(tables["monte_carlo_design"])[0],
              monte_carlo_factors=_records(tables["monte_carlo_factor"]),
              cohort_run=(_records(tables["cohort_run"]) or [None])[0],
              audit_settings=_records(tables["index_audit_setting"]), flag_counts=_records(tables["index_flag_count"]),
              flags=_records(tables["index_flag"]), audit_indicators=_records(tables["index_audit_indicator"]),
              audit_aggregates=_records(tables["index_audit_aggregate"]),
              audit_correlations=_records(tables["index_audit_correlation"]), audit_flags=AUDIT_FLAGS,
              exact_num=exact_num,
              parameters=_records(tables["methodology_parameter"]),
              evaluation_weights=_records(tables["evaluation_weight"]),
              evaluation_years=_records(tables["evaluation_methodology"].drop(columns="component_weights")),
              raw_files=_records(tables["raw_files"]))


def _validation_page(site: Site, out: Path) -> None:
    quarantine, totals = site.tables["quarantine"], site.tables["ingest_total"].iloc[0]
    site.page("validation.html.j2", out / "validation.html", ingest_log=_records(site.tables["ingest_log"]),
              totals={c: int(totals[c]) for c in ("rows_read", "rows_curated", "rows_quarantined", "rows_superseded",
                                                  "cells_quarantined")},
              unreadable=int(totals["unreadable_files"]),
              quarantine_by_rule=_records(site.tables["quarantine_by_rule"]),
              failed_sources=_records(site.tables["source_status"][site.tables["source_status"]["status"] == "failed"]),
              ignored_files=_records(site.tables["ignored_files"]),
              quarantine=_records(quarantine.head(QUARANTINE_SHOWN)), quarantine_total=len(quarantine))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish_report(settings: Settings, run_id: str, stage_key: str) -> tuple[Path, dict[str, str]]:
    """Build run `run_id`'s site aside, swap it in as the live publication, and return its folder and the parts it
    is published without (with the reasons)."""
    built = publish.building_dir(settings, run_id)
    build_report(settings, built, stage_key)
    missing = publish.missing_parts(built)
    return publish.publish(settings, built), missing


def _optional_part(site: Site, out: Path, evaluation: dict, missing: dict, part: str, write) -> dict:
    """Return the manifest entry of a part the site is complete without (the images, the PDFs): each file written by
    `write()` with its sha256, or why there is none, which the overview, the manifest and the run then say."""
    try:
        return {p.relative_to(out).as_posix(): {"sha256": _sha256(p)} for p in write()}
    except (ImageExportError, PdfExportError) as exc:
        logging.getLogger(__name__).warning("%s not written: %s", part, exc)
        missing[part] = str(exc)
        site.common["missing_parts"] = dict(missing)
        _overview(site, out, evaluation)
        return {"skipped": str(exc)}


def build_report(settings: Settings, out: Path, stage_key: str | None = None) -> Path:
    """Return the path of index.html after writing the whole site from the warehouse into the folder `out`.

    `stage_key` (the fingerprint of everything the site depends on) goes into its manifest.
    """
    tables = report_tables(settings.warehouse_path)
    out.mkdir(parents=True, exist_ok=True)
    if settings.validation_docs_dir.is_dir():
        suites = json.loads((settings.curated_dir / "validation.json").read_text(encoding="utf-8"))
        write_validation_docs(settings.validation_docs_dir, suites, out / "validation")
    (out / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    hashes = tables["run"].iloc[0].to_dict()
    # One row when any source is synthetic: the banner on every page names those sources.
    notice = (_records(tables["synthetic_notice"]) or [None])[0]
    missing = missing_parts(tables)
    site = Site(tables=tables, env=_environment(), maps=write_map_files(settings.boundaries_dir, out),
                common={"hashes": hashes, "version": __version__, "notice": notice, "missing_parts": dict(missing)})
    evaluation = evaluation_view(tables)
    _overview(site, out, evaluation)
    _evaluation_page(site, out, evaluation)
    _province_pages(site, out, evaluation)
    skipped = _part_queries(missing)
    published = {name: tables[name] for name in PUBLISHED if name not in skipped}
    published["ranking"] = published["ranking"][RANKING_COLUMNS]
    downloads = out / "downloads"
    downloads.mkdir(exist_ok=True)
    about = {"generated": str(tables["raw_files"]["received_date"].max()),
             "methodology hash": hashes["methodology_hash"], "inputs hash": hashes["inputs_hash"],
             "code version": __version__, "synthetic data": notice["synthetic_sources"] if notice else "none"}
    _region_pages(site, out)
    compare.write_scripts(tables, evaluation["year"], out)
    site.page("compare.html.j2", out / "compare.html")
    _methodology_page(site, out)
    _validation_page(site, out)
    outputs = exports.write_downloads(published, {sheet: name for sheet, name in WORKBOOK.items()
                                                  if name in published}, downloads, about)
    # Not in a worker thread: kaleido run from one hung once with Chromium idle (in a CI run of the suite).
    images = _optional_part(site, out, evaluation, missing, "images", lambda: write_pngs(site.figures, out / "images"))
    # The downloads' PDFs: every province page and the cohort's region pages, printed as written above.
    pdfs = _optional_part(site, out, evaluation, missing, "pdfs",
                          lambda: write_site_pdfs(out, tables["cohort_selection"], about["generated"]))
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if not p.is_relative_to(out / "validation"))
    manifest = {
        "layer": "report", "code_version": __version__, "stage_key": stage_key, **hashes,
        "pages": {page: _sha256(out / page) for page in pages},
        "downloads": {f"downloads/{name}": entry for name, entry in outputs.items()},
        "images": images,
        "pdfs": pdfs,
        "scripts": {p.relative_to(out).as_posix(): _sha256(p) for p in sorted([*out.glob("*.js"), *out.glob("maps/*.js")])},
        "boundaries": site.maps.layers,
        "inputs": tables["raw_files"][["source_file", "sha256"]].to_dict("records"),
        "source_provenance": dict(zip(tables["source_ingest"]["source"], tables["source_ingest"]["provenance"])),
        "missing_parts": missing,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out / "index.html"
