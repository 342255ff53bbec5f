"""``services.access.IMPLIED``: a reference whose target's row filter a reader may
leave out, because the row it is read from passed its own. Held to that here for
every caller class, on data with applications in every state: no row of the
source that a caller may read points at a target that caller may not read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

import models as m
from services import access
from services.auth import agency_viewer
from services.viewer import Viewer
from tests.api.test_compiled_reads import build_data


async def callers(session: Any) -> list[Viewer]:
    owners = (await session.execute(select(m.Application.owner_subject).distinct()
                                    .where(m.Application.owner_subject.is_not(None)))).scalars().all()
    agencies = (await session.execute(select(m.Agency.id, m.Agency.code))).all()
    return [Viewer("o1", "OFFICER"), Viewer("a1", "ADMIN"), Viewer("nobody", "APPLICANT"),
            *(Viewer(subject, "APPLICANT") for subject in owners),
            *[await agency_viewer(session, pk, code) for pk, code in agencies]]


async def test_each_implied_filter_holds_for_every_caller(sessions: Any) -> None:
    await build_data(sessions, n=24)
    assert access.IMPLIED, "nothing declared"
    async with sessions() as s:
        viewers = await callers(s)
        assert any(v.is_agency and v.readable_check_type_ids for v in viewers)
        assert sum(v.is_applicant for v in viewers) > 2
        for source, fk in access.IMPLIED:
            column = getattr(source, fk)
            target = column.property.columns[0].foreign_keys
            [foreign] = list(target)
            target_model = next(model for model in access.ROW_FILTERS if model.__table__ is foreign.column.table)
            reached = 0
            for viewer in viewers:
                visible = select(column).where(access.row_filter(source, viewer))
                reached += (await s.execute(select(func.count()).select_from(visible.subquery()))).scalar_one()
                hidden = (await s.execute(select(func.count()).select_from(
                    visible.where(~column.in_(select(target_model.id).where(
                        access.row_filter(target_model, viewer)))).subquery()))).scalar_one()
                assert hidden == 0, (source.__name__, fk, viewer)
            assert reached > 0, "no caller reached a row: the check proved nothing"


async def test_the_check_would_catch_a_filter_that_is_not_implied(sessions: Any) -> None:
    """The counter-case, with the same query: every check (staff's filter) against an
    applicant's applications finds checks of other people's applications."""
    await build_data(sessions, n=24)
    async with sessions() as s:
        applicant = next(v for v in await callers(s) if v.is_applicant and v.subject != "nobody")
        every_check = select(m.Check.application_id).where(access.row_filter(m.Check, Viewer("o1", "OFFICER")))
        outside = (await s.execute(select(func.count()).select_from(every_check.where(
            ~m.Check.application_id.in_(select(m.Application.id).where(access.row_filter(m.Application, applicant))))
            .subquery()))).scalar_one()
        assert outside > 0
