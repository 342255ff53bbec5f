"""The case page (issue 20): one application on one page, read by services.case_file."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from models import Score
from services import case_sections  # noqa: F401 (the sections after the decision)
from services.case_file import case_file
from services.errors import ServiceError
from services.viewer import ANONYMOUS, SYSTEM, Viewer
from tests.admin.case_data import full_case
from tests.admin.test_admin import accounts, admin_client, auditor_client  # noqa: F401 (fixtures)


async def test_the_case_file_holds_every_stage(gql: Any, sessions: Any) -> None:
    case = await full_case(gql, sessions)
    async with sessions() as session:
        c = await case_file(session, SYSTEM, case["id"])
    assert c.applicant.full_name == "Aigerim Case-Study"
    assert c.region.startswith("Pavlodar")
    assert c.quota == "KANDAS 2026 · Pavlodar"
    assert c.language_test is not None and c.questionnaire is not None and c.interview is not None
    assert c.checks and all(line.agency_code for line in c.checks)
    assert c.score_result is not None and c.score_result.breakdown
    assert all(item.reason for item in c.score_result.breakdown)
    assert [d.outcome.value for d in c.decisions] == ["APPROVED"]
    assert c.contract is not None
    assert [line.kind for line in c.contract.ledger] == ["support", "refund"]
    assert c.contract.termination is not None
    assert c.contract.refund_outstanding == c.contract.termination.refund_due - c.contract.termination.refund_paid
    actions = [e.action for e in c.timeline]
    assert actions[:4] == ["applicant.create", "application.submit", "application.language_test",
                           "application.questionnaire"]
    assert actions[-6:] == ["application.score", "application.approve", "contract.sign", "contract.support_payment",
                            "contract.terminate", "contract.refund_payment"]
    # after the decision (SPEC §12, §17): the round granted the kandas status; the score is in its history
    status = dict(c.extra["Kandas status"])
    assert status["Number"].startswith("KS-2026-") and status["Status"].value == "ACTIVE"
    history = c.extra["Score history"]
    assert len(history) == 1 and "passed (FIRST_SCORE)" in history[0][1]
    assert "Reviews of the decision" not in c.extra and "Work permit" not in c.extra


async def test_a_case_is_not_read_by_applicants_or_anonymous_callers(gql: Any, sessions: Any) -> None:
    case = await full_case(gql, sessions)
    async with sessions() as session:
        for viewer in (ANONYMOUS, Viewer(subject="someone", role="APPLICANT")):
            with pytest.raises(ServiceError):
                await case_file(session, viewer, case["id"])


async def test_the_case_page_shows_the_whole_case(gql: Any, sessions: Any, admin_client: httpx.AsyncClient) -> None:
    case = await full_case(gql, sessions)
    page = await admin_client.get(f"/admin/application/details/{case['id']}")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"{case['number']} · {case['name']}" in text
    for section in ("case-applicant", "case-family", "case-language", "case-questionnaire", "case-checks",
                    "case-interview", "case-gates", "case-criteria", "case-decision", "case-ledger",
                    "case-termination", "case-timeline"):
        assert f'id="{section}"' in text, section
    assert "KANDAS 2026 · Pavlodar" in text
    assert "Refund outstanding" in text and "Support paid" in text
    assert "Kandas status" in text and "KS-2026-" in text and "Score history" in text
    # the list links each application's number to its case page, with the applicant's name beside it
    listing = await admin_client.get("/admin/application/list")
    assert f'/admin/application/details/{case["id"]}">{case["number"]}</a>' in listing.text
    assert case["name"] in listing.text
    assert (await admin_client.get("/admin/application/details/999999")).status_code == 404
    # a stored score's page shows its breakdown as a table, not JSON
    async with sessions() as session:
        score_id = (await session.execute(select(Score.id).where(Score.application_id == case["id"]))).scalar_one()
    score_page = await admin_client.get(f"/admin/score/details/{score_id}")
    assert score_page.status_code == 200
    assert 'id="case-criteria"' in score_page.text and "B1 gives 110 of 150" in score_page.text
    assert "maxPoints" not in score_page.text  # nor as the JSON the API prints (score.rendered_breakdown)
    # the audit trail names the record each event is about, with a link to it
    trail = await admin_client.get("/admin/audit-event/list?pageSize=100")
    assert f'/admin/application/details/{case["id"]}">{case["number"]} · {case["name"]}</a>' in trail.text


async def test_an_auditor_reads_the_case_page(gql: Any, sessions: Any, auditor_client: httpx.AsyncClient) -> None:
    case = await full_case(gql, sessions)
    page = await auditor_client.get(f"/admin/application/details/{case['id']}")
    assert page.status_code == 200 and 'id="case-ledger"' in page.text


async def test_the_dashboard_shows_support_paid_and_refunds_outstanding(gql: Any, sessions: Any,
                                                                       admin_client: httpx.AsyncClient) -> None:
    await full_case(gql, sessions)
    page = await admin_client.get("/admin/dashboard")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    support = text[text.index('id="support-paid"'):]
    assert '<td>Pavlodar</td><td class="q-num">100 000.00</td>' in support
    refunds = text[text.index('id="refunds-outstanding"'):]
    assert '<td>Pavlodar</td><td class="q-num">60 000.00</td>' in refunds
    assert 'id="applications-by-month"' in text
