"""Global IDs as the API spells them (base64 of "TypeName:primary key"): the API
decodes them (``api.graphql.ids``); the services write them where a message
leaves the system (a webhook names the checks an agency records by them)."""

from __future__ import annotations

import base64


def encode(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()
