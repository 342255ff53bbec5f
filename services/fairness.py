"""The fairness check for administrators (SPEC §17): pass rates under a model
(the what-if) and approval rates of a selection round, by sex, age band and
route; a group whose rate is below four fifths of the highest rate of its
dimension is flagged (the four-fifths rule). These attributes are reported,
never scored: sex is not a fact a model can use.

Counts are kept as plain JSON (``{"SEX": {"MALE": [total, selected]}, …}``), so
a round stores its own (``selection_round.group_counts``, counted when it ran,
over its candidates) and the report is computed from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Applicant, Application, Score, ScoringModel, SelectionRound
from models.base import today_almaty
from services import facts
from services.errors import forbidden, not_found
from services.scoring_models import SCORED_UNDECIDED, evaluator_for
from services.viewer import Viewer


class Dimension(str, Enum):
    SEX = "SEX"
    AGE_BAND = "AGE_BAND"
    ROUTE = "ROUTE"


PASS_RATE = "pass rate"
APPROVAL_RATE = "approval rate"
# (lowest age, highest age or None, label), youngest first.
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 17, "under 18"), (18, 29, "18–29"), (30, 39, "30–39"), (40, 49, "40–49"), (50, 59, "50–59"), (60, None, "60+"))

Counts = dict[str, dict[str, list[int]]]


def age_band(age: int) -> str:
    for low, high, label in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return AGE_BANDS[0][2]


def count_groups(people: Iterable[tuple[str, int, str, bool]]) -> Counts:
    """``(sex, age, route, selected)`` of each person -> ``{dimension: {group: [total, selected]}}``."""
    counts: Counts = {d.value: {} for d in Dimension}
    for sex, age, route, selected in people:
        for dimension, group in ((Dimension.SEX, sex), (Dimension.AGE_BAND, age_band(age)),
                                 (Dimension.ROUTE, route)):
            entry = counts[dimension.value].setdefault(str(getattr(group, "value", group)), [0, 0])
            entry[0] += 1
            entry[1] += int(bool(selected))
    return counts


@dataclass(frozen=True)
class Group:
    dimension: Dimension
    group: str
    total: int
    selected: int
    rate: float
    ratio_to_highest: float
    flagged: bool


@dataclass(frozen=True)
class Report:
    measure: str
    groups: tuple[Group, ...]

    @property
    def flagged(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.flagged)


def _order(dimension: Dimension, group: str) -> Any:
    if dimension is Dimension.AGE_BAND:
        labels = [label for _, _, label in AGE_BANDS]
        return labels.index(group) if group in labels else len(labels)
    return group


def report(counts: Mapping[str, Mapping[str, list[int]]], measure: str) -> Report:
    """The rates of every group with anyone in it, and the four-fifths flags: a group
    is flagged when ``selected/total < 4/5 · (highest selected/total)`` of its
    dimension (compared in integers, exactly)."""
    groups: list[Group] = []
    for dimension in Dimension:
        present = {g: (int(t), int(s)) for g, (t, s) in counts.get(dimension.value, {}).items() if int(t) > 0}
        if not present:
            continue
        best_total, best_selected = max(present.values(), key=lambda ts: ts[1] / ts[0])
        for group in sorted(present, key=lambda g: _order(dimension, g)):
            total, selected = present[group]
            rate = selected / total
            best = best_selected / best_total
            groups.append(Group(dimension, group, total, selected, round(rate, 4),
                                round(rate / best, 4) if best else 1.0,
                                5 * selected * best_total < 4 * best_selected * total))
    return Report(measure, tuple(groups))


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden(t("only administrators may read the fairness check"))


async def simulation_fairness(session: AsyncSession, viewer: Viewer, model_id: int, *, on: dt.date | None = None,
                              batch_size: int = 500) -> Report:
    """Pass rates under ``model_id`` of every scored, undecided application (the
    what-if's applications), by sex, age band and route; writes nothing."""
    _require_admin(viewer)
    model = await session.get(ScoringModel, model_id)
    if model is None:
        raise not_found("scoring model", "modelId")
    on = on or today_almaty()
    evaluator = evaluator_for(model)
    people: list[tuple[str, int, str, bool]] = []
    last_id = 0
    while True:
        rows = (await session.execute(
            select(Application.id, Applicant.sex).join(Applicant, Applicant.id == Application.applicant_id)
            .join(Score, Score.application_id == Application.id)
            .where(Application.status.in_(SCORED_UNDECIDED), Application.id > last_id)
            .order_by(Application.id).limit(batch_size))).all()
        if not rows:
            break
        gathered = await facts.gather(session, [app_id for app_id, _ in rows], on)
        for app_id, sex in rows:
            f = gathered[app_id]
            people.append((sex, f["applicant.age"], f["route"], evaluator.evaluate(f, f["route"]).passed))
        last_id = rows[-1][0]
    return report(count_groups(people), PASS_RATE)


def approval_report(viewer: Viewer, group_counts: Mapping[str, Any] | None) -> Report | None:
    """Approval rates from a round's counts (a dry run's, or a recorded round's
    ``group_counts``); None for a round run before they were counted."""
    _require_admin(viewer)
    return None if group_counts is None else report(group_counts, APPROVAL_RATE)


async def round_fairness(session: AsyncSession, viewer: Viewer, round_id: int) -> Report | None:
    """Approval rates of a recorded selection round's candidates, as counted when it ran."""
    _require_admin(viewer)
    round_ = await session.get(SelectionRound, round_id)
    if round_ is None:
        raise not_found("selection round", "roundId")
    return approval_report(viewer, round_.group_counts)
