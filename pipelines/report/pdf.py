"""PDF files of the site's own pages (a province, a region of the proposed cohort), printed by the machine's Chromium.

A page is printed as a reader's browser prints it: the print CSS of `templates/_base.html.j2` lays it out on A4
and its `readinessPrintLayout()` gives the plotly charts a fixed print size. The Chromium is the one kaleido uses
for the PNG images (choreographer finds it: $BROWSER_PATH if set, else `chromium` and friends on PATH); nothing is
downloaded. One browser prints every page, `TABS` pages at a time (`Page.printToPDF` of the Chrome DevTools
Protocol). Each page is printed once its load event has fired and its charts are drawn at their print size (a
promise the page resolves), never after a fixed sleep.

The same page gives the same bytes: Chromium writes the time of printing into the PDF (/CreationDate, /ModDate),
which is replaced by a date the caller gives (the report's: its newest input file); the structure elements of
its tagged (accessible) PDF carry the renderer's DOM node numbers (/ID (node00006389)), which grow with every page
a tab has shown before, and are renumbered 1, 2, ... in their order; the links are taken off before printing, as
their absolute file:// addresses would name the folder the site was built in. Chromium's PDFs carry no file /ID.

Nothing heavy is imported here: `readiness pdf` checks its arguments with this module before Chromium starts.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import json
import os
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# The fix named when no browser is found, as for the PNG images (pipelines/report/images.py).
NO_CHROMIUM = ("PDF printing needs Chromium and found none: {reason}. Install Debian's chromium with `make browser` "
               "(or `sudo apt-get install chromium`), or set BROWSER_PATH to a Chromium or Chrome executable.")
# Tabs printing at once: one lays a page out while the other prints (docs/benchmarks.md).
TABS = 2
# Seconds one page may take to load, draw its charts and print before the batch fails.
PAGE_TIMEOUT = 90
# Page.printToPDF's options: the page's own @page size (A4) and margins, the coloured boxes and heatmap cells, and
# no header or footer of Chromium's (they would show the file:// address and the time). Tagged (accessible) PDF is
# Chromium's default.
PRINT_OPTIONS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}
# Run in the page once it has loaded: the language asked for (the button the reader uses; the #print fragment has
# already chosen it), no links, the charts at their print size (drawn so from the start under #print; a site
# published before the print layout has none, and its charts print at the screen's size); it resolves once they
# are drawn and two frames have passed, with the number of charts.
PREPARE = """(async function (lang, url) {
  // Not yet the page asked for, or not yet loaded (a load event of the tab's first, blank page can come late): -1,
  // and the printer asks again.
  if (location.href !== url || document.readyState !== "complete") return -1;
  const toggle = document.getElementById("lang-toggle");
  if (document.documentElement.classList.contains("en") !== (lang === "en")) {
    if (toggle) toggle.click(); else document.documentElement.classList.toggle("en");
  }
  document.querySelectorAll("a[href]").forEach(function (a) { a.removeAttribute("href"); });
  if (window.readinessPrintLayout) await window.readinessPrintLayout();
  await document.fonts.ready;
  await new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(done); }); });
  return document.querySelectorAll(".js-plotly-plot").length;
})(%s, %s)"""
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")
NODE_ID = re.compile(rb"\(node(\d{8})\)")

class PdfExportError(RuntimeError):
    """A page could not be printed as PDF (no Chromium, or Chromium failed to load or print it)."""


@dataclass(frozen=True)
class PrintJob:
    """One page of a site to print (`page`, an HTML file) and where its PDF goes."""

    page: Path
    pdf: Path


def cohort_regions(selection: pd.DataFrame) -> list[str]:
    """Return the codes of the proposed cohort's regions (`is_selected` in report.cohort_selection), sorted; none
    when the cohort part is missing (its table is then empty, without columns)."""
    if selection.empty or "is_selected" not in selection.columns:
        return []
    return sorted(selection.loc[selection["is_selected"].fillna(False).astype(bool), "region_code"])


def site_jobs(site: Path, regions: list[str]) -> list[PrintJob]:
    """Return the pages of the downloads' PDFs: every province page of the site, then the given regions'."""
    pdf = site / "downloads" / "pdf"
    provinces = sorted(p.stem for p in (site / "provinces").glob("*.html"))
    return ([PrintJob(site / "provinces" / f"{code}.html", pdf / "provinces" / f"{code}.pdf") for code in provinces]
            + [PrintJob(site / "regions" / f"{code}.html", pdf / "regions" / f"{code}.pdf") for code in regions])


def write_site_pdfs(site: Path, selection: pd.DataFrame, generated: str) -> list[Path]:
    """Print the downloads' PDFs of a built site (every province, the cohort's regions), dated `generated` (the
    report's date, YYYY-MM-DD), and return their paths. Raises PdfExportError, leaving none of them."""
    return write_pdfs(site_jobs(site, cohort_regions(selection)), date.fromisoformat(str(generated)[:10]))


def fixed_dates(pdf: bytes, when: date) -> bytes:
    """Return a PDF with its creation and modification dates set to midnight of `when`, in the time zone Chromium
    wrote (UTC). The dates keep their length, so the cross-reference table's byte offsets stay right."""
    stamp = b"D:" + when.strftime("%Y%m%d000000").encode()
    fixed, count = PDF_DATE.subn(lambda m: b"/%s (%s" % (m.group(1), stamp), pdf)
    if count != 2:
        raise PdfExportError(f"Chromium wrote {count} PDF dates, not a creation and a modification date")
    return fixed


def fixed_ids(pdf: bytes) -> bytes:
    """Return a tagged PDF with its structure elements' node numbers renumbered 1, 2, ... in their order (the same
    width, so the byte offsets stay right, and the same order, so the /IDTree stays sorted)."""
    numbers = {old: b"%08d" % new for new, old in enumerate(sorted(set(NODE_ID.findall(pdf))), start=1)}
    return NODE_ID.sub(lambda m: b"(node%s)" % numbers[m.group(1)], pdf)


def page_count(pdf: bytes) -> int:
    """Return the number of pages of a PDF written by Chromium: its /Type /Page objects (Skia writes them plain,
    with no object streams)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


def write_pdfs(jobs: list[PrintJob], when: date | None = None, lang: str = "id", tabs: int = TABS) -> list[Path]:
    """Print every job's page with one Chromium, `tabs` pages at a time, and return the PDFs' paths.

    `when` dates the PDFs (None: the time of printing, as Chromium writes it); `lang` is the page's language, "id"
    (the site's default) or "en". Raises PdfExportError when Chromium is missing or a page fails; the PDFs already
    written are then removed.
    """
    if not jobs:
        return []
    for job in jobs:
        job.pdf.parent.mkdir(parents=True, exist_ok=True)
    # Its own event loop in a thread, as kaleido's sync calls do: the caller may be running one (a Prefect task).
    # The caller waits for it: nothing else runs meanwhile.
    failure: list[BaseException | None] = []
    worker = threading.Thread(target=lambda: failure.append(_run(jobs, when, lang, tabs)), name="pdf", daemon=True)
    worker.start()
    worker.join()
    if failure[0] is not None:
        for job in jobs:
            job.pdf.unlink(missing_ok=True)
        raise failure[0]
    return [job.pdf for job in jobs]


def _run(jobs: list[PrintJob], when: date | None, lang: str, tabs: int) -> BaseException | None:
    """Print the jobs; return the error that stopped them (as PdfExportError), or None."""
    from choreographer.errors import ChromeNotFoundError

    try:
        asyncio.run(_print_all(jobs, when, lang, tabs))
    except ChromeNotFoundError:
        where = os.environ.get("BROWSER_PATH")
        reason = f"BROWSER_PATH={where!r} is not a file" if where else "no chromium or chrome on PATH"
        return PdfExportError(NO_CHROMIUM.format(reason=reason))
    except PdfExportError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a browser that starts and dies, a protocol error: the caller goes on
        return PdfExportError(f"Chromium could not print the PDFs: {type(exc).__name__}: {exc}")
    return None


async def _print_all(jobs: list[PrintJob], when: date | None, lang: str, tabs: int) -> None:
    import choreographer as choreo

    queue: asyncio.Queue[PrintJob] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    async with choreo.Browser(headless=True) as browser:
        # Each further tab in a window of its own: a background tab gets no animation frames, and the page's
        # promise waits for two.
        pool = [browser.get_tab()] + [await browser.create_tab(window=True) for _ in range(min(tabs, len(jobs)) - 1)]
        await asyncio.gather(*(_printer(tab, queue, when, lang) for tab in pool))


async def _printer(tab, queue: asyncio.Queue, when: date | None, lang: str) -> None:
    await _command(tab, "Page.enable")
    shown = [None]   # the tab's address, as the same address again is reloaded, not navigated to
    while not queue.empty():
        job = queue.get_nowait()
        try:
            pdf = await asyncio.wait_for(_print_page(tab, job.page, lang, shown), PAGE_TIMEOUT)
        except asyncio.TimeoutError:
            raise PdfExportError(f"{job.page.name} was not printed within {PAGE_TIMEOUT} s") from None
        pdf = fixed_ids(pdf)
        job.pdf.write_bytes(fixed_dates(pdf, when) if when else pdf)


async def _print_page(tab, page: Path, lang: str, shown: list) -> bytes:
    if not page.is_file():
        raise PdfExportError(f"{page}: no such page")
    loaded = tab.subscribe_once("Page.loadEventFired")
    # The fragment has the page draw its charts at their print size and in `lang` from the start (_base.html.j2).
    # Navigating to the address the tab shows would only move to the fragment, without loading the page again.
    url = page.resolve().as_uri() + ("#print-en" if lang == "en" else "#print")
    if url == shown[0]:
        await _command(tab, "Page.reload")
    else:
        navigated = await _command(tab, "Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise PdfExportError(f"{page.name}: {navigated['errorText']}")
        shown[0] = url
    await loaded
    expression = PREPARE % (json.dumps(lang), json.dumps(url))
    while True:
        drawn = await _command(tab, "Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                         "returnByValue": True})
        if "exceptionDetails" in drawn:
            details = drawn["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text") or "error"
            # The error and where it was thrown, on one line.
            raise PdfExportError(f"{page.name}: " + " ".join(line.strip() for line in text.splitlines()[:2]))
        if drawn["result"].get("value") != -1:
            break
        await asyncio.sleep(0.05)
    printed = await _command(tab, "Page.printToPDF", PRINT_OPTIONS)
    return base64.b64decode(printed["data"])


async def _command(tab, method: str, params: dict | None = None) -> dict:
    """Send one DevTools command to a tab and return its result; an error answer raises PdfExportError."""
    response = await tab.send_command(method, params)
    if "error" in response:
        raise PdfExportError(f"Chromium refused {method}: {response['error'].get('message', response['error'])}")
    return response["result"]


def find_region(query: str, reference_dir: Path) -> tuple[str, str]:
    """Return (code, name) of the kabupaten/kota `query` names: a code (`35.13` or `3513`) or a name (`Kabupaten
    Probolinggo`, `kab. probolinggo`; `Probolinggo` alone names a kabupaten and a kota). Raises LookupError with
    what is wrong when none or several match (data/reference/regions/regencies.csv, the Kemendagri 2025 list)."""
    with (reference_dir / "regions" / "regencies.csv").open(encoding="utf-8", newline="") as f:
        regions = [(row["code"], row["name"]) for row in csv.DictReader(f)]
    digits = re.sub(r"[.\s]", "", query)
    if digits.isdigit():
        found = [r for r in regions if r[0].replace(".", "") == digits]
    else:
        # The ingest's own spelling rules (`Kab.`, case, spacing, `Administrasi`), imported only when a name is given.
        from pipelines.ingest.regions import name_key

        kind, name = name_key(query)
        found = [r for r in regions if name_key(r[1])[1] == name and kind in (None, name_key(r[1])[0])]
    if len(found) == 1:
        return found[0]
    if found:
        raise LookupError(f"{query!r} names {len(found)} regions: "
                          + ", ".join(f"{name} ({code})" for code, name in found) + "; give the code, or Kabupaten/Kota and the name")
    raise LookupError(f"no kabupaten/kota {query!r} in the Kemendagri 2025 list (data/reference/regions/"
                      "regencies.csv); give a code such as 35.13 or 3513, or a name such as \"Kabupaten Probolinggo\"")
