"""Every page of the small demo in both languages: no visible text is the same in Indonesian and English unless it is
a name, a code, a number or a unit, on the pages and in the charts; and the language switch swaps the charts' texts.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pipelines.report.site import report_tables
from tests.chart_languages import in_language

pytestmark = [pytest.mark.e2e]

# Words shown the same in both languages on purpose, kept small: the programme's own terms (Indonesian names of
# kinds of region and of the OPD, the framework's "Smart ..." names and its component names, as the ministry uses them
# in English documents too), units and abbreviations, and the names of tools and methods.
ALLOWED_WORDS = {
    "kabupaten", "kota", "kab", "opd", "smart", "city", "province", "governance", "branding", "economy", "living",
    "society", "environment", "masterplan", "baseline", "output", "outcome", "quick", "win", "bimtek", "gerakan",
    "menuju", "mou", "p", "n", "k", "r", "u", "alpha", "krippendorff", "cronbach", "sobol", "monte", "carlo", "coinr",
    "salib", "great", "expectations", "data", "docs", "readiness", "pipeline", "sha", "id", "en", "min", "max",
    "median", "kemendagri", "kepmendagri", "tahun", "no", "lokal", "mit", "cahya", "dsn",
    # Words Indonesian spells as English does.
    "status", "nominal", "ordinal", "interval", "kurtosis",
}
# Text inside these elements is code, not prose (file names, settings, hashes).
CODE_TAGS = {"script", "style", "code"}
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "wbr", "col", "source"}
# Codes and numbers: region codes, hashes, file names, snake_case names, years, numbers and their punctuation.
CODES = re.compile(r"[\w./-]+\.(csv|parquet|xlsx|yaml|json|js|html|geojson)\b|\b[a-z0-9]+(_[a-z0-9]+)+\b|"
                   r"\b[A-Z]+\d+\b|\b[0-9a-f]{8,64}\b|%\{[^}]*\}|<[^>]*>|\d+")
# The charts' texts a reader sees: trace names, hover templates, titles, axis titles, button labels, annotations.
CHART_TEXT_KEYS = {"name", "hovertemplate", "text", "label", "theta"}


class _PageText(HTMLParser):
    """The visible text of a page outside the language spans (class l-id / l-en, or data-l-id attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.outside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        # Texts in attributes (a <title>, an <option>, a placeholder, a screen reader's label) swap through data-l-*
        # or data-aria-*: both languages must differ there too, and a plain aria-label is one language only.
        for prefix in ("data-l-", "data-aria-"):
            if f"{prefix}id" in values and values[f"{prefix}id"] == values.get(f"{prefix}en"):
                self.outside.append(values[f"{prefix}id"])
        if values.get("aria-label") and "data-l-id" not in values and "data-aria-id" not in values:
            self.outside.append(values["aria-label"])
        if tag in VOID_TAGS:
            if tag == "input" and values.get("placeholder") and "data-l-id" not in values:
                self.outside.append(values["placeholder"])
            return
        classes = (values.get("class") or "").split()
        self.stack.append((tag, bool({"l-id", "l-en"} & set(classes)) or "data-l-id" in values or tag in CODE_TAGS))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and tag not in VOID_TAGS:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(skipped for _, skipped in self.stack):
            self.outside.append(data.strip())


def names_from_data(tables: dict) -> list[str]:
    """Return the proper names and the verbatim messages the pages show from the data, longest first."""
    columns = {"ranking": ["region_name", "province_name", "island_group"], "region_submission": ["opd_name", "period"],
               "evaluation_assessor": ["evaluator"], "quarantine": ["message", "rule", "value", "source_column"],
               "ingest_log": ["file_error", "notes", "source_file"], "part_status": ["reason"], "raw_files": ["publisher", "licence"],
               "source_status": ["reason"], "ignored_files": ["reason"], "source_ingest": ["real_publishers"]}
    found = {str(value) for name, cols in columns.items() for col in cols if col in tables[name]
             for value in tables[name][col].dropna()}
    return sorted((n for n in found if n.strip()), key=len, reverse=True)


def leftover(text: str, names: list[str]) -> list[str]:
    """Return the words of `text` that are neither a name from the data, a code, a number nor an allowed word."""
    for name in names:
        if name in text:
            text = text.replace(name, " ")
    words = re.findall(r"[^\W\d_]+", CODES.sub(" ", text))
    return [w for w in words if w.lower() not in ALLOWED_WORDS]


def untranslated_text(html: str, names: list[str]) -> list[str]:
    """Return the visible texts of a page outside the language spans that would read the same in both languages."""
    parser = _PageText()
    parser.feed(html)
    return [text for text in parser.outside if leftover(text, names)]


def chart_texts(node, path: str = "") -> dict[str, str]:
    """Return the texts a reader sees in a chart spec by attribute path (titles, names, hover texts, labels)."""
    found = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "meta":
                continue
            if key in CHART_TEXT_KEYS | {"title"} and isinstance(value, str):
                found[f"{path}.{key}"] = value
            elif key == "theta" or (key in ("x", "y") and isinstance(value, list) and value
                                    and all(isinstance(v, str) for v in value)):
                found.update({f"{path}.{key}[{i}]": v for i, v in enumerate(value) if isinstance(v, str)})
            else:
                found.update(chart_texts(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.update(chart_texts(value, f"{path}[{i}]"))
    return found


def untranslated_charts(spec: dict, names: list[str]) -> list[str]:
    """Return the chart texts that read the same in both languages and are not names, codes or numbers."""
    shown_id, shown_en = chart_texts(in_language(spec, "id")), chart_texts(in_language(spec, "en"))
    return [text for path, text in shown_id.items() if shown_en.get(path) == text and leftover(text, names)]


def page_specs(html: str) -> list[dict]:
    """Return every chart spec of a page: the plotly.js specs (script.plot-spec) and the figures plotly wrote."""
    specs = [json.loads(s) for s in re.findall(r'<script type="application/json" class="plot-spec"[^>]*>(.*?)</script>',
                                               html, flags=re.S)]
    for call in re.findall(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{\"displaylogo\"", html,
                           flags=re.S):
        specs.append({"data": json.loads(call[0]), "layout": json.loads(call[1])})
    return specs


def _pages(site: Path) -> list[Path]:
    """Every page type: the overview, evaluation, provinces, comparison, methodology, validation, every province and
    region page."""
    return sorted(p for p in site.rglob("*.html") if not p.is_relative_to(site / "validation"))


@pytest.fixture(scope="module")
def site(small_demo):
    settings, _ = small_demo
    return settings.reports_dir, names_from_data(report_tables(settings.warehouse_path))


def test_every_visible_text_is_in_both_languages_unless_it_is_a_name_or_a_code(site):
    folder, names = site
    found = {}
    for page in _pages(folder):
        same = untranslated_text(page.read_text(encoding="utf-8"), names)
        if same:
            found[page.relative_to(folder).as_posix()] = same
    assert found == {}


def test_every_chart_text_is_in_both_languages_unless_it_is_a_name_or_a_code(site):
    folder, names = site
    found = {}
    for page in _pages(folder):
        html = page.read_text(encoding="utf-8")
        same = [text for spec in page_specs(html) for text in untranslated_charts(spec, names)]
        if same:
            found[page.relative_to(folder).as_posix()] = same
    assert found == {}


@pytest.mark.browser
def test_the_language_switch_swaps_the_charts_texts_and_the_placeholders(browser, small_demo):
    settings, _ = small_demo
    browser.get((settings.reports_dir / "evaluation.html").as_uri())
    WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 2)

    def shown() -> tuple:
        return browser.execute_script(
            "const h = document.getElementById('fig-evaluation-heatmap'), a = document.getElementById('fig-assessor-severity');"
            "return [h.layout.title.text, a.data.map(t => t.name), a.layout.xaxis.title.text,"
            " document.querySelector('input[data-filter]').placeholder];")

    title, names, axis, placeholder = shown()
    assert (title, placeholder) == ("Komponen dan dimensi", "Cari daerah") and "Longgar" in names
    assert browser.title == "Evaluasi"
    browser.find_element(By.ID, "lang-toggle").click()
    title, names, axis, placeholder = shown()
    assert (title, placeholder) == ("Components and dimensions", "Filter regions") and "Lenient" in names
    assert axis.startswith("Mean deviation from consensus") and browser.title == "Evaluation"
    browser.find_element(By.ID, "lang-toggle").click()
    assert shown()[0] == "Komponen dan dimensi"
    # Opened in English (as the English PDFs are: #print-en), the charts are drawn in English from the start.
    browser.get((settings.reports_dir / "evaluation.html").as_uri() + "#print-en")
    browser.refresh()   # the same page with another fragment is not loaded again
    WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 2)
    title, names, axis, placeholder = shown()
    assert (title, placeholder) == ("Components and dimensions", "Filter regions") and "Lenient" in names
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


@pytest.mark.browser
def test_the_switch_changes_the_language_of_every_page_type_and_back(browser, small_demo):
    settings, _ = small_demo
    site = settings.reports_dir
    pages = ["index.html", "evaluation.html", "provinces.html", "compare.html", "methodology.html", "validation.html",
             next((site / "provinces").glob("*.html")).relative_to(site).as_posix(),
             next((site / "regions").glob("*.html")).relative_to(site).as_posix()]
    shown = ("return [document.documentElement.lang, document.title, document.querySelector('h1').innerText,"
             " [...document.querySelectorAll('.l-id')].filter(e => e.offsetParent !== null).length,"
             " [...document.querySelectorAll('.l-en')].filter(e => e.offsetParent !== null).length];")
    for name in pages:
        browser.get((site / name).as_uri())
        WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
        lang, title, heading, indonesian, english = browser.execute_script(shown)
        if lang == "en":   # the choice of the page before is kept: start from Indonesian
            browser.find_element(By.ID, "lang-toggle").click()
            lang, title, heading, indonesian, english = browser.execute_script(shown)
        assert (lang, english) == ("id", 0) and indonesian > 0, name
        browser.find_element(By.ID, "lang-toggle").click()
        lang_en, title_en, heading_en, indonesian_en, english_en = browser.execute_script(shown)
        assert (lang_en, indonesian_en) == ("en", 0) and english_en > 0, name
        # A region's or a province's page is headed by its name, in both languages.
        if "/" not in name:
            assert title_en != title and heading_en != heading, (name, title, heading)
        browser.find_element(By.ID, "lang-toggle").click()
        assert browser.execute_script(shown)[:3] == [lang, title, heading], name
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
