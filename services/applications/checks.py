"""Stage 3 of the pipeline: the background checks. Officers request one check
of every active check type; the agency that owns a type (or an officer)
records its result."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, Check, CheckType
from models.base import utcnow
from models.enums import CheckStatus
from services import access, audit, rows, rules
from services.applications.common import CHECK_ID, load_application, require_staff
from services.applications.scores import facts_before_write, mark_score_stale
from services.applications.status import require_status
from services.errors import ErrorCollector, forbidden, invalid_state, not_found
from services.inputs import optional_text
from services.viewer import Viewer
from services.webhooks import events as webhook_events

DETAILS_MAX = 2000
CHECKS = Check.__table__
APPS = Application.__table__
TYPES = CheckType.__table__

# Built once, their values bound at each execution (why: README, "Layout").
_LOCK_APPLICATION = (select(APPS.c.id, APPS.c.status, APPS.c.updated_at)
                     .where(APPS.c.id == bindparam("application_id")).with_for_update())
_LOCK_CHECK = (select(CHECKS.c.status, CHECKS.c.details, CHECKS.c.completed_at, CHECKS.c.recorded_by,
                      CHECKS.c.updated_at)
               .where(CHECKS.c.id == bindparam("check_id")).with_for_update())
_WRITE_CHECK = update(CHECKS).where(CHECKS.c.id == bindparam("check_id")).returning(*CHECKS.c)
_TOUCH_APPLICATION = update(APPS).where(APPS.c.id == bindparam("application_id"))


@lru_cache(maxsize=256)
def _find_check(viewer: Viewer) -> Select[Any]:
    """The check's application and its type (every column of the type: the answer
    reads it), among the checks ``viewer`` may read; one statement per viewer."""
    return (select(CHECKS.c.application_id, *TYPES.c)
            .join_from(CHECKS, TYPES, TYPES.c.id == CHECKS.c.check_type_id)
            .where(CHECKS.c.id == bindparam("check_id"), access.checks(viewer)))


async def request_checks(session: AsyncSession, viewer: Viewer, *, application_id: int) -> Application:
    require_staff(viewer, t("request checks"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "requestChecks")
    existing = set((await session.execute(
        select(Check.check_type_id).where(Check.application_id == app.id))).scalars().all())
    types = (await session.execute(
        select(CheckType).where(CheckType.active.is_(True)).order_by(CheckType.id))).scalars().all()
    missing = [ct for ct in types if ct.id not in existing]
    if not missing:
        return app
    before = await facts_before_write(session, app)
    now = utcnow()
    checks = [Check(application_id=app.id, check_type_id=ct.id, status=CheckStatus.REQUESTED,
                    requested_at=now, updated_at=now) for ct in missing]
    session.add_all(checks)
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.request_checks", "application", app.id,
                       {"requested": [ct.code for ct in missing]})
    await webhook_events.checks_requested(session, app, zip(checks, missing))  # to the agencies, after commit
    await mark_score_stale(session, viewer, app, before)
    return app


async def reopen_cancelled_checks(session: AsyncSession, app: Application) -> list[str]:
    """The checks a decision cancelled, REQUESTED again, for an application made
    undecided again (a review overturned its rejection, SPEC §14): without them no
    result could be recorded and the ``checks`` gate would fail for good. They come
    back in the agencies' feed (``updatedAt`` moves forward) and each owning agency is
    told as for a new request. The caller writes the audit event; returns the check
    types' codes."""
    reopened = (await session.execute(
        select(Check, CheckType).join(CheckType, CheckType.id == Check.check_type_id)
        .where(Check.application_id == app.id, Check.status == CheckStatus.CANCELLED)
        .order_by(Check.id).with_for_update(of=Check))).all()
    now = utcnow()
    for check, _ in reopened:
        check.status = CheckStatus.REQUESTED
        check.details = check.completed_at = check.recorded_by = None
        check.requested_at = now
        check.updated_at = rules.moved_forward(now, check.updated_at)
    await session.flush()
    await webhook_events.checks_requested(session, app, [(check, check_type) for check, check_type in reopened])
    return [check_type.code for _, check_type in reopened]


async def record_check_result(
    session: AsyncSession, viewer: Viewer, *, check_id: int, status: CheckStatus, details: str | None = None
) -> Row[Any]:
    """The check's result, in Core statements on the session's connection (no ORM
    object, nothing to flush); returns the check's row as written (every column),
    which the answer is read from (``rows.known``)."""
    if not (viewer.is_staff or viewer.is_agency):
        raise forbidden(t("only officers, administrators and the agency that owns the check type may record check "
                          "results"))
    conn = await session.connection()
    found = (await conn.execute(_find_check(viewer), {"check_id": check_id})).first()
    if found is None:  # missing, or not readable by this agency: the same answer
        raise not_found(t("check"), *CHECK_ID)
    if viewer.is_agency and found.id not in viewer.owned_check_type_ids:
        raise forbidden(t("your agency may read this check but only the agency that owns its type records the result"),
                        *CHECK_ID)
    # Lock the application first, then the check: the order every pipeline write takes.
    app = (await conn.execute(_LOCK_APPLICATION, {"application_id": found.application_id})).one()
    check = (await conn.execute(_LOCK_CHECK, {"check_id": check_id})).one()
    require_status(app, "recordCheckResult", *CHECK_ID)
    if check.status == CheckStatus.CANCELLED:  # cancelled when the application was decided or withdrawn
        raise invalid_state(t("this check was cancelled when its application was decided or withdrawn; "
                              "it takes no result"), *CHECK_ID)
    errors = ErrorCollector()
    if status in (CheckStatus.REQUESTED, CheckStatus.CANCELLED):
        errors.invalid(t("A result is CLEARED, FLAGGED or REJECTED; {status} is not a result.",
                         status=CheckStatus(status).value),
                       "input", "status")
    details = optional_text(details, DETAILS_MAX, t("Details"), errors, "input", "details")
    errors.raise_if_any()

    before = await facts_before_write(session, app)
    now = rules.moved_forward(utcnow(), check.updated_at)
    previous = {"status": check.status, "details": check.details, "completedAt": check.completed_at,
                "recordedBy": check.recorded_by}
    written = (await conn.execute(_WRITE_CHECK, {
        "check_id": check_id, "status": status, "details": details, "completed_at": now, "updated_at": now,
        "recorded_by": viewer.audit_subject})).one()
    await conn.execute(_TOUCH_APPLICATION, {"application_id": app.id, "updated_at": max(now, app.updated_at)})
    await audit.record_many(session, viewer, "application.check_result", "application", [(app.id, {
        "checkId": check_id, "checkType": found.code, "status": status, "details": details, "previous": previous})])
    if before is not None:  # a scored application: the ORM row, as just written, for the staleness rule
        scored = (await session.execute(select(Application).where(Application.id == app.id)
                                        .execution_options(populate_existing=True))).scalar_one()
        await mark_score_stale(session, viewer, scored, before)
    rows.known(session, CheckType, found)
    return rows.known(session, Check, written)
