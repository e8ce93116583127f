"""The published GX Data Docs opened from file:// in headless Chromium: styled and scripted by the vendored assets,
offline, with the run's parameters shown and the per-file runs named after their raw files."""

import re
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
# An address out of the site: a URL with a scheme or a protocol-relative one (data: URIs stay inside the page).
OUTSIDE = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.I)
LOCAL = re.compile(r'\b(?:src|href)="(?![a-z]+:)([^"#?]+)[^"]*"')
PLACEHOLDER = re.compile(r"\$[A-Za-z_{]")
# Bootstrap 4's .badge-secondary and .btn-primary (not active); unstyled, both are transparent.
SECONDARY_GREY, PRIMARY_BLUE = "rgb(108, 117, 125)", "rgb(0, 123, 255)"


@pytest.fixture(scope="module")
def docs(small_demo) -> Path:
    settings, _ = small_demo
    return settings.reports_dir / "validation"


@pytest.fixture(scope="module")
def failed_page(docs) -> Path:
    """Return the whole-table validation page of a suite that failed one rule and passed others."""
    for page in sorted((docs / "validations").glob("*/__none__/*/*.html")):
        text = page.read_text(encoding="utf-8")
        if "fa-times text-danger" in text and "fa-check-circle" in text:
            return page
    pytest.fail("the small demo has no failing suite")


def _open(browser, page: Path) -> None:
    browser.get(page.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _visible(browser, selector: str) -> list[bool]:
    return [e.is_displayed() for e in browser.find_elements(By.CSS_SELECTOR, selector)]


def test_no_page_or_style_sheet_loads_anything_from_outside_the_site_and_every_local_asset_is_there(docs):
    pages = sorted(docs.rglob("*.html"))
    sheets = sorted(docs.rglob("*.css"))
    assert len(pages) > 40 and (docs / "static/vendor/bootstrap/css/bootstrap.min.css") in sheets
    for path in [*pages, *sheets]:
        text = path.read_text(encoding="utf-8")
        assert not OUTSIDE.search(text), (path, OUTSIDE.search(text))
    for page in pages:
        for ref in LOCAL.findall(page.read_text(encoding="utf-8")):
            assert (page.parent / unquote(ref)).resolve().is_file(), (page, ref)


def test_a_validation_page_is_styled_and_scripted_by_the_vendored_assets_and_shows_its_icons(browser, failed_page):
    _open(browser, failed_page)
    style = browser.execute_script("""return {
        badge: getComputedStyle(document.querySelector('.badge-secondary')).backgroundColor,
        button: getComputedStyle(document.querySelector('.btn-primary:not(.active)')).backgroundColor,
        collapse: typeof jQuery === 'function' && typeof jQuery.fn.collapse === 'function'}""")
    assert style == {"badge": SECONDARY_GREY, "button": PRIMARY_BLUE, "collapse": True}
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(
        "return [...document.fonts].some(f => f.family.includes('Font Awesome 6 Free') && f.status === 'loaded')"))
    for selector in (".fa-check-circle", ".fa-times"):
        icon = browser.execute_script("""const e = document.querySelector(arguments[0]);
            const b = getComputedStyle(e, '::before');
            return {content: b.content, font: b.fontFamily, width: e.getBoundingClientRect().width}""", selector)
        assert icon["content"] not in ("none", "normal", '""') and "Font Awesome 6 Free" in icon["font"], icon
        assert icon["width"] > 5, icon
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_failed_only_hides_the_rules_that_passed_and_show_all_brings_them_back(browser, failed_page):
    _open(browser, failed_page)
    passed, failed = "td.hide-succeeded-validation-target-child", "tr:has(> td .fa-times)"
    assert _visible(browser, failed) and all(_visible(browser, failed)) and all(_visible(browser, passed))
    browser.find_element(By.XPATH, "//label[contains(., 'Failed Only')]").click()
    WebDriverWait(browser, 10).until(lambda d: not any(_visible(d, passed)))
    assert all(_visible(browser, failed))
    browser.find_element(By.XPATH, "//label[contains(., 'Show All')]").click()
    WebDriverWait(browser, 10).until(lambda d: all(_visible(d, passed)))


def test_show_more_opens_the_run_s_details(browser, failed_page):
    _open(browser, failed_page)
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Show more info")
    body = browser.find_element(By.ID, link.get_attribute("href").split("#")[1])
    assert not body.is_displayed()
    link.click()
    WebDriverWait(browser, 10).until(lambda d: body.is_displayed() and "show" in body.get_attribute("class"))
    assert "Great Expectations Version" in body.text


def test_no_page_shows_a_parameter_placeholder_and_the_suites_show_the_run_s_values(browser, docs, small_demo):
    settings, _ = small_demo
    pages = sorted(docs.glob("expectations/*.html")) + sorted(docs.glob("validations/**/*.html"))
    suites = []
    for page in pages:
        _open(browser, page)
        text = _text(browser)
        assert not PLACEHOLDER.search(text), (page, PLACEHOLDER.search(text))
        suites += [text] if page.parent.name == "expectations" else []
    # The rule "no year after the run's" refers to the parameter as_of_year: its suite's page shows the run's year.
    year = re.compile(rf"maximum value must be less than or equal to\s+{settings.as_of_year}(?:\.0)?\b")
    assert any(year.search(text) for text in suites)


def _text(browser) -> str:
    """Return every text of the page, collapsed or not, without its scripts and styles."""
    return browser.execute_script("""const b = document.body.cloneNode(true);
        b.querySelectorAll('script, style').forEach(s => s.remove()); return b.textContent.replace(/\\s+/g, ' ')""")


def test_the_index_and_the_pages_name_each_per_file_run_after_the_raw_file_it_checked(browser, docs, small_demo):
    settings, _ = small_demo
    log = pd.read_parquet(settings.curated_dir / "ingest_log.parquet")
    files = {source: {f.split("/", 1)[1] for f in group} for source, group in log.groupby("source")["source_file"]}
    _open(browser, docs / "index.html")
    labelled: dict[str, set[str]] = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "#suites tbody tr"):
        table = row.find_element(By.CSS_SELECTOR, "td").text
        for link in row.find_elements(By.CSS_SELECTOR, "a[href*='%20per%20file/']"):
            assert re.fullmatch(r".+, (?:whole file|year \d{4})", link.text), link.text
            assert unquote(link.get_attribute("href")).split("/")[-3] == link.text
            labelled.setdefault(table, set()).add(link.text.rsplit(", ", 1)[0])
    assert labelled["indicators"] == files["indicators"] and len(files["indicators"]) == 3
    assert labelled["questionnaire_submissions"] == files["questionnaires"]
    assert labelled["fiscal_capacity"] == files["fiscal_capacity"]
    # The page says which file it checked: its breadcrumb and its run name.
    browser.find_element(By.LINK_TEXT, "ipm_2024.csv, whole file").click()
    WebDriverWait(browser, 20).until(
        lambda d: "ipm_2024.csv, whole file" in d.find_element(By.CSS_SELECTOR, ".ge-breadcrumbs").text)
    run_name = browser.find_element(By.XPATH, "//td[normalize-space(.)='Run Name']/following-sibling::td[1]")
    assert run_name.get_attribute("textContent").strip() == "ipm_2024.csv, whole file"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
