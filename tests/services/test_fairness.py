"""The fairness check (SPEC §17): pass rates of a what-if and approval rates of a
round by sex, age band and route, groups below four fifths of the highest flagged."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import models as m
from cli.demo.generator import generate
from core.db import transaction
from services import fairness, quotas
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.errors import ServiceError
from services.scoring_models import create_scoring_model, model_in_force
from services.viewer import SYSTEM, Viewer
from tests import factories as f

ADMIN = Viewer(subject="admin-1", role="ADMIN")
OFFICER = Viewer(subject="officer-1", role="OFFICER")


def rates(report: fairness.Report, dimension: fairness.Dimension) -> dict[str, tuple[int, int, bool]]:
    return {g.group: (g.total, g.selected, g.flagged) for g in report.groups if g.dimension is dimension}


def test_the_four_fifths_rule_in_integers() -> None:
    counts = fairness.count_groups([("MALE", 25, "KANDAS", True)] * 10 + [("FEMALE", 45, "GENERAL", True)] * 4
                                   + [("FEMALE", 45, "GENERAL", False)] * 1 + [("FEMALE", 61, "GENERAL", False)] * 5)
    report = fairness.report(counts, fairness.PASS_RATE)
    # MALE 10/10; FEMALE 4/10 = 0.4 < 0.8 · 1.0: flagged
    assert rates(report, fairness.Dimension.SEX) == {"FEMALE": (10, 4, True), "MALE": (10, 10, False)}
    # 18–29 10/10, 40–49 4/5 = 0.8: exactly four fifths, not flagged; 60+ 0/5 flagged; listed youngest first
    assert list(rates(report, fairness.Dimension.AGE_BAND).items()) == [
        ("18–29", (10, 10, False)), ("40–49", (5, 4, False)), ("60+", (5, 0, True))]
    assert {g.group for g in report.flagged} == {"FEMALE", "60+", "GENERAL"}
    assert next(g for g in report.groups if g.group == "FEMALE").ratio_to_highest == 0.4


async def test_a_what_if_on_demo_data_reports_rates_and_flags_a_skewed_model(sessions: Any) -> None:
    await generate(sessions, applications=160, seed=21, batch_size=160)
    async with transaction(sessions) as s:
        in_force = await model_in_force(s, dt.date(2026, 12, 4))
        assert in_force is not None
        fair = await fairness.simulation_fairness(s, ADMIN, in_force.id)
        skewed_definition = copy.deepcopy(DEFAULT_MODEL_DEFINITION)  # the young only: a gate on age
        skewed_definition["gates"].append({"code": "young", "source": "applicant.age", "max": 35})
        skewed = await create_scoring_model(s, SYSTEM, version="skewed", effective_from=dt.date(2027, 1, 1),
                                            definition=skewed_definition)
        unfair = await fairness.simulation_fairness(s, ADMIN, skewed.id)
    for report in (fair, unfair):
        assert report.measure == "pass rate"
        assert set(rates(report, fairness.Dimension.SEX)) == {"MALE", "FEMALE"}
        assert len(rates(report, fairness.Dimension.AGE_BAND)) >= 3
        assert sum(t for t, _, _ in rates(report, fairness.Dimension.SEX).values()) == sum(
            t for t, _, _ in rates(report, fairness.Dimension.AGE_BAND).values())
        print("\n" + "\n".join(f"{g.dimension.value:9} {g.group:8} {g.selected:4}/{g.total:<4} {g.rate:.2f}"
                               f"{'  FLAGGED' if g.flagged else ''}" for g in report.groups))
    older = {band: v for band, v in rates(unfair, fairness.Dimension.AGE_BAND).items()
             if band in ("40–49", "50–59", "60+")}
    assert older and all(selected == 0 and flagged for _, selected, flagged in older.values())
    with pytest.raises(ServiceError) as refused:
        async with sessions() as s:
            await fairness.simulation_fairness(s, OFFICER, skewed.id)
    assert refused.value.errors[0].code.value == "FORBIDDEN"


async def test_a_round_records_its_candidates_fairness_counts(sessions: Any) -> None:
    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", capacity=3)
        for score in (600, 550, 500, 450, 420):
            await f.make_passed_application(s, score=score, family_size=1)
        result = await quotas.run_selection_round(s, OFFICER, quota_id=quota.id)
    async with sessions() as s:
        round_ = await s.get(m.SelectionRound, result.round_id)
        report = await fairness.round_fairness(s, ADMIN, round_.id)
    assert round_.seats_offered == 3 and report is not None and report.measure == "approval rate"
    assert rates(report, fairness.Dimension.ROUTE) == {"KANDAS": (5, 3, False)}
    assert sum(t for t, _, _ in rates(report, fairness.Dimension.SEX).values()) == 5
    assert sum(s for _, s, _ in rates(report, fairness.Dimension.SEX).values()) == 3
