"""What the scoring engine gives: a score with its gates and breakdown (each
with its reason), and the problems of an invalid definition. Frozen, so
memoised pieces are shared between scores; ``to_json`` is the stored form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from core.text import Text, dump, load


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
class GateResult:
    code: str
    passed: bool
    value: str | None
    reason: str
    basis: Basis | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_basis({"code": self.code, "passed": self.passed, "value": self.value, "reason": self.reason,
                            **reason_text(self.reason)}, self.basis)


@dataclass(frozen=True)
class CriterionResult:
    code: str
    points: int
    max_points: int
    value: str | None
    reason: str
    basis: Basis | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_basis({"code": self.code, "points": self.points, "maxPoints": self.max_points,
                            "value": self.value, "reason": self.reason, **reason_text(self.reason)}, self.basis)


@dataclass(frozen=True)
class ScoreResult:
    total: int
    max_total: int
    pass_mark: int
    passed: bool
    gates: tuple[GateResult, ...]
    breakdown: tuple[CriterionResult, ...]
    pass_mark_basis: Basis | None = None

    @cached_property
    def json_text(self) -> str:
        """``json.dumps(self.to_json())``: the score as stored (computed once;
        :class:`Evaluator` fills it in from its memoised pieces)."""
        return json.dumps(self.to_json())

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
                    reason=stored_reason(gate),
                    basis=Basis.from_json(gate.get("basis")),
                )
                for gate in data.get("gates", ())
            ),
            breakdown=tuple(
                CriterionResult(
                    code=str(item["code"]),
                    points=int(item["points"]),
                    max_points=int(item["maxPoints"]),
                    value=item.get("value"),
                    reason=stored_reason(item),
                    basis=Basis.from_json(item.get("basis")),
                )
                for item in data.get("breakdown", ())
            ),
            pass_mark_basis=Basis.from_json(data.get("passMarkBasis")),
        )
