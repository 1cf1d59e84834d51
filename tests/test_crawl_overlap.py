"""Issue 11: `vnfacts run` stores what the crawl fetched while the crawl goes
on (nightly._while_crawling), instead of after it. Judged by a real server's
log and real `vnfacts query` processes: documents are in the database
before the server has seen the crawl's last request."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from crawlkit import crawl, feed_site, servers  # noqa: F401 (servers is a fixture)

from tests.conftest import REPO

PAGES, DELAY = 30, 0.5   # about 15 s of polite crawling: several nightly.PASS_EVERY


def stored_now(db) -> int | None:
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "query", "select count(*) AS n from documents",
                             "--json", "--db", str(db)], cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VNFACTS_LOCK_WAIT": "3"})
    return json.loads(result.stdout)[0]["n"] if result.returncode == 0 else None


def test_documents_are_stored_while_the_crawl_still_runs(tmp_path, servers):
    site = feed_site(servers, tmp_path / "sites", "s", PAGES, DELAY)
    db, done = tmp_path / "db.duckdb", {}
    run = threading.Thread(target=lambda: done.setdefault("summary", crawl(tmp_path)))
    run.start()
    polls = []   # (documents stored, monotonic time the answer came)
    while run.is_alive():
        count = stored_now(db) if db.exists() else None
        polls.append((count, time.monotonic()))
        time.sleep(0.3)
    run.join()
    last_article = max(s.at for s in site.log if s.path.startswith("/tin/"))
    early = [n for n, at in polls if n and at < last_article]
    assert early and min(early) < PAGES, polls       # some, not all, stored before the crawl ended
    assert done["summary"].sites["s"]["new_documents"] == PAGES and stored_now(db) == PAGES


def test_the_child_says_its_state_is_written_before_it_exits(tmp_path, servers):
    """process.STATE_WRITTEN: the run's last store pass starts when the child
    prints it, not when it exits. Every fetched page is committed by then, and
    the line is not echoed as progress."""
    from crawlkit import config
    from pipeline.crawl.process import STATE_WRITTEN, crawl_in_subprocess
    from pipeline.store import connect, crawlstate as state

    feed_site(servers, tmp_path / "sites", "s", 5, 0.05)
    settings = config(tmp_path, run_id="r1")
    with connect(settings.db) as con:
        state.ensure_schema(con)
    lines, written, seen = [], threading.Event(), {}

    def watch():
        written.wait(120)
        with connect(settings.db, wait=30) as con:  # the child may still hold its lease
            seen["fetched"] = con.execute("SELECT count(*) FROM crawl_urls WHERE kind = 'article' "
                                          "AND status = 'fetched' AND warc IS NOT NULL").fetchall()[0][0]
    watcher = threading.Thread(target=watch)
    watcher.start()
    code = crawl_in_subprocess(settings, echo=lines.append, written=written)
    watcher.join()
    assert code == 0 and written.is_set() and STATE_WRITTEN not in lines
    assert any("fetched 5" in line for line in lines), lines
    assert seen["fetched"] == 5
