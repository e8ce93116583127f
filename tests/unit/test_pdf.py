"""PDFs of pages printed by the machine's Chromium (pipelines/report/pdf.py): real prints, real failures, and which
pages of a site get one."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.report.pdf import (PdfExportError, PrintJob, cohort_regions, find_region, fixed_dates, fixed_ids,
                                  page_count, site_jobs, write_pdfs)
from pipelines.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "reference"
# A4 in PDF points (1/72 in): 210 × 297 mm (Chromium writes 594.96 × 841.92, whole CSS pixels).
A4 = (595.28, 841.89)
# A page as small as a site's: its own @page size, a link to another page, and enough text for two A4 pages.
PAGE = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Uji</title>
<style>@media print { @page { size: A4; margin: 12mm; } .tall { height: 1500px; } }</style></head>
<body><h1>Kabupaten Uji</h1><table><tr><th>Kode</th><th>Nama</th></tr><tr><td>35.13</td><td>Uji</td></tr></table><p><a href="other.html">Halaman lain</a></p><div class="tall">isi</div><p>akhir</p></body></html>"""


def media_boxes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]


def page(folder: Path, name: str = "page.html", text: str = PAGE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


@pytest.mark.browser
def test_a_page_prints_on_a4_with_the_given_date_and_the_same_bytes_wherever_it_lies(tmp_path):
    first, moved = page(tmp_path / "site"), page(tmp_path / "elsewhere" / "copy")
    jobs = [PrintJob(first, tmp_path / "a.pdf"), PrintJob(first, tmp_path / "b.pdf"), PrintJob(moved, tmp_path / "c.pdf")]
    assert write_pdfs(jobs, date(2026, 12, 2)) == [job.pdf for job in jobs]
    a, b, c = (job.pdf.read_bytes() for job in jobs)
    # A tab that has shown pages before numbers its DOM nodes further on: the same bytes all the same.
    write_pdfs([PrintJob(moved, tmp_path / f"{n}.pdf") for n in range(3)], date(2026, 12, 2), tabs=1)
    assert (tmp_path / "2.pdf").read_bytes() == a and b"(node00000001)" in a
    assert a.startswith(b"%PDF-") and page_count(a) == 2
    assert all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in media_boxes(a)) and len(media_boxes(a)) == 2
    assert re.findall(rb"/(?:CreationDate|ModDate) \(D:(\d{14})", a) == [b"20261202000000"] * 2
    # Two tabs, and a copy of the page in another folder: the same bytes (no date of printing, no file:// link).
    assert a == b == c
    assert b"file://" not in a and not re.search(rb"/ID\s*\[", a)


@pytest.mark.browser
def test_the_printing_date_is_chromiums_own_when_none_is_given(tmp_path):
    pdf = write_pdfs([PrintJob(page(tmp_path), tmp_path / "now.pdf")], lang="en", tabs=1)[0].read_bytes()
    stamp = re.search(rb"/CreationDate \(D:(\d{8})", pdf).group(1).decode()
    assert abs((date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])) - date.today()).days) <= 1


def test_without_chromium_the_error_names_the_fix(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(missing))
    with pytest.raises(PdfExportError) as caught:
        write_pdfs([PrintJob(page(tmp_path), tmp_path / "out" / "x.pdf")], date(2026, 12, 2))
    assert f"BROWSER_PATH={str(missing)!r} is not a file" in str(caught.value)
    assert "make browser" in str(caught.value)
    assert not (tmp_path / "out" / "x.pdf").exists()


@pytest.mark.browser
def test_a_page_that_cannot_be_printed_fails_the_batch_and_leaves_no_pdf(tmp_path):
    good = page(tmp_path)
    jobs = [PrintJob(good, tmp_path / "out" / "good.pdf"), PrintJob(tmp_path / "gone.html", tmp_path / "out" / "gone.pdf")]
    with pytest.raises(PdfExportError, match="gone.html: no such page"):
        write_pdfs(jobs, date(2026, 12, 2), tabs=1)
    assert list((tmp_path / "out").iterdir()) == []


def test_the_dates_are_fixed_in_place_and_anything_else_is_refused():
    pdf = (b"%PDF-1.4\n1 0 obj\n<</Producer (Skia/PDF m156)\n/CreationDate (D:20261202030948+00'00')\n"
           b"/ModDate (D:20261202030949+00'00')>>\nendobj\nxref\n")
    fixed = fixed_dates(pdf, date(2025, 1, 31))
    assert len(fixed) == len(pdf)
    assert fixed == pdf.replace(b"20261202030948", b"20250131000000").replace(b"20261202030949", b"20250131000000")
    with pytest.raises(PdfExportError, match="1 PDF dates"):
        fixed_dates(pdf.replace(b"/ModDate", b"/Other"), date(2025, 1, 31))


def test_the_node_numbers_of_a_tagged_pdf_are_renumbered_in_their_order():
    pdf = (b"<</Type /StructElem /ID (node00006389)>> <</ID (node00000625)>> <</Names [(node00000625) 5 0 R "
           b"(node00006389) 7 0 R]>> <</ID (node00006389)>> (nodes 12345678)")
    assert fixed_ids(pdf) == (b"<</Type /StructElem /ID (node00000002)>> <</ID (node00000001)>> <</Names "
                              b"[(node00000001) 5 0 R (node00000002) 7 0 R]>> <</ID (node00000002)>> (nodes 12345678)")


def test_page_count_counts_page_objects_not_the_page_tree():
    assert page_count(b"<</Type /Pages /Count 2>> <</Type /Page /Parent 2 0 R>> <</Type/Page>>") == 2


def test_the_pdfs_of_a_site_are_every_province_and_the_selected_regions_only(tmp_path):
    for code in ("35", "11", "51"):
        page(tmp_path / "provinces", f"{code}.html")
    selection = pd.DataFrame({"region_code": ["35.13", "11.01", "35.74", "51.71"],
                              "is_selected": [True, True, False, None]})
    assert cohort_regions(selection) == ["11.01", "35.13"]
    # A missing cohort part: report_tables gives an empty table without columns.
    assert cohort_regions(pd.DataFrame()) == []
    assert cohort_regions(selection.iloc[0:0]) == []
    pdf = tmp_path / "downloads" / "pdf"
    assert site_jobs(tmp_path, cohort_regions(selection)) == [
        PrintJob(tmp_path / "provinces" / "11.html", pdf / "provinces" / "11.pdf"),
        PrintJob(tmp_path / "provinces" / "35.html", pdf / "provinces" / "35.pdf"),
        PrintJob(tmp_path / "provinces" / "51.html", pdf / "provinces" / "51.pdf"),
        PrintJob(tmp_path / "regions" / "11.01.html", pdf / "regions" / "11.01.pdf"),
        PrintJob(tmp_path / "regions" / "35.13.html", pdf / "regions" / "35.13.pdf")]
    assert site_jobs(tmp_path, []) == site_jobs(tmp_path, cohort_regions(pd.DataFrame()))[:3]


@pytest.mark.parametrize("query, found", [
    ("35.13", ("35.13", "Kabupaten Probolinggo")), ("3513", ("35.13", "Kabupaten Probolinggo")),
    (" 35.13 ", ("35.13", "Kabupaten Probolinggo")), ("Kab. Probolinggo", ("35.13", "Kabupaten Probolinggo")),
    ("kabupaten  PROBOLINGGO", ("35.13", "Kabupaten Probolinggo")), ("Kota Probolinggo", ("35.74", "Kota Probolinggo")),
    ("Jakarta Pusat", ("31.71", "Kota Administrasi Jakarta Pusat")), ("Denpasar", ("51.71", "Kota Denpasar")),
])
def test_a_region_is_found_by_its_code_or_its_name(query, found):
    assert find_region(query, REFERENCE) == found


@pytest.mark.parametrize("query, message", [
    ("99.99", "no kabupaten/kota '99.99' in the Kemendagri 2025 list"), ("35", "no kabupaten/kota '35'"),
    ("Atlantis", "no kabupaten/kota 'Atlantis'"),
    ("Probolinggo", "'Probolinggo' names 2 regions: Kabupaten Probolinggo (35.13), Kota Probolinggo (35.74)"),
])
def test_an_unknown_or_ambiguous_region_is_refused(query, message):
    with pytest.raises(LookupError, match=re.escape(message)):
        find_region(query, REFERENCE)


def test_the_command_refuses_an_unknown_code_or_a_missing_report_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    unknown = CliRunner().invoke(app, ["pdf", "99.99", "--data-dir", str(data)])
    assert unknown.exit_code == 2, unknown.output
    assert unknown.output.strip().splitlines() == [unknown.output.strip()]
    assert "Error: no kabupaten/kota '99.99'" in unknown.output and "Traceback" not in unknown.output
    unpublished = CliRunner().invoke(app, ["pdf", "Kab. Probolinggo", "--data-dir", str(data)])
    assert unpublished.exit_code == 2, unpublished.output
    assert f"no published report in {Settings.default(data).reports_dir} yet" in " ".join(unpublished.output.split())
    assert "readiness refresh --data-dir" in unpublished.output
    published = data / "reports" / "regions"
    page(published, "35.13.html")
    no_folder = CliRunner().invoke(app, ["pdf", "3513", "--data-dir", str(data), "--out", str(tmp_path / "no" / "x.pdf")])
    assert no_folder.exit_code == 2 and "no folder" in no_folder.output
    assert not (tmp_path / "no").exists()


@pytest.mark.browser
def test_the_command_prints_a_published_region_page_into_a_folder(tmp_path):
    data = tmp_path / "data"
    page(data / "reports" / "regions", "35.13.html")
    (tmp_path / "out").mkdir()
    done = CliRunner().invoke(app, ["pdf", "kab probolinggo", "--data-dir", str(data), "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    written = tmp_path / "out" / "35.13.pdf"
    assert f"Wrote {written}: Kabupaten Probolinggo (35.13), 2 pages" in " ".join(done.output.split())
    assert page_count(written.read_bytes()) == 2
