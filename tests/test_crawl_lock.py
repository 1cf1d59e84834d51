"""Issue 9: a query during a running crawl succeeds.

A real `vnfacts crawl` against a slow local site (a politeness delay per
page), and real `vnfacts query` processes started while it runs. Each query
may wait only QUERY_WAIT seconds for the lock, well below the crawl's
length: it succeeds only if the crawl holds the database in short leases
(pipeline/crawl/writer.py), and the counts it sees grow during the crawl,
so the crawl's state is committed in batches as it goes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from crawlkit import feed_site, servers  # noqa: F401 (servers is a fixture)
from tests.conftest import REPO

PAGES, DELAY = 14, 0.6  # about 9 s of crawling
QUERY_WAIT = "3"        # seconds a query waits for the lock (VNFACTS_LOCK_WAIT)


def vnfacts(*args, env=None, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            **kwargs)


def query(db, sql) -> tuple[int, str, str]:
    process = vnfacts("query", sql, "--json", "--db", db, env={"VNFACTS_LOCK_WAIT": QUERY_WAIT})
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_queries_succeed_while_a_crawl_runs(tmp_path, servers):
    site = feed_site(servers, tmp_path / "sites", "cham", PAGES, DELAY)
    db = tmp_path / "db.duckdb"
    crawl = vnfacts("crawl", "--db", db, "--sites", tmp_path / "sites", "--corpus", tmp_path / "corpus",
                    "--timeout", "5")
    seen, failures = [], []
    try:
        while not db.exists() and crawl.poll() is None:
            time.sleep(0.05)
        while crawl.poll() is None:
            code, out, err = query(db, "SELECT (SELECT count(*) FROM crawl_urls WHERE kind = 'article' "
                                       "AND status = 'fetched') AS fetched, (SELECT count(*) FROM documents) AS docs")
            running = crawl.poll() is None
            if code != 0:
                failures.append(err.strip().splitlines()[-1:])
            elif running:
                seen.append(json.loads(out)[0])
        out, err = crawl.communicate(timeout=120)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    assert crawl.returncode == 0, err
    assert failures == []
    assert len(seen) >= 3, seen  # the queries ran while the crawl did
    fetched = [row["fetched"] for row in seen]
    assert fetched == sorted(fetched) and any(0 < n < PAGES for n in fetched), fetched
    code, out, _ = query(db, "select count(*) AS n from documents")
    assert code == 0 and json.loads(out)[0]["n"] == PAGES


# --- the lease and the batched writer, on a real DuckDB file -------------------

def _writes(run="r1"):
    """A crawl's writes in order: a URL fetched twice, a failure after a fetch, others between."""
    from pipeline.store import crawlstate as state

    urls = [f"http://a.vn/tin/{i}.html" for i in range(6)]
    return [
        (state.add_discovered, ("a", [(u, None) for u in urls], run), {}),
        (state.mark_fetched, (urls[0], "a", "article", run), dict(http_status=200, warc="w#1")),
        (state.mark_fetched, (urls[1], "a", "article", run), dict(http_status=200, warc="w#2", etag='"e"')),
        (state.mark_fetched, (urls[0], "a", "article", run), dict(http_status=304, warc=None)),
        (state.mark_failed, (urls[2], "a", "article", run), dict(reason="timeout")),
        (state.mark_failed, (urls[3], "a", "article", run), dict(reason="http_404", status="gone", http_status=404)),
        (state.mark_alias, (urls[4], "a", urls[1], run), {}),
        (state.mark_failed, (urls[1], "a", "article", run), dict(reason="http_500", http_status=500, warc="w#3")),
        (state.mark_fetched, (urls[5], "a", "article", run), dict(http_status=200, warc="w#4")),
    ]


def _state_rows(path):
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT * EXCLUDE (fetched_at, discovered_at) FROM crawl_urls ORDER BY url").fetchall()


def test_batched_writes_leave_the_state_one_by_one_writes_do(tmp_path):
    from pipeline.crawl.writer import StateLease, StateWriter
    from pipeline.store import connect

    with connect(tmp_path / "one.duckdb") as con:
        for func, args, kwargs in _writes() + _writes("r2"):
            func(con, *args, **kwargs)
    lease = StateLease(tmp_path / "batched.duckdb")
    writer = StateWriter(lease, every=60)  # everything in one batch, written at close
    futures = [writer.submit(func, *args, **kwargs) for func, args, kwargs in _writes() + _writes("r2")]
    writer.close()
    lease.close()
    assert writer.failures == [] and all(f.done() and f.exception() is None for f in futures)
    assert _state_rows(tmp_path / "batched.duckdb") == _state_rows(tmp_path / "one.duckdb")


def test_a_failing_write_costs_only_itself(tmp_path):
    from pipeline.crawl.writer import StateLease, StateWriter
    from pipeline.store import crawlstate as state

    def broken(con):
        con.execute("INSERT INTO no_such_table VALUES (1)")

    lease = StateLease(tmp_path / "db.duckdb")
    writer = StateWriter(lease, every=60)
    writer.submit(state.mark_fetched, "http://a.vn/1", "a", "article", "r", http_status=200, warc="w#1")
    bad = writer.submit(broken)
    writer.submit(state.mark_fetched, "http://a.vn/2", "a", "article", "r", http_status=200, warc="w#2")
    writer.close()
    lease.close()
    assert len(writer.failures) == 1 and bad.exception() is not None
    assert [row[0] for row in _state_rows(tmp_path / "db.duckdb")] == ["http://a.vn/1", "http://a.vn/2"]


def test_the_lease_lets_go_of_the_file_between_uses(tmp_path):
    from pipeline.crawl.writer import StateLease

    path = tmp_path / "db.duckdb"
    lease = StateLease(path)
    probe = ("import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)"
             ".execute('select count(*) from crawl_urls').fetchall(); print('read')")
    try:
        for _ in range(3):
            assert lease.execute("SELECT count(*) FROM crawl_urls").fetchall() == [(0,)]
            time.sleep(0.3)  # idle: the lease has closed the file
            other = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True)
            assert other.stdout.strip() == "read", other.stderr
    finally:
        lease.close()


HOLDER = """import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
print(time.monotonic(), flush=True)  # just before letting go: nobody can have the file before this
con.close()
"""


def test_the_lease_waits_while_another_process_holds_the_file_then_gets_it(tmp_path):
    """The lease tries again and again (writer.POLL) while vnfacts run's store
    pass holds the file, and has it as soon as that lets go, without an error."""
    from pipeline.crawl.writer import StateLease

    path = tmp_path / "db.duckdb"
    lease = StateLease(path)
    lease.close()  # created, then let go
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), "1.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lease = StateLease(path)  # opens at once: waits for the holder
        opened = time.monotonic()
        letting_go = float(holder.stdout.readline())
        assert lease.execute("SELECT count(*) FROM crawl_urls").fetchall() == [(0,)]
        assert opened >= letting_go  # it waited, and did not fail meanwhile
        lease.close()
    finally:
        holder.kill()
        holder.wait()


def test_a_file_that_is_no_database_fails_the_lease_at_once(tmp_path):
    """Only a lock held by another process is waited for; any other reason a
    file cannot be opened is an error naming it, not LOCK_WAIT of retries."""
    import pytest

    from pipeline.crawl.writer import StateLease
    from pipeline.store import StoreError

    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n" * 100)
    with pytest.raises(StoreError, match="notes.duckdb") as raised:
        StateLease(path)
    assert "tried for" not in str(raised.value)
