"""What would raise a score (SPEC §17): for each criterion below its maximum,
the nearest value of a fact the applicant can change that scores more, and the
points it adds; for each failed gate, the value that would pass.

Only facts a person can change count (``CHANGEABLE_FACTS``: the language test,
education, work experience, other languages, savings); never age, sex,
citizenship, family, the checks or the interview. "Nearest" is the smallest
change upwards (a higher level, more years, more savings) for a criterion, and
the bound the gate asks for (its ``min``, ``max``, ``equals`` or the closest of
its ``in`` options) for a gate.

Each suggestion's ``points`` is exact: the facts with that one change are
scored again under the same definition, and ``points`` is the new total less
the current one (the property test holds the engine to it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.text import Text, t
from services.scoring.catalogue import FACT_SOURCES, ORDINALS, fact_text, ordered
from services.scoring.evaluation import _criterion_result, _exemption, _gate_result, evaluate
from services.scoring.validation import applies

# The facts a person can change (SPEC §17), and the range each number may take.
CHANGEABLE_FACTS: tuple[str, ...] = (
    "language.level",
    "language.minBlockPercent",
    "questionnaire.educationLevel",
    "questionnaire.workExperienceYears",
    "questionnaire.russian",
    "questionnaire.english",
    "questionnaire.savingsMrp",
)
_NUMBER_RANGE: dict[str, tuple[int, int | None]] = {
    "language.minBlockPercent": (0, 100),
    "questionnaire.workExperienceYears": (0, 60),
    "questionnaire.savingsMrp": (0, None),
}
# Savings in MRP are kept to the cent; the other number facts are whole numbers.
_DECIMAL_FACTS = frozenset({"questionnaire.savingsMrp"})
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Improvement:
    """One change of one fact: ``kind`` is ``"criterion"`` (it scores more) or
    ``"gate"`` (it passes a failed gate); ``points`` what the total gains with
    it; ``passes`` whether the application would then pass."""

    kind: str
    code: str
    source: str
    current: str | None
    suggested: str
    points: int
    passes: bool
    message: Text


def _number(source: str, value: Any) -> Any:
    """A fact's value from a number of the definition (a bound, a compared value or a
    points key's text): savings to the cent, the other number facts whole. None for a
    points key no whole number equals ("50.5", valid text for any number fact): no
    value of the fact reaches it."""
    if source in _DECIMAL_FACTS:
        return Decimal(value)
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else None


def _in_range(source: str, value: Any) -> bool:
    low, high = _NUMBER_RANGE.get(source, (0, None))
    return value >= low and (high is None or value <= high)


def _candidates(source: str, entry: Mapping[str, Any], current: Any) -> list[Any]:
    """The values above ``current`` at which a criterion's points can change, lowest first."""
    if FACT_SOURCES[source] == "ordinal":
        members = ORDINALS[source]
        start = 0 if current is None else members.index(current) + 1
        return list(members[start:])
    step = _CENT if source in _DECIMAL_FACTS else 1
    points: set[Any] = set()
    if "bands" in entry:
        for band in entry["bands"]:
            if band.get("min") is not None:
                points.add(_number(source, band["min"]))
            if band.get("max") is not None:
                points.add(_number(source, band["max"]) + step)
    else:
        points.update(_number(source, key) for key in entry["points"])
    low = _NUMBER_RANGE.get(source, (0, None))[0]
    if current is None:
        points.add(_number(source, low))
    return sorted(v for v in points if v is not None and (current is None or v > current) and _in_range(source, v))


def _passing_value(gate: Mapping[str, Any], source: str, current: Any) -> Any:
    """The value of ``source`` that the gate asks for, nearest to ``current``."""
    def value(v: Any) -> Any:
        return v if FACT_SOURCES[source] == "ordinal" else _number(source, v)

    if "equals" in gate:
        return value(gate["equals"])
    if "in" in gate:
        options = [value(o) for o in gate["in"]]
        if current is None:
            return options[0]
        here = ordered(source, current)
        return min(options, key=lambda o: (abs(ordered(source, o) - here), -ordered(source, o)))
    if "min" in gate and (current is None or ordered(source, current) < ordered(source, gate["min"])):
        return value(gate["min"])
    if "max" in gate:
        return value(gate["max"])
    return None


def _message(kind: str, code: str, source: str, current: str | None, suggested: str, points: int) -> Text:
    shown = current if current is not None else "none"
    if kind == "criterion":
        return t("{fact} {current} → {suggested}: +{points}", fact=source, current=shown, suggested=suggested,
                 points=points)
    if points > 0:
        return t("{fact} {current} → {suggested} passes the {gate} gate: +{points}", fact=source, current=shown,
                 suggested=suggested, gate=code, points=points)
    return t("{fact} {current} → {suggested} passes the {gate} gate", fact=source, current=shown,
             suggested=suggested, gate=code)


def improvements(definition: Mapping[str, Any], facts: Mapping[str, object], route: str) -> list[Improvement]:
    """The suggestions for ``facts`` under a valid ``definition`` on ``route``:
    failed gates first, then criteria, each in the definition's order."""
    base = evaluate(definition, facts, route)
    found: list[Improvement] = []

    def suggest(kind: str, entry: Mapping[str, Any], value: Any) -> Improvement:
        source = entry["source"]
        after = evaluate(definition, {**facts, source: value}, route, validate=False)
        current, suggested = fact_text(facts.get(source)), str(fact_text(value))
        points = after.total - base.total
        return Improvement(kind, entry["code"], source, current, suggested, points, after.passed,
                           _message(kind, entry["code"], source, current, suggested, points))

    for gate in definition["gates"]:
        source = gate["source"]
        if source not in CHANGEABLE_FACTS or not applies(gate, route) or _exemption(gate, facts, route):
            continue
        if _gate_result(gate, facts, route).passed:
            continue
        value = _passing_value(gate, source, facts.get(source))
        if value is None or not _gate_result(gate, {**facts, source: value}, route).passed:
            continue
        found.append(suggest("gate", gate, value))

    for criterion in definition["criteria"]:
        source = criterion["source"]
        if source not in CHANGEABLE_FACTS or not applies(criterion, route) or _exemption(criterion, facts, route):
            continue
        now = _criterion_result(criterion, facts, route)
        if now.points >= now.max_points:
            continue
        for value in _candidates(source, criterion, facts.get(source)):
            if _criterion_result(criterion, {**facts, source: value}, route).points > now.points:
                suggestion = suggest("criterion", criterion, value)
                if suggestion.points > 0:
                    found.append(suggestion)
                break
    return found
