"""Workloads (4) and (5): the service functions, timed directly in Python.

Always run on a throwaway copy of the bench database (``bench/load.py`` makes it
with ``CREATE DATABASE … TEMPLATE qonys_bench`` and drops it afterwards): the
preparation rewrites statuses, routes and regions, and the workloads write.

    python bench/services_bench.py selection --url postgresql+asyncpg://…/copy --applications 100000
    python bench/services_bench.py rescore   --url postgresql+asyncpg://…/copy --applications 100000 --timeout 180

selection — ``services.quotas.run_selection_round`` on the largest KANDAS quota,
    with ``--seats`` seats left in it (its capacity is set to what is used plus
    that), after making the first N applications (by id) PASSED KANDAS applications for
    that quota's region, submitted within the quota's year, each with a score and
    a questionnaire (rows the demo data lacks are added: scores and family sizes
    are what the round reads). A dry run first, then the real round, each in one
    transaction; the real round is timed with its commit. Reports the candidates,
    the approved, the passed over (ranked above the last approved one, family did
    not fit) and the candidates ranked below the last approved one.
rescore — ``services.rescore.rescore_all`` after publishing a new model in force
    today (the default definition under a new version) so that the first N
    applications, made PASSED or FAILED with a score, are all candidates. Timed
    until it returns or ``--timeout`` seconds pass; then the rate is the committed
    batches over the time they took.

Prints one line ``BENCH_JSON {...}``; ``{"available": false, "reason": ...}`` when
the service function does not exist (yet).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402


def emit(result: dict[str, Any]) -> None:
    result.setdefault("available", True)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("BENCH_JSON " + json.dumps(result, default=str), flush=True)


def unavailable(reason: str) -> None:
    print("BENCH_JSON " + json.dumps({"available": False, "reason": reason}), flush=True)


def make_engine(url: str) -> Any:
    from core.settings import Settings
    from core.db import create_engine

    secret = os.environ.get("QONYS_SECRET_KEY") or "bench-secret-" + "x" * 32
    settings = Settings(database_url=url, secret_key=secret, statement_timeout_ms=600_000)
    return create_engine(settings)


PICK = "CREATE TEMP TABLE pick AS SELECT id FROM application ORDER BY id LIMIT :n"

MISSING_SCORES = """
INSERT INTO score (application_id, scoring_model_id, model_version, total, max_total, pass_mark, passed, result,
                   rendered_gates, rendered_breakdown, computed_at)
SELECT p.id, m.id, m.version, p.id % 700, 1000, m.pass_mark, p.id % 700 >= m.pass_mark,
       jsonb_build_object('total', p.id % 700, 'maxTotal', 1000, 'passMark', m.pass_mark,
                          'passed', p.id % 700 >= m.pass_mark, 'gates', '[]'::jsonb, 'breakdown', '[]'::jsonb),
       '[]', '[]', now()
FROM pick p CROSS JOIN LATERAL (
  SELECT id, version, pass_mark FROM scoring_model WHERE status = 'PUBLISHED'
  ORDER BY effective_from DESC, id DESC LIMIT 1) m
WHERE NOT EXISTS (SELECT 1 FROM score s WHERE s.application_id = p.id)"""

MISSING_QUESTIONNAIRES = """
INSERT INTO questionnaire (application_id, education_level, work_experience_years, occupation_id, family_size,
                           russian, english, relatives_in_kazakhstan, prior_stay_in_kazakhstan, criminal_record,
                           deported_before, savings, submitted_at)
SELECT p.id, 'SECONDARY', 5, NULL, 1 + p.id % 5, 'BASIC', 'NONE', false, false, false, false, 0, now()
FROM pick p WHERE NOT EXISTS (SELECT 1 FROM questionnaire q WHERE q.application_id = p.id)"""


async def prepare(engine: Any, statements: list[tuple[str, dict[str, Any]]]) -> None:
    """Run the preparation in one transaction (the temp table ``pick`` lives in it), then ANALYZE."""
    async with engine.begin() as conn:
        for sql, params in statements:
            await conn.execute(text(sql), params)
        for table in ("application", "score", "questionnaire"):
            await conn.execute(text(f"ANALYZE {table}"))


async def selection(url: str, n: int, seats: int) -> None:
    try:
        from services.quotas import run_selection_round
    except ImportError as exc:
        unavailable(f"services.quotas.run_selection_round is not available ({exc})")
        return
    from core.db import session_factory, transaction
    from services.viewer import Viewer

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            quota = (await conn.execute(text(
                "SELECT id, region_id, year, capacity, used FROM quota WHERE kind = 'KANDAS' "
                "ORDER BY capacity DESC, id LIMIT 1"))).first()
        if quota is None:
            unavailable("the database has no KANDAS quota (run `qonys seed`)")
            return
        year_end = dt.datetime(quota.year + 1, 1, 1, tzinfo=dt.timezone.utc) - dt.timedelta(days=2)
        t0 = time.perf_counter()
        await prepare(engine, [
            # Seats to give: the demo data may have filled the quota already.
            ("UPDATE quota SET capacity = used + :seats WHERE id = :id", {"seats": seats, "id": quota.id}),
            (PICK, {"n": n}),
            (MISSING_SCORES, {}),
            (MISSING_QUESTIONNAIRES, {}),
            ("UPDATE application a SET route = 'KANDAS', status = 'PASSED', target_region_id = :region, "
             "submitted_at = LEAST(a.submitted_at, :year_end) FROM pick p WHERE a.id = p.id",
             {"region": quota.region_id, "year_end": year_end}),
        ])
        prepare_s = time.perf_counter() - t0
        async with engine.connect() as conn:
            candidates = (await conn.execute(text(
                "SELECT count(*) FROM application a JOIN score s ON s.application_id = a.id "
                "JOIN questionnaire q ON q.application_id = a.id WHERE a.route = 'KANDAS' AND a.status = 'PASSED' "
                "AND a.target_region_id = :region"), {"region": quota.region_id})).scalar_one()
        sessions = session_factory(engine)
        officer = Viewer(subject="bench", role="OFFICER")
        t0 = time.perf_counter()
        async with transaction(sessions) as session:
            dry = await run_selection_round(session, officer, quota_id=quota.id, dry_run=True)
        dry_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        async with transaction(sessions) as session:
            real = await run_selection_round(session, officer, quota_id=quota.id, dry_run=False)
        round_s = time.perf_counter() - t0
        emit({"quota_id": quota.id, "capacity": quota.used + seats, "used_before": quota.used,
              "candidates": candidates, "round_candidates": getattr(real, "candidates", None),
              "approved": len(real.picks),
              # passed over: families ranked above the last approved one that did not fit;
              # ranked below: the rest of the candidates, below the last approved one.
              "passed_over": len(real.passed_over), "ranked_below": getattr(real, "ranked_below", None),
              "dry_run_approved": len(dry.picks), "prepare_s": round(prepare_s, 2), "dry_run_s": dry_s,
              "round_s": round_s})
    finally:
        await engine.dispose()


async def rescore(url: str, n: int, timeout: float, batch_size: int) -> None:
    try:
        from services.rescore import rescore_all
    except ImportError as exc:
        unavailable(f"services.rescore.rescore_all is not available ({exc})")
        return
    from models.base import today_almaty
    from core.db import session_factory, transaction
    from services.default_model import DEFAULT_MODEL_DEFINITION
    from services.scoring_models import create_scoring_model, publish_scoring_model
    from services.viewer import SYSTEM

    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        await prepare(engine, [
            (PICK, {"n": n}),
            (MISSING_SCORES, {}),
            ("UPDATE application a SET status = CASE WHEN s.passed THEN 'PASSED' ELSE 'FAILED' END "
             "FROM pick p, score s WHERE a.id = p.id AND s.application_id = a.id", {}),
            ("UPDATE application SET status = 'REJECTED' WHERE status IN ('PASSED', 'FAILED') "
             "AND id NOT IN (SELECT id FROM pick)", {}),
        ])
        sessions = session_factory(engine)
        on = today_almaty()
        async with transaction(sessions) as session:
            model = await create_scoring_model(session, SYSTEM, version=f"bench-{int(time.time())}",
                                               effective_from=on, definition=DEFAULT_MODEL_DEFINITION)
            await publish_scoring_model(session, SYSTEM, model_id=model.id)
            model_id = model.id
        prepare_s = time.perf_counter() - t0
        async with engine.connect() as conn:
            candidates = (await conn.execute(text(
                "SELECT count(*) FROM application a JOIN score s ON s.application_id = a.id "
                "WHERE a.status IN ('PASSED', 'FAILED') AND s.scoring_model_id <> :m"), {"m": model_id})).scalar_one()
        marks: list[tuple[float, int]] = []
        t0 = time.perf_counter()

        def progress(done: int, total: int) -> None:
            marks.append((time.perf_counter() - t0, done))

        stopped = False
        try:
            done = await asyncio.wait_for(
                rescore_all(sessions, SYSTEM, model_id=model_id, batch_size=batch_size, progress=progress, on=on),
                timeout)
            seconds = time.perf_counter() - t0
        except TimeoutError:
            stopped = True
            seconds, done = marks[-1] if marks else (timeout, 0)
        emit({"candidates": candidates, "rescored": done, "seconds": seconds,
              "per_second": done / seconds if seconds else 0.0, "stopped_early": stopped,
              "batch_size": batch_size, "prepare_s": round(prepare_s, 2),
              "note": (f"Stopped after {timeout:.0f} s (BENCH_SERVICE_TIMEOUT); the rate is over the batches "
                       "committed by then." if stopped else "")})
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=("selection", "rescore"))
    parser.add_argument("--url", required=True, help="postgresql+asyncpg:// URL of a THROWAWAY copy")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--seats", type=int, default=1000, help="selection: seats left in the quota for the round")
    args = parser.parse_args()
    if args.workload == "selection":
        asyncio.run(selection(args.url, args.applications, args.seats))
    else:
        asyncio.run(rescore(args.url, args.applications, args.timeout, args.batch_size))


if __name__ == "__main__":
    main()
