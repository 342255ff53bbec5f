"""Grows ``check_result`` of the FEED copy of the bench database to N checks (workload 2).

The demo data has a handful of checks per application (one per check type, the
unique constraint (application_id, check_type_id) allows no more), so to reach
N = 1,000,000 this adds bench-only check types (codes ``BENCH_NN``, owned in
turn by each agency, not mandatory) and one check of each such type for every
application, with ``updated_at`` spread over the applications' lifetime so that
the feed interleaves them with the demo checks. It runs on the copy that
``bench/run`` makes for the feed (``qonys_bench_feed``), never on
``qonys_bench`` itself, so workloads (1) and (3) see the demo data unchanged.

    python bench/prepare_feed.py postgresql://postgres@127.0.0.1:5499/qonys_bench_feed 1000000

Idempotent: it records the target in ``bench.meta`` and does nothing when the
table already holds N checks or more.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time

import asyncpg


async def main(dsn: str, target: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
        await conn.execute("CREATE TABLE IF NOT EXISTS bench.meta (key text PRIMARY KEY, value text NOT NULL)")
        have = await conn.fetchval("SELECT count(*) FROM check_result")
        apps = await conn.fetchval("SELECT count(*) FROM application")
        if have >= target:
            print(f"check_result already holds {have:,} checks (target {target:,}); nothing to do")
            return
        if apps == 0:
            raise SystemExit("the database has no applications; fill it first")
        need = target - have
        n_types = math.ceil(need / apps)
        agencies = [r[0] for r in await conn.fetch("SELECT id FROM agency ORDER BY id")]
        t0 = time.monotonic()
        async with conn.transaction():
            type_ids = []
            for i in range(1, n_types + 1):
                code = f"BENCH_{i:02d}"
                type_id = await conn.fetchval("SELECT id FROM check_type WHERE code = $1", code)
                if type_id is None:
                    type_id = await conn.fetchval(
                        "INSERT INTO check_type (code, name, agency_id, mandatory, active) "
                        "VALUES ($1, $2, $3, false, true) RETURNING id",
                        code, f"Bench-only check type {i:02d}", agencies[(i - 1) % len(agencies)])
                type_ids.append(type_id)
            added = await conn.execute("""
                INSERT INTO check_result (application_id, check_type_id, status, details, requested_at,
                                          completed_at, updated_at, recorded_by)
                SELECT a.id, t.id,
                       CASE WHEN (a.id + t.id) % 10 = 0 THEN 'REQUESTED'
                            WHEN (a.id + t.id) % 37 = 0 THEN 'FLAGGED' ELSE 'CLEARED' END,
                       CASE WHEN (a.id + t.id) % 37 = 0 THEN 'bench: needs a second look' END,
                       a.submitted_at,
                       CASE WHEN (a.id + t.id) % 10 = 0 THEN NULL
                            ELSE a.submitted_at + ((a.id * 7919 + t.id * 104729) % 1728000) * interval '1 second' END,
                       a.submitted_at + ((a.id * 7919 + t.id * 104729) % 1728000) * interval '1 second'
                                      + (a.id % 1000) * interval '1 millisecond',
                       'bench'
                FROM application a CROSS JOIN unnest($1::int[]) AS t(id)
                WHERE NOT EXISTS (SELECT 1 FROM check_result c WHERE c.application_id = a.id AND c.check_type_id = t.id)
                ORDER BY t.id, a.id
                LIMIT $2""", type_ids, need)
            await conn.execute(
                "INSERT INTO bench.meta (key, value) VALUES ('feed_checks', $1) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", str(target))
        # VACUUM too, so that autovacuum does not wake up for this table during the load.
        await conn.execute("VACUUM ANALYZE check_result")
        await conn.execute("VACUUM ANALYZE check_type")
        total = await conn.fetchval("SELECT count(*) FROM check_result")
        print(f"added {added.split()[-1]} checks of {n_types} bench-only check types in "
              f"{time.monotonic() - t0:.0f} s; check_result now holds {total:,}")
    finally:
        await conn.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
