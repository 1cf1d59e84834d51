"""htmldate's caches, kept to what a few hundred pages fill.

htmldate memoizes its date parsing in LRU caches of 8,192 entries each,
which a long ingest fills page by page (2.4 MB at 10,000 pages and still
growing: issue 11, "peak memory flat"). Every PAGES pages they are emptied
with htmldate's own reset_caches (~1 ms; its functions are pure, so no
result changes). trafilatura's are left alone: theirs hold 1,024 lines,
full within the first pages, and trafilatura.meta.reset_caches runs a full
gc.collect (10-30 ms here, more in a process that holds spaCy).
"""
from __future__ import annotations

import itertools

import htmldate.meta

PAGES = 500
_cleaned = itertools.count(1)


def page_cleaned() -> None:
    """Count one page; every PAGES pages, empty htmldate's caches."""
    if next(_cleaned) % PAGES == 0:
        htmldate.meta.reset_caches()
