"""Enumerations shared by the tables, the services and the GraphQL schema.

Member names equal their values and the contract's enum values.
"""

from __future__ import annotations

from enum import Enum


class Route(str, Enum):
    KANDAS = "KANDAS"
    GENERAL = "GENERAL"
    LABOUR = "LABOUR"


class ApplicationStatus(str, Enum):
    SUBMITTED = "SUBMITTED"
    PASSED = "PASSED"
    FAILED = "FAILED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


UNDECIDED_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.PASSED, ApplicationStatus.FAILED)


class LanguageLevel(str, Enum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"


class Proficiency(str, Enum):
    NONE = "NONE"
    BASIC = "BASIC"
    FLUENT = "FLUENT"


class Sex(str, Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class FamilyRelation(str, Enum):
    """How a family member listed in a questionnaire is related to the principal applicant."""

    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    SIBLING = "SIBLING"
    OTHER = "OTHER"


class EducationLevel(str, Enum):
    NONE = "NONE"
    SECONDARY = "SECONDARY"
    VOCATIONAL = "VOCATIONAL"
    BACHELOR = "BACHELOR"
    MASTER = "MASTER"
    DOCTORATE = "DOCTORATE"


class CheckStatus(str, Enum):
    REQUESTED = "REQUESTED"
    CLEARED = "CLEARED"
    FLAGGED = "FLAGGED"
    REJECTED = "REJECTED"
    # The application was withdrawn or decided before a result came: no result is
    # recorded any more (SPEC §4; issue 13 item 11).
    CANCELLED = "CANCELLED"


OPEN_CHECK_STATUSES = (CheckStatus.REQUESTED,)


class InterviewOutcome(str, Enum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    NO_SHOW = "NO_SHOW"


class Decision(str, Enum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


class DecisionOutcome(str, Enum):
    """How an application left the undecided states: a decision (by an officer or a
    selection round) or the applicant's withdrawal."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class QuotaKind(str, Enum):
    KANDAS = "KANDAS"
    LABOUR = "LABOUR"


class ContractStatus(str, Enum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class TerminationReason(str, Enum):
    LEFT_REGION = "LEFT_REGION"
    VOLUNTARY = "VOLUNTARY"
    BREACH = "BREACH"
    DEATH = "DEATH"
    DISABILITY = "DISABILITY"
    FORCE_MAJEURE = "FORCE_MAJEURE"


class ScoringModelStatus(str, Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    RETIRED = "RETIRED"


class Role(str, Enum):
    """Roles a JWT may carry."""

    APPLICANT = "APPLICANT"
    OFFICER = "OFFICER"
    ADMIN = "ADMIN"


class AdminRole(str, Enum):
    """Roles in the admin panel."""

    ADMINISTRATOR = "ADMINISTRATOR"
    AUDITOR = "AUDITOR"


class RegionKind(str, Enum):
    OBLAST = "oblast"
    CITY = "city"


class AgencyGrantKind(str, Enum):
    """What an agency may do beyond its check types (SPEC §13: the address-registration
    authority reports where contract holders live)."""

    RESIDENCE = "RESIDENCE"


class ResidenceEventKind(str, Enum):
    REGISTERED = "REGISTERED"
    DEREGISTERED = "DEREGISTERED"
    MOVED = "MOVED"


class BreachStatus(str, Enum):
    OPEN = "OPEN"
    CONFIRMED = "CONFIRMED"
    DISMISSED = "DISMISSED"


class BreachOutcome(str, Enum):
    CONFIRMED = "CONFIRMED"
    DISMISSED = "DISMISSED"


class WebhookDeliveryStatus(str, Enum):
    """An outbox row: waiting to be sent (or re-sent), received, or given up after the last try."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class KandasStatusState(str, Enum):
    """A kandas status as read (SPEC §12): ``EXPIRED`` is never stored, it is an
    ``ACTIVE`` status read after its ``validUntil``."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    ENDED = "ENDED"


STORED_KANDAS_STATES = (KandasStatusState.ACTIVE, KandasStatusState.ENDED)


class KandasEndReason(str, Enum):
    CITIZENSHIP_GRANTED = "CITIZENSHIP_GRANTED"
    REVOKED = "REVOKED"
    DEPARTED = "DEPARTED"


class ReviewStatus(str, Enum):
    """A review of a decision (SPEC §14): open, or decided with its outcome."""

    OPEN = "OPEN"
    UPHELD = "UPHELD"
    OVERTURNED = "OVERTURNED"


class ReviewOutcome(str, Enum):
    UPHELD = "UPHELD"
    OVERTURNED = "OVERTURNED"


class PermitCategory(str, Enum):
    """Work permit categories (SPEC §15): 1 heads and deputies, 2 heads of units,
    3 specialists, 4 skilled workers, seasonal, intra-corporate transfer."""

    CAT1 = "CAT1"
    CAT2 = "CAT2"
    CAT3 = "CAT3"
    CAT4 = "CAT4"
    SEASONAL = "SEASONAL"
    ICT = "ICT"


class StaffCategory(str, Enum):
    """The categories an employer's local (Kazakhstani) staff are counted in."""

    CAT1 = "CAT1"
    CAT2 = "CAT2"
    CAT3 = "CAT3"
    CAT4 = "CAT4"


class PermitStatus(str, Enum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ViolationKind(str, Enum):
    ILLEGAL_EMPLOYMENT = "ILLEGAL_EMPLOYMENT"
    PERMIT_BREACH = "PERMIT_BREACH"
    OVERSTAY = "OVERSTAY"
    FALSE_DOCUMENTS = "FALSE_DOCUMENTS"
    OTHER = "OTHER"


class ScoreReason(str, Enum):
    """Why a score was computed (SPEC §17, ``Application.scoreHistory``)."""

    FIRST_SCORE = "FIRST_SCORE"
    NEW_FACTS = "NEW_FACTS"
    NEW_MODEL = "NEW_MODEL"
    REVIEW = "REVIEW"
