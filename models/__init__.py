"""All tables. Importing this package registers every table on ``metadata``."""

from models.base import metadata, today_almaty, utcnow  # noqa: F401  (naming convention first)
from models.accounts import AdminAccount, AgencyApiKey, FailedAuthentication
from models.applications import (
    Applicant,
    Application,
    ApplicationDecision,
    Check,
    FamilyMember,
    Interview,
    LanguageTest,
    Questionnaire,
    Score,
)
from models.audit import AuditEvent, NumberSequence
from models.contracts import ContractTermination, RefundPayment, SocialContract, SupportPayment
from models.labour import AgencyPermission, Employer, SuspensionRule, Violation, WorkPermit
from models.quotas import Quota, SelectionRound, SelectionRoundApproval, SelectionRoundPassedOver
from models.reference import (
    Agency,
    CheckType,
    CheckTypeGrant,
    DeficitOccupation,
    MrpValue,
    Occupation,
    Region,
    SupportMeasure,
    TerminationReasonRule,
)
from models.residence import AgencyGrant, ContractBreach, ResidenceEvent
from models.scoring import ScoringModel
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models.kandas import KandasStatus
from models.reviews import DecisionReview, Holiday
from models.score_history import ScoreHistory

__all__ = [
    "AdminAccount", "Agency", "AgencyApiKey", "AgencyPermission", "FailedAuthentication", "Employer", "SuspensionRule", "Violation",
    "WorkPermit", "Applicant", "Application", "ApplicationDecision", "AuditEvent", "Check",
    "CheckType", "CheckTypeGrant", "ContractTermination", "DeficitOccupation", "FamilyMember", "Interview",
    "LanguageTest", "MrpValue", "NumberSequence", "Occupation", "Questionnaire", "Quota",
    "RefundPayment", "Region", "Score", "ScoreHistory", "ScoringModel", "SelectionRound", "SelectionRoundApproval", "SelectionRoundPassedOver",
    "SocialContract", "SupportMeasure", "SupportPayment", "TerminationReasonRule", "metadata",
    "today_almaty", "utcnow",
    "AgencyGrant", "ContractBreach", "ResidenceEvent",
    "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "DecisionReview", "Holiday", "KandasStatus",
]
