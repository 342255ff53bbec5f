"""Each input rule of SPEC §8 and each refused transition of SPEC §2, over GraphQL:
the error's code and field path, and that nothing was written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

import models as m
from api.graphql import ids
from models.base import today_almaty
from models.enums import ScoringModelStatus
from services.rules import add_years, make_iin
from tests.conftest import GQL
from tests.helpers_pipeline import (
    CHECK_RESULT,
    DECIDE,
    LANGUAGE_TEST,
    OFFICER,
    OUTCOME,
    QUESTIONNAIRE,
    REQUEST_CHECKS,
    SCHEDULE,
    SCORE,
    SUBMIT,
    WITHDRAW,
    counts,
    errors_of,
    language_input,
    mrp_2026_savings,
    ok,
    one_error,
    questionnaire_input,
    submit,
    submit_input,
    take_through,
)

TODAY = today_almaty()


async def refused(gql: GQL, sessions: Any, doc: str, input: dict[str, Any], code: str, field: list[str] | None,
                  **who: Any) -> dict[str, Any]:
    """Run ``doc``; it must answer exactly one ``code`` error on ``field`` and write nothing."""
    before = await counts(sessions)
    data = await gql.ok(doc, {"input": input}, **(who or OFFICER))
    error = one_error(data)
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]
    assert await counts(sessions) == before
    return error


# ---------------------------------------------------------------- submitApplication


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(inp: dict[str, Any]) -> None:
        target = inp
        *parents, last = path.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    return apply


def _birth(days_from_today: int = 0, years: int = 0) -> Callable[[dict[str, Any]], None]:
    def apply(inp: dict[str, Any]) -> None:
        inp["applicant"]["birthDate"] = (add_years(TODAY, years) + dt.timedelta(days=days_from_today)).isoformat()
        inp["applicant"]["iin"] = None
    return apply


def _iin(change: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], None]:
    def apply(inp: dict[str, Any]) -> None:
        inp["applicant"]["iin"] = change(inp["applicant"])
    return apply


def _wrong_check_digit(a: dict[str, Any]) -> str:
    return a["iin"][:11] + str((int(a["iin"][11]) + 1) % 10)


def _other_birth_date(a: dict[str, Any]) -> str:
    return make_iin(dt.date.fromisoformat(a["birthDate"]) - dt.timedelta(days=1), a["sex"], 7)


def _other_sex(a: dict[str, Any]) -> str:
    return make_iin(dt.date.fromisoformat(a["birthDate"]), "FEMALE" if a["sex"] == "MALE" else "MALE", 7)


def _route(route: str, region: str, occupation: str | None = None, **applicant: Any) -> Callable[[dict[str, Any]], None]:
    def apply(inp: dict[str, Any]) -> None:
        inp.update(route=route, targetRegionCode=region, occupationCode=occupation)
        inp["applicant"].update(applicant)
    return apply


A = ["input", "applicant"]
SUBMIT_RULES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("iin-check-digit", _iin(_wrong_check_digit), [*A, "iin"]),
    ("iin-too-short", _set("applicant.iin", "12345"), [*A, "iin"]),
    ("iin-with-spaces", _iin(lambda a: a["iin"][:6] + " " + a["iin"][6:11]), [*A, "iin"]),
    ("iin-birth-date-disagrees", _iin(_other_birth_date), [*A, "iin"]),
    ("iin-sex-disagrees", _iin(_other_sex), [*A, "iin"]),
    ("name-digits", _set("applicant.fullName", "John 2nd"), [*A, "fullName"]),
    ("name-blank", _set("applicant.fullName", "   "), [*A, "fullName"]),
    ("name-markup", _set("applicant.fullName", "<b>Nurlan</b>"), [*A, "fullName"]),
    ("name-201-chars", _set("applicant.fullName", "A" * 201), [*A, "fullName"]),
    ("birth-date-in-future", _birth(days_from_today=1), [*A, "birthDate"]),
    ("younger-than-18", _birth(years=-18, days_from_today=1), [*A, "birthDate"]),
    ("citizenship-kaz", _set("applicant.citizenship", "KAZ"), [*A, "citizenship"]),
    ("citizenship-unknown", _set("applicant.citizenship", "XYZ"), [*A, "citizenship"]),
    ("citizenship-alpha2", _set("applicant.citizenship", "UZ"), [*A, "citizenship"]),
    ("document-cyrillic", _set("applicant.documentNumber", "АВ1234567"), [*A, "documentNumber"]),
    ("document-too-short", _set("applicant.documentNumber", "A-12"), [*A, "documentNumber"]),
    ("kandas-not-ethnic-kazakh", _route("KANDAS", "KZ-55", ethnicKazakh=False), [*A, "ethnicKazakh"]),
    ("kandas-not-deficit-region", _route("KANDAS", "KZ-75"), ["input", "targetRegionCode"]),
    ("unknown-region", _route("GENERAL", "KZ-99"), ["input", "targetRegionCode"]),
    ("labour-without-occupation", _route("LABOUR", "KZ-55", None), ["input", "occupationCode"]),
    ("labour-occupation-not-in-deficit", _route("LABOUR", "KZ-55", "2512"), ["input", "occupationCode"]),
    ("labour-region-without-deficit-list", _route("LABOUR", "KZ-75", "7212"), ["input", "occupationCode"]),
    ("unknown-occupation", _route("GENERAL", "KZ-75", "9999"), ["input", "occupationCode"]),
    ("occupation-not-isco", _route("GENERAL", "KZ-75", "22A1"), ["input", "occupationCode"]),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in SUBMIT_RULES], ids=[r[0] for r in SUBMIT_RULES])
async def test_submit_application_input_rule(gql: GQL, sessions, change, field) -> None:
    inp = submit_input("KANDAS", "KZ-55")
    change(inp)
    await refused(gql, sessions, SUBMIT, inp, "INVALID_INPUT", field)


async def test_submit_application_reports_every_input_error_at_once(gql: GQL, sessions) -> None:
    inp = submit_input("KANDAS", "KZ-75", "9999")
    inp["applicant"].update(fullName="R2D2", citizenship="KAZ", documentNumber="№1", ethnicKazakh=False,
                            iin="000000000000")
    before = await counts(sessions)
    errors = errors_of(await gql.ok(SUBMIT, {"input": inp}, **OFFICER))
    assert {tuple(e["field"]) for e in errors} == {
        ("input", "applicant", "fullName"), ("input", "applicant", "iin"), ("input", "applicant", "citizenship"),
        ("input", "applicant", "documentNumber"), ("input", "applicant", "ethnicKazakh"),
        ("input", "targetRegionCode"), ("input", "occupationCode"),
    }
    assert {e["code"] for e in errors} == {"INVALID_INPUT"}
    assert await counts(sessions) == before


async def test_same_document_or_iin_in_two_undecided_applications_is_duplicate(gql: GQL, sessions) -> None:
    first = submit_input("KANDAS", "KZ-55", citizenship="UZB", document_number="FA 123-4567")
    app = await submit(gql, first)
    assert app["applicant"]["documentNumber"] == "FA1234567"  # stored normalised

    same_doc = submit_input("GENERAL", "KZ-75", citizenship="uzb", document_number="fa1234-567")
    await refused(gql, sessions, SUBMIT, same_doc, "DUPLICATE", [*A, "documentNumber"])
    # the same number from another country is another document
    await submit(gql, submit_input("GENERAL", "KZ-75", citizenship="TJK", document_number="FA1234567"))

    same_iin = submit_input("GENERAL", "KZ-75")
    same_iin["applicant"].update({k: first["applicant"][k] for k in ("iin", "birthDate", "sex")})
    await refused(gql, sessions, SUBMIT, same_iin, "DUPLICATE", [*A, "iin"])

    # once the first is withdrawn (decided), the same person may apply again
    await ok(gql, WITHDRAW, {"applicationId": app["id"]}, role="OFFICER")
    again = await submit(gql, {**first, "route": "GENERAL", "targetRegionCode": "KZ-75"})
    assert again["applicant"]["id"] == app["applicant"]["id"]  # the same record, not a copy
    assert again["number"] != app["number"]


# ---------------------------------------------------------------- recordLanguageTest


@pytest.fixture
async def submitted(gql: GQL) -> dict[str, Any]:
    return await submit(gql, submit_input("KANDAS", "KZ-55"))


LANGUAGE_RULES = [
    ("listening-above-100", {"listeningPercent": 101}, "listeningPercent"),
    ("reading-negative", {"readingPercent": -1}, "readingPercent"),
    ("taken-tomorrow", {"takenOn": (TODAY + dt.timedelta(days=1)).isoformat()}, "takenOn"),
    ("taken-over-two-years-ago", {"takenOn": (add_years(TODAY, -2) - dt.timedelta(days=1)).isoformat()}, "takenOn"),
    ("certificate-with-space", {"certificateNumber": "KT 2026 1"}, "certificateNumber"),
    ("certificate-too-short", {"certificateNumber": "K1"}, "certificateNumber"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in LANGUAGE_RULES], ids=[r[0] for r in LANGUAGE_RULES])
async def test_record_language_test_input_rule(gql: GQL, sessions, submitted, change, field) -> None:
    await refused(gql, sessions, LANGUAGE_TEST, {**language_input(submitted["id"]), **change},
                  "INVALID_INPUT", ["input", field])


async def test_language_test_exactly_two_years_old_is_accepted(gql: GQL, submitted) -> None:
    app = await ok(gql, LANGUAGE_TEST, language_input(submitted["id"], taken_on=add_years(TODAY, -2)))
    assert app["languageTest"]["takenOn"] == add_years(TODAY, -2).isoformat()


async def test_one_certificate_serves_one_applicant(gql: GQL, sessions, submitted) -> None:
    await ok(gql, LANGUAGE_TEST, language_input(submitted["id"], certificate="KT-2026/777"))
    other = await submit(gql, submit_input("KANDAS", "KZ-11"))
    await refused(gql, sessions, LANGUAGE_TEST, language_input(other["id"], certificate=" kt-2026/777 "),
                  "DUPLICATE", ["input", "certificateNumber"])

    # Recording again for the same application replaces the test; the audit keeps the old values.
    app = await ok(gql, LANGUAGE_TEST, language_input(submitted["id"], certificate="KT-2026/777", level="B2",
                                                      listening=90))
    assert app["languageTest"]["level"] == "B2" and app["languageTest"]["listeningPercent"] == 90
    async with sessions() as s:
        assert len((await s.execute(select(m.LanguageTest))).scalars().all()) == 1
        events = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "application.language_test")
                                  .order_by(m.AuditEvent.id))).scalars().all()
    assert events[0].changes["previous"] is None
    assert events[1].changes["previous"]["level"] == "B1" and events[1].changes["previous"]["listening_percent"] == 55


# ---------------------------------------------------------------- submitQuestionnaire


@pytest.fixture
async def tested(gql: GQL, submitted) -> dict[str, Any]:
    return await ok(gql, LANGUAGE_TEST, language_input(submitted["id"]))


QUESTIONNAIRE_RULES = [
    ("experience-61", {"workExperienceYears": 61}, "workExperienceYears"),
    ("experience-negative", {"workExperienceYears": -1}, "workExperienceYears"),
    ("family-0", {"familySize": 0}, "familySize"),
    ("family-21", {"familySize": 21}, "familySize"),
    ("savings-negative", {"savings": "-0.01"}, "savings"),
    ("savings-three-decimals", {"savings": "1.001"}, "savings"),
    ("occupation-unknown", {"occupationCode": "9999"}, "occupationCode"),
    ("occupation-not-isco", {"occupationCode": "22A1"}, "occupationCode"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in QUESTIONNAIRE_RULES],
                         ids=[r[0] for r in QUESTIONNAIRE_RULES])
async def test_submit_questionnaire_input_rule(gql: GQL, sessions, tested, change, field) -> None:
    await refused(gql, sessions, QUESTIONNAIRE, questionnaire_input(tested["id"], **change),
                  "INVALID_INPUT", ["input", field])


async def test_questionnaire_opens_only_after_the_language_test(gql: GQL, sessions, submitted) -> None:
    error = await refused(gql, sessions, QUESTIONNAIRE, questionnaire_input(submitted["id"]),
                          "INVALID_STATE", ["input", "applicationId"])
    assert error["message"] == "the questionnaire opens only after the language test is recorded"


async def test_questionnaire_resubmitted_replaces_the_answers(gql: GQL, sessions, tested) -> None:
    await ok(gql, QUESTIONNAIRE, questionnaire_input(tested["id"]))
    app = await ok(gql, QUESTIONNAIRE, questionnaire_input(tested["id"], familySize=6, savings="12.5",
                                                           occupationCode=None))
    assert app["questionnaire"]["familySize"] == 6 and app["questionnaire"]["savings"] == "12.50"
    assert app["questionnaire"]["occupationCode"] is None
    async with sessions() as s:
        assert len((await s.execute(select(m.Questionnaire))).scalars().all()) == 1


# ---------------------------------------------------------------- checks and the interview


async def test_record_check_result_rules(gql: GQL, sessions, submitted) -> None:
    app = await ok(gql, REQUEST_CHECKS, {"applicationId": submitted["id"]})
    check_id = app["checks"][0]["id"]
    await refused(gql, sessions, CHECK_RESULT, {"checkId": check_id, "status": "REQUESTED"},
                  "INVALID_INPUT", ["input", "status"])
    await refused(gql, sessions, CHECK_RESULT, {"checkId": check_id, "status": "FLAGGED", "details": "x" * 2001},
                  "INVALID_INPUT", ["input", "details"])
    for bad in ("not-an-id", ids.encode("Check", 999999), app["id"]):
        await refused(gql, sessions, CHECK_RESULT, {"checkId": bad, "status": "CLEARED"},
                      "NOT_FOUND", ["input", "checkId"])

    first = (await gql.ok(CHECK_RESULT, {"input": {"checkId": check_id, "status": "FLAGGED", "details": "alias"}},
                          **OFFICER))["recordCheckResult"]["check"]
    second = (await gql.ok(CHECK_RESULT, {"input": {"checkId": check_id, "status": "CLEARED"}},
                           **OFFICER))["recordCheckResult"]["check"]
    assert first["status"] == "FLAGGED" and second["status"] == "CLEARED"
    assert second["updatedAt"] > first["updatedAt"] > app["checks"][0]["updatedAt"]


async def test_request_checks_twice_creates_none_twice(gql: GQL, sessions, submitted) -> None:
    app = await ok(gql, REQUEST_CHECKS, {"applicationId": submitted["id"]})
    assert len(app["checks"]) == 5 and {c["status"] for c in app["checks"]} == {"REQUESTED"}
    assert len({c["checkType"]["code"] for c in app["checks"]}) == 5
    before = await counts(sessions)
    again = await ok(gql, REQUEST_CHECKS, {"applicationId": submitted["id"]})
    assert [c["id"] for c in again["checks"]] == [c["id"] for c in app["checks"]]
    assert await counts(sessions) == before  # nothing to write, nothing written


INTERVIEW_RULES = [
    ("points-11", {"points": 11}, "points"),
    ("points-negative", {"points": -1}, "points"),
    ("notes-2001-chars", {"notes": "n" * 2001}, "notes"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in INTERVIEW_RULES], ids=[r[0] for r in INTERVIEW_RULES])
async def test_record_interview_outcome_input_rule(gql: GQL, sessions, submitted, change, field) -> None:
    await ok(gql, SCHEDULE, {"applicationId": submitted["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    await refused(gql, sessions, OUTCOME, {"applicationId": submitted["id"], "outcome": "PASSED", **change},
                  "INVALID_INPUT", ["input", field])


async def test_interview_outcome_needs_a_scheduled_interview(gql: GQL, sessions, submitted) -> None:
    error = await refused(gql, sessions, OUTCOME, {"applicationId": submitted["id"], "outcome": "PASSED"},
                          "INVALID_STATE", ["input", "applicationId"])
    assert "scheduleInterview" in error["message"]


async def test_interview_time_needs_an_offset_and_is_fixed_once_it_has_an_outcome(gql: GQL, sessions, submitted) -> None:
    await refused(gql, sessions, SCHEDULE, {"applicationId": submitted["id"], "scheduledAt": "2026-03-02T10:00:00"},
                  "INVALID_INPUT", ["input", "scheduledAt"])
    await ok(gql, SCHEDULE, {"applicationId": submitted["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    moved = await ok(gql, SCHEDULE, {"applicationId": submitted["id"], "scheduledAt": "2026-03-03T09:30:00+05:00"})
    assert moved["interview"]["scheduledAt"].startswith("2026-03-03T04:30:00")  # stored in UTC, offset kept
    await ok(gql, OUTCOME, {"applicationId": submitted["id"], "outcome": "FAILED", "points": 0})
    await refused(gql, sessions, SCHEDULE, {"applicationId": submitted["id"], "scheduledAt": "2026-03-04T10:00:00+05:00"},
                  "INVALID_STATE", ["input", "applicationId"])


# ---------------------------------------------------------------- scoring


async def test_score_names_each_missing_stage(gql: GQL, sessions, submitted) -> None:
    error = await refused(gql, sessions, SCORE, {"applicationId": submitted["id"]},
                          "INVALID_STATE", ["input", "applicationId"])
    for stage in ("language test", "questionnaire", "checks have not been requested", "no interview"):
        assert stage in error["message"], error["message"]

    await ok(gql, LANGUAGE_TEST, language_input(submitted["id"]))
    await ok(gql, QUESTIONNAIRE, questionnaire_input(submitted["id"]))
    app = await ok(gql, REQUEST_CHECKS, {"applicationId": submitted["id"]})
    for check in app["checks"][:3]:
        await ok(gql, CHECK_RESULT, {"checkId": check["id"], "status": "CLEARED"})
    await ok(gql, SCHEDULE, {"applicationId": submitted["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    error = await refused(gql, sessions, SCORE, {"applicationId": submitted["id"]},
                          "INVALID_STATE", ["input", "applicationId"])
    assert "language test" not in error["message"] and "questionnaire" not in error["message"]
    assert "2 check(s) still await a result" in error["message"]
    assert "the interview has no outcome" in error["message"]


async def test_score_needs_a_published_model_in_force(gql: GQL, sessions, submitted) -> None:
    await take_through(gql, submitted["id"], score=False)
    async with sessions() as s, s.begin():
        await s.execute(update(m.ScoringModel).values(status=ScoringModelStatus.RETIRED))
    error = await refused(gql, sessions, SCORE, {"applicationId": submitted["id"]},
                          "INVALID_STATE", ["input", "applicationId"])
    assert error["message"].startswith("no published scoring model is in force")


# ---------------------------------------------------------------- refused transitions

UNDECIDED = "SUBMITTED, PASSED or FAILED"


def _actions(app_id: str, check_id: str) -> list[tuple[str, str, dict[str, Any], list[str], str]]:
    """(name, document, input, error field, the states named in the message)."""
    a = ["input", "applicationId"]
    return [
        ("recordLanguageTest", LANGUAGE_TEST, language_input(app_id), a, UNDECIDED),
        ("submitQuestionnaire", QUESTIONNAIRE, questionnaire_input(app_id), a, UNDECIDED),
        ("requestChecks", REQUEST_CHECKS, {"applicationId": app_id}, a, UNDECIDED),
        ("recordCheckResult", CHECK_RESULT, {"checkId": check_id, "status": "CLEARED"}, ["input", "checkId"], UNDECIDED),
        ("scheduleInterview", SCHEDULE, {"applicationId": app_id, "scheduledAt": "2026-03-02T10:00:00+05:00"}, a,
         UNDECIDED),
        ("recordInterviewOutcome", OUTCOME, {"applicationId": app_id, "outcome": "PASSED"}, a, UNDECIDED),
        ("scoreApplication", SCORE, {"applicationId": app_id}, a, UNDECIDED),
        ("decideApplication (APPROVE)", DECIDE, {"applicationId": app_id, "decision": "APPROVE"}, a, "PASSED"),
        ("decideApplication (REJECT)", DECIDE, {"applicationId": app_id, "decision": "REJECT"}, a, UNDECIDED),
        ("withdrawApplication", WITHDRAW, {"applicationId": app_id}, a, UNDECIDED),
    ]


@pytest.mark.parametrize("state", ["WITHDRAWN", "REJECTED", "APPROVED"])
async def test_a_decided_application_refuses_every_action(gql: GQL, sessions, state) -> None:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    if state == "APPROVED":
        scored = await take_through(gql, app["id"], questionnaire={"savings": mrp_2026_savings(2000)})
        assert scored["status"] == "PASSED"
        await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"})
    else:
        await ok(gql, REQUEST_CHECKS, {"applicationId": app["id"]})
        if state == "WITHDRAWN":
            await ok(gql, WITHDRAW, {"applicationId": app["id"], "reason": "found a job elsewhere"})
        else:
            await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "REJECT", "reason": "forged document"})
    async with sessions() as s:
        check_id = ids.encode("Check", (await s.execute(select(m.Check.id).order_by(m.Check.id))).scalars().first())
    for name, doc, inp, field, allowed in _actions(app["id"], check_id):
        error = await refused(gql, sessions, doc, inp, "INVALID_STATE", field)
        assert error["message"] == f"{name} needs the application to be {allowed}; it is {state}", error


async def test_approve_needs_a_passed_application(gql: GQL, sessions) -> None:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    error = await refused(gql, sessions, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"},
                          "INVALID_STATE", ["input", "applicationId"])
    assert error["message"] == "decideApplication (APPROVE) needs the application to be PASSED; it is SUBMITTED"
    async with sessions() as s, s.begin():
        await s.execute(update(m.Application).values(status="FAILED"))
    error = await refused(gql, sessions, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"},
                          "INVALID_STATE", ["input", "applicationId"])
    assert error["message"].endswith("it is FAILED")
    # a FAILED application may still be rejected
    rejected = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "REJECT", "reason": "failed the gate"})
    assert rejected["status"] == "REJECTED"


async def test_kandas_is_never_approved_by_a_decision(gql: GQL, sessions, submitted) -> None:
    async with sessions() as s, s.begin():
        await s.execute(update(m.Application).values(status="PASSED"))
    error = await refused(gql, sessions, DECIDE, {"applicationId": submitted["id"], "decision": "APPROVE"},
                          "INVALID_STATE", ["input", "decision"])
    assert error["message"].startswith("KANDAS applications are approved only by selection rounds")


async def test_labour_approval_without_a_seat_changes_nothing(gql: GQL, sessions) -> None:
    app = await submit(gql, submit_input("LABOUR", "KZ-27", "8113", ethnic_kazakh=False, age=25))
    scored = await take_through(gql, app["id"], questionnaire={"occupationCode": "8113", "workExperienceYears": 10})
    assert scored["status"] == "PASSED"
    async with sessions() as s, s.begin():
        await s.execute(update(m.Quota).where(m.Quota.kind == "LABOUR").values(used=m.Quota.capacity))
    await refused(gql, sessions, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"},
                  "QUOTA_EXHAUSTED", ["input", "applicationId"])
    async with sessions() as s, s.begin():
        await s.execute(update(m.Quota).where(m.Quota.kind == "LABOUR").values(used=0))
    approved = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"})
    assert approved["status"] == "APPROVED"
    async with sessions() as s:
        row = (await s.execute(select(m.Application))).scalar_one()
        quota = await s.get(m.Quota, row.quota_id)
    assert row.seats == 1 and quota.used == 1 and row.decided_at is not None


async def test_reason_longer_than_1000_characters_is_refused(gql: GQL, sessions, submitted) -> None:
    await refused(gql, sessions, WITHDRAW, {"applicationId": submitted["id"], "reason": "r" * 1001},
                  "INVALID_INPUT", ["input", "reason"])
    await refused(gql, sessions, DECIDE, {"applicationId": submitted["id"], "decision": "REJECT", "reason": "r" * 1001},
                  "INVALID_INPUT", ["input", "reason"])


BAD_IDS = ["not-an-id", ids.encode("Application", 999999), ids.encode("Region", 1)]
APP_MUTATIONS = [
    ("recordLanguageTest", LANGUAGE_TEST, lambda i: language_input(i)),
    ("submitQuestionnaire", QUESTIONNAIRE, lambda i: questionnaire_input(i)),
    ("requestChecks", REQUEST_CHECKS, lambda i: {"applicationId": i}),
    ("scheduleInterview", SCHEDULE, lambda i: {"applicationId": i, "scheduledAt": "2026-03-02T10:00:00+05:00"}),
    ("recordInterviewOutcome", OUTCOME, lambda i: {"applicationId": i, "outcome": "PASSED"}),
    ("scoreApplication", SCORE, lambda i: {"applicationId": i}),
    ("decideApplication", DECIDE, lambda i: {"applicationId": i, "decision": "REJECT"}),
    ("withdrawApplication", WITHDRAW, lambda i: {"applicationId": i}),
]


@pytest.mark.parametrize(("doc", "make"), [r[1:] for r in APP_MUTATIONS], ids=[r[0] for r in APP_MUTATIONS])
async def test_unknown_application_id_is_not_found(gql: GQL, sessions, doc, make) -> None:
    for bad in BAD_IDS:
        await refused(gql, sessions, doc, make(bad), "NOT_FOUND", ["input", "applicationId"])
