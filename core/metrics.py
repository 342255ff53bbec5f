"""Prometheus metrics: one registry that every layer may count into.

Several processes (``qonys serve --workers N``) count into one set of numbers:
``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a directory of its own before
the workers start (``multiprocess_directory``), every worker then writes its
counts into files there (prometheus-client's multiprocess mode, chosen when the
library is imported), and a scrape, whichever worker takes it, answers with the
sum over all of them (``exposition``). Without the variable (one process: the
tests, ``serve`` with one worker) the counts live in this process's memory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess

from core.workdirs import shared_directory

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MULTIPROCESS = MULTIPROC_ENV in os.environ

REGISTRY = CollectorRegistry(auto_describe=True)
GRAPHQL_REQUESTS = Counter(
    "qonys_graphql_requests", "GraphQL operations by name and outcome", ["operation", "outcome"], registry=REGISTRY)
GRAPHQL_LATENCY = Histogram(
    "qonys_graphql_request_seconds", "GraphQL operation latency", ["operation"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("qonys_errors", "Errors returned to clients by code", ["code"], registry=REGISTRY)
FAILED_AUTH = Counter("qonys_failed_authentications", "Requests refused for their credentials (401) or "
                      "for too many failures before (429)", ["scope", "status"], registry=REGISTRY)
# Per process, summed over the live workers.
DB_POOL_IN_USE = Gauge("qonys_db_pool_checked_out", "Database connections in use", registry=REGISTRY,
                       multiprocess_mode="livesum")
DB_POOL_SIZE = Gauge("qonys_db_pool_size", "Database pool size", registry=REGISTRY, multiprocess_mode="livesum")
SELECTION_ROUNDS = Counter("qonys_selection_rounds", "Selection rounds run", ["dry_run"], registry=REGISTRY)
COMPILED_QUERIES = Counter("qonys_compiled_queries", "Queries answered by the compiled read path", registry=REGISTRY)
# With a read replica (core.replica): where each query operation read, "replica", or
# the primary because the replica had not replayed the caller's write in time
# ("lagging") or could not be reached ("down").
REPLICA_READS = Counter("qonys_replica_reads", "Query operations by where they read: the replica, or the primary "
                        "when it lagged behind the caller's write or was down", ["route"], registry=REGISTRY)
RESCORED = Counter("qonys_rescored_applications", "Applications re-scored by jobs", registry=REGISTRY)


def _exposition_registry() -> CollectorRegistry:
    if not MULTIPROCESS:
        return REGISTRY
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # reads every worker's files at each scrape
    return merged


EXPOSITION = _exposition_registry()


def process_exited() -> None:
    """Drop this process's share of the live gauges (a worker shutting down)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())


@contextmanager
def multiprocess_directory() -> Iterator[Path]:
    """For the processes started inside: ``PROMETHEUS_MULTIPROC_DIR`` set to an
    empty directory, removed afterwards. A directory the operator named in the
    variable is used instead, emptied of earlier runs' files and kept."""
    with shared_directory(MULTIPROC_ENV, os.environ.get(MULTIPROC_ENV), "qonys-metrics-", stale="*.db") as path:
        yield path
