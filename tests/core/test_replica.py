"""The read replica's parts that need no database (core.replica): WAL positions,
the write marks (per process, and shared by the workers of one machine), what
counts as "cannot be reached". Against a real replica: tests/api/test_read_replica.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import asyncpg
import pytest

from core.replica import (
    WRITE_MARKS_ENV,
    DirectoryMarks,
    MemoryMarks,
    format_lsn,
    parse_lsn,
    unreachable,
    write_marks_directory,
)
from core.settings import Settings

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)


@pytest.mark.parametrize("text", ["0/0", "0/3000060", "16/B374D848", "FFFFFFFF/FFFFFFFF", "a/b"])
def test_wal_positions(text: str) -> None:
    assert format_lsn(parse_lsn(text)) == text.upper()
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")


@pytest.mark.parametrize("text", ["", "0", "0/", "/1", "x/1", "1/2/3", "123456789/0", " 0/1", "0/1\n"])
def test_not_wal_positions(text: str) -> None:
    with pytest.raises(ValueError):
        parse_lsn(text)


def test_memory_marks() -> None:
    marks = MemoryMarks(ttl=60, limit=3)
    assert marks.get("OFFICER:a") is None
    marks.put("OFFICER:a", 10)
    marks.put("OFFICER:a", 5)  # an older position never lowers the mark
    assert marks.get("OFFICER:a") == 10
    marks.replayed("OFFICER:a", 9)
    assert marks.get("OFFICER:a") == 10
    marks.replayed("OFFICER:a", 10)
    assert marks.get("OFFICER:a") is None
    for n, who in enumerate("bcde"):  # over the limit: the oldest goes
        marks.put(who, n)
    assert marks.get("b") is None and [marks.get(w) for w in "cde"] == [1, 2, 3]


def test_memory_marks_expire() -> None:
    marks = MemoryMarks(ttl=0.01)
    marks.put("a", 1)
    time.sleep(0.02)
    assert marks.get("a") is None


def test_directory_marks_are_shared(tmp_path: Path) -> None:
    one, two = DirectoryMarks(tmp_path / "marks"), DirectoryMarks(tmp_path / "marks")  # two workers
    assert two.get("AGENCY:agency:KNB") is None
    one.put("AGENCY:agency:KNB", parse_lsn("0/3000060"))
    assert two.get("AGENCY:agency:KNB") == parse_lsn("0/3000060")
    two.put("AGENCY:agency:KNB", 1)  # lower: kept as it was
    assert one.get("AGENCY:agency:KNB") == parse_lsn("0/3000060")
    assert one.get("AGENCY:agency:other") is None
    names = os.listdir(tmp_path / "marks")
    assert len(names) == 1 and "KNB" not in names[0]  # no subject in a file name


def test_directory_marks_expire_and_are_swept(tmp_path: Path) -> None:
    marks = DirectoryMarks(tmp_path, ttl=60)
    marks.put("a", 1)
    old = time.time() - 120
    for name in os.listdir(tmp_path):
        os.utime(tmp_path / name, (old, old))
    assert marks.get("a") is None
    marks._swept = 0.0
    marks.put("b", 2)
    assert len(os.listdir(tmp_path)) == 1 and marks.get("b") == 2


def test_what_cannot_be_reached() -> None:
    assert unreachable(ConnectionRefusedError(111, "refused"))
    assert unreachable(TimeoutError())
    assert unreachable(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert unreachable(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert unreachable(asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle"))
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = OSError("network unreachable")
    assert unreachable(wrapped)
    assert not unreachable(asyncpg.exceptions.SerializationError("conflict with recovery"))
    assert not unreachable(asyncpg.exceptions.UndefinedColumnError("no such column"))
    assert not unreachable(ValueError("bad"))


def test_serve_gives_its_workers_a_marks_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(WRITE_MARKS_ENV, raising=False)
    with write_marks_directory(Settings()) as path:  # no replica: nothing
        assert path is None and WRITE_MARKS_ENV not in os.environ
    replicated = Settings(database_url="postgresql+asyncpg://q@db/q", read_database_url="postgresql+asyncpg://q@r/q")
    with write_marks_directory(replicated) as path:
        assert path is not None and path.is_dir() and os.environ[WRITE_MARKS_ENV] == str(path)
    assert not path.exists() and WRITE_MARKS_ENV not in os.environ
    named = Settings(database_url="postgresql+asyncpg://q@db/q", read_database_url="postgresql+asyncpg://q@r/q",
                     write_marks_dir=str(tmp_path / "named"))
    with write_marks_directory(named) as path:
        assert path == tmp_path / "named" and path.is_dir()
    assert path.is_dir()  # the operator's: kept
