"""Workload (6)'s floor: where a write's CPU goes, one request at a time, in-process.

    .venv/bin/python bench/write_floor.py [--requests 3000] [--warmup 300] [--rounds 3]

Needs what ``bench/run`` leaves: the private cluster running (``BENCH_KEEP_PG=1``)
with ``qonys_bench`` filled, and ``bench/.data/secret``.

It prepares a database like workload 6 (``harness.writes.prepare`` and
``build_requests``: the same mix of check results, submissions and payments).
Each round copies it once per server (``CREATE DATABASE … TEMPLATE``) and sends
each server in turn (raw first every other round) the same requests one at a time, straight to its ASGI application in a process of
its own: no socket, no HTTP parser, no other request at the same time. Every
request must succeed. Measured after the warm-up, in CPU time (utime + stime):

- **whole**: the application's call, from the request's bytes to the response's;
- **transaction and service** (Qonys): the part inside
  ``api.graphql.mutations.base.run``: the session, the connection, BEGIN, the
  service's statements and COMMIT. What would remain of Qonys's server CPU if
  HTTP, authentication and GraphQL execution cost nothing;
- **statements**: the SQLAlchemy statements executed inside it;
- **PostgreSQL**: the private cluster's CPU (its postmaster's process tree) over
  the same requests.

Each round ends with its ceiling: raw's CPU a write (server + PostgreSQL) divided by
Qonys's transaction and service plus its PostgreSQL. On a machine whose CPU both
share, no change around the service (HTTP, authentication, GraphQL) can take
Qonys's write throughput past that ratio of raw's. Prints ``BENCH_JSON {...}``
with the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness.common import ROOT, VENV_BIN, Config  # noqa: E402
from harness.procs import tree_cpu  # noqa: E402
from harness.writes import DOCS, MIX, admin, build_requests, prepare, succeeded  # noqa: E402

BASE = "qonys_bench_floor"


def postmaster() -> int:
    return int((BENCH / ".data" / "pg" / "postmaster.pid").read_text().split()[0])


def scope_for(app: Any, path: str, body: bytes, auth: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "app": app,
            "headers": [(b"content-type", b"application/json"), (b"authorization", auth.encode()),
                        (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80)}


async def call(app: Any, path: str, body: bytes, auth: str) -> tuple[int, Any]:
    """One request straight to the ASGI application: (status, decoded body)."""
    messages: list[dict[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope_for(app, path, body, auth), receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload.decode(errors="replace")


async def measure_one(server: str, db: str, requests_file: Path, warmup: int) -> dict[str, Any]:
    """Runs in a child process: one server's application on ``db``."""
    cfg = Config()
    requests = json.loads(requests_file.read_text())
    inside = {"cpu": 0.0, "statements": 0}
    if server == "qonys":
        os.environ.update(QONYS_DATABASE_URL=cfg.qonys_url(db), QONYS_ENV="production", QONYS_SECRET_KEY=cfg.secret)
        from sqlalchemy import event

        import api.graphql.mutations.base as base
        from server.app import create_app

        app = create_app()
        counting = False

        @event.listens_for(app.state.engine.sync_engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            if counting:
                inside["statements"] += 1

        run = base.run

        async def timed_run(*args: Any, **kwargs: Any) -> Any:
            nonlocal counting
            start, counting = time.process_time(), True
            try:
                return await run(*args, **kwargs)
            finally:
                counting = False
                inside["cpu"] += time.process_time() - start

        base.run = timed_run  # Payload.respond looks it up at each call
        paths = dict.fromkeys(DOCS, "/graphql")
    else:
        os.environ.update(BENCH_RAW_DSN=cfg.dsn(db), QONYS_SECRET_KEY=cfg.secret)
        import raw_server

        app = raw_server.app
        paths = {kind: f"/w6/{kind}" for kind in DOCS}
    bodies = [(paths[r["kind"]], json.dumps({"query": DOCS[r["kind"]], "variables": r["variables"]}).encode(),
               r["auth"]) for r in requests]
    pg = postmaster()
    failed: list[str] = []
    async with app.router.lifespan_context(app):
        for i, (path, body, auth) in enumerate(bodies):
            if i == warmup:
                inside.update(cpu=0.0, statements=0)
                cpu0, pg0 = time.process_time(), tree_cpu(pg)
            status, answer = await call(app, path, body, auth)
            if not succeeded(status, answer):
                failed.append(f"request {i} ({requests[i]['kind']}): {status} {str(answer)[:300]}")
        cpu, pg_cpu = time.process_time() - cpu0, tree_cpu(pg) - pg0
    n = len(bodies) - warmup
    return {"server": server, "writes": n, "failed": failed, "whole_ms": cpu / n * 1000,
            "inside_ms": inside["cpu"] / n * 1000 if server == "qonys" else None,
            "statements": inside["statements"] / n if server == "qonys" else None, "pg_ms": pg_cpu / n * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", choices=("qonys", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # the child
        print("BENCH_ONE " + json.dumps(asyncio.run(measure_one(args.one, args.db, args.file, args.warmup))))
        return
    cfg = Config()
    if not cfg.secret:
        cfg.secret = os.environ["QONYS_SECRET_KEY"] = (BENCH / ".data" / "secret").read_text().strip()
    env = {**os.environ, "QONYS_DATABASE_URL": cfg.qonys_url(BASE), "QONYS_ENV": "production",
           "QONYS_SECRET_KEY": cfg.secret}

    def cli(*words: str) -> str:
        out = subprocess.run([str(VENV_BIN / "qonys"), *words], env=env, cwd=ROOT, capture_output=True, text=True,
                             check=True)
        return out.stdout.strip().splitlines()[-1]

    copies = {"qonys": f"{BASE}_qonys", "raw": f"{BASE}_raw"}
    asyncio.run(admin(cfg, f'DROP DATABASE IF EXISTS "{BASE}" WITH (FORCE)',
                      f'CREATE DATABASE "{BASE}" TEMPLATE "{cfg.db}"'))
    rounds: list[dict[str, Any]] = []
    try:
        key = cli("agency-key", "create", cfg.feed_agency, "--label", "bench-floor")
        token = cli("token", "--role", "OFFICER", "--subject", "bench-floor", "--ttl-minutes", "120")
        checks = sum(1 for i in range(args.requests) if MIX[i % len(MIX)] == "C")
        plan = asyncio.run(prepare(cfg, BASE, cfg.feed_agency, checks))
        requests = build_requests(plan, args.requests, key, token)
        file = BENCH / ".data" / "floor-requests.json"
        file.write_text(json.dumps([{"kind": r.kind, "auth": r.auth, "variables": r.variables} for r in requests]))
        for k in range(args.rounds):  # each round on fresh copies, the servers in turn (raw first every other round)
            asyncio.run(admin(cfg, *[s for db in copies.values() for s in (
                f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}" TEMPLATE "{BASE}"')]))
            results = {}
            for server in sorted(copies, reverse=k % 2 == 1):
                results[server] = one(server, copies[server], file, args.warmup, cfg.secret)
            rounds.append(summary(results["qonys"], results["raw"]))
            print_round(k + 1, rounds[-1])
    finally:
        asyncio.run(admin(cfg, *[f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in [BASE, *copies.values()]]))
    ceilings = sorted(r["ceiling"] for r in rounds)
    each = " / ".join(f"{r['ceiling']:.2f}" for r in rounds)
    print(f"ceiling, round by round: {each} "
          f"(median {ceilings[len(ceilings) // 2]:.2f})")
    print("BENCH_JSON " + json.dumps({"requests": args.requests, "warmup": args.warmup, "rounds": rounds}))


def one(server: str, db: str, file: Path, warmup: int, secret: str) -> dict[str, Any]:
    """``measure_one`` in a process of its own; every request must have succeeded."""
    out = subprocess.run([sys.executable, __file__, "--one", server, "--db", db, "--file", str(file),
                          "--warmup", str(warmup)], env={**os.environ, "QONYS_SECRET_KEY": secret},
                         capture_output=True, text=True, cwd=ROOT)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_ONE ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"{server} failed:\n{out.stderr[-3000:]}")
    result = json.loads(line.removeprefix("BENCH_ONE "))
    if result["failed"]:
        raise SystemExit(f"{server}: {len(result['failed'])} requests failed, first: {result['failed'][0]}")
    return result


def summary(q: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    raw_total, qonys_total = r["whole_ms"] + r["pg_ms"], q["whole_ms"] + q["pg_ms"]
    return {"qonys": q, "raw": r, "by_cpu": raw_total / qonys_total,
            "ceiling": raw_total / (q["inside_ms"] + q["pg_ms"])}


def print_round(k: int, s: dict[str, Any]) -> None:
    q, r = s["qonys"], s["raw"]
    print(f"round {k}: {q['writes']:,} writes a server, one at a time, CPU ms a write")
    print(f"  raw:   server {r['whole_ms']:.2f} + PostgreSQL {r['pg_ms']:.2f} = {r['whole_ms'] + r['pg_ms']:.2f}")
    print(f"  Qonys: server {q['whole_ms']:.2f} (the transaction and the service {q['inside_ms']:.2f}, "
          f"{q['statements']:.2f} statements; the rest {q['whole_ms'] - q['inside_ms']:.2f}) "
          f"+ PostgreSQL {q['pg_ms']:.2f} = {q['whole_ms'] + q['pg_ms']:.2f}")
    print(f"  Qonys ÷ raw by CPU a write {s['by_cpu']:.2f}; ceiling with nothing around the service {s['ceiling']:.2f}")


if __name__ == "__main__":
    main()
