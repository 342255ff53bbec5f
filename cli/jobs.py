"""``qonys rescore`` and ``qonys worker`` (registered on the main app by ``register``)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer

from cli.common import check_database, database, err, fail, out, run, settings


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _log_to_stderr() -> None:
    """The worker's log lines (ours at INFO, procrastinate's warnings) on stderr, once."""
    for name, level in (("qonys", logging.INFO), ("procrastinate", logging.WARNING)):
        logger = logging.getLogger(name)
        if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def register(app: typer.Typer) -> None:
    app.command("rescore")(rescore)
    app.command("worker")(worker)


def rescore(
    model_version: str | None = typer.Option(
        None, "--model-version", help="the version to re-score under; it must be the model in force (default: it)"),
    inline: bool = typer.Option(False, "--inline", help="re-score in this process even on PostgreSQL"),
    batch_size: int = typer.Option(500, "--batch-size", min=1, max=10_000, help="applications per transaction"),
    pause: float = typer.Option(0.0, "--pause", min=0.0, help="seconds to wait between batches (inline)"),
) -> None:
    """Re-score every scored, undecided application under the model in force.

    On PostgreSQL this queues jobs for `qonys worker` (--inline re-scores here);
    on SQLite it re-scores here, with a progress bar. Each batch is one
    transaction; running it again finishes what an interrupted run left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from core.db import session_factory, transaction
    from models.base import today_almaty
    from services import rescore as svc
    from services.viewer import SYSTEM

    cfg = settings()

    async def main() -> str:
        async with database(cfg) as engine:
            sessions = session_factory(engine)
            async with transaction(sessions) as session:
                model_id = (await svc.model_by_version(session, model_version)).id if model_version else None
                model = await svc.model_for_rescore(session, model_id, today_almaty())
            if not (inline or cfg.is_sqlite):
                from services import jobs

                outcome = await jobs.enqueue_rescore(cfg, model_id=model.id, sessions=sessions, batch_size=batch_size)
                return outcome.message + ("; `qonys worker` processes them" if outcome.jobs else "")
            with Progress(TextColumn(f"re-scoring under {model.version}"), BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=err, transient=True) as bar:
                task = bar.add_task("rescore", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                n = await svc.rescore_all(sessions, SYSTEM, model_id=model.id, batch_size=batch_size,
                                          progress=progress, pause=pause)
            return f"re-scored {n} application(s) under model {model.version}"

    out.print(run(main), highlight=False)


def worker(
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=64, help="jobs run at once by this process"),
    batch_size: int = typer.Option(500, "--batch-size", min=1, max=10_000, help="applications per transaction"),
    pause: float = typer.Option(0.0, "--pause", min=0.0, help="seconds to wait between batches"),
    once: bool = typer.Option(False, "--once", help="stop when the queue is empty instead of waiting for jobs"),
    inline: bool = typer.Option(False, "--inline", help=(
        "send the webhook deliveries in this process, without procrastinate (SQLite, or PostgreSQL); "
        "with --once, until none is pending")),
) -> None:
    """Run a job worker (PostgreSQL), or send webhooks inline (--inline).

    It runs the re-scoring jobs that publishing a model and `qonys rescore`
    queue, and sends the webhooks to partner agencies. Start one or more on as
    many machines as needed; Ctrl-C stops it."""
    from services import jobs

    cfg = settings()
    if inline:
        _log_to_stderr()
        _inline_webhooks(cfg, once)
        return
    if cfg.is_sqlite:
        fail("workers need PostgreSQL (set QONYS_DATABASE_URL to a postgresql+asyncpg:// URL); "
             "on SQLite `qonys rescore` runs the work inline and `qonys worker --inline` sends the webhooks", 2)
    _log_to_stderr()

    async def main() -> None:
        await check_database(cfg)
        err.print(f"qonys worker: concurrency {concurrency}; Ctrl-C stops it once the running jobs finish",
                  highlight=False)
        await jobs.run_worker(cfg, concurrency=concurrency, wait=not once, batch_size=batch_size, pause=pause)

    try:
        run(main)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _inline_webhooks(cfg: Any, once: bool) -> None:
    """``qonys worker --inline``: the webhook sender in this process."""
    from core.db import session_factory
    from services.webhooks.worker import run_inline

    async def main() -> int:
        async with database(cfg) as engine:
            err.print("qonys worker --inline: sending webhook deliveries"
                      + (" until none is pending" if once else "; Ctrl-C stops it"), highlight=False)
            return await run_inline(session_factory(engine), cfg, until_idle=once)

    try:
        tries = run(main)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    out.print(f"{tries} webhook delivery try(s) made; none is pending", highlight=False)
