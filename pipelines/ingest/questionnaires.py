"""OPD questionnaire submissions, wide (one column per question) or long (one row per answer)."""

from __future__ import annotations

import pandas as pd

from pipelines.ingest import parsers
from pipelines.ingest.canonical import (
    Problems, ignored_columns_note, match_columns, map_distinct, parse_column, parse_values,
    respondent_hashes,
)
from pipelines.ingest.readers import ROW_COLUMN, header_key

ANSWER_PARSERS = {"scale_1_5": parsers.parse_scale, "yes_no": parsers.parse_yes_no}
SUBMISSION_FIELDS = ["submission_id", "region_code", "opd_name", "period", "submitted_at", "source_file", "source_row",
                     "respondent_hash", "layout"]
ANSWER_COLUMNS = ["submission_id", "region_code", "period", "question_code", "answer_type", "answer_raw", "answer_value",
                  "source_file", "source_row", "source_column"]


def _parsed_answers(long: pd.DataFrame, types: dict[str, str], problems: Problems, scope: str) -> pd.DataFrame:
    """Return the readable answers of a long frame (source_row, source_column, question_code, answer) with values."""
    long = long.assign(answer_type=long["question_code"].map(types))
    values = pd.Series(None, index=long.index, dtype=object)
    errors = pd.Series(None, index=long.index, dtype=object)
    for answer_type, part in long.groupby("answer_type", sort=True):
        if answer_type == "text":
            continue
        if answer_type not in ANSWER_PARSERS and answer_type != "number":
            errors.loc[part.index] = (f"the question bank gives this question the unknown answer type "
                                      f"{answer_type!r}; fix the bank (scale_1_5, yes_no, number or text)")
            continue
        if answer_type == "number":
            parsed, failed = parse_column(part["answer"], "number")
        else:
            parsed, failed = parse_values(part["answer"], ANSWER_PARSERS[answer_type])
        values.loc[part.index], errors.loc[part.index] = parsed, failed
    bad = errors.notna()
    for row, column, value, code, message in zip(long.loc[bad, ROW_COLUMN], long.loc[bad, "source_column"],
                                                 long.loc[bad, "answer"], long.loc[bad, "question_code"], errors[bad]):
        problems.add(row, column, "answer_unreadable", value, f"answer to {code}: {message}", scope=scope)
    return long.assign(answer_value=values)[~bad]


def _answer_table(long: pd.DataFrame, by_row: pd.DataFrame, source_file: str) -> pd.DataFrame:
    """Return questionnaire_answers rows, taking submission fields from `by_row` (indexed by source row)."""
    answers = pd.DataFrame({
        "submission_id": long[ROW_COLUMN].map(by_row["submission_id"]),
        "region_code": long[ROW_COLUMN].map(by_row["region_code"]),
        "period": long[ROW_COLUMN].map(by_row["period"]),
        "question_code": long["question_code"],
        "answer_type": long["answer_type"],
        "answer_raw": map_distinct(long["answer"], lambda v: None if parsers.is_missing(v) else str(v)),
        "answer_value": long["answer_value"],
        "source_file": source_file,
        "source_row": long[ROW_COLUMN],
        "source_column": long["source_column"],
    }, columns=ANSWER_COLUMNS)
    return answers.astype({"period": "Int64", "source_row": "int64", "answer_raw": "str", "answer_value": "float64"})


def answers_from_wide(raw: pd.DataFrame, submissions: pd.DataFrame, bank: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Return questionnaire_answers (one row per good submission × question column); bad answers quarantined as cells."""
    by_key = {header_key(code): code for code in bank["question_code"]}
    columns = {c: by_key[header_key(c)] for c in raw.columns if header_key(c) in by_key}
    good = raw.loc[raw[ROW_COLUMN].isin(submissions["source_row"]), [ROW_COLUMN, *columns]]
    long = good.melt(id_vars=ROW_COLUMN, var_name="source_column", value_name="answer")
    long["question_code"] = long["source_column"].map(columns)
    long = _parsed_answers(long, dict(zip(bank["question_code"], bank["answer_type"])), problems, scope="cell")
    return _answer_table(long, submissions.set_index("source_row"), problems.source_file)


def answers_from_long(raw: pd.DataFrame, rows: pd.DataFrame, bank: pd.DataFrame, problems: Problems,
                      found: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (submissions, answers) from one row per answer: rows with the same region, OPD, period and time
    form one submission, identified by its first row."""
    key = ["region_code", "opd_name", "period", "submitted_at"]
    rows = rows.copy()
    first = rows.groupby(key, dropna=False)["source_row"].transform("min")
    rows["submission_id"] = problems.source_file + "#" + first.astype(str)
    long = raw.loc[raw[ROW_COLUMN].isin(rows["source_row"]), [ROW_COLUMN, found["question_code"], found["answer"]]]
    long = long.rename(columns={found["question_code"]: "question_code", found["answer"]: "answer"})
    long["source_column"] = found["answer"]
    codes = {header_key(c): c for c in bank["question_code"]}
    long["question_code"] = map_distinct(long["question_code"], lambda v: codes.get(header_key(v), v))
    unknown = ~long["question_code"].isin(bank["question_code"])
    for row, code in zip(long.loc[unknown, ROW_COLUMN], long.loc[unknown, "question_code"]):
        problems.add(row, found["question_code"], "question_unknown", code,
                     f"question code {code!r} is not in the question bank; fix the code or add the question")
    long = _parsed_answers(long[~unknown], dict(zip(bank["question_code"], bank["answer_type"])), problems, scope="row")
    answers = _answer_table(long, rows.set_index("source_row"), problems.source_file)
    submissions = rows[rows["source_row"] == first].drop(columns=[c for c in rows if c not in SUBMISSION_FIELDS])
    return submissions.reset_index(drop=True), answers


def submissions_and_answers(raw: pd.DataFrame, rows: pd.DataFrame, spec: dict, bank: pd.DataFrame,
                            problems: Problems, salt: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Return (submissions, answers, notes) for one questionnaire file in either layout."""
    personal_keys = {header_key(p) for p in spec["personal_columns"]}
    personal = [c for c in raw.columns if header_key(c) in personal_keys]
    people = raw.set_index(ROW_COLUMN)[personal].reindex(rows["source_row"])
    rows = rows.assign(respondent_hash=respondent_hashes(people, salt))
    found_long = match_columns(list(raw.columns), spec["long_columns"])
    if len(found_long) == 2:
        submissions, answers = answers_from_long(raw, rows, bank, problems, found_long)
        submissions = submissions.assign(layout="long")
        used_answers = set(found_long.values())
    else:
        submissions = rows.assign(submission_id=rows["source_file"] + "#" + rows["source_row"].astype(str), layout="wide")
        answers = answers_from_wide(raw, submissions, bank, problems)
        questions = {header_key(q) for q in bank["question_code"]}
        used_answers = {c for c in raw.columns if header_key(c) in questions}
    found = match_columns(list(raw.columns), spec["columns"])
    notes = ignored_columns_note(raw, set(found.values()) | set(personal) | used_answers)
    return submissions[SUBMISSION_FIELDS], answers, notes
