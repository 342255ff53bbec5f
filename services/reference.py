"""Writes to the reference data administrators edit: regions, occupations and
deficit lists, agencies, check types and their grants, support measures, MRP
values and termination reasons (the tables of ``models/reference.py``; the
values the seed loads are in ``services/reference_data.py``, one row a line).

One create, update and delete for all of them: the values are checked against
the table's columns and the rules in ``RULES`` (every problem reported at once,
on the field ``("input", column)``), written in the caller's transaction and
audited as ``<table>.create``, ``<table>.update`` (the changed fields) or
``<table>.delete``. What the database refuses (a duplicate, a row still
referenced) comes back as a ``ServiceError`` too, never as a database error.

The rules are pure functions of one value (``None`` when it is fine, else the
problem), so a form can show them next to its fields before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import AgencyGrant
from models import labour
from models import reference as ref
from services import audit, integrity, rules
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden
from services.reference_data import RECORD_VIOLATIONS
from services.rows import locked
from services.viewer import Viewer

YEAR_MIN, YEAR_MAX = 2000, 2100

Rule = Callable[[Any], "str | None"]


def year_problem(year: int) -> str | None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        return t("year must be from {first} to {last} (got {year})", first=YEAR_MIN, last=YEAR_MAX, year=year)
    return None


CAP_LIMIT = Decimal(10) ** 8  # support_measure.cap_mrp is Numeric(10, 2)


def cap_problem(cap_mrp: Decimal) -> str | None:
    if not cap_mrp.is_finite() or cap_mrp >= CAP_LIMIT:  # NaN and Infinity compare with nothing
        return t("the cap must be a number of MRP below 100 000 000")
    return t("the cap may not be negative") if cap_mrp < 0 else None


def mrp_problem(amount: Decimal) -> str | None:
    if not amount.is_finite() or amount >= rules.MONEY_LIMIT:
        return t("the MRP must be an amount of tenge below 1 000 000 000 000")
    if amount <= 0:
        return t("the MRP must be positive")
    if amount != amount.quantize(Decimal("0.01")):
        return t("the MRP has at most two decimals")
    return None


# The reference tables and the rules of their columns (beyond type, presence and
# the database's own constraints); the region and occupation codes follow the
# rules every other input of them follows (``services.rules``).
RULES: dict[type, dict[str, Rule]] = {
    ref.Region: {"code": rules.region_code_problem},
    ref.Occupation: {"code": rules.occupation_code_problem},
    ref.DeficitOccupation: {"year": year_problem},
    ref.Agency: {},
    ref.CheckType: {},
    ref.CheckTypeGrant: {},
    AgencyGrant: {},
    ref.SupportMeasure: {"cap_mrp": cap_problem},
    ref.MrpValue: {"year": year_problem, "amount": mrp_problem},
    ref.TerminationReasonRule: {},
}

# The tables' names in messages ("region 5 not found").
TABLE_NAMES = {
    "region": t("region"), "occupation": t("occupation"), "deficit_occupation": t("deficit occupation"),
    "agency": t("agency"), "check_type": t("check type"), "check_type_grant": t("check type grant"),
    "support_measure": t("support measure"), "mrp_value": t("mrp value"), "termination_reason": t("termination reason"),
}

def count_problem(label: str, low: int, high: int) -> Rule:
    def problem(value: int) -> str | None:
        if low <= value <= high:
            return None
        return t("{label} must be from {low} to {high} (got {value})", label=label, low=low, high=high, value=value)
    return problem


def permission_problem(value: str) -> str | None:
    return None if value == RECORD_VIOLATIONS else t("the only permission is {permission}",
                                                     permission=RECORD_VIOLATIONS)


# SPEC §15's reference data: the suspension thresholds and the agencies' permissions.
RULES[labour.SuspensionRule] = {"violations": count_problem("violations", 1, 100),
                                "window_months": count_problem("the window", 1, 120),
                                "suspension_months": count_problem("the suspension", 1, 120)}
RULES[labour.AgencyPermission] = {"permission": permission_problem}

# How a typed text is read (otherwise it is trimmed).
READ: dict[tuple[type, str], Callable[[str], str]] = {
    (ref.Region, "code"): rules.normalise_region_code,
}


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden(t("only administrators may change reference data"))


def _table(model: type) -> str:
    if model not in RULES:
        raise TypeError(f"{model.__name__} is not reference data")
    return model.__tablename__  # type: ignore[attr-defined,no-any-return]


def _assign(obj: Any, values: Mapping[str, Any]) -> None:
    """Set ``values`` on ``obj``: text trimmed (or read as ``READ`` says), an empty
    value of a nullable column as NULL, enum values by their text; then the
    column rules."""
    columns = sa.inspect(type(obj)).columns
    column_rules = RULES[type(obj)]
    errors = ErrorCollector()
    for key, value in values.items():
        column = columns.get(key)
        if column is None or column.primary_key:
            errors.invalid(t("{field} is not a field of {table}", field=key, table=_table(type(obj))), "input", key)
            continue
        if isinstance(value, str):
            value = READ.get((type(obj), key), str.strip)(value)
        if value in ("", None):
            value = None
            if not column.nullable:
                errors.invalid(t("{field} is required", field=key), "input", key)
                continue
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None and isinstance(value, str):
            try:
                value = enum_class(value)
            except ValueError:
                errors.invalid(t("{value} is not one of {allowed}", value=repr(value),
                                 allowed=", ".join(m.value for m in enum_class)), "input", key)
                continue
        if value is not None and key in column_rules:
            problem = column_rules[key](value)
            if problem:
                errors.invalid(problem, "input", key)
                continue
        setattr(obj, key, value)
    errors.raise_if_any()


def _snapshot(obj: Any) -> dict[str, Any]:
    return {c.key: audit.plain(getattr(obj, c.key)) for c in sa.inspect(type(obj)).columns}


async def flush_checked(session: AsyncSession) -> None:
    """Flush in a savepoint, turning what the database refuses into a ``ServiceError``."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        text = str(exc.orig if exc.orig is not None else exc).lower()
        if "unique" in text or "duplicate" in text:
            raise ServiceError.one(ErrorCode.DUPLICATE, t("a record with the same values already exists"),
                                   ["input"]) from None
        if "foreign key" in text:
            raise ServiceError.one(ErrorCode.CONFLICT, t("the record is referenced by other records "
                                                         "(or refers to one that does not exist)"), ["input"]) from None
        if "check" in text:
            raise ServiceError.one(ErrorCode.INVALID_INPUT, t("the values break a rule of the database ({rule})",
                                                              rule=text.split("constraint")[-1].strip(' "):')),
                                   ["input"]) from None
        raise ServiceError.one(ErrorCode.INVALID_INPUT, t("the database refused the change"), ["input"]) from None


async def create(session: AsyncSession, viewer: Viewer, model: type, values: Mapping[str, Any]) -> Any:
    """A new row of the reference table ``model``."""
    _require_admin(viewer)
    table = _table(model)
    obj = model()
    _assign(obj, values)
    session.add(obj)
    await flush_checked(session)
    await audit.record(session, viewer, f"{table}.create", table, obj.id,
                       {k: v for k, v in _snapshot(obj).items() if k != "id"})
    return obj


async def _still_holds(session: AsyncSession, model: type) -> None:
    """CONFLICT when the written change breaks what recorded rows rely on: a support
    cap or an MRP that payments were checked against may not change under them
    (``services.integrity.measure_caps``: each measure's total within its cap in the
    MRP of its year, and that year's MRP there)."""
    if model not in (ref.SupportMeasure, ref.MrpValue):
        return
    broken = await integrity.measure_caps(session)
    if broken:
        raise ServiceError.one(ErrorCode.CONFLICT, t(
            "recorded support payments rely on this value: {count} contract measure(s) would break, e.g. {first}",
            count=len(broken), first=broken[0].line()), ["input"])


async def update(session: AsyncSession, viewer: Viewer, model: type, pk: int, values: Mapping[str, Any]) -> Any:
    """Change the row ``pk`` of ``model``; the changed fields are audited."""
    _require_admin(viewer)
    table = _table(model)
    obj = await locked(session, model, pk, t("{table} {id}", table=TABLE_NAMES.get(table, table), id=pk))
    before = _snapshot(obj)
    _assign(obj, values)
    await flush_checked(session)
    await _still_holds(session, model)
    changes = audit.diff(before, _snapshot(obj))
    if changes:
        await audit.record(session, viewer, f"{table}.update", table, obj.id, changes)
    return obj


# Rows the database deletes with a reference row (ON DELETE CASCADE): the access they
# gave goes with it, so each is audited as deleted too.
CASCADES: dict[type, tuple[tuple[type, str], ...]] = {
    ref.Agency: ((ref.CheckTypeGrant, "agency_id"), (AgencyGrant, "agency_id"), (labour.AgencyPermission, "agency_id")),
    ref.CheckType: ((ref.CheckTypeGrant, "check_type_id"),),
}


async def delete(session: AsyncSession, viewer: Viewer, model: type, pk: int) -> None:
    """Delete the row ``pk`` of ``model``, refused while other rows refer to it; the rows
    deleted with it (``CASCADES``) are audited with it."""
    _require_admin(viewer)
    table = _table(model)
    obj = await locked(session, model, pk, t("{table} {id}", table=TABLE_NAMES.get(table, table), id=pk))
    before = _snapshot(obj)
    going = [(child, row.id, _snapshot(row)) for child, fk in CASCADES.get(model, ())
             for row in (await session.execute(sa.select(child).where(getattr(child, fk) == pk)
                                               .order_by(child.id))).scalars()]
    await session.delete(obj)
    await flush_checked(session)
    await _still_holds(session, model)
    for child, child_id, snapshot in going:
        await audit.record(session, viewer, f"{_table(child)}.delete", _table(child), child_id, snapshot)
    await audit.record(session, viewer, f"{table}.delete", table, pk, before)
