"""Family members as records (issue 13 item 14): the questionnaire lists the
principal applicant's family (name, birth date, sex, relation, document, IIN);
the family size, the quota seats, the relocation cap and the contract's family
are 1 + their number; the input rules of SPEC §8 apply to each member; staff
and the owning applicant read them, agencies never."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

import models as m
from api.graphql import ids
from models.base import today_almaty
from core.db import transaction
from services.auth import create_agency_key
from services.rules import add_years, make_iin
from services.viewer import SYSTEM
from tests import factories as f
from tests.helpers_pipeline import (
    CHECK_RESULT,
    LANGUAGE_TEST,
    OUTCOME,
    QUESTIONNAIRE,
    REQUEST_CHECKS,
    SCHEDULE,
    SCORE,
    language_input,
    light,
    ok,
    questionnaire_input,
    submit,
    submit_input,
)

MEMBERS = "familyMembers { fullName birthDate sex relation documentNumber iin }"
FAMILY_QUESTIONNAIRE = (
    "mutation($input: SubmitQuestionnaireInput!) { submitQuestionnaire(input: $input) { "
    f"application {{ id questionnaire {{ familySize }} {MEMBERS} }} errors {{ field code message }} }} }}")
READ = f"query($id: ID!) {{ application(id: $id) {{ id questionnaire {{ familySize }} {MEMBERS} }} }}"
ROUND = ("mutation($input: RunSelectionRoundInput!) { runSelectionRound(input: $input) { "
         "round { approved { id } } errors { field code message } } }")
SIGN = ("mutation($input: SignContractInput!) { signContract(input: $input) { "
        "contract { id familySize } errors { field code message } } }")
PAY = ("mutation($input: RecordSupportPaymentInput!) { recordSupportPayment(input: $input) { "
       "contract { totalSupport } errors { field code message } } }")


def years_ago(years: int, days: int = 40) -> dt.date:
    return add_years(today_almaty(), -years) - dt.timedelta(days=days)


def member(name: str, years: int, sex: str, relation: str, document: str, *, serial: int | None = None,
           **overrides: Any) -> dict[str, Any]:
    birth = years_ago(years)
    value = {"fullName": name, "birthDate": birth.isoformat(), "sex": sex, "relation": relation,
             "documentNumber": document, "iin": make_iin(birth, sex, serial) if serial is not None else None}
    value.update(overrides)
    return value


def family(n: int = 5) -> list[dict[str, Any]]:
    """A spouse and children (and a parent): ``n`` members, IINs for some."""
    people = [
        member("Айгүл Сәрсенқызы", 33, "FEMALE", "SPOUSE", "N 7001 001", serial=101),
        member("Ерлан Нұрланұлы", 9, "MALE", "CHILD", "N7001002", serial=102),
        member("Aruzhan O'Neil-Bek", 6, "FEMALE", "CHILD", "n7001003"),
        member("Мирас", 2, "MALE", "CHILD", "N7001004", serial=104),
        member("Бибігүл Әбенова", 64, "FEMALE", "PARENT", "N7001005"),
        member("Асан", 30, "MALE", "SIBLING", "N7001006"),
    ]
    return people[:n]


async def questionnaire_stage(gql: Any, **who: Any) -> dict[str, Any]:
    """A KANDAS application with its language test: the questionnaire is open."""
    app = await submit(gql, submit_input(), **who)
    await ok(gql, light(LANGUAGE_TEST), language_input(app["id"]))
    return app


async def send(gql: Any, app_id: str, role: str = "OFFICER", subject: str | None = None,
               **overrides: Any) -> dict[str, Any]:
    data = await gql.ok(FAMILY_QUESTIONNAIRE, {"input": questionnaire_input(app_id, **overrides)},
                        role=role, subject=subject)
    return data["submitQuestionnaire"]


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def count(sessions: Any, model: type, *where: Any) -> int:
    async with sessions() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


# ---------------------------------------------------------------- the family's number everywhere


async def test_members_are_the_family_seats_cap_and_contract(gql: Any, sessions: Any) -> None:
    """Five members listed, no familySize sent: a family of 6 takes 6 seats, the
    contract is for 6, and the relocation cap is 70 MRP × 6."""
    app = await questionnaire_stage(gql)
    written = await send(gql, app["id"], familySize=None, familyMembers=family(5))
    assert written["errors"] == []
    got = written["application"]
    assert got["questionnaire"]["familySize"] == 6
    assert [(p["fullName"], p["relation"], p["documentNumber"]) for p in got["familyMembers"]] == [
        ("Айгүл Сәрсенқызы", "SPOUSE", "N7001001"), ("Ерлан Нұрланұлы", "CHILD", "N7001002"),
        ("Aruzhan O'Neil-Bek", "CHILD", "N7001003"), ("Мирас", "CHILD", "N7001004"),
        ("Бибігүл Әбенова", "PARENT", "N7001005")]  # in order, document numbers normalised
    assert got["familyMembers"][0]["iin"] == family(1)[0]["iin"] and got["familyMembers"][2]["iin"] is None

    # The rest of the stages, and the score (the questionnaire is not sent again).
    checks = await ok(gql, light(REQUEST_CHECKS), {"applicationId": app["id"]})
    for check in checks["checks"]:
        await ok(gql, CHECK_RESULT, {"checkId": check["id"], "status": "CLEARED"})
    await ok(gql, light(SCHEDULE), {"applicationId": app["id"], "scheduledAt": "2026-03-02T10:00:00+05:00"})
    await ok(gql, light(OUTCOME), {"applicationId": app["id"], "outcome": "PASSED", "points": 8})
    assert (await ok(gql, light(SCORE), {"applicationId": app["id"]}))["status"] == "PASSED"

    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", year=today_almaty().year, capacity=10, used=0)
    ran = (await gql.ok(ROUND, {"input": {"quotaId": ids.encode("Quota", quota.id)}}, role="OFFICER"))
    assert ran["runSelectionRound"]["errors"] == []
    assert ran["runSelectionRound"]["round"]["approved"] == [{"id": app["id"]}]
    async with sessions() as s:
        assert (await s.get(m.Quota, quota.id)).used == 6
        assert (await s.get(m.Application, ids.decode_as(app["id"], "Application"))).seats == 6

    inflated = (await gql.ok(SIGN, {"input": {"applicationId": app["id"], "startDate": "2026-03-01",
                                              "familySize": 20}}, role="OFFICER"))["signContract"]
    assert errors_of(inflated) == [("INVALID_INPUT", ["input", "familySize"])]
    signed = (await gql.ok(SIGN, {"input": {"applicationId": app["id"], "startDate": "2026-03-01"}},
                           role="OFFICER"))["signContract"]
    assert signed["errors"] == [] and signed["contract"]["familySize"] == 6
    pay = {"contractId": signed["contract"]["id"], "measureCode": "RELOCATION", "paidOn": "2026-04-01"}
    over = (await gql.ok(PAY, {"input": {**pay, "amount": "1816500.01"}}, role="OFFICER"))["recordSupportPayment"]
    assert errors_of(over) == [("INVALID_INPUT", ["input", "amount"])]
    full = (await gql.ok(PAY, {"input": {**pay, "amount": "1816500.00"}}, role="OFFICER"))["recordSupportPayment"]
    assert full["errors"] == [] and full["contract"]["totalSupport"] == "1816500.00"  # 70 × 4325 × 6


# ---------------------------------------------------------------- input rules


async def test_each_member_follows_the_input_rules(gql: Any, sessions: Any) -> None:
    app = await questionnaire_stage(gql)
    principal = (await gql.ok("query($id: ID!) { application(id: $id) { applicant { iin documentNumber } } }",
                              {"id": app["id"]}, role="OFFICER"))["application"]["applicant"]
    child = years_ago(7)
    tomorrow = (today_almaty() + dt.timedelta(days=1)).isoformat()
    good_iin = make_iin(child, "MALE", 200)
    wrong_check = good_iin[:11] + str((int(good_iin[11]) + 1) % 10)
    base = ("input", "familyMembers", "0")
    one = lambda **o: [{**member("Асан", 7, "MALE", "CHILD", "K1234567"), **o}]  # noqa: E731
    cases: list[tuple[str, dict[str, Any], list[tuple[str, list[str]]]]] = [
        ("name", {"familyMembers": one(fullName="R2-D2")}, [("INVALID_INPUT", [*base, "fullName"])]),
        ("blank name", {"familyMembers": one(fullName="  ")}, [("INVALID_INPUT", [*base, "fullName"])]),
        ("born tomorrow", {"familyMembers": one(birthDate=tomorrow)}, [("INVALID_INPUT", [*base, "birthDate"])]),
        ("check digit", {"familyMembers": one(birthDate=child.isoformat(), iin=wrong_check)},
         [("INVALID_INPUT", [*base, "iin"])]),
        ("iin vs birth", {"familyMembers": one(birthDate=(child - dt.timedelta(days=1)).isoformat(), iin=good_iin)},
         [("INVALID_INPUT", [*base, "iin"])]),
        ("iin vs sex", {"familyMembers": one(birthDate=child.isoformat(), sex="FEMALE", iin=good_iin)},
         [("INVALID_INPUT", [*base, "iin"])]),
        ("document", {"familyMembers": one(documentNumber="№1")}, [("INVALID_INPUT", [*base, "documentNumber"])]),
        ("principal's document", {"familyMembers": one(documentNumber=principal["documentNumber"].lower())},
         [("DUPLICATE", [*base, "documentNumber"])]),
        ("principal's iin", {"familyMembers": [member("Айгүл", 30, "FEMALE", "SPOUSE", "K7654321",
                                                      iin=principal["iin"])]},
         [("INVALID_INPUT", [*base, "iin"])]),  # and it cannot agree with another person's birth date
        ("listed twice", {"familyMembers": family(2) + [family(2)[1]]},
         [("DUPLICATE", ["input", "familyMembers", "2", "documentNumber"]),
          ("DUPLICATE", ["input", "familyMembers", "2", "iin"])]),
        ("size disagrees", {"familySize": 3, "familyMembers": family(1)}, [("INVALID_INPUT", ["input", "familySize"])]),
        ("size out of range", {"familySize": 0, "familyMembers": family(1)},
         [("INVALID_INPUT", ["input", "familySize"])]),
        ("no size, no members", {"familySize": None}, [("INVALID_INPUT", ["input", "familySize"])]),
        ("20 members", {"familySize": None, "familyMembers": [
            member("Бала", 5, "MALE", "CHILD", f"K90000{i:02d}") for i in range(20)]},
         [("INVALID_INPUT", ["input", "familyMembers"])]),
        ("all at once", {"familyMembers": one(fullName="X1", birthDate=tomorrow) + [
            member("Ok", 3, "FEMALE", "CHILD", "bad doc!")]},
         [("INVALID_INPUT", [*base, "fullName"]), ("INVALID_INPUT", [*base, "birthDate"]),
          ("INVALID_INPUT", ["input", "familyMembers", "1", "documentNumber"])]),
    ]
    for label, overrides, expected in cases:
        payload = await send(gql, app["id"], **{"familySize": None, **overrides})
        assert payload["application"] is None and errors_of(payload) == expected, (label, payload["errors"])
    assert await count(sessions, m.Questionnaire) == 0
    assert await count(sessions, m.FamilyMember) == 0
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "application.questionnaire") == 0

    # A child born today, a member with an IIN that agrees, 19 members at most: accepted.
    newborn = member("Жаңа туған", 0, "FEMALE", "CHILD", "K0000001", birthDate=today_almaty().isoformat())
    ok_payload = await send(gql, app["id"], familySize=None, familyMembers=[
        newborn, member("Асан", 7, "MALE", "CHILD", "K1234567", birthDate=child.isoformat(), iin=good_iin)]
        + [member("Бала", 5, "MALE", "CHILD", f"K90000{i:02d}") for i in range(17)])
    assert ok_payload["errors"] == [] and ok_payload["application"]["questionnaire"]["familySize"] == 20


async def test_members_kept_replaced_or_cleared(gql: Any, sessions: Any) -> None:
    """familyMembers given (even empty) replaces the list; left out, the list stays and
    familySize must count it; a bare count is still accepted when there is no list."""
    app = await questionnaire_stage(gql)
    first = await send(gql, app["id"], familySize=3, familyMembers=family(2))
    assert first["errors"] == [] and first["application"]["questionnaire"]["familySize"] == 3

    kept = await send(gql, app["id"], familySize=None, savings="10.00")
    assert kept["errors"] == [] and kept["application"]["questionnaire"]["familySize"] == 3
    assert len(kept["application"]["familyMembers"]) == 2
    disagrees = await send(gql, app["id"], familySize=5)
    assert errors_of(disagrees) == [("INVALID_INPUT", ["input", "familySize"])]
    assert "2 family member(s) on record" in disagrees["errors"][0]["message"]

    replaced = await send(gql, app["id"], familySize=None, familyMembers=family(4)[2:])
    assert [p["fullName"] for p in replaced["application"]["familyMembers"]] == ["Aruzhan O'Neil-Bek", "Мирас"]
    async with sessions() as s:
        rows = (await s.execute(select(m.FamilyMember.position, m.FamilyMember.full_name)
                                .order_by(m.FamilyMember.position))).all()
        events = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "application.questionnaire")
                                  .order_by(m.AuditEvent.id))).scalars().all()
    assert [tuple(r) for r in rows] == [(1, "Aruzhan O'Neil-Bek"), (2, "Мирас")]
    assert "Aruzhan O'Neil-Bek" in str(events[-1].__dict__) and "Айгүл Сәрсенқызы" in str(events[-1].__dict__)

    cleared = await send(gql, app["id"], familySize=None, familyMembers=[])
    assert cleared["application"]["questionnaire"]["familySize"] == 1
    assert cleared["application"]["familyMembers"] == []
    bare = await send(gql, app["id"], familySize=4)  # the contract's clients: a count only
    assert bare["errors"] == [] and bare["application"]["questionnaire"]["familySize"] == 4
    assert bare["application"]["familyMembers"] == [] and await count(sessions, m.FamilyMember) == 0


# ---------------------------------------------------------------- who reads them


async def test_who_reads_family_members(gql: Any, sessions: Any) -> None:
    alice = {"role": "APPLICANT", "subject": "alice-fm"}
    mine = await submit(gql, submit_input(), **alice)
    await ok(gql, light(LANGUAGE_TEST), language_input(mine["id"]))
    own = await send(gql, mine["id"], familySize=None, familyMembers=family(2), **alice)
    assert own["errors"] == [] and len(own["application"]["familyMembers"]) == 2

    staff = (await gql.ok(READ, {"id": mine["id"]}, role="OFFICER"))["application"]
    assert staff["familyMembers"] == own["application"]["familyMembers"]
    owner = (await gql.ok(READ, {"id": mine["id"]}, **alice))["application"]
    assert owner["familyMembers"] == own["application"]["familyMembers"]
    assert (await gql.ok(READ, {"id": mine["id"]}, role="APPLICANT", subject="bob-fm"))["application"] is None

    # An agency reads the application only as a check's context, and never its family.
    await ok(gql, light(REQUEST_CHECKS), {"applicationId": mine["id"]})
    async with transaction(sessions) as s:
        key = (await create_agency_key(s, SYSTEM, "GPO", label="family"))[1]
    feed = await gql.ok("{ checkResults(first: 20) { edges { node { application { id number "
                        f"{MEMBERS} }} }} }} }} }}", token=key)
    nodes = [e["node"] for e in feed["checkResults"]["edges"]]
    assert nodes and all(n["application"] == {"id": mine["id"], "number": mine["number"], "familyMembers": []}
                         for n in nodes)
    # The applicant may change the list only before scoring, like the rest of the questionnaire.
    async with transaction(sessions) as s:
        await f.add_score(s, await s.get(m.Application, ids.decode_as(mine["id"], "Application")), total=500)
    late = await send(gql, mine["id"], familySize=None, familyMembers=family(3), **alice)
    assert errors_of(late) == [("INVALID_STATE", ["input", "applicationId"])]
    assert await count(sessions, m.FamilyMember) == 2
