"""Measurement helpers shared by the benchmark passes: RSS sampling, rates, ruleset."""
from __future__ import annotations

import threading

MB = 1_000_000


class RssSampler:
    """Peak resident set size of this process, sampled with psutil in a thread."""

    def __init__(self, interval: float = 0.05):
        import psutil
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.start = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            rss = self.process.memory_info().rss
            if rss > self.peak:
                self.peak = rss

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def rates(seconds: float, docs: int, nbytes: int) -> dict:
    """Time, counts and the docs/s and MB/s they give (None for a zero time)."""
    return {
        "seconds": round(seconds, 4),
        "docs": docs,
        "bytes": nbytes,
        "docs_per_s": round(docs / seconds, 1) if seconds > 0 else None,
        "mb_per_s": round(nbytes / MB / seconds, 3) if seconds > 0 else None,
    }


def load_ruleset():
    import pipeline

    return pipeline.load_ruleset()   # the default rules dir: the same cached RuleSet the pipeline uses


def quiet_libraries() -> None:
    """trafilatura logs a WARNING per page it gives up on (the cleaner then falls back):
    thousands of stderr lines would drown the report and time the terminal."""
    import logging
    for name in ("trafilatura", "htmldate"):
        logging.getLogger(name).setLevel(logging.ERROR)


def ingest_record(html, meta: dict) -> dict:
    """An ingest record, as the crawler or `vnfacts ingest` hands it over."""
    return {**meta, "html": html}
