"""The raw endpoint: the practical limit for the same pages.

Starlette + asyncpg, one hand-written SQL statement per request that builds the
finished JSON response inside PostgreSQL (``json_build_object``/``json_agg``);
Python only checks the caller, decodes the cursor and copies bytes. The JSON has
the shape, names and value formats of Qonys's answer to the same GraphQL
document (ids, cursors, timestamps, decimals), so ``bench/load.py`` can check
that both return the same page.

Benchmark only (``bench/run`` starts it on port 8103); never imported by Qonys.

Endpoints (POST, body ``{"query": ..., "variables": {...}}`` like a GraphQL
request; the query text is ignored, the variables are read):

- ``/officers``     workload (1): ``variables.after`` is a Qonys ``applications`` cursor
- ``/application``  workload (3): ``variables.id`` is a Qonys global id
- ``/feed``         workload (2): ``variables.after`` is a Qonys ``checkResults`` cursor

Officer requests must carry the same HS256 JWT Qonys accepts (verified with
PyJWT, one call per request). The feed serves the agency named by
``BENCH_RAW_AGENCY`` (default GPO): its readable check types are read once at
start, so unlike Qonys there is no API-key lookup per request.

Run: ``BENCH_RAW_DSN=postgresql://… QONYS_SECRET_KEY=… uvicorn bench.raw_server:app --port 8103``
(or ``python bench/raw_server.py``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DSN = os.environ.get("BENCH_RAW_DSN", "postgresql://postgres@127.0.0.1:5499/qonys_bench")
SECRET = os.environ.get("QONYS_SECRET_KEY", "")
AGENCY = os.environ.get("BENCH_RAW_AGENCY", "GPO")
POOL = int(os.environ.get("BENCH_RAW_POOL", "10"))
PAGE = 50
FEED_PAGE = 100


# ---------------------------------------------------------------- SQL fragments
# Each returns SQL text; they are expanded once, at import, into three statements.


def iso(col: str) -> str:
    """A timestamptz as Python's ``datetime.isoformat()`` in UTC (Qonys's format)."""
    return f"(replace(to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00')"


def iso_or_null(col: str) -> str:
    return f"CASE WHEN {col} IS NULL THEN NULL ELSE {iso(col)} END"


def gid(type_name: str, col: str) -> str:
    """A Qonys global id: base64 of "Type:pk"."""
    return f"encode(convert_to('{type_name}:' || {col}, 'UTF8'), 'base64')"


def cursor(kind: str, ts: str, pk: str) -> str:
    """A Qonys keyset cursor: urlsafe base64 of ["kind",{"t":"<iso>"},pk]."""
    raw = f"'[\"{kind}\",{{\"t\":\"' || {iso(ts)} || '\"}},' || {pk} || ']'"
    return f"translate(encode(convert_to({raw}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


def applicant(alias: str, *, iin: bool) -> str:
    return f"""(SELECT json_build_object(
        'id', {gid('Applicant', 'p.id')},{" 'iin', p.iin," if iin else ""}
        'fullName', p.full_name, 'birthDate', p.birth_date, 'sex', p.sex, 'citizenship', p.citizenship,
        'ethnicKazakh', p.ethnic_kazakh, 'documentNumber', p.document_number)
      FROM applicant p WHERE p.id = {alias}.applicant_id)"""


def region(fk: str, *, all_names: bool) -> str:
    names = "'nameKk', r.name_kk, 'nameRu', r.name_ru, 'nameEn', r.name_en" if all_names else "'nameEn', r.name_en"
    return f"""(SELECT json_build_object('id', {gid('Region', 'r.id')}, 'code', r.code, {names},
        'labourDeficit', r.labour_deficit) FROM region r WHERE r.id = {fk})"""


def language_test(alias: str) -> str:
    return f"""(SELECT json_build_object('level', lt.level, 'listeningPercent', lt.listening_percent,
        'readingPercent', lt.reading_percent, 'certificateNumber', lt.certificate_number, 'takenOn', lt.taken_on)
      FROM language_test lt WHERE lt.application_id = {alias}.id)"""


def questionnaire(alias: str) -> str:
    return f"""(SELECT json_build_object('educationLevel', q.education_level,
        'workExperienceYears', q.work_experience_years, 'familySize', q.family_size, 'russian', q.russian,
        'english', q.english, 'relativesInKazakhstan', q.relatives_in_kazakhstan,
        'priorStayInKazakhstan', q.prior_stay_in_kazakhstan, 'criminalRecord', q.criminal_record,
        'deportedBefore', q.deported_before, 'savings', q.savings::text, 'submittedAt', {iso('q.submitted_at')},
        'occupationCode', (SELECT o.code FROM occupation o WHERE o.id = q.occupation_id))
      FROM questionnaire q WHERE q.application_id = {alias}.id)"""


def checks(alias: str, *, full: bool) -> str:
    details = "'details', c.details, " if full else ""
    type_id = f"'id', {gid('CheckType', 't.id')}, " if full else ""
    agency_id = f"'id', {gid('Agency', 'g.id')}, " if full else ""
    return f"""(SELECT coalesce(json_agg(json_build_object('id', {gid('Check', 'c.id')}, 'status', c.status, {details}
        'requestedAt', {iso('c.requested_at')}, 'completedAt', {iso_or_null('c.completed_at')},
        'updatedAt', {iso('c.updated_at')},
        'checkType', json_build_object({type_id}'code', t.code, 'name', t.name, 'mandatory', t.mandatory,
          'agency', json_build_object({agency_id}'code', g.code, 'name', g.name))) ORDER BY c.id), '[]'::json)
      FROM check_result c JOIN check_type t ON t.id = c.check_type_id JOIN agency g ON g.id = t.agency_id
      WHERE c.application_id = {alias}.id)"""


def interview(alias: str) -> str:
    return f"""(SELECT json_build_object('scheduledAt', {iso('i.scheduled_at')}, 'outcome', i.outcome,
        'points', i.points, 'notes', i.notes) FROM interview i WHERE i.application_id = {alias}.id)"""


def score(alias: str) -> str:
    # The score's figures, gates and breakdown are the stored result (as Qonys serves them:
    # the stored keys are exactly the fields asked for).
    return f"""(SELECT json_build_object('total', (s.result->>'total')::int, 'maxTotal', (s.result->>'maxTotal')::int,
        'passMark', (s.result->>'passMark')::int, 'passed', (s.result->>'passed')::boolean,
        'modelVersion', s.model_version, 'computedAt', {iso('s.computed_at')},
        'gates', coalesce(s.result->'gates', '[]'::jsonb), 'breakdown', coalesce(s.result->'breakdown', '[]'::jsonb))
      FROM score s WHERE s.application_id = {alias}.id)"""


def contract(alias: str) -> str:
    return f"""(SELECT json_build_object('id', {gid('SocialContract', 'k.id')}, 'number', k.number,
        'familySize', k.family_size, 'startDate', k.start_date, 'endDate', k.end_date, 'status', k.status,
        'totalSupport', k.total_support::text,
        'region', (SELECT json_build_object('code', r.code, 'nameEn', r.name_en) FROM region r WHERE r.id = k.region_id),
        'payments', coalesce((SELECT json_agg(json_build_object('measureCode', m.code, 'amount', sp.amount::text,
            'paidOn', sp.paid_on) ORDER BY sp.paid_on, sp.id)
          FROM support_payment sp JOIN support_measure m ON m.id = sp.measure_id WHERE sp.contract_id = k.id), '[]'::json),
        'termination', (SELECT json_build_object('reason', ct.reason, 'effectiveDate', ct.effective_date,
            'refundDue', ct.refund_due::text, 'refundPaid', ct.refund_paid::text,
            'refundOutstanding', (ct.refund_due - ct.refund_paid)::text)
          FROM contract_termination ct WHERE ct.contract_id = k.id))
      FROM social_contract k WHERE k.application_id = {alias}.id)"""


def list_node(a: str) -> str:
    return f"""json_build_object('id', {gid('Application', f'{a}.id')}, 'number', {a}.number, 'route', {a}.route,
      'status', {a}.status, 'submittedAt', {iso(f'{a}.submitted_at')}, 'dueDate', {a}.due_date,
      'applicant', {applicant(a, iin=False)}, 'targetRegion', {region(f'{a}.target_region_id', all_names=False)},
      'languageTest', {language_test(a)}, 'questionnaire', {questionnaire(a)}, 'checks', {checks(a, full=False)},
      'interview', {interview(a)}, 'score', {score(a)})"""


def full_node(a: str) -> str:
    return f"""json_build_object('id', {gid('Application', f'{a}.id')}, 'number', {a}.number, 'route', {a}.route,
      'status', {a}.status, 'submittedAt', {iso(f'{a}.submitted_at')}, 'dueDate', {a}.due_date,
      'occupationCode', (SELECT o.code FROM occupation o WHERE o.id = {a}.occupation_id),
      'applicant', {applicant(a, iin=True)}, 'targetRegion', {region(f'{a}.target_region_id', all_names=True)},
      'languageTest', {language_test(a)}, 'questionnaire', {questionnaire(a)}, 'checks', {checks(a, full=True)},
      'interview', {interview(a)}, 'score', {score(a)}, 'contract', {contract(a)})"""


def officers_sql(with_cursor: bool) -> str:
    after = "WHERE (a.submitted_at, a.id) < ($1::timestamptz, $2::bigint)" if with_cursor else ""
    return f"""
WITH page AS (
  SELECT a.* FROM application a {after}
  ORDER BY a.submitted_at DESC, a.id DESC LIMIT {PAGE + 1}
), shown AS (
  SELECT * FROM page ORDER BY submitted_at DESC, id DESC LIMIT {PAGE}
)
SELECT json_build_object('data', json_build_object('applications', json_build_object(
  'pageInfo', json_build_object(
     'hasNextPage', (SELECT count(*) FROM page) > {PAGE},
     'endCursor', (SELECT {cursor('new', 's.submitted_at', 's.id')} FROM shown s
                   ORDER BY s.submitted_at, s.id LIMIT 1)),
  'edges', coalesce((SELECT json_agg(json_build_object('cursor', {cursor('new', 'a.submitted_at', 'a.id')},
                     'node', {list_node('a')}) ORDER BY a.submitted_at DESC, a.id DESC) FROM shown a), '[]'::json)
)))::text"""


APPLICATION_SQL = f"""
SELECT json_build_object('data', json_build_object('application',
  (SELECT {full_node('a')} FROM application a WHERE a.id = $1::bigint)))::text"""


def feed_sql(with_cursor: bool) -> str:
    after = "AND (c.updated_at, c.id) > ($2::timestamptz, $3::bigint)" if with_cursor else ""
    return f"""
WITH page AS (
  SELECT c.* FROM check_result c WHERE c.check_type_id = ANY($1::int[]) {after}
  ORDER BY c.updated_at, c.id LIMIT {FEED_PAGE + 1}
), shown AS (
  SELECT * FROM page ORDER BY updated_at, id LIMIT {FEED_PAGE}
)
SELECT json_build_object('data', json_build_object('checkResults', json_build_object(
  'pageInfo', json_build_object(
     'hasNextPage', (SELECT count(*) FROM page) > {FEED_PAGE},
     'endCursor', (SELECT {cursor('feed', 's.updated_at', 's.id')} FROM shown s
                   ORDER BY s.updated_at DESC, s.id DESC LIMIT 1)),
  'edges', coalesce((SELECT json_agg(json_build_object('cursor', {cursor('feed', 'c.updated_at', 'c.id')},
     'node', json_build_object('id', {gid('Check', 'c.id')}, 'status', c.status, 'details', c.details,
        'requestedAt', {iso('c.requested_at')}, 'completedAt', {iso_or_null('c.completed_at')},
        'updatedAt', {iso('c.updated_at')},
        'checkType', (SELECT json_build_object('code', t.code) FROM check_type t WHERE t.id = c.check_type_id),
        'application', (SELECT json_build_object('id', {gid('Application', 'a.id')}, 'number', a.number,
            'applicant', (SELECT json_build_object('fullName', p.full_name, 'birthDate', p.birth_date,
                'citizenship', p.citizenship, 'documentNumber', p.document_number)
              FROM applicant p WHERE p.id = a.applicant_id))
          FROM application a WHERE a.id = c.application_id)))
     ORDER BY c.updated_at, c.id) FROM shown c), '[]'::json)
)))::text"""


OFFICERS_FIRST, OFFICERS_AFTER = officers_sql(False), officers_sql(True)
FEED_FIRST, FEED_AFTER = feed_sql(False), feed_sql(True)


# ---------------------------------------------------------------- request handling


class BadRequest(Exception):
    pass


def decode_cursor(kind: str, value: str) -> tuple[dt.datetime, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(value.encode()))
        if data[0] != kind:
            raise ValueError
        return dt.datetime.fromisoformat(data[1]["t"]), int(data[2])
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise BadRequest("the cursor is not valid") from None


async def variables(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
        return body.get("variables") or {}
    except (ValueError, AttributeError):
        raise BadRequest("the body is not a GraphQL request") from None


def require_officer(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise PermissionError
    try:
        claims = jwt.decode(token.strip(), SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        raise PermissionError from None
    if claims.get("role") not in ("OFFICER", "ADMIN"):
        raise PermissionError


def answer(text: str | None) -> Response:
    return Response(text or '{"data":null}', media_type="application/json")


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


def endpoint(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A GraphQL-like endpoint: no credential is a 401, a bad request a 400, as Qonys answers them."""

    async def respond(request: Request) -> Response:
        try:
            return await handler(request)
        except PermissionError:
            return error("authentication required", 401)
        except BadRequest as exc:
            return error(str(exc), 400)

    return respond


@endpoint
async def officers(request: Request) -> Response:
    require_officer(request)
    after = (await variables(request)).get("after")
    async with request.app.state.pool.acquire() as conn:
        if after is None:
            return answer(await conn.fetchval(OFFICERS_FIRST))
        ts, pk = decode_cursor("new", after)
        return answer(await conn.fetchval(OFFICERS_AFTER, ts, pk))


@endpoint
async def application(request: Request) -> Response:
    require_officer(request)
    value = str((await variables(request)).get("id") or "")
    try:
        type_name, _, pk = base64.b64decode(value.encode(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("not a valid ID") from None
    if type_name != "Application" or not pk.isdigit():
        return answer('{"data":{"application":null}}')
    async with request.app.state.pool.acquire() as conn:
        return answer(await conn.fetchval(APPLICATION_SQL, int(pk)))


@endpoint
async def feed(request: Request) -> Response:
    after = (await variables(request)).get("after")
    types = request.app.state.readable_types
    async with request.app.state.pool.acquire() as conn:
        if after is None:
            return answer(await conn.fetchval(FEED_FIRST, types))
        ts, pk = decode_cursor("feed", after)
        return answer(await conn.fetchval(FEED_AFTER, types, ts, pk))


async def healthz(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if len(SECRET) < 32:
        raise RuntimeError("QONYS_SECRET_KEY must be the secret Qonys signs its tokens with")
    app.state.pool = await asyncpg.create_pool(DSN, min_size=2, max_size=POOL,
                                               server_settings={"application_name": "qonys-bench-raw"})
    async with app.state.pool.acquire() as conn:
        app.state.readable_types = [r[0] for r in await conn.fetch(
            """SELECT t.id FROM check_type t JOIN agency g ON g.id = t.agency_id WHERE g.code = $1
               UNION SELECT gr.check_type_id FROM check_type_grant gr JOIN agency g ON g.id = gr.agency_id
               WHERE g.code = $1 ORDER BY 1""", AGENCY)]
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/officers", officers, methods=["POST"]),
        Route("/application", application, methods=["POST"]),
        Route("/feed", feed, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ],
    lifespan=lifespan,
)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("BENCH_RAW_PORT", "8103")), log_level="warning",
                access_log=False)
