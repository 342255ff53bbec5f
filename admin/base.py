"""The base every Qonys admin view builds on.

Writes do not go through SQLAdmin's own ``Query`` (which commits before its
``after_model_change`` hook and cannot share the session with the audit trail):
``insert_model``, ``update_model`` and ``delete_model`` open one transaction,
check the row's rules, write, and call ``services.audit.record`` with the
administrator as the viewer, so the change and its audit event commit together
or not at all. A rule that fails raises ``FormError``; SQLAdmin shows its
message on the form (or on the list page for a delete) — never a 500.

Foreign keys: the models have no relationships, so SQLAdmin would leave the
``*_id`` columns out of forms and show bare numbers in lists. Here they become
select boxes of the referenced rows and are shown by code and name.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqladmin import ModelView
from sqladmin.formatters import BASE_FORMATTERS
from sqladmin.forms import ModelConverter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from wtforms import Form, SelectField
from wtforms.fields.core import UnboundField

from admin.auth import is_read_only, viewer_for
from core.settings import Settings
from models import (
    Agency,
    Application,
    CheckType,
    Occupation,
    Quota,
    Region,
    ScoringModel,
    SelectionRound,
    SocialContract,
    SupportMeasure,
)
from models.base import ALMATY
from core.db import transaction
from services import audit
from services.errors import ServiceError
from services.viewer import Viewer

_LABELS_STATE = "qonys_fk_labels"


class FormError(Exception):
    """A rule refused the write; the message is shown to the administrator."""


def service_error_message(exc: ServiceError) -> str:
    parts = []
    for e in exc.errors:
        field = e.field[-1] if e.field else None
        parts.append(f"{field}: {e.message}" if field and field not in ("id", "input") else e.message)
    return "; ".join(parts)


# ------------------------------------------------------------------ foreign keys


def _label_region(r: Region) -> str:
    return f"{r.code} {r.name_en}"


FK_TARGETS: dict[str, tuple[type, Callable[[Any], str], Any]] = {
    "region": (Region, _label_region, Region.code),
    "occupation": (Occupation, lambda o: f"{o.code} {o.name_en}", Occupation.code),
    "agency": (Agency, lambda a: f"{a.code} — {a.name}", Agency.code),
    "check_type": (CheckType, lambda c: f"{c.code} — {c.name}", CheckType.code),
    "support_measure": (SupportMeasure, lambda m: m.code, SupportMeasure.code),
    "scoring_model": (ScoringModel, lambda m: m.version, ScoringModel.id),
    "application": (Application, lambda a: a.number, Application.id),
    "social_contract": (SocialContract, lambda c: c.number, SocialContract.id),
    "quota": (Quota, lambda q: f"{q.kind.value} {q.year} #{q.id}", Quota.id),
    "selection_round": (SelectionRound, lambda r: f"round #{r.id}", SelectionRound.id),
}


def fk_target_table(column: sa.Column) -> str | None:
    for fk in column.foreign_keys:
        return fk.column.table.name
    return None


def _int_or_none(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class ForeignKeyConverter(ModelConverter):
    """Keeps foreign-key columns in forms (``scaffold_form`` turns them into selects)."""

    def _prepare_column(self, prop: Any, form_include_pk: bool, kwargs: dict) -> dict | None:
        column = prop.columns[0]
        if column.foreign_keys and not column.primary_key:
            form_include_pk = True
        return super()._prepare_column(prop=prop, form_include_pk=form_include_pk, kwargs=kwargs)


def _fk_formatter(column_name: str, table: str) -> Callable[[Any, str, Request], Any]:
    def formatter(model: Any, attribute: str, request: Request) -> Any:
        value = getattr(model, column_name, None)
        if value is None:
            return ""
        labels = getattr(request.state, _LABELS_STATE, {})
        return labels.get((table, value), value)

    return formatter


def json_formatter(model: Any, attribute: str) -> Markup:
    value = getattr(model, attribute, None)
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return Markup('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">') + escape(text) + Markup("</pre>")


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def almaty_time(value: dt.datetime) -> str:
    """Timestamps as Kazakhstan reads them (stored in UTC)."""
    return value.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M:%S") + " (Almaty)"


TYPE_FORMATTERS = {**BASE_FORMATTERS, dt.datetime: almaty_time}


# ------------------------------------------------------------------ the base view


class QonysModelView(ModelView):
    """Common behaviour: audited writes in one transaction, FK selects, read-only for auditors."""

    # Set by admin.setup.mount_admin: the application's session factory.
    sessions: ClassVar[async_sessionmaker[AsyncSession]]
    settings: ClassVar[Settings]

    page_size = 25
    page_size_options = [25, 50, 100, 200]
    form_converter = ForeignKeyConverter
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    # Columns never shown in a form (kept by the system).
    system_columns: ClassVar[Sequence[str]] = ()

    def __init__(self) -> None:
        self._fk_columns: dict[str, str] = {}
        for column in sa.inspect(self.model).columns:
            table = fk_target_table(column)
            if table in FK_TARGETS:
                self._fk_columns[column.key] = table
        # Instance attribute shadows the class-level dict before ModelView reads it.
        self.column_formatters = {
            **{name: _fk_formatter(name, table) for name, table in self._fk_columns.items()},
            **type(self).column_formatters,
        }
        self.column_formatters_detail = {
            **{name: _fk_formatter(name, table) for name, table in self._fk_columns.items()},
            **type(self).column_formatters_detail,
        }
        super().__init__()

    # -------------------------------------------------------------- permissions

    def row_editable(self, obj: Any) -> bool:
        return True

    def row_deletable(self, obj: Any) -> bool:
        return self.row_editable(obj)

    def refusal(self, obj: Any) -> str:
        return "this record may not be changed"

    async def check_can_edit(self, request: Request, model: Any) -> bool:
        ok = await super().check_can_edit(request, model)
        return ok and (model is None or self.row_editable(model))

    async def check_can_delete(self, request: Request, model: Any) -> bool:
        ok = await super().check_can_delete(request, model)
        return ok and (model is None or self.row_deletable(model))

    def _writer(self, request: Request) -> Viewer:
        if is_read_only(request):
            raise FormError("your account may only read")
        return viewer_for(request)

    # -------------------------------------------------------------- labels

    async def _load_labels(self, request: Request, rows: Iterable[Any]) -> None:
        wanted: dict[str, set[int]] = {}
        for row in rows:
            for name, table in self._fk_columns.items():
                value = getattr(row, name, None)
                if value is not None:
                    wanted.setdefault(table, set()).add(value)
        labels: dict[tuple[str, int], str] = dict(getattr(request.state, _LABELS_STATE, {}))
        if wanted:
            async with self.sessions() as session:
                for table, ids in wanted.items():
                    model, label, _ = FK_TARGETS[table]
                    result = await session.execute(sa.select(model).where(model.id.in_(ids)))
                    for obj in result.scalars():
                        labels[(table, obj.id)] = label(obj)
        setattr(request.state, _LABELS_STATE, labels)

    async def list(self, request: Request) -> Any:
        pagination = await super().list(request)
        await self._load_labels(request, pagination.rows)
        return pagination

    async def get_object_for_details(self, request: Request) -> Any:
        obj = await super().get_object_for_details(request)
        if obj is not None:
            await self._load_labels(request, [obj])
        return obj

    # -------------------------------------------------------------- forms

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)
        fk_fields = {name: table for name, table in self._fk_columns.items()
                     if isinstance(getattr(form, name, None), UnboundField)}
        if not fk_fields:
            return form
        async with self.sessions() as session:
            for name, table in fk_fields.items():
                unbound = getattr(form, name)
                model, label, order = FK_TARGETS[table]
                rows = (await session.execute(sa.select(model).order_by(order))).scalars().all()
                choices: list[tuple[Any, str]] = [(obj.id, label(obj)) for obj in rows]
                column = self._mapper.columns[name]
                if column.nullable:
                    choices.insert(0, ("", "—"))
                kwargs = {k: v for k, v in unbound.kwargs.items() if k not in ("choices", "coerce")}
                field = SelectField(choices=choices, coerce=_int_or_none, **kwargs)
                field.creation_counter = unbound.creation_counter
                setattr(form, name, field)
        return form

    # -------------------------------------------------------------- writes

    def apply(self, obj: Any, data: dict[str, Any]) -> dict[str, Any]:
        """Set the form's values on ``obj``; returns the values as set."""
        applied: dict[str, Any] = {}
        for key, value in data.items():
            column = self._mapper.columns.get(key)
            if column is None or column.primary_key or key in self.system_columns:
                continue
            if isinstance(value, str):
                value = value.strip()
            if value in ("", None) and column.nullable:
                value = None
            enum_class = getattr(column.type, "enum_class", None)
            if enum_class is not None and isinstance(value, str) and value:
                try:
                    value = enum_class(value)
                except ValueError:
                    raise FormError(f"{self._label(key)}: {value!r} is not one of "
                                    f"{', '.join(m.value for m in enum_class)}") from None
            setattr(obj, key, value)
            applied[key] = value
        return applied

    def _label(self, key: str) -> str:
        return self._column_labels.get(key, key)

    async def validate(self, session: AsyncSession, obj: Any, before: dict[str, Any] | None) -> None:
        """Domain rules for a row about to be written; raise FormError to refuse."""

    def snapshot(self, obj: Any) -> dict[str, Any]:
        return {c.key: plain(getattr(obj, c.key)) for c in self._mapper.columns
                if c.key not in self.hidden_in_audit}

    hidden_in_audit: ClassVar[frozenset[str]] = frozenset()

    @property
    def table(self) -> str:
        return self.model.__tablename__  # type: ignore[attr-defined]

    def integrity_message(self, exc: IntegrityError) -> str:
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "unique" in text or "duplicate" in text:
            return "a record with the same values already exists"
        if "foreign key" in text:
            return "the record is referenced by other records (or refers to one that does not exist)"
        if "check" in text:
            return "the values break a rule of the database (" + text.split("constraint")[-1].strip(' "):') + ")"
        return "the database refused the change"

    async def _run(self, request: Request, work: Callable[[AsyncSession, Viewer], Any]) -> Any:
        viewer = self._writer(request)
        try:
            async with transaction(self.sessions) as session:
                return await work(session, viewer)
        except ServiceError as exc:
            raise FormError(service_error_message(exc)) from None
        except IntegrityError as exc:
            raise FormError(self.integrity_message(exc)) from None

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        obj = self.model()
        self.apply(obj, data)
        await self.validate(session, obj, None)
        session.add(obj)
        await session.flush()
        await audit.record(session, viewer, f"{self.table}.create", self.table, obj.id,
                           {k: v for k, v in self.snapshot(obj).items() if k != "id"})
        return obj

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        obj = await session.get(self.model, pk, with_for_update=True)
        if obj is None:
            raise FormError("the record no longer exists")
        if not self.row_editable(obj):
            raise FormError(self.refusal(obj))
        before = self.snapshot(obj)
        self.apply(obj, data)
        await self.validate(session, obj, before)
        await session.flush()
        changes = audit.diff(before, self.snapshot(obj))
        if changes:
            await audit.record(session, viewer, f"{self.table}.update", self.table, obj.id, changes)
        return obj

    async def delete_row(self, session: AsyncSession, viewer: Viewer, pk: int) -> None:
        obj = await session.get(self.model, pk, with_for_update=True)
        if obj is None:
            return
        if not self.row_deletable(obj):
            raise FormError(self.refusal(obj))
        before = self.snapshot(obj)
        await session.delete(obj)
        await session.flush()
        await audit.record(session, viewer, f"{self.table}.delete", self.table, pk, before)

    @staticmethod
    def _pk(pk: Any) -> int:
        try:
            return int(pk)
        except (TypeError, ValueError):
            raise FormError("no such record") from None

    async def insert_model(self, request: Request, data: dict) -> Any:
        return await self._run(request, lambda s, v: self.create_row(s, v, data))

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        key = self._pk(pk)
        return await self._run(request, lambda s, v: self.update_row(s, v, key, data))

    async def delete_model(self, request: Request, pk: Any) -> None:
        key = self._pk(pk)
        await self._run(request, lambda s, v: self.delete_row(s, v, key))


class ReadOnlyView(QonysModelView):
    """Records written only by the services (ledgers, audit trail, applications)."""

    can_create = False
    can_edit = False
    can_delete = False

    async def insert_model(self, request: Request, data: dict) -> Any:
        raise FormError("these records are read-only in the panel")

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        raise FormError("these records are read-only in the panel")

    async def delete_model(self, request: Request, pk: Any) -> None:
        raise FormError("these records are read-only in the panel")
