"""Regexes compiled once and kept between runs.

Python's `re` compiles a pattern in Python code (parse, then code
generation): the ~160 regexes a bench run of `vnfacts extract` uses took
~0.4 s of it (issue 11); the pre-filter and the rules compile theirs here.
A `vnfacts` process (pipeline.cli.run, the crawl child) also `install`s it
for every pattern it compiles, its libraries' too: htmldate, urllib3,
courlan, spaCy and PyYAML compile ~300 at import, ~70 ms of each `ingest`
and `extract` start. What `re` hands its C engine (`_sre.compile`: the
pattern, flags, code words, groups) is plain data; it is recorded here the
first time a pattern is compiled and written to CACHE_DIR at exit, and a
later process builds the same pattern object from it directly. The file is
per Python build and engine version (a different one never reads it), read
with `marshal` (data only), and any fault in it means compiling as usual.
"""
from __future__ import annotations

import atexit
import re
import sys
import threading
import time
from re import _compiler

import _sre

from pipeline import datacache

BUILD = f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}|{_sre.MAXREPEAT}"
# Past LIMIT entries (edited rules leave old ones; a library may build a
# pattern from a set, in another order under each hash seed) the file keeps
# only what the process writing it used.
LIMIT = 5_000
# Seconds of compiling the new patterns must have cost for the file to be
# written again at exit: not for a set-ordered pattern or two (~0.3 ms).
SAVE_AFTER = 0.005
STATS = {"cached": 0, "compiled": 0}
_LOCK = threading.RLock()
_known: dict | None = None
_added: dict = {}
_used: set = set()
_cost = [0.0]  # seconds spent compiling what _added holds
_real_compile = _compiler.compile  # re's own, which the cached path calls on a miss


KEY = datacache.key_of(BUILD)


def cache_file():
    return datacache.cache_path("regexes", KEY)


def compile(source: str, flags: int = 0) -> re.Pattern:
    """re.compile(source, flags), from the cache when it has the pattern."""
    key = (source, int(flags))
    known = _load()
    if key in known:
        try:
            pattern = _sre.compile(*known[key])
            STATS["cached"] += 1
            _used.add(key)
            return pattern
        except Exception:  # noqa: BLE001 - a damaged entry: compile as usual
            known.pop(key, None)  # (another thread may have met it too)
    started = time.perf_counter()
    pattern, parts = compiled_parts(source, flags)
    STATS["compiled"] += 1
    if parts is not None:
        known[key] = _added[key] = parts
        _cost[0] += time.perf_counter() - started
    return pattern


def install() -> None:
    """Every pattern this process compiles (re.compile, re.search, ... on a
    miss of re's own cache) goes through the cache, from now on."""
    _compiler.compile = _through_cache


def uninstall() -> None:
    _compiler.compile = _real_compile


def _through_cache(pattern, flags=0):
    """re._compiler.compile for a str or bytes pattern: the cached path
    (re.DEBUG prints the parse, which only a real compile does). Not for
    their subclasses (lxml's XPath re:test hands over its own string type),
    which marshal cannot write."""
    if type(pattern) in (str, bytes) and not flags & re.DEBUG:
        return compile(pattern, flags)
    return _real_compile(pattern, flags)


class _Recorder:
    """Stands for the _sre module in re._compiler while one pattern compiles."""

    def __init__(self, real):
        self.real, self.parts = real, None

    def compile(self, *parts):
        self.parts = parts
        return self.real.compile(*parts)

    def __getattr__(self, name):
        return getattr(self.real, name)


def compiled_parts(source: str, flags: int) -> tuple[re.Pattern, tuple | None]:
    """The pattern as re compiles it, and what re passed _sre.compile for it."""
    with _LOCK:
        recorder = _Recorder(_compiler._sre)
        _compiler._sre = recorder
        try:
            pattern = _real_compile(source, flags)
        finally:
            _compiler._sre = recorder.real
    parts = recorder.parts
    if parts is None or parts[0] != source or type(parts[0]) not in (str, bytes):
        return pattern, None
    # the code words are ints (some re's named constants): plain ints for marshal
    return pattern, (parts[0], int(parts[1]), [int(word) for word in parts[2]], parts[3], dict(parts[4]),
                     tuple(parts[5]))


def _load() -> dict:
    global _known
    if _known is None:
        with _LOCK:  # installed, the cache serves every thread's patterns: read once
            if _known is None:
                data = datacache.read("regexes", KEY)
                entries = data.get("entries") if isinstance(data, dict) and data.get("build") == BUILD else None
                _known = entries if isinstance(entries, dict) else {}  # missing, damaged, another build: empty
                atexit.register(save)
    return _known


def save() -> None:
    """Write the cache if this process compiled something new worth keeping
    (datacache: atomically; an unwritable folder means compiling again next run)."""
    if not _added or _known is None or _cost[0] < SAVE_AFTER:
        return
    if len(_known) <= LIMIT:
        entries = _known
    else:
        entries = {key: _known[key] for key in (*_used, *_added) if key in _known}
    if datacache.write("regexes", KEY, {"build": BUILD, "entries": entries}):
        _added.clear()
        _cost[0] = 0.0
