"""Resolve region codes and names as written in the wild to the reference `PP.KK` code."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import pandas as pd

from pipelines.ingest.parsers import MESSAGE_VALUE_CHARS, is_missing, quoted, shorten

_TYPE_WORDS = {"kabupaten": "kabupaten", "kab": "kabupaten", "kota": "kota"}
_PROVINCE_PREFIX = re.compile(r"(?i)^\s*prov(insi|\.)?\s+")
# Official province names and the short forms tables use for them (DKI Jakarta, DI Yogyakarta).
_PROVINCE_SHORT = {"daerah khusus ibukota ": "dki ", "daerah istimewa ": "di "}
# How statistics tables write the national total row.
NATIONAL_NAMES = {"indonesia", "nasional"}
NATIONAL_CODES = {"00", "00.00"}
CODE_SCHEMES = ("kemendagri", "bps")
# The words a message gives for fixing a four-digit code that could be read two ways.
SCHEME_HINT = ("write Kemendagri codes with a dot (35.13), add the region name, or declare the folder's codes with "
               "`code_scheme: kemendagri` (or `bps`, with a BPS crosswalk installed) in its _source.yaml")


class RegionError(ValueError):
    """A region that cannot be resolved; `rule` names the check, `about` whether the code or the name is at fault."""

    def __init__(self, rule: str, message: str, about: str = "name"):
        super().__init__(message)
        self.rule = rule
        self.about = about


@dataclass(frozen=True)
class FileRegions:
    """What a whole file says about its regions: its code scheme, and the kota it writes as `Kota …` per block."""

    scheme: str | None = None                     # "kemendagri", "bps" or None when undeclared
    kota_written: frozenset = frozenset()         # (province code of the block or None, base name)
    bare_is_kabupaten: bool = False               # a BPS export: every kota is written `Kota …`


NO_FILE = FileRegions()


def name_key(name: str) -> tuple[str | None, str]:
    """Return (region type or None, squashed base name) so that spelling variants compare equal."""
    s = name.lower().replace("\u00a0", " ")
    s = re.sub(r"\bkep\b\.?", "kepulauan", s)
    s = re.sub(r"[.\-_/,()'*]", " ", s)   # `*` marks a footnote in BPS tables (`Nduga *`)
    words = [w for w in s.split() if w != "administrasi"]
    region_type = None
    if words and words[0] in _TYPE_WORDS:
        region_type = _TYPE_WORDS[words[0]]
        words = words[1:]
    return region_type, "".join(words)


def _code_text(value: object) -> str:
    """Return a code cell as text: a number cell 3513.0 as `3513`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def normalise_code(value: object) -> str | None:
    """Return a `PP.KK` or `PP` code from `35.13`, `3513`, 3513, `35.1` (→ `35.10`); None if not code-shaped."""
    if is_missing(value):
        return None
    s = _code_text(value).replace(" ", "")
    if s == "0":
        # How tables that list the nation beside its regions code it (Kemendagri's lists give it 0).
        return "00"
    if m := re.fullmatch(r"(\d{2})[.\-]?(\d{2})", s):
        return f"{m.group(1)}.{m.group(2)}"
    if m := re.fullmatch(r"(\d{2})\.(\d)", s):
        # A spreadsheet turned 35.10 into 35.1.
        return f"{m.group(1)}.{m.group(2)}0"
    if re.fullmatch(r"\d{2}", s):
        return s
    return None


def bare_digits(value: object) -> str | None:
    """Return the four digits of a code written without a separator (`3513`, 3513), which BPS also uses; else None."""
    if is_missing(value):
        return None
    s = _code_text(value)
    return s if re.fullmatch(r"\d{4}", s) else None


def province_key(name: object) -> str:
    """Return a province name in comparable form, without `Provinsi`/`Prov.` (`PROV. JAWA TIMUR` = `Jawa Timur`)."""
    return name_key(_PROVINCE_PREFIX.sub("", str(name)))[1]


def is_capitals(text: str) -> bool:
    """Return True for text written in capitals (BPS writes province rows so: `JAWA TIMUR`)."""
    return any(c.isalpha() for c in text) and text == text.upper()


@dataclass
class RegionResolver:
    """Resolves codes and names against the reference regions, with the reference's aliases, province splits,
    region splits and (when installed) a BPS↔Kemendagri crosswalk."""

    reference: pd.DataFrame
    provinces: pd.DataFrame | None = None
    aliases: pd.DataFrame | None = None            # province_code, written, region_code, change, year, source
    province_splits: pd.DataFrame | None = None    # province_code, successor_code, year
    region_splits: pd.DataFrame | None = None      # region_code, parent_code, year: a region formed from another
    crosswalk: pd.DataFrame | None = None          # kode_bps, kode_dagri, nama_dagri (nama_bps)
    crosswalk_problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.names = dict(zip(self.reference["region_code"], self.reference["region_name"]))
        self.province_of = dict(zip(self.reference["region_code"], self.reference["province_code"]))
        self.region_type = dict(zip(self.reference["region_code"], self.reference["region_type"]))
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
        self.successors: dict[str, list[str]] = {}
        for old, new in ([] if self.province_splits is None
                         else zip(self.province_splits["province_code"], self.province_splits["successor_code"])):
            self.successors.setdefault(old, []).append(new)
        # An alias applies in its province; anywhere too when no other alias and no region share its name.
        self.alias_of: dict[tuple[str | None, str], list[tuple[str | None, str]]] = {}
        for province, written, code in ([] if self.aliases is None else
                                        self.aliases[["province_code", "written", "region_code"]].itertuples(index=False)):
            written_type, base = name_key(written)
            for where in (None if is_missing(province) else province, None):
                self.alias_of.setdefault((where, base), []).append((written_type, code))
        for (where, base), entries in list(self.alias_of.items()):
            if where is None and (len({c for _, c in entries}) > 1 or (None, base) in self.by_key):
                del self.alias_of[(where, base)]
        self.formed: dict[str, list[tuple[int, str, str]]] = {}
        for child, parent, year in ([] if self.region_splits is None else
                                    self.region_splits[["region_code", "parent_code", "year"]].itertuples(index=False)):
            self.formed.setdefault(child, []).append((int(year), child, parent))
            self.formed.setdefault(parent, []).append((int(year), child, parent))
        self.bps = self._translated_crosswalk()

    def split_since(self, code: str, year: int) -> str | None:
        """Return why a value for `year` cannot be this region's own (it was formed, or split, after), else None."""
        later = sorted(s for s in self.formed.get(code, []) if s[0] > year)
        if not later:
            return None
        formed, child, parent = later[0]
        if child == code:
            return (f"{self.names[code]} was formed from {self.names[parent]} in {formed}: a value for {year} is not its "
                    "own; give values from its first year on")
        others = ", ".join(self.names[c] for _, c, _ in later)
        return (f"in {year} {self.names[code]} still included {others} (split off from {later[0][0]}): the value covers "
                "more than today's region and is given to neither")

    def _translated_crosswalk(self) -> dict[str, str] | None:
        """Return BPS code → Kemendagri 2025 code (and fill `dagri2020`, the crosswalk's Kemendagri code → 2025)."""
        self.dagri2020: dict[str, str] = {}
        if self.crosswalk is None:
            return None
        out = {}
        for bps, dagri, dagri_name, bps_name in self.crosswalk[["kode_bps", "kode_dagri", "nama_dagri", "nama_bps"]] \
                .itertuples(index=False):
            code = normalise_code(dagri)
            # Kemendagri codes outside the split provinces are stable (and the crosswalk's names are cut short:
            # `KAB. OGAN KOMERING ULU` for Ogan Komering Ulu Selatan); a split province's regions are found by name.
            found = code if code in self.names and code[:2] not in self.successors else None
            for name in (dagri_name, bps_name):
                if found is None and code and not is_missing(name):
                    try:
                        found = self.by_name(str(name), self.within(code[:2]))
                    except RegionError:
                        pass
            if found is None:
                self.crosswalk_problems.append(f"BPS {bps} ({dagri} {dagri_name}) matches no 2025 region")
            else:
                out[str(bps).strip()] = found
                self.dagri2020[code.replace(".", "")] = found
        return out

    def within(self, province: str) -> tuple[str, ...]:
        """Return a province and the provinces split from it since (a pre-2022 Papua block holds the new ones)."""
        return (province, *self.successors.get(province, []))

    def candidates(self, name: str, n: int = 3, provinces: tuple[str, ...] | None = None) -> list[str]:
        """Return up to n reference regions closest to a name, as `code name`, best first."""
        # difflib is quadratic: a 100,000-character cell would take minutes, and no region name is near that long.
        target = name_key(name)[1][:MESSAGE_VALUE_CHARS]
        ratio = {code: difflib.SequenceMatcher(None, target, name_key(label)[1]).ratio()
                 for code, label in self.names.items() if provinces is None or self.province_of[code] in provinces}
        best = sorted(ratio, key=lambda code: (-ratio[code], code))[:n]
        return [f"{code} {self.names[code]}" for code in best]

    def by_name(self, name: str, provinces: tuple[str, ...] | None = None, file: FileRegions = NO_FILE) -> str:
        """Return the code of a region name, or raise RegionError when it matches none or several.

        Within `provinces` (a province block, or a province column) only their regions count, and a bare name that is
        a kabupaten and a kota there is the kabupaten when the same file writes the kota as `Kota …` in the same
        province (BPS's convention; in a BPS export a bare name is always a kabupaten); without a province such a
        name stays ambiguous.
        A name written `old / new` (BPS's way with renamed regions) is the region both halves agree on.
        """
        key = name_key(name)
        if (aliased := self._alias(key, provinces)) is not None:
            return aliased
        if key[0] is None and provinces and (file.bare_is_kabupaten or (provinces[0], key[1]) in file.kota_written):
            # BPS's convention: it writes every kota `Kota X`, so a bare `X` (beside `Kota X` in the same province,
            # or anywhere in a BPS export) is the kabupaten.
            key = ("kabupaten", key[1])
            if (aliased := self._alias(key, provinces)) is not None:
                return aliased
        codes = [c for c in self.by_key.get(key, []) if provinces is None or self.province_of[c] in provinces]
        if not codes and "/" in name:
            halves = set()
            for half in name.split("/"):
                try:
                    halves.add(self.by_name(half, provinces, file))
                except RegionError:
                    halves.add(None)
            if len(halves) == 1 and None not in halves:
                return halves.pop()
        if len(codes) == 1:
            return codes[0]
        where = "" if provinces is None else f" of {self.province_names.get(provinces[0], provinces[0])}"
        if codes:
            options = "; ".join(f"{c} {self.names[c]}" for c in sorted(codes))
            raise RegionError("region_ambiguous",
                              f"region name {quoted(name)} matches several regions{where} ({options}); "
                              "write 'Kabupaten …' or 'Kota …', or give the code")
        close = "; ".join(self.candidates(name, provinces=provinces))
        what = "in the Kemendagri 2025 list" if provinces is None else f"a kabupaten/kota{where} in the Kemendagri 2025 list"
        raise RegionError("region_unknown", f"region name {quoted(name)} is not {what}; closest: {close}")

    def _alias(self, key: tuple[str | None, str], provinces: tuple[str, ...] | None) -> str | None:
        """Return the region an alias (data/reference/region_aliases.csv) gives a name, in its province or anywhere.

        `Kota Makasar` matches the alias `Kota Makasar`; `Kabupaten Toba Samosir` and `Toba Samosir` match the alias
        `Toba Samosir`, whose region is a kabupaten; a bare `Baru` does not match `Kota Baru`.
        """
        written_type, base = key
        for province in (*(provinces or ()), None):
            for alias_type, code in self.alias_of.get((province, base), []):
                if written_type == alias_type or (alias_type is None and written_type == self.region_type[code]):
                    return code
        return None

    def block(self, province_name: object) -> tuple[str, ...] | None:
        """Return the provinces a row's province (a block row or a province column) stands for, or None if not given."""
        if is_missing(province_name):
            return None
        text = _code_text(province_name)
        code = text if text in self.province_names else self.province_by_key.get(province_key(text))
        if code is None:
            raise RegionError("region_province_unknown", f"province {quoted(province_name)} is not a province in the "
                                                         "Kemendagri 2025 list")
        return self.within(code)

    def province(self, code: str, name: object) -> str:
        """Return a 2-digit province code after checking it exists and agrees with the name if one is given."""
        if code not in self.province_names:
            raise RegionError("region_unknown", f"province code {quoted(code)} is not in the Kemendagri 2025 list",
                              about="code")
        if not is_missing(name) and self.province_by_key.get(province_key(name)) != code:
            raise RegionError("region_code_name_mismatch",
                              f"province code {quoted(code)} is {self.province_names[code]} but the name says "
                              f"{quoted(name)}", about="code")
        return code

    def total_row(self, code: str | None, name: object, provinces: tuple[str, ...] | None = None) -> str | None:
        """Return `00` for a national total row, the province code for a province row, else None.

        A name alone is a province only when it names no kabupaten/kota (`Bengkulu` is Kota Bengkulu) or says
        `Provinsi …`, or when it is its own province block written in capitals (BPS's `GORONTALO`).
        """
        text = None if is_missing(name) else str(name)
        if code in NATIONAL_CODES or (text is not None and text.strip().lower() in NATIONAL_NAMES):
            return "00"
        if code is not None:
            province = re.fullmatch(r"(\d{2})(?:\.00)?", code)
            return province.group(1) if province and province.group(1) in self.province_names else None
        if text is None:
            return None
        if name_key(text)[0] is not None:
            return None   # `KAB. GORONTALO`, `KOTA JAMBI`: a kabupaten/kota named like its province
        own = self.province_by_key.get(province_key(text))
        if provinces is not None and own == provinces[0] and is_capitals(text):
            return own
        if _PROVINCE_PREFIX.sub("", text) == text and self.by_key.get(name_key(text)):
            return None
        return own

    def _code(self, code: object, scheme: str | None, name: object, resolved_name: str | None) -> str:
        """Return the Kemendagri code a row's code stands for, reading a bare four-digit code by the file's scheme."""
        digits = bare_digits(code)
        normalised = normalise_code(code)
        if digits is None or scheme == "kemendagri":
            return normalised
        as_bps = None if self.bps is None else self.bps.get(digits)
        if scheme == "bps":
            if as_bps is None:
                raise RegionError("region_unknown", f"BPS code {quoted(code)} is not in the installed BPS crosswalk",
                                  about="code")
            return as_bps
        # Every region the code could stand for: Kemendagri's current code, BPS's code, and (with a crosswalk) the
        # Kemendagri code of 2020 it lists, which for the regions moved to the 2022 Papua provinces is another one.
        as_2020 = self.dagri2020.get(digits)
        readings = {label: region for label, region in (
            ("Kemendagri", normalised if normalised in self.names else None), (f"BPS {digits} =", as_bps),
            ("Kemendagri of 2020", as_2020 if as_2020 != normalised else None)) if region is not None}
        if resolved_name is not None:
            if resolved_name in readings.values():
                return resolved_name
            bps_part = (f"; as a BPS code it is {as_bps} {self.names[as_bps]}" if as_bps else
                        "; if the file's codes are BPS codes, install a BPS crosswalk or declare `code_scheme: bps`"
                        if self.bps is None else "")
            read = (f"is {self.names[normalised]} as a Kemendagri code" if normalised in self.names
                    else "is no Kemendagri 2025 code")
            raise RegionError("region_code_name_mismatch",
                              f"region code {quoted(code)} {read}{bps_part}, but the name says {quoted(name)} "
                              f"({resolved_name} {self.names[resolved_name]}); correct one of them", about="code")
        if as_bps is not None and as_bps == readings.get("Kemendagri") and len(set(readings.values())) == 1:
            return normalised
        if not readings:
            what = ("is neither a Kemendagri 2025 code nor a BPS code in the installed crosswalk" if self.bps is not None
                    else "is not a Kemendagri 2025 code; if it is a BPS code, install a BPS crosswalk "
                         "(docs/inputs.md, \"Region codes\")")
            raise RegionError("region_unknown", f"region code {quoted(code)} {what}", about="code")
        options = [f"{label} {region} {self.names[region]}" for label, region in readings.items()]
        if self.bps is None:
            options.append("a BPS code (no BPS crosswalk is installed to read it)")
        elif as_bps is None:
            options.append("a BPS code the installed crosswalk does not list (one BPS gave after it)")
        raise RegionError("region_code_ambiguous", f"region code {quoted(code)} could be {' or '.join(options)}; "
                                                   + SCHEME_HINT, about="code")

    def resolve(self, code: object, name: object, allow_province: bool = False, province: object = None,
                file: FileRegions = NO_FILE) -> str:
        """Return the `PP.KK` code (or `PP` where provinces are allowed) for a row, or raise RegionError.

        `province` is the row's province (its block in a BPS export, or a province column): names are looked up
        there. Province and national total rows are refused with their own rules (`region_province_total`,
        `region_national_total`) where provinces are not allowed, as a statistics source is scored per kabupaten/kota.
        """
        has_code, has_name = not is_missing(code), not is_missing(name)
        if not has_code and not has_name:
            raise RegionError("region_missing", "neither a region code nor a region name is given")
        normalised = normalise_code(code) if has_code else None
        if allow_province and re.fullmatch(r"\d{2}", normalised or "") and normalised not in NATIONAL_CODES:
            return self.province(normalised, name)
        total = self.total_row(normalised, name, None)
        provinces = None
        if total is None and has_name:
            try:
                provinces = self.block(province)
            except RegionError:
                # A province written some other way (`Jatim`) adds nothing to a name that is unique anyway.
                if len(self.by_key.get(name_key(str(name)), [])) != 1:
                    raise
            total = self.total_row(normalised, name, provinces)
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
        resolved_name = self.by_name(str(name), provinces, file) if has_name else None
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
        read = self._code(code, file.scheme, name, resolved_name)
        if read not in self.names:
            hint = f"; the name points to {resolved_name} {self.names[resolved_name]}" if resolved_name else ""
            raise RegionError("region_unknown", f"region code {quoted(code)} is not in the Kemendagri 2025 list{hint}",
                              about="code")
        if resolved_name and resolved_name != read:
            raise RegionError(
                "region_code_name_mismatch",
                f"region code {quoted(code)} is {self.names[read]} but the name says {quoted(name)} "
                f"({resolved_name} {self.names[resolved_name]}); correct one of them", about="code",
            )
        return read
