"""``services.integrity`` (issue 19): a register built through the API proves
clean, and each row corrupted behind the services' back is reported with its id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import models as m
from api.graphql import ids
from core.db import transaction
from models.base import today_almaty
from server.app import create_app
from services import integrity
from tests import factories as f
from tests.conftest import BACKEND, GQL, make_settings, prebuilt
from tests.helpers_pipeline import (
    DECIDE, WITHDRAW, light, mrp_2026_savings, ok, submit, submit_input, take_through,
)

ROUND = ("mutation($input: RunSelectionRoundInput!) { runSelectionRound(input: $input) { "
         "round { approved { id } } errors { field code message } } }")
SIGN = ("mutation($input: SignContractInput!) { signContract(input: $input) { "
        "contract { id } errors { field code message } } }")
PAY = ("mutation($input: RecordSupportPaymentInput!) { recordSupportPayment(input: $input) { "
       "contract { totalSupport } errors { field code message } } }")
TERMINATE = ("mutation($input: TerminateContractInput!) { terminateContract(input: $input) { "
             "contract { status } errors { field code message } } }")
REFUND = ("mutation($input: RecordRefundPaymentInput!) { recordRefundPayment(input: $input) { "
          "contract { id } errors { field code message } } }")


async def _mutate(gql: Any, doc: str, input: dict[str, Any]) -> dict[str, Any]:
    (payload,) = (await gql.ok(doc, {"input": input}, role="OFFICER")).values()
    assert payload["errors"] == [], payload["errors"]
    return payload


async def build_register(gql: Any, sessions: Any) -> dict[str, int]:
    """Through the API: a KANDAS family approved by a round, with a contract paid,
    terminated and partly refunded; a second KANDAS contract still ACTIVE; a GENERAL
    approval, a refusal and a withdrawal. Returns the ids of the rows."""
    kandas = [await submit(gql, submit_input("KANDAS")) for _ in range(2)]
    for app in kandas:
        await take_through(gql, app["id"])
    general = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    await take_through(gql, general["id"], questionnaire={"savings": mrp_2026_savings(2000)})
    await ok(gql, light(DECIDE), {"applicationId": general["id"], "decision": "APPROVE"})
    refused = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    await ok(gql, light(DECIDE), {"applicationId": refused["id"], "decision": "REJECT", "reason": "incomplete"})
    withdrawn = await submit(gql, submit_input("KANDAS"))
    await ok(gql, light(WITHDRAW), {"applicationId": withdrawn["id"], "reason": "stays home"})

    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", year=today_almaty().year, capacity=10, used=0)
    ran = await _mutate(gql, ROUND, {"quotaId": ids.encode("Quota", quota.id)})
    assert len(ran["round"]["approved"]) == 2
    contracts = []
    for app in kandas:
        signed = await _mutate(gql, SIGN, {"applicationId": app["id"], "startDate": "2026-03-01"})
        contracts.append(signed["contract"]["id"])
        await _mutate(gql, PAY, {"contractId": contracts[-1], "measureCode": "RELOCATION", "amount": "500000.00",
                                 "paidOn": "2026-04-01"})
    await _mutate(gql, TERMINATE, {"contractId": contracts[0], "reason": "LEFT_REGION", "effectiveDate": "2026-06-01"})
    await _mutate(gql, REFUND, {"contractId": contracts[0], "amount": "100000.00", "paidOn": "2026-07-01"})
    terminated = ids.decode_as(contracts[0], "SocialContract")
    async with sessions() as s:
        termination = (await s.execute(sa.select(m.ContractTermination.id)
                                       .where(m.ContractTermination.contract_id == terminated))).scalar_one()
        payment = (await s.execute(sa.select(m.SupportPayment.id)
                                   .where(m.SupportPayment.contract_id == terminated))).scalar_one()
        score = (await s.execute(sa.select(m.Score.id).where(
            m.Score.application_id == ids.decode_as(general["id"], "Application")))).scalar_one()
    return {
        "quota": quota.id, "kandas": ids.decode_as(kandas[0]["id"], "Application"),
        "general": ids.decode_as(general["id"], "Application"),
        "withdrawn": ids.decode_as(withdrawn["id"], "Application"),
        "terminated": terminated, "active": ids.decode_as(contracts[1], "SocialContract"),
        "termination": termination, "payment": payment, "score": score,
    }


async def violations(sessions: Any) -> list[integrity.Violation]:
    async with transaction(sessions) as s:
        return await integrity.check(s)


async def _build_register(url: str) -> dict[str, int]:
    app = create_app(make_settings(url))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await build_register(GQL(client), app.state.sessions)
    finally:
        await app.state.engine.dispose()


@pytest.fixture
async def register(template_url: str, database_url: str) -> dict[str, int]:
    """The register of ``build_register`` in this test's database: built once per test
    process, restored for each test (``tests.conftest.prebuilt``)."""
    return await prebuilt("integrity_register", template_url, database_url, _build_register)


async def test_a_register_built_through_the_api_has_no_violation(register: dict[str, int], sessions: Any) -> None:
    assert await violations(sessions) == []


async def test_the_seeded_database_has_no_violation(sessions: Any) -> None:
    assert await violations(sessions) == []


Corrupt = Callable[[Any, dict[str, int]], Awaitable[None]]


async def _unaudit(s: Any, r: dict[str, int]) -> None:
    """Deletes an application's approval event: on PostgreSQL the append-only
    trigger refuses that, so this goes round it as a superuser could."""
    if BACKEND == "postgres":
        await s.execute(sa.text("SET LOCAL session_replication_role = replica"))
    await s.execute(sa.text("DELETE FROM audit_event WHERE entity_type = 'application' AND entity_id = :id "
                            "AND action = 'application.approve'"), {"id": r["kandas"]})


CORRUPTIONS: dict[str, tuple[Corrupt, str, str, str]] = {
    "ledger total": (
        lambda s, r: s.execute(sa.update(m.SocialContract.__table__).where(m.SocialContract.id == r["active"])
                               .values(total_support=Decimal("500000.01"))),
        "social_contract", "active", "total_support is not the sum of its ledger"),
    "quota used": (
        lambda s, r: s.execute(sa.text("UPDATE quota SET used = used - 1 WHERE id = :id"), {"id": r["quota"]}),
        "quota", "quota", "used is not the seats"),
    "audit event deleted": (_unaudit, "application", "kandas", "differs from its last audited move"),
    "status forged": (
        lambda s, r: s.execute(sa.text("UPDATE application SET status = 'APPROVED' WHERE id = :id"),
                               {"id": r["withdrawn"]}),
        "application", "withdrawn", "status APPROVED differs from its last audited move"),
    "seat taken away": (
        lambda s, r: s.execute(sa.text("DELETE FROM selection_round_approval WHERE application_id = :id"),
                               {"id": r["kandas"]}),
        "application", "kandas", "APPROVED KANDAS application without a seat"),
    "refund paid forged": (
        lambda s, r: s.execute(sa.update(m.ContractTermination.__table__)
                               .where(m.ContractTermination.id == r["termination"])
                               .values(refund_paid=Decimal("150000.00"))),  # beyond refund_due: a CHECK refuses it
        "contract_termination", "termination", "is not the sum of its refund payments"),
    "payment over its cap": (
        lambda s, r: s.execute(sa.update(m.SupportPayment.__table__).where(m.SupportPayment.id == r["payment"])
                               .values(amount=Decimal("9000000.00"))),
        "social_contract", "terminated", "RELOCATION total over its cap"),
    "printed lines forged": (
        lambda s, r: s.execute(sa.text("UPDATE score SET rendered_breakdown = 'forged' WHERE id = :id"), {"id": r["score"]}),
        "score", "score", "rendered_breakdown is not its result's lines as the API prints them"),
    "termination forgotten": (
        lambda s, r: s.execute(sa.text("UPDATE social_contract SET status = 'TERMINATED' WHERE id = :id"),
                               {"id": r["active"]}),
        "social_contract", "active", "TERMINATED contract with 0 termination(s)"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
async def test_a_corrupted_row_is_reported_with_its_id(name: str, register: dict[str, int], sessions: Any) -> None:
    corrupt, table, key, problem = CORRUPTIONS[name]
    async with transaction(sessions) as s:
        await corrupt(s, register)
    found = await violations(sessions)
    assert any(v.table == table and v.row_id == register[key] and problem in v.problem for v in found), found
    line = next(v.line() for v in found if v.row_id == register[key] and problem in v.problem)
    assert line.startswith(f"{table}#{register[key]}: ")


async def test_demo_data_proves_clean(sessions: Any) -> None:
    """The demo generator's seats, ledgers, caps, terminations and refunds prove
    clean, and every status its applications hold was reached by an audited event
    (it writes each move's event, as the services do); a second run too."""
    from cli.demo.generator import generate

    await generate(sessions, applications=120)
    await generate(sessions, applications=60, seed=2, batch_size=25)
    async with transaction(sessions) as s:
        assert await integrity.check(s) == []


async def test_printed_lines_are_read_in_batches(register: dict[str, int], sessions: Any) -> None:
    """Every score is compared, whatever the batch: a forged line in the last
    batch of one score each is found, and only that one."""
    async with transaction(sessions) as s:
        last = (await s.execute(sa.select(sa.func.max(m.Score.id)))).scalar_one()
        count = (await s.execute(sa.select(sa.func.count()).select_from(m.Score))).scalar_one()
        await s.execute(sa.text("UPDATE score SET rendered_gates = 'forged' WHERE id = :id"), {"id": last})
    assert count > 2
    async with transaction(sessions) as s:
        for batch in (1, 2, count, count + 1):
            found = await integrity.printed_lines(s, batch=batch)
            assert [(v.row_id, v.problem.split()[0]) for v in found] == [(last, "rendered_gates")], batch
