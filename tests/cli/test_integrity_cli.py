"""``qonys check-integrity`` (issue 19): one line per violation naming its row,
exit code 1 when there is any, "no violations" and 0 otherwise."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from core.db import transaction
from tests import factories as f
from tests.conftest import BACKEND


async def _check_integrity(database_url: str) -> tuple[int, str]:
    """``qonys check-integrity`` in-process (in a thread: the command runs its own event loop)."""
    from typer.testing import CliRunner

    from cli.main import app

    result = await asyncio.to_thread(CliRunner().invoke, app, ["check-integrity"],
                                     env={"QONYS_DATABASE_URL": database_url, "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def test_a_clean_database_exits_0(database_url: str) -> None:
    code, out = await _check_integrity(database_url)
    assert code == 0 and out.startswith("no violations"), out


async def test_each_violation_is_one_line_and_exits_1(database_url: str, sessions: Any) -> None:
    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", 2026, capacity=10, used=0)
        await s.execute(sa.text("UPDATE quota SET used = 3 WHERE id = :id"), {"id": quota.id})
    code, out = await _check_integrity(database_url)
    lines = out.strip().splitlines()
    assert code == 1, out
    assert lines == [f"quota#{quota.id}: used is not the seats of the approved applications holding them "
                     "(expected 0, found 3)", lines[-1]]
    assert lines[-1].startswith("1 violation(s)")


async def test_a_ledger_total_changed_by_sql_is_reported_with_the_contract_id(database_url: str, sessions: Any) -> None:
    async with transaction(sessions) as s:
        contract = await f.make_contract(s)
        await f.make_contract(s)  # another, untouched: not reported
        # 123.45 tenge more than its (empty) ledger; SQLite keeps money as whole cents
        more = "12345" if BACKEND == "sqlite" else "123.45"
        await s.execute(sa.text(f"UPDATE social_contract SET total_support = total_support + {more} WHERE id = :id"),
                        {"id": contract.id})
    code, out = await _check_integrity(database_url)
    assert code == 1, out
    # (the factories' approvals skip the round and the audit trail: those lines are about applications)
    ledger = [line for line in out.splitlines() if line.startswith("social_contract#")]
    assert ledger == [f"social_contract#{contract.id}: total_support is not the sum of its ledger "
                      "(expected 0.00, found 123.45)"], out
