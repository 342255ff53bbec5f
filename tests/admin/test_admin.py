"""The admin panel (/admin): login, roles, audited writes, the rules it shares
with the API, and refusal of cross-site requests."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from admin.views import ALL_VIEWS, EDITABLE_VIEWS
import models as m
from models import AuditEvent, Quota, Region, ScoringModel
from core.db import create_engine, session_factory, transaction
from models.enums import AdminRole, QuotaKind, ScoringModelStatus
from services.auth import create_admin_account
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.viewer import SYSTEM
from tests import factories as f
from tests.conftest import make_settings, prebuilt

PASSWORD = "correct horse battery staple"
ADMIN = "alice.admin"
AUDITOR = "bob.auditor"


async def _create_accounts(url: str) -> None:
    engine = create_engine(make_settings(url))
    try:
        async with transaction(session_factory(engine)) as session:
            await create_admin_account(session, SYSTEM, ADMIN, PASSWORD, AdminRole.ADMINISTRATOR)
            await create_admin_account(session, SYSTEM, AUDITOR, PASSWORD, AdminRole.AUDITOR)
    finally:
        await engine.dispose()


@pytest.fixture
async def accounts(template_url: str, database_url: str) -> None:
    """An administrator and an auditor: created once per test process (each argon2
    hash costs ~0.2 s of CPU), restored for each test (``tests.conftest.prebuilt``)."""
    await prebuilt("admin_accounts", template_url, database_url, _create_accounts)


async def login(client: httpx.AsyncClient, username: str = ADMIN, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/admin/login", data={"username": username, "password": password})


@pytest.fixture
async def admin_client(client: httpx.AsyncClient, accounts: None) -> httpx.AsyncClient:
    response = await login(client)
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
async def auditor_client(client: httpx.AsyncClient, accounts: None) -> httpx.AsyncClient:
    response = await login(client, AUDITOR)
    assert response.status_code == 302, response.text
    return client


async def first_id(sessions: Any, stmt: Any) -> int:
    async with sessions() as session:
        return (await session.execute(stmt)).scalars().first()


async def kandas_quota(sessions: Any) -> Quota:
    async with sessions() as session:
        return (await session.execute(
            select(Quota).where(Quota.kind == QuotaKind.KANDAS).order_by(Quota.id).limit(1)
        )).scalar_one()


def quota_form(q: Quota, **changes: Any) -> dict[str, Any]:
    form = {"kind": q.kind.value, "year": str(q.year), "region_id": str(q.region_id),
            "occupation_id": "" if q.occupation_id is None else str(q.occupation_id),
            "capacity": str(q.capacity), "save": "Save"}
    form.update({k: str(v) for k, v in changes.items()})
    return form


async def audit_events(sessions: Any, **where: Any) -> list[AuditEvent]:
    async with sessions() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, name) == value)
        return list((await session.execute(stmt)).scalars())


# ------------------------------------------------------------------ login, logout, session


async def test_login_with_the_right_password_reaches_the_panel(client: httpx.AsyncClient, accounts: None) -> None:
    response = await login(client)
    assert response.status_code == 302
    cookie = response.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie  # https_only only in production
    page = await client.get("/admin/", follow_redirects=True)
    assert page.status_code == 200
    assert "Quota fill per region and year" in page.text
    assert str(page.url).endswith("/admin/dashboard")


async def test_the_login_page_has_the_language_switch(client: httpx.AsyncClient) -> None:
    """SPEC §16: a language switch on every page, the login page too."""
    for lang in ("kk", "ru", "en"):
        page = await client.get("/admin/login", params={"lang": lang})
        assert page.status_code == 200 and 'id="language-switch"' in page.text
        assert f'data-language="{lang}"' in page.text.split('btn-light active', 1)[1].split(">", 1)[0]
    assert "Пароль" in (await client.get("/admin/login", params={"lang": "ru"})).text


async def test_wrong_password_shows_the_login_page_with_an_error(client: httpx.AsyncClient, accounts: None) -> None:
    response = await login(client, ADMIN, "not the password at all")
    assert response.status_code == 400
    assert "Invalid credentials" in response.text
    assert "Traceback" not in response.text
    page = await client.get("/admin/region/list")
    assert page.status_code == 302
    assert page.headers["location"].endswith("/admin/login")
    unknown = await login(client, "nobody-here", PASSWORD)
    assert unknown.status_code == 400 and "Invalid credentials" in unknown.text


async def test_logout_ends_the_session(admin_client: httpx.AsyncClient) -> None:
    assert (await admin_client.get("/admin/region/list")).status_code == 200
    out = await admin_client.get("/admin/logout")
    assert out.status_code == 302
    page = await admin_client.get("/admin/region/list")
    assert page.status_code == 302 and page.headers["location"].endswith("/admin/login")


async def test_an_old_session_is_refused(admin_client: httpx.AsyncClient, settings: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    later = time.time() + settings.admin_session_max_age + 5
    monkeypatch.setattr("admin.auth.time", SimpleNamespace(time=lambda: later))
    page = await admin_client.get("/admin/region/list")
    assert page.status_code == 302 and page.headers["location"].endswith("/admin/login")


async def test_a_deactivated_account_is_logged_out(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    from models import AdminAccount

    async with transaction(sessions) as session:
        await session.execute(update(AdminAccount).where(AdminAccount.username == ADMIN).values(active=False))
    page = await admin_client.get("/admin/region/list")
    assert page.status_code == 302


# ------------------------------------------------------------------ pages


async def test_every_list_page_answers_for_an_administrator(admin_client: httpx.AsyncClient) -> None:
    for view in ALL_VIEWS:
        response = await admin_client.get(f"/admin/{view.identity}/list")
        assert response.status_code == 200, (view.identity, response.text[:500])
    assert (await admin_client.get("/admin/dashboard")).status_code == 200


async def test_create_pages_and_details_render(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    for view in EDITABLE_VIEWS:
        response = await admin_client.get(f"/admin/{view.identity}/create")
        assert response.status_code == 200, (view.identity, response.text[:500])
    q = await kandas_quota(sessions)
    edit = await admin_client.get(f"/admin/quota/edit/{q.id}")
    assert edit.status_code == 200
    assert 'name="used"' not in edit.text  # used is kept by the system
    details = await admin_client.get(f"/admin/quota/details/{q.id}")
    assert details.status_code == 200
    # the region is shown by its code and name, not by its id
    async with sessions() as session:
        region = await session.get(Region, q.region_id)
    assert region.code in details.text


async def test_admin_account_pages_never_show_the_password_hash(admin_client: httpx.AsyncClient,
                                                               sessions: Any) -> None:
    from models import AdminAccount

    listing = await admin_client.get("/admin/admin-account/list")
    assert ADMIN in listing.text and "$argon2" not in listing.text
    account_id = await first_id(sessions, select(AdminAccount.id).where(AdminAccount.username == ADMIN))
    details = await admin_client.get(f"/admin/admin-account/details/{account_id}")
    assert details.status_code == 200 and "$argon2" not in details.text
    export = await admin_client.get("/admin/admin-account/export/csv")
    assert export.status_code == 200 and "$argon2" not in export.text
    assert (await admin_client.get("/admin/admin-account/create")).status_code == 403


# ------------------------------------------------------------------ auditors read only


async def test_an_auditor_can_read_but_not_write(auditor_client: httpx.AsyncClient, sessions: Any) -> None:
    q = await kandas_quota(sessions)
    assert (await auditor_client.get("/admin/quota/list")).status_code == 200
    assert (await auditor_client.get(f"/admin/quota/details/{q.id}")).status_code == 200
    assert (await auditor_client.get("/admin/quota/create")).status_code == 403
    assert (await auditor_client.get(f"/admin/quota/edit/{q.id}")).status_code == 403
    post = await auditor_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=q.capacity + 100))
    assert post.status_code == 403
    created = await auditor_client.post("/admin/region/create", data={
        "code": "KZ-10", "name_kk": "x", "name_ru": "x", "name_en": "x", "kind": "oblast", "save": "Save"})
    assert created.status_code == 403
    deleted = await auditor_client.delete(f"/admin/quota/delete?pks={q.id}")
    assert deleted.status_code == 403
    model_id = await first_id(sessions, select(ScoringModel.id))
    assert (await auditor_client.get(f"/admin/scoring-model/action/publish?pks={model_id}")).status_code == 403
    assert (await auditor_client.get(f"/admin/quota/action/run-selection-round?pks={q.id}")).status_code == 403
    listing = await auditor_client.get("/admin/quota/list")
    assert f"/admin/quota/edit/{q.id}" not in listing.text
    assert (await kandas_quota(sessions)).capacity == q.capacity


# ------------------------------------------------------------------ rules shared with the API


async def test_quota_capacity_below_used_is_refused(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    q = await kandas_quota(sessions)
    async with transaction(sessions) as session:
        await session.execute(update(Quota).where(Quota.id == q.id).values(used=5))
    response = await admin_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=3))
    assert response.status_code == 400
    assert "capacity may not be lowered below the 5 seats already used" in response.text
    assert "Traceback" not in response.text
    after = await kandas_quota(sessions)
    assert (after.capacity, after.used) == (q.capacity, 5)
    assert not await audit_events(sessions, entity_type="quota", entity_id=q.id)


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "-Infinity", "1e20"])
async def test_an_mrp_or_a_cap_that_is_no_finite_amount_is_a_form_error(admin_client: httpx.AsyncClient,
                                                                         sessions: Any, typed: str) -> None:
    """WTForms' decimals accept NaN and Infinity: the service's rules refuse them on the
    form (400), never a 500, and nothing is written."""
    async with sessions() as s:
        mrp = (await s.execute(select(m.MrpValue).order_by(m.MrpValue.year))).scalars().first()
        measure = (await s.execute(select(m.SupportMeasure).order_by(m.SupportMeasure.id))).scalars().first()
    before = (mrp.amount, measure.cap_mrp)
    edited = await admin_client.post(f"/admin/mrp-value/edit/{mrp.id}", data={
        "year": str(mrp.year), "amount": typed, "save": "Save"})
    assert edited.status_code == 400, (edited.status_code, edited.text[:300])
    edited = await admin_client.post(f"/admin/support-measure/edit/{measure.id}", data={
        "code": measure.code, "name": measure.name, "name_kk": measure.name_kk or "", "name_ru": measure.name_ru or "",
        "cap_mrp": typed, "per_family_member": "y" if measure.per_family_member else "", "save": "Save"})
    assert edited.status_code == 400, (edited.status_code, edited.text[:300])
    async with sessions() as s:
        assert ((await s.get(m.MrpValue, mrp.id)).amount, (await s.get(m.SupportMeasure, measure.id)).cap_mrp) == before


async def test_an_mrp_or_a_cap_that_recorded_payments_rely_on_stays(admin_client: httpx.AsyncClient,
                                                                    sessions: Any) -> None:
    """A RELOCATION payment at its cap in 2026: lowering the cap or the 2026 MRP, moving or
    deleting the 2026 MRP would leave it over its cap or without an MRP (what
    check-integrity proves); each is refused and nothing changes. A change that keeps
    every recorded total within its cap is saved."""
    from services import contracts, integrity

    async with transaction(sessions) as s:
        contract = await f.make_contract(s, family_size=3)
        measure = (await s.execute(select(m.SupportMeasure).where(m.SupportMeasure.code == "RELOCATION"))).scalar_one()
        mrp = (await s.execute(select(m.MrpValue).where(m.MrpValue.year == 2026))).scalar_one()
        cap = contracts.support_cap(measure.cap_mrp, mrp.amount, 3, measure.per_family_member)
        await contracts.record_support_payment(s, SYSTEM, contract_id=contract.id, measure_code="RELOCATION",
                                               amount=cap, paid_on=dt.date(2026, 3, 10))
    measure_form = {"code": measure.code, "name": measure.name, "name_kk": measure.name_kk or "",
                    "name_ru": measure.name_ru or "", "per_family_member": "y", "save": "Save"}
    before = await audit_count(sessions)
    for path, data in ((f"/admin/support-measure/edit/{measure.id}", {**measure_form, "cap_mrp": "69"}),
                       (f"/admin/mrp-value/edit/{mrp.id}", {"year": "2026", "amount": "4000.00", "save": "Save"}),
                       (f"/admin/mrp-value/edit/{mrp.id}", {"year": "2099", "amount": str(mrp.amount), "save": "Save"})):
        refused = await admin_client.post(path, data=data)
        assert refused.status_code == 400 and "recorded support payments rely on this value" in refused.text, path
    deleted = await admin_client.delete(f"/admin/mrp-value/delete?pks={mrp.id}")
    assert "error=" in str(deleted.url) or "error=" in deleted.text
    async with sessions() as s:
        assert (await s.get(m.MrpValue, mrp.id)).amount == mrp.amount
        assert (await s.get(m.SupportMeasure, measure.id)).cap_mrp == measure.cap_mrp
        assert await integrity.measure_caps(s) == []
    assert await audit_count(sessions) == before
    raised = await admin_client.post(f"/admin/support-measure/edit/{measure.id}", data={**measure_form,
                                                                                       "cap_mrp": "71"})
    assert raised.status_code == 302


async def test_deleting_an_agency_audits_the_grants_that_go_with_it(admin_client: httpx.AsyncClient,
                                                                  sessions: Any) -> None:
    """The database deletes an agency's grants with it (ON DELETE CASCADE): the access
    they gave is gone, and each is audited as deleted, as when deleted on its own."""
    from models import Agency, CheckType, CheckTypeGrant
    from models.enums import AgencyGrantKind
    from services import reference
    from services.viewer import ADMIN_PANEL_ROLE, Viewer

    admin = Viewer(subject="admin:alice.admin", role=ADMIN_PANEL_ROLE)
    async with transaction(sessions) as s:
        agency = await reference.create(s, admin, Agency, {"code": "NEWAG", "name": "New agency"})
        check_type = (await s.execute(select(CheckType).order_by(CheckType.id))).scalars().first()
        grant = await reference.create(s, admin, CheckTypeGrant, {"agency_id": agency.id,
                                                                   "check_type_id": check_type.id})
        kind = await reference.create(s, admin, m.AgencyGrant, {"agency_id": agency.id,
                                                                "kind": AgencyGrantKind.RESIDENCE})
    deleted = await admin_client.delete(f"/admin/agency/delete?pks={agency.id}")
    assert "error=" not in str(deleted.url), deleted.text[:300]
    async with sessions() as s:
        assert await s.get(CheckTypeGrant, grant.id) is None and await s.get(m.AgencyGrant, kind.id) is None
        events = (await s.execute(select(AuditEvent.action, AuditEvent.entity_id).where(
            AuditEvent.action.like("%.delete")).order_by(AuditEvent.id))).all()
    assert [tuple(e) for e in events] == [("check_type_grant.delete", grant.id), ("agency_grant.delete", kind.id),
                                          ("agency.delete", agency.id)]


async def audit_count(sessions: Any) -> int:
    async with sessions() as s:
        return len((await s.execute(select(AuditEvent.id))).scalars().all())


async def test_the_model_editor_answers_a_bad_band_on_its_row_and_a_bad_id_with_404(
        admin_client: httpx.AsyncClient, sessions: Any) -> None:
    async with sessions() as s:
        model = (await s.execute(select(m.ScoringModel).where(
            m.ScoringModel.status == ScoringModelStatus.PUBLISHED))).scalars().first()
    edited = await admin_client.post(f"/admin/scoring-model/editor/{model.id}", data={
        "passMark": "10", "version": "2099.1", "effective_from": "2099-01-01",
        "criteria-0-code": "age", "criteria-0-source": "applicant.age", "criteria-0-bands": "-..5 = 3"})
    assert edited.status_code == 400 and "write min..max = points" in edited.text
    assert (await admin_client.get("/admin/scoring-model/editor/abc")).status_code == 404


async def test_negative_quota_capacity_is_refused(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    q = await kandas_quota(sessions)
    response = await admin_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=-1))
    assert response.status_code == 400
    assert "capacity must not be negative" in response.text
    assert (await kandas_quota(sessions)).capacity == q.capacity


async def test_quota_capacity_edit_is_audited(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    q = await kandas_quota(sessions)
    response = await admin_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=q.capacity + 10))
    assert response.status_code == 302, response.text
    assert (await kandas_quota(sessions)).capacity == q.capacity + 10
    [event] = await audit_events(sessions, entity_type="quota", entity_id=q.id)
    assert event.actor_subject == f"admin:{ADMIN}"
    assert event.actor_role == "ADMIN_PANEL"
    assert event.action == "quota.update"
    assert event.changes == {"capacity": [q.capacity, q.capacity + 10]}


async def test_a_region_with_a_code_outside_iso_3166_2_kz_is_refused(admin_client: httpx.AsyncClient,
                                                                       sessions: Any) -> None:
    response = await admin_client.post("/admin/region/create", data={
        "code": "KZ-99", "name_kk": "Жоқ", "name_ru": "Нет", "name_en": "Nowhere", "kind": "oblast",
        "save": "Save"})
    assert response.status_code == 400
    assert "ISO 3166-2:KZ" in response.text
    async with sessions() as session:
        assert (await session.execute(select(Region).where(Region.code == "KZ-99"))).first() is None


async def test_a_region_edit_is_audited_with_the_admins_name(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    async with sessions() as session:
        region = (await session.execute(select(Region).where(Region.code == "KZ-55"))).scalar_one()
    response = await admin_client.post(f"/admin/region/edit/{region.id}", data={
        "code": region.code, "name_kk": region.name_kk, "name_ru": region.name_ru, "name_en": "Pavlodar Oblast",
        "kind": region.kind.value, "labour_deficit": "y" if region.labour_deficit else "", "save": "Save"})
    assert response.status_code == 302, response.text
    [event] = await audit_events(sessions, entity_type="region", entity_id=region.id)
    assert event.actor_subject == f"admin:{ADMIN}"
    assert event.action == "region.update"
    assert event.changes == {"name_en": ["Pavlodar Region", "Pavlodar Oblast"]}


async def test_a_published_scoring_model_cannot_be_edited_or_deleted(admin_client: httpx.AsyncClient,
                                                                      sessions: Any) -> None:
    async with sessions() as session:
        model = (await session.execute(
            select(ScoringModel).where(ScoringModel.status == ScoringModelStatus.PUBLISHED))).scalars().first()
    assert (await admin_client.get(f"/admin/scoring-model/edit/{model.id}")).status_code == 403
    post = await admin_client.post(f"/admin/scoring-model/edit/{model.id}", data={
        "effective_from": "2026-02-01", "definition": '{"passMark": 1, "gates": [], "criteria": []}', "save": "Save"})
    assert post.status_code == 403
    assert (await admin_client.delete(f"/admin/scoring-model/delete?pks={model.id}")).status_code == 403
    async with sessions() as session:
        again = await session.get(ScoringModel, model.id)
    assert again.definition == model.definition and again.effective_from == model.effective_from


async def test_a_draft_is_created_edited_simulated_and_published(admin_client: httpx.AsyncClient,
                                                                  sessions: Any) -> None:
    import json

    definition = json.dumps(DEFAULT_MODEL_DEFINITION)
    created = await admin_client.post("/admin/scoring-model/create", data={
        "version": "2026.7", "effective_from": "2026-07-01", "definition": definition, "save": "Save"})
    assert created.status_code == 302, created.text
    async with sessions() as session:
        draft = (await session.execute(select(ScoringModel).where(ScoringModel.version == "2026.7"))).scalar_one()
    assert draft.status == ScoringModelStatus.DRAFT and draft.created_by == f"admin:{ADMIN}"

    bad = await admin_client.post(f"/admin/scoring-model/edit/{draft.id}", data={
        "effective_from": "2026-07-01", "definition": '{"passMark": 1, "gates": [{"code": "x", "source": "applicant.citizenship", "equals": "CHN"}], "criteria": []}',
        "save": "Save"})
    assert bad.status_code == 400 and "alert-danger" in bad.text

    preview = await admin_client.get(f"/admin/scoring-model/action/publish?pks={draft.id}")
    assert preview.status_code == 200
    assert "would pass under this draft" in preview.text and "confirm=1" in preview.text
    async with sessions() as session:
        assert (await session.get(ScoringModel, draft.id)).status == ScoringModelStatus.DRAFT

    done = await admin_client.get(f"/admin/scoring-model/action/publish?pks={draft.id}&confirm=1")
    assert done.status_code == 302
    shown = await admin_client.get(done.headers["location"])
    assert shown.status_code == 200 and "Version 2026.7 is published." in shown.text
    assert "Re-scoring did not start" not in shown.text
    async with sessions() as session:
        assert (await session.get(ScoringModel, draft.id)).status == ScoringModelStatus.PUBLISHED
    actions = [e.action for e in await audit_events(sessions, entity_type="scoring_model", entity_id=draft.id)]
    assert actions == ["scoring_model.create", "scoring_model.publish"]

    again = await admin_client.get(f"/admin/scoring-model/action/publish?pks={draft.id}&confirm=1")
    assert again.status_code == 200 and "only a DRAFT model may be published" in again.text


async def test_run_selection_round_answers_clearly(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    q = await kandas_quota(sessions)
    response = await admin_client.get(f"/admin/quota/action/run-selection-round?pks={q.id}")
    assert response.status_code == 200
    assert "Traceback" not in response.text
    assert ("not available in this installation" in response.text) or ("Dry run" in response.text) \
        or ("alert-danger" in response.text)


async def test_the_round_page_shows_candidates_the_passed_over_above_and_the_rest_counted(
        admin_client: httpx.AsyncClient, sessions: Any) -> None:
    async with transaction(sessions) as session:
        quota = await f.kandas_quota(session, "KZ-27", 2026, capacity=5, used=0)
        big = await f.make_passed_application(session, region_code="KZ-27", score=650, family_size=4)
        too_big = await f.make_passed_application(session, region_code="KZ-27", score=640, family_size=3)
        small = await f.make_passed_application(session, region_code="KZ-27", score=630, family_size=1)
        below = [await f.make_passed_application(session, region_code="KZ-27", score=600, family_size=1,
                                                 submitted_at=dt.datetime(2026, 3, 1, 8, i, tzinfo=dt.timezone.utc))
                 for i in range(3)]
    page = await admin_client.get(f"/admin/quota/action/run-selection-round?pks={quota.id}")
    assert page.status_code == 200 and "Dry run" in page.text
    text = " ".join(page.text.split())
    assert "<th style=\"width: 30%\">Candidates ranked</th><td>6</td>" in text
    assert f"<td>{too_big.number} · " in text  # the one passed over above the last approved
    assert "<th style=\"width: 30%\">Ranked below the last approved one</th><td>3</td>" in text
    assert big.number in text and small.number in text
    assert not any(a.number in text for a in below)


async def test_audit_events_and_ledgers_are_never_editable(admin_client: httpx.AsyncClient) -> None:
    for identity in ("audit-event", "support-payment", "refund-payment", "contract-termination", "application"):
        assert (await admin_client.get(f"/admin/{identity}/create")).status_code == 403
        assert (await admin_client.get(f"/admin/{identity}/edit/1")).status_code == 403
        assert (await admin_client.delete(f"/admin/{identity}/delete?pks=1")).status_code == 403


# ------------------------------------------------------------------ cross-site requests


async def test_cross_site_posts_and_actions_are_refused(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    q = await kandas_quota(sessions)
    cross = {"Sec-Fetch-Site": "cross-site"}
    post = await admin_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=q.capacity + 1),
                                   headers=cross)
    assert post.status_code == 403
    foreign = await admin_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=q.capacity + 1),
                                      headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    model_id = await first_id(sessions, select(ScoringModel.id))
    act = await admin_client.get(f"/admin/scoring-model/action/publish?pks={model_id}&confirm=1", headers=cross)
    assert act.status_code == 403
    assert (await admin_client.delete(f"/admin/quota/delete?pks={q.id}", headers=cross)).status_code == 403
    assert (await kandas_quota(sessions)).capacity == q.capacity
    # the same edit from the panel itself goes through
    same = await admin_client.post(f"/admin/quota/edit/{q.id}", data=quota_form(q, capacity=q.capacity + 1),
                                   headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})
    assert same.status_code == 302
    # reading cross-site (a link from elsewhere) is not refused by the guard
    assert (await admin_client.get("/admin/quota/list", headers=cross)).status_code == 200


# ------------------------------------------------------------------ more writes


async def test_deleting_a_region_in_use_is_refused_with_a_message(admin_client: httpx.AsyncClient,
                                                                   sessions: Any) -> None:
    q = await kandas_quota(sessions)
    response = await admin_client.delete(f"/admin/region/delete?pks={q.region_id}")
    assert response.status_code == 200  # SQLAdmin answers with the list URL carrying the error
    assert "error=" in response.text and "referenced" in response.text
    async with sessions() as session:
        assert await session.get(Region, q.region_id) is not None
    assert not await audit_events(sessions, entity_type="region", action="region.delete")


async def test_create_and_delete_are_audited(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    from models import Occupation

    created = await admin_client.post("/admin/occupation/create", data={
        "code": "9999", "name_en": "Test occupation", "name_ru": "Тестовая профессия", "save": "Save"})
    assert created.status_code == 302, created.text
    occupation_id = await first_id(sessions, select(Occupation.id).where(Occupation.code == "9999"))
    bad = await admin_client.post("/admin/occupation/create", data={
        "code": "99", "name_en": "x", "name_ru": "x", "save": "Save"})
    assert bad.status_code == 400 and "4 digits" in bad.text
    deleted = await admin_client.delete(f"/admin/occupation/delete?pks={occupation_id}")
    assert deleted.status_code == 200 and "error=" not in deleted.text
    events = await audit_events(sessions, entity_type="occupation", entity_id=occupation_id)
    assert [e.action for e in events] == ["occupation.create", "occupation.delete"]
    assert all(e.actor_subject == f"admin:{ADMIN}" for e in events)
    assert events[0].changes["code"] == "9999"


async def test_a_new_quota_goes_through_the_quota_service(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    from models import Occupation

    async with sessions() as session:
        region = (await session.execute(select(Region).where(Region.code == "KZ-55"))).scalar_one()
        occupation = (await session.execute(select(Occupation).order_by(Occupation.code.desc()).limit(1))).scalar_one()
    form = {"kind": "LABOUR", "year": "2027", "region_id": str(region.id), "occupation_id": str(occupation.id),
            "capacity": "12", "save": "Save"}
    response = await admin_client.post("/admin/quota/create", data=form)
    assert response.status_code == 302, response.text
    async with sessions() as session:
        quota = (await session.execute(select(Quota).where(Quota.year == 2027, Quota.kind == QuotaKind.LABOUR))).scalar_one()
    assert (quota.capacity, quota.used, quota.occupation_id) == (12, 0, occupation.id)
    [event] = await audit_events(sessions, entity_type="quota", entity_id=quota.id)
    assert event.action == "quota.create" and event.actor_subject == f"admin:{ADMIN}"
    # a KANDAS quota names no occupation: the service's rule, shown on the form
    refused = await admin_client.post("/admin/quota/create", data={**form, "kind": "KANDAS", "year": "2028"})
    assert refused.status_code == 400 and "has no occupation" in refused.text


async def test_the_dashboard_lists_overdue_applications(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    import datetime as dt

    from models import Applicant, Application
    from models.base import today_almaty, utcnow
    from models.enums import ApplicationStatus, Route, Sex

    async with transaction(sessions) as session:
        region_id = (await session.execute(select(Region.id).where(Region.code == "KZ-55"))).scalar_one()
        applicant = Applicant(full_name="Test Person", birth_date=dt.date(1990, 1, 1), sex=Sex.FEMALE,
                              citizenship="UZB", ethnic_kazakh=True, document_number="FA1234567")
        session.add(applicant)
        await session.flush()
        session.add(Application(number="RP-2026-999999", applicant_id=applicant.id, route=Route.KANDAS,
                                target_region_id=region_id, status=ApplicationStatus.SUBMITTED, citizenship="UZB",
                                document_number="FA1234567", submitted_at=utcnow() - dt.timedelta(days=40),
                                due_date=today_almaty() - dt.timedelta(days=11)))
    page = await admin_client.get("/admin/dashboard")
    assert page.status_code == 200
    assert "RP-2026-999999" in page.text and "Overdue applications (1," in page.text
    listing = await admin_client.get("/admin/application/list?search=RP-2026-999999")
    assert listing.status_code == 200 and "RP-2026-999999" in listing.text


async def test_in_production_the_session_cookie_is_https_only(database_url: str, accounts: None) -> None:
    from server.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, env="production"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as c:
            response = await login(c)
            assert response.status_code == 302
            assert "secure" in response.headers["set-cookie"].lower()
    finally:
        await app.state.engine.dispose()


async def test_in_production_the_panel_is_built_on_its_first_request_once(database_url: str, accounts: None) -> None:
    """The panel is built on first use (admin.setup.Panel), not with the app: requests
    elsewhere leave it unbuilt; the first requests below /admin, arriving together,
    build it once and are answered as usual; a login and the dashboard work."""
    import asyncio

    from admin.setup import Panel, QonysAdmin
    from server.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, env="production"))
    (mount,) = [r for r in app.router.routes if getattr(r, "name", None) == "admin"]
    assert app.router.routes[-1] is mount and mount.path == "/admin"
    panel = mount.app
    assert isinstance(panel, Panel) and not panel.built and not hasattr(app.state, "admin")
    builds = []
    build = panel._build
    panel._build = lambda: builds.append(1) or build()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as c:
            assert (await c.get("/healthz")).status_code == 200
            assert (await c.post("/graphql", json={"query": "{ regions { code } }"})).status_code == 200
            assert not panel.built and builds == []
            pages = await asyncio.gather(*(c.get("/admin/login") for _ in range(4)))
            assert [p.status_code for p in pages] == [200] * 4 and builds == [1]
            assert all('name="username"' in p.text for p in pages)
            assert isinstance(app.state.admin, QonysAdmin) and panel.built
            assert (await c.get("/admin")).status_code in (301, 302, 307, 308)
            assert (await login(c)).status_code == 302
            dashboard = await c.get("/admin/dashboard")
            assert dashboard.status_code == 200 and "Quota fill per region and year" in dashboard.text
            assert builds == [1]
    finally:
        await app.state.engine.dispose()


async def test_a_url_asked_of_the_panel_before_any_request_builds_it(settings: Any) -> None:
    from admin.setup import QonysAdmin
    from server.app import create_app

    app = create_app(settings)
    try:
        assert not hasattr(app.state, "admin")
        assert app.url_path_for("graphiql-assets", path="x.js") == "/graphiql-assets/x.js"
        assert not hasattr(app.state, "admin")  # another route's URL leaves the panel alone
        assert app.url_path_for("admin:list", identity="quota") == "/admin/quota/list"
        assert app.url_path_for("admin:view-dashboard") == "/admin/dashboard"
        assert isinstance(app.state.admin, QonysAdmin)
    finally:
        await app.state.engine.dispose()
