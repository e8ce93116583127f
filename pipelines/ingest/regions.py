"""Resolve region codes and names as written in the wild to the reference `PP.KK` code."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pandas as pd

from pipelines.ingest.parsers import MESSAGE_VALUE_CHARS, is_missing, quoted, shorten

_TYPE_WORDS = {"kabupaten": "kabupaten", "kab": "kabupaten", "kota": "kota"}
_PROVINCE_PREFIX = re.compile(r"(?i)^\s*prov(insi|\.)?\s+")
# Official province names and the short forms tables use for them (DKI Jakarta, DI Yogyakarta).
_PROVINCE_SHORT = {"daerah khusus ibukota ": "dki ", "daerah istimewa ": "di "}
# How statistics tables write the national total row.
NATIONAL_NAMES = {"indonesia", "nasional"}
NATIONAL_CODES = {"00", "00.00"}


class RegionError(ValueError):
    """A region that cannot be resolved; `rule` names the check, `about` whether the code or the name is at fault."""

    def __init__(self, rule: str, message: str, about: str = "name"):
        super().__init__(message)
        self.rule = rule
        self.about = about


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
        self.province_by_key: dict[str, str] = {}
        for code, name in self.province_names.items():
            short = name.lower()
            for long_form, short_form in _PROVINCE_SHORT.items():
                short = short.replace(long_form, short_form)
            for spelling in (name, short):
                self.province_by_key[name_key(spelling)[1]] = code
        self.by_key: dict[tuple[str | None, str], list[str]] = {}
        for code, name in self.names.items():
            region_type, base = name_key(name)
            self.by_key.setdefault((region_type, base), []).append(code)
            self.by_key.setdefault((None, base), []).append(code)

    def candidates(self, name: str, n: int = 3) -> list[str]:
        """Return up to n reference regions closest to a name, as `code name`, best first."""
        # difflib is quadratic: a 100,000-character cell would take minutes, and no region name is near that long.
        target = name_key(name)[1][:MESSAGE_VALUE_CHARS]
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
                              f"region name {quoted(name)} matches several regions ({options}); "
                              "write 'Kabupaten …' or 'Kota …', or give the code")
        raise RegionError("region_unknown",
                          f"region name {quoted(name)} is not in the Kemendagri 2025 list; closest: {close}")

    def province(self, code: str, name: object) -> str:
        """Return a 2-digit province code after checking it exists and agrees with the name if one is given."""
        if code not in self.province_names:
            raise RegionError("region_unknown", f"province code {quoted(code)} is not in the Kemendagri 2025 list",
                              about="code")
        if not is_missing(name) and self.province_by_key.get(name_key(_PROVINCE_PREFIX.sub("", str(name)))[1]) != code:
            raise RegionError("region_code_name_mismatch",
                              f"province code {quoted(code)} is {self.province_names[code]} but the name says "
                              f"{quoted(name)}", about="code")
        return code

    def total_row(self, code: str | None, name: object) -> str | None:
        """Return `00` for a national total row, the province code for a province row, else None.

        A name alone is a province only when it names no kabupaten/kota (`Bengkulu` is Kota Bengkulu) or says
        `Provinsi …`.
        """
        text = None if is_missing(name) else str(name)
        if code in NATIONAL_CODES or (text is not None and text.strip().lower() in NATIONAL_NAMES):
            return "00"
        if code is not None:
            province = re.fullmatch(r"(\d{2})(?:\.00)?", code)
            return province.group(1) if province and province.group(1) in self.province_names else None
        if text is None:
            return None
        stripped = _PROVINCE_PREFIX.sub("", text)
        if stripped == text and self.by_key.get(name_key(text)):
            return None
        return self.province_by_key.get(name_key(stripped)[1])

    def resolve(self, code: object, name: object, allow_province: bool = False) -> str:
        """Return the `PP.KK` code (or `PP` where provinces are allowed) for a row, or raise RegionError.

        Province and national total rows are refused with their own rules (`region_province_total`,
        `region_national_total`) where provinces are not allowed, as a statistics source is scored per kabupaten/kota.
        """
        has_code, has_name = not is_missing(code), not is_missing(name)
        if not has_code and not has_name:
            raise RegionError("region_missing", "neither a region code nor a region name is given")
        normalised = normalise_code(code) if has_code else None
        if allow_province and re.fullmatch(r"\d{2}", normalised or "") and normalised not in NATIONAL_CODES:
            return self.province(normalised, name)
        total = self.total_row(normalised, name)
        if total == "00":
            scope = ("lists kabupaten/kota and provinces" if allow_province else "is scored per kabupaten/kota")
            label = shorten(name) if has_name else "Indonesia"
            raise RegionError("region_national_total", f"a national total row ({label}): this source {scope}, "
                              "national totals are not used", about="code" if has_code else "name")
        if total is not None:
            if has_code:
                self.province(total, name)
            if allow_province:
                return total
            raise RegionError("region_province_total", f"a province row ({total} {self.province_names[total]}): "
                              "this source is scored per kabupaten/kota, province totals are not used",
                              about="code" if has_code else "name")
        resolved_name = self.by_name(str(name)) if has_name else None
        if not has_code:
            return resolved_name
        if normalised is None:
            raise RegionError("region_code_invalid", f"region code {quoted(code)} is not of the form 35.13 or 3513",
                              about="code")
        if re.fullmatch(r"\d{2}\.\d", str(code).strip()):
            if resolved_name == normalised:
                return normalised
            raise RegionError("region_code_ambiguous",
                              f"region code {quoted(code)} may be {normalised} with its trailing zero lost; "
                              "write the code as text (35.10) or add the region name to confirm it", about="code")
        if normalised not in self.names:
            hint = f"; the name points to {resolved_name} {self.names[resolved_name]}" if resolved_name else ""
            raise RegionError("region_unknown", f"region code {quoted(code)} is not in the Kemendagri 2025 list{hint}",
                              about="code")
        if resolved_name and resolved_name != normalised:
            raise RegionError(
                "region_code_name_mismatch",
                f"region code {quoted(code)} is {self.names[normalised]} but the name says {quoted(name)} "
                f"({resolved_name} {self.names[resolved_name]}); correct one of them", about="code",
            )
        return normalised
