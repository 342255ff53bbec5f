"""``bench/crash_drill``: the API is killed with SIGKILL under a write load, and
nothing it acknowledged is lost.

1. a fresh database (PostgreSQL ``qonys_crash_drill`` on 127.0.0.1:5432, or a
   SQLite file), migrated, seeded and filled with ``--applications`` of demo data
   (contracts to pay and terminate, PASSED families for the rounds);
2. the API (``uvicorn server.asgi:app``, one process, ``QONYS_ENV=production``);
3. ``--connections`` clients (16) send mutations for ``--seconds``
   (submissions, checks requested, check results with the GPO agency's key,
   support payments, terminations, selection rounds; ``load.py``), keeping what
   every acknowledged one wrote;
4. in the middle (``--kills`` times, evenly spread) the API process gets SIGKILL
   and is started again at once; the clients carry on (what was in flight fails);
5. at the end: ``qonys check-integrity`` must find nothing, and every acknowledged
   mutation (HTTP 200, no GraphQL error, no error in its payload) must be in the
   database with its audit event, looked up by SQL.

Prints a summary and exits 1 on any loss or violation."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH,
    Database,
    api_server,
    arguments,
    credentials,
    kill,
    log,
    new_secret,
    prepare,
    qonys,
)
from traffic import Ack, Load, load_pools  # noqa: E402

CHUNK = 500


async def _rows(session: Any, stmt: Any, column: Any, ids: list[Any]) -> list[Any]:
    """``stmt`` for ``column`` in ``ids``, a chunk at a time."""
    out: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        out += (await session.execute(stmt.where(column.in_(ids[start:start + CHUNK])))).all()
    return out


async def verify(url: str, acks: list[Ack]) -> dict[str, tuple[int, int, list[str]]]:
    """Per kind: (acknowledged, found with its audit event, a few of the missing)."""
    import sqlalchemy as sa

    import models as m
    from core.db import create_engine, session_factory
    from core.settings import load_settings

    by_kind: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for a in acks:
        by_kind[a.kind].append(a.key)
    e = m.AuditEvent

    def audited(action: str, entity_type: str, key: Any = None) -> Any:
        cols = [e.entity_id] + ([e.changes[key].as_integer()] if key else [])
        return sa.select(*cols).where(e.action == action, e.entity_type == entity_type)

    engine = create_engine(load_settings(database_url=url))
    result: dict[str, tuple[int, int, list[str]]] = {}
    try:
        async with session_factory(engine)() as s:
            for kind, keys in sorted(by_kind.items()):
                missing: list[str] = []
                if kind == "submit":
                    ids = [k[0] for k in keys]
                    rows = {r[0] for r in await _rows(s, sa.select(m.Application.id), m.Application.id, ids)}
                    events = {r[0] for r in await _rows(s, audited("application.submit", "application"), e.entity_id,
                                                        ids)}
                    missing = [f"application {i}" for i in ids if i not in rows or i not in events]
                elif kind == "request_checks":
                    apps = [k[0] for k in keys]
                    checks = [c for k in keys for c in k[1]]
                    rows = {r[0] for r in await _rows(s, sa.select(m.Check.id), m.Check.id, checks)}
                    events = {r[0] for r in await _rows(
                        s, audited("application.request_checks", "application"), e.entity_id, apps)}
                    missing = [f"checks of application {a}" for a, cs in keys
                               if a not in events or not set(cs) <= rows or not cs]
                elif kind == "check_result":
                    ids = [k[0] for k in keys]
                    rows = {r[0]: r[1] for r in await _rows(s, sa.select(m.Check.id, m.Check.status), m.Check.id, ids)}
                    events = {r[1] for r in (await s.execute(
                        audited("application.check_result", "application", "checkId"))).all()}
                    missing = [f"check {c} {status}" for c, status in keys
                               if getattr(rows.get(c), "value", rows.get(c)) != status or c not in events]
                elif kind == "payment":
                    contracts = sorted({k[0] for k in keys})
                    rows = {(r[1], r[2]): r[0] for r in await _rows(s, sa.select(
                        m.SupportPayment.id, m.SupportPayment.contract_id, m.SupportPayment.amount),
                        m.SupportPayment.contract_id, contracts)}
                    events = {(r[0], r[1]) for r in await _rows(
                        s, audited("contract.support_payment", "social_contract", "paymentId"), e.entity_id, contracts)}
                    missing = [f"payment {amount} on contract {c}" for c, amount in keys
                               if (c, rows.get((c, amount))) not in events]
                elif kind == "terminate":
                    ids = [k[0] for k in keys]
                    rows = {r[0] for r in await _rows(s, sa.select(m.ContractTermination.contract_id),
                                                      m.ContractTermination.contract_id, ids)}
                    events = {r[0] for r in await _rows(s, audited("contract.terminate", "social_contract"),
                                                        e.entity_id, ids)}
                    missing = [f"termination of contract {c}" for c in ids if c not in rows or c not in events]
                elif kind == "round":
                    ids = [k[0] for k in keys]
                    rows = {r[0] for r in await _rows(s, sa.select(m.SelectionRound.id), m.SelectionRound.id, ids)}
                    events = {r[0] for r in await _rows(s, audited("selection_round.run", "selection_round"),
                                                        e.entity_id, ids)}
                    missing = [f"selection round {i}" for i in ids if i not in rows or i not in events]
                result[kind] = (len(keys), len(keys) - len(missing), missing[:5])
    finally:
        await engine.dispose()
    return result


async def drive(load: Load, server: Any, seconds: float, connections: int, kills: int) -> list[str]:
    """The load, with the API killed and restarted ``kills`` times; what happened when."""
    started = time.perf_counter()
    events: list[str] = []

    async def killer() -> None:
        for n in range(1, kills + 1):
            await asyncio.sleep(max(0.0, started + seconds * n / (kills + 1) - time.perf_counter()))
            at = time.perf_counter() - started
            pid = kill(server)
            log(f"SIGKILL to the API (pid {pid}) at {at:.1f} s")
            await asyncio.to_thread(server.start)
            back = time.perf_counter() - started
            events.append(f"SIGKILL at {at:.1f} s (pid {pid}); serving again at {back:.1f} s (pid {server.pid}), "
                          f"{back - at:.1f} s later")

    await asyncio.gather(load.run(seconds, connections, started=started), killer())
    return events


def main() -> int:
    parser = arguments(__doc__, seconds=75, applications=3000, name="qonys_crash_drill", port=8111)
    parser.add_argument("--kills", type=int, default=1)
    args = parser.parse_args()

    work = BENCH / ".data" / "drills"
    db = Database.of(args.database, args.name, work)
    secret = new_secret()
    fill = prepare(db, secret, args.applications)
    officer, agency = credentials(db, secret)
    pools = asyncio.run(load_pools(db.url))
    server = api_server(db, secret, args.port, work / f"crash-drill-{args.database}.log")
    server.start()
    load = Load(f"http://127.0.0.1:{args.port}", officer, agency, pools)
    try:
        log(f"load: {args.connections} connections for {args.seconds:.0f} s, {args.kills} kill(s)")
        events = asyncio.run(drive(load, server, args.seconds, args.connections, args.kills))
    finally:
        server.stop()
    integrity = qonys(db, secret, "check-integrity", check=False)
    found = asyncio.run(verify(db.url, load.acks))
    if not args.keep:
        db.drop()

    acked = sum(n for n, _, _ in found.values())
    verified = sum(v for _, v, _ in found.values())
    lines = [f"crash drill on {'PostgreSQL' if db.kind == 'postgres' else 'SQLite'}: {args.seconds:.0f} s, "
             f"{args.connections} connections, demo fill of {args.applications:,} applications ({fill:.1f} s)"]
    lines += events or ["no kill"]
    lines.append(f"mutations sent: {sum(load.sent.values()):,}; acknowledged {acked:,}; refused "
                 f"{sum(load.refused.values()):,} (a business answer: nothing written); failed "
                 f"{sum(load.failed.values()):,} (no answer or an error: e.g. in flight at the kill); "
                 f"not sent while the API was down: {load.unsent:,}")
    lines.append(f"{'kind':<16}{'sent':>8}{'acked':>8}{'verified':>10}{'refused':>9}{'failed':>8}")
    for kind in sorted(load.sent):
        n, v, _ = found.get(kind, (0, 0, []))
        lines.append(f"{kind:<16}{load.sent[kind]:>8}{n:>8}{v:>10}{load.refused[kind]:>9}{load.failed[kind]:>8}")
    lines.append(f"verified in the database with their audit event: {verified:,} of {acked:,}")
    for kind, (_, _, missing) in found.items():
        for what in missing:
            lines.append(f"MISSING ({kind}): {what}")
    last = (integrity.stdout.strip().splitlines() or ["(no output)"])[-1]
    lines.append(f"check-integrity: exit {integrity.returncode}: {last}")
    if integrity.returncode != 0:
        lines += integrity.stdout.strip().splitlines()[:20]
    lines += [f"  {what}: {detail}" for what, details in sorted(load.samples.items()) for detail in details]
    ok = verified == acked and integrity.returncode == 0 and acked > 0
    lines.append("RESULT: " + ("PASS: nothing acknowledged was lost" if ok else "FAIL"))
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
