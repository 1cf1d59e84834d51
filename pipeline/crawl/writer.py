"""Crawl-state writes off the reactor thread.

A DuckDB upsert into `crawl_urls` costs 15-80 ms (measured on the 2-core
build machine under load); made on Scrapy's reactor thread for every
response, it held up every other site's downloads and callbacks. The
spider hands its writes to one worker thread with its own connection
(a DuckDB cursor), which runs them in order; reads stay on the reactor.

A read may not see a write still queued: the worst outcomes are a request
the duplicate filter drops, or a conditional request sent without its
validators. A kill loses the queue, which the design already allows: the
WARC file says which articles were fetched (`recover_archives`), and a lost
failure is simply tried again.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class StateWriter:
    def __init__(self, con):
        self._con = con.cursor()  # a connection of its own to the same database
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawl-state")
        self.failures: list[BaseException] = []

    def submit(self, func, *args, **kwargs) -> Future:
        """Run func(connection, *args, **kwargs) on the worker, after the writes before it."""
        future = self._pool.submit(func, self._con, *args, **kwargs)
        future.add_done_callback(self._check)
        return future

    def _check(self, future: Future) -> None:
        error = future.exception()
        if error is not None:
            self.failures.append(error)
            log.error("crawl state write failed: %s", error)

    def close(self) -> None:
        """Wait for every queued write, then close the worker's connection."""
        self._pool.shutdown(wait=True)
        self._con.close()
