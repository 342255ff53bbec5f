"""The one adapter between the access declaration (``services.access``) and
normal execution: it attaches a field extension to every root field and to every
field that some caller class may not read, so that no resolver decides access.

- A root field a caller may not ask raises UNAUTHENTICATED (anonymous) or
  FORBIDDEN, or answers ``null`` where the declaration says so; a ``filter``
  field that tests a field the caller does not read raises FORBIDDEN on it.
- A hidden field answers ``null`` (a list ``[]``) without running its resolver.

The compiled read path reads the same declaration (``services.access.reads``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from core.text import t
from services import access


def not_authenticated() -> GraphQLError:
    return GraphQLError(t("authentication required"), extensions={"code": "UNAUTHENTICATED"})


def forbidden() -> GraphQLError:
    return GraphQLError(t("you may not read this"), extensions={"code": "FORBIDDEN"})


class RootGuard(FieldExtension):
    def __init__(self, root: str) -> None:
        self.root = root
        self.rule = access.ROOTS[root]

    def _allowed(self, info: Any) -> bool:
        viewer = info.context.viewer
        if access.caller_of(viewer) in self.rule.readers:
            return True
        if viewer.is_anonymous:
            raise not_authenticated()
        if self.rule.refusal == "NULL":
            return False
        raise forbidden()

    def _check_filter(self, info: Any, kwargs: dict[str, Any]) -> None:
        """FORBIDDEN on ``filter.<field>`` for a filter field that tests a field the
        caller does not read (``access.FILTERS``)."""
        given = filter_fields(kwargs.get("filter"))
        if given:
            refused = access.refused_filter(info.context.viewer, self.root, given)
            if refused is not None:
                where = "filter." + refused
                raise GraphQLError(t("you may not filter on {field}: it tests what you may not read", field=where),
                                   extensions={"code": "FORBIDDEN", "field": ["filter", refused]})

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        if not self._allowed(info):
            return None
        self._check_filter(info, kwargs)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any) -> Any:
        if not self._allowed(info):
            return None
        self._check_filter(info, kwargs)
        return await next_(source, info, **kwargs)


def filter_fields(value: Any) -> list[str]:
    """The GraphQL names of the fields given (not null) in a ``filter`` argument: a
    Strawberry input object, or the coerced dict of the compiled path."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [name for name, v in value.items() if v is not None]
    return [to_camel_case(name) for name, v in vars(value).items() if v is not None]


class Hidden(FieldExtension):
    """Answers the field's empty value to the caller classes that may not read it."""

    def __init__(self, readers: frozenset[access.Caller], is_list: bool) -> None:
        self.readers = readers
        self.is_list = is_list

    def _empty(self) -> list[Any] | None:
        return [] if self.is_list else None

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        if access.caller_of(info.context.viewer) in self.readers:
            return next_(source, info, **kwargs)
        return self._empty()

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any) -> Any:
        if access.caller_of(info.context.viewer) in self.readers:
            return await next_(source, info, **kwargs)
        return self._empty()


def hides_as_list(f: StrawberryField) -> bool:
    """Whether a hidden field reads as ``[]`` (a list) or ``null`` (nullable); a
    non-null field cannot be hidden."""
    if isinstance(f.type, StrawberryOptional):
        return False
    if isinstance(f.type, StrawberryList):
        return True
    raise TypeError(f"{f.name} is neither nullable nor a list: it cannot be hidden from anyone")


def apply(probe: Any) -> None:
    """Attach the declaration to every object type of ``probe`` (a schema built from
    the same types) before the real schema is built; idempotent."""
    from graphql import GraphQLObjectType

    for name, gql_field in probe._schema.query_type.fields.items():
        f = gql_field.extensions["strawberry-definition"]
        if not any(isinstance(e, RootGuard) for e in f.extensions):
            f.extensions.append(RootGuard(name))
    for gql_type in probe._schema.type_map.values():
        definition = (gql_type.extensions or {}).get("strawberry-definition") if isinstance(
            gql_type, GraphQLObjectType) else None
        if definition is None or gql_type.name.startswith("__") or access.is_structural(definition.name):
            continue
        for name, gql_field in gql_type.fields.items():
            f = gql_field.extensions["strawberry-definition"]
            if not access.hidden_from(definition.name, name) or any(isinstance(e, Hidden) for e in f.extensions):
                continue
            f.extensions.append(Hidden(access.field_readers(definition.name, name), hides_as_list(f)))
