"""The parsing libraries' caches, kept to what a few hundred pages fill.

htmldate memoizes its date parsing in LRU caches of 8,192 entries each and
trafilatura its line trimming (trim, line_processing: 1,024 each); a long
ingest fills them page by page (at 1,000 bench pages trafilatura's were a
quarter full, full by 5,000; htmldate's took 2.4 MB at 10,000 and were
still growing: issue 11, "peak memory flat"). Every PAGES pages they are
emptied; the functions are pure, so no result changes. Not with
trafilatura.meta.reset_caches, which clears the same and more but runs a
full gc.collect (10-30 ms here, more in a process that holds spaCy); these
clears take ~1 ms. Nor with htmldate.meta.reset_caches: it also clears
charset_normalizer's caches, whose compiled releases (3.5.3) have no
cache_clear, so it logged an error every PAGES pages.
"""
from __future__ import annotations

import itertools

import htmldate.extractors
import htmldate.validators
import trafilatura.utils

PAGES = 500
_cleaned = itertools.count(1)


def page_cleaned() -> None:
    """Count one page; every PAGES pages, empty the caches."""
    if next(_cleaned) % PAGES == 0:
        reset()


def reset() -> None:
    htmldate.validators.reset_validator_caches()
    htmldate.extractors.try_date_expr.cache_clear()
    trafilatura.utils.trim.cache_clear()
    trafilatura.utils.line_processing.cache_clear()
