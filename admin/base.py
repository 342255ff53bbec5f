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

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
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

from admin import exports
from admin.auth import is_read_only, viewer_for
from admin.exports import EXPORT_TYPES
from admin.i18n import in_language
from core.settings import Settings
from core.clock import today_almaty
from core.db import transaction
from core.text import t
from services import labels as record_labels
from services import reference
from services.errors import ServiceError
from services.viewer import Viewer

_LABELS_STATE = "qonys_fk_labels"


# The menu's categories (each view names its own, or has its base's).
REFERENCE = "Reference data"
QUOTAS = "Quotas and scoring"
CASES = "Applications and contracts"
SECURITY = "Access and audit"


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

# Tables whose records have a name (services.labels) and, but for applicants, a page here.
FK_TARGETS = frozenset(record_labels.SOURCES)
NO_PAGE = frozenset({"applicant"})


def details_url(request: Request, table: str, pk: Any) -> str:
    """The panel's page of a record of ``table`` (its view's identity is the table's name, dashed)."""
    return str(request.url_for("admin:details", identity=table.replace("_", "-"), pk=str(pk)))


def record_link(request: Request, table: str, pk: Any, text: str) -> Markup:
    if table in NO_PAGE:
        return escape(text)
    return Markup('<a href="{}">{}</a>').format(details_url(request, table, pk), text)


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


def fk_label(request: Request, table: str, value: Any) -> str:
    """The name of a referenced record loaded for this request (``_load_labels``)."""
    return getattr(request.state, _LABELS_STATE, {}).get((table, value), f"#{value}")


def _fk_formatter(column_name: str, table: str) -> Callable[[Any, str, Request], Any]:
    def formatter(model: Any, attribute: str, request: Request) -> Any:
        value = getattr(model, column_name)
        if value is None:
            return ""
        return record_link(request, table, value, fk_label(request, table, value))

    return formatter


def _own_link_formatter(column_name: str, table: str) -> Callable[[Any, str, Request], Any]:
    def formatter(model: Any, attribute: str, request: Request) -> Any:
        value = getattr(model, column_name)
        return Markup('<a href="{}">{}</a>').format(details_url(request, table, model.id), value)

    return formatter


def json_formatter(model: Any, attribute: str) -> Markup:
    value = getattr(model, attribute)
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return Markup('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">') + escape(text) + Markup("</pre>")


def almaty_time(value: dt.datetime) -> str:
    """Timestamps as Kazakhstan reads them (stored in UTC), with the offset."""
    return record_labels.local_time(value)


def human(value: Any, empty: str = "—") -> str:
    """A value as a person reads it (as the exports write it: enum members by their value,
    timestamps in Almaty time with the offset, yes/no), money with two decimals; ``empty`` for nothing."""
    value = exports.cell(value)
    if value is None or value == "":
        return empty
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    return exports.csv_text(value)


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

    # The column that names a row (a number, a code): shown as the link to its page.
    link_column: ClassVar[str | None] = None

    export_types = EXPORT_TYPES

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
        own_table = sa.inspect(self.model).local_table.name
        self.column_formatters = {
            **({self.link_column: _own_link_formatter(self.link_column, own_table)} if self.link_column else {}),
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

    def references(self, row: Any) -> Iterable[tuple[str, int]]:
        """The records ``row`` names (table, id), whose names the page shows."""
        for name, table in self._fk_columns.items():
            value = getattr(row, name)
            if value is not None:
                yield table, value

    async def _load_labels(self, request: Request, rows: Iterable[Any]) -> None:
        wanted: dict[str, set[int]] = {}
        for row in rows:
            for table, value in self.references(row):
                wanted.setdefault(table, set()).add(value)
        labels: dict[tuple[str, int], str] = dict(getattr(request.state, _LABELS_STATE, {}))
        if wanted:
            async with self.sessions() as session:
                for table, ids in wanted.items():
                    for pk, text in (await record_labels.labels(session, table, ids)).items():
                        labels[(table, pk)] = text
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

    # -------------------------------------------------------------- exports

    async def export_data(self, data: list[Any], export_type: str = "csv", request: Request | None = None) -> Any:
        """The list's columns, with references by name and values as people read them (admin.exports)."""
        if request is not None:
            await self._load_labels(request, data)

        def reference(row: Any, column: str) -> str | None:
            table = self._fk_columns.get(column)
            value = getattr(row, column, None)
            if table is None or value is None or request is None:
                return None
            return fk_label(request, table, value)

        header, body = exports.table(data, self._export_prop_names, self._column_labels, reference)
        name = f"{self.name_plural} {today_almaty().isoformat()}".replace(" ", "_")
        if export_type == "xlsx":
            return exports.xlsx_response(name, self.name_plural, header, body)
        return exports.csv_response(name, header, body)

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
                choices: list[tuple[Any, str]] = list(await record_labels.choices(session, table))
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

    category = REFERENCE

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
