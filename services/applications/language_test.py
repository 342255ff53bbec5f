"""Stage 1 of the pipeline: the language test, recorded by an officer
from its certificate; one certificate serves one applicant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, LanguageTest
from models.base import today_almaty, utcnow
from models.enums import LanguageLevel
from services import audit, rules
from services.applications.common import load_application, replace_stage_row, require_staff
from services.applications.scores import facts_before_write, mark_score_stale
from services.applications.status import require_status
from services.errors import ErrorCode, ErrorCollector, ServiceError
from services.rows import postgres_lock
from services.viewer import Viewer


async def record_language_test(
    session: AsyncSession,
    viewer: Viewer,
    *,
    application_id: int,
    level: LanguageLevel,
    listening_percent: int,
    reading_percent: int,
    certificate_number: str,
    taken_on: dt.date,
) -> Application:
    require_staff(viewer, t("record language tests"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "recordLanguageTest")
    errors = ErrorCollector()
    errors.invalid(rules.percent_problem(listening_percent), "input", "listeningPercent")
    errors.invalid(rules.percent_problem(reading_percent), "input", "readingPercent")
    certificate = rules.normalise_certificate_number(certificate_number)
    errors.invalid(rules.certificate_number_problem(certificate), "input", "certificateNumber")
    errors.invalid(rules.test_date_problem(taken_on, today_almaty()), "input", "takenOn")
    errors.raise_if_any()

    # One certificate serves one applicant (SPEC §8): it may be on another application of the
    # same applicant (applying again after a withdrawal or a refusal), never on another's.
    # Under the certificate's lock (PostgreSQL; SQLite has one writer), so that two writers
    # cannot both find it free.
    await postgres_lock(session, f"certificate:{certificate}")
    other = (await session.execute(
        select(LanguageTest.application_id)
        .join(Application, Application.id == LanguageTest.application_id)
        .where(LanguageTest.certificate_number == certificate, Application.applicant_id != app.applicant_id)
    )).first()
    if other is not None:
        raise ServiceError.one(ErrorCode.DUPLICATE, t(
            "This certificate number is already recorded for another applicant; one certificate serves one "
            "applicant."), ["input", "certificateNumber"])

    before = await facts_before_write(session, app)
    now = utcnow()
    values = {"level": level, "listening_percent": listening_percent, "reading_percent": reading_percent,
              "certificate_number": certificate, "taken_on": taken_on}
    previous = await replace_stage_row(session, LanguageTest, app, values, "recorded_at", now)
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.language_test", "application", app.id,
                       {"languageTest": values, "previous": previous})
    await mark_score_stale(session, viewer, app, before)
    return app
