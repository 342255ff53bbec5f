"""``qonys serve --workers 2`` (issue 18, "N processes"): a real server in a
subprocess on a free loopback port, on the test's PostgreSQL database. Nothing
that should be shared is per process:

- /metrics, whichever worker answers, reports the counts of both workers;
- the failed-authentication limiter trips at the same count as with one worker;
- an API key revoked through one request is refused by the next requests,
  whichever worker takes them.

Which worker counted what is read from each worker's own files in the metrics
directory (prometheus-client's multiprocess mode: one file per process id), so
each test also shows that both workers took part. Requests go out in
concurrent bursts, each on a connection of its own, for the kernel to hand
them to both workers. PostgreSQL only: ``serve`` runs one process on SQLite."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from core.db import create_engine, session_factory, transaction
from models.base import today_almaty
from services import auth
from services.viewer import SYSTEM
from tests.conftest import BACKEND, TEST_SECRET, make_settings, token_for

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="several workers serve PostgreSQL only")

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
START_TIMEOUT = 90
PING = "query Ping { __typename }"
NEEDS_SIGN_IN = "query Models { scoringModels { version } }"
AGENCY_FEED = "query Feed { checkResults(first: 5) { edges { node { id } } } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    metrics_dir: Path
    process: subprocess.Popen[str]

    def pids(self) -> set[int]:
        """The workers that have started (each writes its metrics files on import)."""
        return {int(f.stem.rsplit("_", 1)[1]) for f in self.metrics_dir.glob("counter_*.db")}

    def per_worker(self, sample: str, **labels: str) -> dict[int, float]:
        """``sample``'s value in each worker's own files (0 where it counted none)."""
        values = dict.fromkeys(self.pids(), 0.0)
        for path in self.metrics_dir.glob("counter_*.db"):
            pid = int(path.stem.rsplit("_", 1)[1])
            for metric in MultiProcessCollector.merge([str(path)], accumulate=False):
                for s in metric.samples:
                    if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                        values[pid] += s.value
        return values


@pytest.fixture(scope="module")
def server(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    metrics_dir = tmp_path_factory.mktemp("metrics")
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QONYS_")}
    env.update(QONYS_DATABASE_URL=template_url, QONYS_SECRET_KEY=TEST_SECRET, QONYS_ENV="development",
               QONYS_TODAY=today_almaty().isoformat(), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--workers", str(WORKERS), "--port", str(port)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", metrics_dir, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while len(server.pids()) < WORKERS or not _healthy(server.url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"qonys serve --workers {WORKERS} did not start:\n{log.read_text()}", pytrace=False)
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


_names = itertools.count()


class Pinned:
    """One kept-alive connection per worker: which worker a connection reached is
    read from the metrics (a query under a name of its own, counted by one worker)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clients: dict[int, httpx.AsyncClient] = {}

    async def __aenter__(self) -> dict[int, httpx.AsyncClient]:
        for _ in range(60):
            client = httpx.AsyncClient(base_url=self.server.url, timeout=30,
                                       limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
            name = f"Who{next(_names)}"
            assert (await client.post("/graphql", json={"query": f"query {name} {{ __typename }}"})).status_code == 200
            [pid] = [p for p, n in self.server.per_worker("qonys_graphql_requests_total", operation=name).items() if n]
            if pid in self.clients:
                await client.aclose()
            else:
                self.clients[pid] = client
            if len(self.clients) == WORKERS:
                return self.clients
        pytest.fail(f"no connection reached every worker: {sorted(self.clients)} of {sorted(self.server.pids())}")

    async def __aexit__(self, *_: object) -> None:
        for client in self.clients.values():
            await client.aclose()


async def ask(client: httpx.AsyncClient, n: int, query: str, token: str | None = None) -> list[int]:
    """The statuses of ``n`` requests, one after the other on the client's connection."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return [(await client.post("/graphql", json={"query": query}, headers=headers)).status_code for _ in range(n)]


def delta(after: dict[int, float], before: dict[int, float]) -> dict[int, float]:
    return {pid: after[pid] - before.get(pid, 0) for pid in after}


def total(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_add_up_the_counts_of_every_worker(server: Server, database_url: str) -> None:
    sample, labels = "qonys_graphql_requests_total", {"operation": "Ping", "outcome": "ok"}
    before = server.per_worker(sample, **labels)
    async with Pinned(server) as workers:
        (a, first), (b, second) = workers.items()
        assert await ask(first, 15, PING) == [200] * 15
        assert await ask(second, 25, PING) == [200] * 25
        assert delta(server.per_worker(sample, **labels), before) == {a: 15, b: 25}
        line = f'{sample}{{operation="Ping",outcome="ok"}}'
        for client in (first, second):  # whichever worker answers the scrape: the sum of both
            scraped = await client.get("/metrics")
            assert scraped.status_code == 200, scraped.text
            assert total(scraped.text, line) == sum(before.values()) + 40
            # the pools of both workers: their sizes added up, and none in use between requests
            assert total(scraped.text, "qonys_db_pool_size") == WORKERS * make_settings(database_url).pool_size
            assert total(scraped.text, "qonys_db_pool_checked_out") == 0


async def test_the_limiter_trips_at_the_same_count_as_with_one_worker(server: Server, database_url: str) -> None:
    sample = "qonys_failed_authentications_total"
    refused = server.per_worker(sample, scope="api", status="401")
    throttled = server.per_worker(sample, scope="api", status="429")
    bad, good = "qk_deadbeef_" + "B" * 43, token_for("OFFICER")
    async with Pinned(server) as workers:
        (a, first), (b, second) = workers.items()
        # 20 failures, half on each worker: every one counted, none refused early
        assert await ask(first, 10, NEEDS_SIGN_IN, bad) == [401] * 10
        assert await ask(second, 10, NEEDS_SIGN_IN, bad) == [401] * 10
        assert delta(server.per_worker(sample, scope="api", status="401"), refused) == {a: 10, b: 10}
        # the 21st try is refused on either worker, and a good credential waits too
        for client in (first, second):
            assert await ask(client, 2, NEEDS_SIGN_IN, bad) == [429] * 2
            assert await ask(client, 2, NEEDS_SIGN_IN, good) == [429] * 2
        assert delta(server.per_worker(sample, scope="api", status="429"), throttled) == {a: 4, b: 4}


async def test_a_revoked_key_is_refused_by_every_worker_at_once(server: Server, database_url: str) -> None:
    engine = create_engine(make_settings(database_url))
    try:
        async with transaction(session_factory(engine)) as session:
            await auth.create_admin_account(session, SYSTEM, "root-admin", "correct horse battery staple")
            row, key = await auth.create_agency_key(session, SYSTEM, "GPO", "workers")
    finally:
        await engine.dispose()
    sample = "qonys_failed_authentications_total"
    async with Pinned(server) as workers:
        for client in workers.values():  # every worker has let the key in before it is revoked
            assert await ask(client, 3, AGENCY_FEED, key) == [200] * 3
        refused = server.per_worker(sample, scope="api", status="401")
        async with httpx.AsyncClient(base_url=server.url, timeout=30,
                                     headers={"Sec-Fetch-Site": "same-origin"}) as admin:
            login = await admin.post("/admin/login", data={"username": "root-admin",
                                                           "password": "correct horse battery staple"})
            assert login.status_code == 302, login.text
            revoked = await admin.get(f"/admin/agency-api-key/action/revoke?pks={row.id}&confirm=1")
            assert revoked.status_code == 200 and row.prefix in revoked.text, revoked.text
        for client in workers.values():  # the very next requests, on either worker
            response = await client.post("/graphql", json={"query": AGENCY_FEED},
                                         headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 401 and "revoked" in response.json()["errors"][0]["message"]
        assert delta(server.per_worker(sample, scope="api", status="401"), refused) == dict.fromkeys(workers, 1)
