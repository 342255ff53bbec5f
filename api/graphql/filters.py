"""What the list roots' filters share: a refused argument, an ID, a region code, and how
a filter's fields become the named parameters and conditions of a page query
(``api.graphql.paging.PageQuery``)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from sqlalchemy import select

import models as m
from api.graphql import ids
from api.graphql.paging import PageQuery
from core.text import t
from services import rules


def invalid_argument(message: str, *field: str) -> GraphQLError:
    """A refused argument value: ``INVALID_INPUT`` with its input path, as a payload's ``UserError``."""
    return GraphQLError(t("{where}: {problem}", where=".".join(field), problem=message),
                        extensions={"code": "INVALID_INPUT", "field": list(field)})


def id_argument(value: Any, type_name: str, *field: str, problem: str) -> int:
    """The primary key of a global ID argument of ``type_name``; ``problem`` on ``field``
    (``invalid_argument``) when it is not one."""
    pk = ids.decode_as(str(value), type_name)
    if pk is None:
        raise invalid_argument(problem, *field)
    return pk


def region_code_argument(code: str, *field: str) -> str:
    """A region code argument read as ``submitApplication`` reads one (``"kz-55"`` is ``KZ-55``);
    an unknown code is refused rather than matching nothing."""
    problem = rules.region_code_problem(code)
    if problem is not None:
        raise invalid_argument(problem, *field)
    return rules.normalise_region_code(code)


def take_region(p: PageQuery, filter: Any) -> None:
    """The filter's ``regionCode``, when given, as the parameter ``f_region``."""
    code = getattr(filter, "region_code", None)
    if code is not None:
        p.set("f_region", region_code_argument(code, "filter", "regionCode"))


def in_region(p: PageQuery, region_id: Any) -> Any:
    """``region_id`` is the id of the region whose code the ``f_region`` parameter holds."""
    return region_id.in_(select(m.Region.id).where(m.Region.code == p("f_region", m.Region.code)))


def region_condition(p: PageQuery, region_id: Any) -> list[Any]:
    """``in_region`` when the query has a region code, else nothing."""
    return [in_region(p, region_id)] if "f_region" in p else []
