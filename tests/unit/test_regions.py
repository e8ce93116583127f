import pytest

from pipelines.ingest.regions import RegionError, RegionResolver, normalise_code


@pytest.fixture
def resolver(reference_regions):
    from pipelines.ingest.reference import provinces
    from tests.conftest import ROOT

    return RegionResolver(reference_regions, provinces(ROOT / "data" / "reference"))


@pytest.mark.parametrize("code, name, expected", [
    ("35.13", None, "35.13"),
    (None, "Kab. Probolinggo", "35.13"),
    (None, "KABUPATEN  PROBOLINGGO", "35.13"),
    (None, "Kota Probolinggo", "35.74"),
    (None, "Kota Pematang Siantar", "12.72"),
    (None, "Kab Toli Toli", "72.04"),
    (None, "Kab. Kepulauan Siau Tagulandang Biaro", "71.09"),
    ("35.1", "Kabupaten Banyuwangi", "35.10"),
    ("35.13", "Kabupaten Probolinggo", "35.13"),
])
def test_resolves_codes_and_name_variants(resolver, code, name, expected):
    assert resolver.resolve(code, name) == expected


@pytest.mark.parametrize("code, name, rule, fragment", [
    (None, "Probolinggo", "region_ambiguous", "35.13 Kabupaten Probolinggo; 35.74 Kota Probolinggo"),
    (None, "Kota Atlantis", "region_unknown", "closest:"),
    ("35.13", "Kota Probolinggo", "region_code_name_mismatch", "Kabupaten Probolinggo"),
    ("35.1", None, "region_code_ambiguous", "35.10"),
    ("99.99", None, "region_unknown", "99.99"),
    (None, None, "region_missing", "neither"),
    ("abc", None, "region_code_invalid", "abc"),
])
def test_unresolvable_regions_say_why(resolver, code, name, rule, fragment):
    with pytest.raises(RegionError) as info:
        resolver.resolve(code, name)
    assert info.value.rule == rule
    assert fragment in str(info.value)


def test_unknown_name_lists_three_closest_candidates(resolver):
    with pytest.raises(RegionError) as info:
        resolver.resolve(None, "Kabupaten Probolingo")
    closest = str(info.value).split("closest: ")[1].split("; ")
    assert len(closest) == 3 and closest[0] == "35.13 Kabupaten Probolinggo"


def test_provinces_only_where_allowed(resolver):
    assert resolver.resolve("34", "Daerah Istimewa Yogyakarta", allow_province=True) == "34"
    with pytest.raises(RegionError):
        resolver.resolve("34", None)


def test_normalise_code_forms():
    assert [normalise_code(v) for v in ["35.13", "3513", 3513.0, "35-13", "35.1", "32", "x"]] == [
        "35.13", "35.13", "35.13", "35.13", "35.10", "32", None]


@pytest.mark.parametrize("code, name, rule, message", [
    ("35", "Jawa Timur", "region_province_total",
     "a province row (35 Jawa Timur): this source is scored per kabupaten/kota, province totals are not used"),
    ("3500", None, "region_province_total",
     "a province row (35 Jawa Timur): this source is scored per kabupaten/kota, province totals are not used"),
    (None, "Provinsi Jawa Timur", "region_province_total",
     "a province row (35 Jawa Timur): this source is scored per kabupaten/kota, province totals are not used"),
    (None, "Provinsi Bengkulu", "region_province_total",
     "a province row (17 Bengkulu): this source is scored per kabupaten/kota, province totals are not used"),
    (None, "DKI Jakarta", "region_province_total",
     "a province row (31 Daerah Khusus Ibukota Jakarta): this source is scored per kabupaten/kota, "
     "province totals are not used"),
    (None, "INDONESIA", "region_national_total",
     "a national total row (INDONESIA): this source is scored per kabupaten/kota, national totals are not used"),
    ("00", None, "region_national_total",
     "a national total row (Indonesia): this source is scored per kabupaten/kota, national totals are not used"),
    ("35", "Jawa Barat", "region_code_name_mismatch", "province code '35' is Jawa Timur but the name says 'Jawa Barat'"),
])
def test_province_and_national_rows_have_their_own_rules(resolver, code, name, rule, message):
    with pytest.raises(RegionError) as info:
        resolver.resolve(code, name)
    assert (info.value.rule, str(info.value)) == (rule, message)


def test_a_bare_name_shared_by_a_kota_and_its_province_is_the_kota(resolver):
    assert resolver.resolve(None, "Bengkulu") == "17.71"


@pytest.mark.parametrize("code, name, expected", [
    ("35", "Jawa Timur", "35"), ("35.00", None, "35"), (None, "Provinsi Jawa Barat", "32"), ("31", "DKI Jakarta", "31"),
    (None, "DI Yogyakarta", "34"),
])
def test_provinces_are_accepted_where_the_source_allows_them(resolver, code, name, expected):
    assert resolver.resolve(code, name, allow_province=True) == expected


def test_long_names_are_shortened_in_messages(resolver):
    with pytest.raises(RegionError) as info:
        resolver.resolve(None, "Kota " + "A" * 300)
    assert str(info.value).startswith("region name 'Kota " + "A" * 73 + "… is not in the Kemendagri 2025 list")
