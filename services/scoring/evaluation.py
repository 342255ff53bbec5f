"""Scoring facts under a definition (SPEC §3): :func:`evaluate`, and the
:class:`Evaluator` that memoises it per definition for scoring many
applications. Both run the same loop (:func:`_score`) over the same
per-gate and per-criterion functions.

Facts are Python values: ordinals and categories as member names (``"B1"``,
``"PASSED"``), numbers as ``int`` or ``Decimal`` (never ``float``), booleans
as ``bool``. A fact that is missing or ``None`` fails any gate on it and gives
0 points to any criterion on it.

A gate or criterion may carry ``unless: {source, <one comparison>}`` (the
comparison as a gate has one). When that condition holds (its fact present and
the comparison true) the applicant is exempt: the gate passes, the criterion
gives 0 points, and the reason says why (``exempt: applicant is an ethnic
Kazakh``). A missing fact never exempts.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from core.text import t
from services.scoring.catalogue import (
    BOOLEAN_PHRASES, CATEGORIES, FACT_LABELS, FACT_SOURCES,
    ORDINALS, ROUTES, fact_text, is_int, members_text, ordered,
)
from services.scoring.results import Basis, CriterionResult, GateResult, ScoreResult, StoredTexts, line_texts
from services.scoring.validation import applies, criterion_max_points, validate_definition


def _fact(facts: Mapping[str, object], source: str, route: str) -> object:
    """The fact ``source`` (None when missing), checked against its kind."""
    value = facts.get(source)
    if isinstance(value, Enum):  # e.g. a model's StrEnum member
        value = value.value
    if isinstance(value, str):
        value = str.__str__(value)
    if source == "route":
        if value is None:
            return route
        if value != route:
            raise ValueError(f"the fact route is {value!r} but the application is scored as {route}")
    if value is None:
        return None
    kind = FACT_SOURCES[source]
    if kind == "boolean":
        ok = isinstance(value, bool)
        expected = "a bool"
    elif kind == "number":
        ok = is_int(value) or (isinstance(value, Decimal) and value.is_finite())
        expected = "an int or a finite Decimal (never a float)"
    else:
        members = ORDINALS[source] if kind == "ordinal" else CATEGORIES[source]
        ok = isinstance(value, str) and value in members
        expected = f"one of {members_text(members)}"
    if not ok:
        raise ValueError(
            f"the fact {source} must be {expected}, not {type(value).__name__} {value!r}"
        )
    return value


def _holds(condition: Mapping[str, Any], source: str, value: object) -> bool:
    """Whether the comparison of ``condition`` holds for a present ``value``."""
    if "equals" in condition:
        return value == condition["equals"]
    if "in" in condition:
        return any(value == option for option in condition["in"])
    position = ordered(source, value)
    return ("min" not in condition or position >= ordered(source, condition["min"])) and (
        "max" not in condition or position <= ordered(source, condition["max"])
    )


def _condition_text(condition: Mapping[str, Any], source: str, value: object) -> str:
    """A condition that holds, in words: ``applicant is an ethnic Kazakh``."""
    phrases = BOOLEAN_PHRASES.get(source)
    if phrases is not None:
        return phrases[0] if value else phrases[1]
    label = FACT_LABELS[source]
    text = fact_text(value)
    if "equals" in condition:
        return t("{label} is {value}", label=label, value=text)
    if "in" in condition:
        return t("{label} {value} is one of {options}", label=label, value=text,
                 options=", ".join(str(fact_text(o)) for o in condition["in"]))
    if "min" in condition and "max" in condition:
        return t("{label} {value} is within {min}–{max}", label=label, value=text,
                 min=fact_text(condition["min"]), max=fact_text(condition["max"]))
    if "min" in condition:
        return t("{label} {value} is at least {min}", label=label, value=text, min=fact_text(condition["min"]))
    return t("{label} {value} is at most {max}", label=label, value=text, max=fact_text(condition["max"]))


def _exemption(entry: Mapping[str, Any], facts: Mapping[str, object], route: str) -> str | None:
    """Why ``entry``'s ``unless`` condition exempts the applicant, or None when
    the entry has none or it does not hold. A missing fact never exempts."""
    condition = entry.get("unless")
    if condition is None:
        return None
    source: str = condition["source"]
    value = _fact(facts, source, route)
    if value is None or not _holds(condition, source, value):
        return None
    return _condition_text(condition, source, value)


def _basis(entry: Mapping[str, Any], key: str = "basis") -> Basis | None:
    return Basis.from_json(entry.get(key))


def _evaluate_gate(gate: Mapping[str, Any], facts: Mapping[str, object], route: str) -> GateResult:
    """The gate's result, with the gate's ``basis`` when it cites one."""
    result = _gate_result(gate, facts, route)
    basis = _basis(gate)
    return result if basis is None else dataclasses.replace(result, basis=basis)


def _gate_result(gate: Mapping[str, Any], facts: Mapping[str, object], route: str) -> GateResult:
    code: str = gate["code"]
    source: str = gate["source"]
    label = FACT_LABELS[source]
    kind = FACT_SOURCES[source]
    value = _fact(facts, source, route)
    text = fact_text(value)
    exempt = _exemption(gate, facts, route)
    if exempt is not None:
        return GateResult(code, True, text, t("exempt: {exempt}", exempt=exempt))
    if value is None:
        return GateResult(code, False, None, t("{label} is missing", label=label))

    if "equals" in gate:
        expected = gate["equals"]
        expected_text = fact_text(expected)
        if value == expected:
            return GateResult(code, True, text, t("{label} is {value} as required", label=label, value=text))
        if kind == "boolean":
            return GateResult(code, False, text, t("{label} is {value}, required {expected}", label=label, value=text,
                                                   expected=expected_text))
        return GateResult(code, False, text, t("{label} {value} is not {expected}", label=label, value=text,
                                               expected=expected_text))

    if "in" in gate:
        options: list[Any] = gate["in"]
        options_text = ", ".join(str(fact_text(option)) for option in options)
        passed = any(value == option for option in options)
        if kind == "boolean":
            if passed:
                return GateResult(code, True, text, t("{label} is {value} as required", label=label, value=text))
            return GateResult(code, False, text, t("{label} is {value}, required one of {options}", label=label,
                                                   value=text, options=options_text))
        if passed:
            return GateResult(code, True, text, t("{label} {value} is one of {options}", label=label, value=text,
                                                  options=options_text))
        return GateResult(code, False, text, t("{label} {value} is not one of {options}", label=label, value=text,
                                               options=options_text))

    position = ordered(source, value)
    has_min = "min" in gate
    has_max = "max" in gate
    if has_min and position < ordered(source, gate["min"]):
        return GateResult(code, False, text, t("{label} {value} is below the minimum {min}", label=label, value=text,
                                               min=fact_text(gate["min"])))
    if has_max and position > ordered(source, gate["max"]):
        return GateResult(code, False, text, t("{label} {value} is above the maximum {max}", label=label, value=text,
                                               max=fact_text(gate["max"])))
    if has_min and has_max:
        reason = t("{label} {value} is within the range {min}–{max}", label=label, value=text,
                   min=fact_text(gate["min"]), max=fact_text(gate["max"]))
    elif has_min:
        reason = t("{label} {value} meets the minimum {min}", label=label, value=text, min=fact_text(gate["min"]))
    else:
        reason = t("{label} {value} is within the maximum {max}", label=label, value=text, max=fact_text(gate["max"]))
    return GateResult(code, True, text, reason)


def _band_text(band: Mapping[str, Any]) -> str:
    low = band.get("min")
    high = band.get("max")
    if low is None and high is None:
        return t("any value")
    if high is None:
        return t("{min} and above", min=fact_text(low))
    if low is None:
        return t("up to {max}", max=fact_text(high))
    if low == high:
        return str(fact_text(low))
    return f"{fact_text(low)}–{fact_text(high)}"


def _in_band(value: Any, band: Mapping[str, Any]) -> bool:
    low = band.get("min")
    high = band.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _points_for(source: str, value: object, points: Mapping[str, int]) -> int | None:
    """The points a points map gives for ``value``; None when it is not listed."""
    if FACT_SOURCES[source] == "number":
        assert isinstance(value, (int, Decimal))
        number = Decimal(value)
        for key, given in points.items():
            if Decimal(key) == number:
                return int(given)
        return None
    key_text = fact_text(value)
    if key_text is not None and key_text in points:
        return int(points[key_text])
    return None


def _evaluate_criterion(
    criterion: Mapping[str, Any], facts: Mapping[str, object], route: str
) -> CriterionResult:
    """The criterion's result, with the criterion's ``basis`` when it cites one."""
    result = _criterion_result(criterion, facts, route)
    basis = _basis(criterion)
    return result if basis is None else dataclasses.replace(result, basis=basis)


def _criterion_result(
    criterion: Mapping[str, Any], facts: Mapping[str, object], route: str
) -> CriterionResult:
    code: str = criterion["code"]
    source: str = criterion["source"]
    label = FACT_LABELS[source]
    most = criterion_max_points(criterion)
    value = _fact(facts, source, route)
    text = fact_text(value)
    exempt = _exemption(criterion, facts, route)
    if exempt is not None:
        return CriterionResult(code, 0, most, text, t("exempt: {exempt}: 0 of {most}", exempt=exempt, most=most))
    if value is None:
        return CriterionResult(code, 0, most, None, t("no value: 0 of {most}", most=most))

    if "points" in criterion:
        given = _points_for(source, value, criterion["points"])
        if given is None:
            return CriterionResult(code, 0, most, text, t("value {value} is not listed: 0 of {most}", value=text,
                                                          most=most))
        return CriterionResult(code, given, most, text, t("{value} gives {given} of {most}", value=text, given=given,
                                                          most=most))

    for band in criterion["bands"]:
        if _in_band(value, band):
            given = int(band["points"])
            return CriterionResult(
                code,
                given,
                most,
                text,
                t("{label} {value} is in band {band}: {given} of {most}", label=label, value=text,
                  band=_band_text(band), given=given, most=most),
            )
    return CriterionResult(code, 0, most, text, t("{label} {value} matches no band: 0 of {most}", label=label,
                                                  value=text, most=most))


def _refuse_invalid(definition: Mapping[str, Any]) -> None:
    problems = validate_definition(definition)
    if problems:
        listed = "; ".join(f"{'.'.join(p.path)}: {p.message}" for p in problems)
        raise ValueError(f"invalid scoring model definition: {listed}")


def evaluate(
    definition: Mapping[str, Any], facts: Mapping[str, object], route: str, *, validate: bool = True
) -> ScoreResult:
    """Score ``facts`` under ``definition`` for ``route``.

    Gates and criteria whose ``routes`` leave ``route`` out are left out of
    the result. ``passed`` is true when every gate in the result passes and
    the total reaches the pass mark.

    Raises ``ValueError`` for an invalid definition (validate it first with
    :func:`validate_definition`), an unknown route, or a fact of the wrong
    kind (e.g. a float, an unknown level) — these are programming errors.
    ``validate=False`` skips re-validating a definition the caller has just
    validated (scoring a batch validates once).
    """
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; use one of {members_text(ROUTES)}")
    if validate:
        _refuse_invalid(definition)
    return _score(_plan(definition, route, memoised=False), int(definition["passMark"]), facts, route,
                  pass_mark_basis=_basis(definition, "passMarkBasis"))


# --------------------------------------------------------------------------
# The loop, shared by evaluate and the Evaluator
# --------------------------------------------------------------------------

# One step of a plan: a gate or criterion that applies to the route, its
# source, the source of its ``unless`` condition (None without one), and its
# memo (None when not memoised).
Step = tuple[Mapping[str, Any], str, str | None, dict[Any, Any] | None]
Plan = tuple[list[Step], list[Step]]  # (gates, criteria)


def _plan(definition: Mapping[str, Any], route: str, *, memoised: bool) -> Plan:
    def steps(entries: list[Mapping[str, Any]]) -> list[Step]:
        return [(e, e["source"], e["unless"]["source"] if "unless" in e else None, {} if memoised else None)
                for e in entries if applies(e, route)]

    return steps(definition["gates"]), steps(definition["criteria"])


def _memo_key(value: object) -> tuple[type, object]:
    """What a gate's or criterion's result depends on in a fact value besides
    the route: the value's type and the value, a Decimal by its text (so ``1.0``
    and ``1.00`` — equal, but shown differently — stay apart)."""
    kind = type(value)
    return (kind, str(value) if kind is Decimal else value)


def _score(plan: Plan, pass_mark: int, facts: Mapping[str, object], route: str,
           memo_limit: int = 0, pass_mark_basis: Basis | None = None) -> ScoreResult:
    """The score: every gate and criterion of ``plan`` in order, summed against
    the pass mark.

    A memoised step (the :class:`Evaluator`'s) keeps its result with its JSON
    text by the memo key of its fact and, with ``unless``, the pair of both
    facts' keys: a result depends only on those and the route. An unhashable
    value is evaluated without the memo (the engine says why it is wrong). Past
    ``memo_limit`` entries a memo starts afresh."""
    gates: list[GateResult] = []
    items: list[CriterionResult] = []
    gate_texts: list[tuple[str, str | None, str]] = []
    item_texts: list[tuple[str, str | None, str]] = []
    gate_plan, criterion_plan = plan
    evaluate_one: Callable[[Mapping[str, Any], Mapping[str, object], str], Any]
    for evaluate_one, steps, results, texts in ((_evaluate_gate, gate_plan, gates, gate_texts),
                                                (_evaluate_criterion, criterion_plan, items, item_texts)):
        for entry, source, unless_source, memo in steps:
            if memo is None:
                results.append(evaluate_one(entry, facts, route))
                continue
            value = facts.get(source)
            kind = type(value)
            key: Any = (kind, str(value) if kind is Decimal else value)  # _memo_key, inline on the hot path
            if unless_source is not None:
                key = (key, _memo_key(facts.get(unless_source)))
            try:
                hit = memo.get(key)
            except TypeError:
                key = hit = None
            if hit is None:
                result = evaluate_one(entry, facts, route)
                hit = (result, line_texts(result))
                if key is not None:
                    if len(memo) >= memo_limit:
                        memo.clear()
                    memo[key] = hit
            results.append(hit[0])
            texts.append(hit[1])
    total = most = 0
    for item in items:
        total += item.points
        most += item.max_points
    passed = all(gate.passed for gate in gates) and total >= pass_mark
    result = ScoreResult(total=total, max_total=most, pass_mark=pass_mark, passed=passed,
                         gates=tuple(gates), breakdown=tuple(items), pass_mark_basis=pass_mark_basis)
    if memo_limit:  # memoised: what ScoreResult.stored_texts gives, from the memoised pieces
        explained = [f'"{lines}": {{{", ".join(entries)}}}' for lines, entries in (
            ("gates", [e for _, e, _ in gate_texts if e is not None]),
            ("breakdown", [e for _, e, _ in item_texts if e is not None])) if entries]
        if pass_mark_basis is not None:
            explained.append(f'"passMarkBasis": {json.dumps(pass_mark_basis.to_json())}')
        result.__dict__["stored_texts"] = StoredTexts(
            f'{{"total": {total}, "maxTotal": {most}, "passMark": {pass_mark}, '
            f'"passed": {"true" if passed else "false"}, "gates": [{", ".join(r for r, _, _ in gate_texts)}], '
            f'"breakdown": [{", ".join(r for r, _, _ in item_texts)}]}}',
            f'{{{", ".join(explained)}}}' if explained else None,
            f'[{",".join(r for _, _, r in gate_texts)}]', f'[{",".join(r for _, _, r in item_texts)}]')
    return result


class Evaluator:
    """:func:`evaluate` for one definition, for scoring many applications.

    Each gate's and criterion's result (with its JSON text) is memoised per
    route by the values of the facts it depends on (see :func:`_score`); results
    are frozen, so scores share them. ``evaluate`` gives exactly what
    :func:`evaluate` gives (the same result, or the same ``ValueError``), with
    :attr:`ScoreResult.stored_texts` already filled in.

    The definition is copied and validated once (``validate=False`` when the
    caller has just validated it)."""

    MEMO_LIMIT = 50_000
    """Entries kept per gate or criterion and route; past it that memo starts afresh."""

    def __init__(self, definition: Mapping[str, Any], *, validate: bool = True) -> None:
        if validate:
            _refuse_invalid(definition)
        self.definition: dict[str, Any] = copy.deepcopy(dict(definition))
        self.pass_mark = int(self.definition["passMark"])
        self.pass_mark_basis = _basis(self.definition, "passMarkBasis")
        self._plans: dict[str, Plan] = {route: _plan(self.definition, route, memoised=True) for route in ROUTES}

    def evaluate(self, facts: Mapping[str, object], route: str) -> ScoreResult:
        """``evaluate(definition, facts, route)``."""
        plan = self._plans.get(route) if type(route) is str else None
        if plan is None:  # an unknown route, or a route given as an enum member: the engine itself
            return evaluate(self.definition, facts, route, validate=False)
        return _score(plan, self.pass_mark, facts, route, self.MEMO_LIMIT, self.pass_mark_basis)
