"""What the demo generator reads before it starts: the reference data, the
published scoring models (as engines), the quotas' seats and the numbers,
IINs and documents already taken."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cli.demo.common import DEMO_YEAR
from models import (
    DecisionReview,
    KandasStatus,
    Agency,
    Applicant,
    Application,
    CheckType,
    DeficitOccupation,
    LanguageTest,
    MrpValue,
    NumberSequence,
    Occupation,
    Quota,
    Region,
    ScoringModel,
    SocialContract,
    SupportMeasure,
    TerminationReasonRule,
)
from models.enums import QuotaKind, ScoringModelStatus
from services import holidays, scoring
from services.errors import invalid_state
from services.numbers import counter_name
from services.scoring.results import StoredTexts, rendered_lines
from services.holidays import DaysOff
from services.scoring_models import evaluator_for

# --------------------------------------------------------------------------
# the scoring engine, memoised per gate / criterion


class Engine:
    """A published model as the services score with it
    (:func:`services.scoring_models.evaluator_for`: the engine memoised per gate /
    criterion, fast enough for 100,000 applications). A sample of applications is
    also scored with the full :func:`services.scoring.evaluate` and must agree exactly."""

    CHECK_EVERY = 97

    def __init__(self, model: ScoringModel) -> None:
        try:
            self.evaluator = evaluator_for(model)
        except ValueError as exc:  # a stored definition the validation refuses
            raise invalid_state(str(exc)) from None
        assert model.id is not None
        self.model_id = model.id
        self.version = model.version
        self.definition = model.definition
        self.calls = 0

    def evaluate(self, facts: dict[str, Any], route: str) -> tuple[scoring.ScoreResult, StoredTexts]:
        """The score and its stored texts (``ScoreResult.stored_texts``)."""
        result = self.evaluator.evaluate(facts, route)
        self.calls += 1
        if self.calls <= 20 or self.calls % self.CHECK_EVERY == 0:
            full = scoring.evaluate(self.definition, facts, route)
            stored, explanation, *rendered = result.stored_texts
            if full != result or scoring.stored_score(json.loads(stored), explanation and json.loads(explanation)) \
                    != full.to_json() or rendered != list(rendered_lines(json.loads(stored)).values()):  # pragma: no cover
                raise AssertionError(f"memoised scoring differs from services.scoring.evaluate: {full} != {result}")
        return result, result.stored_texts


# --------------------------------------------------------------------------
# reference data and what already exists


@dataclass
class QuotaState:
    id: int
    capacity: int
    used: int
    taken: int = 0  # seats taken by this run, not yet written

    @property
    def left(self) -> int:
        return self.capacity - self.used - self.taken


@dataclass
class Context:
    dialect: str
    regions: list[tuple[int, str, bool]]  # (id, code, labour_deficit)
    occupations: list[int]
    deficit: set[tuple[int, int, int]]  # (year, region id, occupation id)
    deficit_by_region: dict[int, list[int]]  # DEMO_YEAR
    check_types: list[tuple[int, str, bool, str]]  # active: (id, code, mandatory, agency code)
    kandas_quotas: dict[int, QuotaState]  # region id -> DEMO_YEAR quota
    labour_quotas: dict[tuple[int, int], QuotaState]  # (region id, occupation id) -> DEMO_YEAR quota
    mrp: dict[int, Decimal]
    measures: dict[str, tuple[int, Decimal, bool]]  # code -> (id, cap in MRP, per family member)
    refundable: dict[str, bool]
    models: list[tuple[dt.date, Engine]]  # published, latest effective date first
    iins: set[str]
    documents: set[tuple[str, str]]
    certificates: set[str]
    number_floor: dict[str, int]  # counter name (RP-2026) -> highest number already used
    days_off: DaysOff = DaysOff(frozenset(), frozenset())  # the public holidays (a review's due date)
    occupation_codes: dict[int, str] = field(default_factory=dict)  # id -> code (the submissions' audit events)


async def _max_number(session: AsyncSession, column: Any, prefix: str) -> int:
    """The highest NNNNNN among numbers ``<prefix>-NNNNNN`` in ``column``."""
    value = (await session.execute(
        select(column).where(column.like(f"{prefix}-%")).order_by(func.length(column).desc(), column.desc()).limit(1)
    )).scalar_one_or_none()
    if value is None:
        return 0
    tail = value[len(prefix) + 1:]
    return int(tail) if tail.isdigit() else 0


async def load_context(session: AsyncSession) -> Context:
    dialect = session.get_bind().dialect.name
    regions = [(r.id, r.code, r.labour_deficit) for r in (await session.execute(
        select(Region).order_by(Region.id))).scalars()]
    occupation_codes = {i: code for i, code in (await session.execute(
        select(Occupation.id, Occupation.code).order_by(Occupation.id))).all()}
    occupations = list(occupation_codes)
    deficit = {(y, r, o) for y, r, o in (await session.execute(
        select(DeficitOccupation.year, DeficitOccupation.region_id, DeficitOccupation.occupation_id))).all()}
    by_region: dict[int, list[int]] = defaultdict(list)
    for y, r, o in sorted(deficit):
        if y == DEMO_YEAR:
            by_region[r].append(o)
    check_types = [(c.id, c.code, c.mandatory, agency) for c, agency in (await session.execute(
        select(CheckType, Agency.code).join(Agency, Agency.id == CheckType.agency_id)
        .where(CheckType.active.is_(True)).order_by(CheckType.id))).all()]
    kandas: dict[int, QuotaState] = {}
    labour: dict[tuple[int, int], QuotaState] = {}
    for q in (await session.execute(select(Quota).where(Quota.year == DEMO_YEAR).order_by(Quota.id))).scalars():
        state = QuotaState(q.id, q.capacity, q.used)
        if q.kind == QuotaKind.KANDAS:
            kandas[q.region_id] = state
        elif q.occupation_id is not None:
            labour[(q.region_id, q.occupation_id)] = state
    mrp = {y: Decimal(a) for y, a in (await session.execute(select(MrpValue.year, MrpValue.amount))).all()}
    measures = {m.code: (m.id, Decimal(m.cap_mrp), m.per_family_member)
                for m in (await session.execute(select(SupportMeasure))).scalars()}
    refundable = {r.code.value: r.refundable for r in (await session.execute(select(TerminationReasonRule))).scalars()}
    models = [
        (m.effective_from, Engine(m))
        for m in (await session.execute(
            select(ScoringModel).where(ScoringModel.status == ScoringModelStatus.PUBLISHED)
            .order_by(ScoringModel.effective_from.desc(), ScoringModel.id.desc()))).scalars()
    ]
    iins = set((await session.execute(select(Applicant.iin).where(Applicant.iin.is_not(None)))).scalars())
    iins |= set((await session.execute(select(Application.iin).where(Application.iin.is_not(None)))).scalars())
    documents = {(c, d) for c, d in (await session.execute(
        select(Applicant.citizenship, Applicant.document_number))).all()}
    documents |= {(c, d) for c, d in (await session.execute(
        select(Application.citizenship, Application.document_number))).all()}
    certificates = set((await session.execute(select(LanguageTest.certificate_number))).scalars())
    floors: dict[str, int] = {}
    for prefix, column in (("RP", Application.number), ("SC", SocialContract.number),
                           ("KS", KandasStatus.number), ("RV", DecisionReview.number)):
        name = counter_name(prefix, DEMO_YEAR)
        counter = (await session.execute(
            select(NumberSequence.value).where(NumberSequence.name == name))).scalar_one_or_none()
        floors[name] = max(counter or 0, await _max_number(session, column, name))
    return Context(dialect, regions, occupations, deficit, dict(by_region), check_types, kandas, labour, mrp,
                    measures, refundable, models, iins, documents, certificates, floors,
                    await holidays.days_off(session), occupation_codes)

