"""``bench/soak``: one API process under a steady mixed load for a long while —
does it leak memory or connections, or slow down?

A fresh database (PostgreSQL ``qonys_soak`` on 127.0.0.1:5432, or a SQLite
file) with ``--applications`` of demo data; the API (``uvicorn server.asgi:app``,
one process, ``QONYS_ENV=production``); ``--connections`` clients (16) for
``--seconds`` (600; ``SOAK_SECONDS`` too), ``--read-share`` of the requests
reads (the officers' list, one application, the agency's feed, the contracts)
and the rest mutations (as in the crash drill). Every 2 s the server's RSS and
the database's connections (``pg_stat_activity``) are sampled; latencies are
kept per window (a minute; a third of the run when it is shorter than three).

The targets (exit 1 when one is missed): no errors (no answer, a status other
than 200, or a GraphQL error; business refusals are counted apart); RSS at the
end within 10 % of RSS after the first window (the warm-up); connections at the
end within max(2, 10 %) of those after warm-up; p99 of the last window at most
1.5× the first's."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, Database, api_server, arguments, credentials, log, new_secret, prepare, rss_mb  # noqa: E402
from traffic import Load, load_pools  # noqa: E402

SAMPLE_EVERY = 2.0


def p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def sample(db: Database, pid: int, seconds: float, started: float, into: list[tuple[float, float, int | None]]
                 ) -> None:
    """(seconds since start, RSS MB, connections to the database) every SAMPLE_EVERY s."""
    conn: Any = None
    if db.kind == "postgres":
        import asyncpg

        conn = await asyncpg.connect(db.dsn)
    try:
        while (now := time.perf_counter()) < started + seconds:
            count = None
            if conn is not None:
                count = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                                            "AND pid <> pg_backend_pid()", db.name)
            into.append((now - started, rss_mb(pid), count))
            await asyncio.sleep(SAMPLE_EVERY)
    finally:
        if conn is not None:
            await conn.close()


async def soak(load: Load, db: Database, pid: int, seconds: float, connections: int
               ) -> list[tuple[float, float, int | None]]:
    samples: list[tuple[float, float, int | None]] = []
    started = time.perf_counter()
    await asyncio.gather(load.run(seconds, connections, started=started),
                         sample(db, pid, seconds, started, samples))
    return samples


def main() -> int:
    parser = arguments(__doc__, seconds=float(os.environ.get("SOAK_SECONDS", 600)), applications=5000,
                       name="qonys_soak", port=8112, database="postgres")
    parser.add_argument("--read-share", type=float, default=0.7)
    args = parser.parse_args()
    window = min(60.0, args.seconds / 3)

    work = BENCH / ".data" / "drills"
    db = Database.of(args.database, args.name, work)
    secret = new_secret()
    prepare(db, secret, args.applications)
    officer, agency = credentials(db, secret)
    pools = asyncio.run(load_pools(db.url))
    server = api_server(db, secret, args.port, work / f"soak-{args.database}.log")
    server.start()
    load = Load(f"http://127.0.0.1:{args.port}", officer, agency, pools, read_share=args.read_share)
    try:
        log(f"soak: {args.connections} connections for {args.seconds:.0f} s, windows of {window:.0f} s")
        samples = asyncio.run(soak(load, db, server.pid, args.seconds, args.connections))
        alive = server.proc is not None and server.proc.poll() is None
    finally:
        server.stop()
        if not args.keep:
            db.drop()
    return report(args, window, load, samples, alive)


def report(args: argparse.Namespace, window: float, load: Load, samples: list[tuple[float, float, int | None]],
           alive: bool) -> int:
    windows = max(1, round(args.seconds / window))
    lines = [f"soak on {'PostgreSQL' if args.database == 'postgres' else 'SQLite'}: {args.seconds:.0f} s, "
             f"{args.connections} connections, {args.read_share:.0%} reads, one API process"]
    lines.append(f"{'window':>12}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'RSS MB':>9}{'conns':>7}")
    p99s: list[float | None] = []
    for k in range(windows):
        low, high = k * window, (k + 1) * window if k < windows - 1 else args.seconds + 60
        lat = [d for t, d, _, _ in load.latencies if low <= t < high]
        errors = sum(1 for t, _, ok, _ in load.latencies if low <= t < high and not ok)
        in_window = [s for s in samples if low <= s[0] < high]
        rss = in_window[-1][1] if in_window else None
        conns = in_window[-1][2] if in_window else None
        p50, p99 = p(lat, 0.5), p(lat, 0.99)
        p99s.append(p99)
        lines.append(f"{f'{low:.0f}-{min(high, args.seconds):.0f} s':>12}{len(lat):>10}{errors:>8}"
                     f"{(p50 or 0) * 1000:>9.1f}{(p99 or 0) * 1000:>9.1f}{rss or 0:>9.1f}{conns if conns is not None else '–':>7}")
    by_kind: dict[str, list[float]] = {}
    for _, d, _, kind in load.latencies:
        by_kind.setdefault(kind, []).append(d)
    lines.append("by request: " + ", ".join(f"{kind} {len(ds)} (p50 {(p(ds, 0.5) or 0) * 1000:.0f} ms, p99 "
                                             f"{(p(ds, 0.99) or 0) * 1000:.0f} ms)" for kind, ds in sorted(by_kind.items())))
    errors = sum(load.failed.values()) + load.unsent
    warm = next((s for s in samples if s[0] >= window), samples[0] if samples else (0, 0.0, None))
    end = samples[-1] if samples else warm
    targets: list[tuple[str, bool]] = []
    lines.append(f"requests: {sum(load.sent.values()):,} ({sum(load.acknowledged.values()):,} mutations "
                 f"acknowledged, {sum(load.refused.values()):,} refused by a business rule); errors: {errors}")
    targets.append(("0 errors", errors == 0 and alive))
    rss_ok = end[1] <= warm[1] * 1.10
    lines.append(f"RSS after warm-up {warm[1]:.1f} MB (at {warm[0]:.0f} s), at the end {end[1]:.1f} MB "
                 f"({(end[1] / warm[1] - 1) * 100 if warm[1] else 0:+.1f} %; peak "
                 f"{max((s[1] for s in samples), default=0):.1f} MB)")
    targets.append(("RSS at the end within 10 % of after warm-up", rss_ok))
    if warm[2] is not None and end[2] is not None:
        seen = [s[2] for s in samples if s[2] is not None]
        lines.append(f"database connections after warm-up {warm[2]}, at the end {end[2]} (min {min(seen)}, "
                     f"max {max(seen)})")
        targets.append(("connections stable", abs(end[2] - warm[2]) <= max(2, 0.1 * warm[2])))
    else:
        lines.append("database connections: not sampled (SQLite)")
    first, last = p99s[0], p99s[-1]
    if first and last:
        lines.append(f"p99 first window {first * 1000:.1f} ms, last window {last * 1000:.1f} ms "
                     f"({last / first:.2f}×)")
        targets.append(("p99 last window ≤ 1.5× the first", last <= first * 1.5))
    if not alive:
        lines.append("the API process died during the soak")
    lines += [f"  {what}: {detail}" for what, details in sorted(load.samples.items()) for detail in details]
    for name, ok in targets:
        lines.append(f"target {name}: {'met' if ok else 'MISSED'}")
    passed = all(ok for _, ok in targets)
    lines.append("RESULT: " + ("PASS" if passed else "FAIL"))
    print("\n".join(lines))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
