"""Social contracts, the support ledger, terminations and refunds (SPEC §6).

Money is ``Decimal`` end to end. Every write that depends on a contract's
ledger (a support payment checked against its cap, a termination that turns
``total_support`` into the refund due, a refund payment) first locks the
contract row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN
IMMEDIATE`` already serialises writers), so two of them on one contract run one
after the other. The state changes are in addition conditional updates whose
row count is checked, and the database carries the last line of defence
(one contract per application, one termination per contract,
``refund_paid <= refund_due``).

Money events are recorded once they have happened: a payment, a refund or a
termination dated after today (Asia/Almaty) is ``INVALID_INPUT`` on its date.
So a contract becomes ``COMPLETED`` (a termination effective on or after its end
date) only once that end date has come. The stored status is the one truth: an
``ACTIVE`` contract past its end date stays ``ACTIVE`` until an officer records
its end, so a departure found out late can still be terminated with its real
(earlier) date and the whole support to refund.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import (
    Application,
    ContractTermination,
    MrpValue,
    Questionnaire,
    RefundPayment,
    SocialContract,
    SupportMeasure,
    SupportPayment,
    TerminationReasonRule,
)
from models import base as clock
from models.base import utcnow
from models.enums import ApplicationStatus, ContractStatus, Route, TerminationReason
from models.types import CENT
from services import audit, kandas, numbers, rows
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, invalid, invalid_state, not_found
from services.rules import add_years, family_size_problem, money_amount_problem
from services.viewer import Viewer

CONTRACT_YEARS = 5
# Contract dates are kept within the years the reference data (MRP) can describe.
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2095, 12, 31)
ZERO = Decimal("0.00")
CONTRACTS = SocialContract.__table__
PAYMENTS = SupportPayment.__table__
MEASURES = SupportMeasure.__table__
MRP = MrpValue.__table__
_LOCK_CONTRACT = select(*CONTRACTS.c).where(CONTRACTS.c.id == bindparam("contract_id")).with_for_update()


def refund_outstanding(refund_due: Any, refund_paid: Any) -> Any:
    """What remains to be refunded after a termination: the refund due less what
    was paid. Decimals give a decimal, columns give the SQL expression (the
    API's ``refundOutstanding`` in both read engines)."""
    return refund_due - refund_paid


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may change contracts, payments and refunds"))


# --------------------------------------------------------------------------
# the rules, as pure functions (the services below and the demo data use them)


def contract_end(start_date: dt.date) -> dt.date:
    """A contract starting on ``start_date`` runs ``CONTRACT_YEARS`` years, to before this date."""
    return add_years(start_date, CONTRACT_YEARS)


def during_contract(start_date: dt.date, end_date: dt.date, on: dt.date) -> bool:
    """Whether support may be paid on ``on``: from the start date to before the end date."""
    return start_date <= on < end_date


def support_cap(cap_mrp: Decimal, mrp: Decimal, family_size: int, per_family_member: bool) -> Decimal:
    """What a measure capped at ``cap_mrp`` MRP pays at most on one contract, in tenge
    (rounded down to the tiyn), with the MRP ``mrp`` of the payment's year; a
    per-member measure counts every member of the contract's family."""
    members = family_size if per_family_member else 1
    return (Decimal(cap_mrp) * Decimal(mrp) * members).quantize(CENT, rounding=ROUND_DOWN)


def refundable_under(rule: bool | None) -> bool:
    """Whether a termination reason is refundable, given its reference-data rule (None:
    no rule, so refundable, the policy's default: "the whole sum", no exemptions named)."""
    return True if rule is None else bool(rule)


def refund_due(total_support: Decimal, refundable: bool) -> Decimal:
    """What a termination before the end date owes: the whole support received,
    never pro-rated, when the reason is refundable; nothing otherwise."""
    return total_support if refundable else ZERO


def money(value: Decimal) -> str:
    """Exact tenge with two decimals, as the API prints it."""
    return str(Decimal(value).quantize(CENT))


def cents(value: Decimal) -> Decimal:
    """An amount as a message parameter: two decimals (shown as money in each language)."""
    return Decimal(value).quantize(CENT)


async def lock_contract(session: AsyncSession, contract_id: int) -> SocialContract:
    """The contract row, locked for the rest of the transaction; NOT_FOUND when missing."""
    stmt = (select(SocialContract).where(SocialContract.id == contract_id)
            .with_for_update().execution_options(populate_existing=True))
    contract = (await session.execute(stmt)).scalar_one_or_none()
    return _found(contract)


async def lock_contract_row(session: AsyncSession, contract_id: int) -> Row[Any]:
    """:func:`lock_contract` for a Core write: a row of the contract's columns (no ORM object)."""
    conn = await session.connection()
    return _found((await conn.execute(_LOCK_CONTRACT, {"contract_id": contract_id})).first())


def _found(contract: Any) -> Any:
    if contract is None:
        raise not_found(t("social contract"), "input", "contractId")
    return contract


# --------------------------------------------------------------------------
# signContract


async def sign_contract(
    session: AsyncSession, viewer: Viewer, *, application_id: int, start_date: dt.date, family_size: int | None = None
) -> SocialContract:
    """The contract's family is the one approved: the seats the selection round took
    (``Application.seats``). ``family_size`` is kept for the contract's clients; when
    given it must be that number (a larger one would inflate every per-member cap).
    The principal applicant's kandas status must be ACTIVE when the contract starts
    (SPEC §12, ``services.kandas.require_for_contract``)."""
    require_staff(viewer)
    application = (await session.execute(
        select(Application).where(Application.id == application_id).with_for_update()
        .execution_options(populate_existing=True)
    )).scalar_one_or_none()
    if application is None:
        raise not_found(t("application"), "input", "applicationId")
    if application.route != Route.KANDAS:
        raise invalid_state(t("only KANDAS applications get a social contract; this one is on the {route} route, "
                              "which has no contract or state support", route=application.route.value),
                            "input", "applicationId")
    if application.status != ApplicationStatus.APPROVED:
        raise invalid_state(t("a social contract is signed only for an APPROVED application (approved by a selection "
                              "round); this one is {status}", status=application.status.value), "input", "applicationId")
    approved = await approved_family_size(session, application)
    errors = ErrorCollector()
    if family_size is not None:
        problem = family_size_problem(family_size)
        if problem is None and family_size != approved:
            problem = t("the contract's family is the one approved: {approved} {people}, the quota seats the selection "
                        "round took (got {given}); leave familySize out or send {approved}", approved=approved,
                        people=t("person") if approved == 1 else t("people"), given=family_size)
        errors.invalid(problem, "input", "familySize")
    if not DATE_MIN <= start_date <= DATE_MAX:
        errors.invalid(t("start date must be from {first} to {last}", first=DATE_MIN, last=DATE_MAX), "input", "startDate")
    errors.raise_if_any()
    family_size = approved
    existing = (await session.execute(
        select(SocialContract.number).where(SocialContract.application_id == application.id)
    )).scalar_one_or_none()
    if existing is not None:
        raise ServiceError.one(ErrorCode.DUPLICATE, t("this application already has social contract {number}", number=existing),
                               ["input", "applicationId"])
    await kandas.require_for_contract(session, application.id, start_date)  # SPEC §12
    contract = SocialContract(
        number=await numbers.next_number(session, "SC", start_date.year),
        application_id=application.id,
        region_id=application.target_region_id,
        family_size=family_size,
        start_date=start_date,
        end_date=contract_end(start_date),
        status=ContractStatus.ACTIVE,
        total_support=ZERO,
        created_at=utcnow(),
    )
    if not await rows.added(session, contract):
        raise ServiceError.one(ErrorCode.DUPLICATE, t("this application already has a social contract"),
                               ["input", "applicationId"])
    await audit.record(session, viewer, "contract.sign", "social_contract", contract.id, {
        "number": contract.number, "applicationId": application.id, "regionId": contract.region_id,
        "familySize": family_size, "startDate": contract.start_date, "endDate": contract.end_date,
    })
    return contract


async def approved_family_size(session: AsyncSession, application: Application) -> int:
    """The family the selection round approved: the seats it took. An approval made
    before seats were recorded falls back to the questionnaire's family size."""
    if application.seats is not None:
        return application.seats
    size = (await session.execute(
        select(Questionnaire.family_size).where(Questionnaire.application_id == application.id)
    )).scalar_one_or_none()
    if size is None:  # pragma: no cover - an approved KANDAS application always has a questionnaire
        raise invalid_state(t("the approved application has no questionnaire, so its family is unknown"),
                            "input", "applicationId")
    return size


def today() -> dt.date:
    """Almaty's today, looked up on ``models.base`` at each call (the one clock tests replace)."""
    return clock.today_almaty()


def future_date_problem(value: dt.date, what: str, on: dt.date) -> str | None:
    """Money events are recorded once they happened: nothing dated after today."""
    if value > on:
        return t("{what} {date} is after today ({today}, Asia/Almaty); record it once it has happened",
                 what=what, date=value, today=on)
    return None


# --------------------------------------------------------------------------
# support payments


def _ledger_sum(*, of_measure: bool) -> Any:
    """What the contract's ledger holds (of the measure read beside it when
    ``of_measure``), as a scalar subquery; the contract is bound as ``contract_id``."""
    stmt = select(func.sum(PAYMENTS.c.amount)).where(PAYMENTS.c.contract_id == bindparam("contract_id"))
    if of_measure:
        stmt = stmt.where(PAYMENTS.c.measure_id == MEASURES.c.id)
    return stmt.scalar_subquery()


# Built once, their values bound at each execution (why: README, "Layout").
_MEASURE_AND_LEDGER = select(
    MEASURES.c.id, MEASURES.c.code, MEASURES.c.cap_mrp, MEASURES.c.per_family_member,
    select(MRP.c.amount).where(MRP.c.year == bindparam("year")).scalar_subquery().label("mrp"),
    _ledger_sum(of_measure=True).label("measure_paid"),
    _ledger_sum(of_measure=False).label("ledger"),
).where(MEASURES.c.code == bindparam("code"))
_NEW_PAYMENT = insert(PAYMENTS).returning(PAYMENTS.c.id)
_SET_TOTAL = update(CONTRACTS).where(CONTRACTS.c.id == bindparam("contract_id")).returning(*CONTRACTS.c)


def _money_sum(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(CENT)


async def record_support_payment(
    session: AsyncSession, viewer: Viewer, *, contract_id: int, measure_code: str, amount: Decimal, paid_on: dt.date
) -> Row[Any]:
    """Core statements on the session's connection (no ORM object, nothing to flush):
    the measure, the MRP of the payment's year and both ledger sums are one SELECT
    under the contract's lock, and the contract's new total is the ledger's sum
    before the payment plus its amount. Returns the contract's row as written."""
    require_staff(viewer)
    contract = await lock_contract_row(session, contract_id)
    if contract.status != ContractStatus.ACTIVE:
        raise invalid_state(t("support is paid only on an ACTIVE contract; this one is {status}",
                              status=contract.status.value),
                            "input", "contractId")
    conn = await session.connection()
    errors = ErrorCollector()
    code = (measure_code or "").strip().upper()
    measure = (await conn.execute(_MEASURE_AND_LEDGER, {
        "year": paid_on.year, "contract_id": contract.id, "code": code})).first()
    if measure is None:
        known = (await conn.execute(select(MEASURES.c.code).order_by(MEASURES.c.code))).scalars().all()
        errors.invalid(t("unknown support measure {code}; known measures: {known}", code=repr(measure_code),
                         known=", ".join(known)),
                       "input", "measureCode")
    errors.invalid(money_amount_problem(amount), "input", "amount")
    future = future_date_problem(paid_on, t("the payment date"), today())
    if future is not None:
        errors.invalid(future, "input", "paidOn")
    elif not during_contract(contract.start_date, contract.end_date, paid_on):
        errors.invalid(t("the payment date must be within the contract, from {start} to before {end} (got {given})",
                         start=contract.start_date, end=contract.end_date, given=paid_on), "input", "paidOn")
    errors.raise_if_any()
    assert measure is not None and measure.id is not None
    amount = Decimal(amount).quantize(CENT)

    if measure.mrp is None:
        raise invalid(t("no MRP value is set for {year}, so the {measure} cap cannot be computed; an administrator "
                        "must add that year's MRP first", year=paid_on.year, measure=measure.code), "input", "paidOn")
    mrp = Decimal(measure.mrp)
    cap = support_cap(measure.cap_mrp, mrp, contract.family_size, measure.per_family_member)
    paid = _money_sum(measure.measure_paid)
    if paid + amount > cap:
        remaining = max(cap - paid, ZERO)
        values = dict(measure=measure.code, cap=cents(cap), cap_mrp=format(measure.cap_mrp.normalize(), "f"),
                      mrp=cents(mrp), year=paid_on.year, paid=cents(paid), remaining=cents(remaining),
                      given=cents(amount))
        if measure.per_family_member:
            raise invalid(t("{measure} is capped at {cap} tenge on this contract ({cap_mrp} MRP × {mrp} tenge, the "
                            "{year} MRP × {members} family members); {paid} has been paid, so at most {remaining} "
                            "remains (got {given})", members=contract.family_size, **values), "input", "amount")
        raise invalid(t("{measure} is capped at {cap} tenge on this contract ({cap_mrp} MRP × {mrp} tenge, the {year} "
                        "MRP); {paid} has been paid, so at most {remaining} remains (got {given})", **values),
                      "input", "amount")

    payment_id = (await conn.execute(_NEW_PAYMENT, dict(
        contract_id=contract.id, measure_id=measure.id, amount=amount, paid_on=paid_on, recorded_at=utcnow(),
        recorded_by=viewer.audit_subject))).scalar_one()
    before = contract.total_support
    total = _money_sum(measure.ledger) + amount  # the ledger as read under the contract's lock, and this payment
    written = (await conn.execute(_SET_TOTAL, {"contract_id": contract.id, "total_support": total})).one()
    await audit.record_many(session, viewer, "contract.support_payment", "social_contract", [(contract.id, {
        "paymentId": payment_id, "measure": measure.code, "amount": amount, "paidOn": paid_on,
        "cap": cap, "measureTotal": paid + amount, "totalSupport": [before, total],
    })])
    return rows.known(session, SocialContract, written)


# --------------------------------------------------------------------------
# termination and refunds


async def is_refundable(session: AsyncSession, reason: TerminationReason) -> bool:
    """Reference data says which reasons are exempt (:func:`refundable_under`)."""
    return refundable_under((await session.execute(
        select(TerminationReasonRule.refundable).where(TerminationReasonRule.code == reason)
    )).scalar_one_or_none())


async def terminate_contract(
    session: AsyncSession, viewer: Viewer, *, contract_id: int, reason: TerminationReason, effective_date: dt.date
) -> SocialContract:
    require_staff(viewer)
    reason = TerminationReason(reason)
    contract = await lock_contract(session, contract_id)
    if contract.status != ContractStatus.ACTIVE:
        raise invalid_state(t("only an ACTIVE contract can be terminated; this one is already {status}",
                              status=contract.status.value),
                            "input", "contractId")
    if effective_date < contract.start_date:
        raise invalid(t("the effective date {date} is before the contract's start date {start}", date=effective_date,
                        start=contract.start_date),
                      "input", "effectiveDate")
    # A termination is recorded once it has happened; so a contract reaches COMPLETED
    # (an effective date on or after its end) only once its end date has come.
    future = future_date_problem(effective_date, t("the effective date"), today())
    if future is not None:
        raise invalid(future, "input", "effectiveDate")
    if effective_date >= contract.end_date:
        new_status, refundable, due = ContractStatus.COMPLETED, False, ZERO
    else:
        refundable = await is_refundable(session, reason)
        new_status = ContractStatus.TERMINATED
        due = refund_due(contract.total_support, refundable)  # total_support read under the contract lock
    result = await session.execute(
        update(SocialContract)
        .where(SocialContract.id == contract.id, SocialContract.status == ContractStatus.ACTIVE)
        .values(status=new_status).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # pragma: no cover - the lock above makes this unreachable
        raise invalid_state(t("the contract was terminated by someone else a moment ago"), "input", "contractId")
    termination = ContractTermination(contract_id=contract.id, reason=reason, effective_date=effective_date,
                                      refund_due=due, refund_paid=ZERO, recorded_at=utcnow(),
                                      recorded_by=viewer.audit_subject)
    if not await rows.added(session, termination):
        raise invalid_state(t("this contract already has a termination"), "input", "contractId")
    contract.status = new_status
    await audit.record(session, viewer, "contract.terminate", "social_contract", contract.id, {
        "status": [ContractStatus.ACTIVE, new_status], "reason": reason, "effectiveDate": effective_date,
        "totalSupport": contract.total_support, "refundable": refundable, "refundDue": due,
    })
    return contract


async def record_refund_payment(
    session: AsyncSession, viewer: Viewer, *, contract_id: int, amount: Decimal, paid_on: dt.date
) -> SocialContract:
    require_staff(viewer)
    contract = await lock_contract(session, contract_id)
    termination = (await session.execute(
        select(ContractTermination).where(ContractTermination.contract_id == contract.id)
        .with_for_update().execution_options(populate_existing=True)
    )).scalar_one_or_none()
    if termination is None:
        raise invalid_state(t("nothing is to be refunded: the contract is {status} and has no termination",
                              status=contract.status.value),
                            "input", "contractId")
    outstanding = refund_outstanding(termination.refund_due, termination.refund_paid)
    if outstanding <= 0:
        raise invalid_state(t("nothing is outstanding on this contract (refund due {due}, paid {paid})",
                              due=cents(termination.refund_due), paid=cents(termination.refund_paid)),
                            "input", "contractId")
    errors = ErrorCollector()
    problem = money_amount_problem(amount)
    errors.invalid(problem, "input", "amount")
    if problem is None and Decimal(amount) > outstanding:
        errors.invalid(t("the amount {amount} is more than the {outstanding} outstanding", amount=cents(amount),
                         outstanding=cents(outstanding)), "input", "amount")
    future = future_date_problem(paid_on, t("the refund date"), today())
    if future is not None:
        errors.invalid(future, "input", "paidOn")
    elif paid_on < contract.start_date:
        errors.invalid(t("the refund date must not be before the contract's start date {start}", start=contract.start_date),
                       "input", "paidOn")
    errors.raise_if_any()
    amount = Decimal(amount).quantize(CENT)
    result = await session.execute(
        update(ContractTermination)
        .where(ContractTermination.id == termination.id,
               ContractTermination.refund_paid + amount <= ContractTermination.refund_due)
        .values(refund_paid=ContractTermination.refund_paid + amount)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # pragma: no cover - the lock above makes this unreachable
        raise invalid(t("the amount is more than what is outstanding"), "input", "amount")
    payment = RefundPayment(contract_id=contract.id, amount=amount, paid_on=paid_on, recorded_at=utcnow(),
                            recorded_by=viewer.audit_subject)
    session.add(payment)
    await session.flush()
    await audit.record(session, viewer, "contract.refund_payment", "social_contract", contract.id, {
        "refundPaymentId": payment.id, "amount": amount, "paidOn": paid_on,
        "refundPaid": [termination.refund_paid, termination.refund_paid + amount],
        "refundOutstanding": outstanding - amount,
    })
    return contract
