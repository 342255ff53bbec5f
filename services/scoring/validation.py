"""Whether a scoring model definition is valid (SPEC §3): every problem with
its JSON path, in document order; and whether its pass mark can be reached.

A definition is JSON: ``passMark``, ``gates`` (each a comparison on one fact:
min and/or max, equals, or in) and ``criteria`` (points per value, or bands
of a number fact), each entry with a ``code``, its ``source`` fact, optional
``routes`` and an optional ``unless`` condition. Numbers in it are integers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from core.text import t
from services.scoring.catalogue import (
    CATEGORIES, FACT_SOURCES, ORDINALS, ROUTES,
    fact_text, is_int, members_text, ordered,
)
from services.scoring.results import DefinitionError

_TOP_KEYS: tuple[str, ...] = ("passMark", "gates", "criteria", "passMarkBasis")
_GATE_KEYS: tuple[str, ...] = ("code", "source", "min", "max", "equals", "in", "routes", "unless", "basis")
_CRITERION_KEYS: tuple[str, ...] = ("code", "source", "points", "bands", "routes", "unless", "basis")
# ``basis``: the legal source of a gate or criterion (SPEC §17), in each of these languages.
BASIS_LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
BASIS_MAX_LENGTH = 500
_UNLESS_KEYS: tuple[str, ...] = ("source", "min", "max", "equals", "in")
_BAND_KEYS: tuple[str, ...] = ("min", "max", "points")
_COMPARISONS: tuple[str, ...] = ("min", "max", "equals", "in")

# Number text accepted as a points-map key for number sources.
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")

Path = tuple[str, ...]


def _describe(value: object) -> str:
    """What a JSON value is, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return t("a boolean")
    if isinstance(value, int):
        return t("an integer")
    if isinstance(value, float):
        return t("a floating-point number ({value})", value=repr(value))
    if isinstance(value, Decimal):
        return t("a decimal ({value})", value=format(value, "f"))
    if isinstance(value, str):
        return t("the text {value}", value=repr(value))
    if isinstance(value, Mapping):
        return t("an object")
    if isinstance(value, (list, tuple)):
        return t("a list")
    return t("a {type}", type=type(value).__name__)


def _bands_only_for_numbers(kind: str, source: str) -> str:
    if kind == "boolean":
        return t("bands are only for number facts; {source} is a boolean fact, use points", source=source)
    if kind == "ordinal":
        return t("bands are only for number facts; {source} is an ordinal fact, use points", source=source)
    return t("bands are only for number facts; {source} is a category fact, use points", source=source)


class _Errors:
    def __init__(self) -> None:
        self.items: list[DefinitionError] = []

    def add(self, path: Path, message: str) -> None:
        self.items.append(DefinitionError(path, message))


def _int_problem(value: object) -> str | None:
    """Why ``value`` is not a JSON integer, or None when it is one."""
    if is_int(value):
        return None
    return t("must be an integer, not {value}", value=_describe(value))


def _check_non_negative_int(value: object, path: Path, errors: _Errors) -> bool:
    problem = _int_problem(value)
    if problem is not None:
        errors.add(path, problem)
        return False
    assert isinstance(value, int)
    if value < 0:
        errors.add(path, t("must not be negative, got {value}", value=value))
        return False
    return True


def _check_unknown_keys(
    entry: Mapping[Any, Any], allowed: Sequence[str], path: Path, errors: _Errors
) -> None:
    for key in entry:
        if key not in allowed:
            errors.add(
                path + (str(key),),
                t("unknown key {key}; allowed: {allowed}", key=repr(str(key)), allowed=", ".join(allowed)),
            )


def _check_code(
    entry: Mapping[str, Any],
    path: Path,
    seen: dict[str, str],
    what: str,
    errors: _Errors,
) -> None:
    if "code" not in entry:
        errors.add(path + ("code",), t("is required"))
        return
    code = entry["code"]
    if not isinstance(code, str):
        errors.add(path + ("code",), t("must be text, not {value}", value=_describe(code)))
        return
    if not code.strip():
        errors.add(path + ("code",), t("must not be blank"))
        return
    if code in seen:
        errors.add(path + ("code",), t("{code} is already the code of gate {index}", code=repr(code), index=seen[code])
                   if what == "gate" else
                   t("{code} is already the code of criterion {index}", code=repr(code), index=seen[code]))
        return
    seen[code] = path[-1]


def _check_source(entry: Mapping[str, Any], path: Path, errors: _Errors) -> str | None:
    """The source of a gate or criterion when it is a known fact, else None."""
    if "source" not in entry:
        errors.add(path + ("source",), t("is required"))
        return None
    source = entry["source"]
    if not isinstance(source, str) or source not in FACT_SOURCES:
        shown = repr(source) if isinstance(source, str) else _describe(source)
        errors.add(
            path + ("source",),
            t("{value} is not a fact a model can use; known facts: {known}", value=shown,
              known=", ".join(FACT_SOURCES)),
        )
        return None
    return source


def _check_routes(entry: Mapping[str, Any], path: Path, errors: _Errors) -> None:
    if "routes" not in entry:
        return
    routes = entry["routes"]
    route_path = path + ("routes",)
    if not isinstance(routes, list):
        errors.add(route_path, t("must be a list of routes, not {value}", value=_describe(routes)))
        return
    if not routes:
        errors.add(route_path, t("must not be empty; list one or more of {routes}", routes=members_text(ROUTES)))
        return
    seen: set[str] = set()
    for index, route in enumerate(routes):
        item_path = route_path + (str(index),)
        if not isinstance(route, str) or route not in ROUTES:
            shown = repr(route) if isinstance(route, str) else _describe(route)
            errors.add(item_path, t("{value} is not a route; use one of {routes}", value=shown, routes=members_text(ROUTES)))
        elif route in seen:
            errors.add(item_path, t("{route} is listed twice", route=route))
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
                t("must be one of {allowed}, not {value}", allowed=members_text(members), value=_describe(value)),
            )
            return False
        return True
    if kind == "boolean":
        if not isinstance(value, bool):
            errors.add(path, t("must be true or false, not {value}", value=_describe(value)))
            return False
        return True
    problem = _int_problem(value)
    if problem is not None:
        errors.add(path, problem)
        return False
    return True


def _validate_entry(
    entry: object,
    path: Path,
    seen: dict[str, str],
    what: str,
    allowed: Sequence[str],
    validate_rule: Callable[[Mapping[str, Any], str | None, Path, _Errors], None],
    errors: _Errors,
) -> None:
    """A gate or criterion: an object of ``allowed`` keys with a code unique in
    its list, a known source, optional routes, its rule (a gate's comparison, a
    criterion's points or bands) and an optional ``unless``."""
    if not isinstance(entry, Mapping):
        errors.add(path, t("a gate must be an object, not {value}", value=_describe(entry)) if what == "gate" else
                   t("a criterion must be an object, not {value}", value=_describe(entry)))
        return
    _check_unknown_keys(entry, allowed, path, errors)
    _check_code(entry, path, seen, what, errors)
    source = _check_source(entry, path, errors)
    _check_routes(entry, path, errors)
    validate_rule(entry, source, path, errors)
    _validate_unless(entry, path, errors)
    _validate_basis(entry, path, errors)


def _validate_basis(entry: Mapping[str, Any], path: Path, errors: _Errors, key: str = "basis") -> None:
    """``basis`` (of a gate or criterion; ``passMarkBasis`` of the pass mark): ``{kk, ru,
    en}``, the legal source in each language, as non-blank text."""
    if key not in entry:
        return
    basis = entry[key]
    basis_path = path + (key,)
    if not isinstance(basis, Mapping):
        errors.add(basis_path, t("must be an object with the legal source in kk, ru and en, not {what}",
                                 what=_describe(basis)))
        return
    _check_unknown_keys(basis, BASIS_LANGUAGES, basis_path, errors)
    for language in BASIS_LANGUAGES:
        text = basis.get(language)
        if language not in basis:
            errors.add(basis_path + (language,), t("is required"))
        elif not isinstance(text, str):
            errors.add(basis_path + (language,), t("must be text, not {what}", what=_describe(text)))
        elif not text.strip():
            errors.add(basis_path + (language,), t("must not be blank"))
        elif len(text) > BASIS_MAX_LENGTH:
            errors.add(basis_path + (language,), t("must be at most {limit} characters, not {length}",
                                                   limit=BASIS_MAX_LENGTH, length=len(text)))


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
            t("must be an object with a source and one comparison (min, max, equals or in), not {value}",
              value=_describe(condition)),
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
        errors.add(path, t("needs a comparison: min, max (or both), equals or in"))
    elif len(present) > 1 and ("equals" in present or "in" in present):
        errors.add(
            path,
            t("{keys} cannot be combined; use min and/or max, or equals alone, or in alone",
              keys=" and ".join(present)),
        )

    if "in" in entry:
        options = entry["in"]
        if not isinstance(options, list):
            errors.add(path + ("in",), t("must be a list of values, not {value}", value=_describe(options)))
        elif not options:
            errors.add(path + ("in",), t("must list at least one value"))
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
                t("{key} is not allowed for {source}, a boolean fact; use equals or in", key=key, source=source)
                if kind == "boolean" else
                t("{key} is not allowed for {source}, a category fact; use equals or in", key=key, source=source),
            )
            bounds_ok[key] = False
        else:
            bounds_ok[key] = _check_value(source, entry[key], path + (key,), errors)
    if bounds_ok.get("min") and bounds_ok.get("max"):
        if ordered(source, entry["min"]) > ordered(source, entry["max"]):
            errors.add(
                path + ("min",),
                t("min {min} is above max {max}", min=fact_text(entry["min"]), max=fact_text(entry["max"])),
            )


def _check_points_key(source: str, key: object, path: Path, errors: _Errors) -> Decimal | None:
    """Check a points-map key; returns its number for number sources."""
    kind = FACT_SOURCES[source]
    if not isinstance(key, str):
        errors.add(path, t("a points key must be text, not {value}", value=_describe(key)))
        return None
    if kind == "boolean":
        if key not in ("true", "false"):
            errors.add(path, t('{key} is not a value of {source}; use "true" or "false"', key=repr(key), source=source))
        return None
    if kind in ("ordinal", "category"):
        members = ORDINALS[source] if kind == "ordinal" else CATEGORIES[source]
        if key not in members:
            errors.add(
                path,
                t("{key} is not a value of {source}; use one of {allowed}", key=repr(key), source=source,
                  allowed=members_text(members)),
            )
        return None
    if not _NUMBER_TEXT.fullmatch(key):
        errors.add(path, t("{key} is not a number; {source} is a number fact", key=repr(key), source=source))
        return None
    return Decimal(key)


def _validate_points(
    source: str | None, points: object, path: Path, errors: _Errors
) -> None:
    if not isinstance(points, Mapping):
        errors.add(
            path,
            t("must be an object mapping a value to points, not {value}", value=_describe(points)),
        )
        return
    numbers: dict[Decimal, str] = {}
    for key, value in points.items():
        key_path = path + (str(key),)
        if source is not None:
            number = _check_points_key(source, key, key_path, errors)
            if number is not None:
                if number in numbers:
                    errors.add(key_path, t("{key} is the same number as {other}", key=repr(key), other=repr(numbers[number])))
                else:
                    numbers[number] = str(key)
        _check_non_negative_int(value, key_path, errors)


def _validate_bands(bands: object, path: Path, errors: _Errors) -> None:
    if not isinstance(bands, list):
        errors.add(path, t("must be a list of bands, not {value}", value=_describe(bands)))
        return
    if not bands:
        errors.add(path, t("must list at least one band"))
        return
    for index, band in enumerate(bands):
        band_path = path + (str(index),)
        if not isinstance(band, Mapping):
            errors.add(band_path, t("a band must be an object, not {value}", value=_describe(band)))
            continue
        _check_unknown_keys(band, _BAND_KEYS, band_path, errors)
        bounds: dict[str, int] = {}
        for key in ("min", "max"):
            bound = band.get(key)
            if bound is None:
                continue
            problem = _int_problem(bound)
            if problem is not None:
                errors.add(band_path + (key,), t("{problem} (or null for open)", problem=problem))
            else:
                assert isinstance(bound, int)
                bounds[key] = bound
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            errors.add(
                band_path + ("min",),
                t("min {min} is above max {max}", min=bounds["min"], max=bounds["max"]),
            )
        if "points" not in band:
            errors.add(band_path + ("points",), t("is required"))
        else:
            _check_non_negative_int(band["points"], band_path + ("points",), errors)


def _validate_scoring(
    criterion: Mapping[str, Any], source: str | None, path: Path, errors: _Errors
) -> None:
    """How a criterion gives points: a points map or bands, not both."""
    has_points = "points" in criterion
    has_bands = "bands" in criterion
    if has_points and has_bands:
        errors.add(path, t("has both points and bands; use one of them"))
    elif not has_points and not has_bands:
        errors.add(path, t("needs points (a map from value to points) or bands"))

    if has_points:
        _validate_points(source, criterion["points"], path + ("points",), errors)
    if has_bands:
        kind = FACT_SOURCES[source] if source is not None else None
        if kind is not None and kind != "number":
            errors.add(
                path + ("bands",),
                _bands_only_for_numbers(kind, source),
            )
        else:
            _validate_bands(criterion["bands"], path + ("bands",), errors)


def validate_definition(definition: object) -> list[DefinitionError]:
    """Every problem in a model definition, in document order; ``[]`` when it
    is valid. Never raises."""
    errors = _Errors()
    root: Path = ("definition",)
    if not isinstance(definition, Mapping):
        errors.add(
            root,
            t("must be an object with passMark, gates and criteria, not {value}", value=_describe(definition)),
        )
        return errors.items

    _check_unknown_keys(definition, _TOP_KEYS, root, errors)

    if "passMark" not in definition:
        errors.add(root + ("passMark",), t("is required"))
    else:
        _check_non_negative_int(definition["passMark"], root + ("passMark",), errors)
    _validate_basis(definition, root, errors, "passMarkBasis")

    for key, what, allowed, validate_rule in (
        ("gates", "gate", _GATE_KEYS, _validate_comparison),
        ("criteria", "criterion", _CRITERION_KEYS, _validate_scoring),
    ):
        list_path = root + (key,)
        if key not in definition:
            errors.add(list_path, t("is required (use [] for none)"))
            continue
        entries = definition[key]
        if not isinstance(entries, list):
            errors.add(list_path, t("must be a list of gate objects, not {value}", value=_describe(entries)) if what == "gate"
                       else t("must be a list of criterion objects, not {value}", value=_describe(entries)))
            continue
        seen: dict[str, str] = {}
        for index, entry in enumerate(entries):
            _validate_entry(entry, list_path + (str(index),), seen, what, allowed, validate_rule, errors)

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
        return DefinitionError(path, t("passMark {pass_mark} is above maxTotal {most}, the most any application can "
                                       "score; no one could pass", pass_mark=pass_mark, most=short[0][1]))
    listed = ", ".join(f"{route} {most}" for route, most in short)
    return DefinitionError(path, t("passMark {pass_mark} is above maxTotal on some routes ({listed}); no application "
                                   "on them could pass", pass_mark=pass_mark, listed=listed))


def applies(entry: Mapping[str, Any], route: str | None) -> bool:
    """Whether a gate or criterion applies to ``route`` (all do when ``route`` is None)."""
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
        if applies(criterion, route)
    )
