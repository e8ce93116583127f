"""The Great Expectations Data Docs of a run, published with the report as a copy that works offline."""

from __future__ import annotations

import os
import re
import shutil
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
VENDOR = "static/vendor"
# Where the published copy's styles and scripts come from: files of pinned XStatic packages (pyproject.toml), copied
# into validation/static/vendor/ at every build, so that the site needs no network and the repository no copies.
# vendored path -> (XStatic package, its file or folder)
VENDORED = {
    "bootstrap/css/bootstrap.min.css": ("bootstrap", "css/bootstrap.min.css"),
    # Bootstrap's bundle holds Popper, which GX loads separately.
    "bootstrap/js/bootstrap.bundle.min.js": ("bootstrap", "js/bootstrap.bundle.min.js"),
    "jquery/jquery.min.js": ("jquery", "jquery.min.js"),
    "font-awesome/css/all.min.css": ("font_awesome", "css/all.min.css"),
    "font-awesome/webfonts": ("font_awesome", "webfonts"),
    "font-awesome/LICENSE.txt": ("font_awesome", "LICENSE.txt"),
}
# GX 1.24's page templates load these from CDNs (render/view/templates/page.j2 and js_script_imports.j2):
# Bootstrap 4.3.1, Popper 1.12.9, jQuery 3.7.1 and Font Awesome 6.6.0 are served from VENDORED (Bootstrap 4.5.3 and
# Font Awesome 6.2.1, the nearest XStatic releases). What no package on PyPI ships is left out: bootstrap-table 1.19
# (its search box and sorting on the tables; the tables are in the HTML and show without it), bootstrap-datepicker
# (for bootstrap-table's filters), vega/vega-lite/vega-embed (graphs, which none of our expectations draws) and
# bootstrap-prefers-dark (the dark theme). An asset not listed is left out too: the copy never fetches anything.
CDN = [(re.compile(pattern), vendored) for pattern, vendored in [
    (r"/bootstrap/4\.\d+\.\d+/css/bootstrap\.min\.css$", "bootstrap/css/bootstrap.min.css"),
    (r"/bootstrap/4\.\d+\.\d+/js/bootstrap\.min\.js$", "bootstrap/js/bootstrap.bundle.min.js"),
    (r"/jquery-3\.\d+\.\d+\.min\.js$", "jquery/jquery.min.js"),
    (r"/font-awesome/6\.\d+\.\d+/css/all\.min\.css$", "font-awesome/css/all.min.css"),
]]
_ASSET = re.compile(r'<link\b[^>]*\bhref="(?P<link>(?:https?:)?//[^"]*)"[^>]*>'
                    r'|<script\b[^>]*\bsrc="(?P<script>(?:https?:)?//[^"]*)"[^>]*>\s*</script>')
# GX's logo comes from its web assets (with the data context's id: a tracking pixel); the same logo ships in static/.
_LOGO = re.compile(r'src="https?://great-expectations-web-assets\.[^"]*/logo-long\.png[^"]*"')
# GX points the favicon of a validation page one folder too high.
_FAVICON = re.compile(r'(<link rel="shortcut icon" href=")[^"]*(")')
_NEWSLETTER = re.compile(r"<footer>\s*<p>Stay current on everything GX.*?</footer>", re.DOTALL)
_EXTERNAL_EMBED = re.compile(r'<(?:img|iframe|source|embed)\b[^>]*\bsrc="(?:https?:)?//[^"]*"[^>]*>')
_EXTERNAL_LINK = re.compile(r'<a\b[^>]*\bhref="(?:https?:)?//[^"]*"[^>]*>(.*?)</a>', re.DOTALL)
_EXTERNAL_URL = re.compile(r"url\('https?://[^']*'\)")


def vendor_assets(static: Path) -> None:
    """Copy the styles, scripts and fonts of VENDORED from their XStatic packages into `static`/vendor/."""
    for path, (package, name) in VENDORED.items():
        source, target = Path(import_module(f"xstatic.pkg.{package}").BASE_DIR) / name, static / "vendor" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)


def offline_page(text: str, root: str) -> str:
    """Return a Data Docs page with its CDN assets served from the vendored copies under `root` (the site's folder,
    relative to the page) or left out, and with no other link or image out of the site."""
    def asset(match: re.Match) -> str:
        url = match["link"] or match["script"]
        vendored = next((v for pattern, v in CDN if pattern.search(url)), None)
        if vendored is None:
            return ""
        local = f"{root}/{VENDOR}/{vendored}"
        return f'<link rel="stylesheet" href="{local}">' if match["link"] else f'<script src="{local}"></script>'

    text = _ASSET.sub(asset, text)
    text = _LOGO.sub(f'src="{root}/static/images/logo-long.png"', text)
    text = _FAVICON.sub(rf"\g<1>{root}/static/images/favicon.ico\g<2>", text)
    text = _EXTERNAL_EMBED.sub("", text)
    text = _EXTERNAL_LINK.sub(r"\1", _NEWSLETTER.sub("", text))
    return _EXTERNAL_URL.sub("none", text)


def _run_label(page: Path) -> str:
    """Return the name of a per-file page's run (the raw file it checked), else its time."""
    run_name, run_time = page.parent.parent.name, page.parent.name
    return f"per file, {run_time}" if run_name == "__none__" else run_name


def write_validation_docs(gx_site: Path, suites: list[dict], target: Path) -> Path:
    """Return the index of the offline copy of the GX Data Docs site `gx_site` written into `target`.

    `suites` are the validate step's suite summaries (data/curated/validation.json). GX's own index fills its
    tables with bootstrap-table, which is not vendored, so it is replaced by a static one listing each suite's result
    and pages; per-file runs are listed by the raw file they checked.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(gx_site, target)
    vendor_assets(target / "static")
    for page in sorted(target.rglob("*.html")):
        root = Path(os.path.relpath(target, page.parent)).as_posix()
        page.write_text(offline_page(page.read_text(encoding="utf-8"), root), encoding="utf-8")
    for sheet in sorted((target / "static" / "styles").glob("*.css")):
        sheet.write_text(_EXTERNAL_URL.sub("none", sheet.read_text(encoding="utf-8")), encoding="utf-8")

    def links(folder: str, suite: str, label) -> list[dict]:
        pages = sorted((target / folder).glob(f"{suite}/**/*.html")) + sorted((target / folder).glob(f"{suite}.html"))
        return [{"href": quote(p.relative_to(target).as_posix()), "label": label(p)} for p in pages]

    rows = [{**s, "pages": links("validations", s["table"], lambda p: "whole table")
             + links("validations", f"{s['table']} per file", _run_label),
             "suite_pages": links("expectations", s["table"], lambda p: p.stem)
             + links("expectations", f"{s['table']} per file", lambda p: p.stem)} for s in suites]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    index = target / "index.html"
    index.write_text(env.get_template("validation_index.html.j2").render(suites=rows), encoding="utf-8")
    return index
