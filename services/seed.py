"""Reference data of SPEC §9, loaded idempotently: rows are found by their natural
key and created when missing; existing rows are left as administrators edited them.

The default scoring model's versions (``services.default_model``) are found by
their version; one that is missing is created as a draft and published through
``services.scoring_models``, as an administrator would. Publishing re-scores
nothing by itself: the caller, once the seed has committed, hands
``SeedReport.published`` to ``services.jobs.after_publish`` (``qonys seed`` and
``qonys serve`` do), which re-scores the scored, undecided applications."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from models import Agency, CheckType, CheckTypeGrant, DeficitOccupation, MrpValue, Occupation, Quota, Region
from models import AgencyGrant, AgencyPermission, Holiday, ScoringModel, SupportMeasure, SuspensionRule, TerminationReasonRule
from models.enums import AgencyGrantKind, QuotaKind, RegionKind, ScoringModelStatus, TerminationReason
from services import audit, reference_data as ref, scoring_models
from services import reference_names as names
from services.default_model import DEFAULT_MODEL_VERSIONS
from services.viewer import SYSTEM, Viewer

SEED_YEAR = 2026


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    published: list[int] = field(default_factory=list)
    """Ids of the scoring models this run published (oldest version first)."""
    notes: list[str] = field(default_factory=list)
    """What an administrator should know (e.g. a default model version left as a draft)."""

    def add(self, table: str) -> None:
        self.created[table] = self.created.get(table, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.created.values())


async def _get_or_create(
    session: AsyncSession, report: SeedReport, model: type[SQLModel], key: dict[str, Any], values: dict[str, Any]
) -> Any:
    stmt = select(model)
    for name, value in key.items():
        stmt = stmt.where(getattr(model, name) == value)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        await session.flush()
        report.add(model.__tablename__)  # type: ignore[attr-defined]
    return row


def _kk_ru(by_code: dict[str, tuple[str, str]], code: str) -> dict[str, str | None]:
    kk, ru = by_code.get(code, (None, None))
    return {"name_kk": kk, "name_ru": ru}


async def seed(session: AsyncSession, viewer: Viewer = SYSTEM) -> SeedReport:
    report = SeedReport()
    regions: dict[str, Region] = {}
    for r in ref.REGIONS:
        regions[r["code"]] = await _get_or_create(
            session, report, Region, {"code": r["code"]},
            {"name_kk": r["name_kk"], "name_ru": r["name_ru"], "name_en": r["name_en"],
             "kind": RegionKind(r["kind"]), "labour_deficit": r["labour_deficit"]},
        )
    occupations: dict[str, Occupation] = {}
    for o in ref.OCCUPATIONS:
        occupations[o["code"]] = await _get_or_create(
            session, report, Occupation, {"code": o["code"]}, {"name_en": o["name_en"], "name_ru": o["name_ru"], "name_kk": names.OCCUPATIONS_KK.get(o["code"])}
        )
    agencies: dict[str, Agency] = {}
    for a in ref.AGENCIES:
        agencies[a["code"]] = await _get_or_create(session, report, Agency, {"code": a["code"]}, {"name": a["name"], "active": True, **_kk_ru(names.AGENCIES, a["code"])})
    check_types: dict[str, CheckType] = {}
    for c in ref.CHECK_TYPES:
        check_types[c["code"]] = await _get_or_create(
            session, report, CheckType, {"code": c["code"]},
            {"name": c["name"], **_kk_ru(names.CHECK_TYPES, c["code"]), "agency_id": agencies[c["agency_code"]].id, "mandatory": c["mandatory"],
             "active": c.get("active", True)},
        )
    for agency_code, type_code in ref.CHECK_TYPE_GRANTS:
        await _get_or_create(
            session, report, CheckTypeGrant,
            {"agency_id": agencies[agency_code].id, "check_type_id": check_types[type_code].id}, {},
        )
    for agency_code, kind in ref.AGENCY_GRANTS:
        await _get_or_create(session, report, AgencyGrant,
                             {"agency_id": agencies[agency_code].id, "kind": AgencyGrantKind(kind)}, {})
    for m in ref.SUPPORT_MEASURES:
        await _get_or_create(
            session, report, SupportMeasure, {"code": m["code"]},
            {"name": m["name"], **_kk_ru(names.SUPPORT_MEASURES, m["code"]), "cap_mrp": m["cap_mrp"], "per_family_member": m["per_family_member"]},
        )
    for year, amount in ref.MRP.items():
        await _get_or_create(session, report, MrpValue, {"year": year}, {"amount": amount})
    for reason in ref.TERMINATION_REASONS:
        await _get_or_create(
            session, report, TerminationReasonRule, {"code": TerminationReason(reason["code"])},
            {"name": reason["name"], **_kk_ru(names.TERMINATION_REASONS, reason["code"]), "refundable": reason["refundable"]},
        )
    for r in ref.REGIONS:
        capacity = r["kandas_quota"].get(SEED_YEAR)
        if capacity:
            await _get_or_create(
                session, report, Quota,
                {"kind": QuotaKind.KANDAS, "year": SEED_YEAR, "region_id": regions[r["code"]].id, "occupation_id": None},
                {"capacity": capacity, "used": 0},
            )
    for region_code, entries in ref.DEFICIT_OCCUPATIONS.items():
        region = regions[region_code]
        for occupation_code, capacity in entries:
            occupation = occupations[occupation_code]
            await _get_or_create(
                session, report, DeficitOccupation,
                {"region_id": region.id, "occupation_id": occupation.id, "year": SEED_YEAR}, {},
            )
            await _get_or_create(
                session, report, Quota,
                {"kind": QuotaKind.LABOUR, "year": SEED_YEAR, "region_id": region.id, "occupation_id": occupation.id},
                {"capacity": capacity, "used": 0},
            )
    for rule in ref.SUSPENSION_RULES:
        await _get_or_create(session, report, SuspensionRule, {"code": rule["code"]},
                             {k: v for k, v in rule.items() if k != "code"})
    for agency_code, permission in ref.AGENCY_PERMISSIONS:
        await _get_or_create(session, report, AgencyPermission,
                             {"agency_id": agencies[agency_code].id, "permission": permission}, {})
    for version, effective_from, definition in DEFAULT_MODEL_VERSIONS:
        found = (await session.execute(select(ScoringModel.id).where(ScoringModel.version == version))).first()
        if found is None:
            model = await scoring_models.create_scoring_model(
                session, viewer, version=version, effective_from=effective_from,
                definition=copy.deepcopy(definition))
            report.add(ScoringModel.__tablename__)
            clash = (await session.execute(select(ScoringModel.version).where(
                ScoringModel.status == ScoringModelStatus.PUBLISHED, ScoringModel.effective_from == effective_from,
            ))).scalars().first()
            if clash is not None:  # an administrator's model holds the date: theirs stands, ours waits as a draft
                report.notes.append(
                    f"scoring model {version} is left as a DRAFT: model {clash} is already published with effective "
                    f"date {effective_from.isoformat()}; give the draft another date and publish it")
                continue
            await scoring_models.publish_scoring_model(session, viewer, model_id=model.id)
            report.published.append(model.id)
    for month, day, name_kk, name_ru, name_en in ref.HOLIDAYS:
        await _get_or_create(session, report, Holiday, {"month": month, "day": day, "on_date": None},
                             {"name_kk": name_kk, "name_ru": name_ru, "name_en": name_en})
    if report.total:
        await audit.record(session, viewer, "seed", "reference_data", None, {"created": report.created})
    return report
