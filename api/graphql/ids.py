"""Global IDs: base64 of "TypeName:primary key"."""

from __future__ import annotations

import base64
import binascii

from graphql import GraphQLError

from core.globalid import encode


class BadGlobalId(GraphQLError):
    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not a valid ID", extensions={"code": "BAD_ID"})


def decode(value: str) -> tuple[str, int] | None:
    """(type name, primary key) or None when the value is not one of our IDs."""
    try:
        text = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = text.partition(":")
    if not sep or not type_name or not pk.isdigit() or len(pk) > 18:
        return None
    return type_name, int(pk)


def decode_as(value: str, type_name: str) -> int | None:
    decoded = decode(value)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]


__all__ = ["BadGlobalId", "decode", "decode_as", "encode"]
