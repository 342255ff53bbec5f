"""Tests for the static reference data the seed loads (SPEC §9)."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pycountry
import pytest

from services import reference_data as ref
from services import rules

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

REGIONS_CSV = Path("/work/shared/data/regions.csv")
LABOUR_DEFICIT = {"KZ-10", "KZ-11", "KZ-23", "KZ-27", "KZ-39", "KZ-55", "KZ-59", "KZ-63"}


def region_codes() -> set[str]:
    return {r["code"] for r in ref.REGIONS}


# --------------------------------------------------------------------------
# regions


def test_twenty_regions_with_unique_codes() -> None:
    assert len(ref.REGIONS) == 20
    assert len(region_codes()) == 20
    assert Counter(r["kind"] for r in ref.REGIONS) == {"oblast": 17, "city": 3}


def test_eight_labour_deficit_regions() -> None:
    assert {r["code"] for r in ref.REGIONS if r["labour_deficit"]} == LABOUR_DEFICIT


def test_region_codes_are_iso_3166_2_kz_per_pycountry() -> None:
    kz = {s.code for s in pycountry.subdivisions.get(country_code="KZ")}
    # pycountry 26.x carries all 20 current first-level units, including the
    # 2022 regions KZ-10 Abai, KZ-33 Zhetysu and KZ-62 Ulytau.
    assert region_codes() == kz


def test_region_rows_are_complete() -> None:
    for r in ref.REGIONS:
        assert set(r) == {"code", "name_kk", "name_ru", "name_en", "kind", "labour_deficit", "kandas_quota"}
        for key in ("name_kk", "name_ru", "name_en"):
            assert isinstance(r[key], str) and r[key].strip() == r[key] and r[key]
        assert isinstance(r["labour_deficit"], bool)
        quota = r["kandas_quota"]
        if r["labour_deficit"]:
            assert set(quota) == {2025, 2026}
            assert all(isinstance(v, int) and v > 0 for v in quota.values())
        else:
            assert quota == {}


def test_kandas_quota_totals() -> None:
    assert sum(r["kandas_quota"].get(2026, 0) for r in ref.REGIONS) == 2281
    assert sum(r["kandas_quota"].get(2025, 0) for r in ref.REGIONS) == 2309


def test_kandas_quota_2026_per_region_as_in_spec() -> None:
    by_code = {r["code"]: r["kandas_quota"].get(2026) for r in ref.REGIONS if r["labour_deficit"]}
    assert by_code == {
        "KZ-55": 977,
        "KZ-11": 285,
        "KZ-10": 264,
        "KZ-63": 200,
        "KZ-59": 200,
        "KZ-39": 200,
        "KZ-23": 125,
        "KZ-27": 30,
    }


@pytest.mark.skipif(not REGIONS_CSV.exists(), reason="shared data folder not available")
def test_regions_match_the_csv() -> None:
    with REGIONS_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = []
    for row in rows:
        quota = {}
        for year in (2025, 2026):
            cell = row[f"kandas_quota_{year}"]
            if cell:
                quota[year] = int(cell)
        expected.append(
            {
                "code": row["iso_code"],
                "name_kk": row["name_kk"],
                "name_ru": row["name_ru"],
                "name_en": row["name_en"],
                "kind": row["kind"],
                "labour_deficit": row["labour_deficit"] == "true",
                "kandas_quota": quota,
            }
        )
    assert ref.REGIONS == expected


# --------------------------------------------------------------------------
# occupations


def test_occupations_are_well_formed_and_unique() -> None:
    assert 30 <= len(ref.OCCUPATIONS) <= 60
    codes = [o["code"] for o in ref.OCCUPATIONS]
    assert len(set(codes)) == len(codes)
    for o in ref.OCCUPATIONS:
        assert set(o) == {"code", "name_en", "name_ru"}
        assert rules.occupation_code_problem(o["code"]) is None
        assert o["name_en"] and o["name_ru"]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("2211", "Generalist medical practitioners"),
        ("2221", "Nursing professionals"),
        ("2341", "Primary school teachers"),
        ("2330", "Secondary education teachers"),
        ("7411", "Building and related electricians"),
        ("7212", "Welders and flamecutters"),
        ("7231", "Motor vehicle mechanics and repairers"),
        ("8332", "Heavy truck and lorry drivers"),
        ("3113", "Electrical engineering technicians"),
        ("2142", "Civil engineers"),
        ("2512", "Software developers"),
        ("6111", "Field crop and vegetable growers"),
        ("6121", "Livestock and dairy producers"),
        ("8341", "Mobile farm and forestry plant operators"),
        ("7115", "Carpenters and joiners"),
        ("7126", "Plumbers and pipe fitters"),
        ("3221", "Nursing associate professionals"),
        ("2261", "Dentists"),
        ("2262", "Pharmacists"),
        ("8111", "Miners and quarriers"),
        ("5120", "Cooks"),
        ("2411", "Accountants"),
        ("7233", "Agricultural and industrial machinery mechanics and repairers"),
    ],
)
def test_known_isco_08_unit_groups(code: str, name: str) -> None:
    by_code = {o["code"]: o["name_en"] for o in ref.OCCUPATIONS}
    assert by_code[code] == name


def test_deficit_occupations_cover_exactly_the_deficit_regions() -> None:
    assert set(ref.DEFICIT_OCCUPATIONS) == LABOUR_DEFICIT
    deficit_regions = {r["code"] for r in ref.REGIONS if r["labour_deficit"]}
    assert set(ref.DEFICIT_OCCUPATIONS) <= deficit_regions


def test_deficit_occupations_exist_and_have_positive_quotas() -> None:
    known = {o["code"] for o in ref.OCCUPATIONS}
    for region, entries in ref.DEFICIT_OCCUPATIONS.items():
        assert 5 <= len(entries) <= 10, region
        codes = [code for code, _ in entries]
        assert len(set(codes)) == len(codes), region
        for code, capacity in entries:
            assert code in known, (region, code)
            assert isinstance(capacity, int) and not isinstance(capacity, bool)
            assert capacity > 0


def test_deficit_list_is_marked_illustrative() -> None:
    assert ref.__doc__ is not None and "ILLUSTRATIVE" in ref.__doc__


# --------------------------------------------------------------------------
# agencies and checks


def test_agencies() -> None:
    codes = [a["code"] for a in ref.AGENCIES]
    assert len(set(codes)) == len(codes)
    assert {"GPO", "KNB", "MVD_MIGRATION", "MOH", "NCT", "ENBEK"} <= set(codes)
    assert all(set(a) == {"code", "name"} and a["name"] for a in ref.AGENCIES)


def test_check_types_belong_to_known_agencies() -> None:
    agencies = {a["code"] for a in ref.AGENCIES}
    codes = [c["code"] for c in ref.CHECK_TYPES]
    assert len(set(codes)) == len(codes)
    for c in ref.CHECK_TYPES:
        assert set(c) == {"code", "name", "agency_code", "mandatory", "active"}
        assert c["agency_code"] in agencies
        assert isinstance(c["mandatory"], bool) and c["active"] is True


def test_mandatory_check_types() -> None:
    owner = {c["code"]: (c["agency_code"], c["mandatory"]) for c in ref.CHECK_TYPES}
    assert owner["CRIMINAL_RECORD"] == ("GPO", True)
    assert owner["NATIONAL_SECURITY"] == ("KNB", True)
    assert owner["DOCUMENT_AUTHENTICITY"] == ("MVD_MIGRATION", True)
    assert owner["MEDICAL"] == ("MOH", True)
    assert any(not mandatory for _, mandatory in owner.values())


def test_grants_refer_to_known_rows_and_not_to_own_types() -> None:
    agencies = {a["code"] for a in ref.AGENCIES}
    owner = {c["code"]: c["agency_code"] for c in ref.CHECK_TYPES}
    assert len(set(ref.CHECK_TYPE_GRANTS)) == len(ref.CHECK_TYPE_GRANTS)
    for agency, check_type in ref.CHECK_TYPE_GRANTS:
        assert agency in agencies
        assert check_type in owner
        assert owner[check_type] != agency
    assert ("MVD_MIGRATION", "CRIMINAL_RECORD") in ref.CHECK_TYPE_GRANTS
    assert ("KNB", "DOCUMENT_AUTHENTICITY") in ref.CHECK_TYPE_GRANTS


# --------------------------------------------------------------------------
# money


def test_mrp_values() -> None:
    assert ref.MRP == {2025: Decimal("3932"), 2026: Decimal("4325")}
    assert all(isinstance(v, Decimal) for v in ref.MRP.values())


def test_support_measures() -> None:
    by_code = {m["code"]: m for m in ref.SUPPORT_MEASURES}
    assert len(by_code) == len(ref.SUPPORT_MEASURES) == 3
    assert (by_code["RELOCATION"]["cap_mrp"], by_code["RELOCATION"]["per_family_member"]) == (
        Decimal("70"),
        True,
    )
    assert (by_code["HOUSING_RENT"]["cap_mrp"], by_code["HOUSING_RENT"]["per_family_member"]) == (
        Decimal("360"),
        False,
    )
    assert (
        by_code["HOUSING_CERTIFICATE"]["cap_mrp"],
        by_code["HOUSING_CERTIFICATE"]["per_family_member"],
    ) == (Decimal("1625"), False)
    for m in ref.SUPPORT_MEASURES:
        assert isinstance(m["cap_mrp"], Decimal) and m["name"]


def test_termination_reasons() -> None:
    refundable = {r["code"]: r["refundable"] for r in ref.TERMINATION_REASONS}
    assert refundable == {
        "LEFT_REGION": True,
        "VOLUNTARY": True,
        "BREACH": True,
        "DEATH": False,
        "DISABILITY": False,
        "FORCE_MAJEURE": False,
    }
    assert all(r["name"] for r in ref.TERMINATION_REASONS)


def test_no_floats_anywhere() -> None:
    def walk(value: object) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for name in ref.__all__:
        walk(getattr(ref, name))
