"""What the site's search box and comparison page read: two scripts written once into the site (search.js on every
page, compare.js on compare.html), taken from the report's finished tables.

Scripts rather than JSON files: a page opened from file:// may load a script but not fetch() a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

COMPARE_MAX = 4


def _value(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, float):
        return round(v, 6)
    return v.item() if hasattr(v, "item") else v


def _script(name: str, value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"window.{name} = {text};\n"


def search_entries(ranking: pd.DataFrame) -> list[list[str]]:
    """Return [code, name, kind, province, page] for every kab/kota and province, in code order."""
    regions = [[r.region_code, r.region_name, r.region_type, r.province_name, f"regions/{r.region_code}.html"]
               for r in ranking.sort_values("region_code").itertuples()]
    provinces = ranking[["province_code", "province_name"]].drop_duplicates("province_code").sort_values("province_code")
    return [*regions, *([p.province_code, p.province_name, "provinsi", p.province_name,
                          f"provinces/{p.province_code}.html"] for p in provinces.itertuples())]


def compare_data(tables: dict[str, pd.DataFrame], evaluation_year: int | None) -> dict:
    """Return what the comparison page shows of every kab/kota: its headline figures, dimension and aspect scores
    and indicators, with the labels and the national medians."""
    ranking = tables["ranking"]
    regions = {}
    columns = ["region_name", "region_type", "province_name", "smart_city_year_joined", "screening_index",
               "screening_rank", "readiness_index", "readiness_rank", "opd_submissions"]
    for row in ranking[["region_code", *columns]].itertuples(index=False):
        regions[row.region_code] = {c: _value(getattr(row, c)) for c in columns}
    selection = tables["cohort_selection"]
    for row in (selection.itertuples() if not selection.empty else ()):
        regions[row.region_code].update(selection_rank=_value(row.selection_rank),
                                        selection_probability_pct=_value(row.selection_probability_pct),
                                        is_selected=bool(row.is_selected))
    evaluated = tables["evaluation_region"]
    if evaluation_year is not None:
        for row in evaluated[evaluated["year"] == evaluation_year].itertuples():
            regions[row.region_code].update(evaluation_index=_value(row.evaluation_index),
                                            evaluation_rank=_value(row.national_rank))
    profile = tables["region_profile"]
    for code, part in profile.groupby("region_code", sort=True):
        regions[code]["profile"] = {item: _value(score) for item, score in zip(part["item"], part["score"])}
    indicators = tables["region_indicator"]
    for code, part in indicators.groupby("region_code", sort=True):
        regions[code]["indicators"] = {i: [_value(raw), _value(score), _value(year)] for i, raw, score, year in zip(
            part["indicator_code"], part["raw_value"], part["normalised_value"], part["year"])}
    medians = profile.drop_duplicates("item").set_index("item")["national_median"]
    labels = indicators.drop_duplicates("indicator_code").sort_values("indicator_code")
    return {
        "regions": regions, "evaluation_year": evaluation_year, "max": COMPARE_MAX,
        "dimensions": [[d, i, e, _value(medians.get(d))] for d, i, e in tables["dimension_label"][
            ["dimension", "label_id", "label_en"]].itertuples(index=False)],
        "aspects": [[a, i, e, _value(medians.get(a))] for a, i, e in tables["aspect_label"][
            ["aspect", "label_id", "label_en"]].itertuples(index=False)],
        "indicators": [[c, i, e] for c, i, e in labels[["indicator_code", "label_id", "label_en"]].itertuples(index=False)],
    }


def write_scripts(tables: dict[str, pd.DataFrame], evaluation_year: int | None, out: Path) -> None:
    """Write search.js and compare.js into the site folder `out`."""
    (out / "search.js").write_text(_script("READINESS_SEARCH", search_entries(tables["ranking"])), encoding="utf-8")
    (out / "compare.js").write_text(_script("READINESS_COMPARE", compare_data(tables, evaluation_year)),
                                    encoding="utf-8")
