"""Workloads (1) the officers' list and (3) one application by id: Qonys, PostGraphile and raw."""

from __future__ import annotations

import asyncio
import base64
import statistics
from collections.abc import Callable
from typing import Any

import httpx

from harness.common import QUERIES, log
from harness.graphql import decode_gid, first_difference, gql, shuffled
from harness.measure import Bench, Target, guarded
from harness.servers import Server, postgraphile_server, qonys_server, qonys_workers_server, raw_server


QONYS_WALK = """query Walk($after: String) { applications(first: 50, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id } } } }"""


POSTGRAPHILE_WALK = """query Walk($after: Cursor) {
  allApplications(first: 50, after: $after, orderBy: [SUBMITTED_AT_DESC, ROW_ID_DESC]) {
    pageInfo { hasNextPage endCursor } edges { node { rowId } } } }"""


def walk(client: httpx.Client, url: str, query: str, root: str, pages: int, auth: str | None,
         key: Callable[[dict[str, Any]], int]) -> tuple[list[str | None], list[list[int]]]:
    """The cursors of the first ``pages`` pages (None for the first) and each page's row ids."""
    cursors: list[str | None] = [None]
    ids: list[list[int]] = []
    after = None
    for _ in range(pages):
        conn = gql(client, url, query, {"after": after}, auth)["data"][root]
        ids.append([key(e["node"]) for e in conn["edges"]])
        if not conn["pageInfo"]["hasNextPage"] or len(cursors) == pages:
            break
        after = conn["pageInfo"]["endCursor"]
        cursors.append(after)
    return cursors[: len(ids)], ids


def phase_reads(b: Bench) -> None:
    cfg = b.cfg
    servers = [qonys_server(cfg, cfg.db, b.run_dir), postgraphile_server(cfg, cfg.db, b.run_dir),
               raw_server(cfg, cfg.db, b.run_dir)]
    b.workers = qonys_workers_server(cfg, cfg.db, b.run_dir)
    running = [*servers, *([b.workers] if b.workers else [])]
    token = b.cli(cfg.db, "token", "--role", "OFFICER", "--subject", "bench", "--ttl-minutes", "720")
    auth = f"Bearer {token}"
    try:
        for s in running:
            s.start()
            b.live.append(s)
        qonys, pgl, raw = servers
        q_url = f"http://127.0.0.1:{cfg.qonys_port}/graphql"
        p_url = f"http://127.0.0.1:{cfg.postgraphile_port}/graphql"
        with httpx.Client(timeout=120) as client:
            for n, fn in ((1, workload_list), (3, workload_one)):
                if cfg.wants(n):
                    guarded(b, n, lambda: fn(b, client, auth, qonys, pgl, raw, q_url, p_url))
    finally:
        for s in running:
            s.stop()
        b.live.clear()
        b.workers = None


def workload_list(b: Bench, client: httpx.Client, auth: str, qonys: Server, pgl: Server, raw: Server,
                  q_url: str, p_url: str) -> None:
    cfg = b.cfg
    log(f"workload 1: walking {cfg.pages} pages of 50 on Qonys and PostGraphile for their cursors")
    q_cursors, q_ids = walk(client, q_url, QONYS_WALK, "applications", cfg.pages, auth, lambda n: decode_gid(n["id"]))
    p_cursors, p_ids = walk(client, p_url, POSTGRAPHILE_WALK, "allApplications", cfg.pages, None, lambda n: n["rowId"])
    if q_ids != p_ids:
        b.checks.append(f"**MISMATCH** (1) Qonys and PostGraphile do not list the same applications page by page "
                        f"({first_difference(q_ids, p_ids)})")
    else:
        b.checks.append(f"(1) Qonys and PostGraphile list the same {sum(map(len, q_ids)):,} applications on "
                        f"{len(q_ids)} pages, page by page")
    q_doc = (QUERIES / "qonys_officers_list.graphql").read_text()
    p_doc = (QUERIES / "postgraphile_officers_list.graphql").read_text()
    # The same page from the three servers: raw must equal Qonys exactly (as parsed JSON);
    # PostGraphile must hold the same applications with as many checks each.
    sample = sorted({0, len(q_cursors) // 2, len(q_cursors) - 1})
    problems = []
    for i in sample:
        q = gql(client, q_url, q_doc, {"after": q_cursors[i]}, auth)
        r = gql(client, f"http://127.0.0.1:{cfg.raw_port}/officers", q_doc, {"after": q_cursors[i]}, auth)
        p = gql(client, p_url, p_doc, {"after": p_cursors[i]})
        if (d := first_difference(q, r)) is not None:
            problems.append(f"raw's page {i} differs from Qonys's at {d}")
        qe = q["data"]["applications"]["edges"]
        pe = p["data"]["allApplications"]["edges"]
        shape_q = [(decode_gid(e["node"]["id"]), len(e["node"]["checks"]), e["node"]["score"] is not None,
                    e["node"]["interview"] is not None) for e in qe]
        shape_p = [(e["node"]["rowId"], len(e["node"]["checkResultsByApplicationId"]["nodes"]),
                    e["node"]["scoreByApplicationId"] is not None, e["node"]["interviewByApplicationId"] is not None)
                   for e in pe]
        if shape_q != shape_p:
            problems.append(f"PostGraphile's page {i} differs from Qonys's ({first_difference(shape_q, shape_p)})")
    checks_per_app = statistics.mean(len(e["node"]["checks"]) for e in qe) if qe else 0
    if problems:
        b.checks += [f"**MISMATCH** (1) {p}" for p in problems]
    else:
        b.checks.append(f"(1) pages {', '.join(map(str, sample))}: raw == Qonys (identical JSON once parsed); "
                        "PostGraphile has the same applications with as many checks, a score and an interview where "
                        f"Qonys has them ({checks_per_app:.1f} checks an application on the last page compared)")
    order = shuffled(len(q_cursors))
    q_vars = [{"after": q_cursors[i]} for i in order]
    p_vars = [{"after": p_cursors[i]} for i in order]
    q_target = Target("Qonys", qonys, q_url, b.write_bodies("w1-qonys", q_doc, q_vars), auth)
    targets = [
        q_target, *b.beside(q_target),
        Target("PostGraphile", pgl, p_url, b.write_bodies("w1-postgraphile", p_doc, p_vars)),
        Target("raw", raw, f"http://127.0.0.1:{cfg.raw_port}/officers", b.write_bodies("w1-raw", q_doc, q_vars), auth),
    ]
    log(f"workload 1: {len(q_cursors)} cursors; {cfg.rounds} rounds of {cfg.duration} s")
    b.rounds("1", targets, reference="PostGraphile")


def workload_one(b: Bench, client: httpx.Client, auth: str, qonys: Server, pgl: Server, raw: Server,
                 q_url: str, p_url: str) -> None:
    cfg = b.cfg
    n_contract = cfg.ids // 5
    rows = asyncio.run(b.sql(cfg.db, """
        (SELECT id FROM application ORDER BY md5(id::text) LIMIT $1)
        UNION
        (SELECT application_id FROM social_contract ORDER BY md5(application_id::text) LIMIT $2)""",
                             cfg.ids - n_contract, n_contract))
    ids = sorted(r[0] for r in rows)
    ids = [ids[i] for i in shuffled(len(ids))]
    if not ids:
        b.notes.append("(3) not measured: the database has no applications")
        return
    q_doc = (QUERIES / "qonys_application.graphql").read_text()
    p_doc = (QUERIES / "postgraphile_application.graphql").read_text()

    def gid(pk: int) -> str:
        return base64.b64encode(f"Application:{pk}".encode()).decode()

    with_contract = 0
    problems = []
    sample = ids[:: max(len(ids) // 10, 1)]
    for pk in sample:
        q = gql(client, q_url, q_doc, {"id": gid(pk)}, auth)
        r = gql(client, f"http://127.0.0.1:{cfg.raw_port}/application", q_doc, {"id": gid(pk)}, auth)
        p = gql(client, p_url, p_doc, {"rowId": pk})
        if (d := first_difference(q, r)) is not None:
            problems.append(f"raw's application {pk} differs from Qonys's at {d}")
        qa, pa = q["data"]["application"], p["data"]["applicationByRowId"]
        if qa is None or pa is None or qa["number"] != pa["number"] or \
                len(qa["checks"]) != len(pa["checkResultsByApplicationId"]["nodes"]) or \
                (qa["contract"] is None) != (pa["socialContractByApplicationId"] is None):
            problems.append(f"application {pk}: PostGraphile and Qonys disagree")
        with_contract += qa is not None and qa["contract"] is not None
    if problems:
        b.checks += [f"**MISMATCH** (3) {p}" for p in problems]
    else:
        b.checks.append(f"(3) {len(ids)} application ids ({n_contract} drawn among those with a contract); on "
                        f"{len(sample)} of them: raw == Qonys (identical JSON once parsed), PostGraphile returns the "
                        f"same application, checks and contract ({with_contract} of these had a contract)")
    q_target = Target("Qonys", qonys, q_url, b.write_bodies("w3-qonys", q_doc, [{"id": gid(i)} for i in ids]), auth)
    targets = [
        q_target, *b.beside(q_target),
        Target("PostGraphile", pgl, p_url, b.write_bodies("w3-postgraphile", p_doc, [{"rowId": i} for i in ids])),
        Target("raw", raw, f"http://127.0.0.1:{cfg.raw_port}/application",
               b.write_bodies("w3-raw", q_doc, [{"id": gid(i)} for i in ids]), auth),
    ]
    log(f"workload 3: {len(ids)} ids; {cfg.rounds} rounds of {cfg.duration} s")
    b.rounds("3", targets, reference="PostGraphile")
