"""``qonys demo-data`` (registered on the main app by ``register``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    app.command("demo-data")(demo_data)


def demo_data(
    applications: int = typer.Option(..., "--applications", min=1, max=10_000_000,
                                      help="how many applications to add (with their applicants)"),
    seed: int = typer.Option(1, "--seed", help="random seed; the same seed on the same database gives the same data"),
    batch_size: int = typer.Option(5000, "--batch-size", min=1, max=100_000, help="applications per transaction"),
) -> None:
    """Fill the database with realistic synthetic applicants and applications.

    Every state and route, scored by the real engine, approvals within the
    quotas, social contracts with support payments. Each batch is one
    transaction; running it again adds as many again. Needs `qonys seed` first."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from cli.demo import generator
    from cli.common import database, database_failure, err, fail, out, settings
    from core.db import session_factory
    from services.errors import ServiceError

    cfg = settings()

    async def main() -> dict[str, int]:
        async with database(cfg) as engine:
            with Progress(TextColumn("demo data"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                          TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err) as bar:
                task = bar.add_task("applications", total=applications)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return await generator.generate(session_factory(engine), applications=applications, seed=seed,
                                                batch_size=batch_size, progress=progress)

    started = time.perf_counter()
    counts: dict[str, Any] = {}
    try:
        counts = asyncio.run(main())
    except ServiceError as exc:
        fail("; ".join(e.message for e in exc.errors))
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted; the batches already committed stay in the database", highlight=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001
        database_failure(exc)
    elapsed = time.perf_counter() - started

    table = Table("table", "rows added", title="demo data")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    total = sum(counts.values())
    table.add_row("[bold]total[/bold]", f"[bold]{total:,}[/bold]")
    out.print(table)
    out.print(f"{applications:,} applications in {elapsed:.1f} s ({total / elapsed:,.0f} rows/s)", highlight=False)
