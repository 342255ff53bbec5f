"""A directory the worker processes of one server share (``qonys serve --workers N``):
the metrics' files (``core.metrics``) and the callers' write marks (``core.replica``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def shared_directory(env: str, given: str | None, prefix: str, stale: str | None = None) -> Iterator[Path]:
    """The directory ``given`` (the operator's: created if missing, emptied of files
    matching ``stale``, kept); without one, a new temporary directory named in the
    environment variable ``env`` for the processes started inside, removed afterwards."""
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob(stale) if stale else ():
            old.unlink()
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ[env] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(env, None)
        shutil.rmtree(path, ignore_errors=True)
