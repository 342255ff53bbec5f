"""Runs the servers and the load, and prints the result tables (``bench/run`` calls it).

Workloads (see bench/README.md):

1. the officers' list: 50 applications with everything, over many cursors: Qonys, PostGraphile, raw;
2. the agencies' feed: 100 checks a page, first page and deep pages in a 1,000,000-check table: Qonys, raw;
3. one application by id with everything: Qonys, PostGraphile, raw;
4. a selection round over 100,000 PASSED applications (service function, on a copy of the database);
5. re-scoring 100,000 applications (service function, on a copy of the database);
6. writes: check results, submissions and support payments at 16 connections, Qonys and raw endpoints
   doing the same writes (each on a copy of the database of its own), then check-integrity on both.

For (1)–(3) and (6) wrk runs with 16 connections on loopback: a warm-up per server, then
rounds that alternate the order of the servers; ratios are taken within a round.
Every number is read by this script: wrk's requests and latency percentiles,
the server's CPU time (utime+stime from /proc/<pid>/stat before and after),
PostgreSQL's CPU time (the private cluster's postmaster and its children), the
server's peak VmRSS while loaded, and the rest of the machine's CPU use.

Configuration comes from the environment (bench/run sets it); see ``Config``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's own modules (the cursor format)

from harness.common import BENCH, NODE, ROOT, Config, log  # noqa: E402
from harness.feed import phase_feed  # noqa: E402
from harness.measure import Bench, guarded  # noqa: E402
from harness.procs import stat_fields  # noqa: E402
from harness.reads import phase_reads  # noqa: E402
from harness.report import report  # noqa: E402
from harness.services import phase_services  # noqa: E402
from harness.writes import phase_writes  # noqa: E402


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
                             and (f := stat_fields(int(e))) and int(f[1]) == b.postmaster]
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except OSError:
            pass
    b.facts["nice"] = nice


def main() -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
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
    if cfg.wants(6):
        guarded(b, 6, lambda: phase_writes(b))
    if cfg.nice:
        prioritise_cluster(b, 0)  # back to normal
    b.facts["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    text = report(b)
    (run_dir / "results.md").write_text(text + "\n")
    (run_dir / "results.json").write_text(json.dumps(
        {"config": {k: str(v) for k, v in asdict(cfg).items() if k != "secret"}, "facts": b.facts,
         "runs": [asdict(r) for r in b.runs], "services": b.services, "feed_one_connection": b.sequential, "writes": b.writes, "checks": b.checks,
         "notes": b.notes},
        indent=2, default=str) + "\n")
    shutil.copyfile(run_dir / "results.md", cfg.results / "latest.md")
    print(text)
    log(f"saved {run_dir / 'results.md'} (and results.json, logs/); bench/results/latest.md is a copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
