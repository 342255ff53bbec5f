"""``bench/integrity``: how long ``qonys check-integrity`` takes on a large register.

A private PostgreSQL database (``qonys_bench_integrity`` on 127.0.0.1:5432 by
default) is migrated, seeded and filled by ``qonys demo-data`` (100,000
applications by default), then ANALYZEd as autovacuum would after a bulk load.
Each check of ``services.integrity.CHECKS`` is timed on its own, in a read-only
transaction, ``--repeat`` times (the first run, and the median of all), and then
the command itself, end to end (a new process, as an operator runs it). The
database is dropped at the end unless ``--keep``; ``--reuse`` times an existing
one as it is. Exits 1 when the check finds a violation (demo data prove clean)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Database, log, new_secret, prepare, qonys  # noqa: E402


async def time_checks(db: Database, repeat: int) -> tuple[dict[str, list[float]], dict[str, int], int]:
    """Seconds of each check, run ``repeat`` times; row counts; violations found."""
    import sqlalchemy as sa

    from core.db import create_engine, session_factory
    from core.settings import load_settings
    from services import integrity

    engine = create_engine(load_settings(database_url=db.url))
    sessions = session_factory(engine)
    times: dict[str, list[float]] = {one.__name__: [] for one in integrity.CHECKS}
    found = 0
    try:
        async with sessions() as session:
            counts = {table: (await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
                      for table in ("application", "audit_event", "social_contract", "support_payment",
                                    "contract_termination", "quota", "selection_round_approval", "work_permit")}
        for run in range(repeat):
            for one in integrity.CHECKS:
                async with sessions() as session:
                    started = time.perf_counter()
                    violations = await one(session)
                    times[one.__name__].append(time.perf_counter() - started)
                    await session.rollback()
                if run == 0:
                    found += len(violations)
    finally:
        await engine.dispose()
    return times, counts, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--database", default="qonys_bench_integrity")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time the existing database as it is (no fill)")
    args = parser.parse_args()
    db = Database.of("postgres", args.database, Path("."))
    secret = new_secret()
    fill = None
    if not args.reuse:
        fill = prepare(db, secret, args.applications)
        log(f"filled in {fill:.1f} s; ANALYZE")
        asyncio.run(_analyze(db))
    try:
        times, counts, found = asyncio.run(time_checks(db, args.repeat))
        started = time.perf_counter()
        done = qonys(db, secret, "check-integrity", check=False)
        command = time.perf_counter() - started
    finally:
        if not args.keep and not args.reuse:
            db.drop()
    print(f"check-integrity on {db.name} (PostgreSQL): " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    if fill is not None:
        print(f"demo-data fill of {args.applications:,} applications: {fill:.1f} s")
    print(f"{'check':<20} {'first s':>9} {'median s':>9}   (of {args.repeat} runs, one transaction each)")
    firsts, medians = [], []
    for name, runs in times.items():
        firsts.append(runs[0])
        medians.append(statistics.median(runs))
        print(f"{name:<20} {runs[0]:>9.3f} {medians[-1]:>9.3f}")
    print(f"{'all checks':<20} {sum(firsts):>9.3f} {sum(medians):>9.3f}")
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"qonys check-integrity (a new process, end to end): {command:.2f} s, exit {done.returncode}: {last}")
    if found or done.returncode != 0:
        print(f"VIOLATIONS: {found}")
        return 1
    return 0


async def _analyze(db: Database) -> None:
    import asyncpg

    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
