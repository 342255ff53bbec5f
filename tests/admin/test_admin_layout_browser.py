"""The panel at a ministry laptop's 1366 × 768 in headless Chromium (issue 20):
no page scrolls sideways (lists choose their columns, long text wraps), the
sidebar runs the whole page, the case page shows the whole case. Screenshots of
the case page and the dashboard go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from admin.chart_assets import chart_integrity
from core.db import transaction
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests.admin.case_data import full_case
from tests.admin.test_admin_browser import (  # noqa: F401 (fixtures)
    TIMEOUT_MS, Panel, browser, expect, live, pytestmark,
)
from tests.browser_support import LiveServer, PageWatch

LAPTOP = {"width": 1366, "height": 768}

# What overflows sideways: the page itself, or a table wider than its card.
OVERFLOW = """() => {
  const page = document.documentElement.scrollWidth - window.innerWidth;
  const tables = [...document.querySelectorAll('.card table')].filter(t => {
    const box = t.closest('.card-body, .table-responsive, .card') || t.parentElement;
    return t.scrollWidth > box.clientWidth + 1;
  }).map(t => t.id || t.className);
  return {page, tables};
}"""

SIDEBAR = """() => {
  const aside = document.querySelector('aside.navbar-vertical').getBoundingClientRect();
  return {sidebar: aside.height, page: document.documentElement.scrollHeight};
}"""


@pytest.fixture
async def laptop(browser: Any, live: LiveServer) -> AsyncIterator[Panel]:
    context = await browser.new_context(base_url=live.url, viewport=LAPTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    watch = PageWatch()
    watch.attach(page)
    yield Panel(page, live, watch)
    await context.close()


async def fits(panel: Panel, where: str) -> None:
    found = await panel.page.evaluate(OVERFLOW)
    if found["page"] > 0 or found["tables"]:
        await panel.shot("overflow-" + re.sub(r"\W+", "-", where))  # to see what sticks out
    assert found["page"] <= 0, f"{where}: the page is {found['page']} px wider than the window"
    assert not found["tables"], f"{where}: tables wider than their card: {found['tables']}"


async def test_every_list_and_detail_page_fits_a_laptop_screen(laptop: Panel, gql: Any, sessions: Any) -> None:
    from sqladmin import ModelView

    await full_case(gql, sessions)
    async with transaction(sessions) as session:
        await create_agency_key(session, SYSTEM, "GPO", "a key with a long label to see that it wraps nicely")
    page = laptop.page
    await laptop.login()
    assert await page.evaluate("window.innerWidth") == LAPTOP["width"]
    views = [v for v in laptop.server.app.state.admin.views if isinstance(v, ModelView)]
    details_seen = 0
    for view in views:
        await laptop.goto(f"/admin/{view.identity}/list")
        await expect(page.locator("table.card-table")).to_be_visible()
        await fits(laptop, f"{view.identity} list")
        link = page.locator('table.card-table tbody a[href*="/details/"]').first
        if await link.count():
            await laptop.goto(await link.get_attribute("href"))
            await expect(page.locator(".card").first).to_be_visible()
            await fits(laptop, f"{view.identity} details")
            details_seen += 1
        assert not laptop.watch.problems, (view.identity, laptop.watch.take())
    assert details_seen >= 18, details_seen  # every table but a few has rows here

    # the sidebar runs the whole height of a long page
    await laptop.goto("/admin/audit-event/list?pageSize=100")
    heights = await page.evaluate(SIDEBAR)
    assert heights["sidebar"] >= heights["page"] - 1, heights
    await laptop.goto("/admin/dashboard")
    # the figures beside their charts, drawn by the chart library the app serves
    await expect(page.locator("#support-paid tbody tr").filter(has_text="Pavlodar")).to_contain_text("100 000.00")
    await expect(page.locator("#refunds-outstanding tbody tr").filter(has_text="Pavlodar")).to_contain_text("60 000.00")
    await expect(page.locator("#applications-by-month tbody tr").first).to_be_visible()
    if chart_integrity() is not None:
        for chart in ("chart-quota", "chart-months", "chart-support", "chart-refunds"):
            await expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
    else:
        await expect(page.locator("#charts-missing")).to_be_visible()
    await fits(laptop, "dashboard")
    await laptop.shot("dashboard-1366")
    laptop.no_problems()


async def test_the_case_page_shows_reasons_checks_and_ledger(laptop: Panel, gql: Any, sessions: Any) -> None:
    case = await full_case(gql, sessions)
    page = laptop.page
    await laptop.login()
    await laptop.goto("/admin/application/list")
    await page.get_by_role("link", name=case["number"]).click()
    await expect(page).to_have_url(re.compile(rf"/admin/application/details/{case['id']}$"))
    await expect(page.locator("#case-summary h3")).to_have_text(f"{case['number']} · {case['name']}")
    # the score's criteria, each with its reason
    criteria = page.locator("#case-criteria tbody tr")
    await expect(criteria.filter(has_text="kazakh")).to_contain_text("B1 gives 110 of 150")
    await expect(page.locator("#case-gates tbody tr").first).to_be_visible()
    # the checks with their agencies
    await expect(page.locator("#case-checks tbody tr").filter(has_text="CRIMINAL_RECORD")).to_contain_text("GPO")
    # the ledger and the termination
    ledger = page.locator("#case-ledger tbody tr")
    await expect(ledger.filter(has_text="Support paid")).to_contain_text("100 000.00")
    await expect(ledger.filter(has_text="Refund received")).to_contain_text("40 000.00")
    await expect(page.locator("#case-termination")).to_contain_text("Refund outstanding")
    await expect(page.locator("#case-timeline")).to_contain_text("contract.refund_payment")
    # references are names with links
    await expect(page.locator("#case-summary")).to_contain_text("KANDAS 2026 · Pavlodar")
    await fits(laptop, "case page")
    await laptop.shot("case-page")
    laptop.no_problems()


async def test_the_model_editor_checks_rows_saves_a_draft_and_shows_the_what_if(
        laptop: Panel, gql: Any, sessions: Any) -> None:
    from services.default_model import DEFAULT_MODEL_DEFINITION
    from services.scoring_models import create_scoring_model
    from tests.helpers_pipeline import SUBMIT, submit_input, take_through

    import datetime as dt

    scored = []
    for name in ("Dana Editor-One", "Erlan Editor-Two"):
        data = await gql.ok(SUBMIT, {"input": submit_input(full_name=name)}, role="OFFICER", subject="officer-1")
        application = data["submitApplication"]["application"]
        await take_through(gql, application["id"])
        scored.append(application["number"])
    async with transaction(sessions) as session:
        draft = await create_scoring_model(session, SYSTEM, version="2027.1", effective_from=dt.date(2027, 1, 1),
                                           definition=DEFAULT_MODEL_DEFINITION)
    criteria = [c["code"] for c in DEFAULT_MODEL_DEFINITION["criteria"]]
    kazakh, age = criteria.index("kazakh"), criteria.index("age")
    page = laptop.page
    await laptop.login()
    await laptop.goto("/admin/scoring-model/list")
    await page.get_by_role("link", name="2027.1").click()
    await expect(page).to_have_url(re.compile(rf"/admin/scoring-model/editor/{draft.id}$"))
    await expect(page.locator("#editor-gates tbody tr").first).to_be_visible()
    await expect(page.locator("#definition-json")).to_contain_text('"passMark": 400')

    # a bad band: the service's words next to its row, nothing saved
    await page.locator(f'textarea[name="criteria-{age}-bands"]').fill("29..18 = 100\n30..39 = 80")
    await page.locator("#editor-save").click()
    await expect(page.locator(f"#criteria-{age}-errors")).to_contain_text("min 29 is above max 18")
    await fits(laptop, "model editor with an error")
    await laptop.shot("model-editor-error")

    # fixed, with a criterion's points changed: saved as the draft
    await page.locator(f'textarea[name="criteria-{age}-bands"]').fill(
        "18..29 = 100\n30..39 = 80\n40..49 = 50\n50..59 = 20\n60.. = 0")
    await page.locator(f'textarea[name="criteria-{kazakh}-points"]').fill(
        "A1 = 50\nA2 = 80\nB1 = 10\nB2 = 130\nC1 = 150")
    await page.locator("#editor-save").click()
    await expect(page.locator(".toast-body").filter(has_text="Draft 2027.1 is saved.")).to_have_count(1)
    await expect(page.locator(f'textarea[name="criteria-{kazakh}-points"]')).to_have_value(
        re.compile(r"B1 = 10\b"))
    await expect(page.locator("#definition-json")).to_contain_text('"B1": 10')
    await fits(laptop, "model editor")
    await laptop.shot("model-editor")

    # the what-if names the applications whose score changes, with links and the change
    await page.locator("#editor-what-if").click()
    changes = page.locator("#what-if-changes tbody tr")
    for number in scored:
        row = changes.filter(has_text=number)
        await expect(row).to_contain_text("-100")
        await expect(row.get_by_role("link", name=re.compile(number))).to_have_attribute(
            "href", re.compile(r"/admin/application/details/\d+$"))
    await fits(laptop, "what-if")
    await laptop.shot("model-what-if")
    laptop.no_problems()
