"""GraphQL over HTTP for the equivalence checks: a request, where two answers differ, ids and orders."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import httpx


def gql(client: httpx.Client, url: str, query: str, variables: dict[str, Any], auth: str | None = None) -> dict[str, Any]:
    headers = {"authorization": auth} if auth else {}
    r = client.post(url, json={"query": query, "variables": variables}, headers=headers)
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(f"{url}: {json.dumps(body['errors'])[:500]}")
    return body


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two parsed JSON documents first differ (None when they are equal)."""
    if type(a) is not type(b):
        return f"{path or '/'}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"
    if isinstance(a, dict):
        for k in list(dict.fromkeys([*a, *b])):
            if k not in a or k not in b:
                return f"{path}/{k}: missing on one side"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"


def shuffled(n: int) -> list[int]:
    """A fixed permutation of range(n): the servers get their requests in the same order, and any prefix
    (all a slow server gets through in a run) is a fair sample of the whole list."""
    order = list(range(n))
    random.Random(20260101).shuffle(order)
    return order


def decode_gid(value: str) -> int:
    return int(base64.b64decode(value).decode().split(":", 1)[1])
