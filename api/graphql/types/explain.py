"""Explanations people can act on, and transparency (SPEC §17): the legal basis
of a line of a score, what would raise a score, the score history, public
statistics of selection rounds, and the four-fifths fairness check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

import models as m
from api.graphql.types.common import FromRow, linked_field
from api.graphql.types.reference import Region
from models import enums
from services import fairness, round_statistics, scoring

ScoreReason = strawberry.enum(  # type: ignore[misc]
    enums.ScoreReason, description="Why a score was computed: the first score, new facts, a new model, a review.")
FairnessDimension = strawberry.enum(  # type: ignore[misc]
    fairness.Dimension, description="An attribute the fairness check reports by (never scored).")


@strawberry.type(description="The legal source of a gate or criterion, in Kazakh, Russian and English.")
class Basis:
    kk: str
    ru: str
    en: str

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Basis | None":
        return cls(kk=data["kk"], ru=data["ru"], en=data["en"]) if data else None


@strawberry.type(description="One change of one fact the applicant can change (language, education, experience, "
                             "other languages, savings) and what it would do, under the model in force.")
class ScoreImprovement:
    gate: bool = strawberry.field(description="True: it passes a failed gate; false: it scores more on a criterion.")
    code: str = strawberry.field(description="The gate's or criterion's code.")
    fact: str = strawberry.field(description='The fact to change, e.g. "language.level".')
    current_value: str | None
    suggested_value: str
    points: int = strawberry.field(description="What the total would gain with this change alone.")
    passes: bool = strawberry.field(description="Whether the application would pass with this change alone.")
    message: str = strawberry.field(description='E.g. "language.level B1 → B2: +20".')

    @classmethod
    def from_improvement(cls, i: scoring.Improvement) -> "ScoreImprovement":
        return cls(gate=i.kind == "gate", code=i.code, fact=i.source, current_value=i.current,
                   suggested_value=i.suggested, points=i.points, passes=i.passes, message=i.message)


@strawberry.type(description="A score the application has had.")
class ScoreHistoryEntry(FromRow):
    model_version: str
    total: int
    max_total: int
    pass_mark: int
    passed: bool
    computed_at: dt.datetime
    reason: ScoreReason  # type: ignore[valid-type]


@strawberry.type(description="Approved scores in a band of 10 points; fewer than 5 show as \"<5\".")
class ScoreBand:
    low: int = strawberry.field(description="The lowest score of the band (a multiple of 10).")
    high: int = strawberry.field(description="The highest score of the band (low + 9).")
    count: str = strawberry.field(description='How many approved applications scored in the band, or "<5".')


@strawberry.type(description="A selection round as the public sees it: no person can be identified.")
class SelectionRoundStatistics:
    ran_on: dt.date = strawberry.field(description="The day the round ran (Almaty).")
    year: int = strawberry.field(description="The quota year.")
    region_code: str
    seats_offered: int | None = strawberry.field(description="Seats left on the quota when the round ran.")
    people_approved: int
    families_approved: int
    cutoff_score: int | None
    tie_break_at: dt.datetime | None = strawberry.field(
        description="Submission time of the last approved application (ties are broken by earlier submission).")
    score_bands: list[ScoreBand]
    region_id: strawberry.Private[int]

    region = linked_field(Region, m.Region, "region_id")

    @classmethod
    def from_statistics(cls, s: round_statistics.RoundStatistics) -> "SelectionRoundStatistics":
        return cls(ran_on=s.ran_on, year=s.year, region_code=s.region_code, seats_offered=s.seats_offered,
                   people_approved=s.people_approved, families_approved=s.families_approved,
                   cutoff_score=s.cutoff_score, tie_break_at=s.tie_break_at,
                   score_bands=[ScoreBand(low=b.low, high=b.high, count=b.count) for b in s.bands],
                   region_id=s.region_id)


@strawberry.type(description="The rate of one group.")
class FairnessGroup:
    dimension: FairnessDimension  # type: ignore[valid-type]
    group: str
    total: int
    selected: int = strawberry.field(description="How many of the group pass (what-if) or were approved (round).")
    rate: float
    ratio_to_highest: float = strawberry.field(description="The rate over the highest rate of the same dimension.")
    flagged: bool = strawberry.field(description="Below four fifths of the highest group's rate.")


@strawberry.type(description="Pass or approval rates by sex, age band and route; a group below four fifths of "
                             "the highest group's rate is flagged. Reported, never scored.")
class FairnessReport:
    measure: str = strawberry.field(description='What is measured: "pass rate" (what-if) or "approval rate" (round).')
    groups: list[FairnessGroup]
    flagged: list[FairnessGroup]

    @classmethod
    def from_report(cls, r: fairness.Report) -> "FairnessReport":
        groups = [FairnessGroup(dimension=g.dimension, group=g.group, total=g.total, selected=g.selected,
                                rate=g.rate, ratio_to_highest=g.ratio_to_highest, flagged=g.flagged)
                  for g in r.groups]
        return cls(measure=r.measure, groups=groups, flagged=[g for g in groups if g.flagged])
