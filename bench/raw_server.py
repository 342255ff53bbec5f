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

Workload (6), writes: ``/w6/check_result``, ``/w6/submit``, ``/w6/payment`` do the
writes of Qonys's ``recordCheckResult``, ``submitApplication`` and
``recordSupportPayment`` with asyncpg, each in one transaction, and answer with
the mutation's payload; see the section "workload 6" below for what each does
and leaves out.

Run: ``BENCH_RAW_DSN=postgresql://… QONYS_SECRET_KEY=… uvicorn bench.raw_server:app --port 8103``
(or ``python bench/raw_server.py``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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


# ---------------------------------------------------------------- workload 6: writes
#
# Three endpoints that do by hand, with asyncpg, the writes of three Qonys
# mutations, each in one transaction, and answer with the mutation's payload
# (``{"data": {"<mutation>": {"<node>": {...}, "errors": []}}}``; a refusal is
# ``"<node>": null`` with the errors, nothing written, as Qonys answers it).
# Their bodies are Qonys's GraphQL requests: the query text is ignored,
# ``variables.input`` is read.
#
# What they do, statement by statement, is what the services do:
#
# ``/w6/check_result`` = ``recordCheckResult`` (services.applications.checks.record_check_result),
#   with an agency's API key (the bench's caller) or an officer's JWT:
#   - the key, checked on every request like Qonys's middleware: one SELECT of the
#     key (by prefix; SHA-256 compared in constant time), its agency, and the
#     caller address's failed authentications in the window (401 when the key is
#     unknown, revoked or its agency inactive; 429 past 20 failures a minute), and
#     ``last_used_at`` refreshed when it is a minute old;
#   - the check: NOT_FOUND unless it exists and the agency may read it (its type
#     owned or granted), FORBIDDEN unless the agency owns its type (an officer
#     may record any check; an applicant none);
#   - the application then the check locked (FOR UPDATE, in that order, as Qonys);
#     INVALID_STATE unless the application is undecided and the check not
#     CANCELLED; INVALID_INPUT unless the status is CLEARED, FLAGGED or REJECTED
#     and the details at most 2,000 characters;
#   - the check's status, details, completed_at, updated_at (moved past its old
#     updated_at) and recorded_by written, the application's updated_at moved
#     forward, and the ``application.check_result`` audit event with the same
#     changes (checkId, checkType, status, details, previous {status, details,
#     completedAt, recordedBy}).
#   Left out: the score-staleness rule for a scored (PASSED/FAILED) application
#   (``mark_score_stale``: the facts before and after, the score marked stale,
#   back to SUBMITTED): such a request is answered with a 501, never with less
#   work; the bench sends only checks of SUBMITTED applications, for which Qonys
#   does none of it either.
#
# ``/w6/submit`` = ``submitApplication`` (services.applications.submission.submit_application),
#   with an officer's (or an applicant's, who then owns the records) JWT; an
#   agency's key, once checked, is FORBIDDEN:
#   - the applicant's details checked by Qonys's own pure rules (``services.rules``:
#     full name, birth date, IIN, citizenship, document number; imported, so the
#     same CPU either way), the region by its code, the occupation by its code,
#     the route's conditions (KANDAS: ethnic Kazakh and a labour-deficit region;
#     LABOUR: an occupation on the region's deficit list this year);
#   - the anti-fraud rule: advisory locks on the document and IIN keys, then
#     DUPLICATE when an undecided application has the same document or IIN;
#   - the applicant's earlier record reused when every detail matches, else a new
#     applicant with its ``applicant.create`` audit event;
#   - the number (RP-<year>-NNNNNN, UPDATE … RETURNING on its counter), the
#     search key (``services.search.fold``, Qonys's), the due date (29 days,
#     Almaty), the application and its ``application.submit`` audit event.
#   Left out: a LABOUR application naming a work permit (``permitId``: answered with a 501).
#
# ``/w6/payment`` = ``recordSupportPayment`` (services.contracts.record_support_payment),
#   with an officer's JWT (staff only: an applicant's JWT or an agency's key is FORBIDDEN):
#   - the contract locked (NOT_FOUND, INVALID_STATE unless ACTIVE), the measure
#     by its code, the amount (``rules.money_amount_problem``), the date (not
#     after today in Almaty, within the contract), the MRP of the payment's year,
#     the measure's cap (cap_mrp × MRP × family members when per member, rounded
#     down to the tiyn) against what the ledger already holds for the measure;
#   - the payment, the contract's total_support (the ledger's sum: what it held
#     before plus the amount, read under the contract's lock) and the
#     ``contract.support_payment`` audit event (paymentId, measure, amount,
#     paidOn, cap, measureTotal, totalSupport [before, after]).
#   Nothing left out. The measure, the MRP and both ledger sums are one SELECT (as
#   in Qonys); fewer round trips than Qonys: the payment, the total and the audit
#   event are one statement (three in Qonys, which runs them on SQLite too).
#
# Like Qonys, none of the three queues a webhook delivery (no service of these
# three raises an event). A refused credential is not counted in
# failed_authentication here (the bench sends none).

ROOT = Path(__file__).resolve().parent.parent
ALMATY = ZoneInfo("Asia/Almaty")
UNDECIDED = ("SUBMITTED", "PASSED", "FAILED")
CHECK_STATUSES = ("REQUESTED", "CLEARED", "FLAGGED", "REJECTED", "CANCELLED")
DETAILS_MAX = 2000
DUE_DAYS = 29
CENT = Decimal("0.01")
API_KEY_PREFIX = "qk_"
API_TRIES, API_WINDOW = 20, dt.timedelta(minutes=1)
KEY_TOUCH = dt.timedelta(minutes=1)
rules: Any = None  # services.rules, imported at start (lifespan)
fold: Any = None  # services.search.fold


class Refused(Exception):
    """A business refusal: the transaction rolls back, the payload carries the errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors

    @classmethod
    def one(cls, code: str, message: str, *field: str) -> Refused:
        return cls([user_error(code, message, *field)])


class TooManyFailures(Exception):
    pass


def user_error(code: str, message: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) if field else None, "code": code, "message": message}


def collect(errors: list[dict[str, Any]], problem: Any, *field: str) -> None:
    """An INVALID_INPUT on ``field`` when ``problem`` (a rule's message) is not None."""
    if problem:
        errors.append(user_error("INVALID_INPUT", str(problem), *field))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today_almaty() -> dt.date:
    return utcnow().astimezone(ALMATY).date()


def plain_json(value: dict[str, Any]) -> str:
    """An audit event's changes as JSON (dates ISO, decimals as text, as ``services.audit.plain``)."""
    def default(v: Any) -> Any:
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        raise TypeError(type(v).__name__)
    return json.dumps(value, default=default)


def mutation_answer(name: str, field: str, node: dict[str, Any] | None,
                    errors: list[dict[str, Any]] | None = None) -> Response:
    return Response(json.dumps({"data": {name: {field: node, "errors": errors or []}}}, separators=(",", ":")),
                    media_type="application/json")


def encode_gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode_gid(value: Any, type_name: str) -> int | None:
    try:
        name, _, pk = base64.b64decode(str(value).encode(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(pk) if name == type_name and pk.isdigit() else None


async def mutation_input(request: Request) -> dict[str, Any]:
    value = (await variables(request)).get("input")
    if not isinstance(value, dict):
        raise BadRequest("variables.input is required")
    return value


def parse_date(value: Any, name: str) -> dt.date:
    """A GraphQL ``Date`` (ISO, years 1900–2199); anything else is a request error, as in Qonys."""
    try:
        parsed = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name}: not a valid Date") from None
    if not 1900 <= parsed.year <= 2199:
        raise BadRequest(f"{name}: not a valid Date")
    return parsed


def parse_enum(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise BadRequest(f"{name}: not a valid value")
    return str(value)


# -- who is asking

_TOKENS: dict[str, tuple[str, str, float]] = {}  # verified JWTs: subject, role, expiry (Qonys caches them too)


class AgencyCaller(Exception):
    """The request carries an agency's API key where a person's JWT is expected."""


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise PermissionError
    return token


def person(request: Request) -> tuple[str, str]:
    """The (subject, role) of the request's JWT: officers, administrators, applicants
    (``AgencyCaller`` for an API key: the caller checks it, then refuses as Qonys does)."""
    token = bearer(request)
    if token.startswith(API_KEY_PREFIX):
        raise AgencyCaller
    hit = _TOKENS.get(token)
    if hit is not None and hit[2] > time.time():
        return hit[0], hit[1]
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        raise PermissionError from None
    subject, role = claims.get("sub"), claims.get("role")
    if not isinstance(subject, str) or not subject.strip() or role not in ("APPLICANT", "OFFICER", "ADMIN"):
        raise PermissionError
    if len(_TOKENS) >= 4096:
        _TOKENS.clear()
    _TOKENS[token] = (subject, role, float(claims["exp"]))
    return subject, role


async def person_or_refuse(request: Request, refusal: str) -> tuple[str, str]:
    """``person``; an agency's key, once checked, is refused (FORBIDDEN) with ``refusal``."""
    try:
        return person(request)
    except AgencyCaller:
        async with request.app.state.pool.acquire() as conn:
            await agency_of(conn, request)
        raise Refused.one("FORBIDDEN", refusal) from None


KEY_SQL = """
SELECT k.id, k.key_hash, k.revoked_at, k.last_used_at, g.id AS agency_id, g.code, g.active,
       (SELECT count(*) FROM failed_authentication f
         WHERE f.scope = 'api' AND f.client = $2 AND f.at > $3) AS failures
FROM agency_api_key k JOIN agency g ON g.id = k.agency_id
WHERE k.prefix = $1"""

TOUCH_KEY_SQL = """
UPDATE agency_api_key SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)"""


async def agency_of(conn: asyncpg.Connection, request: Request) -> tuple[int, str]:
    """The (id, code) of the agency whose API key the request carries, checked in the database."""
    token = bearer(request)
    if not token.startswith(API_KEY_PREFIX):
        raise PermissionError
    parts = token[len(API_KEY_PREFIX):].split("_", 1)
    if len(parts) != 2:
        raise PermissionError
    now = utcnow()
    client = (request.client.host if request.client else "unknown")[:64]
    row = await conn.fetchrow(KEY_SQL, parts[0], client, now - API_WINDOW)
    if row is None or not hmac.compare_digest(row["key_hash"], hashlib.sha256(token.encode()).hexdigest()):
        raise PermissionError
    if row["revoked_at"] is not None or not row["active"]:
        raise PermissionError
    if row["failures"] >= API_TRIES:
        raise TooManyFailures
    if row["last_used_at"] is None or now - row["last_used_at"] >= KEY_TOUCH:
        await conn.execute(TOUCH_KEY_SQL, row["id"], now, now - KEY_TOUCH)
    return row["agency_id"], row["code"]


def w6_endpoint(name: str, field: str) -> Callable[[Callable[[Request], Awaitable[dict[str, Any]]]],
                                                   Callable[[Request], Awaitable[Response]]]:
    """A mutation endpoint: the handler returns the payload's node; a ``Refused`` is the
    payload's errors (its transaction already rolled back), a bad credential a 401."""

    def wrap(handler: Callable[[Request], Awaitable[dict[str, Any]]]) -> Callable[[Request], Awaitable[Response]]:
        async def respond(request: Request) -> Response:
            try:
                return mutation_answer(name, field, await handler(request))
            except Refused as exc:
                return mutation_answer(name, field, None, exc.errors)
            except PermissionError:
                return error("authentication required", 401)
            except TooManyFailures:
                return error("too many failed authentication attempts; try again later", 429)
            except BadRequest as exc:
                return error(str(exc), 400)
            except NotImplementedError as exc:
                return error(f"not implemented by the raw endpoint: {exc}", 501)
        return respond

    return wrap


# -- /w6/check_result

FIND_CHECK_SQL = """
SELECT c.application_id, t.code, t.agency_id = $2 AS owned,
       t.agency_id = $2 OR EXISTS (SELECT 1 FROM check_type_grant gr
                                    WHERE gr.agency_id = $2 AND gr.check_type_id = t.id) AS readable
FROM check_result c JOIN check_type t ON t.id = c.check_type_id
WHERE c.id = $1"""

LOCK_APPLICATION_SQL = "SELECT status, updated_at FROM application WHERE id = $1 FOR UPDATE"

LOCK_CHECK_SQL = """
SELECT status, details, completed_at, recorded_by, updated_at FROM check_result WHERE id = $1 FOR UPDATE"""

RECORD_CHECK_SQL = """
WITH c AS (
  UPDATE check_result SET status = $2, details = $3, completed_at = $4, updated_at = $4, recorded_by = $5
  WHERE id = $1
), a AS (
  UPDATE application SET updated_at = greatest(updated_at, $4) WHERE id = $6
)
INSERT INTO audit_event (at, actor_subject, actor_role, action, entity_type, entity_id, changes)
VALUES ($7, $5, $9, 'application.check_result', 'application', $6, $8::text::jsonb)"""


@w6_endpoint("recordCheckResult", "check")
async def w6_check_result(request: Request) -> dict[str, Any]:
    data = await mutation_input(request)
    status = parse_enum(data.get("status"), CHECK_STATUSES, "input.status")
    details = data.get("details")
    if details is not None and not isinstance(details, str):
        raise BadRequest("input.details: not a String")
    token = bearer(request)
    staff = None if token.startswith(API_KEY_PREFIX) else person(request)
    async with request.app.state.pool.acquire() as conn:
        if staff is None:
            agency_id, agency_code = await agency_of(conn, request)
            subject, role = f"agency:{agency_code}", "AGENCY"
        else:
            (subject, role), agency_id = staff, -1
        check_id = decode_gid(data.get("checkId"), "Check")
        if check_id is None:
            raise Refused.one("NOT_FOUND", "check not found", "input", "checkId")
        if role == "APPLICANT":
            raise Refused.one("FORBIDDEN", "only officers, administrators and the agency that owns the check type "
                              "may record check results")
        async with conn.transaction():
            found = await conn.fetchrow(FIND_CHECK_SQL, check_id, agency_id)
            if found is None or not (staff or found["readable"]):  # missing, or not readable by this agency
                raise Refused.one("NOT_FOUND", "check not found", "input", "checkId")
            if not (staff or found["owned"]):
                raise Refused.one("FORBIDDEN", "your agency may read this check but only the agency that owns its "
                                  "type records the result", "input", "checkId")
            app_id = found["application_id"]
            app = await conn.fetchrow(LOCK_APPLICATION_SQL, app_id)
            check = await conn.fetchrow(LOCK_CHECK_SQL, check_id)
            if app["status"] not in UNDECIDED:
                raise Refused.one("INVALID_STATE", f"recordCheckResult needs the application to be SUBMITTED, PASSED "
                                  f"or FAILED; it is {app['status']}", "input", "checkId")
            if check["status"] == "CANCELLED":
                raise Refused.one("INVALID_STATE", "this check was cancelled when its application was decided or "
                                  "withdrawn; it takes no result", "input", "checkId")
            errors: list[dict[str, Any]] = []
            if status in ("REQUESTED", "CANCELLED"):
                collect(errors, f"A result is CLEARED, FLAGGED or REJECTED; {status} is not a result.",
                        "input", "status")
            details = (details or "").strip() or None
            if details is not None and len(details) > DETAILS_MAX:
                collect(errors, f"Details must be at most {DETAILS_MAX} characters (got {len(details)}).",
                        "input", "details")
            if errors:
                raise Refused(errors)
            if app["status"] != "SUBMITTED":
                raise NotImplementedError("a result on a scored application (the score-staleness rule)")
            now = max(utcnow(), check["updated_at"] + dt.timedelta(microseconds=1))
            previous = {"status": check["status"], "details": check["details"], "completedAt": check["completed_at"],
                        "recordedBy": check["recorded_by"]}
            changes = {"checkId": check_id, "checkType": found["code"], "status": status, "details": details,
                       "previous": previous}
            await conn.execute(RECORD_CHECK_SQL, check_id, status, details, now, subject, app_id, utcnow(),
                               plain_json(changes), role)
    stamp = now.isoformat()
    return {"id": encode_gid("Check", check_id), "status": status, "details": details, "completedAt": stamp,
            "updatedAt": stamp, "checkType": {"code": found["code"]}}


# -- /w6/submit

REGION_SQL = "SELECT id, code, labour_deficit FROM region WHERE code = $1"
OCCUPATION_SQL = "SELECT id, code FROM occupation WHERE code = $1"
DEFICIT_REGIONS_SQL = "SELECT code FROM region WHERE labour_deficit ORDER BY code"
DEFICIT_LISTED_SQL = "SELECT 1 FROM deficit_occupation WHERE region_id = $1 AND occupation_id = $2 AND year = $3"
ADVISORY_LOCKS_SQL = "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k"
CLASHES_DOC_SQL = """
SELECT citizenship, document_number, iin FROM application
WHERE status IN ('SUBMITTED', 'PASSED', 'FAILED') AND citizenship = $1 AND document_number = $2"""
CLASHES_DOC_IIN_SQL = """
SELECT citizenship, document_number, iin FROM application
WHERE status IN ('SUBMITTED', 'PASSED', 'FAILED') AND ((citizenship = $1 AND document_number = $2) OR iin = $3)"""
REUSE_SQL = """
SELECT id, full_name, birth_date, sex, ethnic_kazakh, iin FROM applicant
WHERE citizenship = $1 AND document_number = $2 AND {owner} ORDER BY id"""
REUSE_NO_OWNER_SQL = REUSE_SQL.format(owner="owner_subject IS NULL")
REUSE_OWNER_SQL = REUSE_SQL.format(owner="owner_subject = $3")
NEW_APPLICANT_SQL = """
WITH p AS (
  INSERT INTO applicant (owner_subject, iin, full_name, birth_date, sex, citizenship, ethnic_kazakh, document_number,
                         created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
)
INSERT INTO audit_event (at, actor_subject, actor_role, action, entity_type, entity_id, changes)
SELECT $9, $10, $11, 'applicant.create', 'applicant', p.id, $12::text::jsonb FROM p
RETURNING entity_id"""
NEXT_NUMBER_SQL = "UPDATE number_sequence SET value = value + 1 WHERE name = $1 RETURNING value"
NEW_COUNTER_SQL = "INSERT INTO number_sequence (name, value) VALUES ($1, 0) ON CONFLICT DO NOTHING"
NEW_APPLICATION_SQL = """
WITH a AS (
  INSERT INTO application (number, applicant_id, owner_subject, route, target_region_id, occupation_id, status,
                           citizenship, document_number, iin, submitted_at, permit_id, due_date, updated_at, search_key)
  VALUES ($1, $2, $3, $4, $5, $6, 'SUBMITTED', $7, $8, $9, $10, NULL, $11, $10, $12) RETURNING id
)
INSERT INTO audit_event (at, actor_subject, actor_role, action, entity_type, entity_id, changes)
SELECT $13, $14, $15, 'application.submit', 'application', a.id, $16::text::jsonb FROM a
RETURNING entity_id"""


@w6_endpoint("submitApplication", "application")
async def w6_submit(request: Request) -> dict[str, Any]:
    subject, role = await person_or_refuse(request, "only applicants and officers may submit applications")
    data = await mutation_input(request)
    a = data.get("applicant")
    if not isinstance(a, dict):
        raise BadRequest("input.applicant is required")
    route = parse_enum(data.get("route"), ("KANDAS", "GENERAL", "LABOUR"), "input.route")
    sex = parse_enum(a.get("sex"), ("MALE", "FEMALE"), "input.applicant.sex")
    birth_date = parse_date(a.get("birthDate"), "input.applicant.birthDate")
    full_name_in, citizenship_in, document_in = a.get("fullName"), a.get("citizenship"), a.get("documentNumber")
    ethnic = a.get("ethnicKazakh")
    region_in, occupation_code = data.get("targetRegionCode"), data.get("occupationCode")
    if not all(isinstance(v, str) for v in (full_name_in, citizenship_in, document_in, region_in)) \
            or not isinstance(ethnic, bool) or not isinstance(occupation_code, (str, type(None))):
        raise BadRequest("input: a required field is missing or of the wrong type")
    if data.get("permitId") is not None:
        raise NotImplementedError("a LABOUR application naming a work permit")
    today = today_almaty()
    errors: list[dict[str, Any]] = []
    p = ("input", "applicant")
    collect(errors, rules.full_name_problem(full_name_in), *p, "fullName")
    collect(errors, rules.birth_date_problem(birth_date, today), *p, "birthDate")
    iin = a.get("iin") if a.get("iin") not in (None, "") else None
    if iin is not None:
        collect(errors, rules.iin_problem(iin, birth_date, sex), *p, "iin")
    citizenship = citizenship_in.strip().upper()
    collect(errors, rules.citizenship_problem(citizenship), *p, "citizenship")
    collect(errors, rules.document_number_problem(document_in), *p, "documentNumber")
    document_number = rules.normalise_document_number(document_in)
    code = rules.normalise_region_code(region_in)
    owner = subject if role == "APPLICANT" else None
    async with request.app.state.pool.acquire() as conn:
        async with conn.transaction():
            region = await conn.fetchrow(REGION_SQL, code)
            if region is None:
                collect(errors, f"{code} is not a region code (ISO 3166-2:KZ, e.g. KZ-55).", "input",
                        "targetRegionCode")
            occupation = None
            if occupation_code is not None:
                occupation_code = occupation_code.strip()
                problem = rules.occupation_code_problem(occupation_code)
                if problem:
                    collect(errors, problem, "input", "occupationCode")
                else:
                    occupation = await conn.fetchrow(OCCUPATION_SQL, occupation_code)
                    if occupation is None:
                        collect(errors, f"{occupation_code} is not a known ISCO-08 occupation code.", "input",
                                "occupationCode")
            if route == "KANDAS":
                if not ethnic:
                    collect(errors, "The KANDAS route is for ethnic Kazakhs (ethnicKazakh must be true); others "
                            "apply on the GENERAL or LABOUR route.", *p, "ethnicKazakh")
                if region is not None and not region["labour_deficit"]:
                    deficit = [r[0] for r in await conn.fetch(DEFICIT_REGIONS_SQL)]
                    collect(errors, f"KANDAS applicants settle in a labour-deficit region ({', '.join(deficit)}); "
                            f"{region['code']} is not one.", "input", "targetRegionCode")
            elif route == "LABOUR":
                if occupation_code is None:
                    collect(errors, "LABOUR applications need the occupation code of the job (ISCO-08).", "input",
                            "occupationCode")
                elif occupation is not None and region is not None:
                    if await conn.fetchval(DEFICIT_LISTED_SQL, region["id"], occupation["id"], today.year) is None:
                        collect(errors, f"Occupation {occupation['code']} is not on the deficit list of "
                                f"{region['code']} for {today.year}; LABOUR applications need an occupation in "
                                "deficit.", "input", "occupationCode")
            if errors:
                raise Refused(errors)
            # Anti-fraud: one undecided application per document and per IIN.
            keys = sorted({f"doc:{citizenship}:{document_number}", *([f"iin:{iin}"] if iin else [])})
            await conn.execute(ADVISORY_LOCKS_SQL, keys)
            clashes = await (conn.fetch(CLASHES_DOC_IIN_SQL, citizenship, document_number, iin) if iin
                             else conn.fetch(CLASHES_DOC_SQL, citizenship, document_number))
            dup: list[dict[str, Any]] = []
            if any(c["citizenship"] == citizenship and c["document_number"] == document_number for c in clashes):
                dup.append(user_error("DUPLICATE", "This document is already used in another application that is "
                                      "not decided yet.", *p, "documentNumber"))
            if iin and any(c["iin"] == iin for c in clashes):
                dup.append(user_error("DUPLICATE", "This IIN is already used in another application that is not "
                                      "decided yet.", *p, "iin"))
            if dup:
                raise Refused(dup)

            full_name = rules.normalise_full_name(full_name_in)
            same = await (conn.fetch(REUSE_OWNER_SQL, citizenship, document_number, owner) if owner
                          else conn.fetch(REUSE_NO_OWNER_SQL, citizenship, document_number))
            wanted = (full_name, birth_date, sex, ethnic, iin)
            applicant_id = next((r["id"] for r in same if (r["full_name"], r["birth_date"], r["sex"],
                                                           r["ethnic_kazakh"], r["iin"]) == wanted), None)
            now = utcnow()
            if applicant_id is None:
                changes = {"fullName": full_name, "birthDate": birth_date, "sex": sex, "citizenship": citizenship,
                           "ethnicKazakh": ethnic, "documentNumber": document_number, "iin": iin,
                           "ownerSubject": owner}
                applicant_id = await conn.fetchval(NEW_APPLICANT_SQL, owner, iin, full_name, birth_date, sex,
                                                   citizenship, ethnic, document_number, now, subject, role,
                                                   plain_json(changes))

            counter = f"RP-{today.year}"
            value = await conn.fetchval(NEXT_NUMBER_SQL, counter)
            if value is None:
                await conn.execute(NEW_COUNTER_SQL, counter)
                value = await conn.fetchval(NEXT_NUMBER_SQL, counter)
            number = f"{counter}-{value:06d}"
            due = today + dt.timedelta(days=DUE_DAYS)
            search_key = fold(" ".join(x for x in (number, full_name, iin, document_number) if x))
            changes = {"number": number, "applicantId": applicant_id, "route": route, "targetRegion": region["code"],
                       "occupation": occupation["code"] if occupation else None, "status": "SUBMITTED",
                       "dueDate": due, "ownerSubject": owner}
            app_id = await conn.fetchval(NEW_APPLICATION_SQL, number, applicant_id, owner, route, region["id"],
                                         occupation["id"] if occupation else None, citizenship, document_number,
                                         iin, now, due, search_key, utcnow(), subject, role, plain_json(changes))
    return {"id": encode_gid("Application", app_id), "number": number, "status": "SUBMITTED", "route": route,
            "submittedAt": now.isoformat(), "dueDate": due.isoformat(),
            "applicant": {"id": encode_gid("Applicant", applicant_id), "fullName": full_name},
            "targetRegion": {"code": region["code"]}}


# -- /w6/payment

LOCK_CONTRACT_SQL = """
SELECT id, number, status, start_date, end_date, family_size, total_support FROM social_contract
WHERE id = $1 FOR UPDATE"""
MEASURE_LEDGER_SQL = """
SELECT m.id, m.code, m.cap_mrp, m.per_family_member,
       (SELECT v.amount FROM mrp_value v WHERE v.year = $3) AS mrp,
       (SELECT coalesce(sum(sp.amount), 0) FROM support_payment sp
         WHERE sp.contract_id = $1 AND sp.measure_id = m.id) AS measure_paid,
       (SELECT coalesce(sum(sp.amount), 0) FROM support_payment sp WHERE sp.contract_id = $1) AS ledger
FROM support_measure m WHERE m.code = $2"""
KNOWN_MEASURES_SQL = "SELECT code FROM support_measure ORDER BY code"
PAY_SQL = """
WITH p AS (
  INSERT INTO support_payment (contract_id, measure_id, amount, paid_on, recorded_at, recorded_by)
  VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
), k AS (
  UPDATE social_contract SET total_support = $7 WHERE id = $1
)
INSERT INTO audit_event (at, actor_subject, actor_role, action, entity_type, entity_id, changes)
SELECT $8, $6, $9, 'contract.support_payment', 'social_contract', $1,
       jsonb_build_object('paymentId', p.id) || $10::text::jsonb FROM p
RETURNING (changes->>'paymentId')::int"""


@w6_endpoint("recordSupportPayment", "contract")
async def w6_payment(request: Request) -> dict[str, Any]:
    refusal = "only officers and administrators may change contracts, payments and refunds"
    subject, role = await person_or_refuse(request, refusal)
    data = await mutation_input(request)
    if role not in ("OFFICER", "ADMIN"):
        raise Refused.one("FORBIDDEN", refusal)
    measure_code = data.get("measureCode")
    if not isinstance(measure_code, str):
        raise BadRequest("input.measureCode is required")
    try:
        amount_in = Decimal(str(data.get("amount")))
    except InvalidOperation:
        raise BadRequest("input.amount: not a valid Decimal") from None
    paid_on = parse_date(data.get("paidOn"), "input.paidOn")
    contract_id = decode_gid(data.get("contractId"), "SocialContract")
    if contract_id is None:
        raise Refused.one("NOT_FOUND", "social contract not found", "input", "contractId")
    today = today_almaty()
    async with request.app.state.pool.acquire() as conn:
        async with conn.transaction():
            contract = await conn.fetchrow(LOCK_CONTRACT_SQL, contract_id)
            if contract is None:
                raise Refused.one("NOT_FOUND", "social contract not found", "input", "contractId")
            if contract["status"] != "ACTIVE":
                raise Refused.one("INVALID_STATE", f"support is paid only on an ACTIVE contract; this one is "
                                  f"{contract['status']}", "input", "contractId")
            code = measure_code.strip().upper()
            m = await conn.fetchrow(MEASURE_LEDGER_SQL, contract_id, code, paid_on.year)
            errors: list[dict[str, Any]] = []
            if m is None:
                known = [r[0] for r in await conn.fetch(KNOWN_MEASURES_SQL)]
                collect(errors, f"unknown support measure {measure_code!r}; known measures: {', '.join(known)}",
                        "input", "measureCode")
            collect(errors, rules.money_amount_problem(amount_in), "input", "amount")
            if paid_on > today:
                collect(errors, f"the payment date {paid_on} is after today ({today}, Asia/Almaty); record it once "
                        "it has happened", "input", "paidOn")
            elif not contract["start_date"] <= paid_on < contract["end_date"]:
                collect(errors, f"the payment date must be within the contract, from {contract['start_date']} to "
                        f"before {contract['end_date']} (got {paid_on})", "input", "paidOn")
            if errors:
                raise Refused(errors)
            amount = amount_in.quantize(CENT)
            if m["mrp"] is None:
                raise Refused.one("INVALID_INPUT", f"no MRP value is set for {paid_on.year}, so the {m['code']} cap "
                                  "cannot be computed; an administrator must add that year's MRP first",
                                  "input", "paidOn")
            members = contract["family_size"] if m["per_family_member"] else 1
            cap = (Decimal(m["cap_mrp"]) * Decimal(m["mrp"]) * members).quantize(CENT, rounding=ROUND_DOWN)
            paid = Decimal(m["measure_paid"]).quantize(CENT)
            if paid + amount > cap:
                raise Refused.one("INVALID_INPUT", f"{m['code']} is capped at {cap} tenge on this contract; {paid} "
                                  f"has been paid, so at most {max(cap - paid, Decimal('0.00'))} remains (got "
                                  f"{amount})", "input", "amount")
            before = Decimal(contract["total_support"]).quantize(CENT)
            total = (Decimal(m["ledger"]) + amount).quantize(CENT)  # the ledger's sum once this payment is in
            changes = {"measure": m["code"], "amount": amount, "paidOn": paid_on, "cap": cap,
                       "measureTotal": paid + amount, "totalSupport": [before, total]}
            now = utcnow()
            await conn.fetchval(PAY_SQL, contract_id, m["id"], amount, paid_on, now, subject, total, utcnow(), role,
                                plain_json(changes))
    return {"id": encode_gid("SocialContract", contract_id), "number": contract["number"], "status": "ACTIVE",
            "totalSupport": str(total)}


async def healthz(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if len(SECRET) < 32:
        raise RuntimeError("QONYS_SECRET_KEY must be the secret Qonys signs its tokens with")
    global rules, fold
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from services import rules as qonys_rules  # Qonys's pure input rules (workload 6)
    from services.search import fold as qonys_fold
    rules, fold = qonys_rules, qonys_fold
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
        Route("/w6/check_result", w6_check_result, methods=["POST"]),
        Route("/w6/submit", w6_submit, methods=["POST"]),
        Route("/w6/payment", w6_payment, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ],
    lifespan=lifespan,
)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("BENCH_RAW_PORT", "8103")), log_level="warning",
                access_log=False)
