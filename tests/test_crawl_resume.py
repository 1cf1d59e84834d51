"""Resumability (SIGKILL halfway, then run again) and the demo sites."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import duckdb
from crawlkit import article, config, crawl, rss, write_site
from warcio.archiveiterator import ArchiveIterator

from pipeline.core import extract_pending
from pipeline.crawl.archive import WarcArchive
from pipeline.crawl.demo import SAMPLE_DIR, run_demo_via_sites, sample_pages
from pipeline.crawl.localsites import LocalSite, Route
from pipeline.crawl.process import crawl_command
from pipeline.ingest import ingest_paths
from pipeline.store import connect, crawlstate

COUNT = 12


def archived_urls(corpus: Path) -> Counter:
    seen = Counter()
    for path in (corpus / "warc").glob("*.warc.gz"):
        with open(path, "rb") as handle:
            try:
                for record in ArchiveIterator(handle):
                    if record.rec_type == "response":
                        seen[record.rec_headers.get_header("WARC-Target-URI")] += 1
            except Exception:
                pass  # the killed process's last record may be cut short
    return seen


def news_site() -> tuple[LocalSite, list[str]]:
    site = LocalSite().start()
    paths = [f"/tin/bai-{i:02d}.html" for i in range(COUNT)]
    site.routes["/rss.xml"] = rss(site, paths)
    site.routes.update({p: Route(article(f"Bài {i}", f"Huyện {i} đã sắp xếp {40 + i} xã còn {20 + i} xã."))
                        for i, p in enumerate(paths)})
    return site, paths


def wait_for_articles(site: LocalSite, count: int, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while len([p for p in site.paths() if p.startswith("/tin/")]) < count:
        assert time.monotonic() < deadline, "crawl did not get going"
        time.sleep(0.02)


def test_sigkill_halfway_then_rerun_stores_each_article_once(tmp_path):
    site, paths = news_site()
    try:
        write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.25)
        child = subprocess.Popen(crawl_command(config(tmp_path, run_id="killed")),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_articles(site, COUNT // 2)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        summary = crawl(tmp_path, extract=True)
        crawl(tmp_path, extract=True)  # a third run changes nothing
    finally:
        site.stop()
    archived = archived_urls(tmp_path / "corpus")
    assert all(archived[site.url(p)] == 1 for p in paths)
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT url) FROM documents").fetchall() == [(COUNT, COUNT)]
    dupes = con.execute('SELECT doc, indicator, start, "end" FROM facts GROUP BY ALL HAVING count(*) > 1').fetchall()
    assert dupes == []
    assert con.execute("SELECT count(DISTINCT doc) FROM facts").fetchall()[0][0] == COUNT
    assert summary.sites["s"]["new_documents"] == COUNT
    statuses = dict(con.execute("SELECT run_id, status FROM runs WHERE run_id = 'killed' OR status <> 'done'").fetchall())
    assert statuses == {"killed": "interrupted"}


def test_record_archived_but_not_marked_is_recovered_not_refetched(tmp_path):
    site, paths = news_site()
    try:
        write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.05)
        con = connect(tmp_path / "db.duckdb")
        crawlstate.ensure_schema(con)
        crawlstate.add_discovered(con, "s", [(site.url(paths[0]), None)], "old")
        archive = WarcArchive(tmp_path / "corpus", "old")
        crawlstate.add_warc_file(con, str(archive.path), "old")
        body = article("Bài 0").encode()
        archive.write_response(site.url(paths[0]), 200, "OK", [("Content-Type", "text/html")], body)
        archive.close()
        con.close()  # killed before marking it fetched
        crawl(tmp_path)
    finally:
        site.stop()
    assert paths[0] not in site.paths()
    assert archived_urls(tmp_path / "corpus")[site.url(paths[0])] == 1


def test_an_archived_error_page_or_pdf_is_not_recovered_as_fetched(tmp_path):
    """A kill can leave a 404 or a PDF archived before its failure was
    recorded: recovery judges them as the live crawl does, so they are
    fetched again, never stored as the article."""
    site, paths = news_site()
    try:
        write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.05)
        con = connect(tmp_path / "db.duckdb")
        crawlstate.ensure_schema(con)
        crawlstate.add_discovered(con, "s", [(site.url(p), None) for p in paths[:3]], "old")
        archive = WarcArchive(tmp_path / "corpus", "old")
        crawlstate.add_warc_file(con, str(archive.path), "old")
        html = [("Content-Type", "text/html")]
        archive.write_response(site.url(paths[0]), 200, "OK", html, article("Bài 0").encode())
        archive.write_response(site.url(paths[1]), 404, "Not Found", html, b"<html><p>Not found</p></html>")
        archive.write_response(site.url(paths[2]), 200, "OK", [("Content-Type", "application/pdf")], b"%PDF-1.4")
        archive.close()
        con.close()  # killed before marking any of them
        crawl(tmp_path)
    finally:
        site.stop()
    fetched_again = set(site.paths())
    assert paths[0] not in fetched_again and {paths[1], paths[2]} <= fetched_again
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    statuses = dict(con.execute("SELECT url, http_status FROM crawl_urls WHERE kind = 'article'").fetchall())
    con.close()
    assert statuses[site.url(paths[1])] == 200 and statuses[site.url(paths[2])] == 200


def facts_of(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute('SELECT doc, indicator, value, total, percent, locality, province, as_of, '
                       'start, "end", rule_id FROM facts ORDER BY ALL').fetchall()
    con.close()
    return rows


def test_demo_sites_give_the_same_facts_as_ingesting_the_samples(tmp_path):
    sample_dir = SAMPLE_DIR
    if not list(SAMPLE_DIR.glob("*.html")):
        sample_dir = tmp_path / "sample"
        sample_dir.mkdir()
        for stem, body in sample_pages(sample_dir).items():
            (sample_dir / f"{stem}.html").write_bytes(body)
    direct = connect(tmp_path / "direct.duckdb")
    ingest_paths(direct, [sample_dir])
    extract_pending(direct)
    direct.close()
    summary = run_demo_via_sites(tmp_path / "crawled.duckdb", tmp_path / "corpus", sample_dir,
                                 echo=lambda *a: None)
    assert summary.total("new_documents") == len(list(sample_dir.glob("*.html")))
    assert facts_of(tmp_path / "crawled.duckdb") == facts_of(tmp_path / "direct.duckdb")
    assert facts_of(tmp_path / "direct.duckdb")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped yet."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killing_the_crawl_command_kills_its_child_and_a_rerun_works(tmp_path):
    import sys
    site, paths = news_site()
    try:
        write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.25)
        cli = [str(Path(sys.executable).with_name("vnfacts")), "crawl", "--db", str(tmp_path / "db.duckdb"),
               "--sites", str(tmp_path / "sites"), "--corpus", str(tmp_path / "corpus"), "--timeout", "2"]
        parent = subprocess.Popen(cli, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_articles(site, 3)
        spiders = children_of(parent.pid)
        assert spiders, "the crawl child was not found"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 2.0
        while any(alive(pid) for pid in spiders) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(alive(pid) for pid in spiders)
        requests = len(site.log)
        time.sleep(1.0)
        assert len(site.log) == requests  # nothing fetches any more
        summary = crawl(tmp_path, extract=True)  # at once: the lock is free
    finally:
        site.stop()
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT url) FROM documents").fetchall() == [(COUNT, COUNT)]
    assert summary.exit_code == 0 and summary.total("facts") > 0
