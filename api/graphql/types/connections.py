"""The connections of the contract: one generic edge and connection (Strawberry
names ``Edge[Application]`` ``ApplicationEdge``), and a ``totalCount`` where a
connection has one. ``api.graphql.paging`` fills them."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from api.graphql.types.applications import Application, Check
from api.graphql.types.common import PageInfo
from api.graphql.types.contracts import SocialContract
from api.graphql.types.residence import ContractBreach, ResidenceEvent

NodeT = TypeVar("NodeT")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    page_info: PageInfo
    edges: list[Edge[NodeT]]


@strawberry.type
class ApplicationConnection(Connection[Application]):
    total_count: int


@strawberry.type
class CheckConnection(Connection[Check]):
    pass


@strawberry.type
class SocialContractConnection(Connection[SocialContract]):
    total_count: int


@strawberry.type
class ResidenceEventConnection(Connection[ResidenceEvent]):
    total_count: int


@strawberry.type
class ContractBreachConnection(Connection[ContractBreach]):
    total_count: int
