"""What every read type shares: the enums of the contract, ``Node``, ``PageInfo``,
``UserError``, and how a read type is built from its table row."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from graphql import GraphQLError

from api.graphql import ids
from api.graphql.context import Info
from api.graphql.readmap import TYPES, scalars_of
from models import enums
from services import errors

Route = strawberry.enum(enums.Route)  # type: ignore[misc]
ApplicationStatus = strawberry.enum(enums.ApplicationStatus)  # type: ignore[misc]
LanguageLevel = strawberry.enum(enums.LanguageLevel, description="KAZTEST levels.")  # type: ignore[misc]
Proficiency = strawberry.enum(enums.Proficiency, description="Self-declared command of a language other than Kazakh.")  # type: ignore[misc]
Sex = strawberry.enum(enums.Sex)  # type: ignore[misc]
EducationLevel = strawberry.enum(enums.EducationLevel)  # type: ignore[misc]
FamilyRelation = strawberry.enum(enums.FamilyRelation, description="How a family member is related to the principal applicant.")  # type: ignore[misc]
CheckStatus = strawberry.enum(enums.CheckStatus)  # type: ignore[misc]
InterviewOutcome = strawberry.enum(enums.InterviewOutcome)  # type: ignore[misc]
QuotaKind = strawberry.enum(enums.QuotaKind)  # type: ignore[misc]
ContractStatus = strawberry.enum(enums.ContractStatus)  # type: ignore[misc]
TerminationReason = strawberry.enum(enums.TerminationReason)  # type: ignore[misc]
ScoringModelStatus = strawberry.enum(enums.ScoringModelStatus)  # type: ignore[misc]
DecisionOutcome = strawberry.enum(  # type: ignore[misc]
    enums.DecisionOutcome, description="How an application left the undecided states: decided, or withdrawn.")
ErrorCode = strawberry.enum(errors.ErrorCode)  # type: ignore[misc]


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A problem with the caller's request. Nothing was written when a payload carries one.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the offending input field, e.g. ["input", "applicant", "iin"].'
    )
    code: ErrorCode
    message: str


async def linked(info: Info, node: Any, model: type, pk: int | None) -> Any:
    """The ``node`` of the ``model`` row that ``pk`` names, read through the request's
    loaders (its row filters apply); None when there is none."""
    row = await info.context.loaders.get(model, pk)
    return node.from_row(row) if row else None


def linked_field(node: Any, model: type, key: str, *, optional: bool = False,
                 description: str | None = None) -> Any:
    """The field that reads the ``node`` its row's ``key`` (an id) refers to, through
    ``linked``; null when there is none if ``optional``."""

    async def resolve(self: Any, info: Info) -> Any:
        return await linked(info, node, model, getattr(self, key))

    resolve.__annotations__ = {"info": Info, "return": node | None if optional else node}
    return strawberry.field(resolver=resolve, description=description)


def child_field(node: Any, key: str = "application_id", *, many: bool = False, order_by: str = "id",
                description: str | None = None) -> Any:
    """The field that reads the ``node`` (or, ``many``, the list of them ordered by
    ``order_by``) whose row's ``key`` refers to this object's row."""

    async def resolve(self: Any, info: Info) -> Any:
        if many:
            return await node.many_by(info, key, self.pk, order_by)
        return await node.one_by(info, key, self.pk)

    resolve.__annotations__ = {"info": Info, "return": list[node] if many else node | None}
    return strawberry.field(resolver=resolve, description=description)


# Each payload type ``payload_type`` made -> (its field, the node type of that field).
PAYLOAD_FIELDS: dict[type, tuple[str, type]] = {}


def payload_type(name: str, field: str, node: type) -> Any:
    """A mutation's payload ``name``: the ``field`` it wrote (a ``node``, null on a
    refusal) and the ``errors`` that say why not."""
    annotations = {field: node | None, "errors": list[UserError]}
    made = strawberry.type(type(name, (), {"__annotations__": annotations}))
    PAYLOAD_FIELDS[made] = (field, node)
    return made




def refusal(exc: errors.ServiceError) -> GraphQLError:
    """A service's refusal of a read as a top-level GraphQL error with its code."""
    first = exc.errors[0]
    return GraphQLError(first.message, extensions={"code": first.code.value})


def service_call(call: Any) -> Any:
    """``call()``, a service's refusal raised as a GraphQL error with its code (for a
    read field whose service refuses some callers)."""
    try:
        return call()
    except errors.ServiceError as exc:
        raise refusal(exc) from None


class FromRow:
    """A read type built from its table row: the column fields as the read map
    (``api.graphql.readmap``) lists them, the global ``id`` when the type is a
    node, and every other field (the private keys its resolvers load by) from the
    row's column of the same name (``pk`` is the row's id)."""

    @classmethod
    def from_row(cls, r: Any) -> Any:
        name = cls.__name__
        values = scalars_of(name, r)
        if TYPES[name].node:
            values["id"] = strawberry.ID(ids.encode(name, r.id))
        keys = _KEYS.get(cls)
        if keys is None:
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]
            keys = _KEYS[cls] = tuple(f.name for f in fields if f.init and f.name not in values)
        for key in keys:
            values[key] = r.id if key == "pk" else getattr(r, key)
        return cls(**values)

    @classmethod
    async def one_by(cls, info: Info, column: str, key: int) -> Any:
        """The object whose row's ``column`` is ``key`` (a unique foreign key), or None."""
        row = await info.context.loaders.one_by(TYPES[cls.__name__].model, column).load(key)
        return cls.from_row(row) if row else None

    @classmethod
    async def many_by(cls, info: Info, column: str, key: int, order_by: str = "id") -> list[Any]:
        """The objects whose rows' ``column`` is ``key``, ordered by ``order_by`` and id."""
        rows = await info.context.loaders.many_by(TYPES[cls.__name__].model, column, order_by).load(key)
        return [cls.from_row(r) for r in rows]


_KEYS: dict[type, tuple[str, ...]] = {}
