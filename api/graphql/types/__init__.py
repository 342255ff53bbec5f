"""The read types of the contract, built from table rows, by domain.

Scalars are copied from the row when the object is built; related objects are
resolved through the request's loaders, which apply the viewer's row filters.

- ``common``: the enums, ``Node``, ``PageInfo``, ``UserError``, building from a row;
- ``reference``: regions, agencies, check types, occupations, deficit lists;
- ``applications``: applicants, applications and what they gather (checks, score, …);
- ``scoring``: scoring models and simulations;
- ``contracts``: social contracts, payments, terminations;
- ``quotas``: quotas and selection rounds;
- ``connections``: the paged lists.
"""

from typing import Any

import models as m
from api.graphql.types.applications import (
    Applicant,
    Application,
    ApplicationDecision,
    Check,
    CriterionScore,
    FamilyMember,
    GateResult,
    Interview,
    LanguageTest,
    Questionnaire,
    Score,
)
from api.graphql.types.common import (
    ApplicationStatus,
    CheckStatus,
    ContractStatus,
    DecisionOutcome,
    EducationLevel,
    ErrorCode,
    FamilyRelation,
    InterviewOutcome,
    LanguageLevel,
    Node,
    PageInfo,
    Proficiency,
    QuotaKind,
    Route,
    ScoringModelStatus,
    Sex,
    TerminationReason,
    UserError,
)
from api.graphql.types.connections import (
    ApplicationConnection,
    CheckConnection,
    Connection,
    Edge,
    SocialContractConnection,
)
from api.graphql.types.connections import ContractBreachConnection, ResidenceEventConnection
from api.graphql.types.contracts import (ContractTermination, SocialContract, SupportMeasure, SupportPayment,
                                         TerminationReasonRule)
from api.graphql.types.explain import (
    Basis,
    FairnessGroup,
    FairnessReport,
    ScoreBand,
    ScoreHistoryEntry,
    ScoreImprovement,
    SelectionRoundStatistics,
)
from api.graphql.types.quotas import Quota, SelectionRound
from api.graphql.types.reference import Agency, CheckType, DeficitList, Occupation, Region
from api.graphql.types.residence import BreachOutcome, BreachStatus, ContractBreach, ResidenceEvent, ResidenceEventKind
from api.graphql.types.scoring import ScoringModel, ScoringSimulation
from api.graphql.types.webhooks import WebhookEndpoint, WebhookEventType
from api.graphql.types.kandas import DecisionReview, DecisionReviewConnection, KandasStatus, KandasStatusConnection

NODE_TYPES: dict[str, tuple[type, Any]] = {
    "Region": (m.Region, Region),
    "Agency": (m.Agency, Agency),
    "CheckType": (m.CheckType, CheckType),
    "ScoringModel": (m.ScoringModel, ScoringModel),
    "Quota": (m.Quota, Quota),
    "Applicant": (m.Applicant, Applicant),
    "Application": (m.Application, Application),
    "Check": (m.Check, Check),
    "SocialContract": (m.SocialContract, SocialContract),
    "SelectionRound": (m.SelectionRound, SelectionRound),
    "ResidenceEvent": (m.ResidenceEvent, ResidenceEvent),
    "ContractBreach": (m.ContractBreach, ContractBreach),
    "WebhookEndpoint": (m.WebhookEndpoint, WebhookEndpoint),
    "KandasStatus": (m.KandasStatus, KandasStatus),
    "DecisionReview": (m.DecisionReview, DecisionReview),
}


def _labour_nodes() -> None:
    """Employers, permits and violations (SPEC §15), in their own module (it imports the types above)."""
    from api.graphql.types.labour import Employer, Violation, WorkPermit

    NODE_TYPES.update({"Employer": (m.Employer, Employer), "WorkPermit": (m.WorkPermit, WorkPermit),
                       "Violation": (m.Violation, Violation)})


_labour_nodes()

__all__ = [
    "NODE_TYPES", "Agency", "Applicant", "Application", "ApplicationConnection", "ApplicationDecision",
    "ApplicationStatus", "Check", "CheckConnection", "CheckStatus", "CheckType", "Connection", "ContractStatus",
    "ContractTermination", "CriterionScore", "DecisionOutcome", "DeficitList", "Edge", "EducationLevel", "ErrorCode",
    "FamilyMember", "FamilyRelation", "GateResult", "Interview", "InterviewOutcome", "LanguageLevel", "LanguageTest",
    "Node", "Occupation", "PageInfo", "Proficiency", "Questionnaire", "Quota", "QuotaKind", "Region", "Route",
    "Score", "ScoringModel", "ScoringModelStatus", "ScoringSimulation", "SelectionRound", "Sex", "SocialContract",
    "SocialContractConnection", "SupportMeasure", "SupportPayment", "TerminationReason", "TerminationReasonRule",
    "UserError",
    "BreachOutcome", "BreachStatus", "ContractBreach", "ContractBreachConnection", "ResidenceEvent",
    "ResidenceEventConnection", "ResidenceEventKind",
    "WebhookEndpoint", "WebhookEventType",
    "DecisionReview", "DecisionReviewConnection", "KandasStatus", "KandasStatusConnection",
    "Basis", "FairnessGroup", "FairnessReport", "ScoreBand", "ScoreHistoryEntry", "ScoreImprovement",
    "SelectionRoundStatistics",
]
