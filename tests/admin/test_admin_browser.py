"""The admin panel in a real browser: headless Chromium (Debian's ``chromium``)
driven by Playwright against the app served by uvicorn on 127.0.0.1.

What an administrator does: log in (and fail to), open every list page, change
a quota's capacity (and be refused with the API's own words), publish a draft
scoring model through its simulation page, log out. A screenshot of each main
page goes to test-artifacts/screenshots/.

Skipped without /usr/bin/chromium (or Playwright) — failed instead in CI — and
skipped on the PostgreSQL run: the panel's SQL is covered there by
test_admin.py, and one browser run per CI job is enough."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from models import AuditEvent, Quota, Region, ScoringModel
from core.db import transaction
from models.enums import AdminRole, ScoringModelStatus
from services.auth import create_admin_account
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.viewer import SYSTEM
from tests.browser_support import VIEWPORT, LiveServer, PageWatch, launch_chromium, require_browser, screenshot
from tests.conftest import BACKEND, IN_CI, token_for

pytestmark = pytest.mark.skipif(
    BACKEND == "postgres",
    reason="browser tests run on the SQLite run only (test_admin.py covers the panel on PostgreSQL)",
)

ADMIN = "alice.admin"
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 15_000

# The list pages worth a screenshot, by view identity.
MAIN_LISTS = {"region": "regions", "quota": "quotas", "scoring-model": "scoring-models",
              "application": "applications", "audit-event": "audit-log"}

UPSERT = """
mutation($input: UpsertQuotaInput!) {
  upsertQuota(input: $input) { quota { id } errors { field code message } }
}"""


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    require_browser(IN_CI)
    from playwright.async_api import async_playwright
    from playwright.async_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)  # a busy CI machine is slow; 5 s is Playwright's default
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture
async def live(settings: Any, sessions: Any) -> AsyncIterator[LiveServer]:
    from server.app import create_app

    async with transaction(sessions) as session:
        await create_admin_account(session, SYSTEM, ADMIN, PASSWORD, AdminRole.ADMINISTRATOR)
    server = LiveServer(create_app(settings))
    await server.start()
    yield server
    await server.stop()  # the app's lifespan disposes of its engine


@dataclass
class Panel:
    """A fresh browser context (no cookies) on the live server."""

    page: Any
    server: LiveServer
    watch: PageWatch

    async def goto(self, path: str) -> Any:
        response = await self.page.goto(path)
        assert response is not None, path
        return response

    async def login(self, username: str = ADMIN, password: str = PASSWORD) -> None:
        await self.goto("/admin/login")
        await self.page.locator('input[name="username"]').fill(username)
        await self.page.locator('input[name="password"]').fill(password)
        await self.page.get_by_role("button", name="Login").click()
        if password == PASSWORD:
            await expect(self.page).to_have_url(re.compile(r"/admin/dashboard$"))
            # let the dashboard finish loading (its icon font), or the next page aborts it
            await self.page.wait_for_load_state("load")

    async def shot(self, name: str) -> None:
        await screenshot(self.page, name)

    def no_problems(self) -> None:
        problems = self.watch.take()
        assert not problems, "\n".join(problems)


@pytest.fixture
async def panel(browser: Any, live: LiveServer) -> AsyncIterator[Panel]:
    context = await browser.new_context(base_url=live.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    watch = PageWatch()
    watch.attach(page)
    yield Panel(page, live, watch)
    await context.close()


def expect(target: Any) -> Any:
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(target)


async def column_index(page: Any, label: str) -> int:
    headers = [h.strip() for h in await page.locator("table.card-table thead th").all_inner_texts()]
    assert label in headers, headers
    return headers.index(label)


def row_with_link(page: Any, href_suffix: str) -> Any:
    return page.locator("table.card-table tbody tr").filter(has=page.locator(f'a[href$="{href_suffix}"]'))


async def api_quota_errors(server: LiveServer, quota: Quota, region_code: str, occupation_code: str | None,
                           capacity: int) -> list[str]:
    """What the API (upsertQuota) answers to the same capacity change."""
    variables = {"input": {"kind": quota.kind.value, "year": quota.year, "regionCode": region_code,
                           "occupationCode": occupation_code, "capacity": capacity}}
    headers = {"Authorization": f"Bearer {token_for('ADMIN')}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.post("/graphql", json={"query": UPSERT, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload = body["data"]["upsertQuota"]
    assert payload["quota"] is None, payload
    return [e["message"] for e in payload["errors"]]


async def load_quota(sessions: Any, quota_id: int) -> Quota:
    async with sessions() as session:
        return await session.get(Quota, quota_id)


# ------------------------------------------------------------------ 1. login


async def test_login_with_the_right_password_and_a_wrong_one(panel: Panel) -> None:
    page = panel.page
    await panel.goto("/admin/")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    await expect(page.get_by_role("heading", name="Login to Qonys administration")).to_be_visible()
    await panel.shot("login")

    await panel.login(ADMIN, "not the password at all")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    error = page.locator(".invalid-feedback").filter(has_text="Invalid credentials").first
    await expect(error).to_be_visible()
    await expect(page.locator('input[name="username"]')).to_have_class(re.compile(r"\bis-invalid\b"))
    await panel.shot("login-error")
    # still locked out
    await panel.goto("/admin/quota/list")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))

    await panel.login()
    await expect(page.get_by_role("heading", name="Quota fill per region and year")).to_be_visible()
    await expect(page.locator("#quota-fill tbody tr").first).to_be_visible()
    await expect(page.locator("#applications-by-status")).to_be_visible()
    await expect(page.get_by_role("link", name="Logout")).to_be_visible()
    panel.no_problems()


# ------------------------------------------------------------------ 2. every list page


async def test_every_list_page_opens_with_a_table(panel: Panel) -> None:
    from sqladmin import ModelView

    page = panel.page
    await panel.login()
    views = [v for v in panel.server.app.state.admin.views if isinstance(v, ModelView)]
    assert len(views) >= 20, [v.identity for v in views]
    # every list page is reachable from the menu
    menu = set(await page.locator("#navbar-menu a[href]").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"))
    missing = [v.identity for v in views if f"/admin/{v.identity}/list" not in menu]
    assert not missing, f"list pages missing from the menu: {missing}"
    assert "/admin/dashboard" in menu

    for view in views:
        response = await panel.goto(f"/admin/{view.identity}/list")
        assert response.status == 200, (view.identity, response.status)
        await expect(page).to_have_url(re.compile(rf"/admin/{view.identity}/list$"))
        await expect(page.locator(".card-header .card-title").first).to_have_text(view.name_plural)
        await expect(page.locator("table.card-table")).to_be_visible()
        await expect(page.locator(".alert-danger")).to_have_count(0)
        text = await page.locator("body").inner_text()
        assert "Traceback" not in text and "Internal Server Error" not in text, view.identity
        if view.identity in MAIN_LISTS:
            await panel.shot(MAIN_LISTS[view.identity])
        assert not panel.watch.problems, (view.identity, panel.watch.take())

    await panel.goto("/admin/region/list")
    await expect(page.locator("table.card-table tbody tr").filter(has_text="KZ-55")).to_be_visible()
    await panel.goto("/admin/dashboard")
    await expect(page.locator("#quota-fill")).to_be_visible()
    await panel.shot("dashboard")
    panel.no_problems()


# ------------------------------------------------------------------ 3. quota capacity


async def test_quota_capacity_edit_saved_and_refused_with_the_api_rule(panel: Panel, sessions: Any) -> None:
    page = panel.page
    await panel.login()
    await panel.goto("/admin/quota/list")
    first_edit = page.locator('table.card-table tbody tr a[href*="/admin/quota/edit/"]').first
    quota_id = int(re.search(r"/edit/(\d+)", await first_edit.get_attribute("href")).group(1))
    quota = await load_quota(sessions, quota_id)
    async with sessions() as session:
        region_code = (await session.get(Region, quota.region_id)).code
        occupation_code = None
        if quota.occupation_id is not None:
            from models import Occupation

            occupation_code = (await session.get(Occupation, quota.occupation_id)).code

    # a valid change: saved, shown in the list, audited
    await first_edit.click()
    await expect(page).to_have_url(re.compile(rf"/admin/quota/edit/{quota_id}$"))
    await expect(page.locator("#quota-summary")).to_contain_text(f"{quota.kind.value} quota {quota.year}")
    await expect(page.locator("#quota-summary")).to_contain_text(region_code)
    capacity = page.locator('input[name="capacity"]')
    await expect(capacity).to_have_value(str(quota.capacity))
    new_capacity = quota.capacity + 25
    await capacity.fill(str(new_capacity))
    await panel.shot("quota-edit")
    await page.locator('input[type="submit"][value="Save"]').click()
    await expect(page).to_have_url(re.compile(r"/admin/quota/list$"))
    column = await column_index(page, "Capacity (people)")
    row = row_with_link(page, f"/admin/quota/edit/{quota_id}")
    cell = row.locator("td").nth(column)
    await expect(cell).to_have_text(str(new_capacity))
    # the list is wider than the window: the capacity is there once the table is scrolled to it
    await cell.scroll_into_view_if_needed()
    await expect(cell).to_be_in_viewport()
    await panel.shot("quota-list-after-edit")
    assert (await load_quota(sessions, quota_id)).capacity == new_capacity
    async with sessions() as session:
        events = (await session.execute(select(AuditEvent).where(
            AuditEvent.entity_type == "quota", AuditEvent.entity_id == quota_id))).scalars().all()
    assert [(e.action, e.actor_subject) for e in events] == [("quota.update", f"admin:{ADMIN}")]

    # below the seats already used: refused at the top of the form with the API's words
    async with transaction(sessions) as session:
        await session.execute(update(Quota).where(Quota.id == quota_id).values(used=5))
    [api_message] = await api_quota_errors(panel.server, quota, region_code, occupation_code, 3)
    assert "below the 5 seats already used" in api_message
    await row.locator(f'a[href$="/admin/quota/edit/{quota_id}"]').click()
    await expect(page).to_have_url(re.compile(rf"/admin/quota/edit/{quota_id}$"))
    await expect(page.locator("#quota-summary")).to_contain_text("5 seat(s) already used")
    await capacity.fill("3")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.locator('input[type="submit"][value="Save"]').click()
    assert (await posted.value).status == 400
    alert = page.locator(".alert-danger")
    await expect(alert).to_be_visible()
    await expect(alert).to_contain_text(api_message)
    await expect(capacity).to_have_value("3")  # what was typed stays, to be corrected
    await panel.shot("quota-edit-error")
    after = await load_quota(sessions, quota_id)
    assert (after.capacity, after.used) == (new_capacity, 5)

    # negative: the browser itself refuses to send it (the field has min=0) …
    await capacity.fill("-1")
    await page.locator('input[type="submit"][value="Save"]').click()
    assert await capacity.evaluate("input => input.validity.rangeUnderflow")
    await expect(page).to_have_url(re.compile(rf"/admin/quota/edit/{quota_id}$"))
    # … and without the browser's check the server names the API's rule next to the field
    api_negative = await api_quota_errors(panel.server, quota, region_code, occupation_code, -1)
    await page.locator("form").first.evaluate("form => { form.noValidate = true; }")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.locator('input[type="submit"][value="Save"]').click()
    assert (await posted.value).status == 400
    field_error = page.locator('input[name="capacity"] ~ .invalid-feedback')
    await expect(field_error).to_be_visible()
    rule = (await field_error.inner_text()).strip()
    assert rule and any(m.startswith(rule) for m in api_negative), (rule, api_negative)
    await panel.shot("quota-edit-negative")
    assert (await load_quota(sessions, quota_id)).capacity == new_capacity
    panel.no_problems()


# ------------------------------------------------------------------ 4. publish a draft


async def test_publishing_a_draft_shows_the_simulation_then_publishes(panel: Panel, sessions: Any) -> None:
    from services.scoring_models import create_scoring_model

    async with transaction(sessions) as session:
        draft = await create_scoring_model(session, SYSTEM, version="2027.1", effective_from=dt.date(2027, 1, 1),
                                           definition=DEFAULT_MODEL_DEFINITION)
    page = panel.page
    await panel.login()
    await panel.goto("/admin/scoring-model/list")
    row = page.locator("table.card-table tbody tr").filter(has_text="2027.1")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("DRAFT")
    await row.locator("input.select-box").check()
    await page.get_by_role("button", name="Actions").click()
    await page.locator("#action-custom-publish").click()

    await expect(page).to_have_url(re.compile(rf"/admin/scoring-model/action/publish\?pks={draft.id}$"))
    await expect(page.locator("h3.card-title")).to_have_text("Publish a scoring model")
    await expect(page.locator("#action-message")).to_contain_text("What-if for version 2027.1")
    await expect(page.locator("#action-message")).to_contain_text("would pass under this draft")
    await expect(page.locator(".card-body table").first).to_contain_text("Evaluated")
    await expect(page.locator("#action-error")).to_have_count(0)
    confirm = page.locator("#action-confirm")
    await expect(confirm).to_have_text("Publish version 2027.1")
    await panel.shot("publish-simulation")
    async with sessions() as session:
        assert (await session.get(ScoringModel, draft.id)).status == ScoringModelStatus.DRAFT

    await confirm.click()
    await expect(page).to_have_url(re.compile(rf"/admin/scoring-model/details/{draft.id}$"))
    # the flash message is a toast that hides itself after 3 s: look for it, not at it
    toasts = page.locator(".toast-body")
    await expect(toasts.filter(has_text="Version 2027.1 is published.")).to_have_count(1)
    await expect(toasts.filter(has_text="Re-scoring did not start")).to_have_count(0)
    await expect(page.locator("table").filter(has_text="Status").first).to_contain_text("PUBLISHED")
    await panel.shot("publish-done")
    async with sessions() as session:
        published = await session.get(ScoringModel, draft.id)
    assert published.status == ScoringModelStatus.PUBLISHED and published.published_at is not None
    panel.no_problems()


# ------------------------------------------------------------------ 5. log out


async def test_logout_returns_to_login_and_locks_the_panel(panel: Panel, sessions: Any) -> None:
    page = panel.page
    await panel.login()
    await page.get_by_role("link", name="Logout").click()
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    await expect(page.get_by_role("button", name="Login")).to_be_visible()
    await panel.shot("logged-out")
    for path in ("/admin/dashboard", "/admin/quota/list", "/admin/"):
        await panel.goto(path)
        await expect(page).to_have_url(re.compile(r"/admin/login$"))
        await expect(page.get_by_role("heading", name="Quota fill per region and year")).to_have_count(0)
    async with sessions() as session:
        actions = (await session.execute(select(AuditEvent.action).where(
            AuditEvent.actor_subject == f"admin:{ADMIN}").order_by(AuditEvent.id))).scalars().all()
    assert actions == ["admin.login", "admin.logout"]
    panel.no_problems()
