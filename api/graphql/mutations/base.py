"""What every mutation shares: run a service in one transaction, turn its
``ServiceError`` into the payload's ``errors`` (nothing written), decode IDs,
read the row written back as committed.

Most mutations are declared in one line with ``Payload.mutation``: the input's
fields are the service's keyword arguments, global IDs among them are decoded
inside the transaction (a bad ID is a NOT_FOUND user error on its input field),
and the payload is read after the commit through the request's loaders, which
apply the viewer's row filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import strawberry
from strawberry.utils.str_converters import to_camel_case

from api.graphql import ids
from api.graphql.context import Info
from api.graphql.types import NODE_TYPES, ErrorCode, UserError
from api.graphql.types.common import PAYLOAD_FIELDS
from api.graphql.visibility import not_authenticated
from services import access
from services.errors import ServiceError
from services.errors import UserError as ServiceUserError
from services.errors import THINGS, not_found
from services.viewer import Viewer

T = TypeVar("T")

def to_graphql(errors: Sequence[ServiceUserError]) -> list[UserError]:
    return [UserError(field=list(e.field) if e.field else None, code=ErrorCode(e.code.value), message=e.message)
            for e in errors]

def require_signed_in(info: Info) -> None:
    if not access.may_write(info.context.viewer):
        raise not_authenticated()

def decode_id(value: strawberry.ID | str, type_name: str, *field: str) -> int:
    """The primary key of a global ID of ``type_name``; NOT_FOUND on the field otherwise."""
    pk = ids.decode_as(str(value), type_name)
    if pk is None:
        words = type_name[0].lower() + "".join(" " + c.lower() if c.isupper() else c for c in type_name[1:])
        raise not_found(THINGS.get(words, words), *field)
    return pk


def optional_id(type_name: str, *field: str) -> Callable[[Any], int | None]:
    """A ``convert`` function for an optional global ID of ``type_name``: None stays None."""
    def convert(value: Any) -> int | None:
        return None if value is None else decode_id(value, type_name, *field)
    return convert


def input_fields(value: Any) -> dict[str, Any]:
    """An input object's fields by their Python names, as given (nested inputs unconverted)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def instance_of(cls: Callable[..., T]) -> Callable[[Any], T]:
    """A ``convert`` function for a nested input object: the service's ``cls`` of its fields."""
    def convert(value: Any) -> T:
        return cls(**input_fields(value))
    return convert


def list_of(cls: Callable[..., T]) -> Callable[[list[Any] | None], list[T] | None]:
    """A ``convert`` function for a list of nested input objects, each the service's
    ``cls`` of its fields; None (left out) stays None."""
    def convert(values: list[Any] | None) -> list[T] | None:
        return None if values is None else [cls(**input_fields(value)) for value in values]
    return convert

async def run(info: Info, action: Callable[..., Awaitable[T]], *, own_transaction: bool = False
              ) -> tuple[T | None, list[UserError]]:
    """Run ``action(session)`` in one transaction; with ``own_transaction``, call
    ``action()``, a service that opens its transaction itself (with
    ``info.context.write``). On ``ServiceError`` everything is rolled back."""
    require_signed_in(info)
    try:
        if own_transaction:
            result = await action()
        else:
            async with info.context.write() as session:
                result = await action(session)
    except ServiceError as exc:
        return None, to_graphql(exc.errors)
    return result, []

@dataclasses.dataclass(frozen=True)
class Payload:
    """One payload type: ``type(**{field: build(row), "errors": [...]})`` of a ``model`` row."""

    model: type
    build: Callable[[Any], Any]
    type: type
    field: str

    @classmethod
    def of(cls, payload: type) -> Payload:
        """The ``Payload`` of a type ``payload_type`` made: rows of its node's model
        (``NODE_TYPES``), each built by the node type's ``from_row``."""
        field, node = PAYLOAD_FIELDS[payload]
        model = next(model for model, node_type in NODE_TYPES.values() if node_type is node)
        return cls(model, node.from_row, payload, field)

    async def respond(self, info: Info, action: Callable[..., Awaitable[int]], *, own_transaction: bool = False
                      ) -> Any:
        """Run ``action`` (which returns the id of the row it wrote) as ``run`` does,
        then read that row back as committed."""
        pk, errors = await run(info, action, own_transaction=own_transaction)
        row = await info.context.loaders.get(self.model, pk) if pk is not None else None
        return self.type(**{self.field: self.build(row) if row else None, "errors": errors})

    def mutation(self, input_type: type, service: Callable[..., Awaitable[Any]], *,
                 ids: Mapping[str, str] | None = None,
                 convert: Mapping[str, Callable[[Any], Any]] | None = None,
                 guard: Callable[[Viewer], None] | None = None) -> Any:
        """The mutation ``(input: input_type) -> type`` that runs
        ``service(session, viewer, **fields of input)`` and answers with the row it
        returns. First ``guard(viewer)`` when given; the fields named in ``ids`` are
        global IDs of the type each names (decoded, NOT_FOUND on ``input.<field>``
        otherwise); those in ``convert`` go through its function."""

        async def resolve(info: Info, input: Any) -> Any:
            async def action(session: Any) -> int:
                if guard is not None:
                    guard(info.context.viewer)
                arguments = input_fields(input)
                for name, type_name in (ids or {}).items():
                    arguments[name] = decode_id(arguments[name], type_name, "input", to_camel_case(name))
                for name, function in (convert or {}).items():
                    arguments[name] = function(arguments[name])
                row = await service(session, info.context.viewer, **arguments)
                return row.id  # type: ignore[no-any-return]

            return await self.respond(info, action)

        resolve.__annotations__ = {"info": Info, "input": input_type, "return": self.type}
        return strawberry.mutation(resolver=resolve)
