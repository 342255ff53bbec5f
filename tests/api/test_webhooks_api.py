"""Webhooks over GraphQL (issue 19): an agency registers its endpoint with its API
key and reads the secret once; ``webhooks`` lists its own endpoints only; an
officer's ``requestChecks`` reaches the endpoint after commit, signed (the
background deferral on PostgreSQL, ``qonys worker --inline`` on SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from api.graphql.schema import build_schema
from core.db import transaction
from core.settings import Settings
from models import WebhookDelivery
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests.conftest import BACKEND, GQL
from tests.helpers_pipeline import OFFICER, REQUEST_CHECKS, light, ok, submit, submit_input
from tests.helpers_webhooks import receiver, send_all, sending_settings, settle_after_commit, webhook_jobs

ERRORS = "errors { field code message }"
REGISTER = f"""mutation($input: RegisterWebhookInput!) {{
  registerWebhook(input: $input) {{ secret webhook {{ id url events active agency {{ code }} }} {ERRORS} }} }}"""
DISABLE = f"""mutation($input: WebhookInput!) {{ disableWebhook(input: $input) {{ webhook {{ id active disabledAt }}
  {ERRORS} }} }}"""
DELETE = f"""mutation($input: WebhookInput!) {{ deleteWebhook(input: $input) {{ deletedId {ERRORS} }} }}"""
LIST = """query($agency: String) { webhooks(agencyCode: $agency) { id url events active agency { code } } }"""


@pytest.fixture
async def settings(database_url: str) -> Settings:  # type: ignore[override]
    return await sending_settings(database_url)


async def agency_key(sessions: Any, code: str) -> str:
    async with transaction(sessions) as s:
        return (await create_agency_key(s, SYSTEM, code, label="webhooks"))[1]


def test_the_secret_is_no_field_of_an_endpoint() -> None:
    schema = build_schema()._schema
    assert "secret" not in schema.get_type("WebhookEndpoint").fields
    assert "secret" in schema.get_type("RegisterWebhookPayload").fields


async def test_an_agency_registers_lists_and_receives_signed_events(
        gql: GQL, settings: Settings, sessions: Any) -> None:
    gpo, knb = await agency_key(sessions, "GPO"), await agency_key(sessions, "KNB")
    with receiver() as hook:
        data = await gql.ok(REGISTER, {"input": {"url": hook.url, "events": ["CHECK_REQUESTED"]}}, token=gpo)
        registered = data["registerWebhook"]
        assert registered["errors"] == [] and registered["secret"].startswith("whsec_")
        endpoint = registered["webhook"]
        assert (endpoint["url"], endpoint["events"], endpoint["agency"]["code"]) == (hook.url, ["CHECK_REQUESTED"],
                                                                                     "GPO")
        # Lists: the agency's own; another agency sees none of them; administrators see all.
        assert (await gql.ok(LIST, token=gpo))["webhooks"] == [endpoint]
        assert (await gql.ok(LIST, token=knb))["webhooks"] == []
        assert [w["id"] for w in (await gql.ok(LIST, {"agency": "GPO"}, role="ADMIN"))["webhooks"]] == [endpoint["id"]]
        assert (await gql.ok(LIST, {"agency": "KNB"}, role="ADMIN"))["webhooks"] == []
        assert (await gql.ok(LIST, **OFFICER))["webhooks"] == []
        anonymous = await gql(LIST)
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        other = await gql.ok(DISABLE, {"input": {"webhookId": endpoint["id"]}}, token=knb)
        assert other["disableWebhook"]["errors"][0]["code"] == "NOT_FOUND"

        app = await submit(gql, submit_input(), **OFFICER)
        await ok(gql, light(REQUEST_CHECKS), {"applicationId": app["id"]}, **OFFICER)
        await settle_after_commit()
        if BACKEND == "postgres":  # deferred right after the commit, as a procrastinate job
            assert await webhook_jobs(settings) == {"todo": 1}
        await send_all(settings, sessions, [])
    [received] = hook.requests
    event = Webhook(registered["secret"]).verify(received.body, received.headers)
    assert event["type"] == "check.requested" and event["data"]["application"]["id"] == app["id"]
    assert [c["checkType"] for c in event["data"]["checks"]] == ["CRIMINAL_RECORD"]

    disabled = (await gql.ok(DISABLE, {"input": {"webhookId": endpoint["id"]}}, token=gpo))["disableWebhook"]
    assert disabled["errors"] == [] and disabled["webhook"]["active"] is False
    deleted = (await gql.ok(DELETE, {"input": {"webhookId": endpoint["id"]}}, token=gpo))["deleteWebhook"]
    assert deleted == {"deletedId": endpoint["id"], "errors": []}
    assert (await gql.ok(LIST, token=gpo))["webhooks"] == []


async def test_registration_refusals_write_nothing(gql: GQL, sessions: Any) -> None:
    gpo = await agency_key(sessions, "GPO")
    cases = [
        ({"url": "ftp://example.org/x", "events": ["CHECK_REQUESTED"]}, gpo, None, ["input", "url"], "INVALID_INPUT"),
        ({"url": "https://example.org/x", "events": []}, gpo, None, ["input", "events"], "INVALID_INPUT"),
        ({"url": "https://example.org/x", "events": ["CHECK_REQUESTED"], "agencyCode": "KNB"}, gpo, None,
         ["input", "agencyCode"], "FORBIDDEN"),
        ({"url": "https://example.org/x", "events": ["CHECK_REQUESTED"]}, None, "ADMIN", ["input", "agencyCode"],
         "INVALID_INPUT"),
        ({"url": "https://example.org/x", "events": ["CHECK_REQUESTED"], "agencyCode": "GPO"}, None, "OFFICER", None,
         "FORBIDDEN"),
    ]
    for given, token, role, field, code in cases:
        data = (await gql.ok(REGISTER, {"input": given}, token=token, role=role))["registerWebhook"]
        assert (data["secret"], data["webhook"]) == (None, None)
        assert [(e["field"], e["code"]) for e in data["errors"]][:1] == [(field, code)], given
    admin = (await gql.ok(REGISTER, {"input": {"url": "https://example.org/x", "events": ["CHECK_REQUESTED"],
                                               "agencyCode": "moh"}}, role="ADMIN"))["registerWebhook"]
    assert admin["errors"] == [] and admin["webhook"]["agency"]["code"] == "MOH"
    async with transaction(sessions) as s:
        assert (await s.execute(select(func.count()).select_from(WebhookDelivery))).scalar_one() == 0


VIOLATION = ("mutation($input: RecordViolationInput!) { recordViolation(input: $input) { violation { id } "
             + ERRORS + " } }")


async def test_the_migration_service_hears_of_the_violation_its_key_recorded(
        gql: GQL, settings: Settings, sessions: Any) -> None:
    mvd = await agency_key(sessions, "MVD_MIGRATION")
    app = await submit(gql, submit_input(), **OFFICER)
    with receiver() as hook:
        registered = (await gql.ok(REGISTER, {"input": {"url": hook.url, "events": ["VIOLATION_RECORDED"]}},
                                   token=mvd))["registerWebhook"]
        assert registered["webhook"]["events"] == ["VIOLATION_RECORDED"]
        given = {"applicationId": app["id"], "kind": "OVERSTAY", "occurredOn": "2026-06-01", "fineMrp": 10,
                 "externalId": "MVD-HOOK-1"}
        recorded = (await gql.ok(VIOLATION, {"input": given}, token=mvd))["recordViolation"]
        assert recorded["errors"] == []
        await settle_after_commit()
        if BACKEND == "postgres":
            assert await webhook_jobs(settings) == {"todo": 1}
        await send_all(settings, sessions, [])
    [received] = hook.requests
    event = Webhook(registered["secret"]).verify(received.body, received.headers)
    assert event["type"] == "violation.recorded"
    assert event["data"]["violation"]["id"] == recorded["violation"]["id"]
