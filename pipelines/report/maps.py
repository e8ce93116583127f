"""The maps' files in the site: the installed boundaries (data/boundaries/, `readiness boundaries`) written once as
scripts the pages load, and what the pages say when there are none.

plotly.js geo maps always load a world outline (`world_110m`), from a CDN unless the page provides it. The maps here
draw only the installed boundaries (the world layers are hidden), so the page provides an empty outline: nothing
leaves the machine and no third-party world data is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.boundaries import LEVELS, installed, installed_path

# The layers plotly.js reads from world_110m, each empty.
WORLD_LAYERS = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
EMPTY_WORLD = json.dumps({"type": "Topology", "arcs": [],
                          "objects": {name: {"type": "GeometryCollection", "geometries": []} for name in WORLD_LAYERS}},
                         separators=(",", ":"))


@dataclass(frozen=True)
class Maps:
    """Which boundary layers the site has, the attribution shown under each map, and the provenance records."""

    layers: dict[str, dict]

    def has(self, layer: str) -> bool:
        """Return whether the boundaries of `layer` ("provinces" or "regencies") are in the site."""
        return layer in self.layers

    def attribution(self, layer: str) -> str:
        """Return where the boundaries of `layer` come from, for the line under its maps."""
        record = self.layers[layer]
        return record.get("attribution") or record["source_file"]


def write_map_files(boundaries_dir: Path, out: Path) -> Maps:
    """Write each installed boundary layer into `out/maps/<layer>.js` and return what the site has."""
    records = installed(boundaries_dir)
    if records:
        (out / "maps").mkdir(parents=True, exist_ok=True)
    for layer in records:
        collection = installed_path(boundaries_dir, layer).read_text(encoding="utf-8").strip()
        # A script, not JSON fetched by the page: browsers refuse fetch() from file:// pages.
        (out / "maps" / f"{layer}.js").write_text(
            "window.READINESS_MAPS = window.READINESS_MAPS || {};\n"
            f"window.READINESS_MAPS[{json.dumps(layer)}] = {collection};\n", encoding="utf-8")
    return Maps({layer: records[layer] for layer in LEVELS if layer in records})
