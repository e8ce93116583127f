"""A chart spec as the page's language switch shows it (layout.meta.i18n of pipelines/report/figures.py)."""

from __future__ import annotations

import copy
import json
import re


def _set_path(spec: dict, path: str, value) -> None:
    """Set a plotly attribute path ('xaxis.title.text', 'updatemenus[0].buttons[1].label') in a spec."""
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    for key in keys[:-1]:
        spec = spec[key]
    spec[keys[-1]] = value


def in_language(spec, lang: str) -> dict:
    """Return a chart (a spec, or a plotly Figure) as a plain spec in `lang`, its layout.meta.i18n applied."""
    shown = json.loads(spec.to_json()) if hasattr(spec, "to_json") else copy.deepcopy(spec)
    texts = (shown["layout"].get("meta") or {}).get("i18n", {}).get(lang)
    if texts:
        for path, values in texts["data"].items():
            for trace, value in zip(texts["traces"][path], values):
                _set_path(shown["data"][trace], path, value)
        for path, value in texts["layout"].items():
            _set_path(shown["layout"], path, value)
    return shown
