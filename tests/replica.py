"""A primary and its streaming replica, for the read-replica tests (PostgreSQL
suite only): two PostgreSQL clusters of this run's own, on free loopback ports,
in a temporary directory. The primary is a new cluster (``initdb``, whose
pg_hba lets 127.0.0.1 replicate), so the machine's cluster is neither copied
nor reconfigured (its pg_hba has no replication entry); the replica is a
``pg_basebackup -R -X stream`` of it, streaming from it over loopback, hot
standby. Both are fsync-less and small. As root the clusters run as the
``postgres`` user (runuser); each server ends with the test process, even a
killed one (the parent-death signal, as ``tests.pgbouncer`` does)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers_processes import end_with_parent, free_port, give_up

START_TIMEOUT = 30
SERVER_OPTIONS = ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
                  "-c", "shared_buffers=16MB", "-c", "max_connections=80", "-c", "autovacuum=off",
                  "-c", "hot_standby_feedback=on", "-c", "wal_receiver_status_interval=1s",
                  # a restarted replica asks the primary again after 0.2 s, not the default 5 s
                  "-c", "wal_retrieve_retry_interval=200ms"]


def _bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent  # /usr/local/bin/initdb may be a link to the version's bin
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return None
    found.sort(key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    return Path(found[-1]).parent


@dataclass
class Cluster:
    name: str
    data: Path
    port: int
    bindir: Path
    as_postgres: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *command: str) -> str:
        done = subprocess.run([*self.as_postgres, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        log = (self.data.parent / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [*self.as_postgres, str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-k", str(self.data.parent), *SERVER_OPTIONS],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=end_with_parent)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # accepting connections (for the replica: consistent, as a hot standby)
            ready = subprocess.run([str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)])
            if ready.returncode == 0:
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} did not start: {self.log_tail()}")
            time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            subprocess.run([*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode,
                            "-w", "-t", "30", "stop"], capture_output=True, timeout=60)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def log_tail(self) -> str:
        path = self.data.parent / f"{self.name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@dataclass
class Clusters:
    primary: Cluster
    replica: Cluster


@contextmanager
def running_pair(*, required: bool) -> Iterator[Clusters]:
    """A primary and its streaming replica, until the block ends."""
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_basebackup").exists():
        give_up("the PostgreSQL server binaries (initdb, pg_basebackup, postgres) are not installed", required)
    assert bindir is not None
    directory = Path(tempfile.mkdtemp(prefix="qonys-replica-"))  # not under pytest's root-only tree
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(directory, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    primary = Cluster("primary", directory / "primary", free_port(), bindir, as_postgres)
    replica = Cluster("replica", directory / "replica", free_port(), bindir, as_postgres)
    try:
        try:
            primary.run(str(bindir / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
            primary.start()
            primary.run(str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                        "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")
            replica.start()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            give_up(f"could not start a primary and its replica: {exc}", True)
        yield Clusters(primary, replica)
    finally:
        replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
