"""All tables. Importing this package registers every table on ``metadata``."""

from models.base import metadata, today_almaty, utcnow  # noqa: F401  (naming convention first)
from models.accounts import AdminAccount, AgencyApiKey
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
from models.scoring import ScoringModel
from models.score_history import ScoreHistory

__all__ = [
    "AdminAccount", "Agency", "AgencyApiKey", "Applicant", "Application", "ApplicationDecision", "AuditEvent", "Check",
    "CheckType", "CheckTypeGrant", "ContractTermination", "DeficitOccupation", "FamilyMember", "Interview",
    "LanguageTest", "MrpValue", "NumberSequence", "Occupation", "Questionnaire", "Quota",
    "RefundPayment", "Region", "Score", "ScoreHistory", "ScoringModel", "SelectionRound", "SelectionRoundApproval", "SelectionRoundPassedOver",
    "SocialContract", "SupportMeasure", "SupportPayment", "TerminationReasonRule", "metadata",
    "today_almaty", "utcnow",
]
