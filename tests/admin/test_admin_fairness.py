"""The fairness check in the admin panel (SPEC §17): the publish what-if and the
selection round pages show the rates by sex, age band and route, with flags."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from core.db import transaction
from models import SelectionRound
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.scoring_models import create_scoring_model
from services.viewer import SYSTEM
from tests import factories as f
from tests.admin.test_admin import accounts, admin_client  # noqa: F401  (fixtures)


async def test_the_publish_what_if_shows_the_fairness_check(admin_client: httpx.AsyncClient,  # noqa: F811
                                                            sessions: Any) -> None:
    async with transaction(sessions) as s:
        skewed = copy.deepcopy(DEFAULT_MODEL_DEFINITION)
        skewed["gates"].append({"code": "young", "source": "applicant.age", "max": 35})
        draft = await create_scoring_model(s, SYSTEM, version="2026.skewed", effective_from=dt.date(2027, 1, 1),
                                           definition=skewed)
    page = await admin_client.get(f"/admin/scoring-model/action/publish?pks={draft.id}")
    assert page.status_code == 200 and 'id="fairness-check"' in page.text
    assert "Fairness check: pass rate by sex, age band and route" in page.text


async def test_the_round_pages_show_the_approval_rates(admin_client: httpx.AsyncClient,  # noqa: F811
                                                       sessions: Any) -> None:
    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=2, used=0)
        for score in (650, 640, 630, 620):
            await f.make_passed_application(s, region_code="KZ-27", score=score, family_size=1)
    preview = await admin_client.get(f"/admin/quota/action/run-selection-round?pks={quota.id}")
    assert preview.status_code == 200 and "Dry run" in preview.text
    text = " ".join(preview.text.split())
    assert "Fairness check: approval rate by sex, age band and route" in text
    assert "<td>route</td><td>KANDAS</td> <td>2 / 4</td><td>50.0%</td>" in text
    ran = await admin_client.get(f"/admin/quota/action/run-selection-round?pks={quota.id}&confirm=1")
    assert ran.status_code == 200 and 'id="fairness-check"' in ran.text
    async with sessions() as s:
        round_id = (await s.execute(select(SelectionRound.id))).scalar_one()
    details = await admin_client.get(f"/admin/selection-round/details/{round_id}")
    assert details.status_code == 200 and "route KANDAS: 2/4 (50.0%)" in details.text
