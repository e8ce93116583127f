"""Static PNG images of report figures (for slides), written by kaleido with the machine's Chromium.

kaleido drives a headless Chrome/Chromium found by choreographer: $BROWSER_PATH if set, else `chromium` and
friends on PATH (Debian's chromium is /usr/bin/chromium). Nothing is downloaded: kaleido's own
`kaleido_get_chrome` fetches Chrome from Google, which an offline machine cannot reach. MathJax, which kaleido
would load from a CDN, is switched off (the figures use no LaTeX); plotly.js comes from the plotly package.
"""

from __future__ import annotations

import os
from pathlib import Path

import kaleido
import plotly.graph_objects as go
from kaleido.errors import ChromeNotFoundError

# The fix named when no browser is found: the Debian package (as `make browser` installs it) or an explicit binary.
NO_CHROMIUM = ("kaleido needs Chromium to write PNG images and found none: {reason}. Install Debian's chromium "
               "with `make browser` (or `sudo apt-get install chromium`), or set BROWSER_PATH to a Chromium or "
               "Chrome executable (kaleido_get_chrome downloads Chrome from Google, which does not work offline).")


class ImageExportError(RuntimeError):
    """A figure could not be written as PNG (no Chromium, or kaleido failed to render it)."""


def write_pngs(figures: dict[str, go.Figure], folder: Path, width: int = 1200, height: int = 700,
               scale: float = 1) -> list[Path]:
    """Return the paths of <folder>/<name>.png, one per figure, written in one kaleido batch (one browser start).

    Each image is `width` × `height` layout pixels times `scale`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png" for name in figures]
    specs = [{"fig": fig, "path": path, "opts": {"format": "png", "width": width, "height": height, "scale": scale}}
             for fig, path in zip(figures.values(), paths)]
    try:
        # Without cancel_on_error, kaleido returns the render errors instead of raising them; a failed image's file
        # is removed, so the missing files say which figures failed.
        errors = kaleido.write_fig_from_object_sync(specs, kopts={"mathjax": False})
    except ChromeNotFoundError as exc:
        where = os.environ.get("BROWSER_PATH")
        reason = f"BROWSER_PATH={where!r} is not a file" if where else "no chromium or chrome on PATH"
        raise ImageExportError(NO_CHROMIUM.format(reason=reason)) from exc
    except Exception as exc:  # noqa: BLE001 - a browser that starts and dies, a kaleido bug: the site goes on without
        raise ImageExportError(f"kaleido could not write the images: {type(exc).__name__}: {exc}") from exc
    if errors:
        failed = ", ".join(p.name for p in paths if not p.exists()) or "unknown figures"
        raise ImageExportError(f"kaleido could not write {len(errors)} of {len(paths)} images ({failed}): "
                               + "; ".join(f"{type(e).__name__}: {e}" for e in errors)) from errors[0]
    return paths
