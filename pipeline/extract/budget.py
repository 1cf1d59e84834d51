"""A time budget per document: extraction that runs past it stops.

Extraction is linear in text length (rules.RuleSet.matches, segment.cut_long),
but a page can still be pathological in ways nobody has met yet; a nightly
run must not stall on it. `limit(seconds)` sets a deadline for the code run
inside it, and the extraction loops call `check()` (between lines, sentences,
match windows and matches), which raises OverBudget once the deadline has
passed. The caller (core.extract_batch) reports the document and goes on.
A contextvar rather than an argument: the deadline reaches every loop
without threading it through each stage function, and each thread or task
has its own. The budget is CPU time of the extracting thread, not wall
time: on a machine other processes load, wall time would stop ordinary
pages at random; the CPU a page needs is a property of the page.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from contextvars import ContextVar

# CPU seconds one document may take to segment and extract, unless the
# environment variable VNFACTS_DOC_SECONDS says otherwise (0: no limit); a
# typical news page takes 0.05 s, a 100 kB page without a full stop about
# 6 s (pipeline/bench/limits.py), so a slower machine still extracts it
DOC_SECONDS = 15.0
ENVIRONMENT = "VNFACTS_DOC_SECONDS"

_deadline: ContextVar[tuple[float, float, float] | None] = ContextVar("vnfacts_extract_deadline", default=None)


class OverBudget(RuntimeError):
    """Extraction of one document ran past its time budget."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"extraction stopped after its time budget of {seconds:g} s of CPU")


def default_seconds() -> float:
    """The budget per document: $VNFACTS_DOC_SECONDS, else DOC_SECONDS."""
    text = os.environ.get(ENVIRONMENT, "").strip()
    try:
        seconds = float(text) if text else DOC_SECONDS
    except ValueError:
        raise ValueError(f"{ENVIRONMENT}={text!r} is not a number of seconds") from None
    if seconds < 0:
        raise ValueError(f"{ENVIRONMENT}={text!r} must be 0 (no limit) or more")
    return seconds


@contextmanager
def limit(seconds: float | None):
    """Run the block under a deadline `seconds` from now (None or 0: none)."""
    token = _deadline.set((time.thread_time() + seconds, seconds, time.monotonic() + seconds) if seconds else None)
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise OverBudget if the current deadline has passed."""
    deadline = _deadline.get()
    # A thread's CPU time grows no faster than the wall clock, so before the
    # wall deadline the CPU one cannot have passed: the monotonic clock is
    # read in user space (~60 ns here), the thread's CPU clock is a system
    # call (~700 ns), and the loops call this for every line (issue 11).
    if deadline is not None and time.monotonic() > deadline[2] and time.thread_time() > deadline[0]:
        raise OverBudget(deadline[1])
