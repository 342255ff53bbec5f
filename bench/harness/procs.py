"""CPU time and memory, read from /proc: a process, a process tree (the postmaster), the machine."""

from __future__ import annotations

import os
import resource
import threading

from harness.common import CLK_TCK


def stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()  # fields from "state" on (index 0 = field 3)


def proc_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    f = stat_fields(pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK if f else 0.0


def tree_cpu(root: int | None) -> float:
    """CPU seconds of a process (with its reaped children) and its live children:
    for the postmaster, that is all of PostgreSQL's work, exited backends included."""
    if root is None:
        return 0.0
    f = stat_fields(root)
    if not f:
        return 0.0
    total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    for _, c in children(root):
        total += int(c[11]) + int(c[12])
    return total / CLK_TCK


def children(parent: int) -> list[tuple[int, list[str]]]:
    """The live children of ``parent``, each with its ``stat_fields``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            c = stat_fields(int(entry))
            if c and int(c[1]) == parent:
                found.append((int(entry), c))
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its live children (uvicorn's supervisor and its workers)."""
    return rss_mb(pid) + sum(rss_mb(child) for child, _ in children(pid))


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._halt.wait(self.every)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, tree_rss_mb(self.pid))
        return self.peak
