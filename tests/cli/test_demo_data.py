"""``cli.demo.generator.generate`` (``qonys demo-data``): synthetic applications
in every state, consistent with every rule the services enforce.

The data are checked the way an auditor would: quota seats against the
approved applications, each score against the engine re-run on the stored
facts, each contract's ledger against its caps and its total, names, IINs and
numbers against the input rules."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import sys
from collections import Counter, defaultdict
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    Applicant,
    Application,
    ApplicationDecision,
    AuditEvent,
    Check,
    CheckType,
    ContractBreach,
    ContractTermination,
    DecisionReview,
    DeficitOccupation,
    FamilyMember,
    Interview,
    KandasStatus,
    LanguageTest,
    MrpValue,
    NumberSequence,
    Questionnaire,
    Quota,
    RefundPayment,
    Region,
    ResidenceEvent,
    Score,
    ScoringModel,
    SelectionRound,
    SelectionRoundApproval,
    SocialContract,
    SupportMeasure,
    SupportPayment,
    TerminationReasonRule,
)
from models.base import ALMATY, today_almaty, utcnow
from core.db import transaction
from models.enums import ApplicationStatus as S
from models.enums import (BreachStatus, CheckStatus, ContractStatus, FamilyRelation, QuotaKind, ResidenceEventKind,
                          ReviewStatus, Route)
from models.types import CENT
from services import facts, holidays, kandas, numbers, scoring
from services import reviews as reviews_service
from cli.demo.common import DEMO_YEAR, TABLE_ORDER
from cli.demo.labour import LABOUR_TABLES
from models import Employer, Violation, WorkPermit
from models.enums import PermitCategory, PermitStatus
from services import integrity
from services.labour import rules as labour_rules
from cli.demo import generator as generator_module
from cli.demo.generator import generate
from services.rules import (
    add_months,
    add_years,
    age_on,
    certificate_number_problem,
    citizenship_problem,
    document_number_problem,
    full_name_problem,
    iin_problem,
)
from services.search import search_key
from tests.conftest import TEST_SECRET

N = 300
TABLES = {
    "applicant": Applicant, "application": Application, "language_test": LanguageTest,
    "questionnaire": Questionnaire, "family_member": FamilyMember, "check_result": Check, "interview": Interview, "score": Score,
    "selection_round": SelectionRound, "selection_round_approval": SelectionRoundApproval,
    "social_contract": SocialContract, "support_payment": SupportPayment,
    "contract_termination": ContractTermination, "refund_payment": RefundPayment,
    "residence_event": ResidenceEvent, "contract_breach": ContractBreach,
    "employer": Employer, "work_permit": WorkPermit, "violation": Violation,
}
NUMBER_RE = re.compile(r"RP-(\d{4})-(\d{6})")


async def _all(session: AsyncSession, model: type) -> list:
    return list((await session.execute(select(model).order_by(model.id))).scalars())


async def test_demo_data_is_consistent(sessions: async_sessionmaker[AsyncSession],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # The data are drawn from the seed and the generator's "now": held at the start of
    # today (Almaty), so that they do not change with the hour the test runs at.
    held = dt.datetime.combine(today_almaty(), dt.time(0, 0, 1), tzinfo=ALMATY).astimezone(dt.timezone.utc)
    monkeypatch.setattr(generator_module, "utcnow", lambda: held)
    calls: list[tuple[int, int]] = []
    started = held
    counts = await generate(sessions, applications=N, seed=7, batch_size=110,
                            progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, N) and calls[-1] == (N, N)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert set(counts) == set(TABLE_ORDER) | set(LABOUR_TABLES)

    async with transaction(sessions) as session:
        # ---- counts: the template holds reference data only, so every row is ours
        for table, model in TABLES.items():
            stored = (await session.execute(select(func.count()).select_from(model))).scalar_one()
            assert stored == counts[table], table
        assert counts["applicant"] == counts["application"] == N
        for table in ("language_test", "questionnaire", "family_member", "check_result", "interview", "score", "selection_round",
                      "selection_round_approval", "social_contract", "support_payment"):
            assert counts[table] > 0, table

        apps = await _all(session, Application)
        applicants = {a.id: a for a in await _all(session, Applicant)}
        regions = {r.id: r for r in await _all(session, Region)}
        tests = {t.application_id: t for t in await _all(session, LanguageTest)}
        questionnaires = {q.application_id: q for q in await _all(session, Questionnaire)}
        interviews = {i.application_id: i for i in await _all(session, Interview)}
        scores = {s.application_id: s for s in await _all(session, Score)}
        checks: dict[int, list[Check]] = defaultdict(list)
        for c in await _all(session, Check):
            checks[c.application_id].append(c)
        active_types = set((await session.execute(
            select(CheckType.id).where(CheckType.active.is_(True)))).scalars())
        deficit = {(d.year, d.region_id, d.occupation_id) for d in await _all(session, DeficitOccupation)}
        now = utcnow()

        # ---- every status and route, and the route rules
        assert {a.status for a in apps} == set(S)
        assert {a.route for a in apps} == set(Route)
        for a in apps:
            person = applicants[a.applicant_id]
            assert (a.citizenship, a.document_number, a.iin) == (person.citizenship, person.document_number, person.iin)
            if a.route == Route.KANDAS:
                assert person.ethnic_kazakh and regions[a.target_region_id].labour_deficit
            elif a.route == Route.LABOUR:
                assert (DEMO_YEAR, a.target_region_id, a.occupation_id) in deficit
            submitted_on = a.submitted_at.astimezone(ALMATY).date()
            assert a.due_date == submitted_on + dt.timedelta(days=29)
            assert dt.datetime(DEMO_YEAR, 1, 1, tzinfo=ALMATY) <= a.submitted_at <= now
            assert started - dt.timedelta(days=400) < a.submitted_at
            assert a.submitted_at <= a.updated_at <= now
            if a.status in (S.APPROVED, S.REJECTED, S.WITHDRAWN):
                assert a.decided_at is not None and a.submitted_at <= a.decided_at <= now
            else:
                assert a.decided_at is None
            assert 18 <= age_on(person.birth_date, submitted_on) <= 70

        # ---- applicants: names, IINs, documents; applications' numbers
        assert all(full_name_problem(p.full_name) is None for p in applicants.values())
        with_iin = [p for p in applicants.values() if p.iin is not None]
        assert 0.3 * N <= len(with_iin) <= 0.7 * N
        assert all(iin_problem(p.iin, p.birth_date, p.sex) is None for p in with_iin)
        assert len({p.iin for p in with_iin}) == len(with_iin)
        assert all(citizenship_problem(p.citizenship) is None for p in applicants.values())
        assert all(document_number_problem(p.document_number) is None for p in applicants.values())
        assert len({(p.citizenship, p.document_number) for p in applicants.values()}) == N
        assert len({p.citizenship for p in applicants.values()}) >= 6
        assert any(p.ethnic_kazakh for p in applicants.values()) and not all(p.ethnic_kazakh for p in applicants.values())
        matches = [NUMBER_RE.fullmatch(a.number) for a in apps]
        assert all(matches) and len({a.number for a in apps}) == N
        # search keys (issue 13 item 12), decisions and cancelled checks (items 5, 11)
        assert all(a.search_key == search_key(number=a.number, full_name=applicants[a.applicant_id].full_name,
                                              iin=a.iin, document_number=a.document_number) for a in apps)
        decided = {a.id: a for a in apps if a.status in (S.APPROVED, S.REJECTED, S.WITHDRAWN)}
        decisions = {d.application_id: d for d in await _all(session, ApplicationDecision)}
        # A refusal overturned on review (SPEC §14) keeps its decision row; the application is undecided again.
        reviews = await _all(session, DecisionReview)
        overturned = {r.application_id: r for r in reviews if r.status == ReviewStatus.OVERTURNED}
        undone = {i for i, r in overturned.items() if r.reviewed_status == S.REJECTED}
        assert set(decisions) == set(decided) | undone
        for app_id in undone:
            assert decisions.pop(app_id).outcome.value == "REJECTED"
        for app_id, d in decisions.items():
            assert (d.outcome.value, d.decided_at) == (decided[app_id].status.value, decided[app_id].decided_at)
            assert d.decided_by and (d.reason or d.outcome.value != "REJECTED")
            assert (d.selection_round_id is not None) == (decided[app_id].quota_id is not None
                                                          and decided[app_id].route == Route.KANDAS)
        for app_id, app_checks in checks.items():
            open_ = [c for c in app_checks if c.status == CheckStatus.REQUESTED]
            assert not (open_ and app_id in decided)
            assert all(app_id in decided for c in app_checks if c.status == CheckStatus.CANCELLED)
        top = max(int(m.group(2)) for m in matches if m)
        counter = (await session.execute(
            select(NumberSequence.value).where(NumberSequence.name == f"RP-{DEMO_YEAR}"))).scalar_one()
        assert counter == top
        certificates = [t.certificate_number for t in tests.values()]
        assert len(set(certificates)) == len(certificates)
        assert all(certificate_number_problem(c) is None for c in certificates)

        # ---- family members: 1 + members = family size where listed, each by the input rules
        members: dict[int, list[FamilyMember]] = defaultdict(list)
        for fm in await _all(session, FamilyMember):
            members[fm.application_id].append(fm)
        assert members and any(q.family_size > 1 and q.application_id not in members for q in questionnaires.values())
        for app_id, listed in members.items():
            q = questionnaires[app_id]
            assert 1 + len(listed) == q.family_size and [fm.position for fm in listed] == list(range(1, q.family_size))
            assert {fm.relation for fm in listed} <= set(FamilyRelation)
            for fm in listed:
                assert full_name_problem(fm.full_name) is None and document_number_problem(fm.document_number) is None
                assert fm.birth_date <= q.submitted_at.astimezone(ALMATY).date()
                assert fm.iin is None or iin_problem(fm.iin, fm.birth_date, fm.sex) is None
        member_iins = [fm.iin for listed in members.values() for fm in listed if fm.iin]
        assert member_iins and len(set(member_iins) | {p.iin for p in with_iin}) == len(member_iins) + len(with_iin)

        # ---- stages: complete for every scored application; none scored while SUBMITTED
        for a in apps:
            assert (a.id in questionnaires) <= (a.id in tests)  # the certificate opens the questionnaire
            score = scores.get(a.id)
            if a.status in (S.PASSED, S.FAILED, S.APPROVED):
                assert score is not None
            if a.status == S.SUBMITTED:
                assert score is None or (a.id in overturned and score.stale)  # sent back by a review
            if score is None:
                continue
            assert a.id in tests and a.id in questionnaires
            assert {c.check_type_id for c in checks[a.id]} == active_types
            assert all(c.status != CheckStatus.REQUESTED and c.completed_at is not None for c in checks[a.id])
            assert interviews[a.id].outcome is not None
            assert a.submitted_at <= score.computed_at <= now
            if a.status == S.PASSED or a.status == S.APPROVED:
                assert score.passed
            if a.status == S.FAILED:
                assert not score.passed
            assert score.passed == (score.total >= score.pass_mark and all(g["passed"] for g in score.result["gates"]))

        # ---- the engine re-run on the stored facts agrees (a sample)
        models_by_id = {m.id: m for m in await _all(session, ScoringModel)}
        scored_apps = [a for a in apps if a.id in scores]
        for a in random.Random(1).sample(scored_apps, 20):
            score = scores[a.id]
            on = score.computed_at.astimezone(ALMATY).date()
            gathered = await facts.gather(session, [a], on)
            again = scoring.evaluate(models_by_id[score.scoring_model_id].definition, gathered[a.id], a.route.value)
            assert (again.total, again.passed, again.max_total) == (score.total, score.passed, score.max_total)
            assert again.to_json() == scoring.stored_score(score.result, score.explanation)
            assert score.model_version == models_by_id[score.scoring_model_id].version

        # ---- quotas: used == seats of the approved applications, never over capacity
        booked: Counter[int] = Counter()
        for a in apps:
            if a.status == S.APPROVED and a.quota_id is not None:
                booked[a.quota_id] += a.seats
        for p in await _all(session, WorkPermit):  # and the workers of the approved work permits (SPEC §15)
            if p.status == PermitStatus.APPROVED and p.quota_id is not None:
                booked[p.quota_id] += p.workers
        quotas = await _all(session, Quota)
        for q in quotas:
            assert q.used == booked[q.id] <= q.capacity, q.id
        quota_by_id = {q.id: q for q in quotas}
        for a in apps:
            if a.status != S.APPROVED:
                assert a.quota_id is None and a.seats is None
            elif a.route == Route.KANDAS:
                q = quota_by_id[a.quota_id]
                assert (q.kind, q.region_id) == (QuotaKind.KANDAS, a.target_region_id)
                assert a.seats == questionnaires[a.id].family_size
            elif a.route == Route.LABOUR:
                q = quota_by_id[a.quota_id]
                assert (q.kind, q.region_id, q.occupation_id, q.year) == (
                    QuotaKind.LABOUR, a.target_region_id, a.occupation_id, a.decided_at.astimezone(ALMATY).year)
                assert a.seats == 1
            else:
                assert a.quota_id is None and a.seats is None

        # ---- selection rounds: every approved KANDAS application, ranked, within the round's seats
        approvals = {x.application_id: x for x in await _all(session, SelectionRoundApproval)}
        rounds = {r.id: r for r in await _all(session, SelectionRound)}
        kandas_approved = [a for a in apps if a.route == Route.KANDAS and a.status == S.APPROVED]
        assert kandas_approved and set(approvals) == {a.id for a in kandas_approved}
        per_round: Counter[int] = Counter()
        for a in kandas_approved:
            x = approvals[a.id]
            r = rounds[x.round_id]
            assert x.seats == a.seats and x.score == scores[a.id].total and r.quota_id == a.quota_id
            assert r.ran_at == a.decided_at and scores[a.id].computed_at <= r.ran_at
            per_round[r.id] += x.seats
        for r in rounds.values():
            assert r.seats_taken == per_round[r.id]

        # ---- contracts: ledger, caps, refunds
        mrp = {m.year: m.amount for m in await _all(session, MrpValue)}
        measures = {m.id: m for m in await _all(session, SupportMeasure)}
        refundable = {r.code: r.refundable for r in await _all(session, TerminationReasonRule)}
        contracts = await _all(session, SocialContract)
        payments: dict[int, list[SupportPayment]] = defaultdict(list)
        for p in (await session.execute(select(SupportPayment).order_by(SupportPayment.paid_on, SupportPayment.id))).scalars():
            payments[p.contract_id].append(p)
        terminations = {t.contract_id: t for t in await _all(session, ContractTermination)}
        refunds: dict[int, list[RefundPayment]] = defaultdict(list)
        for r in await _all(session, RefundPayment):
            refunds[r.contract_id].append(r)
        by_app = {a.id: a for a in apps}
        assert len({c.number for c in contracts}) == len(contracts)
        assert len({c.application_id for c in contracts}) == len(contracts)
        for c in contracts:
            a = by_app[c.application_id]
            assert re.fullmatch(rf"SC-{c.start_date.year}-\d{{6}}", c.number)
            assert a.route == Route.KANDAS and a.status == S.APPROVED
            assert (c.region_id, c.family_size) == (a.target_region_id, a.seats)
            assert c.end_date == add_years(c.start_date, 5)
            assert c.start_date >= a.decided_at.astimezone(ALMATY).date()
            ledger = payments[c.id]
            assert c.total_support == sum((p.amount for p in ledger), Decimal("0.00"))
            paid: Counter[int] = Counter()
            for p in ledger:  # each payment within its measure's cap, as recordSupportPayment checks it
                m = measures[p.measure_id]
                cap = (m.cap_mrp * mrp[p.paid_on.year] * (c.family_size if m.per_family_member else 1)).quantize(
                    CENT, rounding=ROUND_DOWN)
                paid[p.measure_id] += p.amount
                assert Decimal("0") < p.amount and paid[p.measure_id] <= cap, (c.number, m.code)
                assert c.start_date <= p.paid_on < c.end_date and p.paid_on <= now.astimezone(ALMATY).date()
            t = terminations.get(c.id)
            if t is None:
                assert c.status == ContractStatus.ACTIVE and not refunds[c.id]
                continue
            assert c.status == ContractStatus.TERMINATED
            assert c.start_date <= t.effective_date < c.end_date
            assert all(p.paid_on < t.effective_date for p in ledger)
            assert t.refund_due == (c.total_support if refundable.get(t.reason, True) else Decimal("0.00"))
            assert t.refund_paid == sum((r.amount for r in refunds[c.id]), Decimal("0.00")) <= t.refund_due

        # ---- residence (SPEC §13): events and cases in every state, written by the services
        events = await _all(session, ResidenceEvent)
        cases = await _all(session, ContractBreach)
        assert {e.kind for e in events} == set(ResidenceEventKind)
        assert {c.status for c in cases} == set(BreachStatus)
        by_contract = {c.id: c for c in contracts}
        for case in cases:
            ended = terminations.get(case.contract_id)
            if case.status == BreachStatus.CONFIRMED:
                assert (ended.reason.value, ended.effective_date) == ("LEFT_REGION", case.opened_on)
            else:
                assert by_contract[case.contract_id].status == ContractStatus.ACTIVE and ended is None
        assert all(by_contract[e.contract_id].start_date <= e.occurred_on <= now.astimezone(ALMATY).date()
                   for e in events)
        # ---- kandas statuses (SPEC §12): one per approved KANDAS family, granted on the decision's date
        statuses = {k.application_id: k for k in await _all(session, KandasStatus)}
        assert set(statuses) == {a.id for a in kandas_approved}
        for app_id, k in statuses.items():
            a = by_app[app_id]
            assert re.fullmatch(rf"KS-{k.granted_on.year}-\d{{6}}", k.number) and k.applicant_id == a.applicant_id
            assert k.granted_on == a.decided_at.astimezone(ALMATY).date()
            assert k.valid_until == add_months(kandas.valid_until_of(k.granted_on), k.extended_months or 0)
            assert (k.status == "ENDED") == (k.ended_on is not None)
            if k.ended_on is not None:
                assert k.granted_on <= k.ended_on <= min(k.valid_until, now.astimezone(ALMATY).date())
        assert len({k.number for k in statuses.values()}) == len(statuses)
        assert {k.status.value for k in statuses.values()} == {"ACTIVE", "ENDED"}  # EXPIRED: a year after (read)
        assert any(k.extended_months for k in statuses.values())
        for c in contracts:  # signContract needed the status: not ended before, valid on the start date
            k = statuses[c.application_id]
            assert c.start_date <= k.valid_until and (k.ended_on is None or k.ended_on > c.start_date)
        # ---- reviews (SPEC §14): asked within 3 months, due 20 working days later, in every state
        days_off = await holidays.days_off(session)
        assert {r.status for r in reviews} == set(ReviewStatus), Counter(r.status for r in reviews)
        for r in reviews:
            asked = r.requested_at.astimezone(ALMATY).date()
            assert r.decision_on < asked <= reviews_service.last_day_to_ask(r.decision_on)
            assert r.due_date == holidays.add_working_days(asked, 20, days_off)
            assert r.reviewed_status in (S.FAILED, S.REJECTED) and 10 <= len(r.grounds) <= 4000
            if r.status == ReviewStatus.OPEN:
                assert by_app[r.application_id].status == r.reviewed_status and r.outcome is None
            else:
                assert r.outcome.value == r.status.value and r.decided_at >= r.requested_at
        assert len({r.number for r in reviews}) == len(reviews)
        # ---- employers of every size, permits in every state and category, violations, a suspension
        firms = await _all(session, Employer)
        sizes = {sum(labour_rules.staff_of(e).values()) for e in firms}
        assert min(sizes) < 50 and max(sizes) > 5000
        work_permits = await _all(session, WorkPermit)
        assert {p.status for p in work_permits} == set(PermitStatus)
        assert {p.category for p in work_permits} >= {PermitCategory.CAT3, PermitCategory.SEASONAL, PermitCategory.ICT}
        assert all((p.quota_id is None) == (p.category == PermitCategory.ICT or p.status != PermitStatus.APPROVED)
                   for p in work_permits)
        assert any(e.suspended_until is not None for e in firms)
        demo_violations = await _all(session, Violation)
        assert {v.employer_id is None for v in demo_violations} == {True, False}
        assert await integrity.quota_used(session) == await integrity.permit_places(session) == []

        # ---- each application's moves, audited as the services audit them (check-integrity proves clean)
        moves: dict[int, list[AuditEvent]] = defaultdict(list)
        for e in (await session.execute(select(AuditEvent).where(
                AuditEvent.entity_type == "application", AuditEvent.action.like("application.%"))
                .order_by(AuditEvent.id))).scalars():
            moves[e.entity_id].append(e)
        assert counts["audit_event"] == sum(len(v) for v in moves.values())  # the services' ones come later
        for a in apps:
            first, *rest = moves[a.id]
            assert (first.action, first.changes["number"], first.changes["applicantId"]) == (
                "application.submit", a.number, a.applicant_id)
            assert first.at == a.submitted_at and first.changes["status"] == "SUBMITTED"
            status = S.SUBMITTED.value
            for before, e in zip(moves[a.id], rest):  # a chain of moves, in time order
                assert e.changes["status"][0] == status and e.at >= before.at, (a.number, e.action)
                status = e.changes["status"][1]
            assert status == a.status.value, a.number
        assert await integrity.audited_statuses(session) == []

        # ---- one audit event for the run
        events = list((await session.execute(
            select(AuditEvent).where(AuditEvent.action == "demo_data.generate"))).scalars())
        assert len(events) == 1 and events[0].changes["applications"] == N
        assert events[0].changes["rows"]["application"] == N


async def test_second_run_adds_as_many_again(sessions: async_sessionmaker[AsyncSession]) -> None:
    first = await generate(sessions, applications=40, seed=3, batch_size=25)
    second = await generate(sessions, applications=40, seed=3, batch_size=1000)
    assert first["application"] == second["application"] == 40
    async with transaction(sessions) as session:
        apps = await _all(session, Application)
        people = await _all(session, Applicant)
        assert len(apps) == 80 and len({a.number for a in apps}) == 80
        # Same seed, different data: the second run does not repeat the first.
        assert len({(p.citizenship, p.document_number) for p in people}) == 80
        assert len({p.full_name for p in people}) > 60
        # The API's next number follows the demo's last one.
        top = max(int(a.number[-6:]) for a in apps)
        assert await numbers.next_number(session, "RP", DEMO_YEAR) == f"RP-{DEMO_YEAR}-{top + 1:06d}"
        # New rows get fresh ids from the database after the explicit ones.
        last_id = max(a.id for a in people)
        extra = Applicant(full_name="Test Person", birth_date=dt.date(1990, 1, 1), sex="MALE", citizenship="UZB",
                          ethnic_kazakh=False, document_number="AA0000001", created_at=utcnow())
        session.add(extra)
        await session.flush()
        assert extra.id == last_id + 1


async def test_cli_shows_the_rows_added(database_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QONYS_")}
    env.update(QONYS_DATABASE_URL=database_url, QONYS_SECRET_KEY=TEST_SECRET, COLUMNS="200", NO_COLOR="1",
               TERM="dumb", QONYS_TODAY=today_almaty().isoformat())  # the tests' "today" (conftest)
    qonys = Path(sys.executable).parent / "qonys"
    process = await asyncio.create_subprocess_exec(
        str(qonys), "demo-data", "--applications", "30", "--batch-size", "12", "--seed", "5", env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert re.search(r"application\s.*\b30\b", text) and re.search(r"30 applications in [0-9.]+ s", text), text
    async with transaction(sessions) as session:
        assert (await session.execute(select(func.count()).select_from(Application))).scalar_one() == 30


def test_birth_dates_fit_the_age_on_the_28th_of_february() -> None:
    """Someone born on Feb 29 is a year older on Feb 28 of a common year: a birth
    date drawn for an age never lands there (it did, now and then, and stopped a run)."""
    import random

    from cli.demo.people import People

    people = People.__new__(People)  # birth_date needs only the random source
    people.rng = random.Random(0)
    for on in (dt.date(2026, 2, 28), dt.date(2027, 2, 28), dt.date(2028, 2, 29), dt.date(2026, 3, 1)):
        for age in range(0, 101):
            for _ in range(40):
                assert age_on(people.birth_date(on, age), on) == age, (on, age)
