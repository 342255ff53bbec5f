"""Differential tests of the compiled read path: for generated queries (random
selections, aliases, fragments, directives, page sizes, cursors) and every role,
the compiled response is byte for byte the response of normal execution.

PostgreSQL only (the compiler is off on SQLite)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select, update

import models as m
from api.graphql import ids
from core.metrics import COMPILED_QUERIES
from core.db import transaction
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    ContractStatus,
    EducationLevel,
    FamilyRelation,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Route,
    ScoreReason,
    Sex,
    TerminationReason,
)
from services import numbers, scoring
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.scoring.results import rendered_lines
from tests.conftest import BACKEND, PGBOUNCER, make_settings, token_for
from tests.helpers_compiled import Pair

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the compiled read path runs on PostgreSQL only")

NAMES = ["Aigerim O'Neil", "Әлия Сәрсенқызы", 'Zhan "Quote" Li', "Backslash\\Name", "Ли Вэй", "Ерлан Нұрлан"]
BASE = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.timezone.utc)


async def build_data(sessions: Any, n: int = 36) -> list[int]:
    """Applications in every state with every stage, some fields null, timestamps with
    and without microseconds, names that need escaping."""
    rng = random.Random(7)
    async with transaction(sessions) as s:
        regions = (await s.execute(select(m.Region).order_by(m.Region.id))).scalars().all()
        check_types = (await s.execute(select(m.CheckType).order_by(m.CheckType.id))).scalars().all()
        model = (await s.execute(select(m.ScoringModel))).scalars().first()
        occupation = (await s.execute(select(m.Occupation))).scalars().first()
        ids_: list[int] = []
        for i in range(n):
            submitted = BASE + dt.timedelta(hours=i // 2, microseconds=0 if i % 3 else 123456 + i)
            applicant = m.Applicant(
                # alice also owns one approved application with every stage and a contract (i = 3)
                owner_subject="alice" if i % 4 == 0 or i == 3 else ("bob" if i % 4 == 1 else None),
                iin=None if i % 2 else f"9001013{i:05d}"[:12], full_name=NAMES[i % len(NAMES)],
                birth_date=dt.date(1990, 1, 1) + dt.timedelta(days=97 * i), sex=Sex.FEMALE if i % 2 else Sex.MALE,
                citizenship=["UZB", "CHN", "MNG", "RUS"][i % 4], ethnic_kazakh=i % 3 == 0,
                document_number=f"N{i:07d}")
            s.add(applicant)
            await s.flush()
            status = list(ApplicationStatus)[i % 6]
            app = m.Application(
                number=await numbers.next_number(s, "RP", 2026), applicant_id=applicant.id,
                owner_subject=applicant.owner_subject, route=list(Route)[i % 3],
                target_region_id=regions[i % len(regions)].id,
                occupation_id=occupation.id if i % 3 == 2 else None, status=status,
                citizenship=applicant.citizenship, document_number=applicant.document_number,
                submitted_at=submitted, due_date=submitted.date() + dt.timedelta(days=29 if i % 5 else 0))
            s.add(app)
            await s.flush()
            ids_.append(app.id)
            if i % 6 == 5:
                continue  # bare: no stages at all
            s.add(m.LanguageTest(application_id=app.id, level=list(LanguageLevel)[i % 5], listening_percent=30 + i,
                                 reading_percent=40 + i % 50, certificate_number=f"KT-{i:05d}",
                                 taken_on=dt.date(2026, 1, 1) + dt.timedelta(days=i)))
            s.add(m.Questionnaire(
                application_id=app.id, education_level=list(EducationLevel)[i % 6], work_experience_years=i % 15,
                occupation_id=occupation.id if i % 2 else None, family_size=1 + i % 5,
                russian=list(Proficiency)[i % 3], english=list(Proficiency)[(i + 1) % 3],
                relatives_in_kazakhstan=i % 2 == 0, prior_stay_in_kazakhstan=i % 3 == 0, criminal_record=False,
                deported_before=i % 7 == 0, savings=Decimal(f"{1000 * i}.{i % 100:02d}"), submitted_at=submitted))
            if i % 3 != 1:  # the family as records for most: 1 + members = family size
                for k in range(i % 5):
                    s.add(m.FamilyMember(application_id=app.id, position=k + 1, full_name=NAMES[(i + k) % len(NAMES)],
                                         birth_date=dt.date(2010, 1, 1) + dt.timedelta(days=41 * k + i),
                                         sex=Sex.MALE if k % 2 else Sex.FEMALE,
                                         relation=list(FamilyRelation)[(i + k) % 5], document_number=f"M{i:05d}{k}",
                                         iin=None if k % 2 else f"10010140{i:03d}{k}"))
            for j, ct in enumerate(check_types):
                done = (i + j) % 4 != 0
                s.add(m.Check(application_id=app.id, check_type_id=ct.id,
                              status=list(CheckStatus)[(i + j) % 4] if done else CheckStatus.REQUESTED,
                              details="ok" if (i + j) % 3 == 0 else None, requested_at=submitted,
                              completed_at=submitted + dt.timedelta(days=1, microseconds=j) if done else None,
                              updated_at=submitted + dt.timedelta(days=1, microseconds=j * (i % 2))))
            if i % 4 != 3:
                s.add(m.Interview(application_id=app.id, scheduled_at=submitted + dt.timedelta(days=3),
                                  outcome=list(InterviewOutcome)[i % 3] if i % 5 else None,
                                  points=i % 11 if i % 2 else None, notes="n" if i % 3 else None))
            if i % 6 == 3:  # APPROVED: a contract with payments, some terminated
                contract = m.SocialContract(
                    number=f"SC-2026-{i:06d}", application_id=app.id, region_id=app.target_region_id,
                    family_size=1 + i % 4, start_date=dt.date(2026, 3, 1), end_date=dt.date(2031, 3, 1),
                    status=ContractStatus.TERMINATED if i % 4 == 3 else ContractStatus.ACTIVE,
                    total_support=Decimal("1500.50") if i % 2 else Decimal("0.00"))
                s.add(contract)
                await s.flush()
                measures = (await s.execute(select(m.SupportMeasure).order_by(m.SupportMeasure.id))).scalars().all()
                if i % 2:
                    for k, amount in enumerate((Decimal("1000.25"), Decimal("500.25"))):
                        s.add(m.SupportPayment(contract_id=contract.id, measure_id=measures[k % len(measures)].id,
                                               amount=amount, paid_on=dt.date(2026, 4, 1 + k), recorded_by="t"))
                if i % 4 == 3:
                    s.add(m.ContractTermination(contract_id=contract.id, reason=TerminationReason.LEFT_REGION,
                                                effective_date=dt.date(2026, 9, 1), refund_due=contract.total_support,
                                                refund_paid=Decimal("100.10") if i % 2 else Decimal("0.00"),
                                                recorded_by="t"))
            if status != ApplicationStatus.SUBMITTED:
                facts = {"language.level": list(LanguageLevel)[i % 5].value, "language.minBlockPercent": 30 + i % 20,
                         "applicant.age": 30 + i % 30, "checks.mandatoryCleared": i % 2 == 0,
                         "interview.outcome": "PASSED", "questionnaire.deportedBefore": False,
                         "questionnaire.savingsMrp": Decimal(i * 100), "questionnaire.educationLevel": "MASTER",
                         "questionnaire.workExperienceYears": i % 12, "questionnaire.russian": "BASIC",
                         "questionnaire.english": "NONE", "questionnaire.occupationInDeficit": i % 2 == 1,
                         "questionnaire.relativesInKazakhstan": True, "questionnaire.priorStayInKazakhstan": False}
                result = scoring.evaluate(DEFAULT_MODEL_DEFINITION, facts, app.route.value)
                s.add(m.Score(application_id=app.id, scoring_model_id=model.id, model_version=model.version,
                              total=result.total, max_total=result.max_total, pass_mark=result.pass_mark,
                              passed=result.passed, **result.stored(), stale=i % 4 == 0,
                              computed_at=submitted + dt.timedelta(days=5, microseconds=i % 2)))
                for days, reason in ((4, ScoreReason.FIRST_SCORE), (5, ScoreReason.NEW_FACTS)):  # SPEC §17
                    s.add(m.ScoreHistory(application_id=app.id, scoring_model_id=model.id,
                                         model_version=model.version, total=result.total - (5 - days) * 10,
                                         max_total=result.max_total, pass_mark=result.pass_mark,
                                         passed=result.passed, reason=reason,
                                         computed_at=submitted + dt.timedelta(days=days, microseconds=i % 2)))
    return ids_


# ---------------------------------------------------------------- query generation

SCALARS = {
    "Application": ["id", "number", "route", "status", "submittedAt", "dueDate", "occupationCode", "__typename"],
    "Applicant": ["id", "iin", "fullName", "birthDate", "sex", "citizenship", "ethnicKazakh", "documentNumber"],
    "Region": ["id", "code", "nameKk", "nameRu", "nameEn", "labourDeficit"],
    "LanguageTest": ["level", "listeningPercent", "readingPercent", "certificateNumber", "takenOn"],
    "Questionnaire": ["educationLevel", "workExperienceYears", "occupationCode", "familySize", "russian", "english",
                      "relativesInKazakhstan", "priorStayInKazakhstan", "criminalRecord", "deportedBefore",
                      "savings", "submittedAt"],
    "FamilyMember": ["fullName", "birthDate", "sex", "relation", "documentNumber", "iin", "__typename"],
    "Check": ["id", "status", "details", "requestedAt", "completedAt", "updatedAt", "__typename"],
    "CheckType": ["id", "code", "name", "mandatory"],
    "Agency": ["id", "code", "name"],
    "Interview": ["scheduledAt", "outcome", "points", "notes"],
    "Score": ["total", "maxTotal", "passMark", "passed", "modelVersion", "computedAt", "stale"],
    "GateResult": ["code", "passed", "value", "reason"],
    "SocialContract": ["id", "number", "familySize", "startDate", "endDate", "status", "totalSupport"],
    "SupportPayment": ["measureCode", "amount", "paidOn"],
    "ContractTermination": ["reason", "effectiveDate", "refundDue", "refundPaid", "refundOutstanding"],
    "CriterionScore": ["code", "points", "maxPoints", "value", "reason"],
}
OBJECTS = {
    "Application": {"applicant": "Applicant", "targetRegion": "Region", "languageTest": "LanguageTest",
                    "questionnaire": "Questionnaire", "familyMembers": "FamilyMember", "checks": "Check", "interview": "Interview", "score": "Score",
                    "contract": "SocialContract"},
    "SocialContract": {"region": "Region", "payments": "SupportPayment", "termination": "ContractTermination"},
    "Check": {"checkType": "CheckType", "application": "Application"},
    "CheckType": {"agency": "Agency"},
    "Score": {"gates": "GateResult", "breakdown": "CriterionScore"},
}


@st.composite
def selection(draw: Any, type_name: str, depth: int = 0) -> str:
    scalars = SCALARS[type_name]
    chosen = draw(st.lists(st.sampled_from(scalars), min_size=1, max_size=len(scalars), unique=True))
    parts = []
    for name in chosen:
        alias = draw(st.sampled_from(["", "", "", "x_"]))
        directive = draw(st.sampled_from(["", "", "", " @include(if: $yes)", " @skip(if: $yes)", " @skip(if: $no)"]))
        parts.append(f"{alias + name + ': ' if alias else ''}{name}{directive}")
    if depth < 2:
        for name, target in OBJECTS.get(type_name, {}).items():
            if draw(st.integers(0, 3)) == 0:
                continue
            inner = draw(selection(target, depth + 1))
            alias = draw(st.sampled_from(["", "", "o_"]))
            parts.append(f"{alias + name + ': ' if alias else ''}{name} {{ {inner} }}")
    if draw(st.booleans()) and type_name in ("Application", "Check"):
        parts.append(f"... on {type_name} {{ {draw(st.sampled_from(scalars))} }}")
    draw(st.randoms()).shuffle(parts)
    return " ".join(parts)


@st.composite
def applications_query(draw: Any) -> tuple[str, dict[str, Any]]:
    node = draw(selection("Application"))
    first = draw(st.sampled_from([1, 3, 7, 20, 100]))
    order = draw(st.sampled_from(["NEWEST_FIRST", "DUE_DATE"]))
    filt = draw(st.sampled_from(["", "filter: {status: PASSED}", "filter: {route: KANDAS}",
                                 "filter: {overdue: true}", "filter: {regionCode: \"KZ-55\"}"]))
    info = draw(st.sampled_from(["", "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }",
                                 "totalCount", "pi: pageInfo { endCursor } totalCount"]))
    query = (f"query Q($yes: Boolean!, $no: Boolean!, $after: String) {{ applications(first: {first}, "
             f"after: $after, orderBy: {order} {filt}) {{ {info} edges @include(if: $yes) @skip(if: $no) "
             f"{{ cursor node {{ ...F }} }} }} }} "
             f"fragment F on Application {{ {node} }}")
    return query, {"yes": True, "no": False, "after": None}


TOKENS = {"OFFICER": lambda: token_for("OFFICER", "o1"), "ADMIN": lambda: token_for("ADMIN", "a1"),
          "APPLICANT": lambda: token_for("APPLICANT", "alice")}


@pytest.fixture
async def pair(database_url: str, sessions: Any):  # type: ignore[no-untyped-def]
    await build_data(sessions)
    p = Pair(database_url)
    yield p
    await p.close()


async def test_simple_page_is_compiled_and_identical(pair: Pair) -> None:
    query = ("{ applications(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number "
             "applicant { fullName } targetRegion { nameKk } checks { status checkType { agency { code } } } "
             "score { total passed gates { code passed value reason } breakdown { code points maxPoints value reason } } "
             "questionnaire { savings occupationCode } interview { outcome points } } } } }")
    before = COMPILED_QUERIES._value.get()
    compiled, normal = await pair.both(query, {}, TOKENS["OFFICER"]())
    assert COMPILED_QUERIES._value.get() == before + 1
    assert compiled == normal
    assert b'"totalCount":36' in compiled


async def test_the_legal_sources_and_the_score_history_are_compiled_and_identical(pair: Pair) -> None:
    """SPEC §17: ``basis`` of gates and criteria, ``passMarkBasis`` (kk/ru/en, null where the
    model cites none) and ``scoreHistory`` (newest first) on both engines."""
    query = ("{ applications(first: 40) { edges { node { number score { passMarkBasis { kk ru en __typename } "
             "gates { code basis { en kk } } breakdown { code basis { ru } } } "
             "scoreHistory { modelVersion total passed computedAt reason } } } } }")
    for who in ("OFFICER", "APPLICANT"):
        before = COMPILED_QUERIES._value.get()
        compiled, normal = await pair.both(query, {}, TOKENS[who]())
        assert COMPILED_QUERIES._value.get() == before + 1
        assert compiled == normal
    scored = [e["node"] for e in json.loads(compiled)["data"]["applications"]["edges"] if e["node"]["score"]]
    assert scored and all([h["reason"] for h in n["scoreHistory"]] == ["NEW_FACTS", "FIRST_SCORE"] for n in scored)
    assert any(g["basis"] for n in scored for g in n["score"]["gates"]), "no score cites a legal source"


async def test_walking_pages_with_cursors_is_identical(pair: Pair) -> None:
    query = ("query($after: String) { applications(first: 7, after: $after, orderBy: DUE_DATE) { pageInfo { "
             "hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id dueDate } } } }")
    after = None
    seen = 0

    while True:
        compiled, normal = await pair.both(query, {"after": after}, TOKENS["ADMIN"]())
        assert compiled == normal
        page = json.loads(compiled)["data"]["applications"]
        seen += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == 36


async def test_application_by_id_and_feed_are_identical(pair: Pair, sessions: Any) -> None:
    async with sessions() as s:
        pks = (await s.execute(select(m.Application.id).order_by(m.Application.id))).scalars().all()
    for pk in pks[:8]:
        gid = ids.encode("Application", pk)
        query = (f'{{ application(id: "{gid}") {{ id number status languageTest {{ level takenOn }} '
                 "questionnaire { familySize savings submittedAt } interview { scheduledAt notes } "
                 "contract { id number totalSupport region { code } "
                 "payments { measureCode amount paidOn measure { code name nameKk capMrp perFamilyMember } } "
                 "termination { reason refundDue refundPaid refundOutstanding } } "
                 "checks { id completedAt application { id } } } }")
        for role in TOKENS:
            compiled, normal = await pair.both(query, {}, TOKENS[role]())
            assert compiled == normal, role
    feed = "{ checkResults(first: 9) { pageInfo { hasNextPage endCursor } edges { cursor node { id status updatedAt checkType { code } } } } }"
    compiled, normal = await pair.both(feed, {}, TOKENS["OFFICER"]())
    assert compiled == normal


@hsettings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
async def test_generated_queries_are_identical(pair: Pair, data: st.DataObject) -> None:
    query, variables = data.draw(applications_query())
    role = data.draw(st.sampled_from(sorted(TOKENS)))
    before = COMPILED_QUERIES._value.get()
    compiled, normal = await pair.both(query, variables, TOKENS[role]())
    assert COMPILED_QUERIES._value.get() == before + 1, "the generated query was not compiled"
    assert compiled == normal, query


@pytest.mark.skipif(PGBOUNCER, reason="through PgBouncer the server's sessions are PgBouncer's, not the pool's")
async def test_disposing_the_engine_closes_the_read_pool(pair: Pair, database_url: str) -> None:
    """The compiled path's own connections (application_name qonys-read) live only as
    long as the engine: disposing it, as the app's shutdown does, closes them. Both
    apps of the pair hold such a pool (the failed-authentication count reads
    through it too, services.throttle): both are disposed."""
    from sqlalchemy import text

    from core.db import create_engine

    async def read_connections() -> int:
        probe = create_engine(make_settings(database_url))
        try:
            async with probe.connect() as conn:
                return int((await conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'qonys-read' "
                    "AND datname = current_database()"))).scalar_one())
        finally:
            await probe.dispose()

    before = COMPILED_QUERIES._value.get()
    await pair.both("{ applications(first: 2) { totalCount } }", {}, TOKENS["OFFICER"]())
    assert COMPILED_QUERIES._value.get() == before + 1
    assert await read_connections() >= 1
    await pair.close()
    for _ in range(20):  # terminate() closes the sockets; the server notices at once
        if await read_connections() == 0:
            break
        await asyncio.sleep(0.05)
    assert await read_connections() == 0


@st.composite
def feed_query(draw: Any) -> tuple[str, dict[str, Any]]:
    node = draw(selection("Check"))
    first = draw(st.sampled_from([1, 4, 25, 100]))
    info = draw(st.sampled_from(["", "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }",
                                 "pi: pageInfo { endCursor }"]))
    since = draw(st.sampled_from(["", ', updatedSince: "2026-02-01T12:00:00+00:00"']))
    query = (f"query Q($yes: Boolean!, $no: Boolean!, $after: String) {{ checkResults(first: {first}, after: $after"
             f"{since}) {{ {info} edges @include(if: $yes) @skip(if: $no) {{ cursor node {{ ...F }} }} }} }} "
             f"fragment F on Check {{ {node} }}")
    return query, {"yes": True, "no": False, "after": None}


@pytest.fixture
async def agency_tokens(pair: Pair, sessions: Any) -> dict[str, str]:
    from services.auth import create_agency_key
    from services.viewer import SYSTEM

    keys = {}
    async with transaction(sessions) as s:
        for code in ("GPO", "MVD_MIGRATION"):  # one check type, and three (owned and granted)
            keys[code] = (await create_agency_key(s, SYSTEM, code, label="compiled"))[1]
    return keys


@hsettings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
async def test_generated_feed_queries_are_identical_for_agencies_and_staff(
        pair: Pair, agency_tokens: dict[str, str], data: st.DataObject) -> None:
    """The agencies' feed is compiled too (their row filters list their check types);
    what an agency may not read (scores, questionnaires, …) is null in both engines,
    as ``services.access.FIELDS`` declares."""
    query, variables = data.draw(feed_query())
    who = data.draw(st.sampled_from(["GPO", "MVD_MIGRATION", "OFFICER"]))
    token = TOKENS["OFFICER"]() if who == "OFFICER" else agency_tokens[who]
    before = COMPILED_QUERIES._value.get()
    compiled, normal = await pair.both(query, variables, token)
    assert COMPILED_QUERIES._value.get() == before + 1, query
    assert compiled == normal, query


async def test_agency_feed_walk_is_compiled_and_sees_only_its_checks(
        pair: Pair, agency_tokens: dict[str, str], sessions: Any) -> None:
    query = ("query($after: String) { checkResults(first: 3, after: $after) { pageInfo { hasNextPage endCursor } "
             "edges { node { id checkType { code } application { id number applicant { fullName } } } } } }")
    async with sessions() as s:
        gpo_checks = (await s.execute(select(func.count()).select_from(m.Check).join(m.CheckType).join(m.Agency)
                                      .where(m.Agency.code == "GPO"))).scalar_one()
    assert gpo_checks > 3
    seen, after = 0, None
    while True:
        before = COMPILED_QUERIES._value.get()
        compiled, normal = await pair.both(query, {"after": after}, agency_tokens["GPO"])
        assert COMPILED_QUERIES._value.get() == before + 1
        assert compiled == normal
        page = json.loads(compiled)["data"]["checkResults"]
        seen += len(page["edges"])
        assert all(e["node"]["application"] is not None for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == gpo_checks


# ---------------------------------------------------------------- the score's lines as printed (issue 18)

ODD_TEXTS = ['say "yes"', "back\\slash", "line\nbreak\ttab\x01\x1f", "Әлия Сәрсенқызы — ⚖ 🇰🇿", "</script>", "",
             "'single' and \u2028 separator"]


async def test_the_rendered_lines_print_any_text_as_the_resolvers_do(pair: Pair, sessions: Any) -> None:
    """A score's gates and breakdown are sent as the score keeps them printed
    (``score.rendered_gates`` / ``rendered_breakdown``) when every field of a line is
    asked for in order, and element by element otherwise: both byte for byte what
    normal execution prints, for texts that need escaping, null values and a value
    stored as a number."""
    async with transaction(sessions) as s:
        score = (await s.execute(select(m.Score).order_by(m.Score.id).limit(1))).scalar_one()
        gates = [{"code": f"G{k}", "passed": k % 2 == 0, "value": text if k % 3 else None, "reason": text}
                 for k, text in enumerate(ODD_TEXTS)]
        breakdown = [{"code": f"C{k}", "points": k, "maxPoints": 10, "value": 7 if k == 2 else text, "reason": text}
                     for k, text in enumerate(ODD_TEXTS)]
        result = {**score.result, "gates": gates, "breakdown": breakdown}
        score.result, score.explanation = result, None
        score.rendered_gates, score.rendered_breakdown = rendered_lines(result).values()
        gid = ids.encode("Application", score.application_id)
    printed = "gates { code passed value reason } breakdown { code points maxPoints value reason }"
    for lines in (printed, "breakdown { reason code value } gates { passed code }",  # the second: element by element
                  "gates { code passed value r: reason } breakdown { code points maxPoints value reason __typename }"):
        before = COMPILED_QUERIES._value.get()
        compiled, normal = await pair.both(f'{{ application(id: "{gid}") {{ score {{ total {lines} }} }} }}', {},
                                           TOKENS["OFFICER"]())
        assert COMPILED_QUERIES._value.get() == before + 1
        assert compiled == normal, lines
        if lines == printed:
            assert [g["reason"] for g in json.loads(compiled)["data"]["application"]["score"]["gates"]] == ODD_TEXTS

    # The printed form is what the compiled path reads for that selection: changed behind the
    # score's back, the compiled answer follows it (and the element-by-element one does not).
    async with transaction(sessions) as s:
        await s.execute(update(m.Score).where(m.Score.id == score.id).values(rendered_gates="[]"))
    for lines, shown in ((printed, 0), ("gates { passed code }", len(ODD_TEXTS))):
        compiled, _ = await pair.both(f'{{ application(id: "{gid}") {{ score {{ {lines} }} }} }}', {},
                                      TOKENS["OFFICER"]())
        assert len(json.loads(compiled)["data"]["application"]["score"]["gates"]) == shown, lines
