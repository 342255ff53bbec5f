"""The schema extension: a compilable query is answered by one statement on the
read pool, and ``data`` is its JSON text; anything else runs normally."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog
from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension

from api.graphql.compiler.cache import plan_operation, remember
from api.graphql.compiler.sqljson import CannotCompile, RawJSON
from core.metrics import COMPILED_QUERIES
from core.readpool import read_pool
from core.settings import Settings

log = structlog.get_logger("qonys.compiler")


async def fetch_statement(engine: Any, settings: Settings, sql: str, arguments: list[Any], *,
                          replica: Any = None, replica_failed: Callable[[BaseException], None] | None = None) -> Any:
    """The statement's value, from ``replica`` (``core.replica.Replica``) when the
    operation reads there (``api.graphql.replica``); if the replica cannot answer
    (down, or the query cancelled by a conflict with its recovery), from the
    primary's read pool, after telling ``replica_failed``. The compiled path and
    its lane (``compiler.lane``) read through here."""
    if replica is not None:
        try:
            return await replica.pool.fetchval(sql, arguments)
        except Exception as exc:  # noqa: BLE001 - the primary answers instead
            log.warning("compiled_read.replica_failed", error=type(exc).__name__)
            if replica_failed is not None:
                replica_failed(exc)
    return await read_pool(engine, settings).fetchval(sql, arguments)


class CompiledReadPath(SchemaExtension):
    """Runs compilable queries as one SQL statement and skips per-field execution."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context
        context = ctx.context
        settings = getattr(context, "settings", None)
        if (
            settings is not None
            and settings.compiled_reads
            and getattr(context, "language", "en") == "en"  # names and reasons in kk/ru: normal execution
            and not settings.is_sqlite
            and ctx.graphql_document is not None
            and ctx.query is not None
        ):
            try:
                prepared, arguments = plan_operation(ctx.schema._schema, ctx.graphql_document, ctx.query,
                                                     ctx.operation_name, ctx.variables, context.viewer)
            except CannotCompile:
                prepared = None
            except Exception:  # noqa: BLE001 - never a crash here: normal execution answers, with its own errors
                log.warning("compiled_read.plan_failed", exc_info=True)
                prepared = None
            if prepared is not None:
                utf8 = None
                try:
                    # One prepared statement on a pooled asyncpg connection: one round
                    # trip, no transaction (a single statement is its own snapshot).
                    utf8 = await fetch_statement(
                        context.sessions.kw["bind"],  # the engine itself, whose dispose() closes its read pool
                        settings, prepared.sql, arguments,
                        replica=context.replica if getattr(context, "on_replica", False) else None,
                        replica_failed=context.replica_failed)
                except Exception:  # noqa: BLE001 - normal execution answers, with its own errors
                    log.warning("compiled_read.fallback", exc_info=True)
                else:
                    if utf8 is None:  # a NULL inside the concatenation: a compiler bug, never a wrong answer
                        log.warning("compiled_read.null_result", operation=ctx.operation_name)
                if utf8 is not None:
                    context.extras["compiled"] = True
                    COMPILED_QUERIES.inc()
                    ctx.result = ExecutionResult(data=RawJSON(utf8), errors=None)
                    # The text as sent, for the lane (``compiler.lane``).
                    remember(ctx.schema._schema, ctx.query, getattr(ctx, "_provided_operation_name", None),
                             ctx.graphql_document)
        yield
