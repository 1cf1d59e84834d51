"""Running the crawl in a child process (`python -m pipeline.crawl.spider`).

Scrapy's reactor starts once per process, and a child that crashes or is
killed harms nothing: the state table and the WARC files say what was done.

The child must not outlive its parent: a `vnfacts crawl` killed with -9
would otherwise leave it fetching and holding the database lock, and the
next run would fail. So the child asks Linux for SIGKILL when its parent
dies (PR_SET_PDEATHSIG), checks the parent did not die before that, and a
watcher thread kills it if it is ever re-parented (other systems, or a
death signal lost). A parent that stops by an exception kills it too.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

PARENT_ENV = "VNFACTS_CRAWL_PARENT"
# The child's last line: every state write is committed; what is left (closing
# the WARC file, Scrapy's and Python's shutdown) the parent need not wait for.
STATE_WRITTEN = "-- crawl state written"
PR_SET_PDEATHSIG = 1
WATCH_EVERY = 0.5  # seconds between the watcher's looks at the parent


def crawl_command(config) -> list[str]:
    """argv that runs this crawl (a spider.CrawlConfig) in a fresh Python process."""
    argv = [sys.executable, "-m", "pipeline.crawl.spider"]
    for key, value in asdict(config).items():
        if key != "names" and value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    return argv + list(config.names)


def crawl_in_subprocess(config, echo=print, written: threading.Event | None = None) -> int:
    """Run the crawl in a child process, passing its progress lines to `echo`;
    `written` is set when the child says its state is committed (STATE_WRITTEN)."""
    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    child = subprocess.Popen(crawl_command(config), stdout=subprocess.PIPE, text=True,
                             cwd=Path.cwd(), env=env)
    try:
        for line in child.stdout:
            if line.rstrip("\n") == STATE_WRITTEN:
                if written is not None:
                    written.set()
                continue
            echo(line.rstrip("\n"))
        return child.wait()
    finally:
        if child.poll() is None:  # we are leaving early (Ctrl-C, an error in echo)
            child.kill()
            child.wait()


def die_with_parent() -> None:
    """Called first thing in the child: end this process when the parent that
    started it ends. Does nothing when started by hand (no PARENT_ENV)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not parent.isdigit():
        return
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(parent):  # it died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(int(parent),), daemon=True, name="parent-watch").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY)
    os.kill(os.getpid(), signal.SIGKILL)


def exit_now(code: int) -> None:
    """The child's end, once its files and the database are closed
    (SitesSpider.closed): the interpreter's teardown of Scrapy and Twisted
    only took CPU from the parent's last store pass, running meanwhile.
    The patterns it compiled are kept for the next crawl (its exit handler)."""
    from pipeline import regex_cache

    regex_cache.save()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
