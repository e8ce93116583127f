"""Property-based tests: region resolution under spelling noise, and whole CSV files through ingest + validate."""

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.reference import regions
from pipelines.ingest.regions import RegionError, RegionResolver
from pipelines.ingest.run import ingest
from pipelines.settings import Settings, load_yaml
from pipelines.validate.run import validate
from tests.conftest import ROOT

FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")

REFERENCE = regions(ROOT / "data" / "reference")
RESOLVER = RegionResolver(REFERENCE)
ROWS = REFERENCE.to_dict("records")


@st.composite
def spelled(draw):
    """A reference region and its name as people write it: case, spacing, `Kab.`, hyphens."""
    region = draw(st.sampled_from(ROWS))
    name = region["region_name"].replace("Kabupaten ", draw(st.sampled_from(["Kabupaten ", "Kab. ", "Kab ", "KAB. "])))
    name = name.replace("-", draw(st.sampled_from(["-", " ", "- "])))
    name = draw(st.sampled_from([name, name.upper(), name.lower()]))
    return region, "  ".join(name.split()) if draw(st.booleans()) else name


@given(spelled())
def test_name_variants_resolve_to_the_region_or_say_why(case):
    region, name = case
    try:
        assert RESOLVER.resolve(None, name) == region["region_code"]
    except RegionError as exc:
        # Only names that are genuinely ambiguous once the type word is dropped may fail, and they say so.
        assert exc.rule == "region_ambiguous"


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.none()),
       st.one_of(st.text(max_size=30), st.none()))
def test_resolution_never_crashes(code, name):
    try:
        RESOLVER.resolve(code, name)
    except RegionError as exc:
        assert exc.rule.startswith("region_") and str(exc)


CELLS = st.one_of(
    st.sampled_from(["35.13", "3513", "35.74", "Kota Probolinggo", "Probolinggo", "99.99", "", "-", "n/a"]),
    # A bare carriage return is a line break to any CSV reader (old Mac files), so it would split the row.
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=8),
)
VALUES = st.one_of(st.sampled_from(["0,5766", "1.234,5", "2,1 %", "-1", "", "tidak ada data", "abc"]),
                   st.floats(min_value=-10, max_value=1e4, allow_nan=False).map(str))
YEARS = st.one_of(st.sampled_from(["2024", "2023", "", "20x4"]), st.integers(1990, 2030).map(str))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(CELLS, YEARS, VALUES), min_size=1, max_size=25),
       delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_any_csv_round_trip_accounts_for_every_row(rows, delimiter, encoding):
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings.default(Path(tmp), coverage_min_pct=0, as_of_year=2025)
        folder = config.raw_dir / "fiscal_capacity"
        folder.mkdir(parents=True)
        frame = pd.DataFrame(rows, columns=["kode_wilayah", "tahun", "ikfd"])
        text = frame.to_csv(index=False, sep=delimiter)
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        (folder / "f.csv").write_bytes(data)
        curated = validate(ingest(config, FRAMEWORK), config, FRAMEWORK)
        log = curated.ingest_log.iloc[0]
        if log["file_error"] is None:
            assert log["rows_read"] == log["rows_curated"] + log["rows_quarantined"] + log["rows_superseded"]
            assert log["rows_read"] == len([r for r in rows if any(str(c).strip() for c in r)])
        else:
            assert log["rows_read"] == 0 and log["file_error"]
