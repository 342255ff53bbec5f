"""Scoring model versions: create a draft, publish it."""

from __future__ import annotations

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.inputs import CreateScoringModelInput, PublishScoringModelInput, ScoringModelPayload
from api.graphql.mutations.base import decode_id, payload_of
from api.graphql.types import ScoringModel
import structlog

from services import jobs, scoring_models

log = structlog.get_logger("qonys.scoring")


_payload = payload_of(m.ScoringModel, ScoringModel.from_row, ScoringModelPayload, "scoring_model")


@strawberry.type
class ScoringMutations:
    @strawberry.mutation
    async def create_scoring_model(self, info: Info, input: CreateScoringModelInput) -> ScoringModelPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            model = await scoring_models.create_scoring_model(
                session, info.context.viewer, version=input.version, effective_from=input.effective_from,
                definition=input.definition)
            return model.id

        return await _payload(info, action)

    @strawberry.mutation
    async def publish_scoring_model(self, info: Info, input: PublishScoringModelInput) -> ScoringModelPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            pk = decode_id(input.id, "ScoringModel", "input", "id")
            model = await scoring_models.publish_scoring_model(session, info.context.viewer, model_id=pk)
            return model.id

        result = await _payload(info, action)
        if result.scoring_model is not None:
            await _start_rescoring(info, result.scoring_model.pk)
        return result


async def _start_rescoring(info: Info, model_id: int) -> None:
    """Re-score undecided applications under the newly published model: inline on
    SQLite, as background jobs on PostgreSQL. The publish has committed already;
    a failure here is logged and left to ``qonys rescore``."""
    try:
        outcome = await jobs.after_publish(info.context.settings, model_id, sessions=info.context.sessions)
        log.info("scoring_model.rescore", model_id=model_id, outcome=outcome.mode, message=outcome.message)
    except Exception:  # noqa: BLE001
        log.exception("scoring_model.rescore_failed", model_id=model_id)
