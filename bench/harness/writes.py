"""Workload (6) writes: a mixed write load at 16 connections, Qonys's mutations against
raw endpoints that do the same writes (``bench/raw_server.py``, ``/w6/...``).

The mix, in this fixed order, over and over (``MIX``): per 10 requests

- 5 ``recordCheckResult`` with the agency's API key (``BENCH_FEED_AGENCY``, GPO):
  a REQUESTED check of a type the agency owns, on a SUBMITTED application, given
  CLEARED (9 in 10) or FLAGGED with details;
- 3 ``submitApplication`` with an officer's JWT: new applicants, KANDAS (an
  ethnic Kazakh, a labour-deficit region), KANDAS, GENERAL, LABOUR (an occupation
  on the region's deficit list this year) in turn, every other one with an IIN;
- 2 ``recordSupportPayment`` with the officer's JWT: HOUSING_RENT or
  HOUSING_CERTIFICATE on an ACTIVE contract, dated today, of an amount that fits
  under the measure's cap (the contracts taken in turn, so that two payments in a
  row seldom wait on the same contract's lock).

Every request must succeed exactly once, so each server writes to a database of
its own: ``<db>_w6`` is made from ``qonys_bench`` (``CREATE DATABASE … TEMPLATE``)
and prepared (the agency's key, and — when the demo data have too few pending
checks of the agency — bench-only check types ``BENCH_W6_NN`` owned by the agency,
inactive, with a REQUESTED check on every SUBMITTED application), then copied to
``<db>_w6_qonys`` and ``<db>_w6_raw``. Both servers get the same requests in the
same order, and every run (the warm-up, each round) sends a slice of its own: the
list is cut into consecutive slices of ``BENCH_W6_RATE`` × the run's seconds
requests, and a server's k-th run sends the k-th slice. A run that sends its whole
slice before its end stops there (reported as EXHAUSTED: raise ``BENCH_W6_RATE``).

Before the load, the first ``EQUIVALENCE`` requests go to both servers one at a
time: the answers must be the same (timestamps aside), and so must what each
database holds afterwards (the audit events, field by field, and the rows
written). After the load, ``qonys check-integrity`` runs on both databases, and
queries check what it does not: every check given a result, application
submitted, applicant created and payment recorded has exactly its one audit
event, and no audit event names a row that is not there; and the rows written
are at least the requests acknowledged (more by at most the requests in flight
when wrk stopped a run). The copies are dropped afterwards (``BENCH_W6_KEEP=1``
keeps them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import re
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from harness.common import ROOT, VENV_BIN, env_int, log
from harness.graphql import first_difference
from harness.measure import Bench, Target
from harness.servers import qonys_server, qonys_workers_server, raw_server

ERRORS = "errors { field code message }"
CHECK_DOC = ("mutation($input: RecordCheckResultInput!) { recordCheckResult(input: $input) { check { id status "
             f"details completedAt updatedAt checkType {{ code }} }} {ERRORS} }} }}")
SUBMIT_DOC = ("mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { id "
              "number status route submittedAt dueDate applicant { id fullName } targetRegion { code } } "
              f"{ERRORS} }} }}")
PAYMENT_DOC = ("mutation($input: RecordSupportPaymentInput!) { recordSupportPayment(input: $input) { contract { id "
               f"number status totalSupport }} {ERRORS} }} }}")

DOCS = {"check_result": CHECK_DOC, "submit": SUBMIT_DOC, "payment": PAYMENT_DOC}  # by Request.kind
MIX = "CSCPCSCPCS"  # C: check result, S: submission, P: payment (5 / 3 / 2 per 10)
KINDS = {"C": "check_result", "S": "submit", "P": "payment"}
ROUTES = ("KANDAS", "KANDAS", "GENERAL", "LABOUR")
MEASURES = ("HOUSING_RENT", "HOUSING_CERTIFICATE")  # the demo data pay most RELOCATION subsidies in full
EQUIVALENCE = 30  # requests sent to both servers one at a time and compared
TIME_FIELDS = ("completedAt", "updatedAt", "submittedAt")
FIRST = ("Aigerim", "Nurlan", "Dana", "Yerlan", "Saule", "Bauyrzhan", "Gulnara", "Askar", "Madina", "Timur")
LAST = ("Bekova", "Abenov", "Seitkali", "Nurpeisova", "Zhaksybekov", "Omarova", "Tulegenov", "Sarsenova")
CITIZENSHIPS = ("UZB", "KGZ", "CHN", "MNG", "TKM", "RUS", "TJK", "TUR")


@dataclass
class Request:
    kind: str  # check_result | submit | payment
    auth: str  # the Authorization header
    variables: dict[str, Any]

    def line(self, path: str) -> str:
        doc = DOCS[self.kind]
        body = json.dumps({"query": doc, "variables": self.variables}, separators=(",", ":"))
        return f"{path}\t{self.auth}\t{body}"


@dataclass
class Plan:
    """What the requests work on, read from the prepared database."""

    checks: list[int]
    contracts: list[tuple[int, str, Decimal]]  # (contract id, measure code, room under the cap)
    kandas_regions: list[str]
    regions: list[str]
    labour: list[tuple[str, str]]  # (region code, occupation code) on this year's deficit list
    taken_iins: set[str]
    doc_prefix: str
    base: dict[str, int] = field(default_factory=dict)  # the highest ids before the load
    added_check_types: int = 0


def gid(type_name: str, pk: int) -> str:
    import base64
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def today_almaty() -> dt.date:
    from core.clock import today_almaty as today
    return today()


# ---------------------------------------------------------------- the databases


async def admin(cfg: Any, *statements: str) -> None:
    conn = await asyncpg.connect(cfg.dsn("postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def prepare(cfg: Any, db: str, agency: str, checks_needed: int) -> Plan:
    """Pending checks enough for ``checks_needed`` results, and the rest of the plan."""
    conn = await asyncpg.connect(cfg.dsn(db))
    today = today_almaty()
    try:
        agency_id = await conn.fetchval("SELECT id FROM agency WHERE code = $1 AND active", agency)
        if agency_id is None:
            raise RuntimeError(f"no active agency {agency}")
        pending_sql = """
            SELECT c.id FROM check_result c JOIN check_type t ON t.id = c.check_type_id
            JOIN application a ON a.id = c.application_id
            WHERE t.agency_id = $1 AND c.status = 'REQUESTED' AND a.status = 'SUBMITTED' ORDER BY c.id"""
        checks = [r[0] for r in await conn.fetch(pending_sql, agency_id)]
        submitted = await conn.fetchval("SELECT count(*) FROM application WHERE status = 'SUBMITTED'")
        added = 0
        if len(checks) < checks_needed:
            if not submitted:
                raise RuntimeError("the database has no SUBMITTED application to record checks on")
            added = -(-(checks_needed - len(checks)) // submitted)
            async with conn.transaction():
                for n in range(1, added + 1):
                    type_id = await conn.fetchval(
                        "INSERT INTO check_type (code, name, agency_id, mandatory, active) "
                        "VALUES ($1, $2, $3, false, false) RETURNING id",
                        f"BENCH_W6_{n:02d}", f"Bench check {n} (workload 6)", agency_id)
                    await conn.execute("""
                        INSERT INTO check_result (application_id, check_type_id, status, requested_at, updated_at)
                        SELECT id, $1, 'REQUESTED', now() - interval '1 day', now() - interval '1 day'
                        FROM application WHERE status = 'SUBMITTED'""", type_id)
            await conn.execute("ANALYZE check_result")
            await conn.execute("ANALYZE check_type")
            checks = [r[0] for r in await conn.fetch(pending_sql, agency_id)]
        rows = await conn.fetch("""
            SELECT k.id, m.code, m.cap_mrp, m.per_family_member, k.family_size, v.amount AS mrp,
                   coalesce((SELECT sum(sp.amount) FROM support_payment sp
                              WHERE sp.contract_id = k.id AND sp.measure_id = m.id), 0) AS paid
            FROM social_contract k CROSS JOIN support_measure m
            JOIN mrp_value v ON v.year = $2
            WHERE k.status = 'ACTIVE' AND k.start_date <= $1 AND $1 < k.end_date AND m.code = ANY($3::text[])
            ORDER BY k.id, m.code""", today, today.year, list(MEASURES))
        from services.contracts import support_cap
        contracts = []
        for r in rows:
            room = support_cap(r["cap_mrp"], r["mrp"], r["family_size"], r["per_family_member"]) - r["paid"]
            if room >= 1000:
                contracts.append((r["id"], r["code"], room))
        kandas_regions = [r[0] for r in await conn.fetch("SELECT code FROM region WHERE labour_deficit ORDER BY code")]
        regions = [r[0] for r in await conn.fetch("SELECT code FROM region ORDER BY code")]
        labour = [(r[0], r[1]) for r in await conn.fetch("""
            SELECT r.code, o.code FROM deficit_occupation d JOIN region r ON r.id = d.region_id
            JOIN occupation o ON o.id = d.occupation_id WHERE d.year = $1 ORDER BY r.code, o.code""", today.year)]
        taken = {r[0] for r in await conn.fetch(
            "SELECT iin FROM application WHERE iin IS NOT NULL UNION SELECT iin FROM applicant WHERE iin IS NOT NULL")}
        prefix = "WSIX"
        while await conn.fetchval("SELECT count(*) FROM application WHERE document_number LIKE $1", prefix + "%"):
            prefix += "X"
        base = {t: await conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {t}")
                for t in ("audit_event", "application", "applicant", "support_payment")}
    finally:
        await conn.close()
    return Plan(checks, contracts, kandas_regions, regions, labour, taken, prefix, base, added)


# ---------------------------------------------------------------- the requests


def build_requests(plan: Plan, count: int, key: str, token: str) -> list[Request]:
    """``count`` requests in the order of ``MIX``, each target used once (the contracts: as long as the
    measure's cap has room)."""
    from services.rules import make_iin

    rng = random.Random(20261204)
    checks = plan.checks[:]
    rng.shuffle(checks)  # consecutive results on different applications (each locks its application)
    contracts = plan.contracts[:]
    rng.shuffle(contracts)
    room = {i: c[2] for i, c in enumerate(contracts)}
    agency, officer = f"Bearer {key}", f"Bearer {token}"
    out: list[Request] = []
    n_check = n_submit = n_pay = 0
    pay_cursor = 0
    for i in range(count):
        kind = MIX[i % len(MIX)]
        if kind == "C":
            if n_check >= len(checks):
                raise RuntimeError(f"only {len(checks)} pending checks for {count} requests")
            status = "CLEARED" if rng.random() < 0.9 else "FLAGGED"
            out.append(Request("check_result", agency, {"input": {
                "checkId": gid("Check", checks[n_check]), "status": status,
                "details": None if status == "CLEARED" else "a record needs an officer's review"}}))
            n_check += 1
        elif kind == "S":
            n = n_submit
            route = ROUTES[n % len(ROUTES)]
            if route == "LABOUR" and not plan.labour:
                route = "KANDAS"
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=(n * 373) % 13_000)
            sex = "MALE" if n % 2 else "FEMALE"
            applicant: dict[str, Any] = {
                "fullName": f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]}",
                "birthDate": birth.isoformat(), "sex": sex, "citizenship": CITIZENSHIPS[n % len(CITIZENSHIPS)],
                "ethnicKazakh": route == "KANDAS" or n % 3 == 0,
                "documentNumber": f"{plan.doc_prefix}{n:09d}"}
            if n % 2 == 0:
                serial = n % 10_000
                iin = make_iin(birth, sex, serial)
                while iin in plan.taken_iins:
                    serial = (serial + 1) % 10_000
                    iin = make_iin(birth, sex, serial)
                plan.taken_iins.add(iin)
                applicant["iin"] = iin
            variables: dict[str, Any] = {"applicant": applicant, "route": route}
            if route == "KANDAS":
                variables["targetRegionCode"] = plan.kandas_regions[n % len(plan.kandas_regions)]
            elif route == "GENERAL":
                variables["targetRegionCode"] = plan.regions[n % len(plan.regions)]
            else:
                region, occupation = plan.labour[n % len(plan.labour)]
                variables["targetRegionCode"], variables["occupationCode"] = region, occupation
            out.append(Request("submit", officer, {"input": variables}))
            n_submit += 1
        else:
            amount = Decimal(500 + (n_pay * 7) % 400) + Decimal(n_pay % 100) / 100
            for _ in range(len(contracts)):
                j = pay_cursor % len(contracts)
                pay_cursor += 1
                if room[j] >= amount:
                    break
            else:
                raise RuntimeError(f"no contract has room for {n_pay + 1} payments")
            room[j] -= amount
            contract_id, measure, _ = contracts[j]
            out.append(Request("payment", officer, {"input": {
                "contractId": gid("SocialContract", contract_id), "measureCode": measure, "amount": str(amount),
                "paidOn": today_almaty().isoformat()}}))
            n_pay += 1
    return out


class Slices:
    """One server's runs: the k-th call writes the k-th slice of the requests to a file of its own."""

    def __init__(self, b: Bench, label: str, path: str, requests: list[Request], start: int, sizes: list[int]) -> None:
        self.b, self.label, self.path, self.requests, self.start, self.sizes = b, label, path, requests, start, sizes
        self.run = 0

    def __call__(self) -> Path:
        if self.run >= len(self.sizes):
            raise RuntimeError(f"{self.label}: more runs than planned")
        lo = self.start + sum(self.sizes[: self.run])
        hi = lo + self.sizes[self.run]
        slug = re.sub(r"[^a-z0-9]+", "-", self.label.lower())
        out = self.b.run_dir / "bodies" / f"w6-{slug}-run{self.run}.tsv"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(r.line(self.path_of(r)) + "\n" for r in self.requests[lo:hi]))
        self.run += 1
        return out

    def path_of(self, r: Request) -> str:
        return self.path if self.path == "/graphql" else f"{self.path}/{r.kind}"


# ---------------------------------------------------------------- equivalence


def masked(answer: Any) -> Any:
    """An answer with its timestamps replaced (each server writes at its own moment)."""
    if isinstance(answer, dict):
        return {k: ("<time>" if k in TIME_FIELDS and isinstance(v, str) else masked(v)) for k, v in answer.items()}
    if isinstance(answer, list):
        return [masked(v) for v in answer]
    return answer


def post(client: httpx.Client, url: str, r: Request) -> Any:
    doc = DOCS[r.kind]
    response = client.post(url, json={"query": doc, "variables": r.variables}, headers={"authorization": r.auth})
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def succeeded(status: int, body: Any) -> bool:
    if status != 200 or not isinstance(body, dict) or body.get("errors") or not body.get("data"):
        return False
    (payload,) = body["data"].values()
    return isinstance(payload, dict) and not payload.get("errors")


SNAPSHOT = {
    "audit events": """SELECT actor_subject, actor_role, action, entity_type, entity_id, changes::text
                       FROM audit_event WHERE id > $1 ORDER BY id""",
    "applications": """SELECT id, number, applicant_id, owner_subject, route, target_region_id, occupation_id, status,
                              citizenship, document_number, iin, due_date, search_key, permit_id,
                              submitted_at = updated_at AS stamped
                       FROM application WHERE id > $2 ORDER BY id""",
    "applicants": """SELECT id, owner_subject, iin, full_name, birth_date, sex, citizenship, ethnic_kazakh, document_number
                     FROM applicant WHERE id > $3 ORDER BY id""",
    "support payments": """SELECT id, contract_id, measure_id, amount, paid_on, recorded_by
                           FROM support_payment WHERE id > $4 ORDER BY id""",
    "checks": """SELECT id, status, details, recorded_by, completed_at IS NOT NULL AND completed_at = updated_at
                 FROM check_result WHERE id = ANY($5::int[]) ORDER BY id""",
    "contracts": """SELECT id, total_support FROM social_contract WHERE id = ANY($6::int[]) ORDER BY id""",
    "counters": "SELECT name, value FROM number_sequence ORDER BY name",
}


def bind(sql: str, args: list[Any]) -> tuple[str, list[Any]]:
    """``sql`` numbered against the whole ``args`` list ($1 = args[0] …), renumbered to use only the
    parameters it names (PostgreSQL wants $1…$n all used)."""
    used = sorted({int(x[1:]) for x in re.findall(r"\$\d+", sql)})
    renumbered = re.sub(r"\$(\d+)", lambda m: f"${used.index(int(m.group(1))) + 1}", sql)
    return renumbered, [args[i - 1] for i in used]


async def snapshot(dsn: str, base: dict[str, int], checks: list[int], contracts: list[int]) -> dict[str, list[Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        args = [base["audit_event"], base["application"], base["applicant"], base["support_payment"], checks,
                contracts]
        out = {}
        for name, sql in SNAPSHOT.items():
            query, values = bind(sql, args)
            out[name] = [[str(v) for v in r] for r in await conn.fetch(query, *values)]
        return out
    finally:
        await conn.close()


def equivalence(b: Bench, requests: list[Request], urls: dict[str, tuple[str, str]], dbs: dict[str, str],
                plan: Plan) -> int:
    """Send the first requests to both servers one at a time; compare the answers and the databases.
    Returns how many requests each server acknowledged."""
    from harness.graphql import decode_gid

    problems: list[str] = []
    acknowledged = 0
    with httpx.Client(timeout=600) as client:
        for i, r in enumerate(requests):
            answers = {}
            for label, (url, path) in urls.items():
                target = url if path == "/graphql" else f"{url}/{r.kind}"
                answers[label] = post(client, target, r)
            (qs, q), (rs, w) = answers["Qonys"], answers["raw"]
            if not succeeded(qs, q):
                problems.append(f"request {i} ({r.kind}) failed on Qonys: {qs} {json.dumps(q)[:300]}")
            if not succeeded(rs, w):
                problems.append(f"request {i} ({r.kind}) failed on raw: {rs} {json.dumps(w)[:300]}")
            acknowledged += succeeded(qs, q) and succeeded(rs, w)
            if (d := first_difference(masked(q), masked(w))) is not None:
                problems.append(f"request {i} ({r.kind}): raw's answer differs from Qonys's at {d}")
            for label, (_, a) in answers.items():  # `qonys serve --workers N`: the one process's answer
                if label not in ("Qonys", "raw") and (d := first_difference(masked(q), masked(a))) is not None:
                    problems.append(f"request {i} ({r.kind}): {label}'s answer differs from Qonys's at {d}")
    checks = [decode_gid(r.variables["input"]["checkId"]) for r in requests if r.kind == "check_result"]
    contracts = [decode_gid(r.variables["input"]["contractId"]) for r in requests if r.kind == "payment"]
    q_rows = asyncio.run(snapshot(b.cfg.dsn(dbs["Qonys"]), plan.base, checks, contracts))
    r_rows = asyncio.run(snapshot(b.cfg.dsn(dbs["raw"]), plan.base, checks, contracts))
    for name in SNAPSHOT:
        if (d := first_difference(q_rows[name], r_rows[name])) is not None:
            problems.append(f"after the first {len(requests)} requests the databases differ in their {name} at {d}")
    kinds = {k: sum(r.kind == k for r in requests) for k in KINDS.values()}
    if problems:
        b.checks += [f"**MISMATCH** (6) {p}" for p in problems[:10]]
        if len(problems) > 10:
            b.checks.append(f"**MISMATCH** (6) … and {len(problems) - 10} more")
    else:
        b.checks.append(
            f"(6) the first {len(requests)} requests ({kinds['check_result']} check results, {kinds['submit']} "
            f"submissions, {kinds['payment']} payments), one at a time: raw == Qonys (the same answers, timestamps "
            f"aside), and the two databases then hold the same {len(q_rows['audit events'])} audit events (actor, "
            "action, entity, changes), applications, applicants, payments, checks, contract totals and number "
            "counters")
    return acknowledged


# ---------------------------------------------------------------- after the load


def check_integrity(b: Bench, db: str) -> tuple[bool, list[str]]:
    env = {**os.environ, "QONYS_DATABASE_URL": b.cfg.qonys_url(db), "QONYS_ENV": "production",
           "QONYS_SECRET_KEY": b.cfg.secret, "PYTHONPATH": str(ROOT)}  # this tree's checks
    argv = (["nice", "-n", str(b.cfg.nice)] if b.cfg.nice else []) + [str(VENV_BIN / "qonys"), "check-integrity"]
    out = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if out.returncode not in (0, 1):
        return False, [f"qonys check-integrity failed (exit {out.returncode}): {out.stderr.strip()[-300:]}"]
    return out.returncode == 0, lines


AUDIT_CHECKS = {
    "check results without exactly one application.check_result event": """
        SELECT count(*) FROM check_result c
        WHERE c.id = ANY($2::int[]) AND c.status <> 'REQUESTED'
          AND (SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'application.check_result'
                AND e.entity_id = c.application_id AND (e.changes->>'checkId')::bigint = c.id) <> 1""",
    "application.check_result events naming a check still REQUESTED or not in the load": """
        SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'application.check_result'
          AND NOT EXISTS (SELECT 1 FROM check_result c WHERE c.id = (e.changes->>'checkId')::bigint
                           AND c.id = ANY($2::int[]) AND c.status <> 'REQUESTED')""",
    "new applications without exactly one application.submit event": """
        SELECT count(*) FROM application a WHERE a.id > $3
          AND (SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'application.submit'
                AND e.entity_type = 'application' AND e.entity_id = a.id) <> 1""",
    "application.submit events naming no new application": """
        SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'application.submit'
          AND NOT EXISTS (SELECT 1 FROM application a WHERE a.id = e.entity_id AND a.id > $3
                           AND a.number = e.changes->>'number')""",
    "new applicants without exactly one applicant.create event": """
        SELECT count(*) FROM applicant p WHERE p.id > $4
          AND (SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'applicant.create'
                AND e.entity_id = p.id) <> 1""",
    "new payments without exactly one contract.support_payment event": """
        SELECT count(*) FROM support_payment sp WHERE sp.id > $5
          AND (SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'contract.support_payment'
                AND e.entity_id = sp.contract_id AND (e.changes->>'paymentId')::bigint = sp.id
                AND (e.changes->>'amount')::numeric = sp.amount) <> 1""",
    "contract.support_payment events naming no new payment": """
        SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action = 'contract.support_payment'
          AND NOT EXISTS (SELECT 1 FROM support_payment sp WHERE sp.id = (e.changes->>'paymentId')::bigint
                           AND sp.id > $5)""",
    "other audit events written during the load": """
        SELECT count(*) FROM audit_event e WHERE e.id > $1 AND e.action NOT IN
          ('application.check_result', 'application.submit', 'applicant.create', 'contract.support_payment')""",
}


async def audit_queries(dsn: str, plan: Plan, check_ids: list[int]) -> tuple[dict[str, int], dict[str, int]]:
    """(violations by AUDIT_CHECKS, rows written by kind) in one database after the load."""
    conn = await asyncpg.connect(dsn)
    base = plan.base
    args = [base["audit_event"], check_ids, base["application"], base["applicant"], base["support_payment"]]
    try:
        found = {}
        for name, sql in AUDIT_CHECKS.items():
            query, values = bind(sql, args)
            found[name] = await conn.fetchval(query, *values)
        written = {
            "check_result": await conn.fetchval(
                "SELECT count(*) FROM check_result WHERE id = ANY($1::int[]) AND status <> 'REQUESTED'", check_ids),
            "submit": await conn.fetchval("SELECT count(*) FROM application WHERE id > $1", base["application"]),
            "payment": await conn.fetchval("SELECT count(*) FROM support_payment WHERE id > $1",
                                           base["support_payment"]),
        }
        return found, written
    finally:
        await conn.close()


# ---------------------------------------------------------------- the phase


def phase_writes(b: Bench) -> None:
    cfg = b.cfg
    from harness.graphql import decode_gid

    rate = env_int("BENCH_W6_RATE", 1500)
    keep = os.environ.get("BENCH_W6_KEEP", "0") == "1"
    template, dbs = f"{cfg.db}_w6", {"Qonys": f"{cfg.db}_w6_qonys", "raw": f"{cfg.db}_w6_raw"}
    if cfg.qonys_workers > 1:  # `qonys serve --workers N` on a copy of its own, beside the one process
        dbs[cfg.workers_label] = f"{cfg.db}_w6_qonys_workers"
    runs = ([rate * cfg.warmup] if cfg.warmup > 0 else []) + [rate * cfg.duration] * cfg.rounds
    total = EQUIVALENCE + sum(runs)
    checks_needed = sum(1 for i in range(total) if MIX[i % len(MIX)] == "C")
    log(f"workload 6: {total:,} requests a server ({EQUIVALENCE} compared one at a time, then runs of "
        f"{', '.join(f'{n:,}' for n in runs)}: BENCH_W6_RATE={rate}/s); preparing {template}")
    asyncio.run(admin(cfg, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
                      f'CREATE DATABASE "{template}" TEMPLATE "{cfg.db}"'))
    try:
        key = b.cli(template, "agency-key", "create", cfg.feed_agency, "--label", "bench-w6")
        token = b.cli(template, "token", "--role", "OFFICER", "--subject", "bench-w6", "--ttl-minutes", "720")
        plan = asyncio.run(prepare(cfg, template, cfg.feed_agency, checks_needed))
        requests = build_requests(plan, total, key, token)
        asyncio.run(admin(cfg, *[s for db in dbs.values() for s in (
            f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}" TEMPLATE "{template}"')]))
    finally:
        asyncio.run(admin(cfg, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    kinds = {k: sum(r.kind == k for r in requests) for k in KINDS.values()}
    b.facts["writes"] = {
        "mix": "per 10 requests: 5 check results (agency key), 3 submissions, 2 support payments (officer JWT)",
        "requests": total, "rate": rate, "runs": runs, "by_kind": kinds,
        "pending_checks": len(plan.checks), "bench_check_types_added": plan.added_check_types,
        "contract_measures_with_room": len(plan.contracts), "agency": cfg.feed_agency}
    log(f"workload 6: {kinds['check_result']:,} check results ({len(plan.checks):,} pending checks of "
        f"{cfg.feed_agency}, {plan.added_check_types} bench check types added), {kinds['submit']:,} submissions, "
        f"{kinds['payment']:,} payments on {len(plan.contracts):,} contract measures")

    servers = {"Qonys": qonys_server(cfg, dbs["Qonys"], b.run_dir), "raw": raw_server(cfg, dbs["raw"], b.run_dir)}
    ports = {"Qonys": cfg.qonys_port, "raw": cfg.raw_port}
    paths = {"Qonys": "/graphql", "raw": "/w6"}  # raw: /w6/check_result, /w6/submit, /w6/payment
    workers = qonys_workers_server(cfg, dbs.get(cfg.workers_label, ""), b.run_dir)
    if workers is not None:  # also sent the requests compared one at a time (not compared)
        servers[workers.name], ports[workers.name], paths[workers.name] = workers, cfg.qonys_workers_port, "/graphql"
    acknowledged = dict.fromkeys(servers, 0)
    try:
        for s in servers.values():
            s.start()
            b.live.append(s)
        eq = equivalence(b, requests[:EQUIVALENCE], {k: (f"http://127.0.0.1:{ports[k]}{paths[k]}", paths[k])
                                                      for k in servers}, dbs, plan)
        targets = [Target(label, servers[label], f"http://127.0.0.1:{ports[label]}", None, script="writes.lua",
                          next_bodies=Slices(b, label, paths[label], requests, EQUIVALENCE, runs))
                   for label in servers]
        log(f"workload 6: {cfg.rounds} rounds of {cfg.duration} s")
        done = b.rounds("6", targets, reference="raw")
        warm = [r for r in b.warmups if r.workload == "6"]
        for label in acknowledged:
            acknowledged[label] = eq + sum(r.ok for r in done + warm if r.label == label)
    finally:
        for s in servers.values():
            s.stop()
        b.live.clear()

    check_ids = [decode_gid(r.variables["input"]["checkId"]) for r in requests if r.kind == "check_result"]
    n_runs = len(runs)
    result: dict[str, Any] = {}
    try:
        for label, db in dbs.items():
            log(f"workload 6: qonys check-integrity and the audit queries on {db}")
            clean, lines = check_integrity(b, db)
            found, written = asyncio.run(audit_queries(cfg.dsn(db), plan, check_ids))
            total_written = sum(written.values())
            result[label] = {"db": db, "check_integrity_clean": clean, "check_integrity": lines[-20:],
                             "audit_violations": found, "written": written, "acknowledged": acknowledged[label],
                             "in_flight_allowance": n_runs * cfg.connections}
            bad = {k: v for k, v in found.items() if v}
            log(f"  {label}: check-integrity {'clean' if clean else 'VIOLATIONS'} ({lines[-1] if lines else '?'}); "
                f"audit queries {'clean' if not bad else bad}; written {written} = {total_written:,}, "
                f"acknowledged {acknowledged[label]:,}")
    finally:
        if not keep:
            asyncio.run(admin(cfg, *[f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in dbs.values()]))
    b.writes = result
