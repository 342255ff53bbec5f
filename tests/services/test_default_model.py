"""The default scoring model (SPEC §3; version 2026.3, and 2026.2 and 2026.1 before it) at every edge."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from services.default_model import (
    DEFAULT_MODEL_DEFINITION,
    DEFAULT_MODEL_EFFECTIVE_FROM,
    DEFAULT_MODEL_VERSION,
    DEFAULT_MODEL_VERSIONS,
    FIRST_MODEL_DEFINITION,
    FIRST_MODEL_EFFECTIVE_FROM,
    FIRST_MODEL_VERSION,
    LAW_ABIDING_MODEL_DEFINITION,
    SOLVENCY_EXEMPT_MODEL_DEFINITION,
    default_model_definition,
    with_basis,
)
from services.scoring import (
    ROUTES,
    CriterionResult,
    GateResult,
    ScoreResult,
    evaluate,
    max_total,
    validate_definition,
)

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

# An applicant who clears every gate (on every route) and scores the KANDAS
# example of the brief: 110 + 80 + 100 + 80 + 40 + 20 + 60 + 30 + 0 = 520.
BASE_FACTS: dict[str, object] = {
    "language.level": "B1",
    "language.minBlockPercent": 55,
    "applicant.age": 34,
    "applicant.ethnicKazakh": True,
    "questionnaire.educationLevel": "BACHELOR",
    "questionnaire.workExperienceYears": 7,
    "questionnaire.familySize": 4,
    "questionnaire.russian": "FLUENT",
    "questionnaire.english": "BASIC",
    "questionnaire.relativesInKazakhstan": True,
    "questionnaire.priorStayInKazakhstan": False,
    "questionnaire.criminalRecord": False,
    "questionnaire.deportedBefore": False,
    "questionnaire.savingsMrp": Decimal("1523.40"),
    "questionnaire.occupationInDeficit": True,
    "region.labourDeficit": True,
    "checks.mandatoryCleared": True,
    "checks.anyFlagged": False,
    "interview.outcome": "PASSED",
    "interview.points": 8,
    "record.violations": 0,
    "record.falseDocuments": False,
}

GATE_CODES = [
    "language",
    "language_blocks",
    "checks",
    "interview",
    "adult",
    "not_deported",
    "no_false_documents",
    "solvency",
]
CRITERION_CODES = [
    "kazakh",
    "age",
    "education",
    "experience",
    "russian",
    "english",
    "deficit_occupation",
    "relatives",
    "prior_stay",
]


def score(route: str = "KANDAS", **changes: object) -> ScoreResult:
    """Score BASE_FACTS with ``changes`` (keys with "__" for "."; None
    removes the fact) under the default model; the gates without their legal
    sources (``basis``: see ``test_the_breakdown_cites_the_legal_sources``)."""
    facts = dict(BASE_FACTS)
    for key, value in changes.items():
        source = key.replace("__", ".")
        if value is None:
            facts.pop(source, None)
        else:
            facts[source] = value
    result = evaluate(DEFAULT_MODEL_DEFINITION, facts, route)
    return dataclasses.replace(result, gates=tuple(dataclasses.replace(g, basis=None) for g in result.gates))


def gate(result: ScoreResult, code: str) -> GateResult:
    matches = [item for item in result.gates if item.code == code]
    assert len(matches) == 1, f"gate {code} is not in {[item.code for item in result.gates]}"
    return dataclasses.replace(matches[0], basis=None)


def criterion(result: ScoreResult, code: str) -> CriterionResult:
    matches = [item for item in result.breakdown if item.code == code]
    assert len(matches) == 1, f"criterion {code} is not in the breakdown"
    return matches[0]


def facts_with(**changes: object) -> dict[str, object]:
    facts = dict(BASE_FACTS)
    for key, value in changes.items():
        facts[key.replace("__", ".")] = value
    return facts


# --------------------------------------------------------------------------
# The definition
# --------------------------------------------------------------------------


def test_version_and_effective_date() -> None:
    assert DEFAULT_MODEL_VERSION == "2026.4"
    assert DEFAULT_MODEL_EFFECTIVE_FROM == datetime.date(2026, 1, 4)
    assert (FIRST_MODEL_VERSION, FIRST_MODEL_EFFECTIVE_FROM) == ("2026.1", datetime.date(2026, 1, 1))
    assert DEFAULT_MODEL_VERSIONS == (
        ("2026.1", datetime.date(2026, 1, 1), FIRST_MODEL_DEFINITION),
        ("2026.2", datetime.date(2026, 1, 2), SOLVENCY_EXEMPT_MODEL_DEFINITION),
        ("2026.3", datetime.date(2026, 1, 3), LAW_ABIDING_MODEL_DEFINITION),
        ("2026.4", datetime.date(2026, 1, 4), DEFAULT_MODEL_DEFINITION),
    )


def test_2026_2_differs_from_2026_1_only_by_the_exemption_of_ethnic_kazakhs() -> None:
    assert validate_definition(FIRST_MODEL_DEFINITION) == []
    changed = copy.deepcopy(FIRST_MODEL_DEFINITION)
    changed["gates"][-1]["unless"] = {"source": "applicant.ethnicKazakh", "equals": True}
    assert changed == SOLVENCY_EXEMPT_MODEL_DEFINITION


def test_2026_3_differs_from_2026_2_only_by_the_false_documents_gate() -> None:
    changed = copy.deepcopy(SOLVENCY_EXEMPT_MODEL_DEFINITION)
    changed["gates"].insert(-1, {"code": "no_false_documents", "source": "record.falseDocuments", "equals": False})
    assert changed == LAW_ABIDING_MODEL_DEFINITION


def test_2026_4_only_cites_the_legal_sources_of_the_pass_mark_the_language_gates_and_solvency() -> None:
    assert DEFAULT_MODEL_DEFINITION == with_basis(LAW_ABIDING_MODEL_DEFINITION)
    bare = copy.deepcopy(DEFAULT_MODEL_DEFINITION)
    assert "30 January 2026" in bare.pop("passMarkBasis")["en"]
    cited = {gate["code"]: gate.pop("basis") for gate in bare["gates"] if "basis" in gate}
    assert bare == LAW_ABIDING_MODEL_DEFINITION
    assert sorted(cited) == ["language", "language_blocks", "solvency"]
    assert all(set(basis) == {"kk", "ru", "en"} and all(basis.values()) for basis in cited.values())
    assert "30 January 2026" in cited["language"]["en"] and "1,320 MRP" in cited["solvency"]["en"]


def test_false_documents_on_record_fail_the_gate_whatever_the_points() -> None:
    result = score(record__falseDocuments=True)
    assert gate(result, "no_false_documents") == GateResult(
        "no_false_documents", False, "true", "false documents on record is true, required false")
    assert (result.total, result.passed) == (520, False)
    # other violations do not fail it: a model may score them (record.violations), the default does not
    assert score(record__violations=3).passed is True


def test_the_default_model_is_valid() -> None:
    assert validate_definition(DEFAULT_MODEL_DEFINITION) == []


def test_the_default_model_is_plain_json() -> None:
    assert json.loads(json.dumps(DEFAULT_MODEL_DEFINITION)) == DEFAULT_MODEL_DEFINITION


def test_default_model_definition_returns_a_fresh_copy() -> None:
    copy = default_model_definition()
    assert copy == DEFAULT_MODEL_DEFINITION
    copy["criteria"][0]["points"]["A1"] = 0
    assert DEFAULT_MODEL_DEFINITION["criteria"][0]["points"]["A1"] == 50


def test_pass_mark_400_of_690() -> None:
    assert DEFAULT_MODEL_DEFINITION["passMark"] == 400
    assert max_total(DEFAULT_MODEL_DEFINITION) == 690
    for route in ROUTES:
        assert max_total(DEFAULT_MODEL_DEFINITION, route) == 690
        assert score(route).max_total == 690


def test_gates_and_criteria_in_spec_order() -> None:
    assert [item["code"] for item in DEFAULT_MODEL_DEFINITION["gates"]] == GATE_CODES
    assert [item["code"] for item in DEFAULT_MODEL_DEFINITION["criteria"]] == CRITERION_CODES


def test_the_breakdown_cites_the_legal_sources() -> None:
    result = evaluate(DEFAULT_MODEL_DEFINITION, BASE_FACTS, "GENERAL")
    assert result.pass_mark_basis is not None and "400 points" in result.pass_mark_basis.en
    assert {g.code for g in result.gates if g.basis is not None} == {"language", "language_blocks", "solvency"}
    assert all(item.basis is None for item in result.breakdown)
    stored = result.to_json()
    assert stored["passMarkBasis"]["kk"] and stored["gates"][0]["basis"]["ru"]
    assert "basis" not in stored["gates"][2] and ScoreResult.from_json(stored) == result


def test_gates_as_in_the_spec() -> None:
    assert [{k: v for k, v in g.items() if k != "basis"} for g in DEFAULT_MODEL_DEFINITION["gates"]] == [
        {"code": "language", "source": "language.level", "min": "A1"},
        {"code": "language_blocks", "source": "language.minBlockPercent", "min": 30},
        {"code": "checks", "source": "checks.mandatoryCleared", "equals": True},
        {"code": "interview", "source": "interview.outcome", "equals": "PASSED"},
        {"code": "adult", "source": "applicant.age", "min": 18},
        {"code": "not_deported", "source": "questionnaire.deportedBefore", "equals": False},
        {"code": "no_false_documents", "source": "record.falseDocuments", "equals": False},
        {
            "code": "solvency",
            "source": "questionnaire.savingsMrp",
            "min": 1320,
            "routes": ["GENERAL"],
            "unless": {"source": "applicant.ethnicKazakh", "equals": True},
        },
    ]


@pytest.mark.parametrize(
    ("code", "max_points"),
    [
        ("kazakh", 150),
        ("age", 100),
        ("education", 140),
        ("experience", 100),
        ("russian", 40),
        ("english", 40),
        ("deficit_occupation", 60),
        ("relatives", 30),
        ("prior_stay", 30),
    ],
)
def test_max_points_per_criterion(code: str, max_points: int) -> None:
    assert criterion(score(), code).max_points == max_points


# --------------------------------------------------------------------------
# Band edges
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "points", "reason"),
    [
        (17, 0, "applicant age 17 matches no band: 0 of 100"),
        (18, 100, "applicant age 18 is in band 18–29: 100 of 100"),
        (29, 100, "applicant age 29 is in band 18–29: 100 of 100"),
        (30, 80, "applicant age 30 is in band 30–39: 80 of 100"),
        (39, 80, "applicant age 39 is in band 30–39: 80 of 100"),
        (40, 50, "applicant age 40 is in band 40–49: 50 of 100"),
        (49, 50, "applicant age 49 is in band 40–49: 50 of 100"),
        (50, 20, "applicant age 50 is in band 50–59: 20 of 100"),
        (59, 20, "applicant age 59 is in band 50–59: 20 of 100"),
        (60, 0, "applicant age 60 is in band 60 and above: 0 of 100"),
        (61, 0, "applicant age 61 is in band 60 and above: 0 of 100"),
        (95, 0, "applicant age 95 is in band 60 and above: 0 of 100"),
    ],
)
def test_age_bands(age: int, points: int, reason: str) -> None:
    result = score(applicant__age=age)
    assert criterion(result, "age") == CriterionResult("age", points, 100, str(age), reason)
    assert result.total == 520 - 80 + points
    adult = gate(result, "adult")
    if age < 18:
        assert adult == GateResult("adult", False, "17", "applicant age 17 is below the minimum 18")
        assert result.passed is False
    else:
        assert adult == GateResult("adult", True, str(age), f"applicant age {age} meets the minimum 18")


@pytest.mark.parametrize(
    ("years", "points", "band"),
    [
        (0, 0, "0"),
        (1, 30, "1–2"),
        (2, 30, "1–2"),
        (3, 60, "3–5"),
        (4, 60, "3–5"),
        (5, 60, "3–5"),
        (6, 80, "6–9"),
        (9, 80, "6–9"),
        (10, 100, "10 and above"),
        (40, 100, "10 and above"),
        (60, 100, "10 and above"),
    ],
)
def test_experience_bands(years: int, points: int, band: str) -> None:
    result = score(questionnaire__workExperienceYears=years)
    assert criterion(result, "experience") == CriterionResult(
        "experience",
        points,
        100,
        str(years),
        f"years of work experience {years} is in band {band}: {points} of 100",
    )
    assert result.total == 520 - 80 + points


# --------------------------------------------------------------------------
# Points maps: every entry, written out from the SPEC table
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "source", "value", "points", "max_points"),
    [
        ("kazakh", "language.level", "A1", 50, 150),
        ("kazakh", "language.level", "A2", 80, 150),
        ("kazakh", "language.level", "B1", 110, 150),
        ("kazakh", "language.level", "B2", 130, 150),
        ("kazakh", "language.level", "C1", 150, 150),
        ("education", "questionnaire.educationLevel", "NONE", 0, 140),
        ("education", "questionnaire.educationLevel", "SECONDARY", 30, 140),
        ("education", "questionnaire.educationLevel", "VOCATIONAL", 60, 140),
        ("education", "questionnaire.educationLevel", "BACHELOR", 100, 140),
        ("education", "questionnaire.educationLevel", "MASTER", 120, 140),
        ("education", "questionnaire.educationLevel", "DOCTORATE", 140, 140),
        ("russian", "questionnaire.russian", "NONE", 0, 40),
        ("russian", "questionnaire.russian", "BASIC", 20, 40),
        ("russian", "questionnaire.russian", "FLUENT", 40, 40),
        ("english", "questionnaire.english", "NONE", 0, 40),
        ("english", "questionnaire.english", "BASIC", 20, 40),
        ("english", "questionnaire.english", "FLUENT", 40, 40),
        ("deficit_occupation", "questionnaire.occupationInDeficit", True, 60, 60),
        ("deficit_occupation", "questionnaire.occupationInDeficit", False, 0, 60),
        ("relatives", "questionnaire.relativesInKazakhstan", True, 30, 30),
        ("relatives", "questionnaire.relativesInKazakhstan", False, 0, 30),
        ("prior_stay", "questionnaire.priorStayInKazakhstan", True, 30, 30),
        ("prior_stay", "questionnaire.priorStayInKazakhstan", False, 0, 30),
    ],
)
def test_points_map_entries(
    code: str, source: str, value: object, points: int, max_points: int
) -> None:
    result = evaluate(DEFAULT_MODEL_DEFINITION, {**BASE_FACTS, source: value}, "KANDAS")
    text = value if isinstance(value, str) else ("true" if value else "false")
    assert criterion(result, code) == CriterionResult(
        code, points, max_points, text, f"{text} gives {points} of {max_points}"
    )


@pytest.mark.parametrize("code", CRITERION_CODES)
def test_a_missing_fact_gives_no_points(code: str) -> None:
    sources = {item["code"]: item["source"] for item in DEFAULT_MODEL_DEFINITION["criteria"]}
    facts = {key: value for key, value in BASE_FACTS.items() if key != sources[code]}
    item = criterion(evaluate(DEFAULT_MODEL_DEFINITION, facts, "KANDAS"), code)
    assert item.points == 0
    assert item.value is None
    assert item.reason == f"no value: 0 of {item.max_points}"


# --------------------------------------------------------------------------
# Gates
# --------------------------------------------------------------------------


def test_solvency_applies_only_on_general() -> None:
    for route in ("KANDAS", "LABOUR"):
        result = score(route, questionnaire__savingsMrp=Decimal("5"))
        assert [item.code for item in result.gates] == GATE_CODES[:-1]
        assert result.passed is True
        # Missing savings do not matter either.
        assert score(route, questionnaire__savingsMrp=None).passed is True
    result = score("GENERAL", applicant__ethnicKazakh=False)
    assert [item.code for item in result.gates] == GATE_CODES
    assert gate(result, "solvency") == GateResult(
        "solvency", True, "1523.40", "savings in MRP 1523.40 meets the minimum 1320"
    )


@pytest.mark.parametrize("savings", [Decimal("1523.40"), Decimal("5"), Decimal("0"), None])
def test_ethnic_kazakhs_are_exempt_from_solvency_on_general(savings: Decimal | None) -> None:
    """SPEC §1: ethnic Kazakhs are exempt; 2026.1 held them to 1,320 MRP (issue 13 item 2)."""
    result = score("GENERAL", applicant__ethnicKazakh=True, questionnaire__savingsMrp=savings)
    assert gate(result, "solvency") == GateResult(
        "solvency", True, None if savings is None else format(savings, "f"), "exempt: applicant is an ethnic Kazakh"
    )
    assert result.passed is True
    assert result.total == 520
    facts = facts_with(applicant__ethnicKazakh=True)
    if savings is None:
        facts.pop("questionnaire.savingsMrp")
    else:
        facts["questionnaire.savingsMrp"] = savings
    under_2026_1 = evaluate(FIRST_MODEL_DEFINITION, facts, "GENERAL")
    assert [g.code for g in under_2026_1.gates if not g.passed] == ([] if savings == Decimal("1523.40") else ["solvency"])


@pytest.mark.parametrize(
    ("savings", "passed", "reason"),
    [
        (Decimal("1319.99"), False, "savings in MRP 1319.99 is below the minimum 1320"),
        (Decimal("1320"), True, "savings in MRP 1320 meets the minimum 1320"),
        (Decimal("1320.00"), True, "savings in MRP 1320.00 meets the minimum 1320"),
        (1320, True, "savings in MRP 1320 meets the minimum 1320"),
        (Decimal("0"), False, "savings in MRP 0 is below the minimum 1320"),
        (None, False, "savings in MRP is missing"),
    ],
)
def test_solvency_edge(savings: Decimal | int | None, passed: bool, reason: str) -> None:
    result = score("GENERAL", applicant__ethnicKazakh=False, questionnaire__savingsMrp=savings)
    assert gate(result, "solvency").passed is passed
    assert gate(result, "solvency").reason == reason
    assert result.passed is passed
    # The gate never changes the total.
    assert result.total == 520


@pytest.mark.parametrize(
    ("percent", "passed", "reason"),
    [
        (0, False, "lowest language block percent 0 is below the minimum 30"),
        (29, False, "lowest language block percent 29 is below the minimum 30"),
        (30, True, "lowest language block percent 30 meets the minimum 30"),
        (31, True, "lowest language block percent 31 meets the minimum 30"),
        (100, True, "lowest language block percent 100 meets the minimum 30"),
    ],
)
def test_language_blocks_edge(percent: int, passed: bool, reason: str) -> None:
    for route in ROUTES:
        result = score(route, language__minBlockPercent=percent)
        assert gate(result, "language_blocks") == GateResult(
            "language_blocks", passed, str(percent), reason
        )
        assert result.passed is passed


@pytest.mark.parametrize(
    ("changes", "code", "value", "reason"),
    [
        ({"language__level": None}, "language", None, "language level is missing"),
        ({"language__minBlockPercent": None}, "language_blocks", None, "lowest language block percent is missing"),
        (
            {"checks__mandatoryCleared": False},
            "checks",
            "false",
            "mandatory checks cleared is false, required true",
        ),
        ({"checks__mandatoryCleared": None}, "checks", None, "mandatory checks cleared is missing"),
        ({"interview__outcome": "NO_SHOW"}, "interview", "NO_SHOW", "interview outcome NO_SHOW is not PASSED"),
        ({"interview__outcome": "FAILED"}, "interview", "FAILED", "interview outcome FAILED is not PASSED"),
        ({"interview__outcome": None}, "interview", None, "interview outcome is missing"),
        ({"applicant__age": None}, "adult", None, "applicant age is missing"),
        (
            {"questionnaire__deportedBefore": True},
            "not_deported",
            "true",
            "deported before is true, required false",
        ),
    ],
)
def test_a_failed_gate_fails_the_application(
    changes: dict[str, object], code: str, value: str | None, reason: str
) -> None:
    for route in ROUTES:
        result = score(route, **changes)
        assert gate(result, code) == GateResult(code, False, value, reason)
        assert result.passed is False
        # Every other gate still passes.
        assert all(item.passed for item in result.gates if item.code != code)


def test_every_language_level_clears_the_language_gate() -> None:
    for level in ("A1", "A2", "B1", "B2", "C1"):
        assert gate(score(language__level=level), "language") == GateResult(
            "language", True, level, f"language level {level} meets the minimum A1"
        )


def test_gates_pass_with_the_base_facts() -> None:
    result = score("KANDAS")
    assert result.gates == (
        GateResult("language", True, "B1", "language level B1 meets the minimum A1"),
        GateResult("language_blocks", True, "55", "lowest language block percent 55 meets the minimum 30"),
        GateResult("checks", True, "true", "mandatory checks cleared is true as required"),
        GateResult("interview", True, "PASSED", "interview outcome is PASSED as required"),
        GateResult("adult", True, "34", "applicant age 34 meets the minimum 18"),
        GateResult("not_deported", True, "false", "deported before is false as required"),
        GateResult("no_false_documents", True, "false", "false documents on record is false as required"),
    )


# --------------------------------------------------------------------------
# Full examples, one per route
# --------------------------------------------------------------------------


def test_kandas_example() -> None:
    result = score("KANDAS")
    assert [(item.code, item.points) for item in result.breakdown] == [
        ("kazakh", 110),
        ("age", 80),
        ("education", 100),
        ("experience", 80),
        ("russian", 40),
        ("english", 20),
        ("deficit_occupation", 60),
        ("relatives", 30),
        ("prior_stay", 0),
    ]
    assert result.total == 520
    assert result.max_total == 690
    assert result.pass_mark == 400
    assert result.passed is True
    assert criterion(result, "kazakh") == CriterionResult(
        "kazakh", 110, 150, "B1", "B1 gives 110 of 150"
    )
    assert criterion(result, "age") == CriterionResult(
        "age", 80, 100, "34", "applicant age 34 is in band 30–39: 80 of 100"
    )
    assert criterion(result, "prior_stay") == CriterionResult(
        "prior_stay", 0, 30, "false", "false gives 0 of 30"
    )
    data = result.to_json()
    assert data["total"] == 520
    assert data["maxTotal"] == 690
    assert data["passMark"] == 400
    assert data["passed"] is True
    assert data["breakdown"][0] == {
        "code": "kazakh",
        "points": 110,
        "maxPoints": 150,
        "value": "B1",
        "reason": "B1 gives 110 of 150",
        "reasonText": {"t": "{value} gives {given} of {most}", "p": {"value": "B1", "given": 110, "most": 150}},
    }
    assert [item["code"] for item in data["gates"]] == GATE_CODES[:-1]


def test_general_example() -> None:
    facts = facts_with(
        language__level="C1",
        applicant__age=25,
        applicant__ethnicKazakh=False,
        questionnaire__educationLevel="MASTER",
        questionnaire__workExperienceYears=3,
        questionnaire__russian="BASIC",
        questionnaire__english="NONE",
        questionnaire__occupationInDeficit=False,
        questionnaire__relativesInKazakhstan=False,
        questionnaire__priorStayInKazakhstan=True,
        questionnaire__savingsMrp=Decimal("1400.25"),
    )
    result = evaluate(DEFAULT_MODEL_DEFINITION, facts, "GENERAL")
    # 150 + 100 + 120 + 60 + 20 + 0 + 0 + 0 + 30
    assert [item.points for item in result.breakdown] == [150, 100, 120, 60, 20, 0, 0, 0, 30]
    assert result.total == 480
    assert result.passed is True
    assert gate(result, "solvency") == GateResult(
        "solvency", True, "1400.25", "savings in MRP 1400.25 meets the minimum 1320"
    )
    assert criterion(result, "experience").reason == (
        "years of work experience 3 is in band 3–5: 60 of 100"
    )
    assert criterion(result, "english").reason == "NONE gives 0 of 40"

    # The same applicant without the savings fails on solvency alone.
    poorer = evaluate(
        DEFAULT_MODEL_DEFINITION,
        {**facts, "questionnaire.savingsMrp": Decimal("1319.99")},
        "GENERAL",
    )
    assert poorer.total == 480
    assert poorer.passed is False
    assert [item.code for item in poorer.gates if not item.passed] == ["solvency"]


def test_labour_example_below_the_pass_mark() -> None:
    facts = facts_with(
        language__level="A2",
        applicant__age=45,
        applicant__ethnicKazakh=False,
        questionnaire__educationLevel="VOCATIONAL",
        questionnaire__workExperienceYears=12,
        questionnaire__russian="FLUENT",
        questionnaire__english="NONE",
        questionnaire__occupationInDeficit=True,
        questionnaire__relativesInKazakhstan=False,
        questionnaire__priorStayInKazakhstan=False,
        questionnaire__savingsMrp=Decimal("10"),
    )
    result = evaluate(DEFAULT_MODEL_DEFINITION, facts, "LABOUR")
    # 80 + 50 + 60 + 100 + 40 + 0 + 60 + 0 + 0
    assert [item.points for item in result.breakdown] == [80, 50, 60, 100, 40, 0, 60, 0, 0]
    assert result.total == 390
    assert all(item.passed for item in result.gates)
    assert "solvency" not in [item.code for item in result.gates]
    assert result.passed is False
    assert criterion(result, "age").reason == "applicant age 45 is in band 40–49: 50 of 100"
    assert criterion(result, "experience").reason == (
        "years of work experience 12 is in band 10 and above: 100 of 100"
    )

    # Basic English (+20) lifts the same applicant to 410: passed.
    better = evaluate(
        DEFAULT_MODEL_DEFINITION, {**facts, "questionnaire.english": "BASIC"}, "LABOUR"
    )
    assert better.total == 410
    assert better.passed is True


# --------------------------------------------------------------------------
# The pass mark
# --------------------------------------------------------------------------

# 50 + 100 + 100 + 100 + 20 + 0 + 0 + 30 + 0 = 400 exactly.
AT_400: dict[str, object] = facts_with(
    language__level="A1",
    applicant__age=20,
    questionnaire__educationLevel="BACHELOR",
    questionnaire__workExperienceYears=10,
    questionnaire__russian="BASIC",
    questionnaire__english="NONE",
    questionnaire__occupationInDeficit=False,
    questionnaire__relativesInKazakhstan=True,
    questionnaire__priorStayInKazakhstan=False,
)


# 50 + 100 + 100 + 100 + 40 + 0 + 0 + 0 + 0 = 390.
AT_390: dict[str, object] = {
    **AT_400,
    "questionnaire.russian": "FLUENT",
    "questionnaire.relativesInKazakhstan": False,
}


def test_exactly_400_passes_and_390_fails() -> None:
    at_400 = evaluate(DEFAULT_MODEL_DEFINITION, AT_400, "KANDAS")
    assert [item.points for item in at_400.breakdown] == [50, 100, 100, 100, 20, 0, 0, 30, 0]
    assert at_400.total == 400
    assert all(item.passed for item in at_400.gates)
    assert at_400.passed is True
    at_390 = evaluate(DEFAULT_MODEL_DEFINITION, AT_390, "KANDAS")
    assert [item.points for item in at_390.breakdown] == [50, 100, 100, 100, 40, 0, 0, 0, 0]
    assert at_390.total == 390
    assert all(item.passed for item in at_390.gates)
    assert at_390.passed is False


@pytest.mark.parametrize(
    ("interview_points", "total", "passed"),
    [(8, 390, False), (9, 399, False), (10, 400, True)],
)
def test_399_fails_and_400_passes(interview_points: int, total: int, passed: bool) -> None:
    # Every default criterion gives a multiple of 10, so 399 needs one more
    # criterion: the default model plus 9 or 10 interview points on top of
    # the 390 of AT_390 (8 interview points are not listed: 0).
    definition = default_model_definition()
    definition["criteria"].append(
        {"code": "interview_points", "source": "interview.points", "points": {"9": 9, "10": 10}}
    )
    assert validate_definition(definition) == []
    assert max_total(definition) == 700
    result = evaluate(definition, {**AT_390, "interview.points": interview_points}, "KANDAS")
    assert result.total == total
    assert all(item.passed for item in result.gates)
    assert result.passed is passed
