"""The pure scoring engine: definition validation, evaluation, properties."""

from __future__ import annotations

import copy
import json
import string
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.scoring import (
    CATEGORIES,
    FACT_LABELS,
    FACT_SOURCES,
    ORDINALS,
    ROUTES,
    CriterionResult,
    DefinitionError,
    GateResult,
    ScoreResult,
    criterion_max_points,
    evaluate,
    fact_text,
    max_total,
    pass_mark_problem,
    validate_definition,
)

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

# Modest: the whole file runs in a few seconds. No example database, so no
# .hypothesis directory is written into the tree.
PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SMALL_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=60)

Path = tuple[str, ...]


def paths(definition: object) -> list[Path]:
    return [error.path for error in validate_definition(definition)]


def model(
    gates: list[Any] | None = None,
    criteria: list[Any] | None = None,
    pass_mark: Any = 0,
) -> dict[str, Any]:
    return {"passMark": pass_mark, "gates": gates or [], "criteria": criteria or []}


def error_at(definition: object, path: Path) -> DefinitionError:
    matches = [error for error in validate_definition(definition) if error.path == path]
    assert matches, f"no error at {path}: {validate_definition(definition)}"
    return matches[0]


# --------------------------------------------------------------------------
# The vocabulary
# --------------------------------------------------------------------------


def test_every_source_has_a_kind_and_a_label() -> None:
    assert set(FACT_LABELS) == set(FACT_SOURCES)
    assert set(FACT_SOURCES.values()) <= {"ordinal", "number", "boolean", "category"}
    for source, kind in FACT_SOURCES.items():
        assert (source in ORDINALS) == (kind == "ordinal")
        assert (source in CATEGORIES) == (kind == "category")


def test_ordinals_and_categories_match_the_spec() -> None:
    assert ORDINALS["language.level"] == ("A1", "A2", "B1", "B2", "C1")
    assert ORDINALS["questionnaire.educationLevel"] == (
        "NONE",
        "SECONDARY",
        "VOCATIONAL",
        "BACHELOR",
        "MASTER",
        "DOCTORATE",
    )
    assert ORDINALS["questionnaire.russian"] == ("NONE", "BASIC", "FLUENT")
    assert ORDINALS["questionnaire.english"] == ("NONE", "BASIC", "FLUENT")
    assert CATEGORIES["route"] == ROUTES == ("KANDAS", "GENERAL", "LABOUR")
    assert CATEGORIES["interview.outcome"] == ("PASSED", "FAILED", "NO_SHOW")


@pytest.mark.parametrize(
    "source",
    [
        "applicant.citizenship",
        "applicant.sex",
        "applicant.fullName",
        "applicant.name",
        "applicant.nationality",
    ],
)
def test_no_nationality_proxies_are_facts(source: str) -> None:
    assert source not in FACT_SOURCES


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (None, None),
        (5, "5"),
        (0, "0"),
        (-3, "-3"),
        (Decimal("1523.40"), "1523.40"),
        (Decimal("1320"), "1320"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.5E-7"), "0.00000015"),
        ("A1", "A1"),
        ("PASSED", "PASSED"),
    ],
)
def test_fact_text(value: object, text: str | None) -> None:
    assert fact_text(value) == text


def test_fact_text_refuses_floats() -> None:
    with pytest.raises(TypeError):
        fact_text(1.5)


# --------------------------------------------------------------------------
# Validation: exact paths
# --------------------------------------------------------------------------


def test_a_minimal_definition_is_valid() -> None:
    assert validate_definition(model()) == []


@pytest.mark.parametrize("definition", [None, [], "x", 5, True])
def test_the_definition_must_be_an_object(definition: object) -> None:
    assert paths(definition) == [("definition",)]


def test_top_level_keys_are_required() -> None:
    assert paths({}) == [
        ("definition", "passMark"),
        ("definition", "gates"),
        ("definition", "criteria"),
    ]


def test_unknown_top_level_key() -> None:
    definition = {**model(), "passmark": 400}
    assert paths(definition) == [("definition", "passmark")]
    assert "unknown key" in validate_definition(definition)[0].message


@pytest.mark.parametrize(
    ("pass_mark", "fragment"),
    [
        (-1, "negative"),
        (True, "boolean"),
        (False, "boolean"),
        (400.0, "floating-point"),
        ("400", "text"),
        (None, "null"),
        (Decimal("400"), "decimal"),
    ],
)
def test_pass_mark_must_be_a_non_negative_integer(pass_mark: object, fragment: str) -> None:
    errors = validate_definition(model(pass_mark=pass_mark))
    assert [error.path for error in errors] == [("definition", "passMark")]
    assert fragment in errors[0].message


@pytest.mark.parametrize("key", ["gates", "criteria"])
def test_gates_and_criteria_must_be_lists(key: str) -> None:
    definition = model()
    definition[key] = {"code": "x"}
    assert paths(definition) == [("definition", key)]


@pytest.mark.parametrize(
    "source",
    ["applicant.citizenship", "applicant.sex", "applicant.fullName", "language", "", 5, None],
)
def test_unknown_gate_source(source: object) -> None:
    definition = model(
        gates=[
            {"code": "ok", "source": "applicant.age", "min": 18},
            {"code": "bad", "source": source, "equals": "KAZ"},
        ]
    )
    assert paths(definition) == [("definition", "gates", "1", "source")]


def test_unknown_criterion_source_names_the_entry() -> None:
    definition = model(
        criteria=[
            {"code": "kazakh", "source": "language.level", "points": {"A1": 50}},
            {"code": "origin", "source": "applicant.citizenship", "points": {"RUS": 10}},
        ]
    )
    error = error_at(definition, ("definition", "criteria", "1", "source"))
    assert "applicant.citizenship" in error.message
    assert paths(definition) == [("definition", "criteria", "1", "source")]


def test_missing_code_and_source() -> None:
    definition = model(gates=[{"min": 18}], criteria=[{"points": {}}])
    assert paths(definition) == [
        ("definition", "gates", "0", "code"),
        ("definition", "gates", "0", "source"),
        ("definition", "criteria", "0", "code"),
        ("definition", "criteria", "0", "source"),
    ]


@pytest.mark.parametrize("code", ["", "   ", 5, None, True])
def test_code_must_be_non_blank_text(code: object) -> None:
    definition = model(gates=[{"code": code, "source": "applicant.age", "min": 18}])
    assert paths(definition) == [("definition", "gates", "0", "code")]


def test_duplicate_gate_code() -> None:
    definition = model(
        gates=[
            {"code": "adult", "source": "applicant.age", "min": 18},
            {"code": "language", "source": "language.level", "min": "A1"},
            {"code": "adult", "source": "applicant.age", "max": 70},
        ]
    )
    error = error_at(definition, ("definition", "gates", "2", "code"))
    assert "adult" in error.message
    assert paths(definition) == [("definition", "gates", "2", "code")]


def test_duplicate_criterion_code() -> None:
    definition = model(
        criteria=[
            {"code": "russian", "source": "questionnaire.russian", "points": {"FLUENT": 40}},
            {"code": "russian", "source": "questionnaire.english", "points": {"FLUENT": 40}},
        ]
    )
    assert paths(definition) == [("definition", "criteria", "1", "code")]


def test_a_gate_and_a_criterion_may_share_a_code() -> None:
    definition = model(
        gates=[{"code": "language", "source": "language.level", "min": "A1"}],
        criteria=[{"code": "language", "source": "language.level", "points": {"A1": 50}}],
    )
    assert validate_definition(definition) == []


def test_missing_comparison() -> None:
    definition = model(gates=[{"code": "adult", "source": "applicant.age"}])
    errors = validate_definition(definition)
    assert [error.path for error in errors] == [("definition", "gates", "0")]
    assert "comparison" in errors[0].message


@pytest.mark.parametrize(
    "comparisons",
    [
        {"min": 18, "equals": 20},
        {"max": 18, "in": [18]},
        {"equals": 18, "in": [18]},
        {"min": 18, "max": 60, "equals": 20},
    ],
)
def test_equals_and_in_stand_alone(comparisons: dict[str, Any]) -> None:
    definition = model(gates=[{"code": "adult", "source": "applicant.age", **comparisons}])
    assert paths(definition) == [("definition", "gates", "0")]


def test_min_and_max_together_form_a_range() -> None:
    definition = model(gates=[{"code": "age", "source": "applicant.age", "min": 18, "max": 65}])
    assert validate_definition(definition) == []


@pytest.mark.parametrize(
    ("source", "low", "high"),
    [("applicant.age", 65, 18), ("language.level", "B2", "A2")],
)
def test_gate_min_above_max(source: str, low: object, high: object) -> None:
    definition = model(gates=[{"code": "g", "source": source, "min": low, "max": high}])
    assert paths(definition) == [("definition", "gates", "0", "min")]


@pytest.mark.parametrize(
    ("gate", "path"),
    [
        # min/max are not for booleans or categories
        ({"source": "checks.mandatoryCleared", "min": True}, ("min",)),
        ({"source": "interview.outcome", "max": "PASSED"}, ("max",)),
        ({"source": "route", "min": "KANDAS"}, ("min",)),
        # ordinal bounds are member names
        ({"source": "language.level", "min": 1}, ("min",)),
        ({"source": "language.level", "min": "A3"}, ("min",)),
        ({"source": "language.level", "min": "a1"}, ("min",)),
        ({"source": "questionnaire.educationLevel", "max": "PHD"}, ("max",)),
        # number bounds are integers
        ({"source": "applicant.age", "min": "18"}, ("min",)),
        ({"source": "applicant.age", "min": 18.0}, ("min",)),
        ({"source": "questionnaire.savingsMrp", "min": 1319.99}, ("min",)),
        ({"source": "applicant.age", "max": None}, ("max",)),
        # equals must be a value of the fact
        ({"source": "checks.mandatoryCleared", "equals": "true"}, ("equals",)),
        ({"source": "checks.mandatoryCleared", "equals": 1}, ("equals",)),
        ({"source": "interview.outcome", "equals": "PASS"}, ("equals",)),
        ({"source": "language.level", "equals": "D1"}, ("equals",)),
        ({"source": "applicant.age", "equals": "eighteen"}, ("equals",)),
        ({"source": "applicant.age", "equals": True}, ("equals",)),
        ({"source": "route", "equals": "REFUGEE"}, ("equals",)),
        # in: a non-empty list of values of the fact
        ({"source": "interview.outcome", "in": []}, ("in",)),
        ({"source": "interview.outcome", "in": "PASSED"}, ("in",)),
        ({"source": "interview.outcome", "in": ["PASSED", "MAYBE"]}, ("in", "1")),
        ({"source": "applicant.age", "in": [18, False]}, ("in", "1")),
    ],
)
def test_gate_comparison_of_the_wrong_kind(gate: dict[str, Any], path: Path) -> None:
    definition = model(gates=[{"code": "g", **gate}])
    assert paths(definition) == [("definition", "gates", "0", *path)]


def test_floats_are_refused_with_a_clear_message() -> None:
    definition = model(gates=[{"code": "solvency", "source": "questionnaire.savingsMrp", "min": 1320.5}])
    error = error_at(definition, ("definition", "gates", "0", "min"))
    assert "integer" in error.message
    assert "floating-point" in error.message
    assert "1320.5" in error.message


@pytest.mark.parametrize(
    ("routes", "path"),
    [
        ([], ("routes",)),
        ("GENERAL", ("routes",)),
        (["GENERAL", "REFUGEE"], ("routes", "1")),
        (["general"], ("routes", "0")),
        (["KANDAS", "KANDAS"], ("routes", "1")),
        ([None], ("routes", "0")),
    ],
)
def test_bad_routes(routes: object, path: Path) -> None:
    gate = {"code": "g", "source": "applicant.age", "min": 18, "routes": routes}
    criterion = {"code": "c", "source": "applicant.age", "points": {}, "routes": routes}
    assert paths(model(gates=[gate])) == [("definition", "gates", "0", *path)]
    assert paths(model(criteria=[criterion])) == [("definition", "criteria", "0", *path)]


def test_unknown_key_in_a_gate() -> None:
    definition = model(
        gates=[{"code": "adult", "source": "applicant.age", "min": 18, "minimum": 18}]
    )
    error = error_at(definition, ("definition", "gates", "0", "minimum"))
    assert "unknown key" in error.message
    assert paths(definition) == [("definition", "gates", "0", "minimum")]


def test_unknown_key_in_a_criterion_and_a_band() -> None:
    definition = model(
        criteria=[
            {
                "code": "age",
                "source": "applicant.age",
                "bands": [{"min": 18, "max": 29, "points": 100, "label": "young"}],
                "weight": 2,
            }
        ]
    )
    assert paths(definition) == [
        ("definition", "criteria", "0", "weight"),
        ("definition", "criteria", "0", "bands", "0", "label"),
    ]


@pytest.mark.parametrize(
    "entry",
    [None, 5, "adult", ["code", "adult"]],
)
def test_entries_must_be_objects(entry: object) -> None:
    assert paths(model(gates=[entry])) == [("definition", "gates", "0")]
    assert paths(model(criteria=[entry])) == [("definition", "criteria", "0")]


def test_criterion_needs_exactly_one_of_points_and_bands() -> None:
    neither = model(criteria=[{"code": "age", "source": "applicant.age"}])
    both = model(
        criteria=[
            {
                "code": "age",
                "source": "applicant.age",
                "points": {"18": 10},
                "bands": [{"min": 18, "max": None, "points": 10}],
            }
        ]
    )
    assert paths(neither) == [("definition", "criteria", "0")]
    assert paths(both) == [("definition", "criteria", "0")]


@pytest.mark.parametrize(
    ("bands", "path"),
    [
        ([], ()),
        ({"min": 0}, ()),
        ([{"min": 30, "max": 20, "points": 5}], ("0", "min")),
        ([{"min": 0, "max": 9, "points": 5}, {"min": 10, "max": 5, "points": 1}], ("1", "min")),
        ([{"min": 0, "max": 9, "points": -5}], ("0", "points")),
        ([{"min": 0, "max": 9}], ("0", "points")),
        ([{"min": 0, "max": 9, "points": True}], ("0", "points")),
        ([{"min": 0, "max": 9, "points": 7.5}], ("0", "points")),
        ([{"min": False, "max": 9, "points": 5}], ("0", "min")),
        ([{"min": 0, "max": "9", "points": 5}], ("0", "max")),
        ([{"min": 0.5, "max": 9, "points": 5}], ("0", "min")),
        (["18-29"], ("0",)),
    ],
)
def test_bad_band(bands: object, path: Path) -> None:
    definition = model(criteria=[{"code": "age", "source": "applicant.age", "bands": bands}])
    assert paths(definition) == [("definition", "criteria", "0", "bands", *path)]


def test_open_bands_may_leave_out_or_null_their_bounds() -> None:
    definition = model(
        criteria=[
            {
                "code": "age",
                "source": "applicant.age",
                "bands": [
                    {"max": 17, "points": 0},
                    {"min": 18, "max": None, "points": 10},
                    {"min": None, "max": None, "points": 1},
                ],
            }
        ]
    )
    assert validate_definition(definition) == []


@pytest.mark.parametrize(
    "source",
    [
        "language.level",
        "questionnaire.educationLevel",
        "checks.mandatoryCleared",
        "interview.outcome",
        "route",
    ],
)
def test_bands_only_for_number_facts(source: str) -> None:
    definition = model(
        criteria=[{"code": "c", "source": source, "bands": [{"min": 0, "max": 1, "points": 5}]}]
    )
    assert paths(definition) == [("definition", "criteria", "0", "bands")]


@pytest.mark.parametrize(
    ("source", "points", "key"),
    [
        ("checks.anyFlagged", {"true": 0, "yes": 10}, "yes"),
        ("checks.anyFlagged", {"True": 10}, "True"),
        ("language.level", {"A1": 50, "D1": 200}, "D1"),
        ("questionnaire.russian", {"NATIVE": 40}, "NATIVE"),
        ("interview.outcome", {"PASSED": 10, "LATE": 1}, "LATE"),
        ("route", {"REFUGEE": 1}, "REFUGEE"),
        ("interview.points", {"ten": 10}, "ten"),
        ("interview.points", {"1e3": 10}, "1e3"),
        ("interview.points", {"": 10}, ""),
        ("interview.points", {"5": 10, "5.0": 10}, "5.0"),
    ],
)
def test_points_keys_must_be_values_of_the_fact(
    source: str, points: dict[str, Any], key: str
) -> None:
    definition = model(criteria=[{"code": "c", "source": source, "points": points}])
    assert paths(definition) == [("definition", "criteria", "0", "points", key)]


@pytest.mark.parametrize("value", [-1, True, False, 1.5, "10", None])
def test_points_values_are_non_negative_integers(value: object) -> None:
    definition = model(
        criteria=[{"code": "kazakh", "source": "language.level", "points": {"A1": 50, "B1": value}}]
    )
    assert paths(definition) == [("definition", "criteria", "0", "points", "B1")]


def test_points_must_be_an_object() -> None:
    definition = model(criteria=[{"code": "c", "source": "language.level", "points": [50, 80]}])
    assert paths(definition) == [("definition", "criteria", "0", "points")]


def test_number_points_keys() -> None:
    definition = model(
        criteria=[
            {
                "code": "interview",
                "source": "interview.points",
                "points": {"0": 0, "5": 25, "10": 50, "7.5": 40, "-1": 0},
            }
        ]
    )
    assert validate_definition(definition) == []


def test_all_errors_are_collected_in_document_order() -> None:
    definition = {
        "passMark": -5,
        "gates": [
            {"code": "origin", "source": "applicant.citizenship", "equals": "KAZ"},
            {"code": "adult", "source": "applicant.age"},
            {"code": "adult", "source": "checks.mandatoryCleared", "min": True},
        ],
        "criteria": [
            {
                "code": "age",
                "source": "applicant.age",
                "bands": [{"min": 40, "max": 30, "points": 1}, {"min": 0, "max": 1, "points": True}],
            },
            {"code": "kazakh", "source": "language.level", "points": {"Z9": 1}, "extra": 1},
        ],
        "notes": "draft",
    }
    assert paths(definition) == [
        ("definition", "notes"),
        ("definition", "passMark"),
        ("definition", "gates", "0", "source"),
        ("definition", "gates", "1"),
        ("definition", "gates", "2", "code"),
        ("definition", "gates", "2", "min"),
        ("definition", "criteria", "0", "bands", "0", "min"),
        ("definition", "criteria", "0", "bands", "1", "points"),
        ("definition", "criteria", "1", "extra"),
        ("definition", "criteria", "1", "points", "Z9"),
    ]
    for error in validate_definition(definition):
        assert error.path[0] == "definition"
        assert all(isinstance(part, str) for part in error.path)
        assert error.message and "\n" not in error.message


# --------------------------------------------------------------------------
# Evaluation: unit behaviour
# --------------------------------------------------------------------------


def test_evaluate_refuses_an_unknown_route() -> None:
    with pytest.raises(ValueError, match="route"):
        evaluate(model(), {}, "REFUGEE")


def test_evaluate_refuses_an_invalid_definition() -> None:
    with pytest.raises(ValueError, match="definition"):
        evaluate(model(pass_mark=-1), {}, "GENERAL")


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("applicant.age", 34.0),
        ("applicant.age", True),
        ("applicant.age", "34"),
        ("questionnaire.savingsMrp", Decimal("NaN")),
        ("language.level", "D1"),
        ("checks.mandatoryCleared", 1),
        ("interview.outcome", "passed"),
    ],
)
def test_evaluate_refuses_a_fact_of_the_wrong_kind(source: str, value: object) -> None:
    kind = FACT_SOURCES[source]
    gate: dict[str, Any] = {"code": "g", "source": source}
    if kind == "number":
        gate["min"] = 0
    elif kind == "boolean":
        gate["equals"] = True
    else:
        gate["in"] = list((ORDINALS | CATEGORIES)[source])
    with pytest.raises(ValueError, match=source):
        evaluate(model(gates=[gate]), {source: value}, "GENERAL")


class Level(str, Enum):
    A1 = "A1"
    B1 = "B1"


class Outcome(StrEnum):
    PASSED = "PASSED"
    NO_SHOW = "NO_SHOW"


def test_enum_members_count_as_their_values() -> None:
    definition = model(
        gates=[
            {"code": "language", "source": "language.level", "min": "A1"},
            {"code": "interview", "source": "interview.outcome", "equals": "PASSED"},
        ],
        criteria=[{"code": "kazakh", "source": "language.level", "points": {"B1": 110}}],
    )
    result = evaluate(
        definition, {"language.level": Level.B1, "interview.outcome": Outcome.NO_SHOW}, "KANDAS"
    )
    assert result.gates == (
        GateResult("language", True, "B1", "language level B1 meets the minimum A1"),
        GateResult("interview", False, "NO_SHOW", "interview outcome NO_SHOW is not PASSED"),
    )
    assert result.breakdown == (CriterionResult("kazakh", 110, 110, "B1", "B1 gives 110 of 110"),)
    assert fact_text(Level.A1) == "A1"
    assert type(fact_text(Outcome.PASSED)) is str


def test_facts_not_used_by_the_model_are_ignored() -> None:
    result = evaluate(model(), {"applicant.citizenship": "RUS", "anything": 1.5}, "GENERAL")
    assert result == ScoreResult(0, 0, 0, True, (), ())


def test_the_route_fact_defaults_to_the_route_scored() -> None:
    definition = model(
        gates=[{"code": "kandas_only", "source": "route", "equals": "KANDAS"}],
        criteria=[{"code": "route_bonus", "source": "route", "points": {"LABOUR": 10}}],
    )
    kandas = evaluate(definition, {}, "KANDAS")
    labour = evaluate(definition, {"route": "LABOUR"}, "LABOUR")
    assert kandas.gates == (GateResult("kandas_only", True, "KANDAS", "route is KANDAS as required"),)
    assert labour.gates == (GateResult("kandas_only", False, "LABOUR", "route LABOUR is not KANDAS"),)
    assert labour.breakdown == (CriterionResult("route_bonus", 10, 10, "LABOUR", "LABOUR gives 10 of 10"),)
    with pytest.raises(ValueError, match="route"):
        evaluate(definition, {"route": "GENERAL"}, "KANDAS")


@pytest.mark.parametrize(
    ("gate", "value", "passed", "reason"),
    [
        ({"source": "language.level", "min": "A2"}, "A1", False, "language level A1 is below the minimum A2"),
        ({"source": "language.level", "min": "A1"}, "B1", True, "language level B1 meets the minimum A1"),
        ({"source": "language.level", "min": "A1"}, "A1", True, "language level A1 meets the minimum A1"),
        ({"source": "applicant.age", "min": 18}, 17, False, "applicant age 17 is below the minimum 18"),
        ({"source": "applicant.age", "max": 65}, 66, False, "applicant age 66 is above the maximum 65"),
        ({"source": "applicant.age", "max": 65}, 65, True, "applicant age 65 is within the maximum 65"),
        (
            {"source": "applicant.age", "min": 18, "max": 65},
            30,
            True,
            "applicant age 30 is within the range 18–65",
        ),
        (
            {"source": "applicant.age", "min": 18, "max": 65},
            70,
            False,
            "applicant age 70 is above the maximum 65",
        ),
        (
            {"source": "questionnaire.savingsMrp", "min": 1320},
            Decimal("1319.99"),
            False,
            "savings in MRP 1319.99 is below the minimum 1320",
        ),
        (
            {"source": "questionnaire.savingsMrp", "min": 1320},
            Decimal("1523.40"),
            True,
            "savings in MRP 1523.40 meets the minimum 1320",
        ),
        (
            {"source": "interview.outcome", "equals": "PASSED"},
            "NO_SHOW",
            False,
            "interview outcome NO_SHOW is not PASSED",
        ),
        (
            {"source": "interview.outcome", "equals": "PASSED"},
            "PASSED",
            True,
            "interview outcome is PASSED as required",
        ),
        (
            {"source": "checks.mandatoryCleared", "equals": True},
            False,
            False,
            "mandatory checks cleared is false, required true",
        ),
        (
            {"source": "checks.mandatoryCleared", "equals": True},
            True,
            True,
            "mandatory checks cleared is true as required",
        ),
        (
            {"source": "interview.outcome", "in": ["PASSED", "FAILED"]},
            "NO_SHOW",
            False,
            "interview outcome NO_SHOW is not one of PASSED, FAILED",
        ),
        (
            {"source": "interview.outcome", "in": ["PASSED", "FAILED"]},
            "FAILED",
            True,
            "interview outcome FAILED is one of PASSED, FAILED",
        ),
        (
            {"source": "checks.anyFlagged", "in": [False]},
            True,
            False,
            "any check flagged is true, required one of false",
        ),
        (
            {"source": "applicant.age", "in": [18, 19]},
            Decimal("18.0"),
            True,
            "applicant age 18.0 is one of 18, 19",
        ),
        (
            {"source": "questionnaire.savingsMrp", "min": 1320},
            None,
            False,
            "savings in MRP is missing",
        ),
    ],
)
def test_gate_results_and_reasons(
    gate: dict[str, Any], value: object, passed: bool, reason: str
) -> None:
    facts = {} if value is None else {gate["source"]: value}
    result = evaluate(model(gates=[{"code": "g", **gate}]), facts, "GENERAL")
    assert result.gates == (GateResult("g", passed, fact_text(value), reason),)
    assert result.passed is passed


@pytest.mark.parametrize(
    ("criterion", "value", "points", "reason"),
    [
        (
            {"source": "language.level", "points": {"A1": 50, "B1": 110, "C1": 150}},
            "B1",
            110,
            "B1 gives 110 of 150",
        ),
        (
            {"source": "language.level", "points": {"A1": 50, "B1": 110, "C1": 150}},
            "A2",
            0,
            "value A2 is not listed: 0 of 150",
        ),
        (
            {"source": "language.level", "points": {"A1": 50, "B1": 110, "C1": 150}},
            None,
            0,
            "no value: 0 of 150",
        ),
        (
            {"source": "questionnaire.occupationInDeficit", "points": {"true": 60, "false": 0}},
            True,
            60,
            "true gives 60 of 60",
        ),
        (
            {"source": "interview.points", "points": {"5": 25, "10": 50}},
            Decimal("5.00"),
            25,
            "5.00 gives 25 of 50",
        ),
        (
            {"source": "interview.points", "points": {"5": 25, "10": 50}},
            7,
            0,
            "value 7 is not listed: 0 of 50",
        ),
        (
            {
                "source": "applicant.age",
                "bands": [{"min": 18, "max": 29, "points": 100}, {"min": 30, "max": 39, "points": 80}],
            },
            34,
            80,
            "applicant age 34 is in band 30–39: 80 of 100",
        ),
        (
            {
                "source": "questionnaire.workExperienceYears",
                "bands": [{"min": 0, "max": 5, "points": 60}, {"min": 10, "max": None, "points": 100}],
            },
            7,
            0,
            "years of work experience 7 matches no band: 0 of 100",
        ),
        (
            {"source": "applicant.age", "bands": [{"min": 60, "max": None, "points": 5}]},
            61,
            5,
            "applicant age 61 is in band 60 and above: 5 of 5",
        ),
        (
            {"source": "applicant.age", "bands": [{"min": None, "max": 17, "points": 5}]},
            3,
            5,
            "applicant age 3 is in band up to 17: 5 of 5",
        ),
        (
            {"source": "questionnaire.workExperienceYears", "bands": [{"min": 0, "max": 0, "points": 0}]},
            0,
            0,
            "years of work experience 0 is in band 0: 0 of 0",
        ),
        (
            {"source": "questionnaire.savingsMrp", "bands": [{"min": None, "max": None, "points": 7}]},
            Decimal("12.5"),
            7,
            "savings in MRP 12.5 is in band any value: 7 of 7",
        ),
    ],
)
def test_criterion_results_and_reasons(
    criterion: dict[str, Any], value: object, points: int, reason: str
) -> None:
    facts = {} if value is None else {criterion["source"]: value}
    result = evaluate(model(criteria=[{"code": "c", **criterion}]), facts, "LABOUR")
    maxp = criterion_max_points({"code": "c", **criterion})
    assert result.breakdown == (CriterionResult("c", points, maxp, fact_text(value), reason),)
    assert result.total == points


def test_the_first_matching_band_wins_and_bounds_are_inclusive() -> None:
    definition = model(
        criteria=[
            {
                "code": "age",
                "source": "applicant.age",
                "bands": [
                    {"min": 20, "max": 30, "points": 1},
                    {"min": 25, "max": 35, "points": 2},
                    {"min": None, "max": None, "points": 3},
                ],
            }
        ]
    )
    got = {age: evaluate(definition, {"applicant.age": age}, "GENERAL").total for age in (19, 20, 25, 30, 31, 35, 36)}
    assert got == {19: 3, 20: 1, 25: 1, 30: 1, 31: 2, 35: 2, 36: 3}


def test_decimal_facts_against_integer_bands() -> None:
    definition = model(
        criteria=[
            {
                "code": "savings",
                "source": "questionnaire.savingsMrp",
                "bands": [{"min": 0, "max": 1319, "points": 0}, {"min": 1320, "max": None, "points": 10}],
            }
        ]
    )
    # 1319.50 lies between the bands: no band matches.
    assert evaluate(definition, {"questionnaire.savingsMrp": Decimal("1319.50")}, "GENERAL").total == 0
    assert evaluate(definition, {"questionnaire.savingsMrp": Decimal("1320.00")}, "GENERAL").total == 10
    assert evaluate(definition, {"questionnaire.savingsMrp": Decimal("1319")}, "GENERAL").breakdown[0].reason == (
        "savings in MRP 1319 is in band 0–1319: 0 of 10"
    )


def test_criterion_max_points() -> None:
    assert criterion_max_points({"code": "c", "source": "language.level", "points": {}}) == 0
    assert criterion_max_points({"code": "c", "source": "language.level", "points": {"A1": 5, "B1": 3}}) == 5
    assert (
        criterion_max_points(
            {
                "code": "c",
                "source": "applicant.age",
                "bands": [{"min": 0, "max": 1, "points": 7}, {"min": 2, "max": None, "points": 9}],
            }
        )
        == 9
    )


def test_max_total_per_route() -> None:
    definition = model(
        criteria=[
            {"code": "a", "source": "language.level", "points": {"A1": 10}},
            {"code": "b", "source": "language.level", "points": {"A1": 20}, "routes": ["KANDAS"]},
            {"code": "c", "source": "language.level", "points": {"A1": 40}, "routes": ["GENERAL", "LABOUR"]},
        ]
    )
    assert max_total(definition) == 70
    assert max_total(definition, "KANDAS") == 30
    assert max_total(definition, "GENERAL") == 50
    assert max_total(definition, "LABOUR") == 50


def test_to_json_shape_and_round_trip() -> None:
    definition = model(
        pass_mark=10,
        gates=[{"code": "adult", "source": "applicant.age", "min": 18}],
        criteria=[{"code": "savings", "source": "questionnaire.savingsMrp", "bands": [{"min": 0, "max": None, "points": 10}]}],
    )
    result = evaluate(definition, {"applicant.age": 20, "questionnaire.savingsMrp": Decimal("1523.40")}, "GENERAL")
    data = result.to_json()
    # Each reason is stored with its message id and parameters, so it is translated when read (SPEC §16).
    assert data["gates"][0].pop("reasonText") == {
        "t": "{label} {value} meets the minimum {min}",
        "p": {"label": {"t": "applicant age", "p": {}}, "value": "20", "min": "18"}}
    assert data["breakdown"][0].pop("reasonText")["t"] == "{label} {value} is in band {band}: {given} of {most}"
    assert data == {
        "total": 10,
        "maxTotal": 10,
        "passMark": 10,
        "passed": True,
        "gates": [
            {"code": "adult", "passed": True, "value": "20", "reason": "applicant age 20 meets the minimum 18"}
        ],
        "breakdown": [
            {
                "code": "savings",
                "points": 10,
                "maxPoints": 10,
                "value": "1523.40",
                "reason": "savings in MRP 1523.40 is in band 0 and above: 10 of 10",
            }
        ],
    }
    assert json.loads(json.dumps(data)) == data
    assert ScoreResult.from_json(data) == result
    stored, explanation = (json.loads(text) for text in result.stored_texts[:2])
    assert ScoreResult.from_stored(stored, explanation).gates[0].reason.template == "{label} {value} meets the minimum {min}"


# --------------------------------------------------------------------------
# unless: exemptions (SPEC §3, issue 13 item 2)
# --------------------------------------------------------------------------

SOLVENCY: dict[str, Any] = {
    "code": "solvency", "source": "questionnaire.savingsMrp", "min": 1320, "routes": ["GENERAL"],
    "unless": {"source": "applicant.ethnicKazakh", "equals": True},
}


def test_unless_is_valid_on_gates_and_criteria() -> None:
    criterion = {"code": "savings", "source": "questionnaire.savingsMrp",
                 "bands": [{"min": 0, "max": None, "points": 10}], "unless": {"source": "route", "in": ["KANDAS"]}}
    young = {"code": "young", "source": "applicant.age", "points": {"18": 5},
             "unless": {"source": "applicant.age", "min": 18, "max": 30}}
    ranked = {"code": "ranked", "source": "applicant.age", "min": 18,
              "unless": {"source": "language.level", "min": "B2"}}
    assert validate_definition(model(gates=[SOLVENCY, ranked], criteria=[criterion, young])) == []


@pytest.mark.parametrize(
    ("unless", "path"),
    [
        (True, ()),
        ([], ()),
        ("applicant.ethnicKazakh", ()),
        ({"equals": True}, ("source",)),
        ({"source": "applicant.citizenship", "equals": "UZB"}, ("source",)),
        ({"source": "applicant.ethnicKazakh"}, ()),
        ({"source": "applicant.ethnicKazakh", "equals": "yes"}, ("equals",)),
        ({"source": "applicant.ethnicKazakh", "min": True}, ("min",)),
        ({"source": "applicant.ethnicKazakh", "equals": True, "in": [True]}, ()),
        ({"source": "applicant.age", "min": 30, "max": 18}, ("min",)),
        ({"source": "applicant.age", "min": 18.5}, ("min",)),
        ({"source": "interview.outcome", "in": ["PASSED", "MAYBE"]}, ("in", "1")),
        ({"source": "applicant.ethnicKazakh", "equals": True, "routes": ["GENERAL"]}, ("routes",)),
        ({"source": "applicant.ethnicKazakh", "equals": True, "code": "x"}, ("code",)),
        ({"source": "applicant.ethnicKazakh", "equals": True, "unless": {}}, ("unless",)),
    ],
)
def test_a_bad_unless_is_reported_at_its_path(unless: object, path: Path) -> None:
    gate = {**SOLVENCY, "unless": unless}
    criterion = {"code": "c", "source": "applicant.age", "points": {}, "unless": unless}
    assert paths(model(gates=[gate])) == [("definition", "gates", "0", "unless", *path)]
    assert paths(model(criteria=[criterion])) == [("definition", "criteria", "0", "unless", *path)]


def test_a_gate_whose_unless_holds_passes_and_says_why() -> None:
    definition = model(gates=[SOLVENCY])
    kazakh = evaluate(definition, {"applicant.ethnicKazakh": True, "questionnaire.savingsMrp": Decimal("10")},
                      "GENERAL")
    assert kazakh.gates == (GateResult("solvency", True, "10", "exempt: applicant is an ethnic Kazakh"),)
    assert kazakh.passed
    # without the gate's own fact too
    assert evaluate(definition, {"applicant.ethnicKazakh": True}, "GENERAL").gates == (
        GateResult("solvency", True, None, "exempt: applicant is an ethnic Kazakh"),)
    other = evaluate(definition, {"applicant.ethnicKazakh": False, "questionnaire.savingsMrp": Decimal("10")},
                     "GENERAL")
    assert other.gates == (GateResult("solvency", False, "10", "savings in MRP 10 is below the minimum 1320"),)
    assert not other.passed
    # a missing fact never exempts
    unknown = evaluate(definition, {"questionnaire.savingsMrp": Decimal("10")}, "GENERAL")
    assert unknown.gates == (GateResult("solvency", False, "10", "savings in MRP 10 is below the minimum 1320"),)
    # routes still come first: the gate is left out of other routes
    assert evaluate(definition, {"applicant.ethnicKazakh": True}, "KANDAS").gates == ()


def test_a_criterion_whose_unless_holds_gives_nothing_and_says_why() -> None:
    criterion = {"code": "relatives", "source": "questionnaire.relativesInKazakhstan",
                 "points": {"true": 30, "false": 0}, "unless": {"source": "route", "equals": "KANDAS"}}
    facts = {"questionnaire.relativesInKazakhstan": True}
    kandas = evaluate(model(criteria=[criterion]), facts, "KANDAS")
    assert kandas.breakdown == (CriterionResult("relatives", 0, 30, "true", "exempt: route is KANDAS: 0 of 30"),)
    assert (kandas.total, kandas.max_total) == (0, 30)
    general = evaluate(model(criteria=[criterion]), facts, "GENERAL")
    assert general.breakdown == (CriterionResult("relatives", 30, 30, "true", "true gives 30 of 30"),)


@pytest.mark.parametrize(
    ("condition", "facts", "why"),
    [
        ({"source": "applicant.age", "min": 60}, {"applicant.age": 61}, "applicant age 61 is at least 60"),
        ({"source": "applicant.age", "max": 20}, {"applicant.age": 20}, "applicant age 20 is at most 20"),
        ({"source": "applicant.age", "min": 18, "max": 20}, {"applicant.age": 19},
         "applicant age 19 is within 18–20"),
        ({"source": "language.level", "min": "B2"}, {"language.level": "C1"}, "language level C1 is at least B2"),
        ({"source": "language.level", "in": ["B2", "C1"]}, {"language.level": "C1"},
         "language level C1 is one of B2, C1"),
        ({"source": "interview.outcome", "equals": "PASSED"}, {"interview.outcome": "PASSED"},
         "interview outcome is PASSED"),
        ({"source": "checks.anyFlagged", "equals": False}, {"checks.anyFlagged": False}, "no check is flagged"),
        ({"source": "applicant.ethnicKazakh", "in": [False]}, {"applicant.ethnicKazakh": False},
         "applicant is not an ethnic Kazakh"),
        ({"source": "questionnaire.savingsMrp", "min": 5000}, {"questionnaire.savingsMrp": Decimal("5000.50")},
         "savings in MRP 5000.50 is at least 5000"),
    ],
)
def test_exemption_reasons(condition: dict[str, Any], facts: dict[str, object], why: str) -> None:
    gate = {"code": "g", "source": "interview.points", "min": 5, "unless": condition}
    result = evaluate(model(gates=[gate]), facts, "LABOUR")
    assert result.gates == (GateResult("g", True, None, f"exempt: {why}"),)


@pytest.mark.parametrize(
    ("condition", "facts"),
    [
        ({"source": "applicant.age", "min": 60}, {"applicant.age": 59}),
        ({"source": "language.level", "in": ["B2", "C1"]}, {"language.level": "B1"}),
        ({"source": "applicant.ethnicKazakh", "equals": True}, {"applicant.ethnicKazakh": None}),
    ],
)
def test_an_unless_that_does_not_hold_leaves_the_gate_as_it_is(
    condition: dict[str, Any], facts: dict[str, object]
) -> None:
    gate = {"code": "g", "source": "interview.points", "min": 5, "unless": condition}
    result = evaluate(model(gates=[gate]), {**facts, "interview.points": 3}, "LABOUR")
    assert result.gates == (GateResult("g", False, "3", "interview points 3 is below the minimum 5"),)


def test_the_fact_of_an_unless_is_checked_like_any_fact() -> None:
    definition = model(gates=[SOLVENCY])
    with pytest.raises(ValueError, match="applicant.ethnicKazakh must be a bool"):
        evaluate(definition, {"applicant.ethnicKazakh": 1, "questionnaire.savingsMrp": 2000}, "GENERAL")


# --------------------------------------------------------------------------
# A pass mark that can be reached (issue 13 item 4)
# --------------------------------------------------------------------------


def test_a_pass_mark_above_max_total_is_a_problem() -> None:
    age = {"code": "age", "source": "applicant.age", "points": {"30": 100}}
    labour = {"code": "labour", "source": "checks.anyFlagged", "points": {"false": 50}, "routes": ["LABOUR"]}
    assert pass_mark_problem(model(criteria=[age], pass_mark=100)) is None
    assert pass_mark_problem(model(criteria=[age, labour], pass_mark=100)) is None
    everyone = pass_mark_problem(model(criteria=[age], pass_mark=101))
    assert everyone == DefinitionError(
        ("definition", "passMark"),
        "passMark 101 is above maxTotal 100, the most any application can score; no one could pass")
    some = pass_mark_problem(model(criteria=[age, labour], pass_mark=120))
    assert some == DefinitionError(
        ("definition", "passMark"),
        "passMark 120 is above maxTotal on some routes (KANDAS 100, GENERAL 100); no application on them could pass")
    assert pass_mark_problem(model(pass_mark=0)) is None
    assert pass_mark_problem(model(pass_mark=1)) is not None
    # Not a structural problem: such a model still evaluates (everyone fails),
    # so a score stored under an older model stays readable.
    assert validate_definition(model(criteria=[age], pass_mark=9999)) == []
    assert not evaluate(model(criteria=[age], pass_mark=9999), {"applicant.age": 30}, "KANDAS").passed


# --------------------------------------------------------------------------
# Hypothesis strategies
# --------------------------------------------------------------------------

SOURCES = sorted(FACT_SOURCES)

codes = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
small_ints = st.integers(min_value=-5, max_value=2000)
points_values = st.integers(min_value=0, max_value=300)
route_lists = st.lists(st.sampled_from(ROUTES), min_size=1, max_size=3, unique=True)


def members(source: str) -> tuple[str, ...]:
    return (ORDINALS | CATEGORIES)[source]


def definition_values(source: str) -> st.SearchStrategy[Any]:
    """Values of a fact as a definition writes them (numbers: ints)."""
    kind = FACT_SOURCES[source]
    if kind == "boolean":
        return st.booleans()
    if kind == "number":
        return small_ints
    return st.sampled_from(members(source))


def fact_values(source: str) -> st.SearchStrategy[Any]:
    """Values of a fact as the caller passes them (numbers: int or Decimal)."""
    kind = FACT_SOURCES[source]
    if kind == "number":
        return st.one_of(
            small_ints,
            st.integers(min_value=-2, max_value=12),
            st.decimals(
                min_value=-10, max_value=2100, places=2, allow_nan=False, allow_infinity=False
            ),
        )
    return definition_values(source)


def points_key(source: str, value: Any) -> str:
    text = fact_text(value)
    assert text is not None
    return text


def draw_comparison(draw: st.DrawFn, source: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Add one comparison of ``source`` (min, max, a range, equals or in) to ``entry``."""
    kind = FACT_SOURCES[source]
    forms = ["equals", "in"] + (["min", "max", "range"] if kind in ("number", "ordinal") else [])
    form = draw(st.sampled_from(forms))
    values = definition_values(source)
    if form == "equals":
        entry["equals"] = draw(values)
    elif form == "in":
        entry["in"] = draw(st.lists(values, min_size=1, max_size=4))
    elif form == "range":
        low, high = draw(values), draw(values)
        if kind == "ordinal":
            low, high = sorted((low, high), key=members(source).index)
        else:
            low, high = sorted((low, high))
        entry["min"], entry["max"] = low, high
    else:
        entry[form] = draw(values)
    return entry


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    """An ``unless`` condition: a source and one comparison."""
    source = draw(st.sampled_from(SOURCES))
    return draw_comparison(draw, source, {"source": source})


@st.composite
def gates(draw: st.DrawFn, code: str) -> dict[str, Any]:
    source = draw(st.sampled_from(SOURCES))
    gate = draw_comparison(draw, source, {"code": code, "source": source})
    if draw(st.booleans()):
        gate["routes"] = draw(route_lists)
    if draw(st.booleans()):
        gate["unless"] = draw(conditions())
    return gate


@st.composite
def bands(draw: st.DrawFn) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        low = draw(st.one_of(st.none(), small_ints))
        high = draw(st.one_of(st.none(), small_ints))
        if low is not None and high is not None and low > high:
            low, high = high, low
        band: dict[str, Any] = {"min": low, "max": high, "points": draw(points_values)}
        if low is None and draw(st.booleans()):
            del band["min"]
        result.append(band)
    return result


@st.composite
def criteria(draw: st.DrawFn, code: str) -> dict[str, Any]:
    source = draw(st.sampled_from(SOURCES))
    kind = FACT_SOURCES[source]
    criterion: dict[str, Any] = {"code": code, "source": source}
    if kind == "number" and draw(st.booleans()):
        criterion["bands"] = draw(bands())
    else:
        if kind == "number":
            keys = draw(
                st.lists(st.integers(min_value=-2, max_value=12), max_size=4, unique=True).map(
                    lambda numbers: [str(number) for number in numbers]
                )
            )
        else:
            keys = draw(
                st.lists(definition_values(source), max_size=4, unique=True).map(
                    lambda values: [points_key(source, value) for value in values]
                )
            )
        criterion["points"] = {key: draw(points_values) for key in keys}
    if draw(st.booleans()):
        criterion["routes"] = draw(route_lists)
    if draw(st.booleans()):
        criterion["unless"] = draw(conditions())
    return criterion


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    gate_codes = draw(st.lists(codes, max_size=4, unique=True))
    criterion_codes = draw(st.lists(codes, max_size=5, unique=True))
    return {
        "passMark": draw(st.integers(min_value=0, max_value=800)),
        "gates": [draw(gates(code)) for code in gate_codes],
        "criteria": [draw(criteria(code)) for code in criterion_codes],
    }


@st.composite
def facts(draw: st.DrawFn, route: str) -> dict[str, object]:
    result: dict[str, object] = {}
    for source in SOURCES:
        if source == "route":
            if draw(st.booleans()):
                result[source] = route
            continue
        choice = draw(st.sampled_from(("value", "value", "value", "none", "missing")))
        if choice == "none":
            result[source] = None
        elif choice == "value":
            result[source] = draw(fact_values(source))
    return result


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, object], str]:
    route = draw(st.sampled_from(ROUTES))
    return draw(definitions()), draw(facts(route)), route


def applies(entry: dict[str, Any], route: str) -> bool:
    return "routes" not in entry or route in entry["routes"]


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(["", "A1", "true", "GENERAL", "applicant.age", "min", "code"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["passMark", "gates", "criteria", "code", "source", "min", "max", "equals", "in",
                 "routes", "unless", "points", "bands", "A1", "true", "other"]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(definitions())
def test_generated_definitions_are_valid(definition: dict[str, Any]) -> None:
    assert validate_definition(definition) == []
    # A definition survives a trip through JSON (how it is stored).
    assert validate_definition(json.loads(json.dumps(definition))) == []
    # max_total is the sum of the maxima of the criteria that apply.
    assert max_total(definition) == sum(
        criterion_max_points(criterion) for criterion in definition["criteria"]
    )
    for route in ROUTES:
        assert max_total(definition, route) == sum(
            criterion_max_points(criterion)
            for criterion in definition["criteria"]
            if applies(criterion, route)
        )


def expected_gate_outcome(gate: dict[str, Any], value: object) -> bool:
    """An independent oracle for one gate on a present fact."""
    source = gate["source"]
    if "equals" in gate:
        return value == gate["equals"]
    if "in" in gate:
        return any(value == option for option in gate["in"])
    if FACT_SOURCES[source] == "ordinal":
        order = ORDINALS[source]
        position = order.index(value)  # type: ignore[arg-type]
        return ("min" not in gate or position >= order.index(gate["min"])) and (
            "max" not in gate or position <= order.index(gate["max"])
        )
    return ("min" not in gate or value >= gate["min"]) and (  # type: ignore[operator]
        "max" not in gate or value <= gate["max"]  # type: ignore[operator]
    )


def exempts(entry: dict[str, Any], facts: dict[str, object], route: str) -> bool:
    """An independent oracle for ``unless``: its fact is present and its comparison holds."""
    condition = entry.get("unless")
    if condition is None:
        return False
    value = route if condition["source"] == "route" else facts.get(condition["source"])
    return value is not None and expected_gate_outcome(condition, value)


@PROPERTY_SETTINGS
@given(scenarios())
def test_score_properties(scenario: tuple[dict[str, Any], dict[str, object], str]) -> None:
    definition, given_facts, route = scenario
    definition_before = copy.deepcopy(definition)
    facts_before = dict(given_facts)
    result = evaluate(definition, given_facts, route)

    # Totals.
    assert result.total == sum(item.points for item in result.breakdown)
    assert result.max_total == sum(item.max_points for item in result.breakdown)
    assert result.max_total == max_total(definition, route)
    assert result.pass_mark == definition["passMark"]
    for item in result.breakdown:
        assert 0 <= item.points <= item.max_points
    assert 0 <= result.total <= result.max_total

    # Passing.
    assert result.passed == (
        all(gate.passed for gate in result.gates) and result.total >= result.pass_mark
    )

    # Entries whose routes leave the route out are absent; order is kept.
    assert [gate.code for gate in result.gates] == [
        gate["code"] for gate in definition["gates"] if applies(gate, route)
    ]
    assert [item.code for item in result.breakdown] == [
        criterion["code"] for criterion in definition["criteria"] if applies(criterion, route)
    ]

    # Gates: value as text, missing facts fail, outcome agrees with the oracle.
    gates_by_code = {gate["code"]: gate for gate in definition["gates"]}
    for gate_result in result.gates:
        gate = gates_by_code[gate_result.code]
        source = gate["source"]
        value = route if source == "route" else given_facts.get(source)
        assert gate_result.value == fact_text(value)
        if exempts(gate, given_facts, route):
            assert gate_result.passed
            assert gate_result.reason.startswith("exempt: ")
        elif value is None:
            assert not gate_result.passed
            assert gate_result.reason == f"{FACT_LABELS[source]} is missing"
        else:
            assert gate_result.passed == expected_gate_outcome(gate, value)
            assert gate_result.reason.startswith(FACT_LABELS[source])
        assert gate_result.reason and "\n" not in gate_result.reason

    # Criteria: value as text, missing facts give 0, reasons end with the score.
    criteria_by_code = {criterion["code"]: criterion for criterion in definition["criteria"]}
    for item in result.breakdown:
        criterion = criteria_by_code[item.code]
        source = criterion["source"]
        value = route if source == "route" else given_facts.get(source)
        assert item.value == fact_text(value)
        assert item.max_points == criterion_max_points(criterion)
        if exempts(criterion, given_facts, route):
            assert item.points == 0
            assert item.reason.startswith("exempt: ")
        elif value is None:
            assert item.points == 0
            assert item.reason == f"no value: 0 of {item.max_points}"
        assert item.reason.endswith(f"{item.points} of {item.max_points}")
        assert "\n" not in item.reason

    # Deterministic and pure: the same inputs give the same result, the
    # inputs are left untouched, and the stored (JSON) definition scores alike.
    assert definition == definition_before
    assert given_facts == facts_before
    again = evaluate(json.loads(json.dumps(definition)), dict(given_facts), route)
    assert again == result
    assert again.to_json() == result.to_json()

    # Stored form.
    data = result.to_json()
    assert json.loads(json.dumps(data)) == data
    assert ScoreResult.from_json(data) == result


@SMALL_SETTINGS
@given(scenarios())
def test_entries_restricted_to_other_routes_are_left_out(
    scenario: tuple[dict[str, Any], dict[str, object], str],
) -> None:
    definition, given_facts, route = scenario
    others = [other for other in ROUTES if other != route]
    for entry in definition["gates"] + definition["criteria"]:
        entry["routes"] = others
    result = evaluate(definition, given_facts, route)
    assert result.gates == ()
    assert result.breakdown == ()
    assert result.total == result.max_total == 0
    assert result.passed == (definition["passMark"] == 0)


@SMALL_SETTINGS
@given(definitions(), st.data())
def test_an_unknown_key_or_source_is_reported_at_its_path(
    definition: dict[str, Any], data: st.DataObject
) -> None:
    entries = [("gates", index) for index in range(len(definition["gates"]))] + [
        ("criteria", index) for index in range(len(definition["criteria"]))
    ]
    if not entries:
        definition["weights"] = {}
        assert paths(definition) == [("definition", "weights")]
        return
    key, index = data.draw(st.sampled_from(entries))
    with_key = copy.deepcopy(definition)
    with_key[key][index]["weight"] = 1
    assert paths(with_key) == [("definition", key, str(index), "weight")]

    with_source = copy.deepcopy(definition)
    with_source[key][index]["source"] = data.draw(
        st.sampled_from(["applicant.citizenship", "applicant.sex", "applicant.fullName"])
    )
    assert ("definition", key, str(index), "source") in paths(with_source)


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(json_values)
def test_validation_never_raises(value: object) -> None:
    errors = validate_definition(value)
    assert isinstance(errors, list)
    for error in errors:
        assert isinstance(error, DefinitionError)
        assert error.path[0] == "definition"
        assert all(isinstance(part, str) for part in error.path)
