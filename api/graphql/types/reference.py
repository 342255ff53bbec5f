"""Reference data: regions, agencies and the checks they run, occupations and
the deficit lists."""

from __future__ import annotations

from typing import Any

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.readmap import localized_name, or_english
from api.graphql.types.common import FromRow, Node, linked_field


def name_field(whose: str | None = None) -> Any:
    """``name``: a row's name in the request's language, of its ``name_kk``, ``name_ru`` and ``name_en``."""
    subject = f"The {whose}'s name" if whose else "The name"
    return strawberry.field(description=f"{subject} in the request's language (Accept-Language: kk, ru or en; "
                                        "English without it).")


@strawberry.type
class Region(Node, FromRow):
    code: str = strawberry.field(description="ISO 3166-2 code of the oblast or city of republican significance, e.g. KZ-55.")
    name_kk: str
    name_ru: str
    name_en: str
    labour_deficit: bool
    name: str = name_field("region")


@strawberry.type
class Agency(Node, FromRow):
    code: str
    name: str = name_field()
    name_kk: str
    name_ru: str
    name_en: str


@strawberry.type
class CheckType(Node, FromRow):
    code: str
    name: str = name_field()
    name_kk: str
    name_ru: str
    name_en: str
    mandatory: bool
    agency_id: strawberry.Private[int]

    agency = linked_field(Agency, m.Agency, "agency_id")


@strawberry.type(description="An ISCO-08 unit group (reference data).")
class Occupation:
    code: str = strawberry.field(description="ISCO-08 unit group code, 4 digits.")
    name: str = name_field("occupation")
    name_en: str
    name_ru: str
    name_kk: str

    @classmethod
    def from_row(cls, r: m.Occupation) -> "Occupation":
        return cls(code=r.code, name=localized_name(r.name_en, r.name_kk, r.name_ru), name_en=r.name_en,
                   name_ru=r.name_ru, name_kk=or_english(r.name_kk, r.name_en))


async def occupation_code_of(info: Info, occupation_id: int | None) -> str | None:
    """The code of the occupation a row points at (``occupationCode`` fields)."""
    occupation = await info.context.loaders.get(m.Occupation, occupation_id)
    return occupation.code if occupation else None


@strawberry.type(description="The occupations a region lists as in deficit for a year (LABOUR route).")
class DeficitList:
    year: int
    region: Region
    occupations: list[Occupation]
