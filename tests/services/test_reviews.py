"""Review of a decision (SPEC §14): asked within 3 months of the decision, one open at
a time, due 20 working days later (weekends and the public holidays skipped), decided
by another officer than the one who decided (four eyes) or an administrator;
OVERTURNED moves the application back. Over GraphQL, with row counts around every
refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

import models as m
from api.graphql import ids
from core.db import transaction
from models.base import ALMATY
from models.enums import ApplicationStatus, Route
from services import holidays, integrity, reviews
from services.auth import create_agency_key
from services.rules import add_months
from services.viewer import SYSTEM
from tests import factories as f

ERRORS = "errors { field code message }"
REVIEW_FIELDS = ("id number status grounds requestedAt requestedBy dueDate overdue reviewedStatus decisionOn "
                 "decisionBy scoreModelVersion scoreTotal scorePassed outcome reason decidedAt decidedBy "
                 "application { id status decision { outcome } }")
REQUEST = ("mutation($input: RequestReviewInput!) { requestReview(input: $input) { "
           f"review {{ {REVIEW_FIELDS} }} {ERRORS} }} }}")
DECIDE_REVIEW = ("mutation($input: DecideReviewInput!) { decideReview(input: $input) { "
                 f"review {{ {REVIEW_FIELDS} }} {ERRORS} }} }}")
REJECT = ("mutation($input: DecideApplicationInput!) { decideApplication(input: $input) { "
          f"application {{ id status }} {ERRORS} }} }}")
REVIEWS_OF = f"query($id: ID!) {{ application(id: $id) {{ status reviews {{ {REVIEW_FIELDS} }} }} }}"
LIST = ("query($filter: DecisionReviewFilter) { decisionReviews(filter: $filter) { totalCount "
        "edges { node { number dueDate overdue status } } } }")
GROUNDS = "The interview points were recorded for another applicant."


def gid(type_name: str, pk: int) -> str:
    return ids.encode(type_name, pk)


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def rows(sessions: Any) -> dict[str, Any]:
    """What a refused action must leave as it was: row counts, statuses of reviews and applications."""
    async with sessions() as s:
        counts = {model.__tablename__: (await s.execute(select(func.count()).select_from(model))).scalar_one()
                  for model in (m.DecisionReview, m.AuditEvent, m.ApplicationDecision)}
        counts["reviews"] = [tuple(r) for r in (await s.execute(
            select(m.DecisionReview.id, m.DecisionReview.status).order_by(m.DecisionReview.id))).all()]
        counts["applications"] = [tuple(r) for r in (await s.execute(
            select(m.Application.id, m.Application.status).order_by(m.Application.id))).all()]
    return counts


async def mutate(gql: Any, doc: str, input: dict[str, Any], role: str = "OFFICER", **who: Any) -> dict[str, Any]:
    (payload,) = (await gql.ok(doc, {"input": input}, role=role, **who)).values()
    return payload


async def rejected(gql: Any, sessions: Any, *, by: str = "officer-1", owner: str | None = "alice",
                   route: Route = Route.GENERAL, score: int = 500) -> m.Application:
    """A PASSED application refused by officer ``by`` today."""
    async with transaction(sessions) as s:
        app = await f.make_passed_application(s, route=route, region_code="KZ-75" if route == Route.GENERAL else "KZ-55",
                                              score=score, owner_subject=owner,
                                              status=ApplicationStatus.PASSED if score >= 400 else ApplicationStatus.FAILED)
    done = await mutate(gql, REJECT, {"applicationId": gid("Application", app.id), "decision": "REJECT",
                                      "reason": "The documents do not match."}, subject=by)
    assert done["errors"] == [] and done["application"]["status"] == "REJECTED"
    return app


async def ask(gql: Any, app: m.Application, grounds: str = GROUNDS, role: str = "APPLICANT",
              subject: str = "alice") -> dict[str, Any]:
    return await mutate(gql, REQUEST, {"applicationId": gid("Application", app.id), "grounds": grounds},
                        role=role, subject=subject)


# ---------------------------------------------------------------- asking


async def test_the_applicant_asks_and_the_review_keeps_what_was_decided(gql: Any, sessions: Any, clock: Any) -> None:
    app = await rejected(gql, sessions)
    payload = await ask(gql, app)
    assert payload["errors"] == []
    review = payload["review"]
    assert review["number"] == f"RV-{clock.today.year}-000001"
    assert (review["status"], review["reviewedStatus"], review["decisionOn"]) == (
        "OPEN", "REJECTED", clock.today.isoformat())
    assert (review["scoreModelVersion"], review["scoreTotal"], review["scorePassed"]) == ("2026.1", 500, True)
    # Who asked and who decided: staff only.
    assert (review["requestedBy"], review["decisionBy"]) == (None, None)
    staff = (await gql.ok(REVIEWS_OF, {"id": gid("Application", app.id)}, role="OFFICER"))["application"]
    assert (staff["reviews"][0]["requestedBy"], staff["reviews"][0]["decisionBy"]) == ("alice", "officer-1")
    # TEST_TODAY, Friday 4 December 2026: 20 working days, 16 December and 1 January skipped.
    assert review["dueDate"] == "2027-01-05" and review["overdue"] is False
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(m.AuditEvent)
                                .where(m.AuditEvent.action == "review.request"))).scalar_one() == 1


async def test_refusals_write_nothing(gql: Any, sessions: Any, clock: Any) -> None:
    app = await rejected(gql, sessions)
    async with transaction(sessions) as s:
        passed = await f.make_passed_application(s, owner_subject="alice")
        _, key = await create_agency_key(s, SYSTEM, "GPO", label="test")
    before = await rows(sessions)
    cases = [
        (await ask(gql, app, grounds="too short"), "INVALID_INPUT", ["input", "grounds"]),
        (await ask(gql, app, grounds="x" * 4001), "INVALID_INPUT", ["input", "grounds"]),
        (await ask(gql, passed), "INVALID_STATE", ["input", "applicationId"]),
        (await ask(gql, app, subject="bob"), "NOT_FOUND", ["input", "applicationId"]),
        (await ask(gql, app, role="OFFICER", subject="x", grounds="short"), "INVALID_INPUT", ["input", "grounds"]),
    ]
    agency = (await gql.ok(REQUEST, {"input": {"applicationId": gid("Application", app.id), "grounds": GROUNDS}},
                           token=key))["requestReview"]
    cases.append((agency, "FORBIDDEN", None))
    for payload, code, field in cases:
        assert payload["review"] is None and errors_of(payload) == [(code, field)], payload
    assert await rows(sessions) == before

    assert (await ask(gql, app, role="OFFICER", subject="officer-2"))["errors"] == []  # on the applicant's behalf
    before = await rows(sessions)
    second = await ask(gql, app)
    assert errors_of(second) == [("DUPLICATE", ["input", "applicationId"])]
    assert "RV-2026-000001" in second["errors"][0]["message"]
    assert await rows(sessions) == before


@pytest.mark.parametrize("decided_on", [dt.date(2026, 9, 4), dt.date(2026, 11, 30), dt.date(2027, 1, 31)])
async def test_within_three_months_of_the_decision(gql: Any, sessions: Any, clock: Any, decided_on: dt.date) -> None:
    clock.pin(decided_on)
    app = await rejected(gql, sessions)
    last_day = add_months(decided_on, 3)
    clock.pin(last_day + dt.timedelta(days=1))
    before = await rows(sessions)
    late = await ask(gql, app)
    assert errors_of(late) == [("INVALID_STATE", ["input", "applicationId"])]
    assert f"the last day was {last_day.isoformat()}" in late["errors"][0]["message"]
    assert late["errors"][0]["message"].startswith("a review may be asked for within 3 months")
    assert await rows(sessions) == before
    clock.pin(last_day)
    assert (await ask(gql, app))["errors"] == []


def test_the_last_day_to_ask() -> None:
    assert reviews.last_day_to_ask(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)
    assert reviews.last_day_to_ask(dt.date(2027, 11, 30)) == dt.date(2028, 2, 29)
    assert reviews.last_day_to_ask(dt.date(2026, 3, 15)) == dt.date(2026, 6, 15)


# ---------------------------------------------------------------- the due date


# (request date, working days, due date): weekends, 16 December, 1–2 and 7 January, 21–23 March skipped.
DUE_DATES = [
    (dt.date(2026, 12, 15), 1, dt.date(2026, 12, 17)),   # Tue; Wed 16 Dec is Independence Day
    (dt.date(2026, 12, 16), 1, dt.date(2026, 12, 17)),   # asked on the holiday itself
    (dt.date(2026, 12, 11), 3, dt.date(2026, 12, 17)),   # Fri; Mon 14, Tue 15, (16), Thu 17
    (dt.date(2026, 12, 2), 20, dt.date(2026, 12, 31)),
    (dt.date(2026, 12, 15), 20, dt.date(2027, 1, 15)),   # 16 Dec, Fri 1 Jan and Thu 7 Jan skipped
    (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 4)),     # Fri 1 Jan, Sat 2, Sun 3
    (dt.date(2026, 3, 20), 1, dt.date(2026, 3, 24)),     # Fri; Sat 21, Sun 22, Mon 23 Nauryz
    (dt.date(2027, 3, 19), 1, dt.date(2027, 3, 24)),     # Fri; Mon 22 and Tue 23 Nauryz
    (dt.date(2028, 3, 20), 1, dt.date(2028, 3, 24)),     # Mon; Tue 21 to Thu 23 Nauryz
    (dt.date(2026, 3, 16), 20, dt.date(2026, 4, 14)),    # Mon 23 Mar skipped
    (dt.date(2026, 3, 6), 1, dt.date(2026, 3, 9)),       # 8 March is a Sunday: no day moves by itself
]


@pytest.mark.parametrize(("asked", "days", "due"), DUE_DATES)
async def test_working_days_skip_weekends_and_the_seeded_holidays(
    sessions: Any, asked: dt.date, days: int, due: dt.date
) -> None:
    async with sessions() as s:
        assert await holidays.working_days_after(s, asked, days) == due


async def test_a_dated_holiday_added_by_an_administrator_moves_the_due_date(sessions: Any) -> None:
    async with sessions() as s:
        assert await holidays.working_days_after(s, dt.date(2026, 5, 26), 1) == dt.date(2026, 5, 27)
    async with transaction(sessions) as s:
        await holidays.save_holiday(s, SYSTEM, on_date=dt.date(2026, 5, 27), name_kk="Құрбан айт",
                                    name_ru="Курбан айт", name_en="Kurban Ait")
    async with sessions() as s:
        assert await holidays.working_days_after(s, dt.date(2026, 5, 26), 1) == dt.date(2026, 5, 28)
        assert (await s.execute(select(func.count()).select_from(m.AuditEvent)
                                .where(m.AuditEvent.action == "holiday.create"))).scalar_one() == 1


async def test_holiday_edits_are_validated(sessions: Any) -> None:
    from services.errors import ServiceError
    from services.viewer import Viewer

    cases = [
        (dict(month=2, day=30), "INVALID_INPUT", ("input", "day")),
        (dict(month=13, day=1), "INVALID_INPUT", ("input", "month")),
        (dict(month=3, day=1, on_date=dt.date(2026, 3, 1)), "INVALID_INPUT", ("input", "onDate")),
        (dict(month=12, day=16), "DUPLICATE", ("input", "month")),
    ]
    for values, code, field in cases:
        with pytest.raises(ServiceError) as refused:
            async with transaction(sessions) as s:
                await holidays.save_holiday(s, SYSTEM, name_kk="a", name_ru="b", name_en="c", **values)
        assert [(e.code.value, e.field) for e in refused.value.errors] == [(code, field)]
    with pytest.raises(ServiceError) as refused:
        async with transaction(sessions) as s:
            await holidays.save_holiday(s, Viewer(subject="o", role="OFFICER"), month=4, day=1, name_kk="a",
                                        name_ru="b", name_en="c")
    assert refused.value.errors[0].code.value == "FORBIDDEN"


# ---------------------------------------------------------------- deciding


async def test_four_eyes_the_deciding_officer_may_not_decide_its_review(gql: Any, sessions: Any) -> None:
    app = await rejected(gql, sessions, by="officer-1")
    review = (await ask(gql, app))["review"]
    decide = {"reviewId": review["id"], "outcome": "UPHELD", "reason": "The refusal stands."}
    before = await rows(sessions)
    same = await mutate(gql, DECIDE_REVIEW, decide, subject="officer-1")
    assert same["review"] is None and errors_of(same) == [("FORBIDDEN", ["input", "reviewId"])]
    assert "four eyes" in same["errors"][0]["message"]
    assert errors_of(await mutate(gql, DECIDE_REVIEW, decide, role="APPLICANT", subject="alice")) == [
        ("FORBIDDEN", None)]
    assert errors_of(await mutate(gql, DECIDE_REVIEW, {**decide, "reason": " "}, subject="officer-2")) == [
        ("INVALID_INPUT", ["input", "reason"])]
    assert errors_of(await mutate(gql, DECIDE_REVIEW, {**decide, "reviewId": gid("DecisionReview", 98765)},
                                  subject="officer-2")) == [("NOT_FOUND", ["input", "reviewId"])]
    assert await rows(sessions) == before

    upheld = await mutate(gql, DECIDE_REVIEW, decide, subject="officer-2")
    assert upheld["errors"] == []
    r = upheld["review"]
    assert (r["status"], r["outcome"], r["reason"], r["decidedBy"]) == ("UPHELD", "UPHELD", "The refusal stands.",
                                                                         "officer-2")
    assert r["application"]["status"] == "REJECTED" and r["application"]["decision"]["outcome"] == "REJECTED"
    before = await rows(sessions)
    again = await mutate(gql, DECIDE_REVIEW, decide, subject="officer-3")
    assert errors_of(again) == [("INVALID_STATE", ["input", "reviewId"])]
    assert await rows(sessions) == before
    # After the first review is decided, another may be asked for (within the 3 months).
    assert (await ask(gql, app))["errors"] == []


async def test_an_administrator_may_decide_even_its_own_decision(gql: Any, sessions: Any) -> None:
    app = await rejected(gql, sessions, by="admin-1")
    review = (await ask(gql, app))["review"]
    done = await mutate(gql, DECIDE_REVIEW, {"reviewId": review["id"], "outcome": "UPHELD", "reason": "Stands."},
                        role="ADMIN", subject="admin-1")
    assert done["errors"] == []


async def test_overturned_rejection_goes_back_to_passed(gql: Any, sessions: Any) -> None:
    app = await rejected(gql, sessions, route=Route.KANDAS)
    review = (await ask(gql, app))["review"]
    done = await mutate(gql, DECIDE_REVIEW, {"reviewId": review["id"], "outcome": "OVERTURNED",
                                             "reason": "The documents match after all."}, subject="officer-2")
    assert done["errors"] == []
    assert done["review"]["status"] == "OVERTURNED"
    # Undecided again: no decision in force; a KANDAS application waits for the next round.
    assert done["review"]["application"] == {"id": gid("Application", app.id), "status": "PASSED", "decision": None}
    async with sessions() as s:
        row = await s.get(m.Application, app.id)
        assert (row.decided_at, row.decision_reason) == (None, None)
        moved = (await s.execute(select(m.AuditEvent.changes).where(
            m.AuditEvent.action == "application.review_overturn"))).scalar_one()
        assert moved["status"] == ["REJECTED", "PASSED"]
        # The move is an audited status change: the integrity check finds nothing amiss.
        assert [v for v in await integrity.check(s) if v.table == "application"] == []


async def test_no_overturn_while_another_undecided_application_holds_the_document(gql: Any, sessions: Any) -> None:
    """SPEC §8 (one undecided application per document and per IIN) holds after a
    review too: a rejected application may not become undecided again beside another
    undecided one on the same document, submitted once the first was decided."""
    app = await rejected(gql, sessions, route=Route.KANDAS)
    review = (await ask(gql, app))["review"]
    async with transaction(sessions) as s:
        twin = await f.make_application(s)
        twin.citizenship, twin.document_number = app.citizenship, app.document_number
    overturn = {"reviewId": review["id"], "outcome": "OVERTURNED", "reason": "The documents match after all."}
    before = await rows(sessions)
    refused = await mutate(gql, DECIDE_REVIEW, overturn, subject="officer-2")
    assert refused["review"] is None and errors_of(refused) == [("DUPLICATE", ["input", "reviewId"])]
    assert twin.number in refused["errors"][0]["message"]
    assert await rows(sessions) == before
    async with transaction(sessions) as s:  # the other one decided: the review may overturn
        (await s.get(m.Application, twin.id)).status = ApplicationStatus.WITHDRAWN
    done = await mutate(gql, DECIDE_REVIEW, overturn, subject="officer-2")
    assert done["errors"] == [] and done["review"]["application"]["status"] == "PASSED"


async def test_an_overturned_rejection_gets_back_the_checks_it_cancelled(gql: Any, sessions: Any) -> None:
    """Refused while its checks still waited for the agencies, the application had them
    CANCELLED; overturned (SPEC §14), they are REQUESTED again: results can be recorded
    and the application is scored on them, instead of failing the checks gate for good."""
    from tests.helpers_pipeline import (CHECK_RESULT, DECIDE, LANGUAGE_TEST, OUTCOME, QUESTIONNAIRE, REQUEST_CHECKS,
                                        SCHEDULE, SCORE, language_input, light, ok, questionnaire_input, submit,
                                        submit_input)

    app = await submit(gql, submit_input("KANDAS", "KZ-55"), role="APPLICANT", subject="alice")
    await ok(gql, light(LANGUAGE_TEST), language_input(app["id"]))
    await ok(gql, light(QUESTIONNAIRE), questionnaire_input(app["id"]))
    requested = await ok(gql, light(REQUEST_CHECKS), {"applicationId": app["id"]})
    await ok(gql, light(DECIDE), {"applicationId": app["id"], "decision": "REJECT", "reason": "Documents differ."})
    async with sessions() as s:
        cancelled = (await s.execute(select(m.Check.status).where(
            m.Check.application_id == ids.decode_as(app["id"], "Application")))).scalars().all()
    assert set(cancelled) == {"CANCELLED"}
    review = (await mutate(gql, REQUEST, {"applicationId": app["id"], "grounds": GROUNDS}, role="APPLICANT",
                           subject="alice"))["review"]
    done = await mutate(gql, DECIDE_REVIEW, {"reviewId": review["id"], "outcome": "OVERTURNED",
                                             "reason": "The documents were another person's."}, subject="officer-2")
    assert done["errors"] == [] and done["review"]["application"]["status"] == "SUBMITTED"
    async with sessions() as s:
        moved = (await s.execute(select(m.AuditEvent.changes).where(
            m.AuditEvent.action == "application.review_overturn"))).scalar_one()
    assert sorted(moved["reopenedChecks"]) == sorted(c["checkType"]["code"] for c in requested["checks"])
    for check in requested["checks"]:
        recorded = await ok(gql, light(CHECK_RESULT), {"checkId": check["id"], "status": "CLEARED"})
        assert recorded["status"] == "CLEARED"
    await ok(gql, light(SCHEDULE), {"applicationId": app["id"], "scheduledAt": "2026-12-10T10:00:00+05:00"})
    await ok(gql, light(OUTCOME), {"applicationId": app["id"], "outcome": "PASSED", "points": 8})
    scored = await ok(gql, SCORE, {"applicationId": app["id"]})
    assert {g["code"]: g["passed"] for g in scored["score"]["gates"]}["checks"] is True


async def test_overturned_failure_goes_back_to_submitted(gql: Any, sessions: Any, clock: Any) -> None:
    clock.pin(dt.date(2026, 3, 1))  # the factory's score failed it on 11 or 12 February 2026
    async with transaction(sessions) as s:
        app = await f.make_passed_application(s, score=300, status=ApplicationStatus.FAILED, owner_subject="alice")
    async with sessions() as s:  # the score is the decision: its day in Almaty (the factory's clock moves on)
        scored = (await s.execute(select(m.Score.computed_at).where(m.Score.application_id == app.id))).scalar_one()
    review = (await ask(gql, app))["review"]
    assert (review["reviewedStatus"], review["decisionOn"], review["scoreTotal"], review["scorePassed"]) == (
        "FAILED", scored.astimezone(ALMATY).date().isoformat(), 300, False)
    overturned = await mutate(gql, DECIDE_REVIEW, {"reviewId": review["id"], "outcome": "OVERTURNED",
                                                     "reason": "The questionnaire misread the experience."},
                                subject="officer-2")
    assert overturned["errors"] == []
    assert overturned["review"]["application"]["status"] == "SUBMITTED"
    async with sessions() as s:
        score = (await s.execute(select(m.Score).where(m.Score.application_id == app.id))).scalar_one()
        assert (score.stale, score.total) == (True, 300)  # kept to explain, until scored again


async def test_a_rejection_before_passing_goes_back_to_submitted(gql: Any, sessions: Any) -> None:
    app = await rejected(gql, sessions, score=300)  # FAILED, then refused
    review = (await ask(gql, app))["review"]
    assert review["scorePassed"] is False
    done = await mutate(gql, DECIDE_REVIEW, {"reviewId": review["id"], "outcome": "OVERTURNED", "reason": "Redo."},
                        subject="officer-2")
    assert done["review"]["application"]["status"] == "SUBMITTED"


async def test_officers_list_overdue_reviews(gql: Any, sessions: Any, clock: Any) -> None:
    first = await rejected(gql, sessions)
    await ask(gql, first)  # due 2027-01-05
    clock.pin(dt.date(2026, 12, 10))
    second = await rejected(gql, sessions, owner="bob")
    await ask(gql, second, subject="bob")  # due 2027-01-12 (7 January skipped)
    clock.pin(dt.date(2027, 1, 6))
    overdue = (await gql.ok(LIST, {"filter": {"overdue": True}}, role="OFFICER"))["decisionReviews"]
    assert [(e["node"]["dueDate"], e["node"]["overdue"]) for e in overdue["edges"]] == [("2027-01-05", True)]
    everything = (await gql.ok(LIST, {}, role="OFFICER"))["decisionReviews"]
    assert [e["node"]["dueDate"] for e in everything["edges"]] == ["2027-01-05", "2027-01-12"]
    assert everything["totalCount"] == 2
    refused = await gql(LIST, {}, role="APPLICANT", subject="alice")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The applicant reads their own reviews through the application, nobody else's.
    own = (await gql.ok(REVIEWS_OF, {"id": gid("Application", first.id)}, role="APPLICANT", subject="alice"))
    assert len(own["application"]["reviews"]) == 1
    assert (await gql.ok(REVIEWS_OF, {"id": gid("Application", first.id)}, role="APPLICANT",
                         subject="bob"))["application"] is None


async def test_the_holidays_of_a_year_are_public(gql: Any, sessions: Any) -> None:
    async with transaction(sessions) as s:
        await holidays.save_holiday(s, SYSTEM, on_date=dt.date(2026, 5, 27), name_kk="Құрбан айт",
                                    name_ru="Курбан айт", name_en="Kurban Ait")
        await holidays.save_holiday(s, SYSTEM, on_date=dt.date(2027, 5, 16), name_kk="Құрбан айт",
                                    name_ru="Курбан айт", name_en="Kurban Ait")
    doc = "query($year: Int!) { holidays(year: $year) { date recurring nameKk nameRu nameEn } }"
    days = (await gql.ok(doc, {"year": 2026}))["holidays"]  # no token: public
    assert [d["date"] for d in days] == [
        "2026-01-01", "2026-01-02", "2026-01-07", "2026-03-08", "2026-03-21", "2026-03-22", "2026-03-23",
        "2026-05-01", "2026-05-07", "2026-05-09", "2026-05-27", "2026-07-06", "2026-08-30", "2026-10-25",
        "2026-12-16"]
    kurban = next(d for d in days if d["date"] == "2026-05-27")
    assert (kurban["recurring"], kurban["nameRu"]) == (False, "Курбан айт")
    assert days[-1] == {"date": "2026-12-16", "recurring": True, "nameKk": "Тәуелсіздік күні",
                        "nameRu": "День Независимости", "nameEn": "Independence Day"}
    bad = await gql(doc, {"year": 1900})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
