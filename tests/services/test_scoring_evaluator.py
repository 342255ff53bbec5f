"""``scoring.Evaluator`` (the memoised engine used to score batches) gives
exactly what ``scoring.evaluate`` gives: the same ``ScoreResult``, the same
error, and ``stored_texts`` equal to the stored parts of ``result.to_json()``
(``split``), serialised by ``json.dumps``."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.default_model import DEFAULT_MODEL_DEFINITION
from services.scoring import FACT_SOURCES, ROUTES, Evaluator, ScoreResult, evaluate, stored_score
from services.scoring.results import StoredTexts, rendered_lines, split
from tests.services.test_scoring_engine import PROPERTY_SETTINGS, SOURCES, definitions
from tests.services.test_scoring_engine import facts as fact_maps

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        result = run()
    except ValueError as exc:
        return "error", str(exc)
    assert isinstance(result, ScoreResult)
    return "result", result


def assert_same(evaluator: Evaluator, definition: dict[str, Any], facts: dict[str, object], route: Any) -> None:
    expected = _outcome(lambda: evaluate(definition, facts, route))
    got = _outcome(lambda: evaluator.evaluate(facts, route))
    assert got == expected
    if got[0] == "result":
        assert got[1].stored_texts == stored_texts(expected[1])
        assert stored_score(*(json.loads(text) if text else None for text in got[1].stored_texts[:2])) \
            == expected[1].to_json()


# Facts as the database gives them, and a few that the engine refuses (a float,
# an unknown member, a bool for a number, an unhashable value), which the
# evaluator must refuse with the same message.
def odd_values(source: str) -> st.SearchStrategy[Any]:
    return st.sampled_from([1.5, "Z9", True, 3, ["x"], Decimal("NaN"), Decimal("2E+1"), Decimal("20.0")])


@st.composite
def fact_maps_with_odd_values(draw: st.DrawFn, route: str) -> dict[str, object]:
    facts = draw(fact_maps(route))
    for source in draw(st.lists(st.sampled_from(SOURCES), max_size=2, unique=True)):
        facts[source] = draw(odd_values(source))
    return facts


DEFAULT = Evaluator(DEFAULT_MODEL_DEFINITION)  # one evaluator across examples: its memo fills up


@PROPERTY_SETTINGS
@given(st.data())
def test_the_default_model_gives_what_the_engine_gives(data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(ROUTES))
    facts = data.draw(fact_maps(route))
    assert_same(DEFAULT, DEFAULT_MODEL_DEFINITION, facts, route)
    # the same facts again (now from the memo) give the same again
    assert_same(DEFAULT, DEFAULT_MODEL_DEFINITION, facts, route)


@PROPERTY_SETTINGS
@given(definitions(), st.data())
def test_generated_definitions_give_what_the_engine_gives(definition: dict[str, Any], data: st.DataObject) -> None:
    evaluator = Evaluator(definition)
    for _ in range(4):  # several applications per definition, so the memo is exercised
        route = data.draw(st.sampled_from(ROUTES))
        facts = data.draw(st.one_of(fact_maps(route), fact_maps_with_odd_values(route)))
        assert_same(evaluator, definition, facts, route)


@PROPERTY_SETTINGS
@given(st.data())
def test_facts_the_engine_refuses_are_refused_alike(data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(ROUTES))
    facts = data.draw(fact_maps_with_odd_values(route))
    assert_same(DEFAULT, DEFAULT_MODEL_DEFINITION, facts, route)


class Level(str, Enum):
    B1 = "B1"


def test_values_equal_but_shown_differently_are_kept_apart() -> None:
    evaluator = Evaluator(DEFAULT_MODEL_DEFINITION)
    base = {source: None for source in FACT_SOURCES if source != "route"}
    for value in (Decimal("1500"), Decimal("1500.0"), Decimal("1.5E+3"), 1500):
        facts = dict(base, **{"questionnaire.savingsMrp": value})
        assert_same(evaluator, DEFAULT_MODEL_DEFINITION, facts, "GENERAL")
    for value in (True, 1, False, 0):  # a bool is not a number, nor a number a bool
        facts = dict(base, **{"checks.mandatoryCleared": value, "applicant.age": value})
        assert_same(evaluator, DEFAULT_MODEL_DEFINITION, facts, "KANDAS")
    for level in ("B1", Level.B1):
        assert_same(evaluator, DEFAULT_MODEL_DEFINITION, dict(base, **{"language.level": level}), "LABOUR")


def test_routes_the_engine_refuses_or_takes_as_enums() -> None:
    class Route(str, Enum):
        KANDAS = "KANDAS"

    facts = {"route": "KANDAS"}
    for route in ("NOWHERE", Route.KANDAS, "kandas"):
        assert_same(DEFAULT, DEFAULT_MODEL_DEFINITION, facts, route)
    assert_same(DEFAULT, DEFAULT_MODEL_DEFINITION, {"route": "GENERAL"}, "KANDAS")


def test_an_invalid_definition_is_refused_like_evaluate_refuses_it() -> None:
    bad = {"passMark": -1, "gates": [], "criteria": []}
    with pytest.raises(ValueError) as by_engine:
        evaluate(bad, {}, "KANDAS")
    with pytest.raises(ValueError) as by_evaluator:
        Evaluator(bad)
    assert str(by_evaluator.value) == str(by_engine.value)


def test_the_evaluator_keeps_its_own_copy_and_a_bounded_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    definition = json.loads(json.dumps(DEFAULT_MODEL_DEFINITION))
    evaluator = Evaluator(definition)
    definition["passMark"] = 0
    definition["criteria"].clear()
    assert evaluator.evaluate({}, "KANDAS") == evaluate(DEFAULT_MODEL_DEFINITION, {}, "KANDAS")
    monkeypatch.setattr(Evaluator, "MEMO_LIMIT", 3)
    for age in range(10, 40):
        facts = {"applicant.age": age}
        assert_same(evaluator, DEFAULT_MODEL_DEFINITION, facts, "GENERAL")
    memo_sizes = [len(memo) for plan in evaluator._plans.values() for entries in plan for *_, memo in entries]
    assert max(memo_sizes) <= 3


def stored_texts(result: ScoreResult) -> StoredTexts:
    stored, explanation = split(result.to_json())
    return StoredTexts(json.dumps(stored), None if explanation is None else json.dumps(explanation),
                       **rendered_lines(stored))


def test_the_stored_texts_of_a_plain_result_are_its_json_in_two_parts() -> None:
    result = evaluate(DEFAULT_MODEL_DEFINITION, {"applicant.age": 30}, "KANDAS")
    assert result.stored_texts == stored_texts(result)
    stored, explanation = (json.loads(text) for text in result.stored_texts[:2])
    assert "basis" not in json.dumps(stored) and "reasonText" not in json.dumps(stored)
    assert set(explanation) == {"gates", "breakdown", "passMarkBasis"}
    assert ScoreResult.from_stored(stored, explanation) == result
