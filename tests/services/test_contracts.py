"""Social contracts, the support ledger with its caps, terminations and refunds (SPEC §6),
over GraphQL, with exact Decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

import models as m
from core import clock
from api.graphql import ids
from models.enums import ApplicationStatus, Route, TerminationReason
from tests import factories as f

CONTRACT_FIELDS = """
  id number status startDate endDate familySize totalSupport region { code } application { id }
  payments { measureCode amount paidOn measure { code nameEn capMrp perFamilyMember } }
  termination { reason effectiveDate refundDue refundPaid refundOutstanding }
"""

SIGN = "mutation($input: SignContractInput!) { signContract(input: $input) { contract {" + CONTRACT_FIELDS + \
    "} errors { field code message } } }"
PAY = "mutation($input: RecordSupportPaymentInput!) { recordSupportPayment(input: $input) { contract {" + \
    CONTRACT_FIELDS + "} errors { field code message } } }"
TERMINATE = "mutation($input: TerminateContractInput!) { terminateContract(input: $input) { contract {" + \
    CONTRACT_FIELDS + "} errors { field code message } } }"
REFUND = "mutation($input: RecordRefundPaymentInput!) { recordRefundPayment(input: $input) { contract {" + \
    CONTRACT_FIELDS + "} errors { field code message } } }"


def pin_today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """Almaty's today as the contract services see it (the one clock, ``core.clock``;
    tests/conftest.py puts it back after each test)."""
    clock.pin_today(day)


@pytest.fixture(autouse=True)
def _after_every_date_below(monkeypatch: pytest.MonkeyPatch, app: Any) -> None:
    """Money events may not be dated after today, and the tests below date them up to
    2032: today is pinned after that unless a test pins its own."""
    pin_today(monkeypatch, dt.date(2033, 1, 10))


def gid(type_name: str, pk: int) -> str:
    return ids.encode(type_name, pk)


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def sign(gql: Any, app_id: int, start: str = "2026-03-01", family: int = 3, role: str = "OFFICER") -> dict[str, Any]:
    variables = {"input": {"applicationId": gid("Application", app_id), "startDate": start, "familySize": family}}
    return (await gql.ok(SIGN, variables, role=role))["signContract"]


async def pay(gql: Any, contract_id: int, measure: str, amount: Any, paid_on: str = "2026-04-01",
              role: str = "OFFICER") -> dict[str, Any]:
    variables = {"input": {"contractId": gid("SocialContract", contract_id), "measureCode": measure,
                           "amount": amount, "paidOn": paid_on}}
    return (await gql.ok(PAY, variables, role=role))["recordSupportPayment"]


async def terminate(gql: Any, contract_id: int, reason: str, effective: str, role: str = "OFFICER") -> dict[str, Any]:
    variables = {"input": {"contractId": gid("SocialContract", contract_id), "reason": reason,
                           "effectiveDate": effective}}
    return (await gql.ok(TERMINATE, variables, role=role))["terminateContract"]


async def refund(gql: Any, contract_id: int, amount: Any, paid_on: str = "2026-10-01",
                 role: str = "OFFICER") -> dict[str, Any]:
    variables = {"input": {"contractId": gid("SocialContract", contract_id), "amount": amount, "paidOn": paid_on}}
    return (await gql.ok(REFUND, variables, role=role))["recordRefundPayment"]


async def new_contract(sessions: Any, **kw: Any) -> m.SocialContract:
    async with sessions.begin() as s:
        return await f.make_contract(s, **kw)


async def count(sessions: Any, model: type, *where: Any) -> int:
    async with sessions() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


# ---------------------------------------------------------------- signContract


async def test_sign_contract_and_duplicate(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        approved = await f.make_approved_kandas(s, region_code="KZ-59", family_size=4)
        # Approved a year later: its kandas status holds on the contract's start date (SPEC §12).
        leap = await f.make_approved_kandas(s, region_code="KZ-59", family_size=1,
                                            decided_at=dt.datetime(2027, 6, 1, 6, tzinfo=dt.timezone.utc))
    payload = await sign(gql, approved.id, "2026-03-01", 4)
    assert payload["errors"] == []
    c = payload["contract"]
    assert (c["status"], c["startDate"], c["endDate"], c["familySize"]) == ("ACTIVE", "2026-03-01", "2031-03-01", 4)
    assert c["number"] == "SC-2026-000001"
    assert c["region"]["code"] == "KZ-59" and c["application"]["id"] == gid("Application", approved.id)
    assert c["totalSupport"] == "0.00" and c["payments"] == [] and c["termination"] is None

    again = await sign(gql, approved.id, "2026-04-01", 4)
    assert again["contract"] is None and errors_of(again) == [("DUPLICATE", ["input", "applicationId"])]
    assert await count(sessions, m.SocialContract) == 1

    leap_payload = await sign(gql, leap.id, "2028-02-29", 1)
    assert leap_payload["contract"]["endDate"] == "2033-02-28"
    assert leap_payload["contract"]["number"] == "SC-2028-000001"
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "contract.sign") == 2


async def test_sign_contract_refusals(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        general = await f.make_approved_kandas(s, route=Route.GENERAL, region_code="KZ-75")
        passed = await f.make_passed_application(s, family_size=2)
        rejected = await f.make_passed_application(s, status=ApplicationStatus.REJECTED)
        approved = await f.make_approved_kandas(s)
    for app in (general, passed, rejected):
        payload = await sign(gql, app.id)
        assert errors_of(payload) == [("INVALID_STATE", ["input", "applicationId"])]
    for family in (0, 21):
        payload = await sign(gql, approved.id, family=family)
        assert errors_of(payload) == [("INVALID_INPUT", ["input", "familySize"])]
    assert errors_of(await sign(gql, approved.id, role="APPLICANT")) == [("FORBIDDEN", None)]
    assert errors_of(await sign(gql, 987654)) == [("NOT_FOUND", ["input", "applicationId"])]
    assert await count(sessions, m.SocialContract) == 0


async def test_contract_family_is_the_approved_one(gql: Any, sessions: Any) -> None:
    """Issue 13 item 1: the family of 6 that took 6 seats cannot sign for 20 and
    draw a RELOCATION subsidy capped for 20."""
    async with sessions.begin() as s:
        six = await f.make_approved_kandas(s, family_size=6)
        other = await f.make_approved_kandas(s, family_size=2)
    for family in (20, 5, 7):
        refused = await sign(gql, six.id, "2026-03-01", family)
        assert refused["contract"] is None and errors_of(refused) == [("INVALID_INPUT", ["input", "familySize"])]
        assert "6 people" in refused["errors"][0]["message"], family
    assert await count(sessions, m.SocialContract) == 0
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "contract.sign") == 0

    signed = await sign(gql, six.id, "2026-03-01", 6)
    assert signed["errors"] == [] and signed["contract"]["familySize"] == 6
    contract_id = ids.decode_as(signed["contract"]["id"], "SocialContract")
    # The relocation cap is 70 MRP × 6 = 1,816,500.00 in 2026, not 70 × 20 = 6,055,000.00.
    over = await pay(gql, contract_id, "RELOCATION", "6055000")
    assert errors_of(over) == [("INVALID_INPUT", ["input", "amount"])]
    assert "capped at 1816500.00" in over["errors"][0]["message"]
    assert (await pay(gql, contract_id, "RELOCATION", "1816500.01"))["errors"][0]["field"] == ["input", "amount"]
    full = await pay(gql, contract_id, "RELOCATION", "1816500.00")
    assert full["errors"] == [] and full["contract"]["totalSupport"] == "1816500.00"

    # familySize may be left out: the approved family is taken.
    omitted = (await gql.ok(SIGN, {"input": {"applicationId": gid("Application", other.id),
                                             "startDate": "2026-03-01"}}, role="OFFICER"))["signContract"]
    assert omitted["errors"] == [] and omitted["contract"]["familySize"] == 2


async def test_family_follows_the_seats_the_round_took(gql: Any, sessions: Any) -> None:
    """The seats booked by the round are the family, even if the questionnaire changed since."""
    async with sessions.begin() as s:
        app = await f.make_approved_kandas(s, family_size=4)
        q = (await s.execute(select(m.Questionnaire).where(m.Questionnaire.application_id == app.id))).scalar_one()
        q.family_size = 9
    assert errors_of(await sign(gql, app.id, family=9)) == [("INVALID_INPUT", ["input", "familySize"])]
    assert (await sign(gql, app.id, family=4))["contract"]["familySize"] == 4


# ---------------------------------------------------------------- support payments and caps

# (measure, family size, contract start, payment date, cap as the API prints it)
CAP_TABLE = [
    ("RELOCATION", 3, "2026-01-15", "2026-02-01", "908250.00"),  # 70 × 4325 × 3
    ("RELOCATION", 1, "2026-01-15", "2026-02-01", "302750.00"),  # 70 × 4325 × 1
    ("HOUSING_RENT", 3, "2026-01-15", "2026-02-01", "1557000.00"),  # 360 × 4325, not per member
    ("HOUSING_CERTIFICATE", 5, "2026-01-15", "2026-06-30", "7028125.00"),  # 1625 × 4325
    ("RELOCATION", 3, "2025-05-01", "2025-06-01", "825720.00"),  # 70 × 3932 × 3
    ("HOUSING_RENT", 2, "2025-05-01", "2025-12-31", "1415520.00"),  # 360 × 3932
    ("HOUSING_CERTIFICATE", 1, "2025-05-01", "2025-07-01", "6389500.00"),  # 1625 × 3932
]


async def test_support_caps_table(gql: Any, sessions: Any) -> None:
    for measure, family, start, paid_on, cap in CAP_TABLE:
        contract = await new_contract(sessions, family_size=family, start_date=dt.date.fromisoformat(start))
        case = (measure, family, paid_on)
        # One cent over the cap in a single payment: refused, the message names the cap and what remains.
        over = await pay(gql, contract.id, measure, str(Decimal(cap) + Decimal("0.01")), paid_on)
        assert errors_of(over) == [("INVALID_INPUT", ["input", "amount"])], case
        assert cap in over["errors"][0]["message"] and f"at most {cap} remains" in over["errors"][0]["message"], case
        # The whole cap in two payments: accepted, the total is exact.
        first = Decimal(cap) - Decimal("1000.01")
        p1 = await pay(gql, contract.id, measure, str(first), paid_on)
        assert p1["errors"] == [], case
        p2 = await pay(gql, contract.id, measure, "1000.01", paid_on)
        assert p2["errors"] == [], case
        assert p2["contract"]["totalSupport"] == cap, case
        assert [p["amount"] for p in p2["contract"]["payments"]] == [str(first), "1000.01"], case
        # Not one cent more.
        more = await pay(gql, contract.id, measure, "0.01", paid_on)
        assert errors_of(more) == [("INVALID_INPUT", ["input", "amount"])], case
        assert f"capped at {cap}" in more["errors"][0]["message"] and "at most 0.00 remains" in more["errors"][0]["message"]
        async with sessions() as s:
            stored = (await s.execute(select(m.SocialContract.total_support)
                                      .where(m.SocialContract.id == contract.id))).scalar_one()
            ledger = (await s.execute(select(func.sum(m.SupportPayment.amount))
                                      .where(m.SupportPayment.contract_id == contract.id))).scalar_one()
        assert stored == Decimal(cap) and Decimal(ledger) == Decimal(cap) and isinstance(stored, Decimal)


async def test_caps_are_per_measure_and_exact_strings(gql: Any, sessions: Any) -> None:
    contract = await new_contract(sessions, family_size=3, start_date=dt.date(2026, 1, 15))
    a = await pay(gql, contract.id, "RELOCATION", "908250.00")
    b = await pay(gql, contract.id, "HOUSING_RENT", "129750")  # 30 MRP: one month of rent
    c = await pay(gql, contract.id, "housing_rent", "0.1")
    assert a["errors"] == b["errors"] == c["errors"] == []
    assert c["contract"]["totalSupport"] == "1038000.10"
    assert [(p["measureCode"], p["amount"]) for p in c["contract"]["payments"]] == [
        ("RELOCATION", "908250.00"), ("HOUSING_RENT", "129750.00"), ("HOUSING_RENT", "0.10")]
    # Each payment's measure, with its names and cap (SPEC §16: named reference data).
    assert [(p["measure"]["code"], p["measure"]["capMrp"], p["measure"]["perFamilyMember"])
            for p in c["contract"]["payments"]] == [
        ("RELOCATION", "70.00", True), ("HOUSING_RENT", "360.00", False), ("HOUSING_RENT", "360.00", False)]
    assert c["contract"]["payments"][0]["measure"]["nameEn"] == "One-time relocation subsidy"
    # The response carries decimals as JSON strings, never numbers.
    raw = (await gql.raw("query($id: ID!) { node(id: $id) { ... on SocialContract { totalSupport } } }",
                         {"id": gid("SocialContract", contract.id)}, role="OFFICER")).text
    assert '"totalSupport":"1038000.10"' in raw.replace(" ", "")


async def test_payment_input_and_state_errors(gql: Any, sessions: Any) -> None:
    contract = await new_contract(sessions, start_date=dt.date(2026, 3, 1))  # ends 2031-03-01
    cases: list[tuple[dict[str, Any], list[tuple[str, list[str] | None]]]] = [
        ({"amount": "0"}, [("INVALID_INPUT", ["input", "amount"])]),
        ({"amount": "-1"}, [("INVALID_INPUT", ["input", "amount"])]),
        ({"amount": "1.001"}, [("INVALID_INPUT", ["input", "amount"])]),
        ({"amount": "NaN"}, [("INVALID_INPUT", ["input", "amount"])]),
        ({"paidOn": "2026-02-28"}, [("INVALID_INPUT", ["input", "paidOn"])]),  # before the start
        ({"paidOn": "2031-03-01"}, [("INVALID_INPUT", ["input", "paidOn"])]),  # the end date is outside
        ({"paidOn": "2027-05-01"}, [("INVALID_INPUT", ["input", "paidOn"])]),  # no MRP for 2027 yet
        ({"measure": "FREE_CAR"}, [("INVALID_INPUT", ["input", "measureCode"])]),
        ({"measure": "FREE_CAR", "amount": "0"},
         [("INVALID_INPUT", ["input", "measureCode"]), ("INVALID_INPUT", ["input", "amount"])]),
        ({"role": "APPLICANT"}, [("FORBIDDEN", None)]),
    ]
    for case, expected in cases:
        payload = await pay(gql, contract.id, case.get("measure", "HOUSING_RENT"), case.get("amount", "100.00"),
                            case.get("paidOn", "2026-04-01"), role=case.get("role", "OFFICER"))
        assert payload["contract"] is None and errors_of(payload) == expected, case
    assert await count(sessions, m.SupportPayment) == 0
    assert errors_of(await pay(gql, 424242, "HOUSING_RENT", "1")) == [("NOT_FOUND", ["input", "contractId"])]
    # The first and last days of the contract (and a whole-number amount) are fine.
    assert (await pay(gql, contract.id, "HOUSING_RENT", "100", "2026-03-01"))["errors"] == []
    last = await pay(gql, contract.id, "HOUSING_RENT", "100", "2026-12-31")
    assert last["errors"] == [] and last["contract"]["totalSupport"] == "200.00"
    # A terminated contract takes no payments.
    assert (await terminate(gql, contract.id, "LEFT_REGION", "2027-01-10"))["errors"] == []
    closed = await pay(gql, contract.id, "HOUSING_RENT", "100")
    assert errors_of(closed) == [("INVALID_STATE", ["input", "contractId"])]
    assert await count(sessions, m.SupportPayment) == 2


# ---------------------------------------------------------------- termination and refunds


async def test_termination_outcomes(gql: Any, sessions: Any) -> None:
    # Refundable: the WHOLE support, however late in the contract.
    refundable = await new_contract(sessions, family_size=3, start_date=dt.date(2026, 1, 15))
    await pay(gql, refundable.id, "RELOCATION", "908250.00")
    await pay(gql, refundable.id, "HOUSING_RENT", "129750.55")
    t = await terminate(gql, refundable.id, "LEFT_REGION", "2030-12-31")
    assert t["errors"] == []
    c = t["contract"]
    assert c["status"] == "TERMINATED" and c["totalSupport"] == "1038000.55"
    assert c["termination"] == {"reason": "LEFT_REGION", "effectiveDate": "2030-12-31", "refundDue": "1038000.55",
                                "refundPaid": "0.00", "refundOutstanding": "1038000.55"}
    # A second termination changes nothing, whatever its reason.
    again = await terminate(gql, refundable.id, "VOLUNTARY", "2027-01-01")
    assert again["contract"] is None and errors_of(again) == [("INVALID_STATE", ["input", "contractId"])]
    async with sessions() as s:
        rows = await f.termination_rows(s, refundable.id)
    assert len(rows) == 1 and rows[0].refund_due == Decimal("1038000.55")

    # Exempt reason: nothing to refund.
    exempt = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
    await pay(gql, exempt.id, "RELOCATION", "5000")
    e = (await terminate(gql, exempt.id, "DEATH", "2026-06-01"))["contract"]
    assert e["status"] == "TERMINATED" and e["termination"]["refundDue"] == "0.00"
    assert e["termination"]["refundOutstanding"] == "0.00"

    # On or after the end date: COMPLETED, refund 0.
    for effective in ("2031-01-15", "2032-07-01"):
        done = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
        await pay(gql, done.id, "RELOCATION", "5000")
        d = (await terminate(gql, done.id, "LEFT_REGION", effective))["contract"]
        assert d["status"] == "COMPLETED" and d["termination"]["refundDue"] == "0.00", effective

    # The day before the end is still early: refundable in full.
    eve = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
    await pay(gql, eve.id, "RELOCATION", "5000")
    v = (await terminate(gql, eve.id, "BREACH", "2031-01-14"))["contract"]
    assert v["status"] == "TERMINATED" and v["termination"]["refundDue"] == "5000.00"

    # Before the start: refused, nothing written.
    early = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
    bad = await terminate(gql, early.id, "LEFT_REGION", "2026-01-14")
    assert errors_of(bad) == [("INVALID_INPUT", ["input", "effectiveDate"])]
    assert errors_of(await terminate(gql, early.id, "LEFT_REGION", "2026-05-01", role="APPLICANT")) == [("FORBIDDEN", None)]
    async with sessions() as s:
        assert await f.termination_rows(s, early.id) == []
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "contract.terminate") == 5


async def test_money_events_are_not_dated_after_today(
        gql: Any, sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 3: a payment, a refund or a termination dated after today
    (Asia/Almaty) is INVALID_INPUT on that date, and nothing is written."""
    pin_today(monkeypatch, dt.date(2026, 12, 4))
    contract = await new_contract(sessions, start_date=dt.date(2026, 3, 1))  # ends 2031-03-01
    for paid_on in ("2026-12-05", "2028-01-01", "2031-03-01"):
        future = await pay(gql, contract.id, "HOUSING_RENT", "100", paid_on)
        assert errors_of(future) == [("INVALID_INPUT", ["input", "paidOn"])], paid_on
        assert "after today (2026-12-04" in future["errors"][0]["message"]
    assert await count(sessions, m.SupportPayment) == 0
    assert (await pay(gql, contract.id, "HOUSING_RENT", "100", "2026-12-04"))["errors"] == []

    for effective in ("2026-12-05", "2028-06-30", "2031-03-01", "2032-01-01"):
        future = await terminate(gql, contract.id, "LEFT_REGION", effective)
        assert errors_of(future) == [("INVALID_INPUT", ["input", "effectiveDate"])], effective
    async with sessions() as s:
        assert await f.termination_rows(s, contract.id) == []
        assert (await s.get(m.SocialContract, contract.id)).status.value == "ACTIVE"
    done = await terminate(gql, contract.id, "LEFT_REGION", "2026-12-04")
    assert done["errors"] == [] and done["contract"]["status"] == "TERMINATED"
    assert done["contract"]["termination"]["refundDue"] == "100.00"

    future_refund = await refund(gql, contract.id, "50", "2028-01-01")
    assert errors_of(future_refund) == [("INVALID_INPUT", ["input", "paidOn"])]
    assert await count(sessions, m.RefundPayment) == 0
    paid = await refund(gql, contract.id, "50", "2026-12-04")
    assert paid["errors"] == [] and paid["contract"]["termination"]["refundPaid"] == "50.00"
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action.in_(
        ["contract.support_payment", "contract.terminate", "contract.refund_payment"])) == 3


async def test_completed_only_once_the_end_date_has_come(
        gql: Any, sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """COMPLETED needs an effective date on or after the end date, which may not be after
    today: a contract completes when its five years are over, not by a future-dated call."""
    pin_today(monkeypatch, dt.date(2026, 12, 4))
    ended = await new_contract(sessions, start_date=dt.date(2021, 11, 1))  # ended 2026-11-01
    running = await new_contract(sessions, start_date=dt.date(2022, 3, 1))  # ends 2027-03-01
    done = await terminate(gql, ended.id, "VOLUNTARY", "2026-11-01")
    assert done["errors"] == [] and done["contract"]["status"] == "COMPLETED"
    assert done["contract"]["termination"]["refundDue"] == "0.00"
    early = await terminate(gql, running.id, "VOLUNTARY", "2027-03-01")
    assert errors_of(early) == [("INVALID_INPUT", ["input", "effectiveDate"])]
    pin_today(monkeypatch, dt.date(2027, 3, 1))  # the end date has come
    later = await terminate(gql, running.id, "VOLUNTARY", "2027-03-01")
    assert later["errors"] == [] and later["contract"]["status"] == "COMPLETED"


async def test_exempt_reasons_are_reference_data(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        await s.execute(update(m.TerminationReasonRule)
                        .where(m.TerminationReasonRule.code == TerminationReason.VOLUNTARY).values(refundable=False))
    contract = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
    await pay(gql, contract.id, "HOUSING_RENT", "1234.56")
    t = (await terminate(gql, contract.id, "VOLUNTARY", "2026-09-01"))["contract"]
    assert t["termination"]["refundDue"] == "0.00"


async def test_refund_payments(gql: Any, sessions: Any) -> None:
    contract = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
    await pay(gql, contract.id, "HOUSING_RENT", "1000.00")
    active = await refund(gql, contract.id, "10")
    assert errors_of(active) == [("INVALID_STATE", ["input", "contractId"])]
    await terminate(gql, contract.id, "VOLUNTARY", "2026-08-01")

    for amount in ("0", "-5", "1.001"):
        assert errors_of(await refund(gql, contract.id, amount)) == [("INVALID_INPUT", ["input", "amount"])], amount
    r1 = await refund(gql, contract.id, "400")
    assert r1["errors"] == []
    assert r1["contract"]["termination"]["refundPaid"] == "400.00"
    assert r1["contract"]["termination"]["refundOutstanding"] == "600.00"
    beyond = await refund(gql, contract.id, "600.01")
    assert errors_of(beyond) == [("INVALID_INPUT", ["input", "amount"])]
    assert "600.00" in beyond["errors"][0]["message"]
    r2 = await refund(gql, contract.id, "599.99")
    assert r2["contract"]["termination"]["refundOutstanding"] == "0.01"
    r3 = await refund(gql, contract.id, "0.01")
    assert r3["contract"]["termination"] == {
        "reason": "VOLUNTARY", "effectiveDate": "2026-08-01", "refundDue": "1000.00", "refundPaid": "1000.00",
        "refundOutstanding": "0.00"}
    settled = await refund(gql, contract.id, "0.01")
    assert errors_of(settled) == [("INVALID_STATE", ["input", "contractId"])]
    assert errors_of(await refund(gql, contract.id, "1", role="APPLICANT")) == [("FORBIDDEN", None)]
    assert await count(sessions, m.RefundPayment) == 3

    exempt = await new_contract(sessions, start_date=dt.date(2026, 1, 15))
    await pay(gql, exempt.id, "HOUSING_RENT", "50")
    await terminate(gql, exempt.id, "DISABILITY", "2026-08-01")
    assert errors_of(await refund(gql, exempt.id, "1")) == [("INVALID_STATE", ["input", "contractId"])]


async def test_applicants_read_only_their_own_contract(gql: Any, sessions: Any) -> None:
    mine = await new_contract(sessions, owner_subject="applicant-7")
    theirs = await new_contract(sessions, owner_subject="applicant-8")
    query = "query { contracts { totalCount edges { node { id number } } } }"
    own = (await gql.ok(query, role="APPLICANT", subject="applicant-7"))["contracts"]
    assert own["totalCount"] == 1 and own["edges"][0]["node"]["id"] == gid("SocialContract", mine.id)
    node = "query($id: ID!) { node(id: $id) { ... on SocialContract { id } } }"
    assert (await gql.ok(node, {"id": gid("SocialContract", theirs.id)}, role="APPLICANT",
                         subject="applicant-7"))["node"] is None
    staff = (await gql.ok(query, role="OFFICER"))["contracts"]
    assert staff["totalCount"] == 2


async def test_contracts_connection_pages_by_keyset(gql: Any, sessions: Any) -> None:
    from core.db import transaction

    async with transaction(sessions) as s:
        numbers_made = [(await f.make_contract(s, region_code=code)).number
                        for code in ("KZ-55", "KZ-11", "KZ-55", "KZ-39", "KZ-55")]
    query = ("query($after: String, $f: ContractFilter) { contracts(first: 2, after: $after, filter: $f) "
             "{ totalCount pageInfo { hasNextPage endCursor } edges { node { number region { code } } } } }")
    for filt, expected in ((None, set(numbers_made)), ({"regionCode": "KZ-55"}, set(numbers_made[0::2]))):
        seen: list[str] = []
        after = None
        while True:
            page = (await gql.ok(query, {"after": after, "f": filt}, role="OFFICER"))["contracts"]
            assert page["totalCount"] == len(expected)
            seen += [e["node"]["number"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) and set(seen) == expected
