"""One wrk run against one target, measured (requests, latency, CPU of the server and of PostgreSQL,
peak RSS, the rest of the machine), and rounds of them; ``Bench`` holds what a whole run found."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from harness.common import BENCH, NCPU, ROOT, VENV_BIN, Config, div, fmt, log
from harness.procs import RssSampler, children_cpu, machine_busy, tree_cpu
from harness.servers import Server, qonys_counters


@dataclass
class Target:
    label: str
    server: Server
    url: str
    bodies: Path | None
    auth: str | None = None
    script: str = "cycle.lua"  # in bench/wrk/
    # Called before each run for that run's bodies instead of ``bodies`` (workload 6:
    # every run sends requests of its own, each once).
    next_bodies: Callable[[], Path] | None = None


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
    exhausted: bool = False  # workload 6: the run's requests ran out before its end (the run was shorter)

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
        self.warmups: list[Run] = []  # the warm-up runs (not in the tables)
        self.notes: list[str] = []
        self.checks: list[str] = []
        self.services: dict[str, dict[str, Any]] = {}
        self.postmaster: int | None = None
        self.facts: dict[str, Any] = {}
        self.live: list[Server] = []  # the servers running now
        self.sequential: dict[str, dict[str, float]] = {}  # workload 2 on one connection: median ms
        self.writes: dict[str, dict[str, Any]] = {}  # workload 6: each server's database after the load
        self.workers: Server | None = None  # ``qonys serve --workers N`` of the phase, when it runs

    def beside(self, target: Target) -> list[Target]:
        """``target`` again on ``qonys serve --workers N`` (``self.workers``), measured
        beside the one process: the same bodies and credentials; none when it does not run."""
        w = self.workers
        if w is None:
            return []
        url = target.url.replace(f":{self.cfg.qonys_port}", f":{self.cfg.qonys_workers_port}", 1)
        return [dataclasses.replace(target, label=target.label.replace("Qonys", w.name, 1), server=w, url=url)]

    # -- measurement

    def wrk(self, workload: str, target: Target, duration: int, round_no: int) -> Run:
        cfg = self.cfg
        bodies = target.next_bodies() if target.next_bodies is not None else target.bodies
        env = {**os.environ, "BENCH_BODIES": str(bodies), "BENCH_AUTH": target.auth or "",
               "BENCH_WRK_THREADS": str(cfg.wrk_threads)}
        argv = (["nice", "-n", str(cfg.nice)] if cfg.nice else []) + ["wrk", f"-t{cfg.wrk_threads}", f"-c{cfg.connections}", f"-d{duration}s", "--timeout", "10s",
                "--latency", "-s", str(BENCH / "wrk" / target.script), target.url]
        settled = self.settle()
        pid = target.server.pid
        metrics0 = qonys_counters(target.server)
        sampler = RssSampler(pid)
        cpu0, db0, (busy0, _), wrk0, t0 = tree_cpu(pid), tree_cpu(self.postmaster), machine_busy(), children_cpu(), time.monotonic()
        sampler.start()
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 900)  # a shared machine may pause us
        wall = time.monotonic() - t0
        peak = sampler.stop()
        cpu1, db1, (busy1, _), wrk1 = tree_cpu(pid), tree_cpu(self.postmaster), machine_busy(), children_cpu()
        metrics1 = qonys_counters(target.server)
        compiled = None
        if metrics0 and metrics1 and metrics1[1] > metrics0[1]:
            compiled = 100 * (metrics1[0] - metrics0[0]) / (metrics1[1] - metrics0[1])
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result for {target.label}:\n{out.stdout}\n{out.stderr}")
        w = json.loads(line.removeprefix("BENCH_JSON "))
        seconds = w["duration_us"] / 1e6
        if w.get("exhausted_threads") and w.get("active_us"):
            # writes.lua: the requests ran out; wrk still waited the whole duration, the load did not
            seconds = min(seconds, w["active_us"] / 1e6)
        errors = w["errors_response"] + w["errors_timeout"] + w["errors_connect"] + w["errors_read"] + w["errors_write"]
        # writes.lua: "filler" answers (a GET /healthz once a run's requests ran out) are no requests of the load
        ok = max(w["requests"] - w["errors_response"] - w.get("filler", 0), 0)
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
            compiled_pct=compiled, exhausted=bool(w.get("exhausted_threads")), wrk=w,
        )
        log(f"  {workload} r{round_no} {target.label:<18} {run.rps:7.1f} req/s ({ok} ok, {errors} errors)  "
            f"p50 {fmt(run.p50_ms)} ms  p99 {fmt(run.p99_ms)} ms  "
            f"cpu {fmt(run.server_cpu_ms, 2)}+{fmt(run.db_cpu_ms, 2)} ms/req (busy {run.server_busy_pct:.0f}%"
            f"+{run.db_busy_pct:.0f}%)  rss {run.rss_peak_mb:.0f} MB  "
            f"other {run.other_cpu_pct:.0f}%" + (f"  (settled {settled:.0f} s)" if settled >= 2 else "")
            + (f"  EXHAUSTED after {seconds:.1f} s" if run.exhausted else ""))
        return run

    def settle(self, idle: float = 0.1, window: float = 1.0, limit: float = 90) -> float:
        """Wait until the servers and PostgreSQL are idle (< ``idle`` CPU-seconds in ``window``):
        a server may still be working on requests that wrk abandoned at the end of the last run."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            before = sum(tree_cpu(s.pid) for s in self.live) + tree_cpu(self.postmaster)
            time.sleep(window)
            after = sum(tree_cpu(s.pid) for s in self.live) + tree_cpu(self.postmaster)
            if after - before < idle:
                return time.monotonic() - t0 - window
        log(f"  the servers and PostgreSQL were still busy after {limit:.0f} s; running anyway")
        return time.monotonic() - t0 - window

    def rounds(self, workload: str, targets: list[Target], reference: str | None) -> list[Run]:
        cfg = self.cfg
        if cfg.warmup > 0:
            for t in targets:
                log(f"  warm-up {t.label} ({cfg.warmup} s)")
                self.warmups.append(self.wrk(workload, t, cfg.warmup, 0))
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
                             timeout=900)
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


def guarded(b: Bench, n: int, fn: Callable[[], None]) -> None:
    """Run one workload; a failure is reported in the tables' notes and the other workloads still run."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the harness must finish and say what it could not measure
        message = f"({n}) not measured: {type(exc).__name__}: {str(exc)[:600]}"
        log(message)
        b.notes.append(message)
