"""Scoring model versions: create a draft, publish it (and re-score under it)."""

from __future__ import annotations

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.inputs import CreateScoringModelInput, PublishScoringModelInput, ScoringModelPayload
from api.graphql.mutations.base import decode_id, payload_of
from api.graphql.types import ScoringModel
from services import jobs, scoring_models

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
        async def action() -> int:
            pk = decode_id(input.id, "ScoringModel", "input", "id")
            model, _ = await jobs.publish_and_rescore(
                info.context.settings, info.context.sessions, info.context.viewer, model_id=pk,
                write=info.context.write)
            return model.id

        return await _payload(info, action, own_transaction=True)
