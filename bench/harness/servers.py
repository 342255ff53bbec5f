"""The three servers under load (Qonys, PostGraphile, raw), started and stopped as subprocesses."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.common import BENCH, NODE, POSTGRAPHILE_CLI, ROOT, VENV_BIN, Config, log
from harness.procs import rss_mb


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

    def start(self, timeout: float = 600) -> None:
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
    if not server.name.startswith("Qonys"):
        return None
    try:
        text = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=10,
                         headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
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


# Production hides /metrics without a token; the harness reads the compiled share there.
METRICS_TOKEN = "bench-metrics"


def qonys_env(cfg: Config, db: str) -> dict[str, str]:
    return {**os.environ, "QONYS_DATABASE_URL": cfg.qonys_url(db), "QONYS_ENV": "production",
            "QONYS_SECRET_KEY": cfg.secret, "QONYS_METRICS_TOKEN": METRICS_TOKEN}


def qonys_server(cfg: Config, db: str, run_dir: Path) -> Server:
    env = qonys_env(cfg, db)
    argv = [str(VENV_BIN / "uvicorn"), "server.asgi:app", "--host", "127.0.0.1", "--port", str(cfg.qonys_port),
            "--workers", "1", "--log-level", "warning", "--no-access-log"]
    return Server("Qonys", argv, env, cfg.qonys_port, _healthz, run_dir / "logs" / f"qonys-{db}.log", nice=cfg.nice)


def qonys_workers_server(cfg: Config, db: str, run_dir: Path) -> Server | None:
    """``qonys serve --workers N`` (the production command: uvicorn's supervisor and N
    worker processes, metrics shared through files), or None when BENCH_QONYS_WORKERS < 2."""
    if cfg.qonys_workers < 2:
        return None
    env = qonys_env(cfg, db)
    argv = [str(VENV_BIN / "qonys"), "serve", "--host", "127.0.0.1", "--port", str(cfg.qonys_workers_port),
            "--workers", str(cfg.qonys_workers), "--no-access-log"]  # as the one process (uvicorn's flag)
    return Server(cfg.workers_label, argv, env, cfg.qonys_workers_port, _healthz,
                  run_dir / "logs" / f"qonys-workers-{db}.log", nice=cfg.nice)


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
