"""Workload (2) the agencies' feed: the first page and deep pages, Qonys and raw."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time

import httpx

from harness.common import QUERIES, log
from harness.graphql import first_difference, gql, shuffled
from harness.measure import Bench, Target
from harness.servers import qonys_server, qonys_workers_server, raw_server


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
    b.workers = qonys_workers_server(cfg, cfg.feed_db, b.run_dir)
    running = [*servers, *([b.workers] if b.workers else [])]
    try:
        for s in running:
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
        q_first, q_deep = Target("Qonys first page", qonys, q_url, first_q, auth), \
            Target("Qonys deep page", qonys, q_url, deep_q, auth)
        targets = [
            q_first, q_deep, *b.beside(q_first), *b.beside(q_deep),
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
        for s in running:
            s.stop()
        b.live.clear()
        b.workers = None
