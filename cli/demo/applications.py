"""One application at a time: the applicant, the stages it got through (language
test, questionnaire with its family, checks, interview), its score by the real
engine on facts built by :func:`services.facts.build`, and the decision an
officer or the applicant took; KANDAS candidates wait for their region's
selection round (:mod:`cli.demo.rounds`)."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

from cli.demo.common import DEMO_YEAR, OFFICER, Batch, Choice, Ref, Window, add_months, almaty_date, at, moment, ri
from cli.demo.context import Context, Engine
from cli.demo.people import People
from models.enums import ApplicationStatus, ScoreReason
from services.applications import due_date, moved_to
from services.facts import build as build_facts
from services.rules import age_on
from services.scoring_models import status_after
from services.scoring.results import split

# The actions of the status table (services.applications.ALLOWED_FROM / LEADS_TO) the demo takes.
APPROVE, REJECT, WITHDRAW = "decideApplication(APPROVE)", "decideApplication(REJECT)", "withdrawApplication"

_LEVELS_KAZAKH = Choice((("A1", 3), ("A2", 12), ("B1", 30), ("B2", 33), ("C1", 22)))
_LEVELS_OTHER = Choice((("A1", 30), ("A2", 35), ("B1", 22), ("B2", 10), ("C1", 3)))
_LEVEL_PERCENT = {"A1": (30, 75), "A2": (45, 85), "B1": (55, 92), "B2": (65, 97), "C1": (75, 100)}
_EDUCATION_SKILLED = Choice((("SECONDARY", 10), ("VOCATIONAL", 25), ("BACHELOR", 40), ("MASTER", 18),
                              ("DOCTORATE", 7)))
_EDUCATION = Choice((("NONE", 1), ("SECONDARY", 20), ("VOCATIONAL", 30), ("BACHELOR", 33), ("MASTER", 12),
                      ("DOCTORATE", 4)))
_FAMILY = {
    "KANDAS": Choice(((1, 12), (2, 18), (3, 20), (4, 22), (5, 14), (6, 8), (7, 4), (8, 2))),
    "GENERAL": Choice(((1, 35), (2, 25), (3, 20), (4, 14), (5, 6))),
    "LABOUR": Choice(((1, 60), (2, 15), (3, 12), (4, 10), (5, 3))),
}
_KAZAKH_ROUTE = Choice((("KANDAS", 80), ("GENERAL", 17), ("LABOUR", 3)))
_OTHER_ROUTE = Choice((("GENERAL", 55), ("LABOUR", 45)))
_STAGES_DONE = Choice(((0, 25), (1, 20), (2, 20), (3, 20), (4, 15)))
_RUSSIAN_HIGH = Choice((("NONE", 10), ("BASIC", 30), ("FLUENT", 60)))
_RUSSIAN_LOW = Choice((("NONE", 45), ("BASIC", 40), ("FLUENT", 15)))
_ENGLISH = Choice((("NONE", 40), ("BASIC", 40), ("FLUENT", 20)))
_OUTCOME = Choice((("PASSED", 92), ("FAILED", 5), ("NO_SHOW", 3)))
_GENERAL_REGION_WEIGHTS = {"KZ-75": 20, "KZ-71": 18, "KZ-79": 8, "KZ-19": 8, "KZ-61": 6, "KZ-35": 4, "KZ-15": 4,
                           "KZ-47": 4}
_CHECK_NOTES = (
    "a record in the registry needs an officer's review",
    "the data differ between the documents submitted",
    "the partner agency asked for additional documents",
    "the result came back incomplete",
)
_REJECT_FAILED = (
    "did not pass the preliminary selection",
    "a mandatory check was not cleared",
    "the interview was not passed",
    "the language test result is below the requirement",
)
_REJECT_PASSED = (
    "documents could not be verified in the original",
    "the applicant did not confirm the target region",
    "inconsistent information in the questionnaire",
)
_WITHDRAW = (
    "the applicant changed plans",
    "family circumstances",
    "applied again with corrected documents",
    "moved to another route",
)
_INTERVIEW_NOTES = {
    "PASSED": (None, None, "motivated; clear settlement plan", "good command of the language"),
    "FAILED": ("answers about the settlement plan were inconsistent", "could not confirm work experience"),
    "NO_SHOW": ("did not come and did not reschedule",),
}


# The audited action of each move, as the service taking it names it (services.integrity.STATUS_EVENTS).
_AUDITED = {APPROVE: "application.decide", REJECT: "application.decide", WITHDRAW: "application.withdraw",
            "runSelectionRound": "application.approve"}


def decide(b: Batch, app_index: int, action: str, when: dt.datetime, reason: str | None, *,
           refs: tuple[tuple[str, Ref], ...] = (), **changes: Any) -> None:
    """Take ``action`` on the application at ``when``: the status it moves to, as the
    table says, and the audit event the service writes (``changes`` and ``refs``:
    what it adds to the move and the reason)."""
    app = b.rows["application"][app_index]
    old = app["status"]
    app["status"] = moved_to(ApplicationStatus(old), action).value
    app["decided_at"] = when
    app["decision_reason"] = reason
    app["updated_at"] = when
    audited: dict[str, Any] = {"status": [old, app["status"]]}
    if action in (APPROVE, REJECT):
        audited.update(decision=action[len("decideApplication("):-1], reason=reason)
    elif action == WITHDRAW:
        audited["reason"] = reason
    b.audit(app_index, _AUDITED[action], when, {**audited, **changes}, refs=refs,
            by=app["owner_subject"] if action == WITHDRAW else None)


class Applications:
    """Draws applications into a batch. KANDAS candidates are collected in
    ``round_candidates``: (region id, round time) -> (application index, score,
    submitted at, family size)."""

    def __init__(self, ctx: Context, rng: random.Random, people: People, window: Window) -> None:
        self.ctx = ctx
        self.rng = rng
        self.people = people
        self.window = window
        self.copy = ctx.dialect == "postgresql"  # rows go in with COPY: JSON as text
        deficit_regions = [r for r in ctx.regions if r[2]]
        self.has_kandas = bool(deficit_regions)  # KANDAS applicants settle in labour-deficit regions only
        self.kandas_regions = Choice([
            (r[0], ctx.kandas_quotas[r[0]].capacity if r[0] in ctx.kandas_quotas else 20) for r in deficit_regions
        ] or [(0, 1)])
        labour = [(rid, len(occs)) for rid, occs in sorted(ctx.deficit_by_region.items()) if occs]
        self.has_labour = bool(labour)
        self.labour_regions = Choice(labour or [(0, 1)])
        self.general_regions = Choice([(r[0], _GENERAL_REGION_WEIGHTS.get(r[1], 3)) for r in ctx.regions])
        self.region_deficit = {r[0]: r[2] for r in ctx.regions}
        self.region_codes = {r[0]: r[1] for r in ctx.regions}

    def _submitted_at(self) -> dt.datetime:
        # Working hours in Almaty on a random day of the year so far.
        for _ in range(10):
            day = almaty_date(self.window.start + dt.timedelta(seconds=self.rng.random() * self.window.span))
            when = at(day, ri(self.rng, 8, 19), ri(self.rng, 0, 59)) + dt.timedelta(
                seconds=ri(self.rng, 0, 59), microseconds=ri(self.rng, 0, 999_999))
            if self.window.start <= when <= self.window.ceiling:
                return when
        return self.window.start + dt.timedelta(seconds=self.rng.random() * self.window.span)

    def _engine(self, on: dt.date) -> Engine | None:
        for effective_from, engine in self.ctx.models:
            if effective_from <= on:
                return engine
        return None

    def _check_status(self, code: str, mandatory: bool, q: dict[str, Any] | None) -> str:
        r = self.rng.random()
        if code == "CRIMINAL_RECORD" and q is not None and q["criminal_record"] and r < 0.7:
            return "FLAGGED"
        if not mandatory:
            return "CLEARED" if r < 0.85 else "FLAGGED"
        return "CLEARED" if r < 0.99 else ("FLAGGED" if r < 0.997 else "REJECTED")

    def application(self, b: Batch, round_candidates: dict[Any, list[Any]]) -> None:
        rng = self.rng
        ctx = self.ctx
        ethnic = rng.random() < 0.45
        if ethnic:
            citizenship = self.people.kazakh_citizenships(rng)
            route = _KAZAKH_ROUTE(rng)
        else:
            citizenship = self.people.other_citizenships(rng)
            route = _OTHER_ROUTE(rng)
        if (route == "LABOUR" and not self.has_labour) or (route == "KANDAS" and not self.has_kandas):
            route = "GENERAL"
        sex = "MALE" if rng.random() < (0.8 if route == "LABOUR" else 0.5) else "FEMALE"
        submitted_at = self._submitted_at()
        submitted_on = almaty_date(submitted_at)
        age = int(rng.triangular(20, 56, 31)) if route == "LABOUR" else int(rng.triangular(18, 71, 33))
        age = max(18, min(70, age))
        birth = self.people.birth_date(submitted_on, age)
        iin = self.people.iin(birth, sex) if rng.random() < 0.5 else None
        document = self.people.document(citizenship)
        owner = f"demo-{rng.getrandbits(48):012x}" if rng.random() < 0.6 else None

        occupation = None
        if route == "KANDAS":
            region = self.kandas_regions(rng)
        elif route == "LABOUR":
            region = self.labour_regions(rng)
            occupation = rng.choice(ctx.deficit_by_region[region])
        else:
            region = self.general_regions(rng)
            if rng.random() < 0.3 and ctx.occupations:
                occupation = rng.choice(ctx.occupations)

        applicant = b.add("applicant", {
            "owner_subject": owner, "iin": iin, "full_name": self.people.full_name(citizenship, ethnic, sex),
            "birth_date": birth, "sex": sex, "citizenship": citizenship, "ethnic_kazakh": ethnic,
            "document_number": document, "created_at": submitted_at,
        })
        app: dict[str, Any] = {
            "number": None, "applicant_id": applicant, "owner_subject": owner, "route": route,
            "target_region_id": region, "occupation_id": occupation, "status": "SUBMITTED",
            "citizenship": citizenship, "document_number": document, "iin": iin, "submitted_at": submitted_at,
            "due_date": due_date(submitted_on), "decided_at": None, "decision_reason": None,
            "seats": None, "quota_id": None, "updated_at": submitted_at, "search_key": None,
            "permit_id": None,  # the demo's LABOUR applications take quota seats, none names a permit
        }
        app_index = b.add("application", app)
        b.audit(app_index, "application.submit", submitted_at, {  # as services.applications.submission writes it
            "route": route, "targetRegion": self.region_codes[region],
            "occupation": ctx.occupation_codes.get(occupation) if occupation is not None else None,
            "status": "SUBMITTED", "dueDate": app["due_date"].isoformat(), "ownerSubject": owner},
            refs=(("number", Ref("application", app_index, "number")), ("applicantId", Ref("applicant", applicant))),
            by=owner)

        # How far it got.
        elapsed_days = (self.window.ceiling - submitted_at).total_seconds() / 86400
        in_progress = 0.04 if elapsed_days >= 30 else max(0.04, 1 - elapsed_days / 30)
        r = rng.random()
        if elapsed_days < 1 or r < in_progress:
            plan = "in_progress"
        elif r < in_progress + 0.03:
            plan = "withdrawn_early"
        else:
            plan = "scored"

        if plan != "scored":
            stages = _STAGES_DONE(rng)
            end = self.window.ceiling if plan == "in_progress" else moment(
                rng, submitted_at + (self.window.ceiling - submitted_at) * 0.2, self.window.ceiling)
            last = self._stages(b, app_index, app, stages, submitted_at, end, complete=False,
                                open_ended=plan == "in_progress")
            if plan == "withdrawn_early":
                withdrawn_at = moment(rng, last, end)
                decide(b, app_index, WITHDRAW, withdrawn_at, rng.choice(_WITHDRAW) if rng.random() < 0.7 else None)
            else:
                app["updated_at"] = last
            b.statuses[app["status"]] += 1
            return

        # Scored: every stage, then the score, then perhaps a decision.
        budget = min(elapsed_days * 0.95, rng.triangular(4, 40, 16))
        scored_at = submitted_at + dt.timedelta(days=budget)
        facts = self._stages(b, app_index, app, 4, submitted_at, scored_at, complete=True)
        on = almaty_date(scored_at)
        engine = self._engine(on)
        if engine is None:  # no model in force that day: it waits, fully staged
            b.statuses[app["status"]] += 1
            return
        assert isinstance(facts, dict)
        result, texts = engine.evaluate(facts, route)
        stored, explanation = texts[:2] if self.copy else split(result.to_json())
        b.add("score", {
            "application_id": app_index, "scoring_model_id": engine.model_id, "model_version": engine.version,
            "total": result.total, "max_total": result.max_total, "pass_mark": result.pass_mark,
            "passed": result.passed, "result": stored, "explanation": explanation,
            "rendered_gates": texts.rendered_gates, "rendered_breakdown": texts.rendered_breakdown,
            "computed_at": scored_at, "stale": False,
        })
        b.add("score_history", {  # as services.scoring_models.store_scores adds it
            "application_id": app_index, "scoring_model_id": engine.model_id, "model_version": engine.version,
            "total": result.total, "max_total": result.max_total, "pass_mark": result.pass_mark,
            "passed": result.passed, "computed_at": scored_at, "reason": ScoreReason.FIRST_SCORE.value,
        })
        old = app["status"]
        app["status"] = moved_to(ApplicationStatus(old), "scoreApplication", status_after(result)).value
        app["updated_at"] = scored_at
        b.audit(app_index, "application.score", scored_at, {  # the result itself is on the score row
            "status": [old, app["status"]], "modelVersion": engine.version, "total": result.total,
            "passed": result.passed, "previous": None})
        decided_at = moment(rng, min(scored_at + dt.timedelta(hours=4), self.window.ceiling),
                            min(scored_at + dt.timedelta(days=12), self.window.ceiling))
        x = rng.random()
        if not result.passed:
            if x < 0.05:
                decide(b, app_index, WITHDRAW, decided_at, rng.choice(_WITHDRAW))
            elif x < 0.65:
                decide(b, app_index, REJECT, decided_at, rng.choice(_REJECT_FAILED))
        elif route == "KANDAS":
            if x < 0.06:
                decide(b, app_index, WITHDRAW, decided_at, rng.choice(_WITHDRAW))
            elif x < 0.10:
                decide(b, app_index, REJECT, decided_at, rng.choice(_REJECT_PASSED))
            elif x < 0.88 and region in ctx.kandas_quotas:
                # Selection rounds run on the first working morning of the next month.
                month = add_months(on.replace(day=1), 1)
                ran_at = min(at(month, 10), self.window.ceiling)
                round_candidates[(region, ran_at)].append(
                    (app_index, result.total, submitted_at, facts["questionnaire.familySize"]))
        elif route == "GENERAL":
            if x < 0.05:
                decide(b, app_index, WITHDRAW, decided_at, rng.choice(_WITHDRAW))
            elif x < 0.15:
                decide(b, app_index, REJECT, decided_at, rng.choice(_REJECT_PASSED))
            elif x < 0.72:
                decide(b, app_index, APPROVE, decided_at, None)
        else:  # LABOUR: one seat of the (region, occupation, year) quota, if any is left
            quota = ctx.labour_quotas.get((region, occupation)) if almaty_date(decided_at).year == DEMO_YEAR else None
            if x < 0.05:
                decide(b, app_index, WITHDRAW, decided_at, rng.choice(_WITHDRAW))
            elif x < 0.12:
                decide(b, app_index, REJECT, decided_at, rng.choice(_REJECT_PASSED))
            elif x < 0.8 and quota is not None and quota.left >= 1:
                quota.taken += 1
                b.quota_seats[quota.id] += 1
                app["quota_id"] = quota.id
                app["seats"] = 1
                decide(b, app_index, APPROVE, decided_at, None, quotaId=quota.id, seats=1)
        b.statuses[app["status"]] += 1

    def _stages(
        self, b: Batch, app_index: int, app: dict[str, Any], stages: int, begin: dt.datetime, end: dt.datetime,
        *, complete: bool, open_ended: bool = False,
    ) -> dt.datetime | dict[str, Any]:
        """Record the first ``stages`` stages between ``begin`` and ``end``. With
        ``complete`` every stage is finished and the scoring facts are returned;
        otherwise the time of the last event."""
        rng = self.rng
        ctx = self.ctx
        applicant = b.rows["applicant"][app["applicant_id"]]
        ethnic = applicant["ethnic_kazakh"]
        birth = applicant["birth_date"]
        route = app["route"]
        region = app["target_region_id"]
        occupation = app["occupation_id"]
        length = end - begin
        marks = sorted(rng.random() for _ in range(6))
        times = [begin + length * (0.02 + 0.9 * m) for m in marks]
        last = begin
        test = q = None
        if stages >= 1:
            level = (_LEVELS_KAZAKH if ethnic else _LEVELS_OTHER)(rng)
            low, high = _LEVEL_PERCENT[level]
            listening, reading = ri(rng, low, high), ri(rng, low, high)
            if rng.random() < 0.04:
                if rng.random() < 0.5:
                    listening = ri(rng, 8, 29)
                else:
                    reading = ri(rng, 8, 29)
            recorded_at = times[0]
            test = {
                "application_id": app_index, "level": level, "listening_percent": listening,
                "reading_percent": reading, "certificate_number": self.people.certificate(almaty_date(recorded_at).year),
                "taken_on": almaty_date(recorded_at) - dt.timedelta(days=int(rng.triangular(0, 150, 10))),
                "recorded_at": recorded_at,
            }
            b.add("language_test", test)
            last = recorded_at
        if stages >= 2:
            age = age_on(applicant["birth_date"], almaty_date(times[1]))
            most = max(0, min(60, age - 18))
            experience = min(most, int(rng.random() ** 1.4 * (most + 1)))
            if route == "GENERAL":
                savings = rng.lognormvariate(math.log(9_000_000), 0.5)
            else:
                savings = rng.lognormvariate(math.log(1_500_000), 1.0)
            citizenship = applicant["citizenship"]
            russian_fluent = citizenship in ("RUS", "KGZ", "UZB", "TJK", "TKM")
            q_occupation = occupation if occupation is not None else (
                rng.choice(ctx.occupations) if ctx.occupations and rng.random() < 0.45 else None)
            q = {
                "application_id": app_index,
                "education_level": (_EDUCATION_SKILLED if route == "GENERAL" else _EDUCATION)(rng),
                "work_experience_years": experience, "occupation_id": q_occupation,
                "family_size": _FAMILY[route](rng),
                "russian": (_RUSSIAN_HIGH if russian_fluent else _RUSSIAN_LOW)(rng),
                "english": _ENGLISH(rng),
                "relatives_in_kazakhstan": rng.random() < (0.65 if ethnic else 0.2),
                "prior_stay_in_kazakhstan": rng.random() < (0.7 if applicant["iin"] else 0.15),
                "criminal_record": rng.random() < 0.02,
                "deported_before": rng.random() < 0.015,
                "savings": Decimal(int(savings) // 50_000 * 50_000),  # declared in round sums
                "submitted_at": times[1],
            }
            b.add("questionnaire", q)
            if q["family_size"] > 1 and rng.random() < 0.85:  # the rest give a bare count, as older clients do
                self.people.family(b, app_index, applicant, q["family_size"] - 1, almaty_date(times[1]))
            last = times[1]
        checks: list[tuple[str, bool]] = []
        if stages >= 3:
            requested_at = times[2]
            for type_id, code, mandatory, agency in ctx.check_types:
                done = complete or rng.random() < 0.6
                if done:
                    status = self._check_status(code, mandatory, q)
                    completed_at = moment(rng, requested_at, times[3])
                else:
                    status, completed_at = "REQUESTED", None
                b.add("check_result", {
                    "application_id": app_index, "check_type_id": type_id, "status": status,
                    "details": rng.choice(_CHECK_NOTES) if status in ("FLAGGED", "REJECTED") else None,
                    "requested_at": requested_at, "completed_at": completed_at,
                    "updated_at": completed_at or requested_at,
                    "recorded_by": f"agency:{agency}" if completed_at and rng.random() < 0.8
                    else (OFFICER if completed_at else None),
                })
                checks.append((status, mandatory))
                last = max(last, completed_at or requested_at)
        interview = None
        if stages >= 4:
            scheduled_at = times[4]
            if complete or rng.random() < 0.5:
                outcome = _OUTCOME(rng)
                points = ri(rng, 5, 10) if outcome == "PASSED" else (ri(rng, 0, 4) if outcome == "FAILED" else None)
                recorded_at = moment(rng, scheduled_at, times[5])
                last = max(last, recorded_at)
            else:  # scheduled; for an application still in progress perhaps still ahead
                outcome = points = recorded_at = None
                if open_ended:
                    scheduled_at = scheduled_at + dt.timedelta(days=ri(rng, 0, 14))
            interview = {
                "application_id": app_index, "scheduled_at": scheduled_at, "outcome": outcome, "points": points,
                "notes": rng.choice(_INTERVIEW_NOTES[outcome]) if outcome else None, "recorded_at": recorded_at,
            }
            b.add("interview", interview)
        if not complete:
            return last
        assert test is not None and q is not None and interview is not None
        # The facts as services.facts.gather builds them on the scoring date (the same builder).
        on = almaty_date(end)
        mrp = ctx.mrp.get(on.year)
        facts = build_facts(
            on=on, route=route, birth_date=birth, ethnic_kazakh=ethnic,
            labour_deficit=self.region_deficit.get(region, False),
            checks=len(checks), mandatory_not_cleared=sum(1 for s, m in checks if m and s != "CLEARED"),
            flagged=sum(1 for s, _ in checks if s == "FLAGGED"), test=test, questionnaire=q,
            occupation_in_deficit=(on.year, region, q["occupation_id"]) in ctx.deficit, mrp=mrp,
            interview_outcome=interview["outcome"], interview_points=interview["points"],
        )
        return facts
