"""Issue 13 item 16, the new year. "Today" comes from one injectable clock
(core.clock: pinned by tests/conftest.py, or by QONYS_TODAY outside
production), so no test depends on the wall-clock year; and the product warns,
from 1 December, of a year that would begin without its reference data
(services.year_data, read by /healthz and the admin dashboard), while the
actions that need a missing value keep refusing it clearly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest

import core.clock as clock_module
from core.settings import ConfigError, load_settings
from models import MrpValue
from models.base import ALMATY, pin_today, today_almaty, utcnow
from core.db import transaction
from models.enums import AdminRole
from services import year_data
from services.auth import create_admin_account, mint_token
from services.viewer import SYSTEM
from tests import factories as f
from tests.conftest import GQL, TEST_SECRET, TEST_TODAY, Clock, make_settings
from tests.helpers_pipeline import SUBMIT, one_error, submit_input
from tests.services.test_contracts import gid, pay

NEXT_YEAR = ["no MRP for 2027", "no KANDAS quotas for 2027", "no deficit list for 2027", "no LABOUR quotas for 2027"]


# ---------------------------------------------------------------- the clock


def test_every_test_starts_on_the_pinned_today() -> None:
    assert today_almaty() == TEST_TODAY == dt.date(2026, 12, 4)
    assert utcnow().astimezone(ALMATY).date() == TEST_TODAY


@pytest.mark.parametrize("wall", [dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=ALMATY),
                                  dt.datetime(2027, 6, 30, 23, 59, tzinfo=ALMATY),
                                  dt.datetime(2031, 2, 28, 12, 0, tzinfo=dt.timezone.utc)])
def test_the_pinned_today_does_not_depend_on_the_wall_clock(monkeypatch: pytest.MonkeyPatch, wall: dt.datetime) -> None:
    monkeypatch.setattr(clock_module, "wall_clock", lambda: wall.astimezone(dt.timezone.utc))
    pin_today(TEST_TODAY)
    assert today_almaty() == TEST_TODAY
    assert (utcnow() - wall) % dt.timedelta(days=1) == dt.timedelta(0)  # only whole days are shifted


def test_time_still_runs_while_today_is_pinned() -> None:
    first = utcnow()
    assert utcnow() >= first  # the feed's order (updatedAt) is kept


def test_a_test_may_move_today(clock: Clock) -> None:
    clock.pin(dt.date(2027, 1, 10))
    assert today_almaty() == dt.date(2027, 1, 10)


def test_and_the_next_test_is_back_on_the_pinned_today() -> None:
    assert today_almaty() == TEST_TODAY


def test_tokens_expire_by_the_real_clock_whatever_today_is(clock: Clock) -> None:
    clock.pin(dt.date(2030, 1, 1))  # years from the wall clock: a token must still be valid for its minutes
    cfg = make_settings("sqlite+aiosqlite:///unused.db")
    claims = jwt.decode(mint_token(cfg, subject="o1", role="OFFICER", ttl_minutes=5), TEST_SECRET, algorithms=["HS256"])
    assert claims["exp"] - clock_module.wall_clock().timestamp() == pytest.approx(300, abs=5)


def test_qonys_today_pins_the_clock_outside_production_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONYS_TODAY", "2026-11-30")
    cfg = load_settings(database_url="sqlite+aiosqlite:///x.db")
    cfg.apply_clock()
    assert today_almaty() == dt.date(2026, 11, 30)
    monkeypatch.setenv("QONYS_ENV", "production")
    monkeypatch.setenv("QONYS_SECRET_KEY", "p" * 40)
    with pytest.raises(ConfigError, match="QONYS_TODAY"):
        load_settings(database_url="sqlite+aiosqlite:///x.db")


# ---------------------------------------------------------------- the year-end warnings


def test_years_to_check() -> None:
    assert year_data.years_to_check(dt.date(2026, 11, 30)) == [2026]
    assert year_data.years_to_check(dt.date(2026, 12, 1)) == [2026, 2027]
    assert year_data.years_to_check(dt.date(2026, 12, 31)) == [2026, 2027]
    assert year_data.years_to_check(dt.date(2027, 1, 1)) == [2027]


async def warnings(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "reachable"
    return body["warnings"]


async def test_healthz_warns_from_1_december_of_next_years_missing_data(client: httpx.AsyncClient, clock: Clock) -> None:
    clock.pin(dt.date(2026, 11, 30))
    assert await warnings(client) == []  # the seed holds 2026's data; 2027 is not looked for yet
    clock.pin(dt.date(2026, 12, 1))
    assert await warnings(client) == NEXT_YEAR
    assert (await client.get("/healthz")).json()["today"] == "2026-12-01"
    clock.pin(dt.date(2027, 1, 10))  # the year has begun without its data
    assert await warnings(client) == NEXT_YEAR


async def test_a_warning_goes_when_the_data_is_added(client: httpx.AsyncClient, sessions: Any, clock: Clock) -> None:
    async with transaction(sessions) as session:
        session.add(MrpValue(year=2027, amount=Decimal("4500")))
        await f.kandas_quota(session, "KZ-55", year=2027, capacity=10)
    assert await warnings(client) == ["no deficit list for 2027", "no LABOUR quotas for 2027"]
    async with transaction(sessions) as session:
        await f.labour_quota(session, "KZ-10", "2211", year=2027)
        from models import DeficitOccupation

        session.add(DeficitOccupation(region_id=await f.region_id(session, "KZ-10"),
                                      occupation_id=await f.occupation_id(session, "2211"), year=2027))
    assert await warnings(client) == []


async def test_the_admin_dashboard_shows_the_same_warnings(client: httpx.AsyncClient, sessions: Any) -> None:
    async with transaction(sessions) as session:
        await create_admin_account(session, SYSTEM, "alice", "correct horse battery staple", AdminRole.ADMINISTRATOR)
    assert (await client.post("/admin/login", data={"username": "alice",
                                                    "password": "correct horse battery staple"})).status_code == 302
    page = await client.get("/admin/dashboard")
    assert page.status_code == 200
    assert 'id="year-data-warnings"' in page.text
    for message in NEXT_YEAR:
        assert message in page.text
    async with sessions() as session:
        found = [m.message for m in await year_data.missing_year_data(session)]
    assert found == await warnings(client) == NEXT_YEAR


async def test_no_warning_banner_before_december(client: httpx.AsyncClient, sessions: Any, clock: Clock) -> None:
    clock.pin(dt.date(2026, 6, 1))
    async with transaction(sessions) as session:
        await create_admin_account(session, SYSTEM, "alice", "correct horse battery staple", AdminRole.ADMINISTRATOR)
    await client.post("/admin/login", data={"username": "alice", "password": "correct horse battery staple"})
    page = await client.get("/admin/dashboard")
    assert page.status_code == 200 and 'id="year-data-warnings"' not in page.text


# ---------------------------------------------------------------- the actions keep refusing clearly


async def test_in_a_year_without_its_data_actions_refuse_with_invalid_input(gql: GQL, sessions: Any,
                                                                             clock: Clock) -> None:
    async with transaction(sessions) as session:
        contract = await f.make_contract(session, start_date=dt.date(2026, 3, 1))
    clock.pin(dt.date(2027, 1, 10))

    # a LABOUR application: the occupation is on KZ-10's 2026 list, there is none for 2027
    data = await gql.ok(SUBMIT, {"input": submit_input("LABOUR", "KZ-10", "2211", ethnic_kazakh=False)},
                        role="OFFICER")
    error = one_error(data)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "occupationCode"])
    assert "2027" in error["message"]

    # a support payment in 2027: no MRP for 2027, so no cap
    payload = await pay(gql, contract.id, "RELOCATION", "1000.00", paid_on="2027-01-05")
    assert payload["contract"] is None
    (error,) = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "paidOn"])
    assert "MRP" in error["message"] and "2027" in error["message"]
    assert gid("SocialContract", contract.id)
