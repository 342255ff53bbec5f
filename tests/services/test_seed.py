"""The reference data of SPEC §9 as the seed leaves it in the database, and the
seed's idempotence. The test database was seeded once by the template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models as m
from core.db import transaction
from models.enums import QuotaKind, ScoringModelStatus
from services.default_model import (DEFAULT_MODEL_DEFINITION, FIRST_MODEL_DEFINITION, LAW_ABIDING_MODEL_DEFINITION,
                                    SOLVENCY_EXEMPT_MODEL_DEFINITION)
from services.scoring_models import model_in_force
from services.seed import seed
from tests.conftest import GQL

KANDAS_2026 = {
    "KZ-55": 977,  # Pavlodar
    "KZ-11": 285,  # Akmola
    "KZ-10": 264,  # Abai
    "KZ-63": 200,  # East Kazakhstan
    "KZ-59": 200,  # North Kazakhstan
    "KZ-39": 200,  # Kostanay
    "KZ-23": 125,  # Atyrau
    "KZ-27": 30,  # West Kazakhstan
}

# SPEC §3 "The default model", written out here independently of the code.
SPEC_GATES = [
    ("language.level", "min", "A1", None),
    ("language.minBlockPercent", "min", 30, None),
    ("checks.mandatoryCleared", "equals", True, None),
    ("interview.outcome", "equals", "PASSED", None),
    ("applicant.age", "min", 18, None),
    ("questionnaire.deportedBefore", "equals", False, None),
    ("questionnaire.savingsMrp", "min", 1320, ["GENERAL"]),
]
LEVEL_POINTS = {"NONE": 0, "BASIC": 20, "FLUENT": 40}
SPEC_CRITERIA: dict[str, tuple[str, Any, int]] = {
    # code: (source, points map or bands as (min, max, points), max)
    "kazakh": ("language.level", {"A1": 50, "A2": 80, "B1": 110, "B2": 130, "C1": 150}, 150),
    "age": ("applicant.age", [(18, 29, 100), (30, 39, 80), (40, 49, 50), (50, 59, 20), (60, None, 0)], 100),
    "education": ("questionnaire.educationLevel",
                  {"NONE": 0, "SECONDARY": 30, "VOCATIONAL": 60, "BACHELOR": 100, "MASTER": 120, "DOCTORATE": 140},
                  140),
    "experience": ("questionnaire.workExperienceYears",
                   [(0, 0, 0), (1, 2, 30), (3, 5, 60), (6, 9, 80), (10, None, 100)], 100),
    "russian": ("questionnaire.russian", LEVEL_POINTS, 40),
    "english": ("questionnaire.english", LEVEL_POINTS, 40),
    "deficit_occupation": ("questionnaire.occupationInDeficit", {"true": 60, "false": 0}, 60),
    "relatives": ("questionnaire.relativesInKazakhstan", {"true": 30, "false": 0}, 30),
    "prior_stay": ("questionnaire.priorStayInKazakhstan", {"true": 30, "false": 0}, 30),
}


async def table_counts(session: AsyncSession) -> dict[str, int]:
    return {
        name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
        for name, table in m.metadata.tables.items()
    }


async def test_seeding_again_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        before = await table_counts(session)
    assert before["region"] == 20 and before["scoring_model"] == 4  # the template was seeded

    async with transaction(sessions) as session:
        report = await seed(session)
    assert report.total == 0, report.created
    assert report.created == {}

    async with sessions() as session:
        assert await table_counts(session) == before


async def test_regions_and_labour_deficit(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        regions = (await s.execute(select(m.Region))).scalars().all()
    assert len(regions) == 20
    assert {r.code for r in regions if r.labour_deficit} == set(KANDAS_2026)
    assert all(r.name_kk and r.name_ru and r.name_en for r in regions)


async def test_kandas_quotas_2026(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        rows = (await s.execute(
            select(m.Region.code, m.Quota.capacity, m.Quota.used, m.Quota.occupation_id)
            .join(m.Region, m.Region.id == m.Quota.region_id)
            .where(m.Quota.kind == QuotaKind.KANDAS, m.Quota.year == 2026)
        )).all()
    assert {code: capacity for code, capacity, _, _ in rows} == KANDAS_2026
    assert len(rows) == 8
    assert sum(capacity for _, capacity, _, _ in rows) == 2281
    assert all(used == 0 and occupation is None for _, _, used, occupation in rows)


async def test_mrp_support_measures_and_termination_reasons(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        mrp = {r.year: r.amount for r in (await s.execute(select(m.MrpValue))).scalars()}
        measures = {r.code: r for r in (await s.execute(select(m.SupportMeasure))).scalars()}
        reasons = {r.code.value: r.refundable for r in (await s.execute(select(m.TerminationReasonRule))).scalars()}
    assert mrp[2025] == Decimal("3932.00") and isinstance(mrp[2025], Decimal)
    assert mrp[2026] == Decimal("4325.00") and isinstance(mrp[2026], Decimal)
    assert str(mrp[2026]) == "4325.00"

    assert set(measures) == {"RELOCATION", "HOUSING_RENT", "HOUSING_CERTIFICATE"}
    assert measures["RELOCATION"].cap_mrp == Decimal("70")
    assert measures["RELOCATION"].per_family_member is True
    assert measures["HOUSING_RENT"].cap_mrp == Decimal("360")
    assert measures["HOUSING_RENT"].per_family_member is False
    assert measures["HOUSING_CERTIFICATE"].cap_mrp == Decimal("1625")
    assert measures["HOUSING_CERTIFICATE"].per_family_member is False

    assert reasons == {
        "DEATH": False, "DISABILITY": False, "FORCE_MAJEURE": False,
        "LEFT_REGION": True, "VOLUNTARY": True, "BREACH": True,
    }


async def test_agencies_and_check_types(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        rows = (await s.execute(
            select(m.CheckType, m.Agency).join(m.Agency, m.Agency.id == m.CheckType.agency_id)
        )).all()
    types = {ct.code: (ct, agency) for ct, agency in rows}
    for code in ("CRIMINAL_RECORD", "NATIONAL_SECURITY", "DOCUMENT_AUTHENTICITY", "MEDICAL"):
        check_type, agency = types[code]
        assert check_type.mandatory and check_type.active, code
        assert agency.active, code
    # each check type belongs to exactly one agency, and they are not all the same one
    assert len({agency.code for _, agency in types.values()}) >= 4


async def test_deficit_occupations_each_with_a_labour_quota(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        deficits = (await s.execute(
            select(m.Region.code, m.DeficitOccupation.occupation_id)
            .join(m.Region, m.Region.id == m.DeficitOccupation.region_id)
            .where(m.DeficitOccupation.year == 2026)
        )).all()
        labour = (await s.execute(
            select(m.Region.code, m.Quota.occupation_id, m.Quota.capacity, m.Quota.used)
            .join(m.Region, m.Region.id == m.Quota.region_id)
            .where(m.Quota.kind == QuotaKind.LABOUR, m.Quota.year == 2026)
        )).all()
        occupations = (await s.execute(select(func.count()).select_from(m.Occupation))).scalar_one()
    assert occupations >= 30
    assert {code for code, _ in deficits} == set(KANDAS_2026)
    quota_keys = {(code, occ) for code, occ, _, _ in labour}
    assert quota_keys == set(deficits)
    assert len(labour) == len(deficits)
    assert all(capacity > 0 and used == 0 for _, _, capacity, used in labour)


def _max_points(criterion: dict[str, Any]) -> int:
    if "points" in criterion:
        return max(criterion["points"].values())
    return max(band["points"] for band in criterion["bands"])


async def test_default_scoring_model(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        models = (await s.execute(select(m.ScoringModel).order_by(m.ScoringModel.effective_from))).scalars().all()
        in_force = {day: (await model_in_force(s, day)).version  # type: ignore[union-attr]
                    for day in (dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3), dt.date(2026, 1, 4),
                                dt.date(2026, 12, 31), dt.date(2030, 1, 1))}
        events = (await s.execute(select(m.AuditEvent.action, m.AuditEvent.entity_id)
                                  .where(m.AuditEvent.entity_type == "scoring_model")
                                  .order_by(m.AuditEvent.id))).all()
    assert [(x.version, x.status, x.effective_from, x.pass_mark) for x in models] == [
        ("2026.1", ScoringModelStatus.PUBLISHED, dt.date(2026, 1, 1), 400),
        ("2026.2", ScoringModelStatus.PUBLISHED, dt.date(2026, 1, 2), 400),
        ("2026.3", ScoringModelStatus.PUBLISHED, dt.date(2026, 1, 3), 400),
        ("2026.4", ScoringModelStatus.PUBLISHED, dt.date(2026, 1, 4), 400),
    ]
    assert all(x.published_at is not None for x in models)
    # each version is in force from its effective date on, until the next
    assert in_force == {dt.date(2026, 1, 1): "2026.1", dt.date(2026, 1, 2): "2026.2", dt.date(2026, 1, 3): "2026.3",
                        dt.date(2026, 1, 4): "2026.4", dt.date(2026, 12, 31): "2026.4", dt.date(2030, 1, 1): "2026.4"}
    # each went the normal path: created as a draft, then published
    assert events == [(action, x.id) for x in models for action in ("scoring_model.create", "scoring_model.publish")]
    assert models[2].definition == LAW_ABIDING_MODEL_DEFINITION
    assert models[3].definition == DEFAULT_MODEL_DEFINITION  # 2026.3 with its legal sources
    assert models[1].definition["gates"][-1]["unless"] == {"source": "applicant.ethnicKazakh", "equals": True}
    assert models[2].definition["gates"][-2] == {"code": "no_false_documents", "source": "record.falseDocuments",
                                                 "equals": False}
    model = models[0]  # SPEC §3's table, as first seeded
    definition = model.definition
    assert definition == FIRST_MODEL_DEFINITION
    assert definition["passMark"] == 400

    # gates, as SPEC §3 lists them
    gates = [
        (g["source"], next(k for k in ("min", "max", "equals", "in") if k in g),
         g.get("min", g.get("max", g.get("equals", g.get("in")))), g.get("routes"))
        for g in definition["gates"]
    ]
    assert sorted(gates, key=repr) == sorted(SPEC_GATES, key=repr)
    for g in definition["gates"]:
        assert sum(k in g for k in ("min", "max", "equals", "in")) == 1, g
        assert g["code"], g
    assert len({g["code"] for g in definition["gates"]}) == len(definition["gates"])

    # criteria, as SPEC §3's table lists them
    criteria = {c["code"]: c for c in definition["criteria"]}
    assert set(criteria) == set(SPEC_CRITERIA)
    assert len(definition["criteria"]) == len(SPEC_CRITERIA)
    for code, (source, expected, max_points) in SPEC_CRITERIA.items():
        criterion = criteria[code]
        assert criterion["source"] == source, code
        assert "routes" not in criterion, code
        if isinstance(expected, dict):
            assert criterion["points"] == expected, code
            assert "bands" not in criterion, code
        else:
            assert [(b["min"], b["max"], b["points"]) for b in criterion["bands"]] == expected, code
            assert "points" not in criterion, code
        assert _max_points(criterion) == max_points, code
    assert sum(_max_points(c) for c in definition["criteria"]) == 690


async def test_scoring_models_over_graphql(gql: GQL) -> None:
    query = "{ scoringModels { id version status effectiveFrom passMark definition } }"
    data = await gql.ok(query, role="ADMIN")
    models = sorted(data["scoringModels"], key=lambda x: x["version"])
    assert [(x["version"], x["status"], x["effectiveFrom"], x["passMark"]) for x in models] == [
        ("2026.1", "PUBLISHED", "2026-01-01", 400), ("2026.2", "PUBLISHED", "2026-01-02", 400),
        ("2026.3", "PUBLISHED", "2026-01-03", 400), ("2026.4", "PUBLISHED", "2026-01-04", 400)]
    assert [x["definition"] for x in models] == [FIRST_MODEL_DEFINITION, SOLVENCY_EXEMPT_MODEL_DEFINITION,
                                                 LAW_ABIDING_MODEL_DEFINITION,
                                                 DEFAULT_MODEL_DEFINITION]

    body = await gql(query)  # anonymous
    assert body.get("data") is None or body["data"].get("scoringModels") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_kandas_quotas_over_graphql(gql: GQL) -> None:
    data = await gql.ok(
        "{ quotas(year: 2026, kind: KANDAS) { kind year region { code } occupationCode capacity used remaining } }",
        role="OFFICER",
    )
    quotas = data["quotas"]
    assert len(quotas) == 8
    assert {q["region"]["code"]: q["capacity"] for q in quotas} == KANDAS_2026
    for q in quotas:
        assert q["kind"] == "KANDAS" and q["year"] == 2026 and q["occupationCode"] is None
        assert q["used"] == 0
        assert q["remaining"] == q["capacity"]
    assert sum(q["remaining"] for q in quotas) == 2281
    assert (await gql.ok("{ quotas(year: 2025, kind: KANDAS) { id } }", role="OFFICER"))["quotas"] == []
