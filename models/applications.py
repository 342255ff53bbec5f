"""Applicants, applications and the four stages: language test, questionnaire,
checks, interview; and the stored score."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.base import Table
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    DecisionOutcome,
    EducationLevel,
    FamilyRelation,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Route,
    Sex,
)
from models.types import JSONType, Money, UTCDateTime, between, column, str_enum, utc_now_column


class Applicant(Table, table=True):
    __table_args__ = (
        sa.CheckConstraint("length(citizenship) = 3 AND citizenship <> 'KAZ'", name="citizenship_iso3"),
        sa.CheckConstraint("iin IS NULL OR length(iin) = 12", name="iin_len"),
        # A submission looks for the same person's earlier record by document
        # (services.applications.submission._reuse_applicant).
        sa.Index("ix_applicant_doc", "citizenship", "document_number"),
    )

    # The identity-provider subject of the applicant who owns this record, if any.
    owner_subject: str | None = column(sa.String(200), nullable=True, index=True)
    iin: str | None = column(sa.String(12), nullable=True, index=True)
    full_name: str = column(sa.String(200))
    birth_date: dt.date = column(sa.Date())
    sex: Sex = column(str_enum(Sex, "sex"))
    citizenship: str = column(sa.String(3))
    ethnic_kazakh: bool = column(sa.Boolean())
    document_number: str = column(sa.String(40))
    created_at: dt.datetime = utc_now_column()


class Application(Table, table=True):
    __table_args__ = (
        sa.Index("ix_application_status_submitted", "status", "submitted_at", "id"),
        sa.Index("ix_application_submitted_id", "submitted_at", "id"),
        sa.Index("ix_application_due_id", "due_date", "id"),
        sa.Index("ix_application_doc", "citizenship", "document_number"),
        sa.CheckConstraint("seats IS NULL OR seats > 0", name="seats_positive"),
        # Search by number, name, IIN and document (``services.search``): a trigram
        # index on PostgreSQL (``LIKE '%term%'``); a plain index elsewhere.
        sa.Index("ix_application_search_key", "search_key", postgresql_using="gin",
                 postgresql_ops={"search_key": "gin_trgm_ops"}),
    )

    number: str = column(sa.String(20), unique=True)
    applicant_id: int = column(sa.ForeignKey("applicant.id", ondelete="RESTRICT"), index=True)
    owner_subject: str | None = column(sa.String(200), nullable=True, index=True)
    route: Route = column(str_enum(Route, "route"))
    target_region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    occupation_id: int | None = column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=True)
    status: ApplicationStatus = column(str_enum(ApplicationStatus, "application_status"))
    # Denormalised from the applicant for the anti-fraud duplicate rule.
    citizenship: str = column(sa.String(3))
    document_number: str = column(sa.String(40))
    iin: str | None = column(sa.String(12), nullable=True, index=True)
    submitted_at: dt.datetime = column(UTCDateTime())
    due_date: dt.date = column(sa.Date())
    decided_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    decision_reason: str | None = column(sa.String(1000), nullable=True)
    # Seats taken in a quota when approved (family size for KANDAS, 1 for LABOUR).
    seats: int | None = column(sa.Integer(), nullable=True)
    quota_id: int | None = column(sa.ForeignKey("quota.id", ondelete="RESTRICT"), nullable=True, index=True)
    updated_at: dt.datetime = utc_now_column()
    # The approved work permit a LABOUR application names (SPEC §15): its approval
    # uses one of the permit's places instead of a quota seat.
    permit_id: int | None = column(sa.ForeignKey("work_permit.id"), nullable=True, index=True)
    # Number, applicant's name, IIN and document number, normalised and transliterated
    # to lower-case Latin (``services.search.search_key``), written with the row.
    search_key: str | None = column(sa.Text(), nullable=True)


class ApplicationDecision(Table, table=True):
    """How and why an application left the undecided states: an officer's decision,
    a selection round's approval, or a withdrawal. The newest row is the one in force."""

    __table_args__ = (
        sa.Index("ix_application_decision_application", "application_id", "decided_at", "id"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    outcome: DecisionOutcome = column(str_enum(DecisionOutcome, "decision_outcome"))
    # Required for a refusal by the services; null on a refusal only when it was
    # made before reasons were required and none was given.
    reason: str | None = column(sa.String(1000), nullable=True)
    decided_at: dt.datetime = column(UTCDateTime())
    # The audit subject of who decided; null only for decisions filled in from
    # before they were recorded, when the audit trail did not say.
    decided_by: str | None = column(sa.String(200), nullable=True)
    selection_round_id: int | None = column(sa.ForeignKey("selection_round.id", ondelete="SET NULL"), nullable=True)


class LanguageTest(Table, table=True):
    __table_args__ = (
        between("listening_percent", 0, 100, "listening_range"),
        between("reading_percent", 0, 100, "reading_range"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    level: LanguageLevel = column(str_enum(LanguageLevel, "language_level"))
    listening_percent: int = column(sa.Integer())
    reading_percent: int = column(sa.Integer())
    # One certificate serves one applicant (SPEC §8), on any of their applications: not
    # unique per row; ``services.applications.language_test`` checks it under a lock.
    certificate_number: str = column(sa.String(40), index=True)
    taken_on: dt.date = column(sa.Date())
    recorded_at: dt.datetime = utc_now_column()


class Questionnaire(Table, table=True):
    __table_args__ = (
        between("work_experience_years", 0, 60, "experience_range"),
        between("family_size", 1, 20, "family_range"),
        sa.CheckConstraint("savings >= 0", name="savings_nonneg"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    education_level: EducationLevel = column(str_enum(EducationLevel, "education_level"))
    work_experience_years: int = column(sa.Integer())
    occupation_id: int | None = column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=True)
    family_size: int = column(sa.Integer())
    russian: Proficiency = column(str_enum(Proficiency, "proficiency_ru"))
    english: Proficiency = column(str_enum(Proficiency, "proficiency_en"))
    relatives_in_kazakhstan: bool = column(sa.Boolean())
    prior_stay_in_kazakhstan: bool = column(sa.Boolean())
    criminal_record: bool = column(sa.Boolean())
    deported_before: bool = column(sa.Boolean())
    savings: Decimal = column(Money())
    submitted_at: dt.datetime = utc_now_column()


class FamilyMember(Table, table=True):
    """A member of the principal applicant's family, as the questionnaire lists them.

    When an application has members, its questionnaire's ``family_size`` is 1 (the
    principal) + their number, written in the same transaction: the quota seats, the
    relocation cap and the contract's family all count them."""

    __table_args__ = (
        sa.UniqueConstraint("application_id", "position"),
        between("position", 1, 19, "position_range"),
        sa.CheckConstraint("iin IS NULL OR length(iin) = 12", name="iin_len"),
    )

    # Indexed by the unique (application_id, position).
    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    # 1, 2, ... in the order the questionnaire lists them.
    position: int = column(sa.Integer())
    full_name: str = column(sa.String(200))
    birth_date: dt.date = column(sa.Date())
    sex: Sex = column(str_enum(Sex, "sex"))
    relation: FamilyRelation = column(str_enum(FamilyRelation, "family_relation"))
    document_number: str = column(sa.String(40))
    iin: str | None = column(sa.String(12), nullable=True, index=True)


class Check(Table, table=True):
    __tablename__ = "check_result"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "check_type_id"),
        sa.Index("ix_check_result_feed", "updated_at", "id"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    check_type_id: int = column(sa.ForeignKey("check_type.id", ondelete="RESTRICT"), index=True)
    status: CheckStatus = column(str_enum(CheckStatus, "check_status"))
    details: str | None = column(sa.String(2000), nullable=True)
    requested_at: dt.datetime = column(UTCDateTime())
    completed_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    updated_at: dt.datetime = column(UTCDateTime())
    recorded_by: str | None = column(sa.String(200), nullable=True)


class Interview(Table, table=True):
    __table_args__ = (
        sa.CheckConstraint("points IS NULL OR points BETWEEN 0 AND 10", name="points_range"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    scheduled_at: dt.datetime = column(UTCDateTime())
    outcome: InterviewOutcome | None = column(str_enum(InterviewOutcome, "interview_outcome"), nullable=True)
    points: int | None = column(sa.Integer(), nullable=True)
    notes: str | None = column(sa.String(2000), nullable=True)
    recorded_at: dt.datetime | None = column(UTCDateTime(), nullable=True)


class Score(Table, table=True):
    """The current score of an application with its whole breakdown (earlier
    scores are kept in the audit trail)."""

    __table_args__ = (
        sa.CheckConstraint("total >= 0 AND total <= max_total", name="total_range"),
        sa.Index("ix_score_rank", "total"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    scoring_model_id: int = column(sa.ForeignKey("scoring_model.id", ondelete="RESTRICT"), index=True)
    model_version: str = column(sa.String(40))
    total: int = column(sa.Integer())
    max_total: int = column(sa.Integer())
    pass_mark: int = column(sa.Integer())
    passed: bool = column(sa.Boolean())
    # {"gates": [...], "breakdown": [...]} as the engine produced them, each line with its code,
    # value and English reason; what explains a line further (its message id and legal source) is in
    # ``explanation`` ({"gates": {code: ...}, "breakdown": {code: ...}, "passMarkBasis": ...}), which
    # only reads that explain or translate a score fetch (services.scoring.results.split).
    result: dict[str, Any] = column(JSONType)
    explanation: dict[str, Any] | None = column(JSONType, nullable=True)
    # The gates and the breakdown as the API prints them in English (compact JSON arrays, each
    # line's fields in the order the API declares them), written with ``result``
    # (services.scoring.results.rendered_lines): the compiled read path sends them as they are
    # when a query asks for every field of a line, in that order.
    rendered_gates: str = column(sa.Text())
    rendered_breakdown: str = column(sa.Text())
    computed_at: dt.datetime = column(UTCDateTime())
    # A fact it was computed from has changed since (the application went back to
    # SUBMITTED); the next scoreApplication clears it.
    stale: bool = column(sa.Boolean(), default=False, column_default=False, server_default=sa.false())
