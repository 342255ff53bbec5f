"""One declarative description of how each read type maps to its table.

Both engines use it: the normal resolvers build their objects from it
(``scalars_of``) and load related rows by its relations, and the compiled read
path (``api.graphql.compiler``) turns the same description into SQL.

- ``Column``: a scalar field read from a column of the type's own table.
- ``Ref``: a many-to-one object through a foreign key on this table.
- ``Child``: objects of another table whose foreign key points at this row
  (one, or a list with its order).
- ``Lookup``: a scalar read from another table through a foreign key
  (e.g. ``occupationCode``).
- ``Derived``: a scalar computed from columns of this row by a services
  helper that takes values and SQL columns alike (e.g. ``refundOutstanding``).

Who reads which field is not here: it is ``services.access`` (both engines ask it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import models as m
from services.contracts import refund_outstanding


@dataclass(frozen=True)
class Column:
    column: str
    kind: str  # str | int | bool | enum | date | datetime | decimal


@dataclass(frozen=True)
class Ref:
    target: str
    fk: str


@dataclass(frozen=True)
class Child:
    target: str
    fk: str
    many: bool = False
    order: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class Lookup:
    model: type
    fk: str
    column: str


@dataclass(frozen=True)
class Derived:
    """``compute(*columns)`` of the same row: on the loaded values in the normal
    resolvers, on the columns in the compiled SQL."""

    compute: Callable[..., Any]
    columns: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class TypeMap:
    model: type
    fields: dict[str, Any]
    node: bool = True  # has a global ``id`` built from the primary key


TYPES: dict[str, TypeMap] = {
    "Region": TypeMap(m.Region, {
        "code": Column("code", "str"),
        "nameKk": Column("name_kk", "str"),
        "nameRu": Column("name_ru", "str"),
        "nameEn": Column("name_en", "str"),
        "labourDeficit": Column("labour_deficit", "bool"),
    }),
    "Agency": TypeMap(m.Agency, {
        "code": Column("code", "str"),
        "name": Column("name", "str"),
    }),
    "CheckType": TypeMap(m.CheckType, {
        "code": Column("code", "str"),
        "name": Column("name", "str"),
        "mandatory": Column("mandatory", "bool"),
        "agency": Ref("Agency", "agency_id"),
    }),
    "Applicant": TypeMap(m.Applicant, {
        "iin": Column("iin", "str"),
        "fullName": Column("full_name", "str"),
        "birthDate": Column("birth_date", "date"),
        "sex": Column("sex", "enum"),
        "citizenship": Column("citizenship", "str"),
        "ethnicKazakh": Column("ethnic_kazakh", "bool"),
        "documentNumber": Column("document_number", "str"),
    }),
    "LanguageTest": TypeMap(m.LanguageTest, {
        "level": Column("level", "enum"),
        "listeningPercent": Column("listening_percent", "int"),
        "readingPercent": Column("reading_percent", "int"),
        "certificateNumber": Column("certificate_number", "str"),
        "takenOn": Column("taken_on", "date"),
    }, node=False),
    "Questionnaire": TypeMap(m.Questionnaire, {
        "educationLevel": Column("education_level", "enum"),
        "workExperienceYears": Column("work_experience_years", "int"),
        "occupationCode": Lookup(m.Occupation, "occupation_id", "code"),
        "familySize": Column("family_size", "int"),
        "russian": Column("russian", "enum"),
        "english": Column("english", "enum"),
        "relativesInKazakhstan": Column("relatives_in_kazakhstan", "bool"),
        "priorStayInKazakhstan": Column("prior_stay_in_kazakhstan", "bool"),
        "criminalRecord": Column("criminal_record", "bool"),
        "deportedBefore": Column("deported_before", "bool"),
        "savings": Column("savings", "decimal"),
        "submittedAt": Column("submitted_at", "datetime"),
    }, node=False),
    "FamilyMember": TypeMap(m.FamilyMember, {
        "fullName": Column("full_name", "str"),
        "birthDate": Column("birth_date", "date"),
        "sex": Column("sex", "enum"),
        "relation": Column("relation", "enum"),
        "documentNumber": Column("document_number", "str"),
        "iin": Column("iin", "str"),
    }, node=False),
    "Check": TypeMap(m.Check, {
        "application": Ref("Application", "application_id"),
        "checkType": Ref("CheckType", "check_type_id"),
        "status": Column("status", "enum"),
        "details": Column("details", "str"),
        "requestedAt": Column("requested_at", "datetime"),
        "completedAt": Column("completed_at", "datetime"),
        "updatedAt": Column("updated_at", "datetime"),
    }),
    "Interview": TypeMap(m.Interview, {
        "scheduledAt": Column("scheduled_at", "datetime"),
        "outcome": Column("outcome", "enum"),
        "points": Column("points", "int"),
        "notes": Column("notes", "str"),
    }, node=False),
    "Score": TypeMap(m.Score, {
        # total, maxTotal, passMark, passed and the two lists come from the
        # stored engine result (``result`` JSON), exactly as it was computed.
        "modelVersion": Column("model_version", "str"),
        "computedAt": Column("computed_at", "datetime"),
        "stale": Column("stale", "bool"),
    }, node=False),
    "SupportPayment": TypeMap(m.SupportPayment, {
        "measureCode": Lookup(m.SupportMeasure, "measure_id", "code"),
        "amount": Column("amount", "decimal"),
        "paidOn": Column("paid_on", "date"),
    }, node=False),
    "ContractTermination": TypeMap(m.ContractTermination, {
        "reason": Column("reason", "enum"),
        "effectiveDate": Column("effective_date", "date"),
        "refundDue": Column("refund_due", "decimal"),
        "refundPaid": Column("refund_paid", "decimal"),
        "refundOutstanding": Derived(refund_outstanding, ("refund_due", "refund_paid"), "decimal"),
    }, node=False),
    "SocialContract": TypeMap(m.SocialContract, {
        "number": Column("number", "str"),
        "application": Ref("Application", "application_id"),
        "region": Ref("Region", "region_id"),
        "familySize": Column("family_size", "int"),
        "startDate": Column("start_date", "date"),
        "endDate": Column("end_date", "date"),
        "status": Column("status", "enum"),
        "payments": Child("SupportPayment", "contract_id", many=True, order=("paid_on",)),
        "totalSupport": Column("total_support", "decimal"),
        "termination": Child("ContractTermination", "contract_id"),
    }),
    "Application": TypeMap(m.Application, {
        "number": Column("number", "str"),
        "applicant": Ref("Applicant", "applicant_id"),
        "route": Column("route", "enum"),
        "targetRegion": Ref("Region", "target_region_id"),
        "occupationCode": Lookup(m.Occupation, "occupation_id", "code"),
        "status": Column("status", "enum"),
        "submittedAt": Column("submitted_at", "datetime"),
        "dueDate": Column("due_date", "date"),
        "languageTest": Child("LanguageTest", "application_id"),
        "questionnaire": Child("Questionnaire", "application_id"),
        "familyMembers": Child("FamilyMember", "application_id", many=True, order=("position",)),
        "checks": Child("Check", "application_id", many=True, order=("id",)),
        "interview": Child("Interview", "application_id"),
        "score": Child("Score", "application_id"),
        "contract": Child("SocialContract", "application_id"),
    }),
}

# Keys of the stored score result, by GraphQL field name.
SCORE_RESULT_FIELDS = {"total": "total", "maxTotal": "maxTotal", "passMark": "passMark", "passed": "passed"}
SCORE_ITEM_FIELDS = {
    "GateResult": {"code": "str", "passed": "bool", "value": "str", "reason": "str"},
    "CriterionScore": {"code": "str", "points": "int", "maxPoints": "int", "value": "str", "reason": "str"},
}
SCORE_LISTS = {"gates": "GateResult", "breakdown": "CriterionScore"}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def scalars_of(type_name: str, row: Any) -> dict[str, Any]:
    """The Python keyword arguments of a type's column fields, read from ``row``."""
    values = {}
    for name, spec in TYPES[type_name].fields.items():
        if isinstance(spec, Column):
            values[_snake(name)] = getattr(row, spec.column)
        elif isinstance(spec, Derived):
            values[_snake(name)] = spec.compute(*(getattr(row, column) for column in spec.columns))
    return values
