"""The drills' load (traffic): ``connections`` clients, each sending one GraphQL request
after the other to the API — mutations (submissions, checks requested by an
officer, check results with an agency's key, support payments, terminations,
selection rounds) and, for the soak, reads (the officers' list, one
application, the agency's feed, the contracts' list).

Every answer is classed: **acknowledged** (HTTP 200, no GraphQL error, no error
in the payload: the API says it was written; what it wrote is kept in ``acks``
for the database to be checked against), **refused** (a business refusal in the
payload: nothing written, e.g. a contract another client terminated a moment
ago), or **failed** (no answer, another status, or a GraphQL error: written or
not, nobody was told so). A client that meets a closed port waits a little and
goes on, so the load carries on across a restart of the API."""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from common import today

ERRORS = "errors { code message }"
SUBMIT = ("mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) "
          f"{{ application {{ id }} {ERRORS} }} }}")
REQUEST_CHECKS = ("mutation($input: RequestChecksInput!) { requestChecks(input: $input) { application { id "
                  f"checks {{ id status checkType {{ agency {{ code }} }} }} }} {ERRORS} }} }}")
CHECK_RESULT = ("mutation($input: RecordCheckResultInput!) { recordCheckResult(input: $input) "
                f"{{ check {{ id status }} {ERRORS} }} }}")
PAYMENT = ("mutation($input: RecordSupportPaymentInput!) { recordSupportPayment(input: $input) "
           f"{{ contract {{ id totalSupport }} {ERRORS} }} }}")
TERMINATE = ("mutation($input: TerminateContractInput!) { terminateContract(input: $input) "
             f"{{ contract {{ id status }} {ERRORS} }} }}")
ROUND = f"mutation($input: RunSelectionRoundInput!) {{ runSelectionRound(input: $input) {{ round {{ id }} {ERRORS} }} }}"
LIST = ("query { applications(first: 20) { edges { node { id number status route targetRegion { code } "
        "score { total passed } } } } }")
ONE = ("query($id: ID!) { application(id: $id) { id number status applicant { fullName birthDate } "
       "checks { status checkType { code } } score { total passed } } }")
FEED = "query { checkResults(first: 50) { edges { node { id status updatedAt } } pageInfo { endCursor } } }"
CONTRACTS = "query { contracts(first: 20) { edges { node { id number status totalSupport } } } }"

WRITES = {"submit": 30, "request_checks": 15, "check_result": 20, "payment": 27, "terminate": 3, "round": 5}
READS = {"list": 30, "one": 40, "feed": 15, "contracts": 15}
MEASURES = ("HOUSING_RENT", "HOUSING_CERTIFICATE")  # the demo data pay most RELOCATION subsidies in full
REGIONS = ("KZ-55", "KZ-63", "KZ-59", "KZ-11")  # labour-deficit regions: KANDAS families settle there


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rsplit(":", 1)[1])


@dataclass
class Pools:
    """What the mutations work on: read from the database first, then grown by the load."""

    contracts: list[int]  # ACTIVE contracts to pay or terminate
    quotas: list[int]  # KANDAS quotas of this year (selection rounds)
    apps: list[int]  # applications to read
    submitted: deque[int] = field(default_factory=deque)  # new applications, for requestChecks
    checks: deque[int] = field(default_factory=deque)  # REQUESTED checks of the agency, for results


async def load_pools(url: str) -> Pools:
    import sqlalchemy as sa

    from core.db import create_engine, session_factory
    from core.settings import load_settings

    engine = create_engine(load_settings(database_url=url))
    try:
        async with session_factory(engine)() as s:
            contracts = list((await s.execute(sa.text(
                "SELECT id FROM social_contract WHERE status = 'ACTIVE' ORDER BY id"))).scalars())
            quotas = list((await s.execute(sa.text(
                "SELECT id FROM quota WHERE kind = 'KANDAS' AND year = :y ORDER BY id"), {"y": today().year})).scalars())
            apps = list((await s.execute(sa.text("SELECT id FROM application ORDER BY id DESC LIMIT 5000"))).scalars())
    finally:
        await engine.dispose()
    return Pools(contracts, quotas, apps)


@dataclass
class Ack:
    """An acknowledged mutation and what it wrote (the rows to look for)."""

    kind: str
    key: tuple[Any, ...]


@dataclass
class Load:
    base_url: str
    officer: str  # JWT
    agency: str  # API key
    pools: Pools
    read_share: float = 0.0  # the share of requests that are reads
    rng: random.Random = field(default_factory=lambda: random.Random(19))
    acks: list[Ack] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)
    acknowledged: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    unsent: int = 0  # requests that found no API listening (while it was down)
    samples: dict[str, list[str]] = field(default_factory=dict)  # examples of failures and refusals, by kind
    latencies: list[tuple[float, float, bool, str]] = field(default_factory=list)  # (at s, seconds, ok, kind)
    started: float = 0.0
    _serial: int = 0
    _run: str = field(default_factory=lambda: f"{random.SystemRandom().randrange(36**4):04d}"[-4:])

    # ---------------------------------------------------------------- one request

    async def call(self, client: httpx.AsyncClient, kind: str, doc: str, variables: dict[str, Any] | None = None,
                   *, as_agency: bool = False) -> dict[str, Any] | None:
        """The payload (or data) of an answered request; None when it failed or was refused."""
        token = self.agency if as_agency else self.officer
        began = time.perf_counter()
        try:
            r = await client.post("/graphql", json={"query": doc, "variables": variables or {}},
                                  headers={"authorization": f"Bearer {token}"})
            body = r.json() if r.status_code == 200 else None
        except httpx.ConnectError:  # nothing listens (the API is down): the request never left
            self.unsent += 1
            return None
        except (httpx.HTTPError, ValueError) as exc:
            self.sent[kind] += 1
            self._fail(kind, began, f"{type(exc).__name__}: {exc}"[:200])
            return None
        self.sent[kind] += 1
        if body is None or body.get("errors") or body.get("data") is None:
            detail = f"HTTP {r.status_code}" if body is None else str(body.get("errors"))[:200]
            self._fail(kind, began, detail)
            return None
        data = body["data"]
        (payload,) = data.values()
        if isinstance(payload, dict) and payload.get("errors"):
            self.refused[kind] += 1
            self.latencies.append((began - self.started, time.perf_counter() - began, True, kind))
            self._sample("refused", kind, f"{payload['errors'][0]['code']} {payload['errors'][0]['message']}")
            return None
        self.latencies.append((began - self.started, time.perf_counter() - began, True, kind))
        return payload

    def _fail(self, kind: str, began: float, detail: str) -> None:
        self.failed[kind] += 1
        self.latencies.append((began - self.started, time.perf_counter() - began, False, kind))
        self._sample("failed", kind, detail)

    def _sample(self, what: str, kind: str, detail: str) -> None:
        """Keep two examples of each kind's failures and refusals, for the report."""
        seen = self.samples.setdefault(f"{what} {kind}", [])
        if len(seen) < 2 and detail[:60] not in (d[:60] for d in seen):
            seen.append(detail[:160])

    def ack(self, kind: str, *key: Any) -> None:
        self.acknowledged[kind] += 1
        self.acks.append(Ack(kind, key))

    # ---------------------------------------------------------------- the mutations

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    async def submit(self, client: httpx.AsyncClient) -> None:
        n = self._next()
        sex = "MALE" if n % 2 else "FEMALE"
        applicant = {"fullName": f"Drill Person {'abcdefghij'[n % 10]}{'klmnopqrst'[n // 10 % 10]}",
                     "birthDate": f"{1960 + n % 40}-0{1 + n % 9}-1{n % 9}", "sex": sex,
                     "citizenship": ("UZB", "KGZ", "CHN", "MNG", "TKM")[n % 5], "ethnicKazakh": True,
                     "documentNumber": f"DR{self._run}{n:08d}"}
        payload = await self.call(client, "submit", SUBMIT, {"input": {
            "applicant": applicant, "route": "KANDAS", "targetRegionCode": REGIONS[n % len(REGIONS)]}})
        if payload is not None:
            app = pk(payload["application"]["id"])
            self.ack("submit", app)
            self.pools.submitted.append(app)
            self.pools.apps.append(app)

    async def request_checks(self, client: httpx.AsyncClient) -> None:
        if not self.pools.submitted:
            return await self.submit(client)
        app = self.pools.submitted.popleft()
        payload = await self.call(client, "request_checks", REQUEST_CHECKS, {"input": {"applicationId": gid(
            "Application", app)}})
        if payload is not None:
            checks = payload["application"]["checks"]
            self.ack("request_checks", app, tuple(sorted(pk(c["id"]) for c in checks)))
            self.pools.checks.extend(pk(c["id"]) for c in checks
                                     if c["status"] == "REQUESTED" and c["checkType"]["agency"]["code"] == "GPO")

    async def check_result(self, client: httpx.AsyncClient) -> None:
        if not self.pools.checks:
            return await self.request_checks(client)
        check = self.pools.checks.popleft()
        status = "CLEARED" if self.rng.random() < 0.9 else "FLAGGED"
        payload = await self.call(client, "check_result", CHECK_RESULT, {"input": {
            "checkId": gid("Check", check), "status": status,
            "details": None if status == "CLEARED" else "a record needs an officer's review"}}, as_agency=True)
        if payload is not None:
            self.ack("check_result", check, payload["check"]["status"])

    async def payment(self, client: httpx.AsyncClient) -> None:
        if not self.pools.contracts:
            return await self.submit(client)
        contract = self.rng.choice(self.pools.contracts)
        amount = Decimal(100) + Decimal(self._next()) / 100  # unique: the payment is found by it
        payload = await self.call(client, "payment", PAYMENT, {"input": {
            "contractId": gid("SocialContract", contract), "measureCode": self.rng.choice(MEASURES),
            "amount": str(amount), "paidOn": today().isoformat()}})
        if payload is not None:
            self.ack("payment", contract, amount)

    async def terminate(self, client: httpx.AsyncClient) -> None:
        if len(self.pools.contracts) < 20:  # keep some to pay
            return await self.payment(client)
        contract = self.pools.contracts.pop(self.rng.randrange(len(self.pools.contracts)))
        payload = await self.call(client, "terminate", TERMINATE, {"input": {
            "contractId": gid("SocialContract", contract), "reason": "VOLUNTARY",
            "effectiveDate": today().isoformat()}})
        if payload is not None:
            self.ack("terminate", contract)

    async def round(self, client: httpx.AsyncClient) -> None:
        if not self.pools.quotas:
            return await self.submit(client)
        quota = self.rng.choice(self.pools.quotas)
        payload = await self.call(client, "round", ROUND, {"input": {"quotaId": gid("Quota", quota)}})
        if payload is not None:
            self.ack("round", pk(payload["round"]["id"]))

    # ---------------------------------------------------------------- the reads

    async def read(self, client: httpx.AsyncClient, kind: str) -> None:
        if kind == "list":
            await self.call(client, kind, LIST)
        elif kind == "one":
            app = self.rng.choice(self.pools.apps) if self.pools.apps else 1
            await self.call(client, kind, ONE, {"id": gid("Application", app)})
        elif kind == "feed":
            await self.call(client, kind, FEED, as_agency=True)
        else:
            await self.call(client, kind, CONTRACTS)

    # ---------------------------------------------------------------- the clients

    async def run(self, seconds: float, connections: int, *, started: float | None = None) -> None:
        """``connections`` clients until ``seconds`` after ``started`` (now by default)."""
        self.started = started or time.perf_counter()
        deadline = self.started + seconds
        writes, write_weights = list(WRITES), list(WRITES.values())
        reads, read_weights = list(READS), list(READS.values())

        async def client_loop(k: int) -> None:
            rng = random.Random(k)
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            async with httpx.AsyncClient(base_url=self.base_url, timeout=30, limits=limits) as client:
                while time.perf_counter() < deadline:
                    failed = sum(self.failed.values()) + self.unsent
                    if rng.random() < self.read_share:
                        await self.read(client, rng.choices(reads, read_weights)[0])
                    else:
                        await getattr(self, rng.choices(writes, write_weights)[0])(client)
                    if sum(self.failed.values()) + self.unsent > failed:
                        await asyncio.sleep(0.25)  # the API may be down: do not spin

        await asyncio.gather(*(client_loop(k) for k in range(connections)))
