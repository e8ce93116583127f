"""Resolve region codes and names as written in the wild to the reference `PP.KK` code."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pandas as pd

from pipelines.ingest.parsers import is_missing

_TYPE_WORDS = {"kabupaten": "kabupaten", "kab": "kabupaten", "kota": "kota"}


class RegionError(ValueError):
    """A region that cannot be resolved; `rule` names the check, the message lists candidates."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def name_key(name: str) -> tuple[str | None, str]:
    """Return (region type or None, squashed base name) so that spelling variants compare equal."""
    s = name.lower().replace("\u00a0", " ")
    s = re.sub(r"\bkep\b\.?", "kepulauan", s)
    s = re.sub(r"[.\-_/,()']", " ", s)
    words = [w for w in s.split() if w != "administrasi"]
    region_type = None
    if words and words[0] in _TYPE_WORDS:
        region_type = _TYPE_WORDS[words[0]]
        words = words[1:]
    return region_type, "".join(words)


def normalise_code(value: object) -> str | None:
    """Return a `PP.KK` or `PP` code from `35.13`, `3513`, 3513, `35.1` (→ `35.10`); None if not code-shaped."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip().replace(" ", "")
    if m := re.fullmatch(r"(\d{2})[.\-]?(\d{2})", s):
        return f"{m.group(1)}.{m.group(2)}"
    if m := re.fullmatch(r"(\d{2})\.(\d)", s):
        # A spreadsheet turned 35.10 into 35.1.
        return f"{m.group(1)}.{m.group(2)}0"
    if re.fullmatch(r"\d{2}", s):
        return s
    return None


@dataclass
class RegionResolver:
    """Resolves codes and names against the reference regions table."""

    reference: pd.DataFrame
    provinces: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.names = dict(zip(self.reference["region_code"], self.reference["region_name"]))
        self.province_names = ({} if self.provinces is None
                               else dict(zip(self.provinces["province_code"], self.provinces["province_name"])))
        self.by_key: dict[tuple[str | None, str], list[str]] = {}
        for code, name in self.names.items():
            region_type, base = name_key(name)
            self.by_key.setdefault((region_type, base), []).append(code)
            self.by_key.setdefault((None, base), []).append(code)

    def candidates(self, name: str, n: int = 3) -> list[str]:
        """Return up to n reference regions closest to a name, as `code name`, best first."""
        target = name_key(name)[1]
        ratio = {code: difflib.SequenceMatcher(None, target, name_key(label)[1]).ratio()
                 for code, label in self.names.items()}
        best = sorted(ratio, key=lambda code: (-ratio[code], code))[:n]
        return [f"{code} {self.names[code]}" for code in best]

    def by_name(self, name: str) -> str:
        """Return the code of a region name, or raise RegionError when it matches none or several."""
        codes = self.by_key.get(name_key(name), [])
        if len(codes) == 1:
            return codes[0]
        close = "; ".join(self.candidates(name))
        if codes:
            options = "; ".join(f"{c} {self.names[c]}" for c in sorted(codes))
            raise RegionError("region_ambiguous",
                              f"region name {name!r} matches several regions ({options}); write 'Kabupaten …' or 'Kota …', or give the code")
        raise RegionError("region_unknown", f"region name {name!r} is not in the Kemendagri 2025 list; closest: {close}")

    def province(self, code: str, name: object) -> str:
        """Return a 2-digit province code after checking it exists and agrees with the name if one is given."""
        if code not in self.province_names:
            raise RegionError("region_unknown", f"province code {code!r} is not in the Kemendagri 2025 list")
        if not is_missing(name):
            given = name_key(re.sub(r"(?i)^\s*prov(insi|\.)?\s+", "", str(name)))[1]
            if given != name_key(self.province_names[code])[1]:
                raise RegionError("region_code_name_mismatch",
                                  f"province code {code!r} is {self.province_names[code]} but the name says {name!r}")
        return code

    def resolve(self, code: object, name: object, allow_province: bool = False) -> str:
        """Return the `PP.KK` code (or `PP` where provinces are allowed) for a row, or raise RegionError."""
        has_code, has_name = not is_missing(code), not is_missing(name)
        if not has_code and not has_name:
            raise RegionError("region_missing", "neither a region code nor a region name is given")
        if allow_province and has_code and re.fullmatch(r"\d{2}", normalise_code(code) or ""):
            return self.province(normalise_code(code), name)
        resolved_name = self.by_name(str(name)) if has_name else None
        if not has_code:
            return resolved_name
        normalised = normalise_code(code)
        if normalised is None:
            raise RegionError("region_code_invalid", f"region code {code!r} is not of the form 35.13 or 3513")
        if re.fullmatch(r"\d{2}\.\d", str(code).strip()):
            if resolved_name == normalised:
                return normalised
            raise RegionError("region_code_ambiguous",
                              f"region code {code!r} may be {normalised} with its trailing zero lost; "
                              "write the code as text (35.10) or add the region name to confirm it")
        if normalised not in self.names:
            hint = f"; the name points to {resolved_name} {self.names[resolved_name]}" if resolved_name else ""
            raise RegionError("region_unknown", f"region code {code!r} is not in the Kemendagri 2025 list{hint}")
        if resolved_name and resolved_name != normalised:
            raise RegionError(
                "region_code_name_mismatch",
                f"region code {code!r} is {self.names[normalised]} but the name says {name!r} "
                f"({resolved_name} {self.names[resolved_name]}); correct one of them",
            )
        return normalised
