"""Public, token-free downloads (SPEC §17): the selection rounds' statistics as
``/public/rounds.json`` and ``/public/rounds.csv`` (``?year=2026&regionCode=KZ-55``;
the year defaults to this year). What they hold is ``services.round_statistics``;
answers may be cached for five minutes by anyone (they name no person), and carry
an ETag so a client can ask again cheaply (``If-None-Match`` → 304)."""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.text import t
from models.base import today_almaty
from services import round_statistics
from services.errors import ServiceError

CACHE_CONTROL = "public, max-age=300"


def _refused(message: str, field: str) -> JSONResponse:
    return JSONResponse({"errors": [{"field": [field], "code": "INVALID_INPUT", "message": message}]},
                        status_code=400, headers={"Cache-Control": "no-store"})


async def rounds_json(request: Request) -> Response:
    return await _rounds(request, "json")


async def rounds_csv(request: Request) -> Response:
    return await _rounds(request, "csv")


async def _rounds(request: Request, kind: str) -> Response:
    raw_year = request.query_params.get("year")
    try:
        year = int(raw_year) if raw_year is not None else today_almaty().year
    except ValueError:
        return _refused(t("year must be a whole number, e.g. {example}", example=2026), "year")
    state = request.app.state
    replica = state.replica  # statistics for anyone: the read replica's when it is up
    sessions = replica.sessions if replica is not None and replica.available() else state.read_sessions
    async with sessions() as session:
        try:
            found = await round_statistics.selection_round_statistics(
                session, year=year, region_code=request.query_params.get("regionCode"))
        except ServiceError as exc:  # the year's range, the region's code
            error = exc.errors[0]
            return _refused(error.message, error.field[-1] if error.field else "year")
    if kind == "csv":
        body = round_statistics.as_csv(found).encode("utf-8")
        media_type = "text/csv; charset=utf-8"
    else:
        body = json.dumps({"year": year, "rounds": round_statistics.as_json(found)}, ensure_ascii=False).encode()
        media_type = "application/json"
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
