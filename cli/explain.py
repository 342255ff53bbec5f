"""``qonys what-if`` (registered on the main app by ``register``): the what-if of
a scoring model with its fairness check (SPEC §3, §17), printed; writes nothing."""

from __future__ import annotations

import typer

from cli.common import out, run_db
from services import fairness, scoring_models
from services.rescore import model_by_version
from services.viewer import SYSTEM


def register(app: typer.Typer) -> None:
    app.command("what-if")(what_if)


def what_if(model_version: str = typer.Argument(..., help="the version of the model (a draft, or any other)")) -> None:
    """Score every scored, undecided application under a model, writing nothing:
    how many pass now and would pass under it, and the pass rates by sex, age band
    and route, with the groups below four fifths of the highest flagged."""

    async def work(session):  # type: ignore[no-untyped-def]
        model = await model_by_version(session, model_version)
        simulation = await scoring_models.simulate(session, SYSTEM, model.id)
        return simulation, await fairness.simulation_fairness(session, SYSTEM, model.id)

    simulation, report = run_db(work)
    out.print(f"what-if under {simulation.model_version}: {simulation.passed_now} of {simulation.evaluated} "
              f"scored, undecided application(s) pass now; {simulation.passed_under_draft} would pass under it",
              highlight=False)
    for g in report.groups:
        flag = "  FLAGGED: below 4/5 of the highest" if g.flagged else ""
        out.print(f"{g.dimension.value.lower().replace('_', ' '):9} {g.group:9} {g.selected:>6}/{g.total:<6} "
                  f"{g.rate:7.1%}{flag}", highlight=False, markup=False)
