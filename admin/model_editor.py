"""The scoring model editor's form: a definition's gates and criteria as rows
(code, a source from the fact catalogue, the comparison, the points or bands,
routes, an ``unless`` condition) and back. The rows only carry the definition;
whether it is valid is decided by ``services.scoring_models`` (the API's own
rule), whose errors are put back next to the row they are about.

Points are written one per line as ``value = points``; bands as
``min..max = points`` (an open end left empty: ``60.. = 0``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.text import Text, t
from services.scoring import FACT_LABELS, FACT_SOURCES

COMPARISONS = ("min", "max", "equals", "in")
BLANK_ROWS = 1
_BAND = re.compile(r"^\s*((?:-?\d+)?)\s*\.\.\s*((?:-?\d+)?)\s*=\s*(\S+)\s*$")  # a bound: a whole number or nothing
_POINT = re.compile(r"^\s*([^=]+?)\s*=\s*(\S+)\s*$")


@dataclass
class Row:
    """One gate or criterion as the form shows it (all text)."""

    kind: str  # "gates" | "criteria"
    code: str = ""
    source: str = ""
    min: str = ""
    max: str = ""
    equals: str = ""
    in_: str = ""
    points: str = ""
    bands: str = ""
    routes: str = ""
    unless: str = ""
    basis: str = ""  # the legal source, a JSON object of kk, ru and en texts (SPEC §17)
    remove: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not any((self.code, self.source, self.min, self.max, self.equals, self.in_, self.points, self.bands))


def sources() -> list[tuple[str, str]]:
    """The fact catalogue: (source, "label (kind)")."""
    return [(s, f"{FACT_LABELS.get(s, s)} ({kind})") for s, kind in FACT_SOURCES.items()]


# ------------------------------------------------------------------ definition -> rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _row(kind: str, entry: Mapping[str, Any]) -> Row:
    row = Row(kind, code=_text(entry.get("code")), source=_text(entry.get("source")),
              routes=_text(entry.get("routes")),
              unless=json.dumps(entry["unless"], ensure_ascii=False) if "unless" in entry else "",
              basis=basis_text(entry.get("basis")))
    if kind == "gates":
        row.min, row.max, row.equals = _text(entry.get("min")), _text(entry.get("max")), _text(entry.get("equals"))
        row.in_ = _text(entry.get("in"))
    elif "bands" in entry:
        row.bands = "\n".join(f"{_text(b.get('min'))}..{_text(b.get('max'))} = {_text(b.get('points'))}"
                              for b in entry["bands"] if isinstance(b, Mapping))
    else:
        row.points = "\n".join(f"{k} = {_text(v)}" for k, v in (entry.get("points") or {}).items())
    return row


def rows_of(definition: Mapping[str, Any]) -> dict[str, list[Row]]:
    rows = {kind: [_row(kind, e) for e in definition.get(kind) or [] if isinstance(e, Mapping)]
            for kind in ("gates", "criteria")}
    for kind in rows:
        rows[kind] += [Row(kind) for _ in range(BLANK_ROWS)]
    return rows


# ------------------------------------------------------------------ form -> rows -> definition


def rows_from_form(form: Mapping[str, Any]) -> dict[str, list[Row]]:
    """The rows as posted: ``gates-<i>-<field>`` and ``criteria-<i>-<field>``."""
    rows: dict[str, list[Row]] = {"gates": [], "criteria": []}
    for kind in rows:
        index = 0
        while f"{kind}-{index}-code" in form:
            def get(name: str) -> str:
                return str(form.get(f"{kind}-{index}-{name}") or "").strip()
            row = Row(kind, code=get("code"), source=get("source"), min=get("min"), max=get("max"),
                      equals=get("equals"), in_=get("in"), points=get("points"), bands=get("bands"),
                      routes=get("routes"), unless=get("unless"), basis=get("basis"),
                      remove=bool(form.get(f"{kind}-{index}-remove")))
            rows[kind].append(row)
            index += 1
    return rows


def _value(text: str) -> Any:
    """A comparison value: true/false, a whole number, or the text itself."""
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _number_or_text(text: str) -> Any:
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _read_lines(row: Row, text: str, pattern: re.Pattern[str],
                problem: Callable[[int, str], Text]) -> Iterator[tuple[str, ...]]:
    """The groups of each line of ``text`` that ``pattern`` reads; any other
    non-blank line is one of the row's errors (``problem(number, line)``)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = pattern.match(line)
        if match is None:
            row.errors.append(problem(number, line.strip()))
        else:
            yield match.groups()


def _entry(row: Row) -> dict[str, Any]:
    """The row as a definition entry; what cannot be read is kept as written, so the
    service names the problem (a line the form cannot read is the row's own error)."""
    entry: dict[str, Any] = {"code": row.code, "source": row.source}
    if row.kind == "gates":
        for key, text in (("min", row.min), ("max", row.max), ("equals", row.equals)):
            if text:
                entry[key] = _value(text)
        if row.in_:
            entry["in"] = [_value(v.strip()) for v in row.in_.split(",") if v.strip()]
    elif row.bands:
        entry["bands"] = [{"min": int(low) if low else None, "max": int(high) if high else None,
                           "points": _number_or_text(points)}
                          for low, high, points in _read_lines(row, row.bands, _BAND, lambda number, line: t(
                              "band line {number} ({line}): write min..max = points", number=number, line=line))]
    else:
        entry["points"] = {value: _number_or_text(points)
                           for value, points in _read_lines(row, row.points, _POINT, lambda number, line: t(
                               "points line {number} ({line}): write value = points", number=number, line=line))}
    if row.routes:
        entry["routes"] = [r.strip() for r in row.routes.split(",") if r.strip()]
    if row.unless:
        try:
            entry["unless"] = json.loads(row.unless)
        except ValueError:
            row.errors.append(t("unless: write a JSON object, e.g. {example}",
                                example='{"source": "applicant.ethnicKazakh", "equals": true}'))
    if row.basis:
        basis = basis_value(row.basis)
        if basis is None:
            row.errors.append(BASIS_HINT)
        else:
            entry["basis"] = basis
    return entry


BASIS_HINT = t("basis: write a JSON object of the legal source in Kazakh, Russian and English, e.g. {example}",
               example='{"kk": "…", "ru": "…", "en": "…"}')


def basis_text(basis: Any) -> str:
    """A stored ``basis`` (or ``passMarkBasis``) as the form shows it."""
    return json.dumps(basis, ensure_ascii=False) if basis is not None else ""


def basis_value(text: str) -> Any:
    """The form's basis text as the definition holds it (the service validates its
    languages); None when it is not JSON at all."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def definition_of(pass_mark: str, rows: dict[str, list[Row]], pass_mark_basis: str = ""
                  ) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """The definition the rows make (removed and blank rows left out) and, for each
    row kept, its index in the definition's list → its index on the form. A pass-mark
    basis that is not JSON is kept as written, for the service to refuse."""
    definition: dict[str, Any] = {"passMark": _number_or_text(pass_mark.strip()), "gates": [], "criteria": []}
    if pass_mark_basis.strip():
        basis = basis_value(pass_mark_basis)
        definition["passMarkBasis"] = pass_mark_basis if basis is None else basis
    places: dict[tuple[str, int], int] = {}
    for kind, kind_rows in rows.items():
        for form_index, row in enumerate(kind_rows):
            if row.remove or row.blank:
                continue
            places[(kind, len(definition[kind]))] = form_index
            definition[kind].append(_entry(row))
    return definition, places


def place_errors(errors: list[tuple[tuple[str, ...], str]], rows: dict[str, list[Row]],
                 places: dict[tuple[str, int], int]) -> list[str]:
    """Put each of the service's errors (its path, its message) next to its row; the
    rest (the pass mark, the definition as a whole) are returned for the top of the form."""
    general: list[str] = []
    for path, message in errors:
        parts = list(path)
        if "definition" in parts:
            parts = parts[parts.index("definition") + 1:]
        if len(parts) >= 2 and parts[0] in rows and parts[1].isdigit() and (parts[0], int(parts[1])) in places:
            where = " ".join(parts[2:])
            row = rows[parts[0]][places[(parts[0], int(parts[1]))]]
            row.errors.append(t("{where}: {message}", where=where, message=message) if where else message)
        else:
            general.append(t("{where}: {message}", where=" ".join(parts), message=message) if parts else message)
    return general


def has_row_errors(rows: dict[str, list[Row]]) -> bool:
    return any(row.errors for kind_rows in rows.values() for row in kind_rows)
