"""How a `vnfacts` process ends (pipeline.cli.run): at once, once its work is
flushed. The interpreter's teardown frees every object one by one, and its
last collection walks them all: ~0.15 s of each `vnfacts extract` (the spaCy
vocabulary, the segmenter's dictionary, the gazetteer) and ~0.4 s of `vnfacts
run`, for memory the system takes back anyway (issue 11)."""
from __future__ import annotations

import atexit
import os
import sys
import threading


def end_now(code: int) -> None:
    """Exit with `code` after the exit handlers (temporary folders, logging)
    and a flush of the output, skipping only the teardown. A caller that is
    not the process itself (a test's CliRunner swaps sys.stdout) or has
    threads of its own still running gets SystemExit(code) instead. Every
    file and database connection is closed by the command before this."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if sys.stdout is not sys.__stdout__ or others:
        raise SystemExit(code)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's; elsewhere: the usual exit
    if run_exit_handlers is None:
        raise SystemExit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away: nothing left to say
            pass
    os._exit(code)
