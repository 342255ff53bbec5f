"""A private PgBouncer for the suite (QONYS_TEST_PGBOUNCER=1, ``make
test-pgbouncer``): Debian's ``pgbouncer`` (1.18, which does not track prepared
statements) in transaction pooling mode, on a free loopback port, trusting
every connection and passing it to the tests' PostgreSQL server; its files in a
temporary directory. PgBouncer refuses to run as root: as root it runs as the
``postgres`` user (runuser)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers_processes import end_with_parent, free_port, give_up

START_TIMEOUT = 15

CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_pgbouncer(server_url: str, *, required: bool) -> Iterator[int]:
    """PgBouncer in front of ``server_url``'s server, until the block ends; its port."""
    directory = Path(tempfile.mkdtemp(prefix="qonys-pgbouncer-"))  # not under pytest's root-only tree
    try:
        with _running(directory, server_url, required) as port:
            yield port
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _running(directory: Path, server_url: str, required: bool) -> Iterator[int]:
    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if binary is None:
        give_up("pgbouncer is not installed (apt-get install pgbouncer; make test-pgbouncer does)", required)
    server = make_url(server_url)
    listen = free_port()
    (directory / "pgbouncer.ini").write_text(CONFIG.format(
        host=server.host or "127.0.0.1", port=server.port or 5432, listen=listen, directory=directory))
    (directory / "userlist.txt").write_text(f'"{server.username or "postgres"}" ""\n')
    command = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        for path in directory.iterdir():
            shutil.chown(path, "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    log = directory / "pgbouncer.log"
    with (directory / "pgbouncer.out").open("w") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=end_with_parent)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _accepts(listen):
            if process.poll() is not None or time.monotonic() > deadline:
                said = (directory / "pgbouncer.out").read_text() + (log.read_text() if log.exists() else "")
                give_up(f"pgbouncer did not start: {said}", True)
            time.sleep(0.1)
        yield listen
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # immediate shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
