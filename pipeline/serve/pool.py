"""One database connection shared by the server's requests while they come
in quick succession, closed when they stop.

Opening a DuckDB file costs 50-150 ms (more as it grows); a cursor of an open
connection costs microseconds. A reviewer's decision is a POST and the next
page's GET, and a quick reviewer decides every second or two, so those share
one connection. DuckDB lets one process write at a time: after `idle` seconds
without a request the connection is closed, and `vnfacts query`, `extract`
or a nightly `run` (whose connect waits for the lock) get the file."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from pipeline.store import reviews


class Pool:
    def __init__(self, path: str, wait: float = 5.0, idle: float = 2.0):
        self.path, self.wait, self.idle = path, wait, idle
        self._lock = threading.Lock()
        self._con = None
        self._users = 0
        self._timer: threading.Timer | None = None

    @contextmanager
    def cursor(self):
        """A cursor of the shared connection (opened, waiting for the lock, if closed)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._con is None:
                self._con = reviews.open_db(self.path, wait=self.wait)
            self._users += 1
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users or self._con is None:
                return
            if self.idle <= 0:
                self._close()
            else:
                self._timer = threading.Timer(self.idle, self._close_if_idle)
                self._timer.daemon = True
                self._timer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            if not self._users:
                self._close()

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def is_open(self) -> bool:
        with self._lock:
            return self._con is not None

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._close()
