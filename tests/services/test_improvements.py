"""What would raise a score (SPEC §17), from the pure engine: every suggestion
keeps its promise exactly, and none touches a fact a person cannot change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import scoring
from services.default_model import default_model_definition
from services.scoring.catalogue import CATEGORIES, ORDINALS
from services.scoring.validation import validate_definition

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

DEFINITION = default_model_definition()
UNCHANGEABLE = ("applicant.age", "applicant.ethnicKazakh", "questionnaire.familySize", "route",
                "questionnaire.relativesInKazakhstan", "questionnaire.priorStayInKazakhstan",
                "checks.mandatoryCleared", "interview.outcome", "questionnaire.deportedBefore")


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def facts(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    route = draw(st.sampled_from(["KANDAS", "GENERAL", "LABOUR"]))
    values: dict[str, Any] = {
        "route": route,
        "applicant.age": draw(st.integers(16, 80)),
        "applicant.ethnicKazakh": draw(st.booleans()),
        "language.level": draw(maybe(st.sampled_from(ORDINALS["language.level"]))),
        "language.minBlockPercent": draw(maybe(st.integers(0, 100))),
        "questionnaire.educationLevel": draw(maybe(st.sampled_from(ORDINALS["questionnaire.educationLevel"]))),
        "questionnaire.workExperienceYears": draw(maybe(st.integers(0, 60))),
        "questionnaire.familySize": draw(st.integers(1, 20)),
        "questionnaire.russian": draw(maybe(st.sampled_from(ORDINALS["questionnaire.russian"]))),
        "questionnaire.english": draw(maybe(st.sampled_from(ORDINALS["questionnaire.english"]))),
        "questionnaire.relativesInKazakhstan": draw(st.booleans()),
        "questionnaire.priorStayInKazakhstan": draw(st.booleans()),
        "questionnaire.deportedBefore": draw(st.booleans()),
        "questionnaire.occupationInDeficit": draw(st.booleans()),
        "questionnaire.savingsMrp": draw(maybe(st.decimals(0, 5000, places=2))),
        "checks.mandatoryCleared": draw(st.booleans()),
        "interview.outcome": draw(maybe(st.sampled_from(CATEGORIES["interview.outcome"]))),
    }
    return {k: v for k, v in values.items() if v is not None}, route


# A valid model with a points key that no value of its whole-number fact equals ("50.5").
FRACTIONAL = default_model_definition()
FRACTIONAL["criteria"].append({"code": "blocks", "source": "language.minBlockPercent",
                               "points": {"50.5": 10, "80": 20}})


def test_the_fractional_model_is_valid() -> None:
    assert validate_definition(FRACTIONAL) == []


@pytest.mark.parametrize("definition", [DEFINITION, FRACTIONAL], ids=["default", "fractional"])
@settings(max_examples=300, deadline=None)
@given(drawn=facts())
def test_each_suggestion_raises_the_total_by_exactly_its_points(definition: dict[str, Any],
                                                               drawn: tuple[dict[str, Any], str]) -> None:
    values, route = drawn
    before = scoring.evaluate(definition, values, route)
    for suggestion in scoring.improvements(definition, values, route):
        assert suggestion.source in scoring.CHANGEABLE_FACTS
        assert suggestion.source not in UNCHANGEABLE
        changed = dict(values)
        current = values.get(suggestion.source)
        assert suggestion.current == scoring.fact_text(current)
        kind = scoring.FACT_SOURCES[suggestion.source]
        changed[suggestion.source] = (suggestion.suggested if kind == "ordinal" else
                                      Decimal(suggestion.suggested) if isinstance(current, Decimal) or
                                      suggestion.source == "questionnaire.savingsMrp" else int(suggestion.suggested))
        after = scoring.evaluate(definition, changed, route)
        assert after.total - before.total == suggestion.points, suggestion
        assert after.passed == suggestion.passes
        if suggestion.kind == "criterion":
            assert suggestion.points > 0
            item = {c.code: c for c in after.breakdown}[suggestion.code]
            assert item.points > {c.code: c for c in before.breakdown}[suggestion.code].points
        else:
            assert {g.code: g for g in before.gates}[suggestion.code].passed is False
            assert {g.code: g for g in after.gates}[suggestion.code].passed is True


BASE: dict[str, Any] = {
    "route": "GENERAL", "applicant.age": 34, "applicant.ethnicKazakh": False, "language.level": "B1",
    "language.minBlockPercent": 25, "questionnaire.educationLevel": "DOCTORATE",
    "questionnaire.workExperienceYears": 4, "questionnaire.russian": "FLUENT", "questionnaire.english": "FLUENT",
    "questionnaire.savingsMrp": Decimal("1100.00"), "checks.mandatoryCleared": True, "interview.outcome": "PASSED",
    "questionnaire.deportedBefore": False, "questionnaire.relativesInKazakhstan": False,
    "questionnaire.priorStayInKazakhstan": False, "questionnaire.occupationInDeficit": False,
}


def test_the_nearest_value_that_scores_more_and_the_value_that_passes_a_gate() -> None:
    found = {(s.kind, s.code): s for s in scoring.improvements(DEFINITION, BASE, "GENERAL")}
    assert set(found) == {("gate", "language_blocks"), ("gate", "solvency"), ("criterion", "kazakh"),
                          ("criterion", "experience")}
    assert found["criterion", "kazakh"].message == "language.level B1 → B2: +20"
    assert found["criterion", "kazakh"].message.template == "{fact} {current} → {suggested}: +{points}"
    assert (found["criterion", "experience"].suggested, found["criterion", "experience"].points) == ("6", 20)
    assert found["gate", "solvency"].message == "questionnaire.savingsMrp 1100.00 → 1320 passes the solvency gate"
    assert found["gate", "language_blocks"].suggested == "30"
    # age (34 gives 80 of 100), relatives, prior stay and the deficit occupation are below their
    # maximum too, but nobody can change them: no suggestion names them.
    assert not {s.source for s in found.values()} & set(UNCHANGEABLE)


def test_a_points_key_no_whole_number_equals_is_never_suggested() -> None:
    found = {(s.kind, s.code): s for s in scoring.improvements(FRACTIONAL, {**BASE, "language.minBlockPercent": 40},
                                                                "GENERAL")}
    assert (found["criterion", "blocks"].suggested, found["criterion", "blocks"].points) == ("80", 20)


def test_an_exempt_gate_and_a_criterion_at_its_maximum_suggest_nothing() -> None:
    kazakh = {**BASE, "applicant.ethnicKazakh": True, "language.level": "C1", "language.minBlockPercent": 80,
              "questionnaire.workExperienceYears": 12}
    assert scoring.improvements(DEFINITION, kazakh, "GENERAL") == []
