"""Employers, work permits and violations (SPEC §15): the rules at each floor's edge
(pure), and the services over a database: refusals write nothing, suspension after a
second violation, idempotent violations, permit places."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

import models as m
from models.enums import ApplicationStatus, Decision, PermitStatus, ViolationKind
from models.enums import PermitCategory as P
from models.enums import StaffCategory as C
from services.errors import ErrorCode, ServiceError
from services.labour import employers, permits, rules as labour, violations
from services.labour.employers import StaffCount
from services.viewer import Viewer
from tests import factories as f

OFFICER = Viewer(subject="officer-labour", role="OFFICER")
APPLICANT = Viewer(subject="someone", role="APPLICANT")
_bins = iter(range(10_000_000_000, 99_999_999_999, 7919))


def next_bin() -> str:
    while True:
        made = labour.make_bin(f"{next(_bins):011d}")
        if made is not None:
            return made


# ---------------------------------------------------------------- the rules, at each edge


@pytest.mark.parametrize(("local", "category", "workers", "ok"), [
    # categories 1–2: at least 70 % local
    ({C.CAT1: 70}, P.CAT1, 30, True),           # exactly 70 %
    ({C.CAT1: 69}, P.CAT1, 30, False),          # one local person less
    ({C.CAT1: 35, C.CAT2: 35}, P.CAT2, 30, True),
    ({C.CAT1: 35, C.CAT2: 34}, P.CAT2, 30, False),
    # categories 3–4: at least 90 % local
    ({C.CAT3: 90}, P.CAT3, 10, True),           # exactly 90 %
    ({C.CAT3: 89}, P.CAT3, 10, False),
    ({C.CAT3: 45, C.CAT4: 45}, P.CAT4, 10, True),
    ({C.CAT3: 45, C.CAT4: 44}, P.CAT4, 10, False),
    # the groups do not mix: staff in 3–4 do not count for 1–2
    ({C.CAT1: 69, C.CAT3: 1000}, P.CAT1, 30, False),
    # ICT: at most half the local staff, whatever the categories
    ({C.CAT1: 10, C.CAT2: 10, C.CAT3: 40, C.CAT4: 40}, P.ICT, 50, True),   # exactly half
    ({C.CAT1: 10, C.CAT2: 10, C.CAT3: 40, C.CAT4: 40}, P.ICT, 51, False),  # one more
    # SEASONAL has no floor
    ({}, P.SEASONAL, 100, True),
])
def test_floors_at_their_edges(local: dict[C, int], category: P, workers: int, ok: bool) -> None:
    problems = labour.share_problems(local, {}, category, workers)
    assert (problems == []) is ok, problems


def test_active_permits_count_against_the_floor() -> None:
    # 90 local; 5 foreign already: 5 more make 90 of 100 (ok), 6 more 90 of 101 (refused)
    assert labour.share_problems({C.CAT3: 90}, {P.CAT4: 5}, P.CAT3, 5) == []
    (problem,) = labour.share_problems({C.CAT3: 90}, {P.CAT4: 5}, P.CAT3, 6)
    assert problem.message == ("local staff in categories 3–4 would be 89.1 %, below the 90 % floor: "
                               "90 local of 101 with this request")
    assert problem.message.template.startswith("local staff in categories {group} would be {share} %")
    assert problem.message.params["floor"] == 90


def test_the_issue_example_message() -> None:
    (problem,) = labour.share_problems({C.CAT3: 80}, {}, P.CAT3, 10)
    assert problem.message == ("local staff in categories 3–4 would be 88.9 %, below the 90 % floor: "
                               "80 local of 90 with this request")


@pytest.mark.parametrize(("category", "months", "ok"), [
    (P.SEASONAL, 6, True), (P.SEASONAL, 7, False), (P.CAT3, 12, True), (P.CAT3, 13, False), (P.CAT3, 0, False),
])
def test_validity(category: P, months: int, ok: bool) -> None:
    assert (labour.valid_months_problem(category, months) is None) is ok


def test_bin_uses_the_iin_check_digit() -> None:
    good = next_bin()
    assert labour.bin_problem(good) is None
    wrong = good[:11] + str((int(good[11]) + 1) % 10)
    assert "check digit" in labour.bin_problem(wrong)
    assert "12 digits" in labour.bin_problem("12345")


def test_suspension_end() -> None:
    rule = {"violations": 2, "window_months": 12, "suspension_months": 12}
    assert labour.suspension_end([dt.date(2026, 1, 10)], **rule) is None
    assert labour.suspension_end([dt.date(2026, 1, 10), dt.date(2026, 11, 2)], **rule) == dt.date(2027, 11, 2)
    # more than 12 months apart: no suspension
    assert labour.suspension_end([dt.date(2025, 1, 10), dt.date(2026, 1, 10)], **rule) is None
    assert labour.suspension_end([dt.date(2025, 1, 11), dt.date(2026, 1, 10)], **rule) == dt.date(2027, 1, 10)


# ---------------------------------------------------------------- the services


async def register(s: Any, **staff: int) -> m.Employer:
    counts = [StaffCount(C[k.upper()], v) for k, v in staff.items()]
    return await employers.register_employer(s, OFFICER, bin=next_bin(), name="Pavlodar Steel LLP",
                                             region_code="KZ-55", local_staff=counts)


async def request(s: Any, employer: m.Employer, category: P = P.CAT3, occupation: str = "7212",
                  workers: int = 5, months: int = 12, region: str = "KZ-55") -> m.WorkPermit:
    return await permits.request_work_permit(s, OFFICER, employer_id=employer.id, category=category,
                                             occupation_code=occupation, region_code=region, workers=workers,
                                             valid_months=months)


async def refused(sessions: Any, work: Any) -> ServiceError:
    """``work(session)`` is refused, and the transaction writes nothing."""
    async with sessions() as s:
        before = (await s.execute(select(func.count()).select_from(m.WorkPermit))).scalar_one()
    with pytest.raises(ServiceError) as caught:
        async with sessions.begin() as s:
            await work(s)
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(m.WorkPermit))).scalar_one() == before
    return caught.value


async def test_register_refuses_a_bad_bin_and_a_second_employer_with_the_same_bin(sessions: Any) -> None:
    async with sessions.begin() as s:
        first = await register(s, cat3=10)
        assert (first.local_cat3, first.local_cat1) == (10, 0)
    error = await refused(sessions, lambda s: employers.register_employer(
        s, OFFICER, bin=first.bin, name="Copy", region_code="KZ-55", local_staff=[]))
    assert [(e.code, e.field) for e in error.errors] == [(ErrorCode.DUPLICATE, ("input", "bin"))]
    error = await refused(sessions, lambda s: employers.register_employer(
        s, OFFICER, bin=first.bin[:11] + str((int(first.bin[11]) + 1) % 10), name="X", region_code="KZ-99",
        local_staff=[StaffCount(C.CAT1, -1)]))
    assert {e.field for e in error.errors} == {("input", "bin"), ("input", "regionCode"),
                                               ("input", "localStaff", "0", "count")}
    error = await refused(sessions, lambda s: employers.register_employer(
        s, APPLICANT, bin=next_bin(), name="X", region_code="KZ-55", local_staff=[]))
    assert error.errors[0].code == ErrorCode.FORBIDDEN


async def test_update_staff_replaces_the_headcount(sessions: Any) -> None:
    async with sessions.begin() as s:
        employer = await register(s, cat1=5, cat3=10)
    async with sessions.begin() as s:
        updated = await employers.update_employer_staff(s, OFFICER, employer_id=employer.id,
                                                        local_staff=[StaffCount(C.CAT4, 7)])
        assert labour.staff_of(updated) == {C.CAT1: 0, C.CAT2: 0, C.CAT3: 0, C.CAT4: 7}


async def test_floor_edges_through_the_service(sessions: Any) -> None:
    async with sessions.begin() as s:
        edge = await register(s, cat3=90)
        short = await register(s, cat3=89)
        ict = await register(s, cat1=50, cat3=50)
    async with sessions.begin() as s:
        assert (await request(s, edge, workers=10)).status == PermitStatus.REQUESTED  # exactly 90 %
    error = await refused(sessions, lambda s: request(s, short, workers=10))
    (e,) = error.errors
    assert (e.code, e.field) == (ErrorCode.INVALID_INPUT, ("input", "workers"))
    assert e.message == ("local staff in categories 3–4 would be 89.9 %, below the 90 % floor: "
                         "89 local of 99 with this request")
    # the requested permit of ``edge`` counts: one more worker breaks the floor
    error = await refused(sessions, lambda s: request(s, edge, workers=1))
    assert "90 local of 101" in error.errors[0].message
    async with sessions.begin() as s:
        await request(s, ict, category=P.ICT, occupation="2142", workers=50)  # exactly half
    error = await refused(sessions, lambda s: request(s, ict, category=P.ICT, occupation="2142", workers=1))
    assert "intra-corporate transfers would be 51" in error.errors[0].message


async def test_seasonal_seven_months_and_the_deficit_list(sessions: Any) -> None:
    async with sessions.begin() as s:
        employer = await register(s, cat1=1000, cat2=1000, cat3=1000, cat4=1000)
    error = await refused(sessions, lambda s: request(s, employer, category=P.SEASONAL, months=7))
    assert [e.field for e in error.errors] == [("input", "validMonths")]
    # 2142 (civil engineers) is not on Pavlodar's (KZ-55) list
    for category in (P.CAT2, P.CAT3, P.CAT4, P.SEASONAL):
        error = await refused(sessions, lambda s, c=category: request(s, employer, category=c, occupation="2142",
                                                                      months=6))
        (e,) = error.errors
        assert e.field == ("input", "occupationCode") and "not on the deficit list of KZ-55" in e.message
    async with sessions.begin() as s:
        for category in (P.CAT1, P.ICT):
            assert (await request(s, employer, category=category, occupation="2142")).status == PermitStatus.REQUESTED


async def test_decide_takes_the_workers_as_quota_seats_and_ict_none(sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.labour_quota(s, "KZ-55", "7212", year=2026, capacity=12, used=0)
        employer = await register(s, cat1=1000, cat3=1000)
        five, eight = await request(s, employer, workers=5), await request(s, employer, workers=8)
        ict = await request(s, employer, category=P.ICT, occupation="7212", workers=20)
    async with sessions.begin() as s:
        approved = await permits.decide_work_permit(s, OFFICER, permit_id=five.id, decision=Decision.APPROVE)
        assert (approved.status, approved.quota_id, approved.valid_from, approved.valid_until) == (
            PermitStatus.APPROVED, quota.id, dt.date(2026, 12, 4), dt.date(2027, 12, 3))
    error = await refused(sessions, lambda s: permits.decide_work_permit(s, OFFICER, permit_id=eight.id,
                                                                         decision=Decision.APPROVE))
    assert [(e.code, e.field) for e in error.errors] == [(ErrorCode.QUOTA_EXHAUSTED, ("input", "permitId"))]
    async with sessions.begin() as s:
        approved = await permits.decide_work_permit(s, OFFICER, permit_id=ict.id, decision=Decision.APPROVE)
        assert approved.quota_id is None
        rejected = await permits.decide_work_permit(s, OFFICER, permit_id=eight.id, decision=Decision.REJECT,
                                                    reason="the quota is full")
        assert rejected.status == PermitStatus.REJECTED
    async with sessions() as s:
        assert (await s.get(m.Quota, quota.id)).used == 5
    error = await refused(sessions, lambda s: permits.decide_work_permit(s, OFFICER, permit_id=five.id,
                                                                         decision=Decision.REJECT, reason="late"))
    assert error.errors[0].code == ErrorCode.INVALID_STATE


async def test_a_second_violation_suspends_the_employer_and_its_next_request_is_refused(
        sessions: Any, clock: Any) -> None:
    async with sessions.begin() as s:
        employer = await register(s, cat3=1000)
        first = await violations.record_violation(s, OFFICER, kind=ViolationKind.ILLEGAL_EMPLOYMENT,
                                                  occurred_on=dt.date(2026, 3, 1), external_id="MVD-1", fine_mrp=50,
                                                  employer_id=employer.id)
        assert (await s.get(m.Employer, employer.id)).suspended_until is None
        await request(s, employer)  # one violation: still allowed
    async with sessions.begin() as s:
        await violations.record_violation(s, OFFICER, kind=ViolationKind.PERMIT_BREACH,
                                          occurred_on=dt.date(2026, 11, 20), external_id="MVD-2",
                                          employer_id=employer.id)
        assert (await s.get(m.Employer, employer.id)).suspended_until == dt.date(2027, 11, 20)
    error = await refused(sessions, lambda s: request(s, employer))
    (e,) = error.errors
    assert (e.code, e.field) == (ErrorCode.INVALID_STATE, ("input", "employerId"))
    assert "suspended for repeated violations until 2027-11-20" in e.message
    # the suspension ends on that day (2027 has no deficit lists seeded: an ICT request)
    clock.pin(dt.date(2027, 11, 20))
    async with sessions.begin() as s:
        await request(s, employer, category=P.ICT)
    # the same externalId again records nothing new; with other details it is a CONFLICT
    async with sessions.begin() as s:
        again = await violations.record_violation(s, OFFICER, kind=ViolationKind.ILLEGAL_EMPLOYMENT,
                                                  occurred_on=dt.date(2026, 3, 1), external_id="MVD-1", fine_mrp=50,
                                                  employer_id=employer.id)
        assert again.id == first.id
    with pytest.raises(ServiceError) as caught:
        async with sessions.begin() as s:
            await violations.record_violation(s, OFFICER, kind=ViolationKind.OTHER, occurred_on=dt.date(2026, 3, 1),
                                              external_id="MVD-1", employer_id=employer.id)
    assert caught.value.errors[0].code == ErrorCode.CONFLICT
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(m.Violation))).scalar_one() == 2


async def test_only_staff_and_the_granted_agency_record_violations(sessions: Any) -> None:
    async with sessions.begin() as s:
        employer = await register(s, cat3=10)
        agencies = {a.code: a for a in (await s.execute(select(m.Agency))).scalars()}
    mvd = Viewer(subject="agency:MVD_MIGRATION", role="AGENCY", agency_id=agencies["MVD_MIGRATION"].id,
                 agency_code="MVD_MIGRATION")
    knb = Viewer(subject="agency:KNB", role="AGENCY", agency_id=agencies["KNB"].id, agency_code="KNB")
    async with sessions.begin() as s:
        row = await violations.record_violation(s, mvd, kind=ViolationKind.OVERSTAY, occurred_on=dt.date(2026, 5, 1),
                                                external_id="MVD-77", employer_id=employer.id)
        assert row.agency_id == agencies["MVD_MIGRATION"].id
    for viewer in (knb, APPLICANT):
        with pytest.raises(ServiceError) as caught:
            async with sessions.begin() as s:
                await violations.record_violation(s, viewer, kind=ViolationKind.OTHER,
                                                  occurred_on=dt.date(2026, 5, 1), external_id="X-1",
                                                  employer_id=employer.id)
        assert caught.value.errors[0].code == ErrorCode.FORBIDDEN


async def test_a_permit_place_per_approval_and_none_once_they_are_used(sessions: Any) -> None:
    from services import applications

    async with sessions.begin() as s:
        quota = await f.labour_quota(s, "KZ-55", "7212", year=2026, capacity=3, used=0)
        employer = await register(s, cat3=1000)
        permit = await request(s, employer, workers=1)
        await permits.decide_work_permit(s, OFFICER, permit_id=permit.id, decision=Decision.APPROVE)
        apps = [await f.make_passed_application(s, route="LABOUR", region_code="KZ-55", occupation_code="7212",
                                                family_size=1) for _ in range(2)]
        for app in apps:
            app.permit_id = permit.id
    async with sessions.begin() as s:
        approved = await applications.decide_application(s, OFFICER, application_id=apps[0].id,
                                                         decision=Decision.APPROVE)
        assert (approved.quota_id, approved.seats) == (None, None)  # a permit place, not a quota seat
    with pytest.raises(ServiceError) as caught:
        async with sessions.begin() as s:
            await applications.decide_application(s, OFFICER, application_id=apps[1].id, decision=Decision.APPROVE)
    (e,) = caught.value.errors
    assert e.code == ErrorCode.INVALID_STATE and "no place left" in e.message
    async with sessions() as s:
        assert ((await s.get(m.WorkPermit, permit.id)).places_used, (await s.get(m.Quota, quota.id)).used) == (1, 1)
        assert (await s.get(m.Application, apps[1].id)).status == ApplicationStatus.PASSED
    # a new LABOUR application may not name it any more
    with pytest.raises(ServiceError) as caught:
        async with sessions.begin() as s:
            await permits.permit_for_application(s, permit.id, region_id=None, occupation_id=None)
    assert "every place of work permit" in caught.value.errors[0].message
