"""Short holds on the database for long jobs.

DuckDB lets one process write a file at a time, and a reader cannot open it
while a writer has it. A long ingest or extract that kept its connection for
the whole run would lock out every `vnfacts query` for minutes; with a
`Database`, it opens the file only for each batch it reads or writes (a few
milliseconds to connect) and other processes get in between batches.
"""
from __future__ import annotations

import contextlib
import time
from contextlib import contextmanager
from pathlib import Path

from pipeline.store.db import connect


# A batch is a few hundred rows: DuckDB's worker threads gain it nothing, and
# each new connection's threads spread their allocations over fresh malloc
# arenas that are never given back, so RSS grew with every batch (issue 11:
# ingest's peak at 10,000 pages 156-161 -> 150-152 MB, a session per batch;
# 165-173 -> 162-167 MB with HeldConnection, noisy). Queries and exports keep theirs
# (a setting of the instance: a connection this process shares with the
# session, a crawl's state lease, runs single-threaded too).
BATCH_THREADS = 1


class Database:
    """A database file opened per batch; created (and upgraded) at once."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        connect(self.path, create=create).close()  # a missing file or a lock fails here, early

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"


@contextmanager
def session(target, read_only: bool = False):
    """A connection for one batch: `target` is a Database (opened now, closed
    after) or an open DuckDB connection (used as it is, left open)."""
    if not isinstance(target, Database):
        yield target
        return
    con = connect(target.path, read_only=read_only)
    con.execute(f"SET threads = {BATCH_THREADS}")
    try:
        yield con
    finally:
        con.close()


# Opening the file and checkpointing it on close cost ~75 ms a batch (2 of
# the 6 CPU s of storing the 12,786 bulk articles in batches of 500, issue
# 11), so a connection may serve the batches of up to HOLD seconds, the work
# between them included; then the file is let go while the next batch is
# prepared, and a waiting `vnfacts query` (which retries for
# VNFACTS_LOCK_WAIT seconds) gets in.
HOLD = 1.0


class HeldConnection:
    """store.session's connection, kept across batches for up to `hold`
    seconds (an open connection is used as it is, never closed)."""

    def __init__(self, db, hold: float = HOLD):
        self.db, self.hold, self.con, self.opened = db, hold, None, 0.0
        self.stack = contextlib.ExitStack()

    def connection(self):
        if self.con is None:
            self.con, self.opened = self.stack.enter_context(session(self.db)), time.monotonic()
        return self.con

    def release_if_due(self, next_work: float = 0.0) -> float:
        """Let go of the file unless the hold, with `next_work` seconds more
        (what the next batch will take to prepare, e.g. the last one's), stays
        within `hold`. Returns the seconds the file was held if it was let go, else 0."""
        held = time.monotonic() - self.opened
        if self.con is not None and held + next_work >= self.hold:
            self.close()
            return held
        return 0.0

    def close(self) -> None:
        self.con = None
        self.stack.close()
