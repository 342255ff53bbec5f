"""Each input rule of SPEC §8 and each refused transition of SPEC §2, over GraphQL:
the error's code and field path, and that nothing was written.

The refusals share one database per module (``env``), set up once by ``world``;
each asserts that it wrote nothing, so they cannot disturb one another. Tests
that change global reference data get a fresh database of their own."""

from __future__ import annotations

import asyncio
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
    Env,
    counts,
    errors_of,
    fresh_env,
    language_input,
    light,
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


# ---------------------------------------------------------------- the shared world


@pytest.fixture(scope="module")
async def env(template_url, tmp_path_factory) -> Any:
    async with fresh_env(template_url, tmp_path_factory.mktemp("rules")) as e:
        yield e


async def _set_status(sessions: Any, app_id: str, status: str) -> None:
    async with sessions() as s, s.begin():
        await s.execute(update(m.Application).where(m.Application.id == ids.decode_as(app_id, "Application"))
                        .values(status=status))


@pytest.fixture(scope="module")
async def world(env: Env) -> dict[str, Any]:
    """Applications in the states the refusals need, made once."""
    gql = env.gql
    w: dict[str, Any] = {}
    w["submitted_input"] = submit_input("KANDAS", "KZ-55", citizenship="UZB", document_number="FA 123-4567")
    w["submitted"] = await submit(gql, w["submitted_input"])
    w["tested"] = await submit(gql, submit_input("KANDAS", "KZ-11"))
    await ok(gql, light(LANGUAGE_TEST), language_input(w["tested"]["id"], certificate="KT-2026/777"))
    w["staged"] = await submit(gql, submit_input("KANDAS", "KZ-10"))
    w["staged_checks"] = (await ok(gql, light(REQUEST_CHECKS), {"applicationId": w["staged"]["id"]}))["checks"]
    await ok(gql, light(SCHEDULE), {"applicationId": w["staged"]["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    w["general"] = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    w["failed"] = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    await _set_status(env.sessions, w["failed"]["id"], "FAILED")
    w["kandas_passed"] = await submit(gql, submit_input("KANDAS", "KZ-63"))
    await _set_status(env.sessions, w["kandas_passed"]["id"], "PASSED")

    decided: dict[str, tuple[str, str]] = {}
    for state in ("WITHDRAWN", "REJECTED", "APPROVED"):
        app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
        if state == "APPROVED":
            scored = await take_through(gql, app["id"], questionnaire={"savings": mrp_2026_savings(2000)})
            assert scored["status"] == "PASSED"
            checks = scored["checks"]
            await ok(gql, light(DECIDE), {"applicationId": app["id"], "decision": "APPROVE"})
        else:
            checks = (await ok(gql, light(REQUEST_CHECKS), {"applicationId": app["id"]}))["checks"]
            if state == "WITHDRAWN":
                await ok(gql, light(WITHDRAW), {"applicationId": app["id"], "reason": "found a job elsewhere"})
            else:
                await ok(gql, light(DECIDE), {"applicationId": app["id"], "decision": "REJECT", "reason": "forged document"})
        decided[state] = (app["id"], checks[0]["id"])
    w["decided"] = decided
    return w


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
async def test_submit_application_input_rule(env: Env, change, field) -> None:
    inp = submit_input("KANDAS", "KZ-55")
    change(inp)
    await refused(env.gql, env.sessions, SUBMIT, inp, "INVALID_INPUT", field)


async def test_submit_application_reports_every_input_error_at_once(env: Env) -> None:
    inp = submit_input("KANDAS", "KZ-75", "9999")
    inp["applicant"].update(fullName="R2D2", citizenship="KAZ", documentNumber="№1", ethnicKazakh=False,
                            iin="000000000000")
    before = await counts(env.sessions)
    errors = errors_of(await env.gql.ok(SUBMIT, {"input": inp}, **OFFICER))
    assert {tuple(e["field"]) for e in errors} == {
        ("input", "applicant", "fullName"), ("input", "applicant", "iin"), ("input", "applicant", "citizenship"),
        ("input", "applicant", "documentNumber"), ("input", "applicant", "ethnicKazakh"),
        ("input", "targetRegionCode"), ("input", "occupationCode"),
    }
    assert {e["code"] for e in errors} == {"INVALID_INPUT"}
    assert await counts(env.sessions) == before


DUPLICATES = [
    # the same document, typed differently (case, spaces, hyphens are not part of the number)
    ("same-document", {"citizenship": "uzb", "documentNumber": "fa1234-567"}, "documentNumber"),
    ("same-iin", {}, "iin"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in DUPLICATES], ids=[r[0] for r in DUPLICATES])
async def test_same_document_or_iin_in_two_undecided_applications_is_duplicate(env: Env, world, change, field) -> None:
    first = world["submitted_input"]["applicant"]
    assert world["submitted"]["applicant"]["documentNumber"] == "FA1234567"  # stored normalised
    inp = submit_input("GENERAL", "KZ-75")
    if field == "iin":
        inp["applicant"].update({k: first[k] for k in ("iin", "birthDate", "sex")})
    inp["applicant"].update(change)
    await refused(env.gql, env.sessions, SUBMIT, inp, "DUPLICATE", [*A, field])


async def test_two_simultaneous_submissions_of_one_document_admit_one(env: Env) -> None:
    inputs = [submit_input("GENERAL", "KZ-75", citizenship="AZE", document_number="C01234567") for _ in range(3)]
    results = await asyncio.gather(*(env.gql.ok(SUBMIT, {"input": i}, **OFFICER) for i in inputs))
    errors = [errors_of(r) for r in results]
    assert sorted(len(e) for e in errors) == [0, 1, 1]
    assert {e[0]["code"] for e in errors if e} == {"DUPLICATE"}


async def test_a_decided_application_frees_its_document(env: Env) -> None:
    first = submit_input("KANDAS", "KZ-55", citizenship="KGZ", document_number="AN0001234")
    app = await submit(env.gql, first)
    # the same number from another country is another document
    await submit(env.gql, submit_input("GENERAL", "KZ-75", citizenship="TJK", document_number="AN0001234"))
    await ok(env.gql, WITHDRAW, {"applicationId": app["id"]})
    again = await submit(env.gql, {**first, "route": "GENERAL", "targetRegionCode": "KZ-75"})
    assert again["applicant"]["id"] == app["applicant"]["id"]  # the same person's record, not a copy
    assert again["number"] != app["number"] and again["status"] == "SUBMITTED"


# ---------------------------------------------------------------- recordLanguageTest

LANGUAGE_RULES = [
    ("listening-above-100", {"listeningPercent": 101}, "listeningPercent"),
    ("reading-negative", {"readingPercent": -1}, "readingPercent"),
    ("taken-tomorrow", {"takenOn": (TODAY + dt.timedelta(days=1)).isoformat()}, "takenOn"),
    ("taken-over-two-years-ago", {"takenOn": (add_years(TODAY, -2) - dt.timedelta(days=1)).isoformat()}, "takenOn"),
    ("certificate-with-space", {"certificateNumber": "KT 2026 1"}, "certificateNumber"),
    ("certificate-too-short", {"certificateNumber": "K1"}, "certificateNumber"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in LANGUAGE_RULES], ids=[r[0] for r in LANGUAGE_RULES])
async def test_record_language_test_input_rule(env: Env, world, change, field) -> None:
    await refused(env.gql, env.sessions, LANGUAGE_TEST, {**language_input(world["submitted"]["id"]), **change},
                  "INVALID_INPUT", ["input", field])


async def test_certificate_of_another_applicant_is_duplicate(env: Env, world) -> None:
    await refused(env.gql, env.sessions, LANGUAGE_TEST,
                  language_input(world["submitted"]["id"], certificate=" kt-2026/777 "),
                  "DUPLICATE", ["input", "certificateNumber"])


async def test_an_applicant_applying_again_keeps_their_certificate(env: Env) -> None:
    """SPEC §8: one certificate serves one applicant, on any of their applications; another
    applicant may still not use it."""
    alice = {"role": "APPLICANT", "subject": "alice-again"}
    details = submit_input("GENERAL", "KZ-75", ethnic_kazakh=False)
    first = await submit(env.gql, details, **alice)
    await ok(env.gql, LANGUAGE_TEST, language_input(first["id"], certificate="KT-2026/424242"))
    await ok(env.gql, WITHDRAW, {"applicationId": first["id"], "reason": "moving later"}, **alice)
    second = await submit(env.gql, details, **alice)
    assert second["applicant"]["id"] == first["applicant"]["id"]  # the same applicant's record
    again = await ok(env.gql, LANGUAGE_TEST, language_input(second["id"], certificate="kt-2026/424242"))
    assert again["languageTest"]["certificateNumber"] == "KT-2026/424242"
    other = await submit(env.gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), role="APPLICANT",
                         subject="bob-again")
    await refused(env.gql, env.sessions, LANGUAGE_TEST, language_input(other["id"], certificate="KT-2026/424242"),
                  "DUPLICATE", ["input", "certificateNumber"])


async def test_language_test_recorded_again_replaces_it(env: Env) -> None:
    app = await submit(env.gql, submit_input("KANDAS", "KZ-59"))
    # exactly two years old is still accepted
    await ok(env.gql, LANGUAGE_TEST, language_input(app["id"], certificate="KT-2026/888",
                                                    taken_on=add_years(TODAY, -2)))
    again = await ok(env.gql, LANGUAGE_TEST, language_input(app["id"], certificate="kt-2026/888", level="B2",
                                                            listening=90))
    assert again["languageTest"]["level"] == "B2" and again["languageTest"]["listeningPercent"] == 90
    assert again["languageTest"]["certificateNumber"] == "KT-2026/888"
    pk = ids.decode_as(app["id"], "Application")
    async with env.sessions() as s:
        assert len((await s.execute(select(m.LanguageTest).where(m.LanguageTest.application_id == pk))).all()) == 1
        events = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "application.language_test",
                                                             m.AuditEvent.entity_id == pk)
                                  .order_by(m.AuditEvent.id))).scalars().all()
    assert events[0].changes["previous"] is None
    assert events[1].changes["previous"]["level"] == "B1" and events[1].changes["previous"]["listening_percent"] == 55


# ---------------------------------------------------------------- submitQuestionnaire

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
async def test_submit_questionnaire_input_rule(env: Env, world, change, field) -> None:
    await refused(env.gql, env.sessions, QUESTIONNAIRE, questionnaire_input(world["tested"]["id"], **change),
                  "INVALID_INPUT", ["input", field])


async def test_questionnaire_opens_only_after_the_language_test(env: Env, world) -> None:
    error = await refused(env.gql, env.sessions, QUESTIONNAIRE, questionnaire_input(world["submitted"]["id"]),
                          "INVALID_STATE", ["input", "applicationId"])
    assert error["message"] == "the questionnaire opens only after the language test is recorded"


async def test_questionnaire_submitted_again_replaces_the_answers(env: Env) -> None:
    app = await submit(env.gql, submit_input("KANDAS", "KZ-59"))
    await ok(env.gql, LANGUAGE_TEST, language_input(app["id"]))
    await ok(env.gql, QUESTIONNAIRE, questionnaire_input(app["id"]))
    again = await ok(env.gql, QUESTIONNAIRE, questionnaire_input(app["id"], familySize=6, savings="12.5",
                                                                 occupationCode=None))
    assert again["questionnaire"]["familySize"] == 6 and again["questionnaire"]["savings"] == "12.50"
    assert again["questionnaire"]["occupationCode"] is None
    async with env.sessions() as s:
        rows = (await s.execute(select(m.Questionnaire).where(
            m.Questionnaire.application_id == ids.decode_as(app["id"], "Application")))).all()
    assert len(rows) == 1


# ---------------------------------------------------------------- checks


CHECK_RULES = [
    ("status-requested", {"status": "REQUESTED"}, "INVALID_INPUT", "status"),
    ("details-2001-chars", {"status": "FLAGGED", "details": "x" * 2001}, "INVALID_INPUT", "details"),
    ("not-an-id", {"checkId": "not-an-id"}, "NOT_FOUND", "checkId"),
    ("missing-check", {"checkId": ids.encode("Check", 999999)}, "NOT_FOUND", "checkId"),
    ("id-of-another-type", {"checkId": ids.encode("Application", 1)}, "NOT_FOUND", "checkId"),
]


@pytest.mark.parametrize(("change", "code", "field"), [r[1:] for r in CHECK_RULES], ids=[r[0] for r in CHECK_RULES])
async def test_record_check_result_rule(env: Env, world, change, code, field) -> None:
    inp = {"checkId": world["staged_checks"][0]["id"], "status": "CLEARED", **change}
    await refused(env.gql, env.sessions, CHECK_RESULT, inp, code, ["input", field])


async def test_check_results_move_updated_at_forward(env: Env) -> None:
    app = await submit(env.gql, submit_input("KANDAS", "KZ-59"))
    requested = await ok(env.gql, REQUEST_CHECKS, {"applicationId": app["id"]})
    check_id = requested["checks"][0]["id"]
    first = await ok(env.gql, CHECK_RESULT, {"checkId": check_id, "status": "FLAGGED", "details": "namesake"})
    second = await ok(env.gql, CHECK_RESULT, {"checkId": check_id, "status": "CLEARED"})
    assert first["status"] == "FLAGGED" and first["details"] == "namesake" and second["status"] == "CLEARED"
    assert second["updatedAt"] > first["updatedAt"] > requested["checks"][0]["updatedAt"]


async def test_request_checks_twice_creates_none_twice(env: Env) -> None:
    app = await submit(env.gql, submit_input("KANDAS", "KZ-59"))
    first = await ok(env.gql, REQUEST_CHECKS, {"applicationId": app["id"]})
    assert len(first["checks"]) == 5 and {c["status"] for c in first["checks"]} == {"REQUESTED"}
    assert len({c["checkType"]["code"] for c in first["checks"]}) == 5
    before = await counts(env.sessions)
    again = await ok(env.gql, REQUEST_CHECKS, {"applicationId": app["id"]})
    assert [c["id"] for c in again["checks"]] == [c["id"] for c in first["checks"]]
    assert await counts(env.sessions) == before  # nothing to write, nothing written


# ---------------------------------------------------------------- the interview

INTERVIEW_RULES = [
    ("points-11", {"points": 11}, "points"),
    ("points-negative", {"points": -1}, "points"),
    ("notes-2001-chars", {"notes": "n" * 2001}, "notes"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in INTERVIEW_RULES], ids=[r[0] for r in INTERVIEW_RULES])
async def test_record_interview_outcome_input_rule(env: Env, world, change, field) -> None:
    await refused(env.gql, env.sessions, OUTCOME, {"applicationId": world["staged"]["id"], "outcome": "PASSED", **change},
                  "INVALID_INPUT", ["input", field])


async def test_interview_outcome_needs_a_scheduled_interview(env: Env, world) -> None:
    error = await refused(env.gql, env.sessions, OUTCOME, {"applicationId": world["submitted"]["id"], "outcome": "PASSED"},
                          "INVALID_STATE", ["input", "applicationId"])
    assert "scheduleInterview" in error["message"]


async def test_interview_time_needs_its_offset(env: Env, world) -> None:
    # Refused by the DateTime scalar, before the mutation runs (issue 13 item 8): a
    # request error with the same code and input path as the payload's errors.
    before = await counts(env.sessions)
    body = await env.gql(SCHEDULE, {"input": {"applicationId": world["submitted"]["id"],
                                              "scheduledAt": "2026-03-02T10:00:00"}}, **OFFICER)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == ["input", "scheduledAt"]
    assert "offset" in error["message"]
    assert await counts(env.sessions) == before


async def test_interview_is_rescheduled_only_before_its_outcome(env: Env) -> None:
    app = await submit(env.gql, submit_input("KANDAS", "KZ-59"))
    await ok(env.gql, SCHEDULE, {"applicationId": app["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    moved = await ok(env.gql, SCHEDULE, {"applicationId": app["id"], "scheduledAt": "2026-03-03T09:30:00+05:00"})
    assert moved["interview"]["scheduledAt"].startswith("2026-03-03T04:30:00")  # the same instant, in UTC
    await ok(env.gql, OUTCOME, {"applicationId": app["id"], "outcome": "FAILED", "points": 0})
    await refused(env.gql, env.sessions, SCHEDULE,
                  {"applicationId": app["id"], "scheduledAt": "2026-03-04T10:00:00+05:00"},
                  "INVALID_STATE", ["input", "applicationId"])


# ---------------------------------------------------------------- scoring


async def test_score_names_each_missing_stage(env: Env, world) -> None:
    error = await refused(env.gql, env.sessions, SCORE, {"applicationId": world["submitted"]["id"]},
                          "INVALID_STATE", ["input", "applicationId"])
    for stage in ("language test", "questionnaire", "checks have not been requested", "no interview is scheduled"):
        assert stage in error["message"], error["message"]


async def test_score_names_pending_checks_and_a_missing_outcome(env: Env) -> None:
    app = await submit(env.gql, submit_input("KANDAS", "KZ-59"))
    await ok(env.gql, LANGUAGE_TEST, language_input(app["id"]))
    await ok(env.gql, QUESTIONNAIRE, questionnaire_input(app["id"]))
    requested = await ok(env.gql, REQUEST_CHECKS, {"applicationId": app["id"]})
    for check in requested["checks"][:3]:
        await ok(env.gql, CHECK_RESULT, {"checkId": check["id"], "status": "CLEARED"})
    await ok(env.gql, SCHEDULE, {"applicationId": app["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    error = await refused(env.gql, env.sessions, SCORE, {"applicationId": app["id"]},
                          "INVALID_STATE", ["input", "applicationId"])
    assert "language test" not in error["message"] and "questionnaire" not in error["message"]
    assert "2 check(s) still await a result" in error["message"]
    assert "the interview has no outcome" in error["message"]


async def test_score_needs_a_published_model_in_force(gql: GQL, sessions) -> None:
    # a fresh database: this test retires every model
    app = await submit(gql, submit_input("KANDAS", "KZ-55"))
    await take_through(gql, app["id"], score=False)
    async with sessions() as s, s.begin():
        await s.execute(update(m.ScoringModel).values(status=ScoringModelStatus.RETIRED))
    error = await refused(gql, sessions, SCORE, {"applicationId": app["id"]},
                          "INVALID_STATE", ["input", "applicationId"])
    assert error["message"].startswith("no published scoring model is in force")


# ---------------------------------------------------------------- refused transitions

UNDECIDED = "SUBMITTED, PASSED or FAILED"
A_ID = ["input", "applicationId"]
TRANSITIONS: list[tuple[str, str, Callable[[str, str], dict[str, Any]], list[str], str]] = [
    # (action as named in the message, document, input, error field, the states that allow it)
    ("recordLanguageTest", LANGUAGE_TEST, lambda a, c: language_input(a), A_ID, UNDECIDED),
    ("submitQuestionnaire", QUESTIONNAIRE, lambda a, c: questionnaire_input(a), A_ID, UNDECIDED),
    ("requestChecks", REQUEST_CHECKS, lambda a, c: {"applicationId": a}, A_ID, UNDECIDED),
    ("recordCheckResult", CHECK_RESULT, lambda a, c: {"checkId": c, "status": "CLEARED"}, ["input", "checkId"],
     UNDECIDED),
    ("scheduleInterview", SCHEDULE, lambda a, c: {"applicationId": a, "scheduledAt": "2026-03-02T10:00:00+05:00"},
     A_ID, UNDECIDED),
    ("recordInterviewOutcome", OUTCOME, lambda a, c: {"applicationId": a, "outcome": "PASSED"}, A_ID, UNDECIDED),
    ("scoreApplication", SCORE, lambda a, c: {"applicationId": a}, A_ID, UNDECIDED),
    ("decideApplication (APPROVE)", DECIDE, lambda a, c: {"applicationId": a, "decision": "APPROVE"}, A_ID, "PASSED"),
    ("decideApplication (REJECT)", DECIDE, lambda a, c: {"applicationId": a, "decision": "REJECT"}, A_ID, UNDECIDED),
    ("withdrawApplication", WITHDRAW, lambda a, c: {"applicationId": a}, A_ID, UNDECIDED),
]


@pytest.mark.parametrize("state", ["WITHDRAWN", "REJECTED", "APPROVED"])
@pytest.mark.parametrize(("action", "doc", "make", "field", "allowed"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
async def test_a_decided_application_refuses_every_action(env: Env, world, state, action, doc, make, field,
                                                          allowed) -> None:
    app_id, check_id = world["decided"][state]
    error = await refused(env.gql, env.sessions, doc, make(app_id, check_id), "INVALID_STATE", field)
    assert error["message"] == f"{action} needs the application to be {allowed}; it is {state}"


@pytest.mark.parametrize("which", ["general", "failed"])
async def test_approve_needs_a_passed_application(env: Env, world, which) -> None:
    state = {"general": "SUBMITTED", "failed": "FAILED"}[which]
    error = await refused(env.gql, env.sessions, DECIDE, {"applicationId": world[which]["id"], "decision": "APPROVE"},
                          "INVALID_STATE", A_ID)
    assert error["message"] == f"decideApplication (APPROVE) needs the application to be PASSED; it is {state}"


async def test_kandas_is_never_approved_by_a_decision(env: Env, world) -> None:
    error = await refused(env.gql, env.sessions, DECIDE,
                          {"applicationId": world["kandas_passed"]["id"], "decision": "APPROVE"},
                          "INVALID_STATE", ["input", "decision"])
    assert error["message"].startswith("KANDAS applications are approved only by selection rounds")


@pytest.mark.parametrize(("doc", "extra"), [(WITHDRAW, {}), (DECIDE, {"decision": "REJECT"})], ids=["withdraw", "reject"])
async def test_reason_longer_than_1000_characters_is_refused(env: Env, world, doc, extra) -> None:
    await refused(env.gql, env.sessions, doc, {"applicationId": world["failed"]["id"], "reason": "r" * 1001, **extra},
                  "INVALID_INPUT", ["input", "reason"])


async def test_labour_approval_without_a_seat_changes_nothing(gql: GQL, sessions) -> None:
    # a fresh database: this test empties the LABOUR quotas
    app = await submit(gql, submit_input("LABOUR", "KZ-27", "8113", ethnic_kazakh=False, age=25))
    scored = await take_through(gql, app["id"], questionnaire={"occupationCode": "8113", "workExperienceYears": 10})
    assert scored["status"] == "PASSED"
    async with sessions() as s, s.begin():
        await s.execute(update(m.Quota).where(m.Quota.kind == "LABOUR").values(used=m.Quota.capacity))
    await refused(gql, sessions, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"},
                  "QUOTA_EXHAUSTED", A_ID)
    async with sessions() as s, s.begin():
        await s.execute(update(m.Quota).where(m.Quota.kind == "LABOUR").values(used=0))
    approved = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"})
    assert approved["status"] == "APPROVED"
    async with sessions() as s:
        row = (await s.execute(select(m.Application))).scalar_one()
        quota = await s.get(m.Quota, row.quota_id)
    assert row.seats == 1 and quota.used == 1 and row.decided_at is not None


BAD_IDS = {"not-an-id": "not-an-id", "missing": ids.encode("Application", 999999), "a-region": ids.encode("Region", 1)}
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


@pytest.mark.parametrize("bad", list(BAD_IDS.values()), ids=list(BAD_IDS))
@pytest.mark.parametrize(("doc", "make"), [r[1:] for r in APP_MUTATIONS], ids=[r[0] for r in APP_MUTATIONS])
async def test_unknown_application_id_is_not_found(env: Env, doc, make, bad) -> None:
    error = await refused(env.gql, env.sessions, doc, make(bad), "NOT_FOUND", A_ID)
    assert error["message"] == "application not found"
