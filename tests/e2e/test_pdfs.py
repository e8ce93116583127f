"""The downloads' PDFs and `readiness pdf` on published demo sites, printed by the machine's Chromium."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from pipelines.report.pdf import PrintJob, cohort_regions, fixed_dates, page_count, write_pdfs
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PROVINCES = 38


def manifest(site) -> dict:
    return json.loads((site / "manifest.json").read_text(encoding="utf-8"))


def test_every_province_has_a_pdf_listed_in_the_manifest_and_no_region_has_one_without_a_cohort(small_demo):
    settings, _ = small_demo
    site = settings.reports_dir
    published = manifest(site)
    assert "cohort" in published["missing_parts"] and "pdfs" not in published["missing_parts"]
    pdfs = sorted((site / "downloads" / "pdf").rglob("*.pdf"))
    assert [p.relative_to(site).as_posix() for p in pdfs] == sorted(published["pdfs"])
    assert len(pdfs) == PROVINCES and not (site / "downloads" / "pdf" / "regions").exists()
    for path in pdfs:
        data = path.read_bytes()
        assert published["pdfs"][path.relative_to(site).as_posix()] == {"sha256": hashlib.sha256(data).hexdigest()}
        # A province's kab/kota (up to 38) on one chart and one table: one to three A4 pages.
        assert 1 <= page_count(data) <= 3, path.name
        width, height = (float(v) for v in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data).groups())
        assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5   # A4: 210 × 297 mm
        assert b"file://" not in data
        # Dated by the newest input file, as the workbook is, never by the clock.
        assert re.findall(rb"/CreationDate \(D:(\d{8})", data) == [published_date(site)]


def published_date(site) -> bytes:
    received = pd.read_csv(site / "downloads" / "raw_files.csv", encoding="utf-8-sig")["received_date"].max()
    return str(received)[:10].replace("-", "").encode()


def test_region_pages_print_on_one_or_two_pages_in_either_language(small_demo, tmp_path):
    settings, _ = small_demo
    site = settings.reports_dir
    ranking = pd.read_csv(site / "downloads" / "ranking.csv", dtype={"region_code": str}, encoding="utf-8-sig")
    # The assessed regions have every chart and table; one without a readiness score has the fewest.
    assessed = sorted(ranking.loc[ranking["readiness_index"].notna(), "region_code"])
    unassessed = sorted(ranking.loc[ranking["readiness_index"].isna(), "region_code"])[:1]
    jobs = [PrintJob(site / "regions" / f"{code}.html", tmp_path / f"{code}.pdf") for code in assessed + unassessed]
    jobs.append(PrintJob(site / "regions" / f"{assessed[0]}.html", tmp_path / "en.pdf"))
    write_pdfs(jobs[:-1], fixed := pd.Timestamp("2026-12-02").date())
    write_pdfs(jobs[-1:], fixed, lang="en")
    counts = {job.pdf.name: page_count(job.pdf.read_bytes()) for job in jobs}
    assert len(assessed) == 12 and set(counts.values()) <= {1, 2}, counts
    # The long per-row tables are left out, with their count in one line; only the page's language is shown.
    page = (site / "regions" / f"{assessed[0]}.html").read_text(encoding="utf-8")
    assert 'id="region-submissions" data-print="omit"' in page and 'id="region-missing" data-print="omit"' in page
    assert re.search(r'data-print-en="\d+ questions not answered by every OPD', page)


def test_the_same_pages_print_to_the_same_bytes_from_another_folder_and_browser(small_demo, tmp_path):
    settings, _ = small_demo
    site = settings.reports_dir.resolve()
    copy = tmp_path / "elsewhere" / "site"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("downloads", "validation"))
    codes = ["11", "35", "94"]
    jobs = [PrintJob(copy / "provinces" / f"{code}.html", tmp_path / "pdf" / f"{code}.pdf") for code in codes]
    when = pd.Timestamp(published_date(site).decode()).date()
    write_pdfs(jobs, when)
    for code, job in zip(codes, jobs):
        assert job.pdf.read_bytes() == (site / "downloads" / "pdf" / "provinces" / f"{code}.pdf").read_bytes(), code
    # And only the dates differ from what Chromium wrote: printed again undated, then dated, the bytes are equal.
    undated = write_pdfs([PrintJob(jobs[0].page, tmp_path / "undated.pdf")])[0].read_bytes()
    assert undated != jobs[0].pdf.read_bytes() and fixed_dates(undated, when) == jobs[0].pdf.read_bytes()


def test_without_chromium_the_site_is_published_without_images_and_pdfs_and_says_why(small_demo, tmp_path,
                                                                                     monkeypatch):
    from pipelines.report.site import build_report

    settings, _ = small_demo
    missing = tmp_path / "no-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(missing))
    build_report(settings, tmp_path / "site")
    built = manifest(tmp_path / "site")
    assert set(built["missing_parts"]) == {"cohort", "images", "pdfs"}
    assert f"BROWSER_PATH={str(missing)!r} is not a file" in built["missing_parts"]["pdfs"]
    assert f"BROWSER_PATH={str(missing)!r} is not a file" in built["missing_parts"]["images"]
    assert built["pdfs"] == {"skipped": built["missing_parts"]["pdfs"]}
    assert built["images"] == {"skipped": built["missing_parts"]["images"]}
    assert not list((tmp_path / "site" / "downloads").rglob("*.pdf"))
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "PDFs of the provinces and cohort regions (downloads)" in index and "PDF printing needs Chromium" in index
    assert "PNG images for slides" in index
    assert len(list((tmp_path / "site" / "regions").glob("*.html"))) == 514


def readiness(*args: str, cwd) -> subprocess.CompletedProcess:
    """Run `readiness ARGS` in `cwd` as a user does, with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("READINESS_ROOT", None)
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_command_prints_a_region_and_refuses_an_unknown_one_in_one_line(small_demo, tmp_path):
    settings, _ = small_demo
    data = str(settings.data_dir)
    done = readiness("pdf", "35.13", "--data-dir", data, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    written = tmp_path / "35.13.pdf"
    assert f"Wrote {written}: Kabupaten Probolinggo (35.13)" in " ".join(done.stdout.split())
    assert 1 <= page_count(written.read_bytes()) <= 2
    unknown = readiness("pdf", "99.99", "--data-dir", data, "--out", str(tmp_path / "x.pdf"), cwd=tmp_path)
    assert unknown.returncode == 2 and len(unknown.stdout.strip().splitlines()) == 1, unknown.stdout + unknown.stderr
    assert "Error: no kabupaten/kota '99.99'" in unknown.stdout and "Traceback" not in unknown.stdout + unknown.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_the_demo_with_a_cohort_has_a_pdf_for_each_selected_region(demo_project):
    root, done = demo_project
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    site = root / "data" / "reports"
    selection = pd.read_csv(site / "downloads" / "cohort_selection.csv", dtype={"region_code": str},
                            encoding="utf-8-sig")
    cohort = cohort_regions(selection)
    assert len(cohort) == 50 and len(selection) > 50
    published = manifest(site)
    assert sorted(published["pdfs"]) == sorted([f"downloads/pdf/provinces/{p.stem}.pdf"
                                                for p in (site / "provinces").glob("*.html")]
                                               + [f"downloads/pdf/regions/{code}.pdf" for code in cohort])
    for code in cohort:
        assert 1 <= page_count((site / "downloads" / "pdf" / "regions" / f"{code}.pdf").read_bytes()) <= 2, code
