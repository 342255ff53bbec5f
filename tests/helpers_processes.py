"""What the suite's own servers (tests/pgbouncer.py, tests/replica.py) share: a
free loopback port, a child that ends with the test process, and giving up on a
server that cannot run (a failure where it is required, as in CI; else a skip)."""

from __future__ import annotations

import ctypes
import signal
import socket

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def end_with_parent() -> None:
    """In the child, before exec: SIGTERM when the test process dies, even killed
    (runuser passes it on), so that no server outlives its run."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def give_up(message: str, required: bool) -> None:
    if required:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
