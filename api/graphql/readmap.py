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
from functools import cache
from typing import Any

import sqlalchemy as sa

import models as m
from core.text import Names
from services.contracts import refund_outstanding
from services.scoring.results import LINE_FIELDS


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
    newest_first: bool = False  # the order (and then the id) descending


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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def columns(**kinds: str) -> dict[str, Column]:
    """Scalar fields read from the columns of their own name (``full_name`` is
    ``fullName``), with their kinds."""
    return {_camel(column): Column(column, kind) for column, kind in kinds.items()}


def localized_name(en: Any, kk: Any, ru: Any) -> Any:
    """A reference row's ``name`` (SPEC §16): the English name carrying its Kazakh
    and Russian forms, which the view answers in the request's language. The
    compiled path (English requests only) reads the English column."""
    if isinstance(en, sa.sql.ColumnElement):
        return en
    return Names(en, kk, ru)


def or_english(name: Any, en: Any) -> Any:
    """A translated name, or the English one while a translation is missing."""
    if isinstance(name, sa.sql.ColumnElement):
        return sa.func.coalesce(sa.func.nullif(name, ""), en)
    return name or en


def names(en: str = "name") -> dict[str, Any]:
    """``name`` (in the request's language) and ``nameKk``/``nameRu``/``nameEn`` of a
    table whose English name is the column ``en``."""
    return {"name": Derived(localized_name, (en, "name_kk", "name_ru"), "str"),
            "nameKk": Derived(or_english, ("name_kk", en), "str"),
            "nameRu": Derived(or_english, ("name_ru", en), "str"),
            "nameEn": Column(en, "str")}


TYPES: dict[str, TypeMap] = {
    "Region": TypeMap(m.Region, {
        **columns(code="str", name_kk="str", name_ru="str", name_en="str", labour_deficit="bool"),
        "name": Derived(localized_name, ("name_en", "name_kk", "name_ru"), "str")}),
    "Agency": TypeMap(m.Agency, {**columns(code="str"), **names()}),
    "CheckType": TypeMap(m.CheckType, {
        **columns(code="str", mandatory="bool"), **names(),
        "agency": Ref("Agency", "agency_id"),
    }),
    "Applicant": TypeMap(m.Applicant, columns(
        iin="str", full_name="str", birth_date="date", sex="enum", citizenship="str", ethnic_kazakh="bool",
        document_number="str")),
    "LanguageTest": TypeMap(m.LanguageTest, columns(
        level="enum", listening_percent="int", reading_percent="int", certificate_number="str", taken_on="date",
    ), node=False),
    "Questionnaire": TypeMap(m.Questionnaire, {
        **columns(education_level="enum", work_experience_years="int", family_size="int", russian="enum",
                  english="enum", relatives_in_kazakhstan="bool", prior_stay_in_kazakhstan="bool",
                  criminal_record="bool", deported_before="bool", savings="decimal", submitted_at="datetime"),
        "occupationCode": Lookup(m.Occupation, "occupation_id", "code"),
    }, node=False),
    "FamilyMember": TypeMap(m.FamilyMember, columns(
        full_name="str", birth_date="date", sex="enum", relation="enum", document_number="str", iin="str",
    ), node=False),
    "Check": TypeMap(m.Check, {
        **columns(status="enum", details="str", requested_at="datetime", completed_at="datetime",
                  updated_at="datetime"),
        "application": Ref("Application", "application_id"),
        "checkType": Ref("CheckType", "check_type_id"),
    }),
    "Interview": TypeMap(m.Interview, columns(
        scheduled_at="datetime", outcome="enum", points="int", notes="str"), node=False),
    # total, maxTotal, passMark, passed and the two lists come from the stored
    # engine result (``result`` JSON), exactly as it was computed.
    "Score": TypeMap(m.Score, columns(model_version="str", computed_at="datetime", stale="bool"), node=False),
    "ScoreHistoryEntry": TypeMap(m.ScoreHistory, columns(
        model_version="str", total="int", max_total="int", pass_mark="int", passed="bool", computed_at="datetime",
        reason="enum"), node=False),
    "SupportMeasure": TypeMap(m.SupportMeasure, {
        **columns(code="str", cap_mrp="decimal", per_family_member="bool"), **names()}, node=False),
    "TerminationReasonRule": TypeMap(m.TerminationReasonRule, {
        **columns(code="enum", refundable="bool"), **names()}, node=False),
    "SupportPayment": TypeMap(m.SupportPayment, {
        **columns(amount="decimal", paid_on="date"),
        "measureCode": Lookup(m.SupportMeasure, "measure_id", "code"),
        "measure": Ref("SupportMeasure", "measure_id"),
    }, node=False),
    "ContractTermination": TypeMap(m.ContractTermination, {
        **columns(reason="enum", effective_date="date", refund_due="decimal", refund_paid="decimal"),
        "refundOutstanding": Derived(refund_outstanding, ("refund_due", "refund_paid"), "decimal"),
    }, node=False),
    "SocialContract": TypeMap(m.SocialContract, {
        **columns(number="str", family_size="int", start_date="date", end_date="date", status="enum",
                  total_support="decimal"),
        "application": Ref("Application", "application_id"),
        "region": Ref("Region", "region_id"),
        "payments": Child("SupportPayment", "contract_id", many=True, order=("paid_on",)),
        "termination": Child("ContractTermination", "contract_id"),
        "residenceEvents": Child("ResidenceEvent", "contract_id", many=True, order=("occurred_on",)),
        "breaches": Child("ContractBreach", "contract_id", many=True, order=("opened_at",)),
    }),
    "ResidenceEvent": TypeMap(m.ResidenceEvent, {
        **columns(kind="enum", occurred_on="date", external_id="str", citizenship="str", document_number="str",
                  recorded_at="datetime"),
        "region": Ref("Region", "region_id"),
        "reportedBy": Ref("Agency", "agency_id"),
        "contract": Ref("SocialContract", "contract_id"),
        "breach": Ref("ContractBreach", "breach_id"),
    }),
    "ContractBreach": TypeMap(m.ContractBreach, {
        **columns(status="enum", opened_on="date", opened_at="datetime", resolved_at="datetime", resolved_by="str",
                  note="str"),
        "contract": Ref("SocialContract", "contract_id"),
        "events": Child("ResidenceEvent", "breach_id", many=True, order=("occurred_on",)),
    }),
    "Application": TypeMap(m.Application, {
        **columns(number="str", route="enum", status="enum", submitted_at="datetime", due_date="date"),
        "applicant": Ref("Applicant", "applicant_id"),
        "targetRegion": Ref("Region", "target_region_id"),
        "occupationCode": Lookup(m.Occupation, "occupation_id", "code"),
        "languageTest": Child("LanguageTest", "application_id"),
        "questionnaire": Child("Questionnaire", "application_id"),
        "familyMembers": Child("FamilyMember", "application_id", many=True, order=("position",)),
        "checks": Child("Check", "application_id", many=True, order=("id",)),
        "interview": Child("Interview", "application_id"),
        "score": Child("Score", "application_id"),
        "scoreHistory": Child("ScoreHistoryEntry", "application_id", many=True, order=("computed_at",),
                              newest_first=True),
        "contract": Child("SocialContract", "application_id"),
        # Not in the map (their status and overdue are read from today): asked, they run normally.
        "kandasStatus": Child("KandasStatus", "application_id"),
        "reviews": Child("DecisionReview", "application_id", many=True, order=("requested_at",)),
    }),
}

# Keys of the stored score result, by GraphQL field name.
SCORE_RESULT_FIELDS = {"total": "total", "maxTotal": "maxTotal", "passMark": "passMark", "passed": "passed"}
SCORE_LISTS = {"gates": "GateResult", "breakdown": "CriterionScore"}
SCORE_ITEM_FIELDS = {item: LINE_FIELDS[lines] for lines, item in SCORE_LISTS.items()}
# The legal sources (SPEC §17): ``basis`` of a gate or criterion and the score's ``passMarkBasis``,
# objects of the stored ``explanation`` with these keys (absent where the model cites none).
SCORE_BASIS = "passMarkBasis"
BASIS_FIELDS = ("kk", "ru", "en")


@cache
def _scalar_fields(type_name: str) -> tuple[tuple[str, Column | Derived], ...]:
    """A type's column and derived fields with their Python names (worked out once)."""
    return tuple((_snake(name), spec) for name, spec in TYPES[type_name].fields.items()
                 if isinstance(spec, (Column, Derived)))


def scalars_of(type_name: str, row: Any) -> dict[str, Any]:
    """The Python keyword arguments of a type's column fields, read from ``row``."""
    values = {}
    for key, spec in _scalar_fields(type_name):
        if isinstance(spec, Column):
            values[key] = getattr(row, spec.column)
        else:
            values[key] = spec.compute(*(getattr(row, column) for column in spec.columns))
    return values
