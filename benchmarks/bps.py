"""Ingest the real 2024 BPS exports (IPM and P0) as downloaded, or the same figures as one long-form CSV, and print
the time and memory ingest took: what reading BPS's layout (province blocks, names in context, `-`) costs.

    python -m benchmarks.bps --layout bps     (the two exports, as BPS publishes them)
    python -m benchmarks.bps --layout long    (the same 1,028 figures, one row per region code and indicator)

The exports are read from ../shared/reference/real/bps/ (public data, never copied into the project). Run the two
in turn as whole processes to compare them.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.__main__ import ROOT, _peak_rss_mib

REAL = ROOT.parent / "shared" / "reference" / "real" / "bps"
EXPORTS = {"ipm_2024.csv": "ipm", "p0_2024.csv": "poverty_rate_pct"}


def long_form(folder: Path) -> None:
    """Write the exports' figures as one long CSV with Kemendagri codes (resolved once, here, outside the timing)."""
    from pipelines.ingest import bps
    from pipelines.ingest.canonical import Problems, canonical_rows
    from pipelines.ingest.readers import read_cells
    from pipelines.ingest.reference import resolver
    from pipelines.sources import load_contracts

    spec = load_contracts(ROOT / "config" / "sources")["indicators"]
    regions = resolver(ROOT / "data" / "reference")
    with open(folder / "indicators_2024.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["kode_wilayah", "tahun", "indicator", "nilai"])
        for name in EXPORTS:
            raw = bps.read_export(read_cells(REAL / name), spec["indicator_titles"])
            raw = raw[raw["indicator_value"].notna()]
            rows = canonical_rows(raw, spec, Problems("indicators", name), regions)
            writer.writerows(rows[["region_code", "year", "indicator_code", "indicator_value"]].itertuples(index=False))


def main() -> None:
    """Prepare a data folder in the chosen layout, ingest it once, print wall and CPU seconds and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=["bps", "long"], required=True)
    layout = parser.parse_args().layout
    from pipelines.ingest.run import ingest
    from pipelines.settings import Settings, load_yaml

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "raw" / "indicators"
        folder.mkdir(parents=True)
        if layout == "bps":
            for name in EXPORTS:
                shutil.copy(REAL / name, folder / name)
        else:
            long_form(folder)
        settings = Settings.default(data_dir=tmp)
        framework = load_yaml(settings.framework_path)
        wall, cpu = time.perf_counter(), time.process_time()
        staged = ingest(settings, framework)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        curated = len(staged.tables["indicators"])
    print(f"layout {layout}: ingest {wall:.3f} s wall, {cpu:.3f} s CPU, {curated} rows curated, "
          f"peak RSS {_peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
