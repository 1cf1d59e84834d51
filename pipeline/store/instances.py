"""The process's DuckDB instances: one per file and mode, kept between connections.

Creating a DuckDB instance builds its catalog of built-in functions, ~15 ms
on this machine, and a process that opens the file for many short sessions
paid it each time: `vnfacts run`'s store passes and the crawl child's state
leases, some hundreds of opens a run (issue 11). Those processes run
within `reused_instances`: an instance is then kept by a keeper connection, the
file ATTACHed while some connection uses it and DETACHed (checkpointed, its
lock let go for other processes) when the last one closes, as closing the
instance did; attaching and detaching take ~1.7 ms. An instance serves
REUSES attachments, then is closed and made anew: a kept instance's RSS
crept up with its attachments (600 attach-write-read-detach cycles in one
instance: 79 -> 116 MB; renewed every 8, 93-105 MB with no trend), and
closing gives it back. Other commands open the file a few times (ingest and
extract hold it across batches) and connect as before, the instance ending
with the last connection: reusing, ingest's peak at 10,000 pages was
147-153 MB, not 142-144, and tests/test_ingest_faults.py's query during a
long ingest saw the whole ingest before it exited in 2 runs of 7 (0 of 10
connecting as before; not investigated further).
"""
from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb

RESERVED_NAMES = {"memory", "system", "temp", "main"}
_LOCK = threading.Lock()
_INSTANCES: dict[str, "Instance"] = {}
REUSES = 1  # attachments an instance serves before it is closed (reuse_instances)


@contextmanager
def reused_instances(times: int = 8):
    """Within: each instance is kept for `times` attachments (see above)."""
    global REUSES
    before, REUSES = REUSES, max(1, times)
    try:
        yield
    finally:
        REUSES = before


class Connection:
    """A DuckDB connection whose default database is the file (what
    duckdb.connect(path) gives); `close` lets go of the file if it is the last."""

    __slots__ = ("_raw", "_instance")

    def __init__(self, raw, instance: "Instance"):
        self._raw, self._instance = raw, instance

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        instance, self._instance = self._instance, None
        if instance is not None:
            self._raw.close()  # an open transaction is rolled back, as before
            instance.release()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 (interpreter shutdown: DuckDB checkpoints at exit)
            pass


class Instance:
    """A kept DuckDB instance and how many connections use its file."""

    def __init__(self, key: str, path: Path, read_only: bool, config: dict):
        self.key, self.path, self.read_only, self.users, self.attached = key, path, read_only, 0, 0
        self.keeper = duckdb.connect(f":memory:vnfacts-{key}", config=config)

    def connect(self, options: list[str]) -> Connection:
        """A new connection; the file attached first if no connection has it."""
        raw = self.keeper.cursor()
        try:
            if self.users == 0:
                attach(raw, self.path, self.read_only, options)
                self.attached += 1
        except BaseException:
            raw.close()
            raise
        self.users += 1
        return Connection(raw, self)

    def release(self) -> None:
        with _LOCK:
            self.users -= 1
            if self.users == 0 and self.attached >= REUSES:
                self.discard()
            elif self.users == 0:
                self._detach()

    def _detach(self) -> None:
        """Let go of the file (DETACH checkpoints it). Should DuckDB refuse, the
        instance is closed instead, which lets go of it as before."""
        try:
            cursor = self.keeper.cursor()
            cursor.execute("ATTACH IF NOT EXISTS ':memory:' AS memory")
            cursor.execute("USE memory")
            cursor.execute(f'DETACH DATABASE IF EXISTS "{_alias(self.path)}"')
            cursor.close()
        except duckdb.Error:
            self.discard()

    def discard(self) -> None:
        _INSTANCES.pop(self.key, None)
        self.keeper.close()


def open_file(path: Path, read_only: bool, config: dict, options: list[str]):
    """A connection to the file: through the process's kept instance for it
    within reused_instances, else one whose closing (the last one's, where
    connections overlap: DuckDB shares a named instance) ends the instance.
    `options`: the ATTACH options (READ_ONLY is added here)."""
    with _LOCK:
        key = _key(path, read_only)
        instance = _INSTANCES.get(key)
        if instance is None and REUSES == 1:
            return _plain(key, path, read_only, config, options)
        if instance is None:
            instance = _INSTANCES[key] = Instance(key, path, read_only, config)
        return instance.connect(options)


def _plain(key: str, path: Path, read_only: bool, config: dict, options: list[str]):
    con = duckdb.connect(f":memory:vnfacts-{key}", config=config)
    try:
        attach(con, path, read_only, options)
    except BaseException:
        con.close()
        raise
    return con


def attach(con, path: Path, read_only: bool, options: list[str]) -> None:
    """The file as the connection's only database, so that every cursor's default is the file."""
    options = [*options, *(["READ_ONLY"] if read_only else [])]
    quoted, alias = str(path).replace("'", "''"), _alias(path)
    con.execute(f"""ATTACH IF NOT EXISTS '{quoted}' AS "{alias}" ({', '.join(options)})""")
    con.execute(f'USE "{alias}"')
    con.execute("DETACH DATABASE IF EXISTS memory")


def _key(path: Path, read_only: bool) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return f"{digest}-{'ro' if read_only else 'rw'}"


def _alias(path: Path) -> str:
    """The database's name as duckdb.connect names it (its stem; another name
    where DuckDB reserves that one)."""
    name = path.stem if path.stem.lower() not in RESERVED_NAMES else f"{path.stem}_db"
    return name.replace('"', '""')
