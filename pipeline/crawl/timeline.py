"""Marks on a run's time line, for the crawl benchmark (pipeline/bench/paths.py).

With VNFACTS_TIMELINE=FILE set, `mark(name)` appends "MONOTONIC PID NAME" to
FILE; unset (every normal run) it does nothing. time.monotonic() is the
system's CLOCK_MONOTONIC on Linux, so the parent's, the crawl child's and
the local servers' times (localsites.arrivals_line) are on one axis."""
from __future__ import annotations

import os
import time

ENV = "VNFACTS_TIMELINE"


def mark(name: str) -> None:
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:  # one short line per write: appends stay whole
            out.write(f"{time.monotonic():.4f} {os.getpid()} {name}\n")


def read(path) -> list[tuple[float, int, str]]:
    """The marks of FILE, in time order."""
    rows = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            at, pid, name = line.rstrip("\n").split(" ", 2)
            rows.append((float(at), int(pid), name))
    return sorted(rows)
