"""The metrics directory ``qonys serve --workers N`` gives its workers (core.metrics)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.metrics import MULTIPROC_ENV, multiprocess_directory

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)


def test_serve_makes_its_own_directory_and_removes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with multiprocess_directory() as path:
        assert os.environ[MULTIPROC_ENV] == str(path) and path.is_dir()
        (path / "counter_123.db").write_bytes(b"x")
    assert not path.exists()
    assert MULTIPROC_ENV not in os.environ


def test_a_directory_the_operator_named_is_emptied_of_old_counts_and_kept(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    (tmp_path / "counter_99.db").write_bytes(b"old run")
    (tmp_path / "notes.txt").write_text("not ours")
    with multiprocess_directory() as path:
        assert path == tmp_path and not list(path.glob("*.db"))
    assert (tmp_path / "notes.txt").exists()
    assert os.environ[MULTIPROC_ENV] == str(tmp_path)
