"""The base every Qonys admin view builds on.

Writes do not go through SQLAdmin's own ``Query``: ``insert_model``,
``update_model`` and ``delete_model`` open one transaction and call a service
(``create_row``, ``update_row``, ``delete_row`` of each view) with the
administrator as the viewer; the service checks the rules, writes and audits, so
the change and its audit event commit together or not at all. A refusal
(``ServiceError``, or ``FormError`` for what the panel itself asks) is shown on
the form (or on the list page for a delete) — never a 500. Reference data is
written by ``services.reference`` (``ReferenceView``), whose per-field rules
also check the form's fields before it is sent (``ServiceRule``).

Foreign keys: the models have no relationships, so SQLAdmin would leave the
``*_id`` columns out of forms and show bare numbers in lists. Here they become
select boxes of the referenced rows and are shown by code and name.
"""

from __future__ import annotations

from core.text import t

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqladmin import ModelView
from sqladmin.formatters import BASE_FORMATTERS
from sqladmin.forms import ModelConverter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from wtforms import Field, Form, SelectField, ValidationError
from wtforms.fields.core import UnboundField

from admin.auth import is_read_only, viewer_for
from admin.i18n import in_language
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
from services import reference
from services.errors import ServiceError
from services.viewer import Viewer

_LABELS_STATE = "qonys_fk_labels"


class FormError(Exception):
    """A rule refused the write; the message is shown to the administrator (in the panel's language)."""

    def __init__(self, message: str) -> None:
        super().__init__(in_language(message))


def service_error_message(exc: ServiceError) -> str:
    """The refusal as the panel shows it, in the panel's language."""
    parts = []
    for e in exc.errors:
        field = e.field[-1] if e.field else None
        message = in_language(e.message)
        parts.append(f"{field}: {message}" if field and field not in ("id", "input") else message)
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
        value = getattr(model, column_name)
        if value is None:
            return ""
        labels = getattr(request.state, _LABELS_STATE, {})
        return labels.get((table, value), value)

    return formatter


def json_formatter(model: Any, attribute: str) -> Markup:
    value = getattr(model, attribute)
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return Markup('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">') + escape(text) + Markup("</pre>")


def almaty_time(value: dt.datetime) -> str:
    """Timestamps as Kazakhstan reads them (stored in UTC)."""
    return value.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M:%S") + " (Almaty)"


TYPE_FORMATTERS = {**BASE_FORMATTERS, dt.datetime: almaty_time}


# ------------------------------------------------------------------ the base view


class ServiceRule:
    """A form validator that asks a service's rule for one value (``None`` when
    fine, else the problem), so the field shows the service's own words before
    the form is sent. ``flags`` are HTML hints for the browser (``min=0``)."""

    def __init__(self, rule: Callable[[Any], str | None], **flags: Any) -> None:
        self.rule = rule
        self.field_flags = flags

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and field.data != "":
            problem = self.rule(field.data)
            if problem:
                raise ValidationError(problem)


class QonysModelView(ModelView):
    """Common behaviour: writes through services in one transaction, FK selects,
    read-only for auditors."""

    # Set by admin.setup.mount_admin: the application's session factory.
    sessions: ClassVar[async_sessionmaker[AsyncSession]]
    settings: ClassVar[Settings]

    page_size = 25
    page_size_options = [25, 50, 100, 200]
    form_converter = ForeignKeyConverter
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS

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

    def edit_refusal(self, obj: Any) -> str | None:
        """The service's reason why ``obj`` may not be edited (no edit link, 403); None when it may."""
        return None

    def delete_refusal(self, obj: Any) -> str | None:
        return self.edit_refusal(obj)

    async def check_can_edit(self, request: Request, model: Any) -> bool:
        ok = await super().check_can_edit(request, model)
        return ok and (model is None or self.edit_refusal(model) is None)

    async def check_can_delete(self, request: Request, model: Any) -> bool:
        ok = await super().check_can_delete(request, model)
        return ok and (model is None or self.delete_refusal(model) is None)

    def _writer(self, request: Request) -> Viewer:
        if is_read_only(request):
            raise FormError(t("your account may only read"))
        return viewer_for(request)

    # -------------------------------------------------------------- labels

    async def _load_labels(self, request: Request, rows: Iterable[Any]) -> None:
        wanted: dict[str, set[int]] = {}
        for row in rows:
            for name, table in self._fk_columns.items():
                value = getattr(row, name)
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

    async def _run(self, request: Request, work: Callable[[AsyncSession, Viewer], Any]) -> Any:
        viewer = self._writer(request)
        try:
            async with transaction(self.sessions) as session:
                return await work(session, viewer)
        except ServiceError as exc:
            raise FormError(service_error_message(exc)) from None

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def delete_row(self, session: AsyncSession, viewer: Viewer, pk: int) -> None:
        raise NotImplementedError

    @staticmethod
    def _pk(pk: Any) -> int:
        try:
            return int(pk)
        except (TypeError, ValueError):
            raise FormError(t("no such record")) from None

    async def insert_model(self, request: Request, data: dict) -> Any:
        return await self._run(request, lambda s, v: self.create_row(s, v, data))

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        key = self._pk(pk)
        return await self._run(request, lambda s, v: self.update_row(s, v, key, data))

    async def delete_model(self, request: Request, pk: Any) -> None:
        key = self._pk(pk)
        await self._run(request, lambda s, v: self.delete_row(s, v, key))


class ReferenceView(QonysModelView):
    """Reference data, written through ``services.reference``; its field rules
    check the form's fields too."""

    def __init__(self) -> None:
        rules: Mapping[str, Callable[[Any], str | None]] = reference.RULES[self.model]
        form_args = {name: dict(args) for name, args in type(self).form_args.items()}
        for name, rule in rules.items():
            args = form_args.setdefault(name, {})
            args["validators"] = [*args.get("validators", []), ServiceRule(rule)]
        self.form_args = form_args
        super().__init__()

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        return await reference.create(session, viewer, self.model, data)

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        return await reference.update(session, viewer, self.model, pk, data)

    async def delete_row(self, session: AsyncSession, viewer: Viewer, pk: int) -> None:
        await reference.delete(session, viewer, self.model, pk)


class ReadOnlyView(QonysModelView):
    """Records written only by the services (ledgers, audit trail, applications)."""

    can_create = False
    can_edit = False
    can_delete = False

    async def insert_model(self, request: Request, data: dict) -> Any:
        raise FormError(t("these records are read-only in the panel"))

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        raise FormError(t("these records are read-only in the panel"))

    async def delete_model(self, request: Request, pk: Any) -> None:
        raise FormError(t("these records are read-only in the panel"))
