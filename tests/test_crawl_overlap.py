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
