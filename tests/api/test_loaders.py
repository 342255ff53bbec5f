"""The request's loaders (``api.graphql.loaders``): each batch is one SELECT in a
session of its own; on PostgreSQL it runs outside a transaction (no BEGIN and
ROLLBACK round trips around it), still through the viewer's row filter."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.graphql.loaders import Loaders, one_statement
from core.db import read_session_factory
from services.viewer import Viewer
from tests.api.test_compiled_reads import build_data
from tests.conftest import BACKEND

import models as m


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's transactions")
async def test_a_batch_runs_as_a_single_statement_outside_a_transaction(engine: AsyncEngine) -> None:
    sessions = read_session_factory(engine)

    async def in_transaction(single: bool) -> bool:
        async with sessions() as session:
            if single:
                await one_statement(session)
            await session.execute(text("SELECT 1"))
            raw = await (await session.connection()).get_raw_connection()
            return bool(raw.driver_connection.is_in_transaction())

    assert await in_transaction(single=True) is False
    assert await in_transaction(single=False) is True  # BEGIN went first, a round trip of its own
    assert await in_transaction(single=False) is True  # and the pool gave the next one back as it was
    assert engine.sync_engine.pool.checkedout() == 0


async def test_batches_still_apply_the_viewer_s_row_filter(engine: AsyncEngine, sessions: Any) -> None:
    ids = await build_data(sessions, n=6)
    mine = Loaders(read_session_factory(engine), Viewer("nobody", "APPLICANT"))
    staff = Loaders(read_session_factory(engine), Viewer("o1", "OFFICER"))
    assert all(row is None for row in await mine.by_id(m.Application).load_many(ids))
    assert [row.id for row in await staff.by_id(m.Application).load_many(ids)] == ids
