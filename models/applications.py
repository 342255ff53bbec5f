"""Applicants, applications and the four stages: language test, questionnaire,
checks, interview; and the stored score."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow
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
from models.types import JSONType, Money, UTCDateTime, str_enum


class Applicant(SQLModel, table=True):
    __tablename__ = "applicant"
    __table_args__ = (
        sa.CheckConstraint("length(citizenship) = 3 AND citizenship <> 'KAZ'", name="citizenship_iso3"),
        sa.CheckConstraint("iin IS NULL OR length(iin) = 12", name="iin_len"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The identity-provider subject of the applicant who owns this record, if any.
    owner_subject: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True, index=True))
    iin: str | None = Field(default=None, sa_column=sa.Column(sa.String(12), nullable=True, index=True))
    full_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    birth_date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    sex: Sex = Field(sa_column=sa.Column(str_enum(Sex, "sex"), nullable=False))
    citizenship: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    ethnic_kazakh: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    document_number: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class Application(SQLModel, table=True):
    __tablename__ = "application"
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

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, unique=True))
    applicant_id: int = Field(sa_column=sa.Column(sa.ForeignKey("applicant.id", ondelete="RESTRICT"), nullable=False, index=True))
    owner_subject: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True, index=True))
    route: Route = Field(sa_column=sa.Column(str_enum(Route, "route"), nullable=False))
    target_region_id: int = Field(sa_column=sa.Column(sa.ForeignKey("region.id", ondelete="RESTRICT"), nullable=False, index=True))
    occupation_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=True))
    status: ApplicationStatus = Field(sa_column=sa.Column(str_enum(ApplicationStatus, "application_status"), nullable=False))
    # Denormalised from the applicant for the anti-fraud duplicate rule.
    citizenship: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    document_number: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    iin: str | None = Field(default=None, sa_column=sa.Column(sa.String(12), nullable=True, index=True))
    submitted_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    due_date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    decided_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
    decision_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000), nullable=True))
    # Seats taken in a quota when approved (family size for KANDAS, 1 for LABOUR).
    seats: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    quota_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("quota.id", ondelete="RESTRICT"), nullable=True, index=True))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    # Number, applicant's name, IIN and document number, normalised and transliterated
    # to lower-case Latin (``services.search.search_key``), written with the row.
    search_key: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class ApplicationDecision(SQLModel, table=True):
    """How and why an application left the undecided states: an officer's decision,
    a selection round's approval, or a withdrawal. The newest row is the one in force."""

    __tablename__ = "application_decision"
    __table_args__ = (
        sa.Index("ix_application_decision_application", "application_id", "decided_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False))
    outcome: DecisionOutcome = Field(sa_column=sa.Column(str_enum(DecisionOutcome, "decision_outcome"), nullable=False))
    # Required for a refusal by the services; null on a refusal only when it was
    # made before reasons were required and none was given.
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000), nullable=True))
    decided_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    # The audit subject of who decided; null only for decisions filled in from
    # before they were recorded, when the audit trail did not say.
    decided_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    selection_round_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.ForeignKey("selection_round.id", ondelete="SET NULL"), nullable=True))


class LanguageTest(SQLModel, table=True):
    __tablename__ = "language_test"
    __table_args__ = (
        sa.CheckConstraint("listening_percent BETWEEN 0 AND 100", name="listening_range"),
        sa.CheckConstraint("reading_percent BETWEEN 0 AND 100", name="reading_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False, unique=True))
    level: LanguageLevel = Field(sa_column=sa.Column(str_enum(LanguageLevel, "language_level"), nullable=False))
    listening_percent: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    reading_percent: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    certificate_number: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    taken_on: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class Questionnaire(SQLModel, table=True):
    __tablename__ = "questionnaire"
    __table_args__ = (
        sa.CheckConstraint("work_experience_years BETWEEN 0 AND 60", name="experience_range"),
        sa.CheckConstraint("family_size BETWEEN 1 AND 20", name="family_range"),
        sa.CheckConstraint("savings >= 0", name="savings_nonneg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False, unique=True))
    education_level: EducationLevel = Field(sa_column=sa.Column(str_enum(EducationLevel, "education_level"), nullable=False))
    work_experience_years: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    occupation_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=True))
    family_size: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    russian: Proficiency = Field(sa_column=sa.Column(str_enum(Proficiency, "proficiency_ru"), nullable=False))
    english: Proficiency = Field(sa_column=sa.Column(str_enum(Proficiency, "proficiency_en"), nullable=False))
    relatives_in_kazakhstan: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    prior_stay_in_kazakhstan: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    criminal_record: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    deported_before: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    savings: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    submitted_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class FamilyMember(SQLModel, table=True):
    """A member of the principal applicant's family, as the questionnaire lists them.

    When an application has members, its questionnaire's ``family_size`` is 1 (the
    principal) + their number, written in the same transaction: the quota seats, the
    relocation cap and the contract's family all count them."""

    __tablename__ = "family_member"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "position"),
        sa.CheckConstraint("position BETWEEN 1 AND 19", name="position_range"),
        sa.CheckConstraint("iin IS NULL OR length(iin) = 12", name="iin_len"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Indexed by the unique (application_id, position).
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False))
    # 1, 2, ... in the order the questionnaire lists them.
    position: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    full_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    birth_date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    sex: Sex = Field(sa_column=sa.Column(str_enum(Sex, "sex"), nullable=False))
    relation: FamilyRelation = Field(sa_column=sa.Column(str_enum(FamilyRelation, "family_relation"), nullable=False))
    document_number: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    iin: str | None = Field(default=None, sa_column=sa.Column(sa.String(12), nullable=True, index=True))


class Check(SQLModel, table=True):
    __tablename__ = "check_result"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "check_type_id"),
        sa.Index("ix_check_result_feed", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False, index=True))
    check_type_id: int = Field(sa_column=sa.Column(sa.ForeignKey("check_type.id", ondelete="RESTRICT"), nullable=False, index=True))
    status: CheckStatus = Field(sa_column=sa.Column(str_enum(CheckStatus, "check_status"), nullable=False))
    details: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000), nullable=True))
    requested_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    completed_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
    updated_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    recorded_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))


class Interview(SQLModel, table=True):
    __tablename__ = "interview"
    __table_args__ = (
        sa.CheckConstraint("points IS NULL OR points BETWEEN 0 AND 10", name="points_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False, unique=True))
    scheduled_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    outcome: InterviewOutcome | None = Field(
        default=None, sa_column=sa.Column(str_enum(InterviewOutcome, "interview_outcome"), nullable=True)
    )
    points: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000), nullable=True))
    recorded_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))


class Score(SQLModel, table=True):
    """The current score of an application with its whole breakdown (earlier
    scores are kept in the audit trail)."""

    __tablename__ = "score"
    __table_args__ = (
        sa.CheckConstraint("total >= 0 AND total <= max_total", name="total_range"),
        sa.Index("ix_score_rank", "total"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False, unique=True))
    scoring_model_id: int = Field(sa_column=sa.Column(sa.ForeignKey("scoring_model.id", ondelete="RESTRICT"), nullable=False, index=True))
    model_version: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    total: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    max_total: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    pass_mark: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    passed: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    # {"gates": [...], "breakdown": [...]} as the engine produced them.
    result: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    computed_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    # A fact it was computed from has changed since (the application went back to
    # SUBMITTED); the next scoreApplication clears it.
    stale: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, default=False,
                                                           server_default=sa.false()))
