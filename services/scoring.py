"""The scoring engine (SPEC §3): facts + a model definition -> a score.

Pure: no database, no clock, no I/O. The caller gathers the facts (the
scoring date is already folded into them, e.g. ``applicant.age``) and hands
over the definition of the model that applies.

A definition is JSON (``passMark``, ``gates``, ``criteria``); numbers in it
are integers. Facts are Python values: ordinals and categories as member
names (``"B1"``, ``"PASSED"``), numbers as ``int`` or ``Decimal`` (never
``float``), booleans as ``bool``. A fact that is missing or ``None`` fails
any gate on it and gives 0 points to any criterion on it.

A gate or criterion may carry ``unless: {source, <one comparison>}`` (the
comparison as a gate has one). When that condition holds (its fact present and
the comparison true) the applicant is exempt: the gate passes, the criterion
gives 0 points, and the reason says why (``exempt: applicant is an ethnic
Kazakh``). A missing fact never exempts.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = [
    "CATEGORIES",
    "FACT_LABELS",
    "FACT_SOURCES",
    "ORDINALS",
    "ROUTES",
    "CriterionResult",
    "DefinitionError",
    "Evaluator",
    "GateResult",
    "ScoreResult",
    "criterion_max_points",
    "evaluate",
    "fact_text",
    "max_total",
    "pass_mark_problem",
    "validate_definition",
]

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
    "language.level": "language level",
    "language.minBlockPercent": "lowest language block percent",
    "applicant.age": "applicant age",
    "applicant.ethnicKazakh": "ethnic Kazakh",
    "questionnaire.educationLevel": "education level",
    "questionnaire.workExperienceYears": "years of work experience",
    "questionnaire.familySize": "family size",
    "questionnaire.russian": "Russian level",
    "questionnaire.english": "English level",
    "questionnaire.relativesInKazakhstan": "relatives in Kazakhstan",
    "questionnaire.priorStayInKazakhstan": "prior stay in Kazakhstan",
    "questionnaire.criminalRecord": "criminal record",
    "questionnaire.deportedBefore": "deported before",
    "questionnaire.savingsMrp": "savings in MRP",
    "questionnaire.occupationInDeficit": "occupation in deficit",
    "region.labourDeficit": "labour-deficit region",
    "route": "route",
    "checks.mandatoryCleared": "mandatory checks cleared",
    "checks.anyFlagged": "any check flagged",
    "interview.outcome": "interview outcome",
    "interview.points": "interview points",
}

_TOP_KEYS: tuple[str, ...] = ("passMark", "gates", "criteria")
_GATE_KEYS: tuple[str, ...] = ("code", "source", "min", "max", "equals", "in", "routes", "unless")
_CRITERION_KEYS: tuple[str, ...] = ("code", "source", "points", "bands", "routes", "unless")
_UNLESS_KEYS: tuple[str, ...] = ("source", "min", "max", "equals", "in")
_BAND_KEYS: tuple[str, ...] = ("min", "max", "points")
_COMPARISONS: tuple[str, ...] = ("min", "max", "equals", "in")

# Number text accepted as a points-map key for number sources.
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")

Path = tuple[str, ...]


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionError:
    """One problem in a definition: the JSON path (starting at "definition",
    list indices as text) and a one-line message."""

    path: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class GateResult:
    code: str
    passed: bool
    value: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "passed": self.passed, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class CriterionResult:
    code: str
    points: int
    max_points: int
    value: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "points": self.points, "maxPoints": self.max_points, "value": self.value,
                "reason": self.reason}


@dataclass(frozen=True)
class ScoreResult:
    total: int
    max_total: int
    pass_mark: int
    passed: bool
    gates: tuple[GateResult, ...]
    breakdown: tuple[CriterionResult, ...]

    @cached_property
    def json_text(self) -> str:
        """``json.dumps(self.to_json())``: the score as stored (computed once;
        :class:`Evaluator` fills it in from its memoised pieces)."""
        return json.dumps(self.to_json())

    def to_json(self) -> dict[str, Any]:
        """The score as JSON (camelCase keys), as stored and served."""
        return {
            "total": self.total,
            "maxTotal": self.max_total,
            "passMark": self.pass_mark,
            "passed": self.passed,
            "gates": [gate.to_json() for gate in self.gates],
            "breakdown": [item.to_json() for item in self.breakdown],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoreResult:
        """The inverse of :meth:`to_json` (for reading a stored score)."""
        return cls(
            total=int(data["total"]),
            max_total=int(data["maxTotal"]),
            pass_mark=int(data["passMark"]),
            passed=bool(data["passed"]),
            gates=tuple(
                GateResult(
                    code=str(gate["code"]),
                    passed=bool(gate["passed"]),
                    value=gate.get("value"),
                    reason=str(gate["reason"]),
                )
                for gate in data.get("gates", ())
            ),
            breakdown=tuple(
                CriterionResult(
                    code=str(item["code"]),
                    points=int(item["points"]),
                    max_points=int(item["maxPoints"]),
                    value=item.get("value"),
                    reason=str(item["reason"]),
                )
                for item in data.get("breakdown", ())
            ),
        )


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------


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


def _describe(value: object) -> str:
    """What a JSON value is, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return f"a floating-point number ({value!r})"
    if isinstance(value, Decimal):
        return f"a decimal ({format(value, 'f')})"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _members_text(members: Sequence[str]) -> str:
    return ", ".join(members)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[DefinitionError] = []

    def add(self, path: Path, message: str) -> None:
        self.items.append(DefinitionError(path, message))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_problem(value: object) -> str | None:
    """Why ``value`` is not a JSON integer, or None when it is one."""
    if _is_int(value):
        return None
    return f"must be an integer, not {_describe(value)}"


def _check_non_negative_int(value: object, path: Path, errors: _Errors) -> bool:
    problem = _int_problem(value)
    if problem is not None:
        errors.add(path, problem)
        return False
    assert isinstance(value, int)
    if value < 0:
        errors.add(path, f"must not be negative, got {value}")
        return False
    return True


def _check_unknown_keys(
    entry: Mapping[Any, Any], allowed: Sequence[str], path: Path, errors: _Errors
) -> None:
    for key in entry:
        if key not in allowed:
            errors.add(
                path + (str(key),),
                f"unknown key {str(key)!r}; allowed: {', '.join(allowed)}",
            )


def _check_code(
    entry: Mapping[str, Any],
    path: Path,
    seen: dict[str, str],
    what: str,
    errors: _Errors,
) -> None:
    if "code" not in entry:
        errors.add(path + ("code",), "is required")
        return
    code = entry["code"]
    if not isinstance(code, str):
        errors.add(path + ("code",), f"must be text, not {_describe(code)}")
        return
    if not code.strip():
        errors.add(path + ("code",), "must not be blank")
        return
    if code in seen:
        errors.add(path + ("code",), f"{code!r} is already the code of {what} {seen[code]}")
        return
    seen[code] = path[-1]


def _check_source(entry: Mapping[str, Any], path: Path, errors: _Errors) -> str | None:
    """The source of a gate or criterion when it is a known fact, else None."""
    if "source" not in entry:
        errors.add(path + ("source",), "is required")
        return None
    source = entry["source"]
    if not isinstance(source, str) or source not in FACT_SOURCES:
        shown = repr(source) if isinstance(source, str) else _describe(source)
        errors.add(
            path + ("source",),
            f"{shown} is not a fact a model can use; known facts: "
            f"{', '.join(FACT_SOURCES)}",
        )
        return None
    return source


def _check_routes(entry: Mapping[str, Any], path: Path, errors: _Errors) -> None:
    if "routes" not in entry:
        return
    routes = entry["routes"]
    route_path = path + ("routes",)
    if not isinstance(routes, list):
        errors.add(route_path, f"must be a list of routes, not {_describe(routes)}")
        return
    if not routes:
        errors.add(route_path, f"must not be empty; list one or more of {_members_text(ROUTES)}")
        return
    seen: set[str] = set()
    for index, route in enumerate(routes):
        item_path = route_path + (str(index),)
        if not isinstance(route, str) or route not in ROUTES:
            shown = repr(route) if isinstance(route, str) else _describe(route)
            errors.add(item_path, f"{shown} is not a route; use one of {_members_text(ROUTES)}")
        elif route in seen:
            errors.add(item_path, f"{route} is listed twice")
        else:
            seen.add(route)


def _check_value(source: str, value: object, path: Path, errors: _Errors) -> bool:
    """Check that ``value`` is a valid value of the fact ``source``."""
    kind = FACT_SOURCES[source]
    if kind in ("ordinal", "category"):
        members = ORDINALS[source] if kind == "ordinal" else CATEGORIES[source]
        if not isinstance(value, str) or value not in members:
            errors.add(
                path,
                f"must be one of {_members_text(members)}, not {_describe(value)}",
            )
            return False
        return True
    if kind == "boolean":
        if not isinstance(value, bool):
            errors.add(path, f"must be true or false, not {_describe(value)}")
            return False
        return True
    problem = _int_problem(value)
    if problem is not None:
        errors.add(path, problem)
        return False
    return True


def _ordered(source: str, value: Any) -> Any:
    """A comparable key for a value of ``source`` (the position for ordinals)."""
    if FACT_SOURCES[source] == "ordinal":
        return ORDINALS[source].index(value)
    return value


def _validate_gate(
    gate: object, path: Path, seen: dict[str, str], errors: _Errors
) -> None:
    if not isinstance(gate, Mapping):
        errors.add(path, f"a gate must be an object, not {_describe(gate)}")
        return
    _check_unknown_keys(gate, _GATE_KEYS, path, errors)
    _check_code(gate, path, seen, "gate", errors)
    source = _check_source(gate, path, errors)
    _check_routes(gate, path, errors)
    _validate_comparison(gate, source, path, errors)
    _validate_unless(gate, path, errors)


def _validate_unless(entry: Mapping[str, Any], path: Path, errors: _Errors) -> None:
    """``unless``: ``{source, <one comparison>}`` (a comparison as a gate has
    one: min and/or max, equals, or in), with neither a code nor routes."""
    if "unless" not in entry:
        return
    condition = entry["unless"]
    unless_path = path + ("unless",)
    if not isinstance(condition, Mapping):
        errors.add(
            unless_path,
            f"must be an object with a source and one comparison (min, max, equals or in), "
            f"not {_describe(condition)}",
        )
        return
    _check_unknown_keys(condition, _UNLESS_KEYS, unless_path, errors)
    source = _check_source(condition, unless_path, errors)
    _validate_comparison(condition, source, unless_path, errors)


def _validate_comparison(
    entry: Mapping[str, Any], source: str | None, path: Path, errors: _Errors
) -> None:
    """The comparison of a gate or of an ``unless`` condition."""
    present = [key for key in _COMPARISONS if key in entry]
    if not present:
        errors.add(path, "needs a comparison: min, max (or both), equals or in")
    elif len(present) > 1 and ("equals" in present or "in" in present):
        errors.add(
            path,
            f"{' and '.join(present)} cannot be combined; use min and/or max, "
            "or equals alone, or in alone",
        )

    if "in" in entry:
        options = entry["in"]
        if not isinstance(options, list):
            errors.add(path + ("in",), f"must be a list of values, not {_describe(options)}")
        elif not options:
            errors.add(path + ("in",), "must list at least one value")
        elif source is not None:
            for index, option in enumerate(options):
                _check_value(source, option, path + ("in", str(index)), errors)

    if source is None:
        return
    kind = FACT_SOURCES[source]

    if "equals" in entry:
        _check_value(source, entry["equals"], path + ("equals",), errors)

    bounds_ok: dict[str, bool] = {}
    for key in ("min", "max"):
        if key not in entry:
            continue
        if kind in ("boolean", "category"):
            errors.add(
                path + (key,),
                f"{key} is not allowed for {source}, {_a(kind)} fact; use equals or in",
            )
            bounds_ok[key] = False
        else:
            bounds_ok[key] = _check_value(source, entry[key], path + (key,), errors)
    if bounds_ok.get("min") and bounds_ok.get("max"):
        if _ordered(source, entry["min"]) > _ordered(source, entry["max"]):
            errors.add(
                path + ("min",),
                f"min {fact_text(entry['min'])} is above max {fact_text(entry['max'])}",
            )


def _check_points_key(source: str, key: object, path: Path, errors: _Errors) -> Decimal | None:
    """Check a points-map key; returns its number for number sources."""
    kind = FACT_SOURCES[source]
    if not isinstance(key, str):
        errors.add(path, f"a points key must be text, not {_describe(key)}")
        return None
    if kind == "boolean":
        if key not in ("true", "false"):
            errors.add(path, f'{key!r} is not a value of {source}; use "true" or "false"')
        return None
    if kind in ("ordinal", "category"):
        members = ORDINALS[source] if kind == "ordinal" else CATEGORIES[source]
        if key not in members:
            errors.add(
                path,
                f"{key!r} is not a value of {source}; use one of {_members_text(members)}",
            )
        return None
    if not _NUMBER_TEXT.fullmatch(key):
        errors.add(path, f"{key!r} is not a number; {source} is a number fact")
        return None
    return Decimal(key)


def _validate_points(
    source: str | None, points: object, path: Path, errors: _Errors
) -> None:
    if not isinstance(points, Mapping):
        errors.add(
            path,
            f"must be an object mapping a value to points, not {_describe(points)}",
        )
        return
    numbers: dict[Decimal, str] = {}
    for key, value in points.items():
        key_path = path + (str(key),)
        if source is not None:
            number = _check_points_key(source, key, key_path, errors)
            if number is not None:
                if number in numbers:
                    errors.add(key_path, f"{key!r} is the same number as {numbers[number]!r}")
                else:
                    numbers[number] = str(key)
        _check_non_negative_int(value, key_path, errors)


def _validate_bands(bands: object, path: Path, errors: _Errors) -> None:
    if not isinstance(bands, list):
        errors.add(path, f"must be a list of bands, not {_describe(bands)}")
        return
    if not bands:
        errors.add(path, "must list at least one band")
        return
    for index, band in enumerate(bands):
        band_path = path + (str(index),)
        if not isinstance(band, Mapping):
            errors.add(band_path, f"a band must be an object, not {_describe(band)}")
            continue
        _check_unknown_keys(band, _BAND_KEYS, band_path, errors)
        bounds: dict[str, int] = {}
        for key in ("min", "max"):
            bound = band.get(key)
            if bound is None:
                continue
            problem = _int_problem(bound)
            if problem is not None:
                errors.add(band_path + (key,), f"{problem} (or null for open)")
            else:
                assert isinstance(bound, int)
                bounds[key] = bound
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            errors.add(
                band_path + ("min",),
                f"min {bounds['min']} is above max {bounds['max']}",
            )
        if "points" not in band:
            errors.add(band_path + ("points",), "is required")
        else:
            _check_non_negative_int(band["points"], band_path + ("points",), errors)


def _validate_criterion(
    criterion: object, path: Path, seen: dict[str, str], errors: _Errors
) -> None:
    if not isinstance(criterion, Mapping):
        errors.add(path, f"a criterion must be an object, not {_describe(criterion)}")
        return
    _check_unknown_keys(criterion, _CRITERION_KEYS, path, errors)
    _check_code(criterion, path, seen, "criterion", errors)
    source = _check_source(criterion, path, errors)
    _check_routes(criterion, path, errors)

    has_points = "points" in criterion
    has_bands = "bands" in criterion
    if has_points and has_bands:
        errors.add(path, "has both points and bands; use one of them")
    elif not has_points and not has_bands:
        errors.add(path, "needs points (a map from value to points) or bands")

    if has_points:
        _validate_points(source, criterion["points"], path + ("points",), errors)
    if has_bands:
        kind = FACT_SOURCES[source] if source is not None else None
        if kind is not None and kind != "number":
            errors.add(
                path + ("bands",),
                f"bands are only for number facts; {source} is {_a(kind)} fact, use points",
            )
        else:
            _validate_bands(criterion["bands"], path + ("bands",), errors)
    _validate_unless(criterion, path, errors)


def validate_definition(definition: object) -> list[DefinitionError]:
    """Every problem in a model definition, in document order; ``[]`` when it
    is valid. Never raises."""
    errors = _Errors()
    root: Path = ("definition",)
    if not isinstance(definition, Mapping):
        errors.add(
            root,
            f"must be an object with passMark, gates and criteria, not {_describe(definition)}",
        )
        return errors.items

    _check_unknown_keys(definition, _TOP_KEYS, root, errors)

    if "passMark" not in definition:
        errors.add(root + ("passMark",), "is required")
    else:
        _check_non_negative_int(definition["passMark"], root + ("passMark",), errors)

    for key, validate_entry, what in (
        ("gates", _validate_gate, "gate"),
        ("criteria", _validate_criterion, "criterion"),
    ):
        list_path = root + (key,)
        if key not in definition:
            errors.add(list_path, "is required (use [] for none)")
            continue
        entries = definition[key]
        if not isinstance(entries, list):
            errors.add(list_path, f"must be a list of {what} objects, not {_describe(entries)}")
            continue
        seen: dict[str, str] = {}
        for index, entry in enumerate(entries):
            validate_entry(entry, list_path + (str(index),), seen, errors)

    return errors.items


def pass_mark_problem(definition: Mapping[str, Any]) -> DefinitionError | None:
    """Why a (valid) definition's pass mark cannot be reached on some route — it
    is above that route's ``maxTotal``, so no application on it could ever pass
    — or None. Not part of :func:`validate_definition`: such a model can still
    be evaluated (everyone fails), so scores stored under an older model stay
    readable; creating, changing and publishing a model refuse it."""
    pass_mark = int(definition["passMark"])
    short = [(route, max_total(definition, route)) for route in ROUTES]
    short = [(route, most) for route, most in short if most < pass_mark]
    if not short:
        return None
    path = ("definition", "passMark")
    if len(short) == len(ROUTES) and len({most for _, most in short}) == 1:
        return DefinitionError(path, f"passMark {pass_mark} is above maxTotal {short[0][1]}, the most any "
                                     "application can score; no one could pass")
    listed = ", ".join(f"{route} {most}" for route, most in short)
    return DefinitionError(path, f"passMark {pass_mark} is above maxTotal on some routes ({listed}); "
                                 "no application on them could pass")


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def _applies(entry: Mapping[str, Any], route: str | None) -> bool:
    routes = entry.get("routes")
    return route is None or routes is None or route in routes


def criterion_max_points(criterion: Mapping[str, Any]) -> int:
    """The most points a (valid) criterion can give; 0 when it lists none."""
    if "points" in criterion:
        values = [int(points) for points in criterion["points"].values()]
    else:
        values = [int(band["points"]) for band in criterion.get("bands", ())]
    return max(values, default=0)


def max_total(definition: Mapping[str, Any], route: str | None = None) -> int:
    """The sum of ``maxPoints`` of the criteria that apply to ``route`` (all
    criteria when ``route`` is None)."""
    return sum(
        criterion_max_points(criterion)
        for criterion in definition["criteria"]
        if _applies(criterion, route)
    )


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
        ok = _is_int(value) or (isinstance(value, Decimal) and value.is_finite())
        expected = "an int or a finite Decimal (never a float)"
    else:
        members = ORDINALS[source] if kind == "ordinal" else CATEGORIES[source]
        ok = isinstance(value, str) and value in members
        expected = f"one of {_members_text(members)}"
    if not ok:
        raise ValueError(
            f"the fact {source} must be {expected}, not {type(value).__name__} {value!r}"
        )
    return value


# How a boolean fact reads in an exemption's reason: (when true, when false).
_BOOLEAN_PHRASES: dict[str, tuple[str, str]] = {
    "applicant.ethnicKazakh": ("applicant is an ethnic Kazakh", "applicant is not an ethnic Kazakh"),
    "questionnaire.relativesInKazakhstan": (
        "applicant has relatives in Kazakhstan", "applicant has no relatives in Kazakhstan"),
    "questionnaire.priorStayInKazakhstan": (
        "applicant has stayed in Kazakhstan before", "applicant has not stayed in Kazakhstan before"),
    "questionnaire.criminalRecord": ("applicant declares a criminal record", "applicant declares no criminal record"),
    "questionnaire.deportedBefore": ("applicant was deported before", "applicant was never deported"),
    "questionnaire.occupationInDeficit": ("the occupation is in deficit", "the occupation is not in deficit"),
    "region.labourDeficit": (
        "the target region is a labour-deficit region", "the target region is not a labour-deficit region"),
    "checks.mandatoryCleared": ("every mandatory check is cleared", "not every mandatory check is cleared"),
    "checks.anyFlagged": ("a check is flagged", "no check is flagged"),
}


def _holds(condition: Mapping[str, Any], source: str, value: object) -> bool:
    """Whether the comparison of ``condition`` holds for a present ``value``."""
    if "equals" in condition:
        return value == condition["equals"]
    if "in" in condition:
        return any(value == option for option in condition["in"])
    position = _ordered(source, value)
    return ("min" not in condition or position >= _ordered(source, condition["min"])) and (
        "max" not in condition or position <= _ordered(source, condition["max"])
    )


def _condition_text(condition: Mapping[str, Any], source: str, value: object) -> str:
    """A condition that holds, in words: ``applicant is an ethnic Kazakh``."""
    phrases = _BOOLEAN_PHRASES.get(source)
    if phrases is not None:
        return phrases[0] if value else phrases[1]
    label = FACT_LABELS[source]
    text = fact_text(value)
    if "equals" in condition:
        return f"{label} is {text}"
    if "in" in condition:
        return f"{label} {text} is one of {', '.join(str(fact_text(o)) for o in condition['in'])}"
    if "min" in condition and "max" in condition:
        return f"{label} {text} is within {fact_text(condition['min'])}–{fact_text(condition['max'])}"
    if "min" in condition:
        return f"{label} {text} is at least {fact_text(condition['min'])}"
    return f"{label} {text} is at most {fact_text(condition['max'])}"


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


def _evaluate_gate(gate: Mapping[str, Any], facts: Mapping[str, object], route: str) -> GateResult:
    code: str = gate["code"]
    source: str = gate["source"]
    label = FACT_LABELS[source]
    kind = FACT_SOURCES[source]
    value = _fact(facts, source, route)
    text = fact_text(value)
    exempt = _exemption(gate, facts, route)
    if exempt is not None:
        return GateResult(code, True, text, f"exempt: {exempt}")
    if value is None:
        return GateResult(code, False, None, f"{label} is missing")

    if "equals" in gate:
        expected = gate["equals"]
        expected_text = fact_text(expected)
        if value == expected:
            return GateResult(code, True, text, f"{label} is {text} as required")
        if kind == "boolean":
            return GateResult(code, False, text, f"{label} is {text}, required {expected_text}")
        return GateResult(code, False, text, f"{label} {text} is not {expected_text}")

    if "in" in gate:
        options: list[Any] = gate["in"]
        options_text = ", ".join(str(fact_text(option)) for option in options)
        passed = any(value == option for option in options)
        if kind == "boolean":
            if passed:
                return GateResult(code, True, text, f"{label} is {text} as required")
            return GateResult(
                code, False, text, f"{label} is {text}, required one of {options_text}"
            )
        if passed:
            return GateResult(code, True, text, f"{label} {text} is one of {options_text}")
        return GateResult(code, False, text, f"{label} {text} is not one of {options_text}")

    position = _ordered(source, value)
    has_min = "min" in gate
    has_max = "max" in gate
    if has_min and position < _ordered(source, gate["min"]):
        return GateResult(
            code, False, text, f"{label} {text} is below the minimum {fact_text(gate['min'])}"
        )
    if has_max and position > _ordered(source, gate["max"]):
        return GateResult(
            code, False, text, f"{label} {text} is above the maximum {fact_text(gate['max'])}"
        )
    if has_min and has_max:
        reason = (
            f"{label} {text} is within the range "
            f"{fact_text(gate['min'])}–{fact_text(gate['max'])}"
        )
    elif has_min:
        reason = f"{label} {text} meets the minimum {fact_text(gate['min'])}"
    else:
        reason = f"{label} {text} is within the maximum {fact_text(gate['max'])}"
    return GateResult(code, True, text, reason)


def _band_text(band: Mapping[str, Any]) -> str:
    low = band.get("min")
    high = band.get("max")
    if low is None and high is None:
        return "any value"
    if high is None:
        return f"{fact_text(low)} and above"
    if low is None:
        return f"up to {fact_text(high)}"
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
    code: str = criterion["code"]
    source: str = criterion["source"]
    label = FACT_LABELS[source]
    most = criterion_max_points(criterion)
    value = _fact(facts, source, route)
    text = fact_text(value)
    exempt = _exemption(criterion, facts, route)
    if exempt is not None:
        return CriterionResult(code, 0, most, text, f"exempt: {exempt}: 0 of {most}")
    if value is None:
        return CriterionResult(code, 0, most, None, f"no value: 0 of {most}")

    if "points" in criterion:
        given = _points_for(source, value, criterion["points"])
        if given is None:
            return CriterionResult(code, 0, most, text, f"value {text} is not listed: 0 of {most}")
        return CriterionResult(code, given, most, text, f"{text} gives {given} of {most}")

    for band in criterion["bands"]:
        if _in_band(value, band):
            given = int(band["points"])
            return CriterionResult(
                code,
                given,
                most,
                text,
                f"{label} {text} is in band {_band_text(band)}: {given} of {most}",
            )
    return CriterionResult(code, 0, most, text, f"{label} {text} matches no band: 0 of {most}")


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
        raise ValueError(f"unknown route {route!r}; use one of {_members_text(ROUTES)}")
    problems = validate_definition(definition) if validate else []
    if problems:
        listed = "; ".join(f"{'.'.join(p.path)}: {p.message}" for p in problems)
        raise ValueError(f"invalid scoring model definition: {listed}")

    gates = tuple(
        _evaluate_gate(gate, facts, route) for gate in definition["gates"] if _applies(gate, route)
    )
    breakdown = tuple(
        _evaluate_criterion(criterion, facts, route)
        for criterion in definition["criteria"]
        if _applies(criterion, route)
    )
    total = sum(item.points for item in breakdown)
    most = sum(item.max_points for item in breakdown)
    pass_mark = int(definition["passMark"])
    passed = all(gate.passed for gate in gates) and total >= pass_mark
    return ScoreResult(
        total=total,
        max_total=most,
        pass_mark=pass_mark,
        passed=passed,
        gates=gates,
        breakdown=breakdown,
    )


# --------------------------------------------------------------------------
# Evaluation, memoised per definition
# --------------------------------------------------------------------------


# The memo key of a fact value (``Evaluator.evaluate`` builds it inline): what a
# gate's or criterion's result depends on besides the route, i.e. the value's
# type and the value, a Decimal by its text (so ``1.0`` and ``1.00`` — equal,
# but shown differently — stay apart). An entry with ``unless`` depends on the
# condition's fact too: its key is the pair of both keys. Looking up an
# unhashable value raises TypeError; such a value is evaluated without the memo.


def _memo_key(value: object) -> tuple[type, object]:
    kind = type(value)
    return (kind, str(value) if kind is Decimal else value)


class Evaluator:
    """:func:`evaluate` for one definition, for scoring many applications.

    Each gate and criterion depends only on the route, on its own fact and on
    the fact of its ``unless`` condition (if any), so its result (from the
    engine's own ``_evaluate_gate`` / ``_evaluate_criterion``) is memoised per
    route by those facts' types and values, together with its JSON text;
    results are frozen, so scores share them. ``evaluate`` gives exactly what
    :func:`evaluate` gives (the same result, or the same ``ValueError``), with
    :attr:`ScoreResult.json_text` already filled in.

    The definition is copied and validated once (``validate=False`` when the
    caller has just validated it)."""

    MEMO_LIMIT = 50_000
    """Entries kept per gate or criterion and route; past it that memo starts afresh."""

    def __init__(self, definition: Mapping[str, Any], *, validate: bool = True) -> None:
        problems = validate_definition(definition) if validate else []
        if problems:
            listed = "; ".join(f"{'.'.join(p.path)}: {p.message}" for p in problems)
            raise ValueError(f"invalid scoring model definition: {listed}")
        self.definition: dict[str, Any] = copy.deepcopy(dict(definition))
        self.pass_mark = int(self.definition["passMark"])
        Plan = list[tuple[Mapping[str, Any], str, str | None, dict[Any, Any]]]

        def plan(entries: list[Mapping[str, Any]], route: str) -> Plan:
            return [(e, e["source"], e["unless"]["source"] if "unless" in e else None, {})
                    for e in entries if _applies(e, route)]

        self._plans: dict[str, tuple[Plan, Plan]] = {
            route: (plan(self.definition["gates"], route), plan(self.definition["criteria"], route))
            for route in ROUTES
        }

    def _remember(self, memo: dict[Any, Any], key: Any, hit: Any) -> None:
        if key is not None:
            if len(memo) >= self.MEMO_LIMIT:
                memo.clear()
            memo[key] = hit

    def evaluate(self, facts: Mapping[str, object], route: str) -> ScoreResult:
        """``evaluate(definition, facts, route)``."""
        plan = self._plans.get(route) if type(route) is str else None
        if plan is None:  # an unknown route, or a route given as an enum member: the engine itself
            return evaluate(self.definition, facts, route, validate=False)
        gate_plan, criterion_plan = plan
        gates: list[GateResult] = []
        gate_texts: list[str] = []
        for gate, source, unless_source, memo in gate_plan:
            value = facts.get(source)
            kind = type(value)
            key: Any = (kind, str(value) if kind is Decimal else value)  # the memo key (see above)
            if unless_source is not None:
                key = (key, _memo_key(facts.get(unless_source)))
            try:
                hit = memo.get(key)
            except TypeError:  # an unhashable value: the engine says why it is wrong
                key = hit = None
            if hit is None:
                g = _evaluate_gate(gate, facts, route)
                hit = (g, json.dumps(g.to_json()))
                self._remember(memo, key, hit)
            gates.append(hit[0])
            gate_texts.append(hit[1])
        items: list[CriterionResult] = []
        item_texts: list[str] = []
        total = most = 0
        for criterion, source, unless_source, memo in criterion_plan:
            value = facts.get(source)
            kind = type(value)
            key = (kind, str(value) if kind is Decimal else value)
            if unless_source is not None:
                key = (key, _memo_key(facts.get(unless_source)))
            try:
                hit = memo.get(key)
            except TypeError:
                key = hit = None
            if hit is None:
                c = _evaluate_criterion(criterion, facts, route)
                hit = (c, json.dumps(c.to_json()))
                self._remember(memo, key, hit)
            item = hit[0]
            items.append(item)
            item_texts.append(hit[1])
            total += item.points
            most += item.max_points
        passed = total >= self.pass_mark and all(g.passed for g in gates)
        result = ScoreResult(total=total, max_total=most, pass_mark=self.pass_mark, passed=passed,
                             gates=tuple(gates), breakdown=tuple(items))
        # what json.dumps(result.to_json()) gives, from the memoised pieces
        result.__dict__["json_text"] = (
            f'{{"total": {total}, "maxTotal": {most}, "passMark": {self.pass_mark}, '
            f'"passed": {"true" if passed else "false"}, "gates": [{", ".join(gate_texts)}], '
            f'"breakdown": [{", ".join(item_texts)}]}}')
        return result
