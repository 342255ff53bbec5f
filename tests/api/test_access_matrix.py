"""SPEC §7 as a table: every operation of the contract × every kind of caller.

Rows are the nine Query fields (``node`` once per node type) and the eighteen
mutations; columns are the callers below. Each cell is its own test id, e.g.
``test_read_cell[node:Check-agency_granted]`` or
``test_mutation_cell[recordCheckResult-agency_neither]``.

Outcomes:
- ``ok``: allowed (and the answer holds only what the caller may see);
- ``null``: the record is hidden; the answer is exactly the one for an id that
  does not exist (compared byte for byte);
- ``UNAUTHENTICATED`` / ``FORBIDDEN``: a GraphQL error (reads, and mutations
  without a token) or a payload ``UserError`` (mutations), nothing written;
- ``NOT_FOUND``: a payload ``UserError``, nothing written, and the same answer
  as for an id that does not exist.

Every refusal that names a record is replayed with an id that does not exist
and must give the same response, so no cell reveals that a record exists.

Reads share one world built once for the module by direct inserts (an
application owned by "alice" with every stage and check, a KANDAS approved
application with its contract, a draft scoring model, a quota, a selection
round, agency keys); each mutation cell builds its own fresh target rows, so
cells are independent of order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models as m
from api.graphql import ids
from models.base import today_almaty, utcnow
from core.db import transaction
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    ContractStatus,
    InterviewOutcome,
    LanguageLevel,
    ScoringModelStatus,
    TerminationReason,
)
from services.auth import create_agency_key
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.viewer import SYSTEM
from tests import factories as f
from tests.conftest import GQL, token_for
from tests.helpers_pipeline import Env, fresh_env, language_input, questionnaire_input, submit_input

UTC = dt.timezone.utc

# ---------------------------------------------------------------- the callers (columns)

ROLES = ("anonymous", "applicant_owner", "applicant_other", "officer", "admin",
         "agency_owner", "agency_granted", "agency_neither")
ALICE, BOB, CAROL = "alice", "bob", "carol"
# Relative to the CRIMINAL_RECORD check every cell targets: GPO owns its type,
# KNB was granted reading it, MOH neither (it owns MEDICAL).
TARGET_TYPE = "CRIMINAL_RECORD"
AGENCY_OF = {"agency_owner": "GPO", "agency_granted": "KNB", "agency_neither": "MOH"}
MISSING_PK = 987_654_321

OK, NULL = "ok", "null"
UNAUTH, FORB, NF = "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"


def gid(type_name: str, pk: int) -> str:
    return ids.encode(type_name, pk)


def missing(type_name: str) -> str:
    return gid(type_name, MISSING_PK)


def row(*outcomes: str) -> dict[str, str]:
    assert len(outcomes) == len(ROLES)
    return dict(zip(ROLES, outcomes, strict=True))


# ---------------------------------------------------------------- direct inserts

_serial = itertools.count(1)


async def active_check_types(s: AsyncSession) -> list[m.CheckType]:
    return list((await s.execute(
        select(m.CheckType).where(m.CheckType.active.is_(True)).order_by(m.CheckType.id))).scalars().all())


async def add_language_test(s: AsyncSession, app: m.Application) -> None:
    s.add(m.LanguageTest(application_id=app.id, level=LanguageLevel.B1, listening_percent=55, reading_percent=60,
                         certificate_number=f"KT-M/{uuid.uuid4().hex[:12]}",
                         taken_on=today_almaty() - dt.timedelta(days=20)))
    await s.flush()


async def add_checks(s: AsyncSession, app: m.Application,
                     status: CheckStatus = CheckStatus.REQUESTED) -> dict[str, int]:
    """One check per active check type, as requestChecks (and, unless REQUESTED, the results) leave them."""
    now = utcnow()
    done = status != CheckStatus.REQUESTED
    rows = {}
    for t in await active_check_types(s):
        c = m.Check(application_id=app.id, check_type_id=t.id, status=status, requested_at=now,
                    completed_at=now if done else None, updated_at=now, recorded_by="officer-1" if done else None)
        s.add(c)
        rows[t.code] = c
    await s.flush()
    return {code: c.id for code, c in rows.items()}


async def add_interview(s: AsyncSession, app: m.Application, outcome: InterviewOutcome | None = None) -> None:
    s.add(m.Interview(application_id=app.id, scheduled_at=dt.datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
                      outcome=outcome, points=8 if outcome else None, notes="ok" if outcome else None,
                      recorded_at=utcnow() if outcome else None))
    await s.flush()


async def staged_application(s: AsyncSession, owner: str | None, *, scored: bool = False,
                             check_status: CheckStatus = CheckStatus.CLEARED) -> tuple[m.Application, dict[str, int]]:
    """An application with every stage recorded (and, if ``scored``, a passing score)."""
    app = await f.make_application(s, owner_subject=owner,
                                   status=ApplicationStatus.PASSED if scored else ApplicationStatus.SUBMITTED)
    await add_language_test(s, app)
    await f.add_questionnaire(s, app, family_size=3)
    checks = await add_checks(s, app, check_status)
    await add_interview(s, app, InterviewOutcome.PASSED)
    if scored:
        await f.add_score(s, app, total=500)
    return app, checks


# ---------------------------------------------------------------- the world


@dataclass
class World:
    env: Env
    app_a: int  # alice's, every stage and check, scored PASSED
    applicant_a: int
    checks_a: dict[str, int]
    app_k: int  # alice's KANDAS application, APPROVED, with a contract
    contract_k: int
    checks_k: dict[str, int]
    app_c: int  # carol's, with checks
    checks_c: dict[str, int]
    draft: int
    draft_version: str
    quota: int
    quota_year: int
    round: int
    region: int
    agency: int
    check_type: int
    keys: dict[str, str] = field(default_factory=dict)
    readable: dict[str, set[str]] = field(default_factory=dict)  # agency code -> check type codes
    owned: dict[str, set[str]] = field(default_factory=dict)

    @property
    def gql(self) -> GQL:
        return self.env.gql

    def target_check(self) -> int:
        return self.checks_a[TARGET_TYPE]

    def world_checks(self) -> dict[int, str]:
        """check id -> check type code, for every check of the world."""
        return {pk: code for checks in (self.checks_a, self.checks_k, self.checks_c) for code, pk in checks.items()}

    def who(self, role: str, *, owner: str = ALICE, other: str = BOB) -> dict[str, Any]:
        if role == "anonymous":
            return {}
        if role == "applicant_owner":
            return {"token": token_for("APPLICANT", owner)}
        if role == "applicant_other":
            return {"token": token_for("APPLICANT", other)}
        if role == "officer":
            return {"token": token_for("OFFICER", "officer-1")}
        if role == "admin":
            return {"token": token_for("ADMIN", "admin-1")}
        return {"token": self.keys[AGENCY_OF[role]]}

    def subject(self, role: str) -> str | None:
        return {"applicant_owner": ALICE, "applicant_other": BOB}.get(role)


@pytest.fixture(scope="module")
async def env(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    async with fresh_env(template_url, tmp_path_factory.mktemp("matrix")) as e:
        yield e


@pytest.fixture(scope="module")
async def world(env: Env) -> World:
    async with transaction(env.sessions) as s:
        app_a, checks_a = await staged_application(s, ALICE, scored=True)
        contract = await f.make_contract(s, owner_subject=ALICE)
        app_k = await s.get(m.Application, contract.application_id)
        assert app_k is not None
        await add_language_test(s, app_k)
        checks_k = await add_checks(s, app_k, CheckStatus.CLEARED)
        await add_interview(s, app_k, InterviewOutcome.PASSED)
        app_c, checks_c = await staged_application(s, CAROL)
        version = f"matrix-draft-{uuid.uuid4().hex[:6]}"
        draft = m.ScoringModel(version=version, status=ScoringModelStatus.DRAFT, effective_from=dt.date(2099, 1, 1),
                               pass_mark=DEFAULT_MODEL_DEFINITION["passMark"], definition=DEFAULT_MODEL_DEFINITION,
                               created_by="admin-1")
        s.add(draft)
        quota = await f.kandas_quota(s, "KZ-55", year=2031, capacity=10)
        round_ = m.SelectionRound(quota_id=quota.id, ran_at=utcnow(), ran_by="officer-1", cutoff_score=500,
                                  seats_taken=3)
        s.add(round_)
        await s.flush()
        s.add(m.SelectionRoundApproval(round_id=round_.id, application_id=app_k.id, rank=1, score=500, seats=3))
        region = (await s.execute(select(m.Region).where(m.Region.code == "KZ-55"))).scalar_one()
        check_type = (await s.execute(select(m.CheckType).where(m.CheckType.code == TARGET_TYPE))).scalar_one()
        keys = {code: (await create_agency_key(s, SYSTEM, code, label="matrix"))[1]
                for code in ("GPO", "KNB", "MOH", "NCT")}
        owned: dict[str, set[str]] = {}
        readable: dict[str, set[str]] = {}
        for agency in (await s.execute(select(m.Agency))).scalars():
            own = set((await s.execute(select(m.CheckType.code).where(m.CheckType.agency_id == agency.id))).scalars())
            granted = set((await s.execute(
                select(m.CheckType.code).join(m.CheckTypeGrant, m.CheckTypeGrant.check_type_id == m.CheckType.id)
                .where(m.CheckTypeGrant.agency_id == agency.id))).scalars())
            owned[agency.code], readable[agency.code] = own, own | granted
        world = World(env=env, app_a=app_a.id, applicant_a=app_a.applicant_id, checks_a=checks_a, app_k=app_k.id,
                      contract_k=contract.id, checks_k=checks_k, app_c=app_c.id, checks_c=checks_c, draft=draft.id,
                      draft_version=version, quota=quota.id, quota_year=2031, round=round_.id, region=region.id,
                      agency=check_type.agency_id, check_type=check_type.id, keys=keys, readable=readable,
                      owned=owned)
    # The columns mean what they say only with the seeded reference data.
    assert TARGET_TYPE in world.owned["GPO"]
    assert TARGET_TYPE in world.readable["KNB"] and TARGET_TYPE not in world.owned["KNB"]
    assert TARGET_TYPE not in world.readable["MOH"] and world.owned["MOH"]
    assert world.readable["NCT"] == set()
    return world


# ---------------------------------------------------------------- what the database says


async def owners_of(sessions: Any, app_gids: list[str]) -> list[str | None]:
    pks = [ids.decode_as(g, "Application") for g in app_gids]
    async with sessions() as s:
        found = dict((await s.execute(
            select(m.Application.id, m.Application.owner_subject).where(m.Application.id.in_(pks)))).all())
    return [found[pk] for pk in pks]


async def scalar(sessions: Any, stmt: Any) -> Any:
    async with sessions() as s:
        return (await s.execute(stmt)).scalar_one()


FINGERPRINTED = (m.AuditEvent, m.Applicant, m.Application, m.LanguageTest, m.Questionnaire, m.Check, m.Interview,
                 m.Score, m.Quota, m.SelectionRound, m.SocialContract, m.SupportPayment, m.ContractTermination,
                 m.RefundPayment, m.ScoringModel)


async def fingerprint(sessions: Any) -> tuple[Any, ...]:
    """Row counts and high-water marks of everything a mutation may write, in one SELECT."""
    parts = [select(func.count()).select_from(t).scalar_subquery() for t in FINGERPRINTED]
    parts += [
        select(func.max(m.Application.updated_at)).scalar_subquery(),
        select(func.max(m.Check.updated_at)).scalar_subquery(),
        select(func.max(m.Quota.updated_at)).scalar_subquery(),
        select(func.coalesce(func.sum(m.Quota.used), 0)).scalar_subquery(),
        select(func.coalesce(func.sum(m.Quota.capacity), 0)).scalar_subquery(),
        select(func.count()).select_from(m.ScoringModel)
        .where(m.ScoringModel.status == ScoringModelStatus.PUBLISHED).scalar_subquery(),
        select(func.count()).select_from(m.SocialContract)
        .where(m.SocialContract.status == ContractStatus.ACTIVE).scalar_subquery(),
        select(func.coalesce(func.sum(m.SocialContract.total_support), 0)).scalar_subquery(),
        select(func.coalesce(func.sum(m.ContractTermination.refund_paid), 0)).scalar_subquery(),
    ]
    async with sessions() as s:
        return tuple((await s.execute(select(*parts))).one())


# ---------------------------------------------------------------- reads (rows of the table)

Checker = Callable[[World, str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Read:
    doc: str
    field: str
    expect: dict[str, str]
    check: Checker
    variables: Callable[[World], dict[str, Any]] = lambda w: {}
    # The same variables naming a record that does not exist (None: the read names no record).
    missing_variables: Callable[[World], dict[str, Any]] | None = None


async def check_regions(w: World, role: str, data: dict[str, Any]) -> None:
    codes = {r["code"] for r in data["regions"]}
    assert "KZ-55" in codes and len(codes) >= 17


async def check_scoring_models(w: World, role: str, data: dict[str, Any]) -> None:
    assert gid("ScoringModel", w.draft) in {x["id"] for x in data["scoringModels"]}


async def check_quotas(w: World, role: str, data: dict[str, Any]) -> None:
    assert [q["id"] for q in data["quotas"]] == [gid("Quota", w.quota)]


async def check_application(w: World, role: str, data: dict[str, Any]) -> None:
    app = data["application"]
    assert app["id"] == gid("Application", w.app_a)
    assert sorted(c["id"] for c in app["checks"]) == sorted(gid("Check", pk) for pk in w.checks_a.values())


async def check_applications(w: World, role: str, data: dict[str, Any]) -> None:
    conn = data["applications"]
    got = [e["node"]["id"] for e in conn["edges"]]
    subject = w.subject(role)
    if subject is None:  # staff: every application
        total = await scalar(w.env.sessions, select(func.count()).select_from(m.Application))
        assert conn["totalCount"] == total and len(got) == min(total, 100)
        return
    mine = await scalar(w.env.sessions, select(func.count()).select_from(m.Application)
                        .where(m.Application.owner_subject == subject))
    assert conn["totalCount"] == mine == len(got)
    assert set(await owners_of(w.env.sessions, got)) <= {subject}
    theirs = {gid("Application", w.app_a), gid("Application", w.app_k)}
    assert (theirs <= set(got)) if subject == ALICE else not (theirs & set(got))


async def check_contracts(w: World, role: str, data: dict[str, Any]) -> None:
    conn = data["contracts"]
    got = [e["node"]["id"] for e in conn["edges"]]
    apps = [e["node"]["application"]["id"] for e in conn["edges"]]
    subject = w.subject(role)
    if subject is None:
        total = await scalar(w.env.sessions, select(func.count()).select_from(m.SocialContract))
        assert conn["totalCount"] == total and len(got) == min(total, 100)
        return
    assert set(await owners_of(w.env.sessions, apps)) <= {subject}
    assert conn["totalCount"] == len(got)
    assert (gid("SocialContract", w.contract_k) in got) == (subject == ALICE)


async def check_simulation(w: World, role: str, data: dict[str, Any]) -> None:
    sim = data["scoringSimulation"]
    assert sim["modelVersion"] == w.draft_version and sim["evaluated"] >= 1


async def check_feed(w: World, role: str, data: dict[str, Any]) -> None:
    got = {e["node"]["id"]: e["node"]["checkType"]["code"] for e in data["checkResults"]["edges"]}
    world = {gid("Check", pk): code for pk, code in w.world_checks().items()}
    if role in AGENCY_OF:
        allowed = w.readable[AGENCY_OF[role]]
        assert set(got.values()) <= allowed
        assert {k for k, code in world.items() if code in allowed} <= set(got)
        assert allowed, "the column needs an agency that reads something"
    else:
        assert set(world) <= set(got)  # the world's checks are the oldest changes


def node_checker(type_name: str, target: Callable[[World], str]) -> Checker:
    async def check(w: World, role: str, data: dict[str, Any]) -> None:
        node = data["node"]
        assert node is not None and node["__typename"] == type_name and node["id"] == target(w)

    return check


NODE_DOC = """query($id: ID!) { node(id: $id) { __typename id
  ... on Region { code }
  ... on Agency { code }
  ... on CheckType { code agency { code } }
  ... on ScoringModel { version modelStatus: status }
  ... on Quota { kind year capacity region { code } }
  ... on Applicant { fullName documentNumber }
  ... on Application { applicationNumber: number applicationStatus: status }
  ... on Check { checkStatus: status checkType { code } }
  ... on SocialContract { contractNumber: number contractStatus: status application { id } }
  ... on SelectionRound { cutoffScore quota { id } approved { id } }
} }"""

NODE_TARGETS: dict[str, Callable[[World], int]] = {
    "Region": lambda w: w.region,
    "Agency": lambda w: w.agency,
    "CheckType": lambda w: w.check_type,
    "ScoringModel": lambda w: w.draft,
    "Quota": lambda w: w.quota,
    "SelectionRound": lambda w: w.round,
    "Applicant": lambda w: w.applicant_a,
    "Application": lambda w: w.app_a,
    "Check": lambda w: w.target_check(),
    "SocialContract": lambda w: w.contract_k,
}

PUBLIC = row(OK, OK, OK, OK, OK, OK, OK, OK)
#                        anonymous applicant  applicant  officer admin  agency  agency   agency
#                                  (owner)    (other)                   (owner) (granted)(neither)
NODE_EXPECT = {
    "Region":         PUBLIC,
    "Agency":         PUBLIC,
    "CheckType":      PUBLIC,
    "ScoringModel":   row(NULL,    OK,        OK,        OK,     OK,    NULL,   NULL,    NULL),
    "Quota":          row(NULL,    OK,        OK,        OK,     OK,    NULL,   NULL,    NULL),
    "SelectionRound": row(NULL,    NULL,      NULL,      OK,     OK,    NULL,   NULL,    NULL),
    "Applicant":      row(NULL,    OK,        NULL,      OK,     OK,    NULL,   NULL,    NULL),
    "Application":    row(NULL,    OK,        NULL,      OK,     OK,    NULL,   NULL,    NULL),
    "Check":          row(NULL,    OK,        NULL,      OK,     OK,    OK,     OK,      NULL),
    "SocialContract": row(NULL,    OK,        NULL,      OK,     OK,    NULL,   NULL,    NULL),
}


def _node_read(type_name: str) -> Read:
    target = NODE_TARGETS[type_name]
    return Read(NODE_DOC, "node", NODE_EXPECT[type_name], node_checker(type_name, lambda w: gid(type_name, target(w))),
                variables=lambda w: {"id": gid(type_name, target(w))},
                missing_variables=lambda w: {"id": missing(type_name)})


READS: dict[str, Read] = {
    #                        anonymous applicant  applicant  officer admin  agency  agency   agency
    #                                  (owner)    (other)                   (owner) (granted)(neither)
    "regions": Read("{ regions { code } }", "regions",
                    row(OK,     OK,        OK,        OK,     OK,    OK,     OK,      OK), check_regions),
    "scoringModels": Read("{ scoringModels { id version status } }", "scoringModels",
                          row(UNAUTH, OK,        OK,        OK,     OK,    FORB,   FORB,    FORB),
                          check_scoring_models),
    "quotas": Read("query($year: Int!) { quotas(year: $year) { id kind capacity used } }", "quotas",
                   row(UNAUTH, OK,        OK,        OK,     OK,    FORB,   FORB,    FORB), check_quotas,
                   variables=lambda w: {"year": w.quota_year}),
    "application": Read("query($id: ID!) { application(id: $id) { id number status checks { id } } }",
                        "application",
                        row(UNAUTH, OK,        NULL,      OK,     OK,    NULL,   NULL,    NULL), check_application,
                        variables=lambda w: {"id": gid("Application", w.app_a)},
                        missing_variables=lambda w: {"id": missing("Application")}),
    "applications": Read("{ applications(first: 100) { totalCount edges { node { id } } } }", "applications",
                         row(UNAUTH, OK,        OK,        OK,     OK,    FORB,   FORB,    FORB), check_applications),
    "contracts": Read("{ contracts(first: 100) { totalCount edges { node { id application { id } } } } }",
                      "contracts",
                      row(UNAUTH, OK,        OK,        OK,     OK,    FORB,   FORB,    FORB), check_contracts),
    "scoringSimulation": Read("query($id: ID!) { scoringSimulation(modelId: $id) { modelVersion evaluated } }",
                              "scoringSimulation",
                              row(UNAUTH, FORB,      FORB,      OK,     OK,    FORB,   FORB,    FORB),
                              check_simulation,
                              variables=lambda w: {"id": gid("ScoringModel", w.draft)},
                              missing_variables=lambda w: {"id": missing("ScoringModel")}),
    "checkResults": Read("{ checkResults(first: 100) { edges { cursor node { id checkType { code } } } } }",
                         "checkResults",
                         row(UNAUTH, FORB,      FORB,      OK,     OK,    OK,     OK,      OK), check_feed),
    **{f"node:{t}": _node_read(t) for t in NODE_TARGETS},
}

READ_CELLS = [(op, role) for op in READS for role in ROLES]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


@pytest.mark.parametrize(("op", "role"), READ_CELLS, ids=[f"{op}-{role}" for op, role in READ_CELLS])
async def test_read_cell(world: World, op: str, role: str) -> None:
    spec = READS[op]
    expected = spec.expect[role]
    body = await world.gql(spec.doc, spec.variables(world), **world.who(role))
    if expected == OK:
        assert "errors" not in body, body
        await spec.check(world, role, body["data"])
        return
    if expected == NULL:
        assert body == {"data": {spec.field: None}}, body
    else:
        assert error_codes(body) == [expected], body
        assert body["data"] is None or body["data"][spec.field] is None, body
    if spec.missing_variables is not None:
        # Hidden or refused: exactly what a record that does not exist gives.
        assert await world.gql(spec.doc, spec.missing_variables(world), **world.who(role)) == body


# ---------------------------------------------------------------- mutations (rows of the table)

ERRORS = "errors { field code message }"
APP_PAYLOAD = f"application {{ id status }} {ERRORS}"
_years = itertools.count(2040)


@dataclass
class Target:
    input: dict[str, Any]
    missing_input: dict[str, Any] | None = None  # the same input naming records that do not exist
    id: str | None = None  # the global ID the payload must name when allowed


Prepare = Callable[[AsyncSession, World], Awaitable[Target]]


@dataclass(frozen=True)
class Mutation:
    input_type: str
    payload: str  # payload selection
    object_field: str
    prepare: Prepare
    expect: dict[str, str]
    error_field: list[str] | None = None  # the field of the NOT_FOUND error
    after: Callable[[dict[str, Any]], None] = lambda obj: None  # what an allowed call must leave
    id_of: Callable[[dict[str, Any]], str] = lambda obj: obj["id"]  # the target's ID in the payload

    def doc(self, name: str) -> str:
        return (f"mutation($input: {self.input_type}!) {{ {name}(input: $input) {{ {self.payload} }} }}")


def app_target(app: m.Application, extra: dict[str, Any] | None = None) -> Target:
    extra = extra or {}
    return Target({"applicationId": gid("Application", app.id), **extra},
                  {"applicationId": missing("Application"), **extra}, gid("Application", app.id))


async def p_submit(s: AsyncSession, w: World) -> Target:
    return Target(submit_input("KANDAS", "KZ-55"))


async def p_submitted(s: AsyncSession, w: World) -> Target:
    return app_target(await f.make_application(s, owner_subject=ALICE))


async def p_language(s: AsyncSession, w: World) -> Target:
    app = await f.make_application(s, owner_subject=ALICE)
    li = language_input("x")
    del li["applicationId"]
    return app_target(app, li)


async def p_questionnaire(s: AsyncSession, w: World) -> Target:
    app = await f.make_application(s, owner_subject=ALICE)
    await add_language_test(s, app)
    qi = questionnaire_input("x", familySize=2)
    del qi["applicationId"]
    return app_target(app, qi)


async def p_check_result(s: AsyncSession, w: World) -> Target:
    app = await f.make_application(s, owner_subject=ALICE)
    checks = await add_checks(s, app)
    check = gid("Check", checks[TARGET_TYPE])
    body = {"status": "CLEARED", "details": "no record"}
    return Target({"checkId": check, **body}, {"checkId": missing("Check"), **body}, check)


async def p_schedule(s: AsyncSession, w: World) -> Target:
    return app_target(await f.make_application(s, owner_subject=ALICE),
                      {"scheduledAt": "2026-03-02T10:00:00+05:00"})


async def p_outcome(s: AsyncSession, w: World) -> Target:
    app = await f.make_application(s, owner_subject=ALICE)
    await add_interview(s, app)
    return app_target(app, {"outcome": "PASSED", "points": 8, "notes": "fine"})


async def p_score(s: AsyncSession, w: World) -> Target:
    app, _ = await staged_application(s, ALICE)
    return app_target(app)


async def p_decide(s: AsyncSession, w: World) -> Target:
    return app_target(await f.make_application(s, owner_subject=ALICE),
                      {"decision": "REJECT", "reason": "incomplete documents"})


async def p_withdraw(s: AsyncSession, w: World) -> Target:
    return app_target(await f.make_application(s, owner_subject=ALICE), {"reason": "moving elsewhere"})


async def p_upsert_quota(s: AsyncSession, w: World) -> Target:
    return Target({"kind": "KANDAS", "year": next(_years), "regionCode": "KZ-55", "capacity": 7})


async def p_round(s: AsyncSession, w: World) -> Target:
    # No seats: a real (not dry) round that approves nobody, so other cells' rows stay as they are.
    quota = await f.kandas_quota(s, "KZ-55", year=next(_years), capacity=0)
    return Target({"quotaId": gid("Quota", quota.id), "dryRun": False},
                  {"quotaId": missing("Quota"), "dryRun": False})


async def p_sign(s: AsyncSession, w: World) -> Target:
    app = await f.make_approved_kandas(s, owner_subject=ALICE, family_size=3)
    return app_target(app, {"startDate": "2026-03-01", "familySize": 3})


def contract_target(contract: m.SocialContract, extra: dict[str, Any]) -> Target:
    return Target({"contractId": gid("SocialContract", contract.id), **extra},
                  {"contractId": missing("SocialContract"), **extra}, gid("SocialContract", contract.id))


async def p_payment(s: AsyncSession, w: World) -> Target:
    contract = await f.make_contract(s, owner_subject=ALICE)
    return contract_target(contract, {"measureCode": "RELOCATION", "amount": "1000.00", "paidOn": "2026-03-10"})


async def p_terminate(s: AsyncSession, w: World) -> Target:
    contract = await f.make_contract(s, owner_subject=ALICE)
    return contract_target(contract, {"reason": "LEFT_REGION", "effectiveDate": "2026-09-01"})  # not after today


async def p_refund(s: AsyncSession, w: World) -> Target:
    contract = await f.make_contract(s, owner_subject=ALICE)
    contract.status = ContractStatus.TERMINATED
    contract.total_support = Decimal("5000.00")
    s.add(m.ContractTermination(contract_id=contract.id, reason=TerminationReason.LEFT_REGION,
                                effective_date=dt.date(2026, 9, 1), refund_due=Decimal("5000.00"),
                                refund_paid=Decimal("0.00"), recorded_by="officer-1"))
    await s.flush()
    return contract_target(contract, {"amount": "100.00", "paidOn": "2026-10-01"})  # not after today


async def p_create_model(s: AsyncSession, w: World) -> Target:
    return Target({"version": f"m-{uuid.uuid4().hex[:10]}", "effectiveFrom": "2095-01-01",
                   "definition": DEFAULT_MODEL_DEFINITION})


async def p_publish(s: AsyncSession, w: World) -> Target:
    n = next(_serial)
    model = m.ScoringModel(version=f"p-{uuid.uuid4().hex[:10]}", status=ScoringModelStatus.DRAFT,
                           effective_from=dt.date(2090, 1, 1) + dt.timedelta(days=n),
                           pass_mark=DEFAULT_MODEL_DEFINITION["passMark"], definition=DEFAULT_MODEL_DEFINITION)
    s.add(model)
    await s.flush()
    return Target({"id": gid("ScoringModel", model.id)}, {"id": missing("ScoringModel")},
                  gid("ScoringModel", model.id))


def status_is(status: str) -> Callable[[dict[str, Any]], None]:
    def check(obj: dict[str, Any]) -> None:
        assert obj["status"] == status, obj

    return check


APP_ID = ["input", "applicationId"]
STAFF = row(UNAUTH, FORB, FORB, OK, OK, FORB, FORB, FORB)
ADMIN_ONLY = row(UNAUTH, FORB, FORB, FORB, OK, FORB, FORB, FORB)

MUTATIONS: dict[str, Mutation] = {
    # columns: anonymous, applicant (owner), applicant (other), officer, admin,
    #          agency (owner), agency (granted), agency (neither)
    "submitApplication": Mutation("SubmitApplicationInput", APP_PAYLOAD, "application", p_submit,
                                  row(UNAUTH,    OK,       OK,       OK,     OK,   FORB,  FORB,     FORB),
                                  after=status_is("SUBMITTED")),
    "recordLanguageTest": Mutation("RecordLanguageTestInput",
                                   f"application {{ id status languageTest {{ level }} }} {ERRORS}",
                                   "application", p_language, STAFF,
                                   after=lambda o: o["languageTest"] == {"level": "B1"} or pytest.fail(str(o))),
    "submitQuestionnaire": Mutation("SubmitQuestionnaireInput",
                                    f"application {{ id status questionnaire {{ familySize }} }} {ERRORS}",
                                    "application", p_questionnaire,
                                    row(UNAUTH,    OK,       NF,       OK,     OK,   FORB,  FORB,     FORB),
                                    error_field=APP_ID,
                                    after=lambda o: o["questionnaire"] == {"familySize": 2} or pytest.fail(str(o))),
    "requestChecks": Mutation("RequestChecksInput", f"application {{ id status checks {{ id }} }} {ERRORS}",
                              "application", p_submitted, STAFF,
                              after=lambda o: len(o["checks"]) >= 4 or pytest.fail(str(o))),
    "recordCheckResult": Mutation("RecordCheckResultInput", f"check {{ id status details }} {ERRORS}", "check",
                                  p_check_result,
                                  row(UNAUTH,    FORB,     FORB,     OK,     OK,   OK,    FORB,     NF),
                                  error_field=["input", "checkId"], after=status_is("CLEARED")),
    "scheduleInterview": Mutation("ScheduleInterviewInput", APP_PAYLOAD, "application", p_schedule, STAFF),
    "recordInterviewOutcome": Mutation("RecordInterviewOutcomeInput", APP_PAYLOAD, "application", p_outcome, STAFF),
    "scoreApplication": Mutation("ScoreApplicationInput", APP_PAYLOAD, "application", p_score, STAFF,
                                 after=lambda o: o["status"] in ("PASSED", "FAILED") or pytest.fail(str(o))),
    "decideApplication": Mutation("DecideApplicationInput", APP_PAYLOAD, "application", p_decide, STAFF,
                                  after=status_is("REJECTED")),
    "withdrawApplication": Mutation("WithdrawApplicationInput", APP_PAYLOAD, "application", p_withdraw,
                                    row(UNAUTH,    OK,       NF,       OK,     OK,   FORB,  FORB,     FORB),
                                    error_field=APP_ID, after=status_is("WITHDRAWN")),
    "upsertQuota": Mutation("UpsertQuotaInput", f"quota {{ id capacity used }} {ERRORS}", "quota", p_upsert_quota,
                            ADMIN_ONLY, after=lambda o: o["capacity"] == 7 or pytest.fail(str(o))),
    "runSelectionRound": Mutation("RunSelectionRoundInput", f"round {{ id dryRun approved {{ id }} }} {ERRORS}",
                                  "round", p_round, STAFF,
                                  after=lambda o: o["approved"] == [] or pytest.fail(str(o))),
    "signContract": Mutation("SignContractInput", f"contract {{ id status application {{ id }} }} {ERRORS}",
                             "contract", p_sign, STAFF, after=status_is("ACTIVE"),
                             id_of=lambda o: o["application"]["id"]),
    "recordSupportPayment": Mutation("RecordSupportPaymentInput", f"contract {{ id status totalSupport }} {ERRORS}",
                                     "contract", p_payment, STAFF,
                                     after=lambda o: o["totalSupport"] == "1000.00" or pytest.fail(str(o))),
    "terminateContract": Mutation("TerminateContractInput", f"contract {{ id status }} {ERRORS}", "contract",
                                  p_terminate, STAFF, after=status_is("TERMINATED")),
    "recordRefundPayment": Mutation("RecordRefundPaymentInput",
                                    f"contract {{ id status termination {{ refundOutstanding }} }} {ERRORS}",
                                    "contract", p_refund, STAFF,
                                    after=lambda o: o["termination"]["refundOutstanding"] == "4900.00"
                                    or pytest.fail(str(o))),
    "createScoringModel": Mutation("CreateScoringModelInput", f"scoringModel {{ id status }} {ERRORS}",
                                   "scoringModel", p_create_model, ADMIN_ONLY, after=status_is("DRAFT")),
    "publishScoringModel": Mutation("PublishScoringModelInput", f"scoringModel {{ id status }} {ERRORS}",
                                    "scoringModel", p_publish, ADMIN_ONLY, after=status_is("PUBLISHED")),
}

MUTATION_CELLS = [(op, role) for op in MUTATIONS for role in ROLES]


def test_the_table_covers_the_contract() -> None:
    """Every Query field and every mutation of the contract is a row of the table."""
    from pathlib import Path

    from graphql import build_schema

    contract_file = Path(__file__).resolve().parents[3] / "shared" / "contract" / "schema.graphql"
    if not contract_file.exists():
        pytest.skip("the shared/ folder must sit beside the repository")
    contract = build_schema(contract_file.read_text())
    assert contract.query_type and contract.mutation_type
    query_rows = {op.split(":")[0] for op in READS}
    assert query_rows == set(contract.query_type.fields)
    assert set(MUTATIONS) == set(contract.mutation_type.fields)
    node_types = {name for name, t in contract.type_map.items()
                  if getattr(t, "interfaces", None) and any(i.name == "Node" for i in t.interfaces)}
    assert {op.split(":")[1] for op in READS if op.startswith("node:")} == node_types


@pytest.mark.parametrize(("op", "role"), MUTATION_CELLS, ids=[f"{op}-{role}" for op, role in MUTATION_CELLS])
async def test_mutation_cell(world: World, op: str, role: str) -> None:
    spec = MUTATIONS[op]
    expected = spec.expect[role]
    sessions = world.env.sessions
    async with transaction(sessions) as s:
        target = await spec.prepare(s, world)
    doc = spec.doc(op)
    who = world.who(role)
    before = await fingerprint(sessions)
    body = await world.gql(doc, {"input": target.input}, **who)

    if expected == OK:
        assert "errors" not in body, body
        payload = body["data"][op]
        assert payload["errors"] == [], payload
        obj = payload[spec.object_field]
        assert obj is not None, payload
        if target.id is not None:
            assert spec.id_of(obj) == target.id
        spec.after(obj)
        if op == "submitApplication":  # an applicant's own; staff submit on behalf of someone
            owner = (await owners_of(sessions, [obj["id"]]))[0]
            assert owner == world.subject(role)
        assert await fingerprint(sessions) != before
        return

    if expected == UNAUTH:
        assert body["data"] is None and error_codes(body) == [UNAUTH], body
    else:
        assert "errors" not in body, body
        payload = body["data"][op]
        assert payload[spec.object_field] is None, payload
        assert [e["code"] for e in payload["errors"]] == [expected], payload
        if expected == NF:
            assert payload["errors"][0]["field"] == spec.error_field, payload
    assert await fingerprint(sessions) == before, "a refused call wrote something"

    readable_by_caller = op == "recordCheckResult" and role == "agency_granted"
    if target.missing_input is not None and not readable_by_caller:
        # The refusal does not tell whether the record exists.
        assert await world.gql(doc, {"input": target.missing_input}, **who) == body


# ---------------------------------------------------------------- nested fields

AGENCY_NESTED = """
  id checkType { code }
  application {
    id number
    score { total } questionnaire { familySize } contract { id } languageTest { level } interview { outcome }
    applicant { id iin fullName birthDate citizenship documentNumber applications { id } }
    checks { id checkType { code } }
  }
"""


@pytest.mark.parametrize("agency", ["GPO", "KNB", "MOH", "NCT"])
async def test_agency_reads_through_checks_only_what_the_check_needs(world: World, agency: str) -> None:
    """checkResults { node { application { … } } }: the application of a readable check,
    with no score, questionnaire, language test, interview or contract, no IIN, no list
    of the applicant's applications and no list of checks (SPEC §11)."""
    key = world.keys[agency]
    feed = await world.gql.ok(f"{{ checkResults(first: 100) {{ edges {{ node {{ {AGENCY_NESTED} }} }} }} }}",
                              token=key)
    nodes = [e["node"] for e in feed["checkResults"]["edges"]]
    readable = world.readable[agency]
    if not readable:
        assert nodes == []
        return
    assert {n["checkType"]["code"] for n in nodes} <= readable
    by_app = {world.app_a: world.checks_a, world.app_k: world.checks_k, world.app_c: world.checks_c}
    async with world.env.sessions() as s:
        applicants = {a.id: a for a in (await s.execute(select(m.Applicant))).scalars()}
        apps = {a.id: a for a in (await s.execute(select(m.Application))).scalars()}
    seen_apps = set()
    for n in nodes:
        app = n["application"]
        pk = ids.decode_as(app["id"], "Application")
        assert pk is not None
        for internal in ("score", "questionnaire", "contract", "languageTest", "interview"):
            assert app[internal] is None, (internal, app)
        person = applicants[apps[pk].applicant_id]
        assert app["applicant"] == {
            "id": gid("Applicant", person.id), "iin": None, "fullName": person.full_name,
            "birthDate": person.birth_date.isoformat(), "citizenship": person.citizenship,
            "documentNumber": person.document_number, "applications": []}
        assert app["checks"] == []  # SPEC §11: an application's lists are empty for an agency
        if pk in by_app:
            seen_apps.add(pk)
    assert seen_apps == set(by_app)  # the world's applications, each through its readable checks

    # The same through node(id:) on a check, and the application itself stays unreadable.
    check_id = gid("Check", next(cid for code, cid in world.checks_k.items() if code in readable))
    node = (await world.gql.ok(f"query($id: ID!) {{ node(id: $id) {{ ... on Check {{ {AGENCY_NESTED} }} }} }}",
                               {"id": check_id}, token=key))["node"]
    assert node["application"]["contract"] is None and node["application"]["score"] is None
    assert node["application"]["applicant"]["iin"] is None
    for app_pk in (world.app_a, world.app_k):
        for doc in ("query($id: ID!) { application(id: $id) { id } }", "query($id: ID!) { node(id: $id) { id } }"):
            assert await world.gql.ok(doc, {"id": gid("Application", app_pk)}, token=key) in (
                {"application": None}, {"node": None})


async def test_agency_mutation_payload_withholds_internals(world: World) -> None:
    """The payload of the owner agency's own recordCheckResult is read with the same limits."""
    async with transaction(world.env.sessions) as s:
        app, checks = await staged_application(s, ALICE, scored=True, check_status=CheckStatus.REQUESTED)
    data = await world.gql.ok(
        f"mutation($input: RecordCheckResultInput!) {{ recordCheckResult(input: $input) {{ check {{ {AGENCY_NESTED} }} "
        f"{ERRORS} }} }}", {"input": {"checkId": gid("Check", checks[TARGET_TYPE]), "status": "FLAGGED"}},
        token=world.keys["GPO"])
    application = data["recordCheckResult"]["check"]["application"]
    assert application["id"] == gid("Application", app.id)
    assert application["score"] is None and application["questionnaire"] is None
    assert application["applicant"]["iin"] is None and application["applicant"]["applications"] == []
    assert application["checks"] == []


APPLICANT_NESTED = """query($id: ID!) { application(id: $id) {
  id checks { id application { id } }
  applicant { id applications { id checks { id } contract { id application { id } } } }
  contract { id }
} }"""


async def test_applicant_sees_only_their_own_records_nested(world: World) -> None:
    alice = world.who("applicant_owner")
    app = (await world.gql.ok(APPLICANT_NESTED, {"id": gid("Application", world.app_a)}, **alice))["application"]
    assert sorted(c["id"] for c in app["checks"]) == sorted(gid("Check", pk) for pk in world.checks_a.values())
    assert {c["application"]["id"] for c in app["checks"]} == {gid("Application", world.app_a)}
    listed = app["applicant"]["applications"]
    assert set(await owners_of(world.env.sessions, [a["id"] for a in listed])) == {ALICE}
    async with world.env.sessions() as s:
        for a in listed:
            pk = ids.decode_as(a["id"], "Application")
            own_checks = (await s.execute(select(m.Check.id).where(m.Check.application_id == pk))).scalars().all()
            assert sorted(c["id"] for c in a["checks"]) == sorted(gid("Check", c) for c in own_checks)
    k = (await world.gql.ok(APPLICANT_NESTED, {"id": gid("Application", world.app_k)}, **alice))["application"]
    assert k["contract"] == {"id": gid("SocialContract", world.contract_k)}

    # Carol's checks and application never show up for alice, through any path.
    for type_name, pk in (("Check", world.checks_c[TARGET_TYPE]), ("Application", world.app_c)):
        assert await world.gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, pk)},
                                  **alice) == {"node": None}
    assert await world.gql.ok(APPLICANT_NESTED, {"id": gid("Application", world.app_c)}, **alice) == {
        "application": None}


async def test_hidden_and_missing_records_get_the_same_answer(world: World) -> None:
    """Not found vs not yours: identical responses, and messages that name no record."""
    gql = world.gql
    bob = world.who("applicant_other")
    node = "query($id: ID!) { node(id: $id) { id } }"
    for type_name, pk in (("Application", world.app_a), ("Applicant", world.applicant_a),
                          ("Check", world.target_check()), ("SocialContract", world.contract_k)):
        hidden = await gql(node, {"id": gid(type_name, pk)}, **bob)
        assert hidden == await gql(node, {"id": missing(type_name)}, **bob) == {"data": {"node": None}}

    withdraw = ("mutation($input: WithdrawApplicationInput!) { "
                f"withdrawApplication(input: $input) {{ {APP_PAYLOAD} }} }}")
    hidden = await gql.ok(withdraw, {"input": {"applicationId": gid("Application", world.app_a)}}, **bob)
    absent = await gql.ok(withdraw, {"input": {"applicationId": missing("Application")}}, **bob)
    assert hidden == absent
    (error,) = hidden["withdrawApplication"]["errors"]
    assert error == {"field": APP_ID, "code": "NOT_FOUND", "message": "application not found"}

    record = ("mutation($input: RecordCheckResultInput!) { "
              f"recordCheckResult(input: $input) {{ check {{ id }} {ERRORS} }} }}")
    moh = {"token": world.keys["MOH"]}
    hidden = await gql.ok(record, {"input": {"checkId": gid("Check", world.target_check()), "status": "CLEARED"}},
                          **moh)
    absent = await gql.ok(record, {"input": {"checkId": missing("Check"), "status": "CLEARED"}}, **moh)
    assert hidden == absent
    (error,) = hidden["recordCheckResult"]["errors"]
    assert error["code"] == "NOT_FOUND" and error["message"] == "check not found"
