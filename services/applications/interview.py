"""Stage 4 of the pipeline: the interview, scheduled (and rescheduled until it
has an outcome), then its outcome with optional points and notes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, Interview
from models.base import utcnow
from models.enums import InterviewOutcome
from services import audit, rules
from services.applications.common import APPLICATION_ID, load_application, require_staff
from services.applications.scores import facts_before_write, mark_score_stale
from services.applications.status import require_status
from services.errors import ErrorCollector, invalid, invalid_state
from services.inputs import optional_text
from services.rows import assign
from services.viewer import Viewer

NOTES_MAX = 2000


async def schedule_interview(
    session: AsyncSession, viewer: Viewer, *, application_id: int, scheduled_at: dt.datetime
) -> Application:
    require_staff(viewer, t("schedule interviews"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "scheduleInterview")
    if scheduled_at.tzinfo is None or scheduled_at.utcoffset() is None:
        raise invalid(t("The interview time must carry its offset, e.g. 2026-03-02T10:00:00+05:00."), "input", "scheduledAt")
    interview = (await session.execute(select(Interview).where(Interview.application_id == app.id))).scalar_one_or_none()
    now = utcnow()
    previous = None
    if interview is None:
        interview = Interview(application_id=app.id, scheduled_at=scheduled_at)
        session.add(interview)
    else:
        if interview.outcome is not None:
            raise invalid_state(t("the interview already has an outcome ({outcome}); an interview is rescheduled only "
                                  "before its outcome is recorded", outcome=interview.outcome.value), *APPLICATION_ID)
        previous = interview.scheduled_at
        interview.scheduled_at = scheduled_at
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.interview_schedule", "application", app.id,
                       {"scheduledAt": scheduled_at, "previous": previous})
    return app


async def record_interview_outcome(
    session: AsyncSession, viewer: Viewer, *, application_id: int, outcome: InterviewOutcome,
    points: int | None = None, notes: str | None = None,
) -> Application:
    require_staff(viewer, t("record interview outcomes"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "recordInterviewOutcome")
    interview = (await session.execute(select(Interview).where(Interview.application_id == app.id))).scalar_one_or_none()
    if interview is None:
        raise invalid_state(t("no interview is scheduled; recordInterviewOutcome needs scheduleInterview first"),
                            *APPLICATION_ID)
    errors = ErrorCollector()
    errors.invalid(rules.interview_points_problem(points), "input", "points")
    notes = optional_text(notes, NOTES_MAX, t("Notes"), errors, "input", "notes")
    errors.raise_if_any()
    before = await facts_before_write(session, app)
    now = utcnow()
    previous = assign(interview, {"outcome": outcome, "points": points, "notes": notes})
    interview.recorded_at = now
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.interview_outcome", "application", app.id,
                       {"outcome": outcome, "points": points, "notes": notes,
                        "previous": previous if previous["outcome"] is not None else None})
    await mark_score_stale(session, viewer, app, before)
    return app
