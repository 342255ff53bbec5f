"""What every mutation shares: run a service in one transaction, turn its
``ServiceError`` into the payload's ``errors`` (nothing written), decode IDs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql import ids
from api.graphql.context import Info
from api.graphql.types import ErrorCode, UserError
from api.graphql.visibility import not_authenticated
from services import access
from services.errors import ServiceError
from services.errors import UserError as ServiceUserError
from services.errors import not_found

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
        raise not_found(type_name[0].lower() + "".join(
            " " + c.lower() if c.isupper() else c for c in type_name[1:]), *field)
    return pk


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


def payload_of(model: type, build: Callable[[Any], Any], payload: type, field: str
               ) -> Callable[..., Awaitable[Any]]:
    """The responder of one payload type: run ``action`` (which returns the id of the
    row it wrote) as ``run`` does, then read that row back as committed."""

    async def respond(info: Info, action: Callable[..., Awaitable[int]], *, own_transaction: bool = False) -> Any:
        pk, errors = await run(info, action, own_transaction=own_transaction)
        row = await info.context.loaders.get(model, pk) if pk is not None else None
        return payload(**{field: build(row) if row else None, "errors": errors})

    return respond
