"""Prometheus metrics: one registry that every layer may count into."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
GRAPHQL_REQUESTS = Counter(
    "qonys_graphql_requests", "GraphQL operations by name and outcome", ["operation", "outcome"], registry=REGISTRY)
GRAPHQL_LATENCY = Histogram(
    "qonys_graphql_request_seconds", "GraphQL operation latency", ["operation"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("qonys_errors", "Errors returned to clients by code", ["code"], registry=REGISTRY)
DB_POOL_IN_USE = Gauge("qonys_db_pool_checked_out", "Database connections in use", registry=REGISTRY)
DB_POOL_SIZE = Gauge("qonys_db_pool_size", "Database pool size", registry=REGISTRY)
SELECTION_ROUNDS = Counter("qonys_selection_rounds", "Selection rounds run", ["dry_run"], registry=REGISTRY)
COMPILED_QUERIES = Counter("qonys_compiled_queries", "Queries answered by the compiled read path", registry=REGISTRY)
RESCORED = Counter("qonys_rescored_applications", "Applications re-scored by jobs", registry=REGISTRY)
