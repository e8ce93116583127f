"""The Kemendagri 2025 region reference: 514 kabupaten/kota with province and island group."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
