"""Shared helpers for the application pipeline tests: GraphQL documents, inputs,
"submit and take through all four stages", row counts."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

import models as m
from models.base import today_almaty
from core.db import create_engine, session_factory
from services.rules import add_years, make_iin
from tests.conftest import BACKEND, GQL, make_settings, pg_admin, pg_url

APP_FIELDS = """
  id number route status submittedAt dueDate occupationCode
  applicant { id iin fullName birthDate sex citizenship ethnicKazakh documentNumber }
  targetRegion { code labourDeficit }
  languageTest { level listeningPercent readingPercent certificateNumber takenOn }
  questionnaire { educationLevel workExperienceYears occupationCode familySize russian english
                  relativesInKazakhstan priorStayInKazakhstan criminalRecord deportedBefore savings submittedAt }
  checks { id status details requestedAt completedAt updatedAt checkType { code mandatory agency { code } } }
  interview { scheduledAt outcome points notes }
  score { total maxTotal passMark passed modelVersion computedAt
          gates { code passed value reason } breakdown { code points maxPoints value reason } }
"""

# What the intermediate steps of a walk through the stages need (a lighter payload).
LIGHT_FIELDS = "id number status checks { id status updatedAt checkType { code } }"

ERRORS = "errors { field code message }"

SUBMIT = f"""mutation($input: SubmitApplicationInput!) {{
  submitApplication(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
LANGUAGE_TEST = f"""mutation($input: RecordLanguageTestInput!) {{
  recordLanguageTest(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
QUESTIONNAIRE = f"""mutation($input: SubmitQuestionnaireInput!) {{
  submitQuestionnaire(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
REQUEST_CHECKS = f"""mutation($input: RequestChecksInput!) {{
  requestChecks(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
CHECK_RESULT = f"""mutation($input: RecordCheckResultInput!) {{
  recordCheckResult(input: $input) {{ check {{ id status details completedAt updatedAt checkType {{ code }} }} {ERRORS} }} }}"""
SCHEDULE = f"""mutation($input: ScheduleInterviewInput!) {{
  scheduleInterview(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
OUTCOME = f"""mutation($input: RecordInterviewOutcomeInput!) {{
  recordInterviewOutcome(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
SCORE = f"""mutation($input: ScoreApplicationInput!) {{
  scoreApplication(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
DECIDE = f"""mutation($input: DecideApplicationInput!) {{
  decideApplication(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
WITHDRAW = f"""mutation($input: WithdrawApplicationInput!) {{
  withdrawApplication(input: $input) {{ application {{ {APP_FIELDS} }} {ERRORS} }} }}"""
APPLICATION = f"""query($id: ID!) {{ application(id: $id) {{ {APP_FIELDS} }} }}"""

OFFICER = {"role": "OFFICER", "subject": "officer-1"}


def light(doc: str) -> str:
    """The same mutation with the lighter payload."""
    return doc.replace(APP_FIELDS, LIGHT_FIELDS)

_serials = itertools.count(1)
_issued_iins: set[str] = set()


def birth_for_age(age: int, *, days_after_birthday: int = 30) -> dt.date:
    """A birth date that makes the applicant ``age`` whole years old today (Almaty)."""
    return add_years(today_almaty(), -age) - dt.timedelta(days=days_after_birthday)


def applicant_input(
    *, age: int = 34, sex: str = "MALE", citizenship: str = "UZB", ethnic_kazakh: bool = True,
    full_name: str | None = None, document_number: str | None = None, with_iin: bool = True,
) -> dict[str, Any]:
    n = next(_serials)
    birth = birth_for_age(age)
    iin = None
    if with_iin:
        # make_iin moves on to the next serial when one has no check digit, so two
        # serials can give one IIN: take serials until the IIN is a new one.
        while (iin := make_iin(birth, sex, n % 10000)) in _issued_iins:
            n = next(_serials)
        _issued_iins.add(iin)
    return {
        "iin": iin,
        "fullName": full_name or f"Nurlan Test-{'abcdefghij'[n % 10]}{'klmnopqrst'[(n // 10) % 10]}",
        "birthDate": birth.isoformat(),
        "sex": sex,
        "citizenship": citizenship,
        "ethnicKazakh": ethnic_kazakh,
        "documentNumber": document_number or f"FA{n:07d}",
    }


def submit_input(route: str = "KANDAS", region: str = "KZ-55", occupation: str | None = None,
                 **applicant: Any) -> dict[str, Any]:
    return {"applicant": applicant_input(**applicant), "route": route, "targetRegionCode": region,
            "occupationCode": occupation}


def errors_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    (payload,) = data.values()
    return payload["errors"]


def one_error(data: dict[str, Any]) -> dict[str, Any]:
    errors = errors_of(data)
    assert len(errors) == 1, errors
    (payload,) = data.values()
    assert next(v for k, v in payload.items() if k != "errors") is None
    return errors[0]


async def ok(gql: Any, doc: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    """Run a pipeline mutation that must succeed; returns the payload's object."""
    data = await gql.ok(doc, {"input": input}, **(who or OFFICER))
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    return next(v for k, v in payload.items() if k != "errors")


async def submit(gql: Any, input: dict[str, Any] | None = None, **who: Any) -> dict[str, Any]:
    return await ok(gql, SUBMIT, input or submit_input(), **who)


def language_input(app_id: str, *, level: str = "B1", listening: int = 55, reading: int = 60,
                   certificate: str | None = None, taken_on: dt.date | None = None) -> dict[str, Any]:
    return {"applicationId": app_id, "level": level, "listeningPercent": listening, "readingPercent": reading,
            "certificateNumber": certificate or f"KT-2026/{next(_serials):06d}",
            "takenOn": (taken_on or today_almaty() - dt.timedelta(days=20)).isoformat()}


def questionnaire_input(app_id: str, **overrides: Any) -> dict[str, Any]:
    base = {"applicationId": app_id, "educationLevel": "BACHELOR", "workExperienceYears": 7, "occupationCode": "2211",
            "familySize": 4, "russian": "FLUENT", "english": "BASIC", "relativesInKazakhstan": True,
            "priorStayInKazakhstan": False, "criminalRecord": False, "deportedBefore": False, "savings": "0.00"}
    base.update(overrides)
    return base


async def take_through(
    gql: Any, app_id: str, *, language: dict[str, Any] | None = None, questionnaire: dict[str, Any] | None = None,
    check_status: str = "CLEARED", outcome: str = "PASSED", points: int | None = 8, score: bool = True,
) -> dict[str, Any]:
    """Record all four stages (as an officer) and, unless ``score`` is False, score."""
    await ok(gql, light(LANGUAGE_TEST), {**language_input(app_id), **(language or {})})
    await ok(gql, light(QUESTIONNAIRE), questionnaire_input(app_id, **(questionnaire or {})))
    app = await ok(gql, light(REQUEST_CHECKS), {"applicationId": app_id})
    for check in app["checks"]:
        await ok(gql, CHECK_RESULT, {"checkId": check["id"], "status": check_status})
    await ok(gql, light(SCHEDULE), {"applicationId": app_id, "scheduledAt": "2026-03-02T10:00:00+05:00"})
    last = {"applicationId": app_id, "outcome": outcome, "points": points, "notes": "ok"}
    if not score:
        return await ok(gql, OUTCOME, last)
    await ok(gql, light(OUTCOME), last)
    return await ok(gql, SCORE, {"applicationId": app_id})


COUNTED = (m.Applicant, m.Application, m.LanguageTest, m.Questionnaire, m.Check, m.Interview, m.Score,
           m.AuditEvent, m.Quota)


async def counts(sessions: Any) -> dict[str, Any]:
    """Row counts of every table the pipeline writes, plus each application's
    status and updated_at and the quotas' seats used (to prove nothing changed)."""
    async with sessions() as s:
        result: dict[str, Any] = {}
        for model in COUNTED:
            result[model.__tablename__] = (await s.execute(select(func.count()).select_from(model))).scalar_one()
        result["apps"] = sorted((await s.execute(
            select(m.Application.id, m.Application.status, m.Application.updated_at))).all())
        result["used"] = (await s.execute(select(func.sum(m.Quota.used)))).scalar_one()
        result["stage_rows"] = sorted(map(repr, (await s.execute(
            select(m.LanguageTest.application_id, m.LanguageTest.certificate_number, m.LanguageTest.listening_percent)
        )).all())) + sorted(map(repr, (await s.execute(
            select(m.Check.id, m.Check.status, m.Check.updated_at))).all())) + sorted(map(repr, (await s.execute(
            select(m.Interview.application_id, m.Interview.scheduled_at, m.Interview.outcome))).all()))
    return result


def mrp_2026_savings(mrp_count: int) -> str:
    """Savings worth ``mrp_count`` MRP of 2026 (4,325 tenge), as the Decimal text the API takes."""
    return str((Decimal(4325) * mrp_count).quantize(Decimal("0.01")))


# ---------------------------------------------------------------- a database shared by a module

@dataclass
class Env:
    """An app, a GraphQL client and a session factory on one database."""

    app: Any
    gql: GQL
    sessions: Any


async def _pg_clone(template: str, name: str) -> None:
    """``CREATE DATABASE name TEMPLATE template``, then back to the seed snapshot
    when the template keeps one (the session database that conftest resets before
    each test may still hold the previous test's rows)."""
    import asyncpg

    for attempt in range(5):
        try:
            await pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            break
        except asyncpg.ObjectInUseError:
            # An idle pooled connection of an earlier test of this process is still
            # open on the template (each test process has its own template, and no
            # test runs while a module fixture is being set up): end it and retry.
            if attempt == 4:
                raise
            await pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           f"WHERE datname = '{template}' AND pid <> pg_backend_pid()")
            await asyncio.sleep(0.2 * (attempt + 1))
    conn = await asyncpg.connect(pg_url(name, driver="postgresql"), timeout=5)
    try:
        if await conn.fetchval("SELECT to_regproc('seed_snapshot.reset') IS NOT NULL"):
            await conn.execute("SELECT seed_snapshot.reset()")
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_env(template_url: str, directory: Path) -> AsyncIterator[Env]:
    """A database cloned from the seeded template (as conftest's ``database_url``
    does), for tests that share one: creating a PostgreSQL database per test costs
    seconds, and the refusal tests write nothing (each asserts so)."""
    from server.app import create_app

    if BACKEND == "postgres":
        name = f"qonys_m_{uuid.uuid4().hex[:12]}"
        await _pg_clone(template_url.rsplit("/", 1)[1], name)
        url = pg_url(name)
    else:
        target = directory / f"shared-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(Path(template_url.removeprefix("sqlite+aiosqlite:///")), target)
        url = f"sqlite+aiosqlite:///{target}"
    settings = make_settings(url)
    application = create_app(settings)
    engine = create_engine(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://testserver") as client:
            yield Env(app=application, gql=GQL(client), sessions=session_factory(engine))
    finally:
        await engine.dispose()
        await application.state.engine.dispose()
        if BACKEND == "postgres":
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
