"""Authentication (SPEC §7): JWTs, agency API keys, admin passwords, and the
rate limit on failed attempts. Tokens are checked through HTTP POST /graphql."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models as m
from core.settings import Settings
from core.clock import wall_clock
from core.db import transaction
from models.base import utcnow
from services import auth
from services.viewer import SYSTEM
from tests.conftest import TEST_SECRET
from tests.helpers_compiled import on_postgres

NEEDS_SIGN_IN = "{ scoringModels { version } }"
AGENCY_FEED = "{ checkResults(first: 5) { edges { node { id } } } }"


async def post(client: httpx.AsyncClient, query: str, authorization: str | None = None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def assert_unauthenticated(response: httpx.Response, status: int = 401) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "data" not in body, body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    assert body["errors"][0]["message"]
    return body


def claims(**overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.timezone.utc)
    values: dict[str, Any] = {"sub": "officer-7", "role": "OFFICER", "iat": now, "exp": now + dt.timedelta(minutes=5)}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def tampered(token: str, **changes: Any) -> str:
    """The token with its claims changed but the original signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def signed(secret: str = TEST_SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm=algorithm)


# ---------------------------------------------------------------- JWT


async def test_valid_token_is_accepted(client: httpx.AsyncClient, settings: Settings) -> None:
    assert settings.secret_key == TEST_SECRET
    token = auth.mint_token(settings, subject="admin-1", role="ADMIN")
    response = await post(client, NEEDS_SIGN_IN, bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert sorted(m["version"] for m in body["data"]["scoringModels"]) == ["2026.1", "2026.2", "2026.3", "2026.4"]
    # a hand-built token with the same secret and claims works too
    response = await post(client, NEEDS_SIGN_IN, bearer(signed(role="APPLICANT")))
    assert response.status_code == 200 and "errors" not in response.json(), response.text


async def test_expired_token_is_401(client: httpx.AsyncClient, settings: Settings) -> None:
    # a minted token with a lifetime passes ...
    live = auth.mint_token(settings, subject="o1", role="OFFICER", ttl_minutes=1)
    assert jwt.decode(live, TEST_SECRET, algorithms=["HS256"])["exp"] > dt.datetime.now(dt.timezone.utc).timestamp()
    assert (await post(client, NEEDS_SIGN_IN, bearer(live))).status_code == 200
    # ... the same claims with exp in the past do not
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=2)
    expired = signed(sub="o1", iat=past - dt.timedelta(hours=1), exp=past)
    body = assert_unauthenticated(await post(client, NEEDS_SIGN_IN, bearer(expired)))
    assert "expired" in body["errors"][0]["message"]


async def test_a_verified_token_stops_working_when_it_expires(client: httpx.AsyncClient) -> None:
    """Verified tokens are remembered (no signature check per request), but never past their expiry."""
    exp = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1.5)
    token = signed(sub="o-short", exp=exp)
    for _ in range(2):  # the second request is answered from the cache of verified tokens
        assert (await post(client, NEEDS_SIGN_IN, bearer(token))).status_code == 200
    await asyncio.sleep(max(0.0, (exp - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.1)
    body = assert_unauthenticated(await post(client, NEEDS_SIGN_IN, bearer(token)))
    assert "expired" in body["errors"][0]["message"]


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "wrong-signature": lambda: signed(secret="another-secret-0123456789-0123456789"),
    "other-algorithm": lambda: signed(algorithm="HS512"),
    "no-role": lambda: signed(role=None),
    "role-root": lambda: signed(role="ROOT"),
    "role-agency": lambda: signed(role="AGENCY"),
    "role-lowercase": lambda: signed(role="admin"),
    "no-sub": lambda: signed(sub=None),
    "blank-sub": lambda: signed(sub="   "),
    "no-exp": lambda: signed(exp=None),
    "alg-none": lambda: jwt.encode(claims(), None, algorithm="none"),
    "garbage": lambda: "not-a-jwt",
    "tampered-payload": lambda: tampered(signed(role="APPLICANT"), role="ADMIN"),
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_401(client: httpx.AsyncClient, case: str) -> None:
    token = BAD_TOKENS[case]()  # built now, so that only the intended flaw is wrong
    assert_unauthenticated(await post(client, NEEDS_SIGN_IN, bearer(token)))


@pytest.mark.parametrize("header", ["Basic x", "Bearer ", "Bearer", "Token abc", ""])
async def test_malformed_authorization_header_is_401(client: httpx.AsyncClient, header: str) -> None:
    # a public query too: a bad credential is never treated as anonymous
    assert_unauthenticated(await post(client, "{ regions { code } }", header))


async def test_no_header_is_anonymous(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ regions { code } }")
    assert response.status_code == 200
    assert len(response.json()["data"]["regions"]) == 20

    response = await post(client, NEEDS_SIGN_IN)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


# ---------------------------------------------------------------- agency API keys


async def new_key(sessions: async_sessionmaker[AsyncSession], agency: str = "GPO") -> tuple[int, str, str]:
    async with transaction(sessions) as session:
        row, key = await auth.create_agency_key(session, SYSTEM, agency, label="test")
    return row.id, row.prefix, key  # type: ignore[return-value]


async def key_row(sessions: async_sessionmaker[AsyncSession], key_id: int) -> m.AgencyApiKey:
    async with sessions() as session:
        row = await session.get(m.AgencyApiKey, key_id)
        assert row is not None
        return row


@pytest.mark.skipif(not on_postgres(), reason="the one-statement key check is PostgreSQL's (the read pool)")
async def test_the_pooled_key_check_answers_as_the_session_s(app: Any, settings: Settings,
                                                              sessions: async_sessionmaker[AsyncSession]) -> None:
    """services.auth.verify_agency_key_pooled (one hand-written statement) and
    verify_agency_key (SQLAlchemy) give the same verdict for every kind of key."""
    from core.readpool import read_pool
    from services.throttle import API, Throttle

    async with transaction(sessions) as session:
        gpo = (await session.execute(select(m.Agency).where(m.Agency.code == "GPO"))).scalar_one()
        other = (await session.execute(select(m.CheckType).where(m.CheckType.agency_id != gpo.id))).scalars().first()
        session.add(m.CheckTypeGrant(agency_id=gpo.id, check_type_id=other.id))  # reads a type it does not own
        mvd = (await session.execute(select(m.Agency).where(m.Agency.code == "MVD_MIGRATION"))).scalar_one()
        session.add_all(m.FailedAuthentication(scope="api", client="10.0.0.9", at=wall_clock()) for _ in range(3))
    keys = {name: (await new_key(sessions, agency))[2]
            for name, agency in (("gpo", "GPO"), ("mvd", "MVD_MIGRATION"), ("revoked", "GPO"), ("touched", "GPO"),
                                 ("inactive", "KNB"))}
    async with transaction(sessions) as session:
        await auth.revoke_agency_key(session, SYSTEM, keys["revoked"].split("_")[1])
        await session.execute(update(m.AgencyApiKey).where(m.AgencyApiKey.prefix == keys["touched"].split("_")[1])
                              .values(last_used_at=utcnow()))
        await session.execute(update(m.Agency).where(m.Agency.code == "KNB").values(active=False))
    keys["wrong secret"] = keys["gpo"][:-4] + "AAAA"
    keys["unknown prefix"] = "qk_00000000_" + "B" * 43
    keys["malformed"] = "qk_nounderscore"
    throttle = Throttle(API, app.state.engine, settings)
    pool = read_pool(app.state.engine, settings)

    async def verdict(check: Any) -> Any:
        try:
            return await check
        except auth.AuthenticationError as exc:
            return str(exc)

    verdicts = {}
    for name, key in keys.items():
        for client in ("10.0.0.8", "10.0.0.9"):
            async with sessions() as session:
                by_session = await verdict(auth.verify_agency_key(session, key, throttle.failures(client)))
            pooled = await verdict(auth.verify_agency_key_pooled(pool, key, throttle.count_args(client)))
            assert pooled == by_session, name
            verdicts[name, client] = pooled
    gpo_check, gpo_failed = verdicts["gpo", "10.0.0.8"], verdicts["gpo", "10.0.0.9"]
    assert other.id in gpo_check.viewer.readable_check_type_ids
    assert other.id not in gpo_check.viewer.owned_check_type_ids
    assert gpo_check.touch is not None and verdicts["touched", "10.0.0.8"].touch is None
    assert (gpo_check.failures, gpo_failed.failures) == (0, 3)
    assert verdicts["mvd", "10.0.0.8"].viewer.grants == {"RESIDENCE"} and mvd.id == verdicts["mvd", "10.0.0.8"].viewer.agency_id
    assert verdicts["revoked", "10.0.0.8"] == "the API key has been revoked"
    assert verdicts["inactive", "10.0.0.8"] == "the API key's agency is not active"
    assert verdicts["wrong secret", "10.0.0.8"] == verdicts["unknown prefix", "10.0.0.8"] \
        == verdicts["malformed", "10.0.0.8"] == "the API key is not valid"


async def test_agency_key_authenticates_as_the_agency(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    key_id, prefix, key = await new_key(sessions)
    assert key.startswith("qk_") and prefix in key
    assert (await key_row(sessions, key_id)).last_used_at is None

    response = await post(client, AGENCY_FEED, bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["checkResults"]["edges"] == []
    used = (await key_row(sessions, key_id)).last_used_at
    assert used is not None
    assert abs(used - utcnow()) < dt.timedelta(minutes=1)  # the business clock (tests pin today)

    # the viewer is an AGENCY: not a person who may read scoring models or applications
    body = (await post(client, NEEDS_SIGN_IN, bearer(key))).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = (await post(client, "{ applications(first: 1) { edges { node { id } } } }", bearer(key))).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_agency_key_use_is_recorded_once_a_minute_not_per_request(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed read in a tight loop must not turn every request into a write. The
    service's clock is held (a paused test run must not pass the minute)."""
    now = [utcnow().replace(microsecond=0)]
    monkeypatch.setattr(auth, "utcnow", lambda: now[0])
    key_id, _, key = await new_key(sessions)
    assert (await post(client, AGENCY_FEED, bearer(key))).status_code == 200
    first = (await key_row(sessions, key_id)).last_used_at
    assert first == now[0]
    for seconds in (1, 30, 59):
        now[0] = first + dt.timedelta(seconds=seconds)
        assert (await post(client, AGENCY_FEED, bearer(key))).status_code == 200
    assert (await key_row(sessions, key_id)).last_used_at == first
    now[0] = first + auth.LAST_USED_RESOLUTION
    assert (await post(client, AGENCY_FEED, bearer(key))).status_code == 200
    assert (await key_row(sessions, key_id)).last_used_at == now[0]


async def test_agency_key_is_stored_only_as_a_hash(sessions: async_sessionmaker[AsyncSession]) -> None:
    key_id, prefix, key = await new_key(sessions)
    secret_part = key.removeprefix(f"qk_{prefix}_")
    assert len(secret_part) >= 32
    async with sessions() as session:
        row = (await session.execute(
            select(m.AgencyApiKey.__table__).where(m.AgencyApiKey.__table__.c.id == key_id)
        )).one()
    for value in row:
        if isinstance(value, str):
            assert key not in value and secret_part not in value, value
    assert row.key_hash and row.key_hash != key


async def test_revoked_unknown_and_forged_keys_are_401(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    key_id, prefix, key = await new_key(sessions)
    assert (await post(client, AGENCY_FEED, bearer(key))).status_code == 200

    # the right prefix with another secret
    assert_unauthenticated(await post(client, AGENCY_FEED, bearer(f"qk_{prefix}_{'A' * 43}")))
    # an unknown key, and malformed ones
    assert_unauthenticated(await post(client, AGENCY_FEED, bearer("qk_deadbeef_" + "B" * 43)))
    assert_unauthenticated(await post(client, AGENCY_FEED, bearer("qk_")))
    assert_unauthenticated(await post(client, AGENCY_FEED, bearer(f"qk_{prefix}")))

    async with transaction(sessions) as session:
        await auth.revoke_agency_key(session, SYSTEM, prefix)
    body = assert_unauthenticated(await post(client, AGENCY_FEED, bearer(key)))
    assert "revoked" in body["errors"][0]["message"]
    assert (await key_row(sessions, key_id)).revoked_at is not None


# ---------------------------------------------------------------- admin accounts


async def test_admin_login(sessions: async_sessionmaker[AsyncSession]) -> None:
    password = "correct horse battery staple"
    async with transaction(sessions) as session:
        account = await auth.create_admin_account(session, SYSTEM, "alice", password)
    assert account.password_hash.startswith("$argon2")
    assert password not in account.password_hash

    async with transaction(sessions) as session:
        assert await auth.authenticate_admin(session, "alice", "wrong password!!") is None
        assert await auth.authenticate_admin(session, "nobody", password) is None
    async with sessions() as session:
        stored = (await session.execute(select(m.AdminAccount).where(m.AdminAccount.username == "alice"))).scalar_one()
        assert stored.last_login_at is None
        assert stored.password_hash.startswith("$argon2")

    async with transaction(sessions) as session:
        found = await auth.authenticate_admin(session, "alice", password)
        assert found is not None and found.username == "alice"
        assert found.last_login_at is not None
    async with sessions() as session:
        stored = (await session.execute(select(m.AdminAccount).where(m.AdminAccount.username == "alice"))).scalar_one()
        assert stored.last_login_at is not None  # persisted
        assert abs(stored.last_login_at - utcnow()) < dt.timedelta(minutes=1)


# ---------------------------------------------------------------- rate limit


async def test_failed_authentication_is_rate_limited_per_client(app: Any, settings: Settings) -> None:
    good = bearer(auth.mint_token(settings, subject="o1", role="OFFICER"))
    bad = bearer(signed(secret="wrong-secret-0123456789-0123456789-0"))
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 123))
    other_transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker, \
            httpx.AsyncClient(transport=other_transport, base_url="http://testserver") as other:
        statuses = [(await post(attacker, NEEDS_SIGN_IN, bad)).status_code for _ in range(20)]
        assert statuses == [401] * 20
        for header in (bad, good):  # once limited, even a good token waits
            limited = await post(attacker, NEEDS_SIGN_IN, header)
            assert_unauthenticated(limited, status=429)
        # another address is not affected
        assert_unauthenticated(await post(other, NEEDS_SIGN_IN, bad))
        response = await post(other, NEEDS_SIGN_IN, good)
        assert response.status_code == 200 and "errors" not in response.json(), response.text


async def test_another_process_s_failures_stop_keys_but_not_signed_tokens(app: Any, settings: Settings,
                                                                        sessions: async_sessionmaker[AsyncSession]
                                                                        ) -> None:
    """services.throttle: failures counted by another worker (rows in the shared
    table) stop an API key and a bad token from the same address at once; a
    signed token, which cannot be guessed, is not checked against them until this
    process has seen the address fail itself (no round trip on every request)."""
    client = "10.0.0.3"
    async with transaction(sessions) as session:
        _, key = await auth.create_agency_key(session, SYSTEM, "GPO", label="test")
        session.add_all(m.FailedAuthentication(scope="api", client=client, at=wall_clock()) for _ in range(20))
    good = bearer(auth.mint_token(settings, subject="o1", role="OFFICER"))
    bad = bearer(signed(secret="wrong-secret-0123456789-0123456789-0"))
    transport = httpx.ASGITransport(app=app, client=(client, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as caller:
        assert_unauthenticated(await post(caller, NEEDS_SIGN_IN, bearer(key)), status=429)
        response = await post(caller, NEEDS_SIGN_IN, good)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        # once this process has seen the address fail (refused: past the limit), tokens wait too
        assert_unauthenticated(await post(caller, NEEDS_SIGN_IN, bad), status=429)
        assert_unauthenticated(await post(caller, NEEDS_SIGN_IN, good), status=429)
    async with sessions() as session:  # the refused tries were not counted
        count = (await session.execute(select(m.FailedAuthentication).where(
            m.FailedAuthentication.client == client))).all()
        assert len(count) == 20


async def test_only_administrators_manage_keys_and_accounts(sessions: async_sessionmaker[AsyncSession]) -> None:
    from services.errors import ErrorCode, ServiceError
    from services.viewer import ADMIN_PANEL_ROLE, Viewer

    for viewer in (Viewer(subject="officer-1", role="OFFICER"),
                   Viewer(subject="admin:bob", role=ADMIN_PANEL_ROLE, read_only=True)):
        for call in (lambda s: auth.create_agency_key(s, viewer, "GPO"),
                     lambda s: auth.revoke_agency_key(s, viewer, "deadbeef"),
                     lambda s: auth.create_admin_account(s, viewer, "mallory", "correct horse battery staple")):
            with pytest.raises(ServiceError) as refused:
                async with transaction(sessions) as session:
                    await call(session)
            assert refused.value.errors[0].code == ErrorCode.FORBIDDEN
