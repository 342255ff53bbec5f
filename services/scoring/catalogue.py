"""The facts a scoring model may use (SPEC §3): their sources, kinds, members
and labels, and how a fact value reads as text.

A fact is ``ordinal`` (members in order, compared by position), ``category``
(members, unordered), ``number`` (an ``int`` or a finite ``Decimal``, never a
``float``) or ``boolean``."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import Enum
from typing import Any
from core.text import t

ROUTES: tuple[str, ...] = ("KANDAS", "GENERAL", "LABOUR")

_LANGUAGE_LEVELS: tuple[str, ...] = ("A1", "A2", "B1", "B2", "C1")
_EDUCATION_LEVELS: tuple[str, ...] = (
    "NONE",
    "SECONDARY",
    "VOCATIONAL",
    "BACHELOR",
    "MASTER",
    "DOCTORATE",
)
_PROFICIENCY: tuple[str, ...] = ("NONE", "BASIC", "FLUENT")

# Source name -> kind. Citizenship, sex and names are deliberately absent:
# no nationality proxies.
FACT_SOURCES: dict[str, str] = {
    "language.level": "ordinal",
    "language.minBlockPercent": "number",
    "applicant.age": "number",
    "applicant.ethnicKazakh": "boolean",
    "questionnaire.educationLevel": "ordinal",
    "questionnaire.workExperienceYears": "number",
    "questionnaire.familySize": "number",
    "questionnaire.russian": "ordinal",
    "questionnaire.english": "ordinal",
    "questionnaire.relativesInKazakhstan": "boolean",
    "questionnaire.priorStayInKazakhstan": "boolean",
    "questionnaire.criminalRecord": "boolean",
    "questionnaire.deportedBefore": "boolean",
    "questionnaire.savingsMrp": "number",
    "questionnaire.occupationInDeficit": "boolean",
    "region.labourDeficit": "boolean",
    "route": "category",
    "checks.mandatoryCleared": "boolean",
    "checks.anyFlagged": "boolean",
    "interview.outcome": "category",
    "interview.points": "number",
    # SPEC §15: the applicant's record of migration-law violations.
    "record.violations": "number",
    "record.falseDocuments": "boolean",
}

# Ordinal sources -> members, lowest first (comparisons use the position).
ORDINALS: dict[str, tuple[str, ...]] = {
    "language.level": _LANGUAGE_LEVELS,
    "questionnaire.educationLevel": _EDUCATION_LEVELS,
    "questionnaire.russian": _PROFICIENCY,
    "questionnaire.english": _PROFICIENCY,
}

# Category sources -> members (unordered).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "route": ROUTES,
    "interview.outcome": ("PASSED", "FAILED", "NO_SHOW"),
}

# A readable English label per source, used in reasons.
FACT_LABELS: dict[str, str] = {
    "language.level": t("language level"),
    "language.minBlockPercent": t("lowest language block percent"),
    "applicant.age": t("applicant age"),
    "applicant.ethnicKazakh": t("ethnic Kazakh"),
    "questionnaire.educationLevel": t("education level"),
    "questionnaire.workExperienceYears": t("years of work experience"),
    "questionnaire.familySize": t("family size"),
    "questionnaire.russian": t("Russian level"),
    "questionnaire.english": t("English level"),
    "questionnaire.relativesInKazakhstan": t("relatives in Kazakhstan"),
    "questionnaire.priorStayInKazakhstan": t("prior stay in Kazakhstan"),
    "questionnaire.criminalRecord": t("criminal record"),
    "questionnaire.deportedBefore": t("deported before"),
    "questionnaire.savingsMrp": t("savings in MRP"),
    "questionnaire.occupationInDeficit": t("occupation in deficit"),
    "region.labourDeficit": t("labour-deficit region"),
    "route": t("route"),
    "checks.mandatoryCleared": t("mandatory checks cleared"),
    "checks.anyFlagged": t("any check flagged"),
    "interview.outcome": t("interview outcome"),
    "interview.points": t("interview points"),
    "record.violations": t("violations in the last 5 years"),
    "record.falseDocuments": t("false documents on record"),
}


# How a boolean fact reads in an exemption's reason: (when true, when false).
BOOLEAN_PHRASES: dict[str, tuple[str, str]] = {
    "applicant.ethnicKazakh": (t("applicant is an ethnic Kazakh"), t("applicant is not an ethnic Kazakh")),
    "questionnaire.relativesInKazakhstan": (t("applicant has relatives in Kazakhstan"), t("applicant has no relatives in Kazakhstan")),
    "questionnaire.priorStayInKazakhstan": (t("applicant has stayed in Kazakhstan before"), t("applicant has not stayed in Kazakhstan before")),
    "questionnaire.criminalRecord": (t("applicant declares a criminal record"), t("applicant declares no criminal record")),
    "questionnaire.deportedBefore": (t("applicant was deported before"), t("applicant was never deported")),
    "questionnaire.occupationInDeficit": (t("the occupation is in deficit"), t("the occupation is not in deficit")),
    "region.labourDeficit": (t("the target region is a labour-deficit region"), t("the target region is not a labour-deficit region")),
    "checks.mandatoryCleared": (t("every mandatory check is cleared"), t("not every mandatory check is cleared")),
    "checks.anyFlagged": (t("a check is flagged"), t("no check is flagged")),
    "record.falseDocuments": (t("a violation for false documents is on record"),
                              t("no violation for false documents is on record")),
}


def fact_text(value: object) -> str | None:
    """A fact (or definition) value as text: ``True`` -> ``"true"``, ``None``
    -> ``None``, numbers in plain notation (``Decimal("1523.40")`` ->
    ``"1523.40"``, ``Decimal("1E+3")`` -> ``"1000"``), text as is."""
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return str.__str__(value)
    raise TypeError(f"cannot render {type(value).__name__} {value!r} as a fact value")


def members_text(members: Sequence[str]) -> str:
    return ", ".join(members)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def ordered(source: str, value: Any) -> Any:
    """A comparable key for a value of ``source`` (the position for ordinals)."""
    if FACT_SOURCES[source] == "ordinal":
        return ORDINALS[source].index(value)
    return value
