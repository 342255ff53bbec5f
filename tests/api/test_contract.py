"""The GraphQL schema keeps every promise of the shared contract
(``shared/contract/schema.graphql``), checked by ``shared/tools/contract_check.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api.graphql.schema import print_schema

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

# CI clones the repository into another folder with shared/ beside it.
SHARED = Path(__file__).resolve().parents[3] / "shared"
CONTRACT_CHECK = SHARED / "tools" / "contract_check.py"
CONTRACT = SHARED / "contract" / "schema.graphql"


def test_schema_keeps_the_contract(tmp_path: Path) -> None:
    if not CONTRACT_CHECK.is_file() or not CONTRACT.is_file():
        pytest.fail(
            f"the contract checker or the contract is missing: expected {CONTRACT_CHECK} and {CONTRACT} "
            "(the shared/ folder must sit beside the repository)",
            pytrace=False,
        )
    sdl = print_schema()
    assert "type Query" in sdl
    schema_file = tmp_path / "schema.graphql"
    schema_file.write_text(sdl, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(CONTRACT_CHECK), str(schema_file)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, (
        f"contract_check.py exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )
    assert "0 breaking change(s)" in result.stdout, result.stdout
