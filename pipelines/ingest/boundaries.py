"""Boundary files for the report's maps: a GeoJSON file the user supplies, checked against the Kemendagri 2025 region
list and installed, normalised, into data/boundaries/ (none ships: see docs/report.md, "Maps").

Installing keeps one feature per code with the reference's name, Polygon and MultiPolygon geometries only, coordinates
rounded to 0.0001° (about 11 m), and rings wound the way plotly's geo maps need (outer rings clockwise, holes
anticlockwise: with RFC 7946's anticlockwise outer rings a plotly.js `choropleth` fills the whole globe instead).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines import atomic

LEVELS = {"provinces": re.compile(r"^\d{2}$"), "regencies": re.compile(r"^\d{2}\.\d{2}$")}
LEVEL_NAMES = {"provinces": "provinces", "regencies": "kabupaten/kota"}
# Where a code may sit in a feature, in this order (the shared cahyadsn files use properties.code).
CODE_KEYS = ("code", "kode", "kode_wilayah", "kdpkab", "kode_kab", "kode_prov")
COORDINATE_DECIMALS = 4
SHOWN = 5


class BoundaryError(ValueError):
    """A boundary file that cannot be installed; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Checked:
    """A boundary file checked against the region list: its level, its features (normalised) and what is missing."""

    level: str
    features: list[dict]
    missing: list[str]
    rewound: int


def _code(feature: dict) -> str:
    properties = feature.get("properties") or {}
    for key in CODE_KEYS:
        if properties.get(key) not in (None, ""):
            value = str(properties[key]).strip()
            break
    else:
        value = str(feature.get("id") or "").strip()
    # `1101` and `11.01` are the same kab/kota.
    return f"{value[:2]}.{value[2:]}" if re.fullmatch(r"\d{4}", value) else value


def _signed_area(ring: list) -> float:
    """Return the ring's shoelace area in degrees²: positive when it runs anticlockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1])) / 2


def _ring(ring: list, clockwise: bool) -> tuple[list, bool]:
    points = [[round(float(p[0]), COORDINATE_DECIMALS), round(float(p[1]), COORDINATE_DECIMALS)] for p in ring]
    turn = (_signed_area(points) < 0) != clockwise
    return (points[::-1] if turn else points), turn


def _polygons(geometry: dict | None) -> list:
    kind = (geometry or {}).get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return geometry["coordinates"]
    raise BoundaryError(f"a {kind or 'missing'} geometry; only Polygon and MultiPolygon outline a region")


def _normalised(feature: dict, code: str, name: str) -> tuple[dict, int]:
    """Return the feature as installed (code, name, wound and rounded rings) and how many rings were turned."""
    polygons, turned = [], 0
    for polygon in _polygons(feature.get("geometry")):
        rings = []
        for position, ring in enumerate(polygon):
            points, turn = _ring(ring, clockwise=position == 0)
            rings.append(points)
            turned += turn
        polygons.append(rings)
    geometry = {"type": "MultiPolygon", "coordinates": polygons}
    return {"type": "Feature", "id": code, "properties": {"code": code, "name": name}, "geometry": geometry}, turned


def read_collection(path: Path) -> list[dict]:
    """Return the features of a GeoJSON FeatureCollection file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BoundaryError(f"{path}: not a readable GeoJSON file ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise BoundaryError(f"{path}: not a GeoJSON FeatureCollection (a TopoJSON or a single Feature must be "
                            "converted first, e.g. with mapshaper -o format=geojson)")
    return data["features"]


def listed(codes: list[str]) -> str:
    more = f" and {len(codes) - SHOWN} more" if len(codes) > SHOWN else ""
    return ", ".join(codes[:SHOWN]) + more


def check(path: Path, names: dict[str, dict[str, str]]) -> Checked:
    """Return the file at `path` checked against the region list `names` (level → code → name)."""
    features = read_collection(path)
    codes = [_code(f) for f in features]
    if not codes:
        raise BoundaryError(f"{path}: the FeatureCollection has no features")
    by_level = {level: [c for c in codes if pattern.match(c)] for level, pattern in LEVELS.items()}
    level = max(by_level, key=lambda name: len(by_level[name]))
    stray = sorted({c for c in codes if not LEVELS[level].match(c)})
    if stray:
        raise BoundaryError(f"{path}: its features' codes must all be province codes (`11`) or all kab/kota codes "
                            f"(`11.01`), in properties.code or the feature id; most are {LEVEL_NAMES[level]}, but not "
                            f"{listed(stray)}")
    known = names[level]
    unknown = sorted({c for c in codes if c not in known})
    if unknown:
        raise BoundaryError(f"{path}: {len(unknown)} code(s) not in the Kemendagri 2025 list of {LEVEL_NAMES[level]}: "
                            f"{listed(unknown)}")
    repeated = sorted(c for c, n in Counter(codes).items() if n > 1)
    if repeated:
        raise BoundaryError(f"{path}: {len(repeated)} code(s) outline more than one feature: {listed(repeated)}; "
                            "merge each region's parts into one MultiPolygon")
    installed, rewound = [], 0
    for feature, code in sorted(zip(features, codes), key=lambda pair: pair[1]):
        try:
            normalised, turned = _normalised(feature, code, known[code])
        except (BoundaryError, TypeError, IndexError, KeyError, ValueError) as exc:
            raise BoundaryError(f"{path}: the feature of {code} cannot be drawn: {exc}") from exc
        installed.append(normalised)
        rewound += turned
    return Checked(level, installed, sorted(set(known) - set(codes)), rewound)


def reference_names(reference_dir: Path) -> dict[str, dict[str, str]]:
    """Return the Kemendagri 2025 names by level and code, from the shipped region list."""
    from pipelines.ingest.reference import provinces, regions

    return {"provinces": dict(zip(*provinces(reference_dir)[["province_code", "province_name"]].T.to_numpy())),
            "regencies": dict(zip(*regions(reference_dir)[["region_code", "region_name"]].T.to_numpy()))}


def installed_path(boundaries_dir: Path, level: str) -> Path:
    """Return where the boundaries of `level` are installed."""
    return boundaries_dir / f"{level}.geojson"


def install(path: Path, names: dict[str, dict[str, str]], boundaries_dir: Path, attribution: str | None) -> dict:
    """Check the file at `path` and install it into `boundaries_dir`; return its provenance record (also written
    beside it as `<level>.provenance.json`)."""
    checked = check(path, names)
    text = json.dumps({"type": "FeatureCollection", "features": checked.features}, separators=(",", ":"),
                      ensure_ascii=False)
    record = {"level": checked.level, "source_file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
              "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "features": len(checked.features), "missing": checked.missing, "rings_rewound": checked.rewound,
              "attribution": attribution}
    boundaries_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_text(installed_path(boundaries_dir, checked.level), text + "\n")
    atomic.write_text(boundaries_dir / f"{checked.level}.provenance.json",
                      json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return record


def installed(boundaries_dir: Path) -> dict[str, dict]:
    """Return the provenance record of each level installed in `boundaries_dir` (none when nothing is)."""
    records = {}
    for level in LEVELS:
        meta = boundaries_dir / f"{level}.provenance.json"
        if meta.is_file() and installed_path(boundaries_dir, level).is_file():
            records[level] = json.loads(meta.read_text(encoding="utf-8"))
    return records
