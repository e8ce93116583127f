"""Great Expectations suites generated from the source contracts (config/sources/<source>.yaml), one per table."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.sources import RULE_KEYS, Contracts

# The contract's column types as the pandas dtypes GX checks.
GX_TYPES = {"region_code": "str", "region_name": "str", "text": "str", "category": "str", "integer": "int64",
            "number": "float64", "timestamp": "datetime64[us]"}
# What each rule means to an analyst; {column}, {low}, {high}, {values} are filled from the rule.
MESSAGES = {
    "required": "{column} is empty but required",
    "between": "{column} is outside the allowed range {low} to {high}",
    "in_set": "{column} is not one of: {values}",
    "in_parameter": "{column} is not a known {values}",
    "not_in_set": "{column} must not be one of: {values}",
    "unique": "{column} appears more than once",
    "key_unique": "the key ({column}) appears on more than one row; keep one row per key",
    "pair_in_parameter": "the combination of {column} is not a known {values}",
    "greater": "{a} must be greater than {b}",
}
PARAMETER_LABELS = {
    "region_codes": "kabupaten/kota code of the Kemendagri 2025 list",
    "region_or_province_codes": "kabupaten/kota or province code of the Kemendagri 2025 list",
    "question_codes": "question code of the question bank",
    "dimensions": "dimension of the framework",
    "dimensions_or_overall": "dimension of the framework (or `overall`)",
    "elements": "element of the framework",
    "dimension_elements": "dimension/element pair of the framework",
    "min_autonomous_regions": "validation.coverage_min_pct of the 508 autonomous kabupaten/kota",
    "min_autonomous_kota": "validation.coverage_min_pct of the 93 autonomous kota",
}


def _expectation(kind: str, kwargs: dict, rule: str, column: str, fix: str | None, when: str | None, **fill) -> dict:
    if when:
        kwargs = {**kwargs, "row_condition": when, "condition_parser": "pandas"}
    message = MESSAGES[rule].format(column=column, **fill)
    if when:
        message += f" (when {when.replace('==', ' = ')})"
    return {"type": kind, "kwargs": kwargs,
            "meta": {"rule": rule, "column": column, "message": message, **({"fix": fix} if fix else {})}}


def _column_rules(column: str, spec: dict) -> list[dict]:
    """Return the row-level rules of a column: the shorthand keys plus any conditional `rules`."""
    shorthand = {k: v for k, v in spec.items()
                 if k in ("required", "between", "in_set", "not_in_set", "in_parameter", "unique")}
    rules = [{**shorthand, "fix": spec.get("fix")}] if shorthand else []
    return rules + [dict(r) for r in spec.get("rules", [])]


def _file_rules(rules: dict) -> list[dict]:
    """Return the expectations checked per raw file (and year): a file failing one fails its whole source."""
    out = []
    if "year_not_after_run" in rules:
        column = rules["year_not_after_run"]["column"]
        out.append({"type": "expect_column_max_to_be_between",
                    "kwargs": {"column": column, "max_value": {"$PARAMETER": "as_of_year"}},
                    "meta": {"rule": "year_after_run", "column": column, "level": "file", "group_by": ["source_file"],
                             "message": f"the file has {column} {{observed}}, after the run year {{limit}}: a wrong year",
                             "fix": "correct the year in the file, or set validation.as_of_year in config/run.yaml"}})
    if "coverage" in rules:
        expected = rules["coverage"]["expected"]
        out.append({"type": "expect_column_unique_value_count_to_be_between",
                    "kwargs": {"column": "region_code", "min_value": {"$PARAMETER": f"min_{expected}"}},
                    "meta": {"rule": "coverage", "column": "region_code", "level": "file",
                             "group_by": ["source_file", "year"],
                             "message": f"the file covers {{observed}} regions for one year, fewer than the {{limit}} "
                                        f"needed ({PARAMETER_LABELS['min_' + expected]})",
                             "fix": "ask the publisher for the complete table, or lower validation.coverage_min_pct "
                                    "in config/run.yaml if a partial file is intended"}})
    return out


def suite_from_spec(spec: dict) -> dict:
    """Return the GX suite (JSON-able dict) for one table spec: schema, types, rows, keys, pairs."""
    columns = spec["columns"]
    out = [{"type": "expect_table_columns_to_match_set",
            "kwargs": {"column_set": list(columns), "exact_match": True},
            "meta": {"rule": "schema", "column": None, "message": "the table's columns differ from the contract",
                     "level": "table"}}]
    for column, column_spec in columns.items():
        out.append({"type": "expect_column_values_to_be_of_type",
                    "kwargs": {"column": column, "type_": column_spec["type"]},
                    "meta": {"rule": "type", "column": column, "level": "table",
                             "message": f"{column} is not of type {column_spec['type']}"}})
        for rule in _column_rules(column, column_spec):
            fix, when = rule.get("fix"), rule.get("when")
            if rule.get("required"):
                out.append(_expectation("expect_column_values_to_not_be_null", {"column": column}, "required",
                                        column, fix, when))
            if "between" in rule:
                low, high = rule["between"]
                out.append(_expectation("expect_column_values_to_be_between",
                                        {"column": column, "min_value": low, "max_value": high}, "between", column,
                                        fix, when, low="-∞" if low is None else low, high="∞" if high is None else high))
            if "in_set" in rule:
                out.append(_expectation("expect_column_values_to_be_in_set",
                                        {"column": column, "value_set": rule["in_set"]}, "in_set", column, fix, when,
                                        values=", ".join(map(str, rule["in_set"]))))
            if "not_in_set" in rule:
                out.append(_expectation("expect_column_values_to_not_be_in_set",
                                        {"column": column, "value_set": rule["not_in_set"]}, "not_in_set", column, fix,
                                        when, values=", ".join(map(str, rule["not_in_set"]))))
            if "in_parameter" in rule:
                name = rule["in_parameter"]
                out.append(_expectation("expect_column_values_to_be_in_set",
                                        {"column": column, "value_set": {"$PARAMETER": name}}, "in_parameter", column,
                                        fix, when, values=PARAMETER_LABELS[name]))
            if rule.get("unique"):
                out.append(_expectation("expect_column_values_to_be_unique", {"column": column}, "unique", column,
                                        fix, when))
    for pair in spec.get("greater", []):
        a, b = pair["columns"]
        out.append(_expectation("expect_column_pair_values_a_to_be_greater_than_b",
                                {"column_A": a, "column_B": b, "or_equal": False, "ignore_row_if": "either_value_is_missing"},
                                "greater", f"{a} and {b}",
                                pair.get("fix"), pair.get("when"), a=a, b=b))
    for pair in spec.get("pairs", []):
        a, b = pair["columns"]
        name = pair["in_parameter"]
        out.append(_expectation("expect_column_pair_values_to_be_in_set",
                                {"column_A": a, "column_B": b, "value_pairs_set": {"$PARAMETER": name}},
                                "pair_in_parameter", f"{a} and {b}", pair.get("fix"), None,
                                values=PARAMETER_LABELS[name]))
    out += _file_rules(spec.get("file_rules") or {})
    key = spec["key"]
    if len(key) == 1:
        out.append(_expectation("expect_column_values_to_be_unique", {"column": key[0]}, "key_unique", key[0], None, None))
    else:
        out.append(_expectation("expect_compound_columns_to_be_unique", {"column_list": key}, "key_unique",
                                ", ".join(key), None, None))
    return {"name": spec["table"], "expectations": out,
            "meta": {"description": spec.get("description", ""), "generated_from": f"config/sources/{spec['source']}.yaml",
                     "key": key, "cell_scope": bool(spec.get("cell_scope", False))}}


def gx_column(column: dict, allow_provinces: bool) -> dict:
    """Return a contract column as the suite sees it: the GX type, and every rule.

    A region code must be a known one; a column with a default is never empty after ingest.
    """
    out = {"type": GX_TYPES[column["type"]], **{k: v for k, v in column.items() if k in RULE_KEYS}}
    if column["type"] == "region_code":
        out.update(required=True, in_parameter="region_or_province_codes" if allow_provinces else "region_codes")
    if "default" in column:
        out["required"] = True
    return out


def table_specs(contracts: Contracts) -> dict[str, dict]:
    """Return the spec of every curated table (GX types, rules, gates), by table name, derived from the contracts."""
    return {table: {**spec, "table": table, "columns": {name: gx_column(c, spec["allow_provinces"])
                                                        for name, c in spec["columns"].items()}}
            for table, spec in contracts.tables().items()}


def render_suite(suite: dict) -> str:
    """Return a suite as the stable JSON text stored in expectations/."""
    return json.dumps(suite, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_suites(contracts: Contracts, expectations_dir: Path) -> list[Path]:
    """Regenerate expectations/<table>.json from the source contracts; return the files written."""
    written = []
    for table, spec in table_specs(contracts).items():
        path = expectations_dir / f"{table}.json"
        path.write_text(render_suite(suite_from_spec(spec)), encoding="utf-8")
        written.append(path)
    return written
