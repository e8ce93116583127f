"""The region reference: Kemendagri 2025's 514 kabupaten/kota with province and island group, the aliases, province
and region splits beside it in data/reference/, and a BPS crosswalk when the user has installed one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.ingest.regions import RegionResolver
from pipelines.settings import CROSSWALK

ISLAND_GROUPS = {
    "1": "Sumatera",
    "2": "Kepulauan Riau",
    "3": "Jawa",
    "5": "Bali dan Nusa Tenggara",
    "6": "Kalimantan",
    "7": "Sulawesi",
    "8": "Maluku",
    "9": "Papua",
}
# DKI Jakarta's kabupaten/kota are administrative units without their own budget.
NON_AUTONOMOUS_PROVINCES = {"31"}


def regions(reference_dir: Path) -> pd.DataFrame:
    """Return reference.regions: one row per kabupaten/kota, keyed by region_code (`PP.KK`)."""
    regencies = pd.read_csv(reference_dir / "regions" / "regencies.csv", dtype=str)
    provinces = pd.read_csv(reference_dir / "regions" / "provinces.csv", dtype=str)
    df = regencies.rename(columns={"code": "region_code", "name": "region_name"}).merge(
        provinces.rename(columns={"code": "province_code", "name": "province_name"}),
        on="province_code",
        how="left",
        validate="many_to_one",
    )
    regency_number = df["region_code"].str.split(".").str[1].astype(int)
    df["region_type"] = pd.Series("kabupaten", index=df.index).where(regency_number < 71, "kota")
    df["island_group_code"] = df["province_code"].str[0]
    df["island_group"] = df["island_group_code"].map(ISLAND_GROUPS)
    df["is_autonomous"] = ~df["province_code"].isin(NON_AUTONOMOUS_PROVINCES)
    columns = ["region_code", "region_name", "region_type", "province_code", "province_name",
               "island_group_code", "island_group", "is_autonomous"]
    return df[columns].sort_values("region_code").reset_index(drop=True)


def provinces(reference_dir: Path) -> pd.DataFrame:
    """Return reference.provinces: one row per province, keyed by province_code (`PP`)."""
    df = pd.read_csv(reference_dir / "regions" / "provinces.csv", dtype=str)
    df = df.rename(columns={"code": "province_code", "name": "province_name"})
    df["island_group_code"] = df["province_code"].str[0]
    df["island_group"] = df["island_group_code"].map(ISLAND_GROUPS)
    return df.sort_values("province_code").reset_index(drop=True)


CROSSWALK_COLUMNS = ("kode_bps", "kode_dagri")


class ReferenceDataError(ValueError):
    """A reference file (an alias table, a crosswalk) that cannot be used; the message names the file."""


def _table(path: Path, required: tuple[str, ...]) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ReferenceDataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    df.columns = [c.strip().lower() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{path}: column {missing[0]} is missing (the columns are {', '.join(df.columns)})")
    return df


def crosswalk(reference_dir: Path) -> pd.DataFrame | None:
    """Return the installed BPS↔Kemendagri crosswalk (kode_bps, kode_dagri, nama_dagri, nama_bps), or None."""
    path = reference_dir / CROSSWALK
    df = _table(path, CROSSWALK_COLUMNS)
    if df is None:
        return None
    for column in ("nama_dagri", "nama_bps"):
        if column not in df.columns:
            df[column] = None
    df["kode_bps"] = df["kode_bps"].str.strip()
    bad = df.loc[~df["kode_bps"].fillna("").str.fullmatch(r"\d{4}"), "kode_bps"]
    if not bad.empty:
        raise ReferenceDataError(f"{path}: kode_bps {bad.iloc[0]!r} is not a four-digit BPS code")
    repeated = df.loc[df["kode_bps"].duplicated(), "kode_bps"]
    if not repeated.empty:
        raise ReferenceDataError(f"{path}: kode_bps {repeated.iloc[0]} is listed twice")
    return df


def province_splits(reference_dir: Path) -> pd.DataFrame | None:
    """Return the provinces formed from another (province_code, successor_code, year, source), or None."""
    return _table(reference_dir / "province_splits.csv", ("province_code", "successor_code", "year"))


def resolver(reference_dir: Path) -> RegionResolver:
    """Return the region resolver over the reference: regions, aliases, province splits and any installed crosswalk."""
    made = RegionResolver(
        regions(reference_dir), provinces(reference_dir),
        aliases=_table(reference_dir / "region_aliases.csv", ("province_code", "written", "region_code", "source")),
        province_splits=province_splits(reference_dir),
        region_splits=_table(reference_dir / "region_splits.csv", ("region_code", "parent_code", "year")),
        crosswalk=crosswalk(reference_dir))
    if made.crosswalk_problems:
        raise ReferenceDataError(f"{reference_dir / CROSSWALK}: {made.crosswalk_problems[0]}"
                                 + (f" (and {len(made.crosswalk_problems) - 1} more)"
                                    if len(made.crosswalk_problems) > 1 else ""))
    return made

