"""What would raise an application's score (SPEC §17, ``Score.improvements``):
the pure engine's suggestions (``services.scoring.improvements``) over the facts
on file today and the model in force today. Only the applicant (their own
application, by the row filter) and staff read them; nothing is written."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application
from models.base import today_almaty
from models.types import id_in
from services import access, facts, scoring
from services.scoring_models import evaluator_for, model_in_force
from services.viewer import Viewer


async def improvements_for_many(session: AsyncSession, viewer: Viewer, application_ids: Sequence[int]
                                ) -> dict[int, list[scoring.Improvement]]:
    """``{application id: suggestions}`` for the applications the viewer may read
    (the others are left out), in three statements whatever their number; empty
    when no model is in force."""
    if not (viewer.is_staff or viewer.is_applicant) or not application_ids:
        return {}
    dialect = session.get_bind().dialect.name
    reached = list((await session.execute(select(Application.id).where(
        id_in(Application.__table__.c.id, list(application_ids), dialect), access.applications(viewer)))).scalars())
    today = today_almaty()
    model = await model_in_force(session, today) if reached else None
    if model is None:
        return {}
    evaluator_for(model)  # refuses a stored definition that is no longer valid
    gathered = await facts.gather(session, reached, today)
    return {app_id: scoring.improvements(model.definition, f, f["route"]) for app_id, f in gathered.items()}
