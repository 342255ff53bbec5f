"""``qonys check-integrity`` (registered on the main app by ``register``)."""

from __future__ import annotations

import time

import typer

from cli.common import out, run_db
from services import integrity


def register(app: typer.Typer) -> None:
    app.command("check-integrity")(check_integrity)


def check_integrity() -> None:
    """Re-prove the invariants from the tables (quota seats, contract ledgers,
    caps, terminations and refunds, audited statuses).

    Prints each violation on one line (the row concerned, what is wrong, expected
    against found) and exits 1 when there is any; "no violations" and 0 otherwise.
    Read-only: safe on a live database."""
    started = time.perf_counter()
    violations = run_db(integrity.check)
    for violation in violations:
        out.print(violation.line(), highlight=False, markup=False)
    elapsed = time.perf_counter() - started
    if violations:
        out.print(f"{len(violations)} violation(s) ({elapsed:.1f} s)", highlight=False)
        raise typer.Exit(1)
    out.print(f"no violations ({elapsed:.1f} s)", highlight=False)
