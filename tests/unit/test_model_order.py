"""The run order of the score models, derived from the tables each model file reads."""

from __future__ import annotations

import pytest

from pipelines.score.methodology import load
from pipelines.score.run import MODELS_DIR, PHASES, ModelOrderError, model_phases, model_references
from tests.conftest import ROOT


def _models(folder, **sql):
    """Write one models/<name>.sql per keyword argument and return the folder."""
    folder.mkdir(exist_ok=True)
    for name, text in sql.items():
        (folder / f"{name}.sql").write_text(text, encoding="utf-8")
    return folder


def test_every_model_runs_once_after_the_models_it_reads():
    phases = model_phases()
    order = [m for models in phases.values() for m in models]
    assert sorted(order) == sorted(p.stem for p in MODELS_DIR.glob("*.sql") if not p.stem.startswith("_"))
    for position, model in enumerate(order):
        read = {t.split(".", 1)[1] for t in model_references((MODELS_DIR / f"{model}.sql").read_text()) if
                t.startswith("score.")}
        assert not read & set(order[position:]), model


def test_the_engine_reads_only_models_of_the_inputs_phase():
    inputs = set(model_phases()["inputs"])
    for index in load(ROOT / "methodology").indices:
        for table in index.doc["inputs"].values():
            assert table.split(".", 1)[1] in inputs, table


def test_a_model_runs_in_the_phase_of_what_it_reads(tmp_path):
    folder = _models(tmp_path / "models",
                     units="SELECT * FROM curated.cohorts",
                     view="SELECT * FROM score.summary JOIN score.units USING (region_code)",
                     summary="SELECT * FROM score.index_node",
                     marks="SELECT * FROM methodology.evaluation_year",
                     rollup="SELECT * FROM score.marks, score.view",
                     movers="SELECT * FROM history.index_node JOIN score.view USING (unit_code)",
                     _macros="SELECT * FROM score.not_a_model")
    (folder / "report").mkdir()
    (folder / "report" / "page.sql").write_text("SELECT * FROM score.not_a_model_either")
    assert model_phases(folder) == {"inputs": ["units"], "results": ["summary", "view"],
                                    "evaluation": ["marks", "rollup"], "history": ["movers"]}
    assert list(model_phases(folder)) == list(PHASES)


def test_references_in_comments_and_strings_do_not_count():
    sql = """-- score.first: the comment names the model's own table
             SELECT 'score.second' AS quoted, 'it''s score.third' AS escaped /* score.fourth */, x.score
             FROM score.fifth x JOIN "curated".cohorts USING (region_code)"""
    assert model_references(sql) == {"score.fifth"}


def test_models_that_read_each_other_in_a_cycle_are_refused(tmp_path):
    folder = _models(tmp_path / "models", a="SELECT * FROM score.b", b="SELECT * FROM score.c",
                     c="SELECT * FROM score.a JOIN score.index_node USING (unit_code)")
    with pytest.raises(ModelOrderError, match=r"cycle: a\.sql → b\.sql → c\.sql → a\.sql"):
        model_phases(folder)


def test_a_model_that_reads_itself_is_refused(tmp_path):
    with pytest.raises(ModelOrderError, match=r"cycle: a\.sql → a\.sql"):
        model_phases(_models(tmp_path / "models", a="-- score.a: fine in a comment\nSELECT * FROM score.a"))


def test_a_model_that_reads_an_unknown_score_table_is_refused(tmp_path):
    folder = _models(tmp_path / "models", a="SELECT * FROM score.region_rankng")
    with pytest.raises(ModelOrderError, match=r"models/a\.sql reads score\.region_rankng, which no model file "
                                              r"\(region_rankng\.sql\) and no step"):
        model_phases(folder)
