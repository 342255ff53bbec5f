"""Quotas and selection rounds: upsertQuota (administrators), runSelectionRound (staff)."""

from __future__ import annotations

import strawberry

from api.graphql import ids
from api.graphql.context import Info
from api.graphql.inputs import QuotaPayload, RunSelectionRoundInput, SelectionRoundPayload, UpsertQuotaInput
from api.graphql.mutations.base import Payload, decode_id, run
from api.graphql.types import SelectionRound
from core.metrics import SELECTION_ROUNDS
from services import quotas

_quota = Payload.of(QuotaPayload)

@strawberry.type
class QuotaMutations:
    upsert_quota = _quota.mutation(UpsertQuotaInput, quotas.upsert_quota)

    @strawberry.mutation
    async def run_selection_round(self, info: Info, input: RunSelectionRoundInput) -> SelectionRoundPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            quotas.require_staff(info.context.viewer)
            pk = decode_id(input.quota_id, "Quota", "input", "quotaId")
            return await quotas.run_selection_round(session, info.context.viewer, quota_id=pk,
                                                    dry_run=bool(input.dry_run))

        result, errors = await run(info, action)
        if result is None:
            return SelectionRoundPayload(round=None, errors=errors)
        SELECTION_ROUNDS.labels(str(result.dry_run).lower()).inc()
        round_ = SelectionRound(
            id=strawberry.ID(ids.encode("SelectionRound", result.round_id or 0)),
            dry_run=result.dry_run, ran_at=result.ran_at, cutoff_score=result.cutoff_score,
            ran_by=info.context.viewer.audit_subject, seats_taken=result.seats_taken,
            quota_id=result.quota_id, approved_ids=result.approved_ids,
            passed_over_ids=[c.application_id for c in result.passed_over], group_counts=result.group_counts)
        return SelectionRoundPayload(round=round_, errors=[])
