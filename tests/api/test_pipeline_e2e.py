"""The application pipeline end to end over GraphQL: one application per route
through the four stages to an explained score, the officers' list, and the
statement count of a deep list query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select, update

import models as m
from models.base import today_almaty, utcnow
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    EducationLevel,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Route,
    Sex,
)
from services import scoring_models
from tests.conftest import GQL
from tests.helpers_pipeline import (
    APPLICATION,
    DECIDE,
    OUTCOME,
    SCORE,
    WITHDRAW,
    Env,
    birth_for_age,
    fresh_env,
    mrp_2026_savings,
    ok,
    submit,
    submit_input,
    take_through,
)

@pytest.fixture(scope="module")
async def env(template_url, tmp_path_factory) -> Any:
    """One database for the route tests: each makes its own applications."""
    async with fresh_env(template_url, tmp_path_factory.mktemp("e2e")) as e:
        yield e


DEFAULT_GATES = ["language", "language_blocks", "checks", "interview", "adult", "not_deported", "no_false_documents"]


def breakdown(app: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {c["code"]: (c["points"], c["maxPoints"]) for c in app["score"]["breakdown"]}


def gates(app: dict[str, Any]) -> dict[str, tuple[bool, str | None]]:
    return {g["code"]: (g["passed"], g["value"]) for g in app["score"]["gates"]}


async def test_kandas_through_four_stages_to_an_explained_score(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("KANDAS", "KZ-55", age=34))
    assert app["status"] == "SUBMITTED" and app["route"] == "KANDAS"
    assert app["number"].startswith(f"RP-{today_almaty().year}-") and len(app["number"]) == 14
    assert app["dueDate"] == (today_almaty() + dt.timedelta(days=29)).isoformat()
    assert app["targetRegion"] == {"code": "KZ-55", "labourDeficit": True}

    # B1 (55% / 60%); BACHELOR, 7 years, nurse-doctor 2211 (on Pavlodar's list),
    # family of 4, Russian FLUENT, English BASIC, relatives yes, prior stay no.
    scored = await take_through(gql, app["id"])
    assert len(scored["checks"]) == 5 and {c["status"] for c in scored["checks"]} == {"CLEARED"}
    assert scored["interview"]["outcome"] == "PASSED" and scored["interview"]["points"] == 8
    score = scored["score"]
    # kazakh B1 110 + age 34 → 80 + BACHELOR 100 + 7 years → 80 + Russian FLUENT 40
    # + English BASIC 20 + deficit occupation 60 + relatives 30 + prior stay 0 = 520
    assert breakdown(scored) == {
        "kazakh": (110, 150), "age": (80, 100), "education": (100, 140), "experience": (80, 100),
        "russian": (40, 40), "english": (20, 40), "deficit_occupation": (60, 60), "relatives": (30, 30),
        "prior_stay": (0, 30),
    }
    assert score["total"] == 520 and score["maxTotal"] == 690 and score["passMark"] == 400
    # the solvency gate applies to GENERAL only and is left out for KANDAS
    assert list(gates(scored)) == DEFAULT_GATES
    assert all(passed for passed, _ in gates(scored).values())
    assert gates(scored)["language"][1] == "B1" and gates(scored)["language_blocks"][1] == "55"
    assert gates(scored)["adult"][1] == "34"
    assert score["passed"] is True and scored["status"] == "PASSED"
    assert score["modelVersion"] == "2026.4"  # the model in force (2026.4 from 2026-01-04)
    assert all(c["reason"] for c in score["breakdown"]) and all(g["reason"] for g in score["gates"])

    # KANDAS is approved only by selection rounds.
    data = await gql.ok(DECIDE, {"input": {"applicationId": app["id"], "decision": "APPROVE"}}, role="OFFICER")
    assert data["decideApplication"]["errors"][0]["code"] == "INVALID_STATE"
    assert "selection rounds" in data["decideApplication"]["errors"][0]["message"]


async def test_general_route_with_exact_solvency(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("GENERAL", "KZ-75", age=26, ethnic_kazakh=False, citizenship="TUR",
                                         sex="FEMALE"))
    scored = await take_through(
        gql, app["id"], language={"level": "A2", "listeningPercent": 40, "readingPercent": 35},
        questionnaire={"educationLevel": "MASTER", "workExperienceYears": 3, "occupationCode": None,
                       "russian": "BASIC", "english": "FLUENT", "relativesInKazakhstan": False,
                       "priorStayInKazakhstan": True, "familySize": 1,
                       # 1,320 MRP × 4,325 tenge = 5,709,000.00: exactly the minimum
                       "savings": mrp_2026_savings(1320)},
    )
    assert scored["questionnaire"]["savings"] == "5709000.00"
    # kazakh A2 80 + age 26 → 100 + MASTER 120 + 3 years → 60 + Russian BASIC 20
    # + English FLUENT 40 + no occupation 0 + relatives 0 + prior stay 30 = 450
    assert breakdown(scored) == {
        "kazakh": (80, 150), "age": (100, 100), "education": (120, 140), "experience": (60, 100),
        "russian": (20, 40), "english": (40, 40), "deficit_occupation": (0, 60), "relatives": (0, 30),
        "prior_stay": (30, 30),
    }
    assert scored["score"]["total"] == 450
    assert list(gates(scored)) == [*DEFAULT_GATES, "solvency"]
    assert gates(scored)["solvency"] == (True, "1320.00")  # 5,709,000.00 / 4,325 = 1320.00 MRP
    assert gates(scored)["language_blocks"] == (True, "35")
    assert scored["score"]["passed"] is True and scored["status"] == "PASSED"

    decided = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "APPROVE", "reason": "meets every rule"})
    assert decided["status"] == "APPROVED"


async def test_general_route_one_tiyn_short_fails_solvency(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("GENERAL", "KZ-71", age=26, ethnic_kazakh=False, citizenship="TUR"))
    short = str(Decimal(mrp_2026_savings(1320)) - Decimal("0.01"))  # 5,708,999.99 → 1319.99 MRP
    scored = await take_through(gql, app["id"], questionnaire={"savings": short})
    assert gates(scored)["solvency"] == (False, "1319.99")
    assert scored["score"]["passed"] is False and scored["status"] == "FAILED"
    assert scored["score"]["total"] >= 400  # fails on the gate, not on points


async def test_labour_route_scored_and_approved_takes_a_seat(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("LABOUR", "KZ-23", "7212", age=45, ethnic_kazakh=False, citizenship="IND"))
    assert app["occupationCode"] == "7212"
    scored = await take_through(
        gql, app["id"], language={"level": "B2", "listeningPercent": 70, "readingPercent": 65},
        questionnaire={"educationLevel": "VOCATIONAL", "workExperienceYears": 12, "occupationCode": "7212",
                       "russian": "FLUENT", "english": "NONE", "relativesInKazakhstan": False,
                       "priorStayInKazakhstan": False, "familySize": 1},
    )
    # kazakh B2 130 + age 45 → 50 + VOCATIONAL 60 + 12 years → 100 + Russian FLUENT 40
    # + English NONE 0 + welder on Atyrau's list 60 + relatives 0 + prior stay 0 = 440
    assert breakdown(scored) == {
        "kazakh": (130, 150), "age": (50, 100), "education": (60, 140), "experience": (100, 100),
        "russian": (40, 40), "english": (0, 40), "deficit_occupation": (60, 60), "relatives": (0, 30),
        "prior_stay": (0, 30),
    }
    assert scored["score"]["total"] == 440 and scored["score"]["passed"] is True
    assert list(gates(scored)) == DEFAULT_GATES

    quota_q = "{ quotas(year: %d, kind: LABOUR) { region { code } occupationCode capacity used remaining } }" % today_almaty().year

    def welders(data: dict[str, Any]) -> dict[str, Any]:
        return next(q for q in data["quotas"] if q["region"]["code"] == "KZ-23" and q["occupationCode"] == "7212")

    before = welders(await gql.ok(quota_q, role="OFFICER"))
    decided = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"})
    assert decided["status"] == "APPROVED"
    after = welders(await gql.ok(quota_q, role="OFFICER"))
    assert after["used"] == before["used"] + 1 and after["remaining"] == before["remaining"] - 1


async def test_no_show_fails_the_interview_gate_and_a_rescore_follows_new_facts(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("KANDAS", "KZ-11", age=34))
    scored = await take_through(gql, app["id"], outcome="NO_SHOW", points=None)
    assert gates(scored)["interview"] == (False, "NO_SHOW")
    assert scored["score"]["total"] == 520  # points still explained; the gate decides
    assert scored["score"]["passed"] is False and scored["status"] == "FAILED"

    # The applicant came after all: new facts, scored again until decided.
    await ok(gql, OUTCOME, {"applicationId": app["id"], "outcome": "PASSED", "points": 7})
    rescored = await ok(gql, SCORE, {"applicationId": app["id"]})
    assert rescored["status"] == "PASSED" and rescored["score"]["passed"] is True
    assert rescored["score"]["computedAt"] >= scored["score"]["computedAt"]

    rejected = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "REJECT", "reason": "documents forged"})
    assert rejected["status"] == "REJECTED"
    data = await gql.ok(SCORE, {"input": {"applicationId": app["id"]}}, role="OFFICER")
    assert data["scoreApplication"]["errors"][0]["code"] == "INVALID_STATE"


# ---------------------------------------------------------------- the officers' list

LIST = """query($first: Int, $after: String, $filter: ApplicationFilter, $orderBy: ApplicationOrder) {
  applications(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number status dueDate route } } } }"""


async def all_pages(gql: GQL, **variables: Any) -> tuple[list[dict[str, Any]], set[int]]:
    nodes: list[dict[str, Any]] = []
    totals: set[int] = set()
    after = None
    for _ in range(50):
        data = (await gql.ok(LIST, {"first": 2, "after": after, **variables}, role="OFFICER"))["applications"]
        totals.add(data["totalCount"])
        assert len(data["edges"]) <= 2
        nodes += [e["node"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return nodes, totals
        after = data["pageInfo"]["endCursor"]
    raise AssertionError("pagination never ended")


async def test_application_list_keyset_pages_filters_and_due_order(gql: GQL, sessions) -> None:
    made = [
        await submit(gql, submit_input("KANDAS", "KZ-55")),
        await submit(gql, submit_input("KANDAS", "KZ-11")),
        await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False)),
        await submit(gql, submit_input("LABOUR", "KZ-55", "7212", ethnic_kazakh=False)),
        await submit(gql, submit_input("GENERAL", "KZ-55", ethnic_kazakh=False)),
    ]
    ids = [a["id"] for a in made]

    nodes, totals = await all_pages(gql)
    assert sorted(n["id"] for n in nodes) == sorted(ids) and len(nodes) == len(set(n["id"] for n in nodes))
    assert totals == {5}
    assert [n["id"] for n in nodes] == list(reversed(ids))  # newest first by default

    await ok(gql, WITHDRAW, {"applicationId": ids[1], "reason": "changed plans"})
    nodes, totals = await all_pages(gql, filter={"status": "WITHDRAWN"})
    assert [n["id"] for n in nodes] == [ids[1]] and totals == {1}
    nodes, totals = await all_pages(gql, filter={"status": "SUBMITTED"})
    assert len(nodes) == 4 and totals == {4}
    nodes, _ = await all_pages(gql, filter={"route": "GENERAL"})
    assert sorted(n["id"] for n in nodes) == sorted([ids[2], ids[4]])
    nodes, _ = await all_pages(gql, filter={"regionCode": "KZ-55"})
    assert sorted(n["id"] for n in nodes) == sorted([ids[0], ids[3], ids[4]])
    nodes, _ = await all_pages(gql, filter={"regionCode": "KZ-55", "route": "LABOUR"})
    assert [n["id"] for n in nodes] == [ids[3]]

    # Due dates: two overdue (one of them withdrawn, hence not overdue), the rest later.
    today = today_almaty()
    due = {ids[0]: today + dt.timedelta(days=3), ids[1]: today - dt.timedelta(days=5),
           ids[2]: today - dt.timedelta(days=1), ids[3]: today + dt.timedelta(days=3),
           ids[4]: today + dt.timedelta(days=10)}
    async with sessions() as s, s.begin():
        for app_id, when in due.items():
            number = next(a["number"] for a in made if a["id"] == app_id)
            await s.execute(update(m.Application).where(m.Application.number == number).values(due_date=when))

    nodes, totals = await all_pages(gql, filter={"overdue": True})
    assert [n["id"] for n in nodes] == [ids[2]] and totals == {1}
    nodes, _ = await all_pages(gql, filter={"overdue": False})
    assert sorted(n["id"] for n in nodes) == sorted([ids[0], ids[1], ids[3], ids[4]])

    nodes, totals = await all_pages(gql, orderBy="DUE_DATE")
    assert totals == {5}
    assert [n["dueDate"] for n in nodes] == sorted(d.isoformat() for d in due.values())
    # equal due dates are ordered by id, and the pages still visit each application once
    assert [n["id"] for n in nodes] == [ids[1], ids[2], ids[0], ids[3], ids[4]]


# ---------------------------------------------------------------- statement count

DEEP = """query($first: Int) { applications(first: $first) { totalCount edges { node {
  id number applicant { fullName iin } targetRegion { code nameEn }
  languageTest { level certificateNumber } questionnaire { familySize savings occupationCode }
  checks { status checkType { code agency { code name } } }
  interview { outcome points } score { total passed breakdown { code points } } } } } }"""

async def make_scored_applications(sessions, n: int) -> None:
    """``n`` KANDAS applications with every stage and a score, written straight to the
    tables in a few bulk statements (the statement-count test needs data, not the rules)."""
    today = today_almaty()
    now = utcnow()
    async with sessions() as s, s.begin():
        regions = (await s.execute(select(m.Region).where(m.Region.labour_deficit.is_(True)))).scalars().all()
        check_types = (await s.execute(select(m.CheckType))).scalars().all()
        nurse = (await s.execute(select(m.Occupation).where(m.Occupation.code == "2211"))).scalar_one()
        people = [m.Applicant(full_name=f"Aigerim Bulk {chr(65 + i % 26)}{chr(65 + i // 26)}",
                              birth_date=birth_for_age(20 + i % 40), sex=Sex.FEMALE, citizenship="MNG",
                              ethnic_kazakh=True, document_number=f"MN{i:07d}") for i in range(n)]
        s.add_all(people)
        await s.flush()
        apps = [m.Application(number=f"RP-{today.year}-9{i:05d}", applicant_id=p.id, route=Route.KANDAS,
                              target_region_id=regions[i % len(regions)].id, status=ApplicationStatus.SUBMITTED,
                              citizenship="MNG", document_number=p.document_number, submitted_at=now,
                              due_date=today + dt.timedelta(days=29)) for i, p in enumerate(people)]
        s.add_all(apps)
        await s.flush()
        for i, a in enumerate(apps):
            s.add(m.LanguageTest(application_id=a.id, level=LanguageLevel.A2, listening_percent=50, reading_percent=60,
                                 certificate_number=f"BULK-{i:05d}", taken_on=today - dt.timedelta(days=3)))
            s.add(m.Questionnaire(application_id=a.id, education_level=EducationLevel.SECONDARY,
                                  work_experience_years=i % 12, occupation_id=nurse.id if i % 2 else None,
                                  family_size=1 + i % 5, russian=Proficiency.BASIC, english=Proficiency.NONE,
                                  relatives_in_kazakhstan=bool(i % 3), prior_stay_in_kazakhstan=False,
                                  criminal_record=False, deported_before=False, savings=Decimal("100000.50")))
            for t in check_types:
                s.add(m.Check(application_id=a.id, check_type_id=t.id, status=CheckStatus.CLEARED, requested_at=now,
                              completed_at=now, updated_at=now))
            s.add(m.Interview(application_id=a.id, scheduled_at=now, outcome=InterviewOutcome.PASSED, points=i % 11))
        await s.flush()
        model = await scoring_models.model_in_force(s, today)
        results = await scoring_models.evaluate_batch(s, apps, model, today)
        for a in apps:
            r = results[a.id]
            s.add(m.Score(application_id=a.id, scoring_model_id=model.id, model_version=model.version, total=r.total,
                          max_total=r.max_total, pass_mark=r.pass_mark, passed=r.passed, **r.stored(),
                          computed_at=now))
            a.status = ApplicationStatus.PASSED if r.passed else ApplicationStatus.FAILED


async def test_deep_list_issues_the_same_statements_for_10_and_100_rows(gql: GQL, app, sessions) -> None:
    await make_scored_applications(sessions, 100)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        results = {}
        for first in (10, 100):
            statements.clear()
            data = await gql.ok(DEEP, {"first": first}, role="OFFICER")
            edges = data["applications"]["edges"]
            assert len(edges) == first and data["applications"]["totalCount"] == 100
            assert all(len(e["node"]["checks"]) == 5 and e["node"]["score"] for e in edges)
            assert all(c["checkType"]["agency"]["code"] for e in edges for c in e["node"]["checks"])
            # the page's statements: not the request's authentication (the failed-authentication
            # count, services.throttle: one per request whatever the page)
            results[first] = len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))
                                  and "failed_authentication" not in s])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    print(f"\nSQL statements for a deep page: 10 rows → {results[10]}, 100 rows → {results[100]}")
    assert results[10] == results[100]
    # the page and its count, then one batch per nested table: applicant, region,
    # language test, questionnaire (and its occupation), checks, check type, agency, interview, score
    assert results[10] <= 12


async def test_applicant_sees_the_score_explained_through_node(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("KANDAS", "KZ-59"), role="APPLICANT", subject="e2e-alice")
    await take_through(gql, app["id"])
    node = (await gql.ok("query($id: ID!) { node(id: $id) { ... on Application { status score { total passed } } } }",
                         {"id": app["id"]}, role="APPLICANT", subject="e2e-alice"))["node"]
    assert node == {"status": "PASSED", "score": {"total": 520, "passed": True}}
    mine = (await gql.ok(APPLICATION, {"id": app["id"]}, role="APPLICANT", subject="e2e-alice"))["application"]
    assert mine["score"]["modelVersion"] == "2026.4"
