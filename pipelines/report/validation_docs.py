"""The Great Expectations Data Docs of a run, published with the report as a copy that is safe to open offline."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
# Data Docs pages load styles and scripts from CDNs and a tracking logo; offline they must not try. Their
# content is static HTML; the scripts (jQuery widgets) would only fail without the CDN, so they go too.
_EXTERNAL = re.compile(r'<link[^>]+href="https?://[^"]*"[^>]*>|<script\b[^>]*>.*?</script>'
                       r'|<img[^>]+src="https?://[^"]*"[^>]*>|<link[^>]+rel="(?:shortcut )?icon"[^>]*>', re.DOTALL)
_EXTERNAL_URL = re.compile(r"url\('https?://[^']*'\)")
_OFFLINE_STYLE = ("<style>body{font-family:system-ui,sans-serif;margin:16px}table{border-collapse:collapse}"
                  "td,th{border:1px solid #ddd;padding:3px 6px}.hide{display:none}</style>")


def write_validation_docs(gx_site: Path, suites: list[dict], target: Path) -> Path:
    """Return the index of the offline copy of the GX Data Docs site `gx_site` written into `target`.

    `suites` are the validate step's suite summaries (data/curated/validation.json). GX's own index fills its
    tables with scripts from CDNs, so it is replaced by a static one listing each suite's result and pages.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(gx_site, target)
    for page in [*target.rglob("*.html"), *target.rglob("*.css")]:
        text = _EXTERNAL_URL.sub("none", _EXTERNAL.sub("", page.read_text(encoding="utf-8")))
        if page.suffix == ".html":
            text = text.replace("</head>", _OFFLINE_STYLE + "</head>", 1)
        page.write_text(text, encoding="utf-8")

    def links(folder: str, suite: str, label) -> list[dict]:
        pages = sorted((target / folder).glob(f"{suite}/**/*.html")) + sorted((target / folder).glob(f"{suite}.html"))
        return [{"href": quote(p.relative_to(target).as_posix()), "label": label(p)} for p in pages]

    rows = [{**s, "pages": links("validations", s["table"], lambda p: "whole table")
             + links("validations", f"{s['table']} per file", lambda p: "per file, " + p.parent.name),
             "suite_pages": links("expectations", s["table"], lambda p: p.stem)
             + links("expectations", f"{s['table']} per file", lambda p: p.stem)} for s in suites]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    index = target / "index.html"
    index.write_text(env.get_template("validation_index.html.j2").render(suites=rows), encoding="utf-8")
    return index
