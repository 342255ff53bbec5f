"""Per-request DataLoaders. Each batch runs in its own session (one AsyncSession is
not safe across the concurrent tasks that resolve sibling fields), and every
batch applies the viewer's row filter for the model it loads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from services import access, explanations
from services.viewer import Viewer

# A batch is one SELECT: on PostgreSQL it runs without BEGIN and ROLLBACK around it
# (a single statement is its own snapshot), two round trips fewer per batch.
_ONE_STATEMENT = {"isolation_level": "AUTOCOMMIT"}


async def one_statement(session: AsyncSession) -> None:
    """``session`` will run one statement: on PostgreSQL outside a transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options=_ONE_STATEMENT)


class Loaders:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], viewer: Viewer) -> None:
        self._sessions = sessions
        self._viewer = viewer
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}
        self.statements = 0  # SQL statements issued by loaders in this request

    def row_filter(self, model: type) -> ColumnElement[bool]:
        return access.row_filter(model, self._viewer)

    async def _rows(self, stmt: Any) -> Sequence[Any]:
        self.statements += 1
        async with self._sessions() as session:
            await one_statement(session)
            return (await session.execute(stmt)).scalars().all()

    def _get(self, key: tuple[Any, ...], batch: Callable[[list[Any]], Any]) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = DataLoader(load_fn=batch)
            self._loaders[key] = loader
        return loader

    def improvements(self) -> DataLoader[int, list[Any]]:
        """What would raise each application's score (``services.explanations``), one batch
        for every score a response shows."""

        async def batch(keys: list[int]) -> list[list[Any]]:
            self.statements += 1
            async with self._sessions() as session:
                found = await explanations.improvements_for_many(session, self._viewer, keys)
            return [found.get(k, []) for k in keys]

        return self._get(("improvements",), batch)

    def by_id(self, model: type) -> DataLoader[int, Any]:
        """``model`` rows by primary key; None for rows the viewer may not see."""

        async def batch(keys: list[int]) -> list[Any]:
            rows = await self._rows(select(model).where(model.id.in_(keys), self.row_filter(model)))  # type: ignore[attr-defined]
            found = {r.id: r for r in rows}
            return [found.get(k) for k in keys]

        return self._get(("id", model), batch)

    def one_by(self, model: type, column: str) -> DataLoader[int, Any]:
        """The one ``model`` row whose ``column`` equals the key (a unique foreign key)."""

        async def batch(keys: list[int]) -> list[Any]:
            col = getattr(model, column)
            rows = await self._rows(select(model).where(col.in_(keys), self.row_filter(model)))
            found = {getattr(r, column): r for r in rows}
            return [found.get(k) for k in keys]

        return self._get(("one", model, column), batch)

    def many_by(self, model: type, column: str, order_by: str = "id") -> DataLoader[int, list[Any]]:
        """Every ``model`` row whose ``column`` equals the key, ordered."""

        async def batch(keys: list[int]) -> list[list[Any]]:
            col = getattr(model, column)
            stmt = select(model).where(col.in_(keys), self.row_filter(model)).order_by(getattr(model, order_by), model.id)  # type: ignore[attr-defined]
            grouped: dict[int, list[Any]] = defaultdict(list)
            for r in await self._rows(stmt):
                grouped[getattr(r, column)].append(r)
            return [grouped.get(k, []) for k in keys]

        return self._get(("many", model, column, order_by), batch)

    async def get(self, model: type, pk: int | None) -> Any:
        if pk is None:
            return None
        return await self.by_id(model).load(pk)
