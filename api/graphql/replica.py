"""Which database an operation reads, when a read replica is configured
(``QONYS_READ_DATABASE_URL``; ``core.replica``; README, "Read replica").

A query operation reads the replica (its loaders, ``Context.read()`` and the
compiled path), unless the caller wrote something the replica has not replayed
yet (waited for, up to ``QONYS_REPLICA_WAIT_MS``) or the replica is down: then
the primary. A mutation reads and writes the primary only; once it has run, the
primary's WAL position is kept as the caller's write mark and sent back in the
``Qonys-Write-LSN`` response header. A client that sends that value back as
``Qonys-Min-LSN`` reads its writes on any worker of any machine; without it,
the mark is found by the caller's principal (role and subject) on the workers
of the machine that took the mutation (``core.replica``).

The extension is in the schema only when a replica is configured: without one,
nothing here runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.metrics import REPLICA_READS
from core.replica import format_lsn, parse_lsn

WRITE_LSN_HEADER = "Qonys-Write-LSN"
MIN_LSN_HEADER = "qonys-min-lsn"


def client_lsn(headers: Mapping[str, str] | None) -> int | None:
    """The position a client sent in ``Qonys-Min-LSN`` (ignored unless well formed)."""
    value = headers.get(MIN_LSN_HEADER) if headers is not None else None
    if not value:
        return None
    try:
        return parse_lsn(value.strip())
    except ValueError:
        return None


class ReadRouting(SchemaExtension):
    """Sends a query operation's reads to the replica when the caller may read there;
    leaves a write mark after a mutation."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        replica = getattr(context, "replica", None)
        if replica is None:
            yield
            return
        if self.execution_context.operation_type is OperationType.QUERY:
            where = await replica.route(context.viewer.principal, client_lsn(getattr(context.request, "headers", None)))
            if where == "replica":
                context.read_from_replica()
            yield
            if where == "replica" and (not context.on_replica or replica.down):
                where = "down"  # it went down meanwhile: the primary answered
            REPLICA_READS.labels(where).inc()
            return
        yield  # a mutation: its reads and writes on the primary, all committed by now
        lsn = await replica.written(context.viewer.principal)
        if lsn is not None and context.response is not None:
            context.response.headers[WRITE_LSN_HEADER] = format_lsn(lsn)
