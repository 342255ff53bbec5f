"""What would raise an application's score (SPEC §17, ``Score.improvements``):
the pure engine's suggestions (``services.scoring.improvements``) over the facts
on file today and the model in force today. Only the applicant (their own
application, by the row filter) and staff read them; nothing is written."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application
from models.base import today_almaty
from services import access, facts, scoring
from services.scoring_models import evaluator_for, model_in_force
from services.viewer import Viewer


async def improvements_for(session: AsyncSession, viewer: Viewer, application_id: int) -> list[scoring.Improvement]:
    """The suggestions for the application; empty when the viewer may not read it,
    when it has no facts on file, or when no model is in force."""
    if not (viewer.is_staff or viewer.is_applicant):
        return []
    reached = (await session.execute(select(Application.id).where(
        Application.id == application_id, access.applications(viewer)))).first()
    if reached is None:
        return []
    today = today_almaty()
    model = await model_in_force(session, today)
    if model is None:
        return []
    evaluator_for(model)  # refuses a stored definition that is no longer valid
    gathered = (await facts.gather(session, [application_id], today)).get(application_id)
    if gathered is None:
        return []
    return scoring.improvements(model.definition, gathered, gathered["route"])
