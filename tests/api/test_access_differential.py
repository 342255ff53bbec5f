"""Access does not depend on the engine (SPEC §11).

1. Exhaustive differential test, generated from the schema by introspection: for
   every caller class, every read root and every path to a leaf field up to depth
   4 below the root's records, asked alone, the compiled read path answers byte for
   byte what normal execution answers. A field added to the schema is covered
   without editing this file. A root the compiler does not know (``node``,
   ``contracts``, the labour lists) runs the same normal execution either way: one
   query per root and node type is compared; all of its paths once the compiler
   knows it.
2. SPEC §11 as a table: for an agency, each field the table hides is null (or
   empty) on both engines, and each field it shows equals the officer's value.

PostgreSQL only (the compiler is off on SQLite); the declaration itself is
checked on both databases in ``test_access_declaration.py``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from sqlalchemy import select

import models as m
from api.graphql import ids
from api.graphql.compiler.roots import ROOTS as COMPILED_ROOTS
from api.graphql.schema import ValidationByText, build_schema
from core.metrics import COMPILED_QUERIES
from core.db import transaction
from services import access
from tests.conftest import BACKEND, token_for
from tests.api.test_compiled_reads import build_data
from tests.helpers_compiled import Pair

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the compiled read path runs on PostgreSQL only")

DEPTH = 4  # fields below the root's record type, the leaf included

# Values for required arguments met on the way (none today; a new field with one is
# asked with these rather than skipped).
ARGUMENT_VALUES = {"Int": "2026", "String": '"KZ-55"', "Boolean": "true"}


def _required_args(field: Any) -> str:
    args = []
    for name, arg in field.args.items():
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None:
            named = get_named_type(arg.type).name
            if named not in ARGUMENT_VALUES:
                raise AssertionError(f"no test value for a required {named} argument {name}: add one")
            args.append(f"{name}: {ARGUMENT_VALUES[named]}")
    return f"({', '.join(args)})" if args else ""


def leaf_paths(schema: GraphQLSchema, type_: GraphQLObjectType, depth: int) -> Iterator[str]:
    """Every selection that asks exactly one leaf field of ``type_``, at most ``depth`` deep."""
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        args = _required_args(field)
        if is_leaf_type(named):
            yield f"{name}{args}"
        elif depth > 1:
            if isinstance(named, GraphQLInterfaceType):
                for impl in schema.get_possible_types(named):
                    for inner in leaf_paths(schema, impl, depth - 1):
                        yield f"{name}{args} {{ ... on {impl.name} {{ {inner} }} }}"
            else:
                assert isinstance(named, GraphQLObjectType)
                for inner in leaf_paths(schema, named, depth - 1):
                    yield f"{name}{args} {{ {inner} }}"


def connection_paths(schema: GraphQLSchema, connection: GraphQLObjectType) -> Iterator[str]:
    """A connection's own leaves, and every path below its nodes."""
    for name, field in connection.fields.items():
        named = get_named_type(field.type)
        if is_leaf_type(named):
            yield name
        elif name == "pageInfo":
            for inner in leaf_paths(schema, named, 1):
                yield f"pageInfo {{ {inner} }}"
        elif name == "edges":
            yield "edges { cursor }"
            node_type = get_named_type(named.fields["node"].type)
            for inner in leaf_paths(schema, node_type, DEPTH):
                yield f"edges {{ node {{ {inner} }} }}"
        else:
            raise AssertionError(f"{connection.name}.{name}: a connection field this test does not know")


def root_queries(schema: GraphQLSchema, node_ids: dict[str, str], application_id: str) -> Iterator[tuple[str, str]]:
    """(root, query) for every read root of SPEC §11 and every path below it."""
    query_type = schema.query_type
    assert query_type is not None
    for root, args in (("applications", "(first: 12)"), ("checkResults", "(first: 12)"), ("contracts", "(first: 12)"),
                       ("employers", "(first: 12)"), ("workPermits", "(first: 12)"), ("violations", "(first: 12)")):
        connection = get_named_type(query_type.fields[root].type)
        for path in connection_paths(schema, connection):
            yield root, f"{{ {root}{args} {{ {path} }} }}"
    application = schema.get_type("Application")
    for path in leaf_paths(schema, application, DEPTH):
        yield "application", f'{{ application(id: "{application_id}") {{ {path} }} }}'
    node = schema.get_type("Node")
    for impl in schema.get_possible_types(node):
        assert impl.name in node_ids, f"no {impl.name} in the differential data: add one"
        for path in leaf_paths(schema, impl, DEPTH):
            yield "node", f'{{ node(id: "{node_ids[impl.name]}") {{ ... on {impl.name} {{ {path} }} }} }}'


# Every caller class, and the callers its row filters tell apart: the owner of the data
# and another applicant, an agency with one check type and one with three (owned and
# granted). Staff is one class with one row filter (everything): an officer stands for it
# (an administrator reads the same; ``services.access.caller_of``).
CALLERS = {"anonymous": access.Caller.ANONYMOUS, "OFFICER": access.Caller.STAFF,
           "APPLICANT owner": access.Caller.APPLICANT, "APPLICANT other": access.Caller.APPLICANT,
           "GPO": access.Caller.AGENCY, "MVD_MIGRATION": access.Caller.AGENCY}


def _refused(caller: access.Caller, root: str, query: str) -> bool:
    """The root (or, for ``node``, the node type) refuses this caller before any field."""
    if caller not in access.ROOTS[root].readers:
        return True
    if root == "node":
        type_name = query.split("... on ", 1)[1].split(" ", 1)[0]
        return caller not in access.NODE_READERS[type_name]
    return False


async def labour_data(s: Any, app: m.Application) -> tuple[int, int, int]:
    """SPEC §15: an employer with an approved permit that ``app`` names, and a violation the
    migration service's key recorded (ids of the three)."""
    import datetime as dt

    from models.enums import Decision, PermitCategory, StaffCategory, ViolationKind
    from services.labour import employers, permits, violations
    from services.viewer import SYSTEM, Viewer
    from tests.services.test_labour import next_bin

    employer = await employers.register_employer(s, SYSTEM, bin=next_bin(), name="Differential Works LLP",
                                                 region_code="KZ-55",
                                                 local_staff=[employers.StaffCount(StaffCategory.CAT1, 10)])
    permit = await permits.request_work_permit(s, SYSTEM, employer_id=employer.id, category=PermitCategory.ICT,
                                               occupation_code="7212", region_code="KZ-55", workers=2, valid_months=6)
    await permits.decide_work_permit(s, SYSTEM, permit_id=permit.id, decision=Decision.APPROVE)
    app.permit_id = permit.id
    mvd = (await s.execute(select(m.Agency).where(m.Agency.code == "MVD_MIGRATION"))).scalar_one()
    violation = await violations.record_violation(
        s, Viewer(subject="agency:MVD_MIGRATION", role="AGENCY", agency_id=mvd.id, agency_code=mvd.code),
        kind=ViolationKind.OVERSTAY, occurred_on=dt.date(2026, 5, 1), external_id="DIFF-1", fine_mrp=10,
        employer_id=employer.id)
    await s.flush()
    return employer.id, permit.id, violation.id


@pytest.fixture(scope="module", autouse=True)
def validation_cache_holds_every_query() -> Iterator[None]:
    """Every caller asks the same few thousand query texts, on one schema object
    (``tests.conftest.shared_schema``): with a validation cache that holds
    them all, each text is validated once per test process instead of once per app
    and caller (validation was 40% of this module's time). A cache hit gives the
    errors the validation gave, so every response is what it would be otherwise."""
    size = ValidationByText.SIZE
    ValidationByText.SIZE = 50_000
    yield
    ValidationByText.SIZE = size
    while len(ValidationByText._cache) > size:
        ValidationByText._cache.popitem(last=False)


@pytest.fixture
async def world(database_url: str, sessions: Any):  # type: ignore[no-untyped-def]
    from services.auth import create_agency_key
    from services.viewer import SYSTEM

    await build_data(sessions)
    tokens: dict[str, str | None] = {
        "anonymous": None, "OFFICER": token_for("OFFICER", "o1"),
        "APPLICANT owner": token_for("APPLICANT", "alice"), "APPLICANT other": token_for("APPLICANT", "bob")}
    async with transaction(sessions) as s:
        for code in ("GPO", "MVD_MIGRATION"):  # one check type, and three (owned and granted)
            tokens[code] = (await create_agency_key(s, SYSTEM, code, label="differential"))[1]
        contract = (await s.execute(select(m.SocialContract).join(m.Application).where(
            m.Application.owner_subject == "alice").order_by(m.SocialContract.id))).scalars().first()
        assert contract is not None
        app = await s.get(m.Application, contract.application_id)
        gpo_types = (await s.execute(select(m.CheckType.id).join(m.Agency).where(m.Agency.code == "GPO"))).scalars().all()
        check = (await s.execute(select(m.Check).where(m.Check.application_id == app.id,
                                                       m.Check.check_type_id.in_(gpo_types)))).scalars().first()
        quota = (await s.execute(select(m.Quota).order_by(m.Quota.id))).scalars().first()
        s.add(m.SelectionRound(quota_id=quota.id, ran_at=app.submitted_at, ran_by="o1", cutoff_score=410,
                               seats_taken=1))
        await s.flush()
        round_ = (await s.execute(select(m.SelectionRound))).scalars().one()
        s.add(m.SelectionRoundApproval(round_id=round_.id, application_id=app.id, rank=1, score=410, seats=1))
        # SPEC §13: a deregistration reported by MVD_MIGRATION that opened a breach case on alice's contract.
        mvd_id = (await s.execute(select(m.Agency.id).where(m.Agency.code == "MVD_MIGRATION"))).scalar_one()
        breach = m.ContractBreach(contract_id=contract.id, status="OPEN", opened_on=contract.start_date)
        s.add(breach)
        await s.flush()
        event = m.ResidenceEvent(agency_id=mvd_id, external_id="differential-1", citizenship="UZB",
                                 document_number="DIFF00001", kind="DEREGISTERED", region_id=contract.region_id,
                                 occurred_on=contract.start_date, contract_id=contract.id, breach_id=breach.id)
        s.add(event)
        hook = m.WebhookEndpoint(  # GPO's: the GPO caller reaches it, MVD_MIGRATION does not
            agency_id=(await s.execute(select(m.Agency.id).where(m.Agency.code == "GPO"))).scalar_one(),
            url="https://hooks.example.org/qonys", events=["check.requested"], secret="whsec_c2VjcmV0",
            created_by="differential")
        s.add(hook)
        # SPEC §12 and §14: alice's status and a review (decided, so that every field has a value).
        status = m.KandasStatus(number="KS-2026-000001", application_id=app.id, applicant_id=app.applicant_id,
                                granted_on=dt.date(2026, 2, 1), valid_until=dt.date(2027, 2, 1), extended_months=None,
                                status="ACTIVE")
        review = m.DecisionReview(number="RV-2026-000001", application_id=app.id, status="UPHELD",
                                  grounds="The interview notes describe someone else.", requested_by="alice",
                                  due_date=dt.date(2026, 3, 2), reviewed_status="REJECTED",
                                  decision_on=dt.date(2026, 1, 20), decision_by="o1", score_model_version="2026.1",
                                  score_total=410, score_passed=True, outcome="UPHELD", reason="It stands.",
                                  decided_at=app.submitted_at, decided_by="o2")
        s.add_all([status, review])
        await s.flush()
        employer, permit, violation = await labour_data(s, app)
        firsts = {}
        for name, model in (("Region", m.Region), ("Agency", m.Agency), ("CheckType", m.CheckType),
                            ("ScoringModel", m.ScoringModel), ("Quota", m.Quota)):
            firsts[name] = (await s.execute(select(model.id).order_by(model.id))).scalars().first()
    node_ids = {name: ids.encode(name, pk) for name, pk in firsts.items()}
    node_ids.update({
        "Application": ids.encode("Application", app.id), "Applicant": ids.encode("Applicant", app.applicant_id),
        "Check": ids.encode("Check", check.id), "SocialContract": ids.encode("SocialContract", contract.id),
        "SelectionRound": ids.encode("SelectionRound", round_.id),
        "ResidenceEvent": ids.encode("ResidenceEvent", event.id), "ContractBreach": ids.encode("ContractBreach", breach.id),
        "WebhookEndpoint": ids.encode("WebhookEndpoint", hook.id),
        "KandasStatus": ids.encode("KandasStatus", status.id), "DecisionReview": ids.encode("DecisionReview", review.id),
        "Employer": ids.encode("Employer", employer), "WorkPermit": ids.encode("WorkPermit", permit),
        "Violation": ids.encode("Violation", violation)})
    pair = Pair(database_url)
    yield pair, tokens, node_ids
    await pair.close()


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_every_field_is_identical_on_both_engines(world: Any, caller: str) -> None:
    """Every (path × caller) pair, asked alone. Where the declaration refuses the caller
    at the root (or the node type), one query per root and type shows that both
    engines refuse alike: nothing below a refused root is answered."""
    pair, tokens, node_ids = world
    schema = build_schema()._schema
    compared: dict[str, int] = {}
    compiled_count = 0
    refused_seen: set[tuple[str, str]] = set()
    for root, query in root_queries(schema, node_ids, node_ids["Application"]):
        # A root the compiler does not know runs the same normal execution with the compiled
        # path on and off: one query per root (and node type) shows that; every path of a
        # root the compiler knows, today or once it learns one, is compared.
        if _refused(CALLERS[caller], root, query) or root not in COMPILED_ROOTS:
            kind = (root, query.split("... on ", 1)[1].split(" ", 1)[0] if root == "node" else "")
            if kind in refused_seen:
                continue
            refused_seen.add(kind)
        before = COMPILED_QUERIES._value.get()
        compiled, normal = await pair.both(query, {}, tokens[caller])
        compiled_count += int(COMPILED_QUERIES._value.get() - before)
        assert compiled == normal, (caller, query, compiled[:500], normal[:500])
        compared[root] = compared.get(root, 0) + 1
    print(f"\n{caller}: {sum(compared.values())} paths compared {compared}, {compiled_count} compiled")
    assert set(compared) == {"applications", "checkResults", "contracts", "application", "node", "employers",
                             "workPermits", "violations"}
    if CALLERS[caller] in (access.Caller.STAFF, access.Caller.AGENCY):
        assert compiled_count > 100, "the compiled path took no real part"


# ---------------------------------------------------------------- SPEC §11 as a table

AGENCY_SHOWN = {
    "Application": {"id", "number", "status", "route", "targetRegion", "submittedAt", "dueDate"},
    "Applicant": {"id", "fullName", "birthDate", "sex", "citizenship", "ethnicKazakh", "documentNumber"},
}
# Application.applicant is how the table's Applicant row is reached (non-null): shown.
REACHES = {"Application": {"applicant"}}


def _selection(schema: GraphQLSchema, type_name: str) -> str:
    """Every field of the type, objects with their id (or one leaf)."""
    type_ = schema.get_type(type_name)
    parts = []
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        if is_leaf_type(named):
            parts.append(name)
        elif isinstance(named, GraphQLObjectType):
            first = "id" if "id" in named.fields else next(
                n for n, f in named.fields.items() if is_leaf_type(get_named_type(f.type)))
            parts.append(f"{name} {{ {first} }}")
    return " ".join(parts)


def _empty(field_type: Any) -> Any:
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    return [] if isinstance(inner, GraphQLList) else None


async def test_spec_11_table_for_agencies_on_both_engines(world: Any) -> None:
    pair, tokens, _ = world
    schema = build_schema()._schema
    query = (f"{{ checkResults(first: 100) {{ edges {{ node {{ id application {{ "
             f"{_selection(schema, 'Application')} applicant {{ {_selection(schema, 'Applicant')} }} }} }} }} }} }}")
    truth_query = (f"{{ applications(first: 100) {{ edges {{ node {{ {_selection(schema, 'Application')} "
                   f"applicant {{ {_selection(schema, 'Applicant')} }} }} }} }} }}")
    officer = {e["node"]["id"]: e["node"] for e in json.loads(
        (await pair.both(truth_query, {}, tokens["OFFICER"]))[1])["data"]["applications"]["edges"]}
    checked = 0
    for agency in ("GPO", "MVD_MIGRATION"):
        compiled, normal = await pair.both(query, {}, tokens[agency])  # type: ignore[arg-type]
        assert compiled == normal
        edges = json.loads(compiled)["data"]["checkResults"]["edges"]
        assert edges, agency
        for edge in edges:
            seen = edge["node"]["application"]
            truth = officer[seen["id"]]
            for type_name, got, want in (("Application", seen, truth),
                                         ("Applicant", seen["applicant"], truth["applicant"])):
                for name, field in schema.get_type(type_name).fields.items():
                    if name in AGENCY_SHOWN[type_name] or name in REACHES.get(type_name, ()):
                        if name not in REACHES.get(type_name, ()):
                            assert got[name] == want[name], (agency, type_name, name)
                    else:
                        assert got[name] == _empty(field.type), (agency, type_name, name, got[name])
                    checked += 1
    assert checked > 0
