"""The process's DuckDB instances: one per file and mode, kept between connections.

Creating a DuckDB instance builds its catalog of built-in functions, ~15 ms
on this machine, and every short session paid it: `vnfacts run` opens the
file some 150 times (its store passes and the crawl's state leases),
`ingest` and `extract` once per batch (issue 11). So an instance is kept for
the life of the process by a keeper connection; the file is ATTACHed while
some connection uses it, and DETACHed (checkpointed, its lock let go for
other processes) when the last one closes, as closing the instance did.
Attaching and detaching take ~1.7 ms.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb

RESERVED_NAMES = {"memory", "system", "temp", "main"}
_LOCK = threading.Lock()
_INSTANCES: dict[str, "Instance"] = {}


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

    def __init__(self, name: str, path: Path, read_only: bool, config: dict):
        self.path, self.read_only, self.users = path, read_only, 0
        self.alias = _alias(path)
        self.keeper = duckdb.connect(name, config=config)

    def connect(self, fresh: bool, options: list[str]) -> Connection:
        """A new connection; the file attached first if no connection has it."""
        raw = self.keeper.cursor()
        try:
            if self.users == 0:
                self._attach(raw, fresh, options)
        except BaseException:
            raw.close()
            raise
        self.users += 1
        return Connection(raw, self)

    def _attach(self, raw, fresh: bool, options: list[str]) -> None:
        """The file as the only database, so that every cursor's default is the file."""
        options = [*options, *(["READ_ONLY"] if self.read_only else [])]
        quoted = str(self.path).replace("'", "''")
        raw.execute(f"""ATTACH IF NOT EXISTS '{quoted}' AS "{self.alias}" ({', '.join(options)})""")
        raw.execute(f'USE "{self.alias}"')
        raw.execute("DETACH DATABASE IF EXISTS memory")

    def release(self) -> None:
        with _LOCK:
            self.users -= 1
            if self.users == 0:
                self._detach()

    def _detach(self) -> None:
        """Let go of the file (DETACH checkpoints it). Should DuckDB refuse, the
        instance is closed instead, which lets go of it as before."""
        try:
            cursor = self.keeper.cursor()
            cursor.execute("ATTACH IF NOT EXISTS ':memory:' AS memory")
            cursor.execute("USE memory")
            cursor.execute(f'DETACH DATABASE IF EXISTS "{self.alias}"')
            cursor.close()
        except duckdb.Error:
            self.discard()

    def discard(self) -> None:
        _INSTANCES.pop(_key(self.path, self.read_only), None)
        self.keeper.close()


def open_file(path: Path, read_only: bool, fresh: bool, config: dict, options: list[str]) -> Connection:
    """A connection to the file through the process's kept instance for it."""
    with _LOCK:
        key = _key(path, read_only)
        instance = _INSTANCES.get(key)
        if instance is None:
            instance = _INSTANCES[key] = Instance(f":memory:vnfacts-{key}", path, read_only, config)
        return instance.connect(fresh, options)


def _key(path: Path, read_only: bool) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return f"{digest}-{'ro' if read_only else 'rw'}"


def _alias(path: Path) -> str:
    """The database's name as duckdb.connect names it (its stem; another name
    where DuckDB reserves that one)."""
    name = path.stem if path.stem.lower() not in RESERVED_NAMES else f"{path.stem}_db"
    return name.replace('"', '""')
