"""What every stage of the pipeline does alike: who may act, loading (and
locking) the application, and a stage's row replaced as a whole. What writes
outside the pipeline read alike too (a region or an occupation by its code, free
text) is in ``services.inputs``; the anti-fraud lock is ``services.rows.postgres_lock``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application
from services import access
from services.errors import forbidden, not_found
from services.rows import assign
from services.viewer import Viewer

APPLICATION_ID = ("input", "applicationId")
CHECK_ID = ("input", "checkId")


def require_staff(viewer: Viewer, what: str) -> None:
    """``what`` is itself a message: ``require_staff(viewer, t("score applications"))``."""
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may {what}", what=what))


def require_person(viewer: Viewer, what: str) -> None:
    """Applicants (for their own) and staff."""
    if not (viewer.is_staff or (viewer.is_applicant and viewer.subject)):
        raise forbidden(t("only applicants and officers may {what}", what=what))


async def load_application(
    session: AsyncSession, viewer: Viewer, application_id: int, *, field: Sequence[str] = APPLICATION_ID
) -> Application:
    """The application, locked for this transaction; NOT_FOUND when it does not
    exist or the viewer may not see it (the same answer for both)."""
    app = (await session.execute(
        select(Application).where(Application.id == application_id, access.applications(viewer))
        .with_for_update()
    )).scalar_one_or_none()
    if app is None:
        raise not_found(t("application"), *field)
    return app


async def replace_stage_row(
    session: AsyncSession, model: type[Any], app: Application, values: dict[str, Any], stamp: str, now: dt.datetime
) -> dict[str, Any] | None:
    """The application's row of a one-row stage (its language test, its
    questionnaire), created or replaced as a whole by ``values`` with ``stamp``
    set to ``now``; returns the values it had (None when it is new)."""
    row = (await session.execute(select(model).where(model.application_id == app.id))).scalar_one_or_none()
    if row is None:
        session.add(model(application_id=app.id, **{stamp: now}, **values))
        return None
    previous = assign(row, values)
    setattr(row, stamp, now)
    return previous
