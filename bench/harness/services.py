"""Workloads (4) a selection round and (5) re-scoring: ``services_bench.py`` on a copy of the database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess

import asyncpg

from harness.common import BENCH, ROOT, VENV_BIN, log
from harness.measure import Bench
from harness.procs import tree_cpu


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
