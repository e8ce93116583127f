"""PNG images of figures through kaleido and the machine's Chromium: real files, real failures."""

from __future__ import annotations

import socket
import struct

import plotly.graph_objects as go
import pytest

from pipelines.report.images import ImageExportError, write_pngs

pytestmark = pytest.mark.browser
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT, SCALE = 320, 200, 2


def png_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) in pixels from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def test_two_figures_become_two_pngs_of_the_asked_size(tmp_path):
    figures = {"bars": go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2])),
               "line": go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 4, 3], mode="lines"))}
    paths = write_pngs(figures, tmp_path / "png", width=WIDTH, height=HEIGHT, scale=SCALE)
    assert paths == [tmp_path / "png" / "bars.png", tmp_path / "png" / "line.png"]
    for path in paths:
        assert png_size(path.read_bytes()) == (WIDTH * SCALE, HEIGHT * SCALE)


def test_without_chromium_the_error_names_the_fix(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(missing))
    with pytest.raises(ImageExportError) as caught:
        write_pngs({"bars": go.Figure(go.Bar(x=["a"], y=[1]))}, tmp_path / "png")
    message = str(caught.value)
    assert f"BROWSER_PATH={str(missing)!r} is not a file" in message
    assert "make browser" in message and "apt-get install chromium" in message
    assert list((tmp_path / "png").iterdir()) == []


def test_a_browser_that_starts_and_dies_is_an_export_error_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")
    with pytest.raises(ImageExportError, match=r"^kaleido could not write the images: \w+"):
        write_pngs({"bars": go.Figure(go.Bar(x=["a"], y=[1]))}, tmp_path / "png")


def test_a_figure_that_cannot_render_is_raised_by_name_and_the_others_are_written(tmp_path, monkeypatch):
    # A geo trace fetches its base map from cdn.plot.ly; a proxy on a port that refuses connections makes that
    # fetch fail whether or not this machine is online. kaleido returns such errors instead of raising them.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("CHOREO_PROXY_SERVER", f"http://127.0.0.1:{closed.getsockname()[1]}")
        figures = {"bars": go.Figure(go.Bar(x=["a"], y=[1])), "map": go.Figure(go.Scattergeo(lon=[106.8], lat=[-6.2]))}
        with pytest.raises(ImageExportError, match=r"could not write 1 of 2 images \(map\.png\).*topojson"):
            write_pngs(figures, tmp_path, width=WIDTH, height=HEIGHT)
    assert png_size((tmp_path / "bars.png").read_bytes()) == (WIDTH, HEIGHT)
    assert not (tmp_path / "map.png").exists()
