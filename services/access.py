"""Who may see what: every access decision of the read side, declared once.

Three declarations, read by every engine that answers reads (the resolvers
through ``api.graphql.visibility``, the compiled read path, the loaders):

- ``ROW_FILTERS``: which rows of a table a caller reaches, as one SQL filter per
  model with the viewer's values as named parameters, so a rule holds for nested
  fields, ``node`` and lists alike. A row a caller may not see answers as a row
  that does not exist.
- ``FIELDS``: which fields of a reached row a caller reads, per type and field,
  by caller class (SPEC §11). A hidden field reads as ``null`` (a list as
  ``[]``); only nullable fields and lists may be hidden.
- ``ROOTS``: which caller classes may ask each root field of ``Query`` at all,
  and what the others get (UNAUTHENTICATED when anonymous, else FORBIDDEN, or
  ``null`` where a refusal would tell that the record exists); ``FILTERS``: the
  fields each field of a root's ``filter`` tests, which the caller must read to
  give it.

Nothing in ``api/`` decides access on its own: a field added to the schema and
not declared here fails ``tests/api/test_access_declaration.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy import ColumnElement, and_, bindparam, false, select, true

from models import (Application, Check, ContractBreach, DecisionReview, Employer, KandasStatus, ResidenceEvent,
                    SocialContract, Violation, WebhookEndpoint, WorkPermit)
from services.viewer import ADMIN_PANEL_ROLE, SYSTEM_ROLE, Viewer


class Caller(str, Enum):
    """Caller classes: what decides which fields of a reached row one may read."""

    ANONYMOUS = "anonymous"
    APPLICANT = "applicant"  # their own records only: the row filters see to that
    STAFF = "staff"  # officers, administrators, the admin panel, system jobs
    AGENCY = "agency"  # a partner agency's API key


def caller_of(viewer: Viewer) -> Caller:
    if viewer.is_agency:
        return Caller.AGENCY
    if viewer.is_applicant:
        return Caller.APPLICANT
    if viewer.is_staff or viewer.role in (ADMIN_PANEL_ROLE, SYSTEM_ROLE):
        return Caller.STAFF
    return Caller.ANONYMOUS


EVERYONE = frozenset(Caller)
SIGNED_IN = frozenset({Caller.APPLICANT, Caller.STAFF, Caller.AGENCY})
PEOPLE = frozenset({Caller.APPLICANT, Caller.STAFF})
STAFF = frozenset({Caller.STAFF})
STAFF_AND_AGENCIES = frozenset({Caller.STAFF, Caller.AGENCY})


# ---------------------------------------------------------------- rows


def _per_viewer(rule: Callable[[Viewer], ColumnElement[bool]]) -> Callable[[Viewer], ColumnElement[bool]]:
    """A row filter depends on the viewer alone (a frozen value) and a SQL expression
    is never changed once built, so each viewer's is built once and shared: an
    agency's filter on checks lists its check types, and building that ``IN`` took
    89 µs of each feed page's ~0.9 ms of server time (the compiled lane, in-process).
    An agency whose check types change is another viewer."""
    return functools.lru_cache(maxsize=1024)(rule)


def _subject(viewer: Viewer) -> ColumnElement[str]:
    # A named parameter: a compiled statement is reused for every viewer of the same kind.
    return bindparam("viewer_subject", viewer.subject)


@_per_viewer
def applications(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    if viewer.is_applicant and viewer.subject:
        return Application.owner_subject == _subject(viewer)
    if viewer.is_agency and viewer.readable_check_type_ids:
        # An agency reaches an application only through a check it may read.
        return Application.id.in_(
            select(Check.application_id).where(Check.check_type_id.in_(sorted(viewer.readable_check_type_ids)))
        )
    return false()


@_per_viewer
def checks(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    if viewer.is_agency:
        if not viewer.readable_check_type_ids:
            return false()
        return Check.check_type_id.in_(sorted(viewer.readable_check_type_ids))
    if viewer.is_applicant and viewer.subject:
        return Check.application_id.in_(select(Application.id).where(Application.owner_subject == _subject(viewer)))
    return false()


@_per_viewer
def contracts(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    if viewer.is_applicant and viewer.subject:
        return SocialContract.application_id.in_(
            select(Application.id).where(Application.owner_subject == _subject(viewer))
        )
    return false()


@_per_viewer
def residence_events(viewer: Viewer) -> ColumnElement[bool]:
    """SPEC §13: staff read every event; an agency the events it reported; an
    applicant the events of their own contract."""
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    if viewer.is_agency and viewer.agency_id is not None:
        return ResidenceEvent.agency_id == bindparam("viewer_agency", viewer.agency_id)
    if viewer.is_applicant and viewer.subject:
        return ResidenceEvent.contract_id.in_(
            select(SocialContract.id).join(Application, Application.id == SocialContract.application_id)
            .where(Application.owner_subject == _subject(viewer)))
    return false()


@_per_viewer
def contract_breaches(viewer: Viewer) -> ColumnElement[bool]:
    """SPEC §13: breach cases are staff-only."""
    return true() if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE) else false()


@_per_viewer
def webhook_endpoints(viewer: Viewer) -> ColumnElement[bool]:
    """An agency reaches its own endpoints; administrators (and the admin panel) every
    agency's; nobody a deleted one."""
    live = WebhookEndpoint.deleted_at.is_(None)
    if viewer.is_admin or (viewer.role == ADMIN_PANEL_ROLE):
        return live
    if viewer.is_agency and viewer.agency_id is not None:
        return and_(live, WebhookEndpoint.agency_id == bindparam("viewer_agency_id", viewer.agency_id))
    return false()
def _own_application_rows(application_id: ColumnElement[int], viewer: Viewer) -> ColumnElement[bool]:
    """Rows of an application: staff reach all, an applicant those of their own, nobody else any."""
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    if viewer.is_applicant and viewer.subject:
        return application_id.in_(select(Application.id).where(Application.owner_subject == _subject(viewer)))
    return false()


@_per_viewer
def kandas_statuses(viewer: Viewer) -> ColumnElement[bool]:
    """SPEC §12: staff, and the applicant their own; never an agency."""
    return _own_application_rows(KandasStatus.application_id, viewer)


@_per_viewer
def decision_reviews(viewer: Viewer) -> ColumnElement[bool]:
    """SPEC §14: staff, and the applicant their own; never an agency."""
    return _own_application_rows(DecisionReview.application_id, viewer)


@_per_viewer
def employers(viewer: Viewer) -> ColumnElement[bool]:
    """Employers and their permits (SPEC §15): staff only."""
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    return false()


@_per_viewer
def work_permits(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    return false()


@_per_viewer
def violations(viewer: Viewer) -> ColumnElement[bool]:
    """Staff read every violation; a partner agency (the migration service) the ones its key recorded."""
    if viewer.is_staff or (viewer.role == ADMIN_PANEL_ROLE):
        return true()
    if viewer.is_agency and viewer.agency_id is not None:
        return Violation.agency_id == bindparam("viewer_agency_id", viewer.agency_id)
    return false()


# References whose target passes its row filter, for every caller, whenever the row
# they are read from passed its own: the check's application (staff read both; an
# agency reaches an application through a check it may read; an applicant reads
# the checks of their own applications). A reader may leave the target's filter out
# (the compiled path: 1.1 ms of the agencies' 100-check feed page on PostgreSQL);
# tests/services/test_access.py holds each to that for every caller class.
IMPLIED: frozenset[tuple[type, str]] = frozenset({(Check, "application_id")})


def implied(source: type, foreign_key: str) -> bool:
    """Whether the row filter of what ``source.foreign_key`` points at holds for
    every row of ``source`` its own filter lets through (``IMPLIED``)."""
    return (source, foreign_key) in IMPLIED


ROW_FILTERS: dict[type, Callable[[Viewer], ColumnElement[bool]]] = {
    Application: applications,
    Check: checks,
    SocialContract: contracts,
    ResidenceEvent: residence_events,
    ContractBreach: contract_breaches,
    WebhookEndpoint: webhook_endpoints,
    KandasStatus: kandas_statuses,
    DecisionReview: decision_reviews,
    Employer: employers,
    WorkPermit: work_permits,
    Violation: violations,
}


def row_filter(model: type, viewer: Viewer) -> ColumnElement[bool]:
    rule = ROW_FILTERS.get(model)
    return rule(viewer) if rule is not None else true()


def sees_applicant(viewer: Viewer, owner_subject: str | None) -> bool:
    """An applicant record fetched by ``node(id:)``: staff, or the person it belongs to."""
    return viewer.is_staff or owner_subject == viewer.subject


# ---------------------------------------------------------------- fields


@dataclass(frozen=True)
class Fields:
    """The fields of one type: ``reach`` is who can reach its rows at all (the roots
    and row filters decide which rows); ``default`` who reads a field not named in
    ``only`` (all of ``reach`` when not given); ``only`` the fields read by others.
    A field read by fewer callers than ``reach`` is hidden from the rest."""

    reach: frozenset[Caller]
    default: frozenset[Caller] | None = None
    only: Mapping[str, frozenset[Caller]] = field(default_factory=dict)

    def readers(self, name: str) -> frozenset[Caller]:
        chosen = self.only.get(name, self.reach if self.default is None else self.default)
        return chosen & self.reach


# SPEC §11: an agency reads of a check's application only what the check needs.
_AGENCY_READS_OF_APPLICATION = ("id", "number", "status", "route", "targetRegion", "submittedAt", "dueDate",
                                "applicant")
_AGENCY_READS_OF_APPLICANT = ("id", "fullName", "birthDate", "sex", "citizenship", "ethnicKazakh", "documentNumber")

FIELDS: dict[str, Fields] = {
    # Reference data: public.
    "Region": Fields(EVERYONE),
    "Agency": Fields(EVERYONE),
    "CheckType": Fields(EVERYONE),
    # Reference data for people who apply or decide (the roots refuse the others).
    "ScoringModel": Fields(PEOPLE),
    "Quota": Fields(PEOPLE),
    # A check: its agency reads all of it (the row filter gives it only its own).
    "Check": Fields(SIGNED_IN),
    # ``scoreHistory`` (SPEC §17) is not in the agency's list: the applicant and staff read it.
    "Application": Fields(SIGNED_IN, PEOPLE, {**{f: SIGNED_IN for f in _AGENCY_READS_OF_APPLICATION},
                                              "permit": STAFF}),
    "Applicant": Fields(SIGNED_IN, PEOPLE, {f: SIGNED_IN for f in _AGENCY_READS_OF_APPLICANT}),
    # Never to an agency: language tests, questionnaires, interviews, scores, contracts.
    "LanguageTest": Fields(PEOPLE),
    "Questionnaire": Fields(PEOPLE),
    "FamilyMember": Fields(PEOPLE),
    "Interview": Fields(PEOPLE),
    "Score": Fields(PEOPLE),
    "GateResult": Fields(PEOPLE),
    "CriterionScore": Fields(PEOPLE),
    # Breach cases are staff-only (SPEC §13): an applicant reads their contract's events, not its cases.
    "SocialContract": Fields(PEOPLE, only={"breaches": STAFF}),
    "SupportPayment": Fields(PEOPLE),
    "ContractTermination": Fields(PEOPLE),
    # A decision: the applicant reads what was decided, when and why, not who decided.
    "ApplicationDecision": Fields(PEOPLE, only={"decidedBy": STAFF}),
    # Reference lists for people who apply or decide.
    "Occupation": Fields(PEOPLE),
    "SupportMeasure": Fields(PEOPLE),
    "TerminationReasonRule": Fields(PEOPLE),
    "DeficitList": Fields(PEOPLE),
    # Staff's tools.
    "SelectionRound": Fields(STAFF),
    "ScoringSimulation": Fields(STAFF),
    # SPEC §13: an agency reads the events it reported (the row filter), as it sent them;
    # not whose contract they matched nor the case they opened. Cases are staff-only.
    "ResidenceEvent": Fields(SIGNED_IN, only={"contract": PEOPLE, "breach": STAFF}),
    "ContractBreach": Fields(STAFF),
    # Webhooks: an agency's own endpoints (row filter); the secret is no field (shown once,
    # in ``RegisterWebhookPayload``).
    "WebhookEndpoint": Fields(STAFF_AND_AGENCIES),
    # SPEC §12 and §14: the applicant reads their own status and reviews, not who asked or decided.
    "KandasStatus": Fields(PEOPLE),
    "DecisionReview": Fields(PEOPLE, only={"requestedBy": STAFF, "decisionBy": STAFF, "decidedBy": STAFF}),
    # Public reference data.
    "Holiday": Fields(EVERYONE),
    # SPEC §15. Employers and permits: staff only. A violation: the migration service reads
    # back what its key recorded, not whose it is (employer, application).
    "Employer": Fields(STAFF),
    "StaffCount": Fields(STAFF),
    "WorkPermit": Fields(STAFF),
    "Violation": Fields(STAFF_AND_AGENCIES, STAFF, {f: STAFF_AND_AGENCIES for f in (
        "id", "kind", "occurredOn", "fineMrp", "externalId", "recordedAt")}),
    # SPEC §17. The legal basis of a line and what would raise a score: with the score (never to an
    # agency). The score history: the applicant (their own, by the row filter) and staff.
    "Basis": Fields(PEOPLE),
    "ScoreImprovement": Fields(PEOPLE),
    "ScoreHistoryEntry": Fields(PEOPLE),
    # Public round statistics: anyone, no token; nothing in them identifies a person.
    "SelectionRoundStatistics": Fields(EVERYONE),
    "ScoreBand": Fields(EVERYONE),
    # The fairness check (aggregates): staff's tools; the services answer administrators only.
    "FairnessReport": Fields(STAFF),
    "FairnessGroup": Fields(STAFF),
}

# Types that only carry other types (pages, edges, mutation payloads, errors): whoever
# reaches them reads them; what they carry is declared above.
STRUCTURAL_SUFFIXES = ("Connection", "Edge", "Payload")
STRUCTURAL = frozenset({"PageInfo", "UserError", "Query", "Mutation"})


def is_structural(type_name: str) -> bool:
    return type_name in STRUCTURAL or type_name.endswith(STRUCTURAL_SUFFIXES)


def field_readers(type_name: str, field_name: str) -> frozenset[Caller]:
    """The caller classes that read this field of a row they reached."""
    if is_structural(type_name) or field_name == "__typename":
        return EVERYONE
    return FIELDS[type_name].readers(field_name)


def hidden_from(type_name: str, field_name: str) -> frozenset[Caller]:
    """The caller classes that reach rows of this type but not this field."""
    if is_structural(type_name) or field_name == "__typename":
        return frozenset()
    spec = FIELDS[type_name]
    return spec.reach - spec.readers(field_name)


def reads(viewer: Viewer, type_name: str, field_name: str) -> bool:
    """Whether the viewer reads this field of a row it reached."""
    return caller_of(viewer) in field_readers(type_name, field_name)


# ---------------------------------------------------------------- roots


@dataclass(frozen=True)
class Root:
    readers: frozenset[Caller]
    refusal: str = "FORBIDDEN"  # or "NULL": answer as if nothing were there


ROOTS: dict[str, Root] = {
    "node": Root(EVERYONE),  # by type (``may_fetch_node``) and row filter
    "regions": Root(EVERYONE),
    "scoringModels": Root(PEOPLE),
    "quotas": Root(PEOPLE),
    "occupations": Root(PEOPLE),
    "supportMeasures": Root(PEOPLE),
    "terminationReasons": Root(PEOPLE),
    "deficitLists": Root(PEOPLE),
    "selectionRounds": Root(STAFF),
    # SPEC §7: agency keys do not read applications; they see one only as the context of a
    # check they may read, so ``application(id:)`` answers null rather than telling it exists.
    "application": Root(PEOPLE, refusal="NULL"),
    "applications": Root(PEOPLE),
    "contracts": Root(PEOPLE),
    "scoringSimulation": Root(STAFF),
    "checkResults": Root(STAFF_AND_AGENCIES),
    "residenceEvents": Root(SIGNED_IN),  # each caller the events its row filter gives (SPEC §13)
    "contractBreaches": Root(STAFF),
    "webhooks": Root(STAFF_AND_AGENCIES),  # rows: an agency's own; every agency's for administrators
    "kandasStatuses": Root(STAFF),
    "decisionReviews": Root(STAFF),
    "holidays": Root(EVERYONE),
    "employers": Root(STAFF),
    "workPermits": Root(STAFF),
    "violations": Root(STAFF_AND_AGENCIES),
    "selectionRoundStatistics": Root(EVERYONE),  # SPEC §17: public, no token
}


# A filter answers which rows hold a value, so it reads the fields it tests: a caller
# who does not read one of them may not give it (FORBIDDEN on ``filter.<field>``), or
# the rows that come back would tell the hidden value (SPEC §11; §13: an agency reads
# its events, not the contract they matched nor the case they opened). Per root, each
# field of its ``filter`` argument and the fields, as (type, field), that it tests.
FILTERS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "applications": {
        "status": (("Application", "status"),),
        "route": (("Application", "route"),),
        "regionCode": (("Application", "targetRegion"),),
        "overdue": (("Application", "status"), ("Application", "dueDate")),
        "search": (("Application", "number"), ("Applicant", "fullName"), ("Applicant", "iin"),
                   ("Applicant", "documentNumber")),
    },
    "contracts": {
        "status": (("SocialContract", "status"),),
        "regionCode": (("SocialContract", "region"),),
        "residenceUnconfirmed": (("SocialContract", "status"), ("SocialContract", "startDate"),
                                 ("SocialContract", "residenceEvents"), ("ResidenceEvent", "kind"),
                                 ("ResidenceEvent", "region"), ("ResidenceEvent", "occurredOn")),
    },
    "residenceEvents": {
        "kind": (("ResidenceEvent", "kind"),),
        "regionCode": (("ResidenceEvent", "region"),),
        "contractId": (("ResidenceEvent", "contract"),),
        "openBreach": (("ResidenceEvent", "breach"), ("ContractBreach", "status")),
    },
    "contractBreaches": {
        "status": (("ContractBreach", "status"),),
        "regionCode": (("ContractBreach", "contract"), ("SocialContract", "region")),
    },
    "kandasStatuses": {
        "status": (("KandasStatus", "status"),),
        "expiringWithinDays": (("KandasStatus", "status"), ("KandasStatus", "validUntil")),
    },
    "decisionReviews": {
        "status": (("DecisionReview", "status"),),
        "overdue": (("DecisionReview", "overdue"),),
    },
    "employers": {
        "regionCode": (("Employer", "region"),),
        "bin": (("Employer", "bin"),),
        "suspended": (("Employer", "suspended"),),
    },
    "workPermits": {
        "status": (("WorkPermit", "status"),),
        "category": (("WorkPermit", "category"),),
        "regionCode": (("WorkPermit", "region"),),
        "employerId": (("WorkPermit", "employer"),),
    },
    "violations": {
        "kind": (("Violation", "kind"),),
        "employerId": (("Violation", "employer"),),
        "applicationId": (("Violation", "application"),),
    },
}


def refused_filter(viewer: Viewer, root: str, given: Iterable[str]) -> str | None:
    """The first of the ``filter`` fields ``given`` to ``root`` that tests a field the
    viewer does not read (``FILTERS``; a field not declared there is refused to all);
    None when the viewer reads every field they test."""
    tested = FILTERS.get(root, {})
    for name in given:
        fields = tested.get(name)
        if fields is None or not all(reads(viewer, type_name, field_name) for type_name, field_name in fields):
            return name
    return None


def may_write(viewer: Viewer) -> bool:
    """Mutations: any signed-in caller; each service then decides what it may do."""
    return caller_of(viewer) is not Caller.ANONYMOUS


def may_ask(viewer: Viewer, root: str) -> bool:
    return caller_of(viewer) in ROOTS[root].readers


# Node types fetched by ``node(id:)``: the type's readers, then the row filters decide.
NODE_READERS: dict[str, frozenset[Caller]] = {
    "Region": EVERYONE,
    "Agency": EVERYONE,
    "CheckType": EVERYONE,
    "ScoringModel": PEOPLE,
    "Quota": PEOPLE,
    "SelectionRound": STAFF,
    "Applicant": PEOPLE,
    "Application": PEOPLE,
    "Check": SIGNED_IN,
    "SocialContract": PEOPLE,
    "ResidenceEvent": SIGNED_IN,
    "ContractBreach": STAFF,
    "WebhookEndpoint": STAFF_AND_AGENCIES,
    "KandasStatus": PEOPLE,
    "DecisionReview": PEOPLE,
    "Employer": STAFF,
    "WorkPermit": STAFF,
    "Violation": STAFF_AND_AGENCIES,
}


def may_fetch_node(viewer: Viewer, type_name: str) -> bool:
    """Whether ``node(id:)`` may return a node of this type to the viewer at all; the
    row filters then decide which rows (checks, applications, contracts)."""
    return caller_of(viewer) in NODE_READERS.get(type_name, frozenset())

