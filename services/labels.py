"""Human names of records, for the people who read them (the admin panel's lists,
details, exports and case pages): an application is its number and applicant's
name, a quota "KANDAS 2026 · Pavlodar", a region its code and name, a scoring
model its version. One place, so every screen and export says the same.

``labels(session, table, ids)`` reads the names of many records of one table in
one query per 1000 ids; ``choices(session, table)`` all of them, in order (the
select boxes of forms)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Agency,
    Applicant,
    Application,
    CheckType,
    ContractBreach,
    Occupation,
    Quota,
    Region,
    ScoringModel,
    SelectionRound,
    SocialContract,
    SupportMeasure,
)
from models.base import ALMATY

CHUNK = 1000


def region_short(name: str | None) -> str:
    """"Pavlodar" for "Pavlodar Region" (cities keep their names)."""
    name = name or "?"
    return name[:-len(" Region")] if name.endswith(" Region") else name


def quota_label(kind: Any, year: int, region_name: str | None, occupation_code: str | None = None) -> str:
    """"KANDAS 2026 · Pavlodar" (and the occupation of a LABOUR quota)."""
    kind_text = getattr(kind, "value", kind)
    text = f"{kind_text} {year} · {region_short(region_name)}"
    return f"{text} · {occupation_code}" if occupation_code else text


def application_label(number: str, applicant_name: str | None) -> str:
    return f"{number} · {applicant_name}" if applicant_name else number


def local_time(value: dt.datetime) -> str:
    """A stored (UTC) timestamp in Almaty time with its offset: "2026-03-01 14:05 +05:00"."""
    local = value.astimezone(ALMATY)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M ") + f"{offset[:3]}:{offset[3:]}"


@dataclass(frozen=True)
class LabelSource:
    """How one table's records are named: the query (id first, then the columns
    ``label`` takes) and its order for choices."""

    statement: Callable[[], sa.Select]
    label: Callable[..., str]
    order: Callable[[], Any]
    id_column: Callable[[], Any]


def _region_stmt() -> sa.Select:
    return sa.select(Region.id, Region.code, Region.name_en)


def _application_stmt() -> sa.Select:
    return (sa.select(Application.id, Application.number, Applicant.full_name)
            .join(Applicant, Applicant.id == Application.applicant_id))


def _quota_stmt() -> sa.Select:
    return (sa.select(Quota.id, Quota.kind, Quota.year, Region.name_en, Occupation.code)
            .join(Region, Region.id == Quota.region_id)
            .outerjoin(Occupation, Occupation.id == Quota.occupation_id))


def _round_stmt() -> sa.Select:
    return (sa.select(SelectionRound.id, Quota.kind, Quota.year, Region.name_en, SelectionRound.ran_at)
            .join(Quota, Quota.id == SelectionRound.quota_id).join(Region, Region.id == Quota.region_id))


def _contract_stmt() -> sa.Select:
    return (sa.select(SocialContract.id, SocialContract.number, Applicant.full_name)
            .join(Application, Application.id == SocialContract.application_id)
            .join(Applicant, Applicant.id == Application.applicant_id))


def _breach_stmt() -> sa.Select:
    return (sa.select(ContractBreach.id, SocialContract.number, ContractBreach.opened_on)
            .join(SocialContract, SocialContract.id == ContractBreach.contract_id))


SOURCES: dict[str, LabelSource] = {
    "region": LabelSource(_region_stmt, lambda code, name: f"{name} ({code})", lambda: Region.name_en,
                          lambda: Region.id),
    "occupation": LabelSource(lambda: sa.select(Occupation.id, Occupation.code, Occupation.name_en),
                              lambda code, name: f"{code} {name}", lambda: Occupation.code, lambda: Occupation.id),
    "agency": LabelSource(lambda: sa.select(Agency.id, Agency.code, Agency.name),
                          lambda code, name: f"{code} — {name}", lambda: Agency.code, lambda: Agency.id),
    "check_type": LabelSource(lambda: sa.select(CheckType.id, CheckType.code, CheckType.name),
                              lambda code, name: f"{code} — {name}", lambda: CheckType.code, lambda: CheckType.id),
    "support_measure": LabelSource(lambda: sa.select(SupportMeasure.id, SupportMeasure.code, SupportMeasure.name),
                                   lambda code, name: f"{code} — {name}", lambda: SupportMeasure.code,
                                   lambda: SupportMeasure.id),
    "scoring_model": LabelSource(lambda: sa.select(ScoringModel.id, ScoringModel.version),
                                 lambda version: f"version {version}", lambda: ScoringModel.effective_from,
                                 lambda: ScoringModel.id),
    "application": LabelSource(_application_stmt, application_label, lambda: Application.number,
                               lambda: Application.id),
    "applicant": LabelSource(lambda: sa.select(Applicant.id, Applicant.full_name), lambda name: name,
                             lambda: Applicant.full_name, lambda: Applicant.id),
    "social_contract": LabelSource(_contract_stmt, application_label, lambda: SocialContract.number,
                                   lambda: SocialContract.id),
    "quota": LabelSource(_quota_stmt, quota_label, lambda: (Quota.year.desc(), Quota.kind, Region.name_en),
                         lambda: Quota.id),
    "selection_round": LabelSource(
        _round_stmt, lambda kind, year, region, ran_at: f"{quota_label(kind, year, region)}, {local_time(ran_at)}",
        lambda: SelectionRound.ran_at.desc(), lambda: SelectionRound.id),
    "contract_breach": LabelSource(
        _breach_stmt, lambda number, opened_on: f"breach case of {number}, opened {opened_on.isoformat()}",
        lambda: ContractBreach.opened_at.desc(), lambda: ContractBreach.id),
}


async def labels(session: AsyncSession, table: str, ids: Iterable[int]) -> dict[int, str]:
    """The names of the records ``ids`` of ``table`` (a table in ``SOURCES``)."""
    source = SOURCES[table]
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = (await session.execute(
            source.statement().where(source.id_column().in_(wanted[start:start + CHUNK])))).all()
        found.update((row[0], source.label(*row[1:])) for row in rows)
    return found


async def choices(session: AsyncSession, table: str) -> list[tuple[int, str]]:
    """Every record of ``table`` with its name, in the table's order."""
    source = SOURCES[table]
    order = source.order()
    statement = source.statement().order_by(*(order if isinstance(order, tuple) else (order,)))
    return [(row[0], source.label(*row[1:])) for row in (await session.execute(statement)).all()]
