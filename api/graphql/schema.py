"""The Strawberry schema: queries, the domain mutations, and the limits."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types

from api.graphql import visibility
from api.graphql.compiler import CompiledReadPath
from api.graphql.mutations.applications import ApplicationMutations
from api.graphql.mutations.contracts import ContractMutations
from api.graphql.mutations.kandas import KandasMutations
from api.graphql.mutations.labour import LabourMutations
from api.graphql.mutations.quotas import QuotaMutations
from api.graphql.mutations.residence import ResidenceMutations
from api.graphql.mutations.scoring import ScoringMutations
from api.graphql.mutations.webhooks import WebhookMutations
from api.graphql.input_errors import NameInputErrors
from api.graphql.queries import Query
from api.graphql.replica import ReadRouting
from api.graphql.residence_reads import ResidenceQuery
from api.graphql.queries_labour import LabourQuery
from api.graphql.scalars import SCALAR_MAP
from api.observability import OperationMetrics
from api.graphql.types import NODE_TYPES
from core.text import t

log = structlog.get_logger("qonys.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 3000

# Each domain adds its mutations in its own module, as one strawberry type.
MUTATION_TYPES = (ApplicationMutations, ScoringMutations, QuotaMutations, ContractMutations, ResidenceMutations,
                  WebhookMutations, KandasMutations, LabourMutations)
# The Query type: the core roots, and each later domain's roots in its own module.
QUERY_TYPES = (Query, ResidenceQuery, LabourQuery)


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "orig", None)
        seen += 1


def classify_database_error(exc: BaseException | None) -> tuple[str, str] | None:
    """A database that is down or too slow is a clear, retryable error, not a crash."""
    for e in _chain(exc):
        name = type(e).__name__
        if name in ("QueryCanceledError", "LockNotAvailableError") or "statement timeout" in str(e):
            return "TIMEOUT", "the request took longer than the database statement timeout allows"
        if "unable to open database file" in str(e):
            return "SERVICE_UNAVAILABLE", "the database is unavailable; try again shortly"
        if "conflict with recovery" in str(e):  # a read on the replica, cancelled by what it replayed
            return "SERVICE_UNAVAILABLE", "the read was cancelled by the read replica's recovery; try again"
        if isinstance(e, (ConnectionError, OSError, TimeoutError)) or name in (
            "CannotConnectNowError", "ConnectionDoesNotExistError", "InterfaceError", "TooManyConnectionsError",
        ):
            return "SERVICE_UNAVAILABLE", "the database is unavailable; try again shortly"
    return None


def _is_deliberate(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors become a generic message with an error id that is in the log."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_deliberate(e), error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:16]
        original = error.original_error
        known = classify_database_error(original)
        if known is not None:
            code, message = known
            log.warning("graphql.database_error", error_id=error_id, code=code, error=type(original).__name__)
            return GraphQLError(f"{message} (error id {error_id})", nodes=error.nodes, source=error.source,
                                positions=error.positions, path=error.path,
                                extensions={"code": code, "errorId": error_id})
        log.error("graphql.unexpected_error", error_id=error_id, path=error.path,
                  exc_info=(type(original), original, original.__traceback__) if original else None)
        return GraphQLError(
            t("Unexpected error. Quote error id {error_id} when reporting it.", error_id=error_id),
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
        )


class QonysSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:  # type: ignore[no-untyped-def,override]
        """Deliberate errors are answers, not incidents; unexpected ones are logged
        (with their error id) by ``MaskUnexpectedErrors``."""


class ValidationByText(SchemaExtension):
    """Strawberry's ``ValidationCache``, keyed by the query's text instead of its
    parsed document: the document's hash walks the whole syntax tree on every
    request (0.1 ms of the officers' list page, workload 1 of the bench), and
    the parser cache already gives one document per text. The schema object and
    the rules are part of the key (one process may hold several schemas)."""

    SIZE = 256
    _cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is not None and ctx.graphql_document is not None and ctx.validation_rules:
            key = (ctx.query, ctx.schema._schema, tuple(ctx.validation_rules))
            errors = self._cache.get(key)
            if errors is None:
                errors = validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
                self._cache[key] = errors
                if len(self._cache) > self.SIZE:
                    self._cache.popitem(last=False)
            ctx.pre_execution_errors = errors
        yield


# The limiters' validation rules are built once, so that the validation cache
# (keyed by document and rules) hits across requests.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]
PRODUCTION_RULES = [*LIMIT_RULES, NoSchemaIntrospectionCustomRule]


_ACCESS_ATTACHED = False


def build_schema(*, production: bool = False, read_replica: bool = False) -> strawberry.Schema:
    """The schema; with ``read_replica`` (``QONYS_READ_DATABASE_URL`` set) query
    operations may read the replica (``api.graphql.replica``)."""
    rules = PRODUCTION_RULES if production else LIMIT_RULES
    extensions: list = [
        OperationMetrics,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=256),
        ValidationByText,
        MaskUnexpectedErrors,
        NameInputErrors,
        *([ReadRouting] if read_replica else []),  # before the compiled path: it decides where that reads
        CompiledReadPath,
    ]
    mutation = merge_types("Mutation", MUTATION_TYPES)
    query = merge_types("Query", QUERY_TYPES)
    node_types = [entry[1] for entry in NODE_TYPES.values()]
    global _ACCESS_ATTACHED
    if not _ACCESS_ATTACHED:  # the types are module-level: attach the declaration once per process
        visibility.apply(QonysSchema(query=query, mutation=mutation, types=node_types))
        _ACCESS_ATTACHED = True
    return QonysSchema(
        query=query,
        mutation=mutation,
        types=node_types,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production, scalar_map=SCALAR_MAP),
    )


def print_schema() -> str:
    return build_schema().as_str() + "\n"
