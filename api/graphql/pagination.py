"""Keyset pagination: a cursor is the sort key of the last row seen, never an offset."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from graphql import GraphQLError
from core.text import t

MAX_PAGE = 100
DEFAULT_PAGE = 20


class BadCursor(GraphQLError):
    def __init__(self) -> None:
        super().__init__("the cursor is not valid", extensions={"code": "BAD_CURSOR"})


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0:
        raise GraphQLError(t("first must not be negative"), extensions={"code": "BAD_USER_INPUT"})
    return min(first, MAX_PAGE)


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return {"t": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    return v


def _typed(v: Any) -> Any:
    if isinstance(v, dict):
        if "t" in v:
            return dt.datetime.fromisoformat(v["t"])
        if "d" in v:
            return dt.date.fromisoformat(v["d"])
    return v


def encode_cursor(kind: str, *values: Any) -> str:
    raw = json.dumps([kind, *[_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


# The type of the sort key each kind of cursor carries.
KEY_TYPES = {"new": "datetime", "feed": "datetime", "contract": "datetime", "due": "date",
             "residence": "datetime", "breach": "datetime",
             "kandas": "date", "review": "date",
             "employer": "datetime", "permit": "datetime", "violation": "datetime"}
MAX_ID = 2**63 - 1


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    """The sort key and id of a cursor of ``kind``; ``BadCursor`` for anything else,
    including well-formed JSON with values of the wrong type or range."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not isinstance(data, list) or data[0] != kind or len(data) != arity + 1:
            raise ValueError
        values = [_typed(v) for v in data[1:]]
        last_id = values[-1]
        if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 <= last_id <= MAX_ID:
            raise ValueError
        key_type = KEY_TYPES.get(kind)
        if arity == 2 and key_type == "datetime":
            if not isinstance(values[0], dt.datetime) or values[0].tzinfo is None:
                raise ValueError
        elif arity == 2 and key_type == "date":
            if not isinstance(values[0], dt.date) or isinstance(values[0], dt.datetime):
                raise ValueError
        return values
    except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
        raise BadCursor() from None
