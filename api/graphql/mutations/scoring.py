"""Scoring model versions: create a draft, publish it (and re-score under it)."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.inputs import CreateScoringModelInput, PublishScoringModelInput, ScoringModelPayload
from api.graphql.mutations.base import Payload, decode_id
from services import jobs, scoring_models

_scoring_model = Payload.of(ScoringModelPayload)


async def _publish(info: Info, input: PublishScoringModelInput) -> ScoringModelPayload:
    """Publish a draft and re-score under it: the service opens its transactions itself."""

    async def action() -> int:
        pk = decode_id(input.id, "ScoringModel", "input", "id")
        model, _ = await jobs.publish_and_rescore(
            info.context.settings, info.context.sessions, info.context.viewer, model_id=pk,
            write=info.context.write)
        return model.id

    return await _scoring_model.respond(info, action, own_transaction=True)


@strawberry.type
class ScoringMutations:
    create_scoring_model = _scoring_model.mutation(CreateScoringModelInput, scoring_models.create_scoring_model)
    publish_scoring_model = strawberry.mutation(resolver=_publish)
