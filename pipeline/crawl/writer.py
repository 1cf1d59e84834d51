"""The crawl's hold on the database: short, so others can read during a crawl.

DuckDB lets one process have a file open for writing, and no other process
can even read it meanwhile. A crawl that kept its connection for the whole
run locked out every `vnfacts query` for hours (issue 9). So the crawl
process holds the file only in short leases:

- `StateLease` opens a connection when a read or a batch of writes needs
  it and closes it once unused for IDLE seconds, or held HOLD seconds in a
  row; after closing it stays closed GAP seconds, in which another process
  (whose `connect` retries with backoff for VNFACTS_LOCK_WAIT seconds) gets
  the file. Reads return their rows materialised, so nothing refers to a
  closed connection. While another process holds the file (`vnfacts run`'s
  store passes), the lease tries again every POLL seconds, so it gets the
  short gaps between that process's sessions.
- `StateWriter` takes the spider's writes off the reactor thread and runs
  them in batches, one transaction each, at most every FLUSH_EVERY seconds
  or BATCH writes; runs of mark_fetched / mark_failed become one set-based
  statement (crawlstate.*_many), not one upsert per URL (issue 11).

A read may not see a write still queued: the worst outcomes are a request
the duplicate filter drops, or a conditional request sent without its
validators. A kill loses the queue (at most FLUSH_EVERY seconds of writes),
which the design already allows: the WARC file says which articles were
fetched (`recover_archives`), and a lost failure is simply tried again.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

from pipeline.store import StoreError, connect
from pipeline.store import crawlstate as state
from pipeline.store.db import LOCK_WAIT

log = logging.getLogger(__name__)

IDLE, HOLD, GAP = 0.05, 0.5, 0.25  # seconds (see above)
POLL = 0.02  # seconds between tries to open a file another process holds (StateLease._connect)
FLUSH_EVERY, BATCH = 0.5, 500
# Same-kind writes that one set-based statement does for many URLs.
MANY = {state.mark_fetched: state.mark_fetched_many, state.mark_failed: state.mark_failed_many}


class Rows:
    """A read's result, fetched before the connection may close."""

    def __init__(self, rows: list):
        self._rows = rows

    def fetchall(self) -> list:
        return self._rows

    def fetchone(self):
        return self._rows[0] if self._rows else None


class StateLease:
    """Stands in for the crawl's DuckDB connection (`execute`, `close`), open only in short leases."""

    def __init__(self, path: str | Path, idle: float = IDLE, hold: float = HOLD, gap: float = GAP):
        self.path, self.idle, self.longest, self.gap = Path(path), idle, hold, gap
        self._lock = threading.RLock()
        self._con, self._in_transaction = None, False
        self._opened = self._used = self._closed = float("-inf")
        self._stop = threading.Event()
        with self.hold():
            pass  # created and upgraded now: a bad path or a held lock fails here, early
        threading.Thread(target=self._watch, daemon=True, name="crawl-db-lease").start()

    @contextmanager
    def hold(self):
        """The open connection, for one read or one batch (the lease lasts while it is used)."""
        with self._lock:
            if self._con is None:
                time.sleep(max(0.0, self._closed + self.gap - time.monotonic()))
                self._con = self._connect()
                self._opened = time.monotonic()
            try:
                yield self._con
            finally:
                self._used = time.monotonic()

    def _connect(self):
        """connect(), trying every POLL seconds while another process holds the
        file, for LOCK_WAIT seconds. The store's own retries back off to 1 s
        between tries, and the gaps `vnfacts run` leaves between its sessions
        (while it cleans or extracts) last tens of milliseconds: a backoff
        mostly misses them, and the crawl's state (and its end) waited."""
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                return connect(self.path, wait=0)
            except StoreError as error:
                if "in use by" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreError(f"{error} (the crawl tried for {LOCK_WAIT:g} s)") from None
            time.sleep(POLL)

    def execute(self, sql: str, params=None) -> Rows:
        word = sql.lstrip()[:8].upper()
        with self.hold() as con:
            rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
            # never closed inside a transaction the caller opened (schema.migrate)
            self._in_transaction = word.startswith("BEGIN") or (self._in_transaction and
                                                               not word.startswith(("COMMIT", "ROLLBACK")))
            return Rows(rows)

    def executemany(self, sql: str, params) -> Rows:
        with self.hold() as con:
            con.executemany(sql, params)
            return Rows([])

    def _watch(self) -> None:
        while not self._stop.wait(self.idle / 2):
            if self._lock.acquire(blocking=False):
                try:
                    now = time.monotonic()
                    if now - self._used >= self.idle or now - self._opened >= self.longest:
                        self._release()
                finally:
                    self._lock.release()

    def _release(self) -> None:
        if self._con is not None and not self._in_transaction:
            self._con.close()
            self._con, self._closed = None, time.monotonic()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._in_transaction = False
            self._release()


class StateWriter:
    """The spider's state writes, in order, in batches, off the reactor thread."""

    def __init__(self, lease: StateLease, every: float = FLUSH_EVERY, most: int = BATCH):
        self._lease, self._every, self._most = lease, every, most
        self._queue: list = []
        self._ready = threading.Condition()
        self._closing = False
        self.failures: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, daemon=True, name="crawl-state")
        self._thread.start()

    def submit(self, func, *args, **kwargs) -> Future:
        """Run func(connection, *args, **kwargs) on the worker, after the writes before it."""
        future = Future()
        with self._ready:
            self._queue.append((func, args, kwargs, future))
            if len(self._queue) >= self._most:
                self._ready.notify()
        return future

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch:
                self._write(batch)
            elif self._closing:
                return

    def _take(self) -> list:
        """The queued writes, once FLUSH_EVERY has passed, BATCH are queued, or at close."""
        with self._ready:
            self._ready.wait_for(lambda: self._closing or len(self._queue) >= self._most, timeout=self._every)
            batch, self._queue = self._queue[:self._most], self._queue[self._most:]
            return batch

    def _write(self, batch: list) -> None:
        """One transaction for the batch; if a write fails in it, each write alone,
        so one bad row costs only itself. A database another process holds
        longer than the lock wait keeps the batch for the next try."""
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._lease.hold() as con:
                    _in_transaction(con, batch)
                break
            except StoreError as error:  # locked by another process: wait, the writes are kept
                log.warning("crawl state: %s (try %d)", error, attempt)
                if self._closing and attempt >= 3:
                    return self._failed(batch, error)
            except Exception:
                return self._one_by_one(batch)
        for *_, future in batch:
            future.set_result(None)

    def _one_by_one(self, batch: list) -> None:
        for func, args, kwargs, future in batch:
            try:
                with self._lease.hold() as con:
                    func(con, *args, **kwargs)
                future.set_result(None)
            except Exception as error:
                self._failed([(func, args, kwargs, future)], error)

    def _failed(self, batch: list, error: BaseException) -> None:
        self.failures.append(error)
        log.error("crawl state write failed: %s", error)
        for *_, future in batch:
            future.set_exception(error)

    def close(self) -> None:
        """Write everything queued, then stop the worker. The lease's GAP is
        dropped: the crawl lets go of the file for good after these writes, and
        `vnfacts run`'s last store pass waits for them."""
        self._lease.gap = 0.0
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._thread.join()


def _in_transaction(con, batch: list) -> None:
    con.execute("BEGIN")
    try:
        for func, calls in _grouped(batch):
            func(con, calls) if func in MANY.values() else func(con, *calls[0][0], **calls[0][1])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _grouped(batch: list):
    """(function, [(args, kwargs)]): consecutive mark_fetched (or mark_failed)
    writes as one *_many call, split where a URL comes again (one statement
    may not update a row twice); every other write alone, in order."""
    group, urls, kind = [], set(), None
    for func, args, kwargs, _ in batch:
        many = MANY.get(func)
        if group and (many is not kind or args[0] in urls):
            yield kind, group
            group, urls = [], set()
        if many is None:
            yield func, [(args, kwargs)]
            kind = None
            continue
        kind = many
        group.append((args, kwargs))
        urls.add(args[0])
    if group:
        yield kind, group
