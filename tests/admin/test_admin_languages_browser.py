"""The admin panel in Kazakh and Russian (SPEC §16), in a real browser: the
language switch on every page, the choice kept in the session, the menu, a
list page, the dashboard, a form error (the service's rule in the chosen
language) and a save with the translated button.

Runs as the other browser tests do (headless Chromium; SQLite run only)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from core.db import transaction
from models import Quota
from tests.admin.test_admin_browser import (  # noqa: F401 - the fixtures
    Panel,
    browser,
    expect,
    live,
    load_quota,
    panel,
    pytestmark,
)

LANGUAGES = {
    "kk": {"switch": "Қазақша", "menu": "Анықтамалықтар", "regions": "Өңірлер", "code": "Коды (ISO 3166-2:KZ)",
           "dashboard": "Өңірлер мен жылдар бойынша квоталардың толуы", "logout": "Шығу", "save": "Сақтау",
           "negative": "квота көлемі теріс сан болмауы керек (көрсетілгені: -1)",
           "below": "квота көлемін пайдаланылған 5 орыннан төмен азайтуға болмайды (көрсетілгені: 3)"},
    "ru": {"switch": "Русский", "menu": "Справочники", "regions": "Регионы", "code": "Код (ISO 3166-2:KZ)",
           "dashboard": "Заполнение квот по регионам и годам", "logout": "Выйти", "save": "Сохранить",
           "negative": "размер квоты не может быть отрицательным (указано: -1)",
           "below": "размер квоты нельзя уменьшить ниже уже занятых мест: 5 (указано: 3)"},
}


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_the_panel_in_kazakh_and_russian(panel: Panel, sessions: Any, lang: str) -> None:
    words = LANGUAGES[lang]
    page = panel.page
    await panel.login()
    await expect(page.locator("#language-switch")).to_be_visible()
    await expect(page.locator("#quota-fill").locator("xpath=ancestor::div[@class='card']")
                 .locator("h3.card-title")).to_have_text("Quota fill per region and year")

    # the switch, on the dashboard: menu, dashboard and SQLAdmin's own words change
    await page.locator(f'#language-switch a[data-language="{lang}"]').click()
    await expect(page.locator("#language-switch a.active")).to_have_text(words["switch"])
    await expect(page.locator("#navbar-menu")).to_contain_text(words["menu"])
    await expect(page.locator("#quota-fill").locator("xpath=ancestor::div[@class='card']")
                 .locator("h3.card-title")).to_have_text(words["dashboard"])
    await expect(page.get_by_role("link", name=words["logout"])).to_be_visible()
    await panel.shot(f"dashboard-{lang}")

    # a list page, reached without ?lang=: the choice is kept in the session
    await panel.goto("/admin/region/list")
    await expect(page.locator("h3.card-title").first).to_have_text(words["regions"])
    headers = [h.strip() for h in await page.locator("table.card-table thead th").all_inner_texts()]
    assert words["code"] in headers, headers
    await expect(page.locator("#navbar-menu")).to_contain_text(words["menu"])
    await panel.shot(f"regions-{lang}")

    # a form: the field's rule and the service's refusal, in the chosen language
    await panel.goto("/admin/quota/list")
    first_edit = page.locator('table.card-table tbody tr a[href*="/admin/quota/edit/"]').first
    quota_id = int(re.search(r"/edit/(\d+)", await first_edit.get_attribute("href")).group(1))
    async with transaction(sessions) as session:
        await session.execute(update(Quota).where(Quota.id == quota_id).values(used=5))
    await panel.goto(f"/admin/quota/edit/{quota_id}")
    capacity = page.locator('input[name="capacity"]')
    save = page.locator(f'input[type="submit"][value="{words["save"]}"]')
    await page.locator("form").first.evaluate("form => { form.noValidate = true; }")
    await capacity.fill("-1")
    await save.click()
    field_error = page.locator('input[name="capacity"] ~ .invalid-feedback')
    await expect(field_error).to_have_text(words["negative"])
    await page.locator("form").first.evaluate("form => { form.noValidate = true; }")
    await capacity.fill("3")
    await page.locator(f'input[type="submit"][value="{words["save"]}"]').click()
    await expect(page.locator(".alert-danger")).to_contain_text(words["below"])
    await panel.shot(f"quota-edit-error-{lang}")

    # the translated Save button still saves
    await capacity.fill("40")
    await page.locator(f'input[type="submit"][value="{words["save"]}"]').click()
    await expect(page).to_have_url(re.compile(r"/admin/quota/list$"))
    assert (await load_quota(sessions, quota_id)).capacity == 40

    # and back to English
    await page.locator('#language-switch a[data-language="en"]').click()
    await expect(page.locator("h3.card-title").first).to_have_text("Quotas")
    panel.no_problems()
