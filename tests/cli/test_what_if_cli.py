"""``qonys what-if`` (SPEC §17): a what-if on demo data prints the pass rates by
sex, age band and route, and flags a group under a deliberately skewed model."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from typing import Any

from cli.demo.generator import generate
from core.db import transaction
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.scoring_models import create_scoring_model
from services.viewer import SYSTEM


async def _what_if(database_url: str, version: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from cli.main import app

    result = await asyncio.to_thread(CliRunner().invoke, app, ["what-if", version],
                                     env={"QONYS_DATABASE_URL": database_url, "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def test_a_what_if_on_demo_data_prints_the_rates_and_flags_a_skewed_model(database_url: str,
                                                                                sessions: Any) -> None:
    await generate(sessions, applications=120, seed=5, batch_size=120)
    skewed = copy.deepcopy(DEFAULT_MODEL_DEFINITION)
    skewed["gates"].append({"code": "young", "source": "applicant.age", "max": 35})
    async with transaction(sessions) as s:
        await create_scoring_model(s, SYSTEM, version="skewed", effective_from=dt.date(2027, 1, 1),
                                   definition=skewed)
    code, output = await _what_if(database_url, "skewed")
    assert code == 0, output
    lines = output.strip().splitlines()
    assert lines[0].startswith("what-if under skewed: ")
    assert {line.split()[0] for line in lines[1:]} == {"sex", "age", "route"}
    assert any(line.startswith("sex") and "MALE" in line for line in lines)
    older = [line for line in lines if line.startswith("age band") and ("50–59" in line or "60+" in line)]
    assert older and all("FLAGGED" in line for line in older)
    missing = await _what_if(database_url, "no-such-model")
    assert missing[0] == 1 and "no scoring model has version" in missing[1]
