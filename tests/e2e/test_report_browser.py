"""The published report opened from file:// in headless Chromium: it renders, offline, and responds."""


import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import BOUNDARY_ATTRIBUTION

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def page(browser, small_demo):
    settings, _ = small_demo
    browser.get((settings.reports_dir / "index.html").as_uri())
    WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 3)
    return browser


def test_report_is_self_contained(small_demo):
    settings, _ = small_demo
    html = (settings.reports_dir / "index.html").read_text(encoding="utf-8")
    assert html.count('<script src="plotly.min.js"></script>') == 1
    assert "cdn.plot.ly" not in html and 'src="http' not in html
    assert (settings.reports_dir / "plotly.min.js").stat().st_size > 3_000_000


def test_page_renders_every_figure_without_errors(page):
    plots = page.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
    # The small demo cannot fill the shipped cohort: no rank-interval chart, the reason in its place.
    assert sorted(p.get_attribute("id") for p in plots) == ["fig-readiness-top", "fig-regions-map", "fig-scatter",
                                                            "fig-screening-top"]
    # One trace per island group (the legend), 25 bars in all.
    bars = page.execute_script("return document.getElementById('fig-screening-top').data.reduce((n, t) => n + t.y.length, 0)")
    assert bars == 25
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_missing_part_is_named_with_its_reason_on_the_page_in_both_languages(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "index.html").as_uri())
    box = page.find_element(By.ID, "missing-parts")
    notice = page.find_element(By.ID, "cohort-missing")
    assert box.is_displayed() and box.text.startswith("Diterbitkan dengan bagian yang hilang:")
    assert "Usulan kohort: ukuran kohort 50, tetapi hanya 8 daerah daftar pendek yang dapat dipilih" in box.text
    assert notice.text.startswith("Kohort tidak dapat dihitung pada run ini: ukuran kohort 50")
    page.find_element(By.ID, "lang-toggle").click()
    assert box.text.startswith("Published with parts missing:")
    assert "Proposed cohort: cohort size 50, but only 8 shortlisted regions can be selected" in box.text
    assert notice.text.startswith("The cohort could not be computed in this run: cohort size 50")
    page.find_element(By.ID, "lang-toggle").click()
    assert page.find_elements(By.CSS_SELECTOR, "#selection") == []


def _switch_language(browser, number: str) -> None:
    """Check the cohort heading and a 2-decimal number in Indonesian, switch to English, check them again."""
    heading = browser.find_element(By.CSS_SELECTOR, "#cohort")
    cell = browser.find_element(By.CSS_SELECTOR, number)
    raw = float(cell.get_attribute("data-v"))
    assert heading.text == "Usulan kohort" and cell.text == f"{raw:.2f}".replace(".", ",")
    browser.find_element(By.ID, "lang-toggle").click()
    assert heading.text == "Proposed cohort" and cell.text == f"{raw:.2f}"


@pytest.fixture
def demo_page(browser, demo_project, small_demo):
    """The browser on the overview of README's `make demo`; back on the small demo's overview afterwards."""
    root, done = demo_project
    assert done.returncode == 0, done.stdout[-2000:]
    browser.get((root / "data" / "reports" / "index.html").as_uri())
    yield browser
    browser.get((small_demo[0].reports_dir / "index.html").as_uri())
    WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 3)


def test_the_demo_overview_shows_the_proposed_cohort_with_its_rank_intervals(demo_page):
    browser = demo_page
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-rank-intervals .main-svg"))
    assert browser.find_elements(By.ID, "missing-parts") == []
    # One point with its 5-95% whiskers per selectable region, as many as rows of the probability table.
    # One trace per way of being selected or kept out (the legend).
    points = browser.execute_script(
        "return document.getElementById('fig-rank-intervals').data.reduce((n, t) => n + t.y.length, 0)")
    rows = browser.find_elements(By.CSS_SELECTOR, "#selection tbody tr")
    assert points > 0 and len(rows) >= points
    assert len(browser.find_elements(By.CSS_SELECTOR, "#selection tbody tr.selected")) == 50
    _switch_language(browser, "#selection tbody tr td:nth-child(5) span.n")
    browser.find_element(By.ID, "lang-toggle").click()
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_ranking_table_lists_all_regions_and_filters(page):
    rows = page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    assert len(rows) == 514
    assert rows[0].find_elements(By.TAG_NAME, "td")[0].text == "1"
    page.find_element(By.ID, "filter").send_keys("Probolinggo")
    visible = [r for r in page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr") if r.is_displayed()]
    assert sorted(r.get_attribute("data-region") for r in visible) == ["35.13", "35.74"]
    page.find_element(By.ID, "filter").send_keys(Keys.CONTROL, "a", Keys.DELETE)
    assert all(r.is_displayed() for r in page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr"))
    Select(page.find_element(By.ID, "filter-province")).select_by_value("Jawa Timur")
    Select(page.find_element(By.ID, "filter-type")).select_by_value("kota")
    visible = [r for r in page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr") if r.is_displayed()]
    assert len(visible) == 9 and all(r.get_attribute("data-region").startswith("35.7") for r in visible)
    Select(page.find_element(By.ID, "filter-province")).select_by_value("")
    Select(page.find_element(By.ID, "filter-type")).select_by_value("")
    assert all(r.is_displayed() for r in page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr"))


def test_sorting_by_readiness_rank_puts_rank_1_first(page):
    header = page.find_elements(By.CSS_SELECTOR, "#ranking thead th")[9]
    header.click()
    first = page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")[0]
    assert first.find_elements(By.TAG_NAME, "td")[9].get_attribute("textContent") == "1"


def test_a_score_column_sorts_the_highest_first_and_a_second_click_reverses(page):
    header = page.find_elements(By.CSS_SELECTOR, "#ranking thead th")[10]
    column = "#ranking tbody tr td:nth-child(11)"

    def values():
        return [float(v) if v else None for v in page.execute_script(
            f"return Array.from(document.querySelectorAll('{column}')).map(td => {{"
            "const n = td.querySelector('span.n'); return n ? n.dataset.v : ''; })")]

    header.click()
    first = values()
    scored = [v for v in first if v is not None]
    assert len(scored) > 2 and first[:len(scored)] == sorted(scored, reverse=True)     # the unscored come last
    header.click()
    again = values()
    assert again[:len(scored)] == sorted(scored) and again[len(scored):] == [None] * (len(again) - len(scored))


def test_coverage_counts_the_regions_each_source_covers(page):
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")
            for r in page.find_elements(By.CSS_SELECTOR, "#coverage-table tbody tr")}
    assert rows["fiscal_capacity"][6].text == "508" and rows["sustainability"][6].text == "93"
    assert rows["questionnaires"][6].text == "12" and rows["evaluations"][6].text == "10"


def test_synthetic_banner_and_hashes_are_shown(page, small_demo):
    _, result = small_demo
    assert page.find_element(By.ID, "synthetic-banner").is_displayed()
    assert page.find_element(By.CSS_SELECTOR, "footer .methodology-hash").text == result.scored.methodology_hash


def test_screenshot_of_the_report(page, tmp_path):
    # Written beside the test, not into the shared publication, which other tests compare byte for byte.
    path = tmp_path / "screenshot.png"
    page.execute_script("window.scrollTo(0, 0)")
    assert page.save_screenshot(str(path)) and path.stat().st_size > 20_000


def test_validation_data_docs_open_offline_from_the_report(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "index.html").as_uri())
    page.find_element(By.LINK_TEXT, "Validasi").click()
    assert page.find_element(By.CSS_SELECTOR, "#quarantine-by-rule tbody tr")
    page.find_element(By.ID, "data-docs-link").click()
    WebDriverWait(page, 20).until(lambda d: d.current_url.endswith("validation/index.html"))
    suites = page.find_elements(By.CSS_SELECTOR, "#suites tbody tr")
    result = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1].text for r in suites}
    assert result["government_performance"] == "failed" and result["questionnaire_answers"] == "passed"
    page.find_element(By.LINK_TEXT, "whole table").click()
    assert "Expectation Validation Result" in page.find_element(By.TAG_NAME, "body").text
    loaded = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [url for url in loaded if not url.startswith("file://")] == []
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []


def test_evaluation_section_ranks_flags_and_lists_cells_to_moderate(page, small_demo):
    import pandas as pd

    settings, _ = small_demo

    page.get((settings.reports_dir / "index.html").as_uri())
    page.find_element(By.LINK_TEXT, "Evaluasi").click()
    WebDriverWait(page, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 2)
    published = pd.read_csv(settings.reports_dir / "downloads" / "evaluation_region.csv", dtype={"region_code": str})
    latest = published[published["year"] == published["year"].max()]
    rows = page.find_elements(By.CSS_SELECTOR, "#evaluation-ranking tbody tr")
    assert len(rows) == len(latest) == 10
    first = rows[0].find_elements(By.TAG_NAME, "td")
    best = latest.sort_values("national_rank").iloc[0]
    assert (first[0].text, first[2].text, first[5].text) == ("1", best["region_code"],
                                                            f"{best['evaluation_index']:.2f}".replace(".", ","))
    flagged = page.find_elements(By.CSS_SELECTOR, "#evaluation-ranking tbody tr.flagged")
    assert [r.get_attribute("data-region") for r in flagged] == latest.loc[latest["too_few_assessors"], "region_code"].tolist()
    moderation = pd.read_csv(settings.reports_dir / "downloads" / "evaluation_moderation.csv")
    shown = page.find_elements(By.CSS_SELECTOR, "#evaluation-moderation tbody tr")
    assert len(shown) == (moderation["year"] == moderation["year"].max()).sum() > 0
    assert " | " in shown[0].find_elements(By.TAG_NAME, "td")[4].text          # the scores side by side
    agreement = [r.find_elements(By.TAG_NAME, "td")[0].text
                 for r in page.find_elements(By.CSS_SELECTOR, "#evaluation-agreement tbody tr")]
    # The components by their labels (methodology/evaluation.yaml), then all of them.
    assert agreement == ["Baseline", "Keluaran", "Hasil", "Dampak", "Quick win", "semua komponen"]
    bars = page.execute_script(
        "return document.getElementById('fig-assessor-severity').data.reduce((n, t) => n + t.y.length, 0)")
    assert bars == 4


def test_province_page_opens_from_the_navigation(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "index.html").as_uri())
    page.find_element(By.LINK_TEXT, "Provinsi").click()
    WebDriverWait(page, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 2)
    assert page.current_url.endswith("provinces.html")
    rows = page.find_elements(By.CSS_SELECTOR, "#province-rollup tbody tr")
    assert len(rows) == 38
    jabar = page.find_element(By.CSS_SELECTOR, '#province-rollup tr[data-province="32"]').find_elements(By.TAG_NAME, "td")
    assert jabar[1].text == "Jawa Barat" and jabar[3].text == "27"
    assert jabar[-1].text == "dalam program Smart Province sejak 2023"
    boxes = page.execute_script("return document.getElementById('fig-province-distribution').data.length")
    assert boxes == len({r.find_elements(By.TAG_NAME, "td")[0].text for r in rows
                         if r.find_elements(By.TAG_NAME, "td")[7].text != "0"})
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []
    page.find_element(By.CSS_SELECTOR, '#province-rollup tr[data-province="32"] a').click()
    WebDriverWait(page, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-province-regions .main-svg"))
    assert page.find_element(By.ID, "province-name").text == "Jawa Barat (32)"
    bars = page.execute_script("return document.getElementById('fig-province-regions').data[0].y.length")
    assert bars == len(page.find_elements(By.CSS_SELECTOR, "#province-regions tbody tr")) == 27
    page.find_element(By.LINK_TEXT, "Ikhtisar").click()
    assert page.current_url.endswith("index.html")


def test_region_page_renders_its_charts_and_links_back(page, small_demo, tmp_path):
    settings, _ = small_demo
    page.get((settings.reports_dir / "index.html").as_uri())
    sorted_by_readiness = page.find_elements(By.CSS_SELECTOR, "#ranking thead th")[9]
    sorted_by_readiness.click()
    if page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")[0].find_elements(By.TAG_NAME, "td")[9].text != "1":
        sorted_by_readiness.click()
    first = page.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")[0]
    code = first.get_attribute("data-region")
    first.find_element(By.CSS_SELECTOR, "td a").click()
    WebDriverWait(page, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 4)
    assert page.current_url.endswith(f"regions/{code}.html")
    plots = sorted(p.get_attribute("id") for p in page.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"))
    assert plots == ["fig-locator", "fig-region-contributions", "fig-region-heatmap", "fig-region-history",
                     "fig-region-radar"]
    radar = page.execute_script("return document.getElementById('fig-region-radar').data.map(t => t.r.length)")
    assert radar == [7, 7, 7]                                                # six dimensions, closed
    assert len(page.find_elements(By.CSS_SELECTOR, "#swot li.strength")) == 2
    assert len(page.find_elements(By.CSS_SELECTOR, "#swot li.weakness")) == 2
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []
    assert page.save_screenshot(str(tmp_path / "screenshot-region.png"))
    page.find_element(By.PARTIAL_LINK_TEXT, "Peringkat nasional").click()
    assert "index.html" in page.current_url


def test_language_switch_translates_labels_and_number_format(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "index.html").as_uri())
    WebDriverWait(page, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-scatter .main-svg"))
    _switch_language(page, "#ranking tbody tr td span.n[data-d='2']")
    assert page.execute_script("return document.getElementById('fig-scatter').layout.separators") == ".,"
    page.get((settings.reports_dir / "methodology.html").as_uri())           # the choice is kept across pages
    assert page.find_element(By.TAG_NAME, "h1").text == "Methodology and provenance"
    page.find_element(By.ID, "lang-toggle").click()
    assert page.find_element(By.TAG_NAME, "h1").text == "Metodologi dan asal data"


def test_every_page_loads_only_files_of_the_site(page, small_demo):
    settings, _ = small_demo
    for name in ("index.html", "evaluation.html", "methodology.html", "validation.html", "provinces.html",
                 "provinces/35.html", "regions/35.13.html", "compare.html?r=35.13,35.74"):
        path, _, query = name.partition("?")
        page.get((settings.reports_dir / path).as_uri() + (f"?{query}" if query else ""))
        loaded = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert [url for url in loaded if not url.startswith("file://")] == [], name
        assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == [], name


def _map_state(page, div: str) -> dict:
    """Return what a map shows: the names of its visible traces and how many areas it drew."""
    return page.execute_script(f"""const d = document.getElementById('{div}');
        return {{visible: d.data.filter(t => t.visible !== false).map(t => t.name),
                 areas: d.querySelectorAll('path.choroplethlocation').length,
                 legend: Array.from(d.querySelectorAll('.legendtext')).map(e => e.textContent)}};""")


def test_the_kab_kota_map_draws_every_region_offline_and_switches_measures(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "index.html").as_uri())
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-regions-map path.choroplethlocation"))
    ranking = pd.read_parquet(settings.data_dir / "reports" / "downloads" / "ranking.parquet")
    screened = int(ranking["screening_index"].notna().sum())
    first = _map_state(page, "fig-regions-map")
    # Every kab/kota in grey underneath, each screened one coloured above it.
    assert first["visible"] == ["Tanpa nilai", "Indeks penyaringan (0-100)"]
    assert first["areas"] == 514 + screened and first["legend"] == ["Tanpa nilai"]
    attribution = page.find_element(By.CSS_SELECTOR, "#fig-regions-map .annotation-text").text
    assert attribution == f"Batas wilayah: {BOUNDARY_ATTRIBUTION}"
    buttons = page.find_elements(By.CSS_SELECTOR, "#fig-regions-map .updatemenu-button")
    labels = [b.text for b in buttons]
    # The small demo's cohort could not be chosen (its part is missing), so the map has no cohort view.
    assert labels == ["Penyaringan", "Kesiapan", "Program",
                      f"Evaluasi {int(pd.read_parquet(settings.data_dir / 'reports' / 'downloads' / 'evaluation_region.parquet')['year'].max())}"]
    buttons[2].click()
    members = ranking.dropna(subset=["smart_city_year_joined"])
    years = sorted(members["smart_city_year_joined"].astype(int).unique())
    after = _map_state(page, "fig-regions-map")
    assert after["visible"] == ["Tanpa nilai", *(f"Bergabung {y}" for y in years)]
    assert after["areas"] == 514 + len(members)
    assert after["legend"] == ["Tanpa nilai", *(f"Bergabung {y}" for y in years)]
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []


def test_region_and_province_pages_locate_themselves_and_the_provinces_map_has_all_38(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "regions" / "35.13.html").as_uri())
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-locator path.choroplethlocation"))
    located = page.execute_script("return document.getElementById('fig-locator').data.map(t => t.locations)")
    ranking = pd.read_parquet(settings.data_dir / "reports" / "downloads" / "ranking.parquet")
    assert located[0] == sorted(ranking.loc[ranking["province_code"] == "35", "region_code"]) and located[1] == ["35.13"]
    red = page.execute_script("""return Array.from(document.querySelectorAll('#fig-locator path.choroplethlocation'))
                                  .filter(p => getComputedStyle(p).fill === 'rgb(214, 39, 40)').length""")
    assert red == 1
    page.get((settings.reports_dir / "provinces" / "35.html").as_uri())
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-locator path.choroplethlocation"))
    assert _map_state(page, "fig-locator")["areas"] == 38 + 1
    page.get((settings.reports_dir / "provinces.html").as_uri())
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-provinces-map path.choroplethlocation"))
    state = _map_state(page, "fig-provinces-map")
    assert state["visible"][0] == "Tanpa nilai" and state["areas"] == 38 + 38
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []


def test_without_boundaries_the_demo_says_maps_are_off_and_how_to_turn_them_on(demo_page, demo_project):
    root, _ = demo_project
    off = demo_page.find_element(By.ID, "fig-regions-map-off")
    assert off.text.startswith("Peta tidak ditampilkan: batas 514 kabupaten/kota belum dipasang di folder data")
    assert "`readiness boundaries <berkas.geojson>`" in off.text
    assert demo_page.find_elements(By.ID, "fig-regions-map") == []
    assert not (root / "data" / "reports" / "maps").exists()
    demo_page.get((root / "data" / "reports" / "provinces.html").as_uri())
    assert "belum dipasang" in demo_page.find_element(By.ID, "fig-provinces-map-off").text


def _matches(page, box_id: str, list_id: str, query: str) -> list[str]:
    box = page.find_element(By.ID, box_id)
    box.clear()
    box.send_keys(query)
    return [item.text for item in page.find_elements(By.CSS_SELECTOR, f"#{list_id} li")]


def test_the_search_box_finds_a_region_or_province_from_any_page(page, small_demo):
    settings, _ = small_demo
    page.get((settings.reports_dir / "regions" / "35.13.html").as_uri())
    # The prefix, its dot, case and spacing do not matter; the kind asked for comes first.
    assert _matches(page, "site-search", "site-search-results", "kab.  PROBOLINGGO")[:2] == [
        "Kabupaten Probolinggo (35.13) · Jawa Timur", "Kota Probolinggo (35.74) · Jawa Timur"]
    assert _matches(page, "site-search", "site-search-results", "Kota Probolinggo")[0] == \
        "Kota Probolinggo (35.74) · Jawa Timur"
    assert _matches(page, "site-search", "site-search-results", "3574") == ["Kota Probolinggo (35.74) · Jawa Timur"]
    assert _matches(page, "site-search", "site-search-results", "Atlantis") == ["Tidak ditemukan"]
    _matches(page, "site-search", "site-search-results", "jawa timur")
    page.find_element(By.ID, "site-search").send_keys(Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("/provinces/35.html"))
    _matches(page, "site-search", "site-search-results", "35.13")
    page.find_element(By.ID, "site-search").send_keys(Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("/regions/35.13.html"))
    assert page.find_element(By.ID, "region-name").text.startswith("Kabupaten Probolinggo")


def test_the_comparison_page_overlays_radars_side_by_side_and_keeps_the_choice_in_its_address(page, small_demo):
    from pipelines.report.i18n import number_id

    settings, _ = small_demo
    ranking = pd.read_parquet(settings.data_dir / "reports" / "downloads" / "ranking.parquet")
    assessed = ranking.dropna(subset=["readiness_index"]).sort_values("region_code")
    first, second, third, fourth, fifth = assessed["region_code"].head(5)
    page.get((settings.reports_dir / "regions" / f"{first}.html").as_uri())
    page.find_element(By.ID, "compare-link").click()
    WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#compare-table thead th[data-region]"))
    assert page.current_url.endswith(f"compare.html?r={first}")
    page.get((settings.reports_dir / "compare.html").as_uri() + f"?r={first},constructor,{second},__proto__,nonsense")
    WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-compare-radar .main-svg"))
    heads = [th.get_attribute("data-region") for th in page.find_elements(By.CSS_SELECTOR, "#compare-table thead th[data-region]")]
    assert heads == [first, second]
    traces = page.execute_script("return document.getElementById('fig-compare-radar').data.map(t => [t.name, t.r.length])")
    names = ranking.set_index("region_code")["region_name"]
    assert traces == [[names[first], 7], [names[second], 7], ["Median nasional", 7]]
    row = page.find_elements(By.CSS_SELECTOR, "#compare-table tbody tr")[3]
    by_code = ranking.set_index("region_code")
    assert [td.text for td in row.find_elements(By.TAG_NAME, "td")][:2] == [
        f"{number_id(by_code.loc[c, 'screening_index'])} ({by_code.loc[c, 'screening_rank']:.0f})" for c in (first, second)]
    for code in (third, fourth):
        _matches(page, "compare-add", "compare-options", code)
        page.find_element(By.ID, "compare-add").send_keys(Keys.ENTER)
    assert page.current_url.endswith(f"compare.html?r={first},{second},{third},{fourth}")
    assert page.find_element(By.ID, "compare-add").get_attribute("disabled") == "true"
    assert page.find_element(By.ID, "compare-full").is_displayed()
    page.find_element(By.CSS_SELECTOR, f"#compare-table button.remove[data-region='{first}']").click()
    assert page.current_url.endswith(f"compare.html?r={second},{third},{fourth}")
    _matches(page, "compare-add", "compare-options", fifth)
    page.find_element(By.ID, "compare-add").send_keys(Keys.ENTER)
    assert page.current_url.endswith(f"compare.html?r={second},{third},{fourth},{fifth}")
    page.find_element(By.ID, "lang-toggle").click()
    assert page.find_elements(By.CSS_SELECTOR, "#compare-table thead th")[-1].text == "National median"
    page.find_element(By.ID, "lang-toggle").click()
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []
