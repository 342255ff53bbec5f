"""What the scoring engine gives: a score with its gates and breakdown (each
with its reason), and the problems of an invalid definition. Frozen, so
memoised pieces are shared between scores.

``to_json`` is the whole score. It is stored in two parts (``split``): the
score as the officers' lists read it (totals, and each line's code, value and
English reason) in ``score.result``, and what is read only to explain a line
in another language or to cite its law (each line's message id and
parameters, ``reasonText``, and legal source, ``basis``; the pass mark's
``passMarkBasis``) in ``score.explanation``, keyed by the line's code.
``stored_score`` puts them together again. Kept apart, the list's part stays
small enough for PostgreSQL to keep in the row (a few kB of legal text in
three languages would move every score out of line, and every read of a
total would fetch and decompress it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, ClassVar, NamedTuple

from core.text import Text, dump, load


EXPLAINING = ("reasonText", "basis")
"""The keys of a gate's or criterion's JSON kept in ``score.explanation``."""
LINES = ("gates", "breakdown")


def _split_line(line: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A gate's or criterion's JSON as (its part of ``score.result``, its explanation)."""
    return ({key: value for key, value in line.items() if key not in EXPLAINING},
            {key: line[key] for key in EXPLAINING if key in line})


def split(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A whole score's JSON (``ScoreResult.to_json``) as its two stored parts:
    ``(result, explanation)``, the explanation None when nothing explains it
    (a score without message ids or legal sources is stored as one part)."""
    result = {key: value for key, value in data.items() if key != "passMarkBasis"}
    explanation: dict[str, Any] = {}
    for lines in LINES:
        kept: list[dict[str, Any]] = []
        explained: dict[str, Any] = {}
        for line in data.get(lines, ()):
            part, extra = _split_line(line)
            if extra:
                explained[str(line["code"])] = extra
            kept.append(part)
        result[lines] = kept
        if explained:
            explanation[lines] = explained
    if "passMarkBasis" in data:
        explanation["passMarkBasis"] = data["passMarkBasis"]
    return result, (explanation or None)


def _text(value: Any) -> str:
    """A JSON string of ``value`` as PostgreSQL's ``to_json(value->>key)`` prints it
    (``encode_basestring`` is what ``json.dumps(text, ensure_ascii=False)`` writes,
    without building an encoder for each call)."""
    return encode_basestring(value if isinstance(value, str) else json.dumps(value))


def _value(value: Any) -> str:
    """``json.dumps(value)``, with the values most lines hold (booleans, integers) written directly."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    return json.dumps(value)


def rendered_line(lines: str, line: Mapping[str, Any]) -> str:
    """A gate's or criterion's part of ``score.result`` as the API prints it in
    English when a query asks for each of its fields in ``LINE_FIELDS`` order
    (compact JSON, keys in that order whatever order ``line`` has)."""
    fields = LINE_FIELDS[lines]
    return "{" + ",".join(
        f'"{key}":' + ("null" if line.get(key) is None else _text(line[key]) if kind == "str" else _value(line[key]))
        for key, kind in fields.items()) + "}"


def rendered_lines(result: Mapping[str, Any]) -> dict[str, str]:
    """The score's lines as the API prints them, by the column that keeps them
    (``RENDERED``): ``score.rendered_gates`` and ``score.rendered_breakdown``,
    what the compiled read path sends for ``gates { code passed value reason }``
    and ``breakdown { code points maxPoints value reason }`` instead of printing
    the stored lines element by element (a quarter of PostgreSQL's time on a page
    of the officers' list)."""
    return {column: "[" + ",".join(rendered_line(lines, line) for line in result.get(lines, ())) + "]"
            for lines, column in RENDERED.items()}


def line_texts(line: GateResult | CriterionResult) -> tuple[str, str | None, str]:
    """A gate's or criterion's stored JSON texts: its part of ``score.result``, its
    ``"code": {...}`` entry in ``score.explanation`` (None without one), as
    ``json.dumps`` writes them in :attr:`ScoreResult.stored_texts`, and the part as
    the API prints it (``rendered_line``)."""
    part, extra = _split_line(line.to_json())
    return (json.dumps(part), (f"{json.dumps(str(line.code))}: {json.dumps(extra)}" if extra else None),
            rendered_line("gates" if isinstance(line, GateResult) else "breakdown", part))


def stored_score(result: Mapping[str, Any], explanation: Mapping[str, Any] | None) -> dict[str, Any]:
    """The inverse of :func:`split`: the whole score from its stored parts (a score
    stored in one part, as before the split, is already whole)."""
    whole = dict(result)
    if not explanation:
        return whole
    for lines in LINES:
        explained = explanation.get(lines) or {}
        whole[lines] = [{**line, **explained.get(str(line.get("code")), {})} for line in result.get(lines, ())]
    if "passMarkBasis" in explanation:
        whole["passMarkBasis"] = explanation["passMarkBasis"]
    return whole


def reason_text(reason: str) -> dict[str, Any]:
    """``{"reasonText": <id and parameters>}`` beside the English reason, so a stored
    score is translated when read (``core.text.load``); empty for a plain string."""
    return {"reasonText": dump(reason)} if isinstance(reason, Text) else {}


def stored_reason(item: Mapping[str, Any]) -> str:
    """A stored gate's or criterion's reason: translatable when it was stored with its
    id (scores written before keep their English text)."""
    data = item.get("reasonText")
    if isinstance(data, dict):
        loaded = load(data)
        if isinstance(loaded, Text):
            return loaded
    return str(item.get("reason", ""))


@dataclass(frozen=True)
class DefinitionError:
    """One problem in a definition: the JSON path (starting at "definition",
    list indices as text) and a one-line message."""

    path: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Basis:
    """The legal source of a gate or criterion (SPEC §17), in Kazakh, Russian and English."""

    kk: str
    ru: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"kk": self.kk, "ru": self.ru, "en": self.en}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Basis | None:
        if not data:
            return None
        return cls(kk=str(data["kk"]), ru=str(data["ru"]), en=str(data["en"]))


def _with_basis(data: dict[str, Any], basis: Basis | None) -> dict[str, Any]:
    """A result's JSON, with its ``basis`` only when it has one (scores under a
    model without bases are stored exactly as before)."""
    if basis is not None:
        data["basis"] = basis.to_json()
    return data


@dataclass(frozen=True)
class _Line:
    """A line of a score (a gate or a criterion): its code first, its legal source
    (by keyword) last, and between them its own fields, written to JSON under
    ``KEYS`` (attribute, key) in that order."""

    code: str
    basis: Basis | None = field(default=None, kw_only=True)
    KEYS: ClassVar[tuple[tuple[str, str], ...]]

    def to_json(self) -> dict[str, Any]:
        data = {"code": self.code, **{key: getattr(self, name) for name, key in self.KEYS}}
        return _with_basis({**data, **reason_text(getattr(self, "reason"))}, self.basis)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Any:
        """The inverse of :meth:`to_json`: the reason translatable where it was stored with its id."""
        values = {name: data.get(key) for name, key in cls.KEYS}
        return cls(code=str(data["code"]), **{**values, "reason": stored_reason(data)},
                   basis=Basis.from_json(data.get("basis")))


@dataclass(frozen=True)
class GateResult(_Line):
    passed: bool
    value: str | None
    reason: str
    KEYS = (("passed", "passed"), ("value", "value"), ("reason", "reason"))


@dataclass(frozen=True)
class CriterionResult(_Line):
    points: int
    max_points: int
    value: str | None
    reason: str
    KEYS = (("points", "points"), ("max_points", "maxPoints"), ("value", "value"), ("reason", "reason"))


LINE_FIELDS: dict[str, dict[str, str]] = {
    lines: {"code": "str", **{key: kind for (_, key), kind in zip(line.KEYS, kinds, strict=True)}}
    for lines, line, kinds in (("gates", GateResult, ("bool", "str", "str")),
                               ("breakdown", CriterionResult, ("int", "int", "str", "str")))}
"""A line's fields in ``score.result``, in the order the API declares them, with
their JSON kind: what ``rendered_line`` prints and the compiled path reads."""
RENDERED = {"gates": "rendered_gates", "breakdown": "rendered_breakdown"}
"""The column that keeps each list of lines as the API prints it."""


class StoredTexts(NamedTuple):
    """A score's stored columns as texts (:attr:`ScoreResult.stored_texts`)."""

    result: str
    explanation: str | None
    rendered_gates: str
    rendered_breakdown: str


@dataclass(frozen=True)
class ScoreResult:
    total: int
    max_total: int
    pass_mark: int
    passed: bool
    gates: tuple[GateResult, ...]
    breakdown: tuple[CriterionResult, ...]
    pass_mark_basis: Basis | None = None

    def stored(self) -> dict[str, Any]:
        """The score's stored columns: ``{"result": ..., "explanation": ...}`` (``split``)
        and the lines as the API prints them (``rendered_lines``)."""
        result, explanation = split(self.to_json())
        return {"result": result, "explanation": explanation, **rendered_lines(result)}

    @cached_property
    def stored_texts(self) -> StoredTexts:
        """:meth:`stored` as texts: ``split(self.to_json())`` as JSON texts and the
        rendered lines (computed once; :class:`Evaluator` fills it in from its
        memoised pieces)."""
        result, explanation = split(self.to_json())
        return StoredTexts(json.dumps(result), None if explanation is None else json.dumps(explanation),
                           **rendered_lines(result))

    def to_json(self) -> dict[str, Any]:
        """The score as JSON (camelCase keys), as stored and served."""
        data = {
            "total": self.total,
            "maxTotal": self.max_total,
            "passMark": self.pass_mark,
            "passed": self.passed,
            "gates": [gate.to_json() for gate in self.gates],
            "breakdown": [item.to_json() for item in self.breakdown],
        }
        if self.pass_mark_basis is not None:
            data["passMarkBasis"] = self.pass_mark_basis.to_json()
        return data

    @classmethod
    def from_stored(cls, result: Mapping[str, Any], explanation: Mapping[str, Any] | None) -> ScoreResult:
        """A stored score (``score.result`` and ``score.explanation``)."""
        return cls.from_json(stored_score(result, explanation))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoreResult:
        """The inverse of :meth:`to_json`."""
        return cls(
            total=int(data["total"]),
            max_total=int(data["maxTotal"]),
            pass_mark=int(data["passMark"]),
            passed=bool(data["passed"]),
            gates=tuple(GateResult.from_json(gate) for gate in data.get("gates", ())),
            breakdown=tuple(CriterionResult.from_json(item) for item in data.get("breakdown", ())),
            pass_mark_basis=Basis.from_json(data.get("passMarkBasis")),
        )
