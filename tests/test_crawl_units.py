"""Pure parts of the crawler: URLs, feeds, sitemaps, encodings, WARC records."""
from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from pipeline.crawl.archive import WarcArchive, iter_pointers, read_record
from pipeline.crawl.discover import (
    XmlRejected,
    canonical_url,
    doc_id,
    parse_date,
    parse_feed,
    parse_sitemap,
)
from pipeline.crawl.fetch import retry_after_seconds
from pipeline.lang.decode import decode_html, encode_cp1258

VI = "Sáp nhập 71 xã của tỉnh Đắk Nông; Thừa Thiên Huế giảm 25 đầu mối, thủy lợi hóa."


def test_canonical_url_drops_fragments_tracking_and_default_port():
    assert canonical_url("HTTP://Bao.VN:80/a//b.html?utm_source=fb&id=2&fbclid=x&a=1#top") == \
        "http://bao.vn/a/b.html?a=1&id=2"
    assert canonical_url("../tin/x.html?zarsrc=30", "https://bao.vn/chuyen-muc/") == "https://bao.vn/tin/x.html"


def test_doc_id_from_last_segment():
    assert doc_id("baonghean", "{site}-{slug}", "https://baonghean.vn/a/giam-xa-12345.html") == "baonghean-giam-xa-12345"
    assert doc_id("s", "{slug}", "http://127.0.0.1:1/x/hn-001.html") == "hn-001"
    assert doc_id("s", "{site}-{slug}", "http://s.vn/").startswith("s-")


def test_rss_and_atom_feeds():
    rss = b"""<?xml version="1.0"?><rss><channel><item><title>A</title>
      <link>https://b.vn/a-1.html?utm_campaign=x</link><pubDate>Tue, 01 Apr 2025 07:00:00 +0700</pubDate></item>
      <item><guid>https://b.vn/b-2.html</guid></item></channel></rss>"""
    assert parse_feed(rss, "https://b.vn/rss") == [("https://b.vn/a-1.html", date(2025, 4, 1)),
                                                   ("https://b.vn/b-2.html", None)]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="/c-3.html"/>
      <updated>2025-05-02T10:00:00Z</updated></entry></feed>"""
    assert parse_feed(atom, "https://b.vn/atom") == [("https://b.vn/c-3.html", date(2025, 5, 2))]


def test_sitemap_index_news_sitemap_and_broken_xml():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>
      <loc>https://b.vn/s1.xml</loc><lastmod>2025-01-01</lastmod></sitemap></sitemapindex>"""
    assert parse_sitemap(index, "https://b.vn/") == ("index", [("https://b.vn/s1.xml", date(2025, 1, 1))])
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://b.vn/x.html</loc>
      <news:news><news:publication_date>2025-06-30T08:00:00+07:00</news:publication_date></news:news></url>"""
    assert parse_sitemap(news, "https://b.vn/") == ("urlset", [("https://b.vn/x.html", date(2025, 6, 30))])
    with pytest.raises(XmlRejected, match="not_xml"):
        parse_sitemap(b"\x00not xml", "https://b.vn/")


def test_dates_in_many_forms():
    assert parse_date("Cập nhật ngày: 02/04/2025") == date(2025, 4, 2)
    assert parse_date("2025-03-14T08:30:00+07:00") == date(2025, 3, 14)
    assert parse_date("nonsense") is None


def test_retry_after_as_seconds_or_http_date():
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds(None) is None


def test_encodings_come_out_as_nfc_vietnamese():
    nfc = unicodedata.normalize("NFC", VI)
    page = "<html><head><meta charset='{}'></head><body>" + VI + "</body></html>"
    cases = [
        (page.format("utf-8").encode(), None),
        (page.format("iso-8859-1").encode(), "text/html; charset=iso-8859-1"),  # wrong declaration
        (encode_cp1258(page.format("windows-1258")), None),
        (encode_cp1258(page.format("utf-8")), "text/html; charset=utf-8"),       # wrong declaration
        (encode_cp1258(page.format("x")), None),                                  # nothing usable
        (b"\xef\xbb\xbf" + page.format("windows-1252").encode(), None),           # BOM wins
        (b"\xff\xfe" + page.format("utf-16").encode("utf-16-le"), None),
        (b"\xfe\xff" + page.format("utf-16").encode("utf-16-be"), None),
    ]
    for body, header in cases:
        assert nfc in decode_html(body, header)


def test_warc_round_trip_and_cut_tail(tmp_path):
    archive = WarcArchive(tmp_path, "r")
    first = archive.write_response("http://b.vn/a", 200, "OK", [("Content-Type", "text/html")], b"<p>a</p>")
    archive.write_response("http://b.vn/b", 200, "OK", [("Content-Type", "text/html")], b"x" * 5000)
    archive.close()
    record = read_record(first)
    assert (record.url, record.status, record.body) == ("http://b.vn/a", 200, b"<p>a</p>")
    data = archive.path.read_bytes()
    archive.path.write_bytes(data[:-40])  # a kill in the middle of the last record
    assert [(r.url, r.status, r.content_type) for r in iter_pointers(archive.path)] == [
        ("http://b.vn/a", 200, "text/html")]


def test_status_flags_a_site_whose_yield_dropped_to_zero(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli.crawl import status_cmd
    from pipeline.store import connect, crawlstate
    con = connect(tmp_path / "db.duckdb")
    crawlstate.ensure_schema(con)
    for run, docs, facts in (("r1", 5, 9), ("r2", 3, 4), ("r3", 0, 0)):
        crawlstate.start_run(con, run, ["bao-a", "bao-b"])
        for site in ("bao-a", "bao-b"):
            crawlstate.record_crawl(con, run, site, 5, 5, {})
            crawlstate.record_results(con, run, site, docs if site == "bao-a" else 2, facts if site == "bao-a" else 1)
    con.close()
    result = CliRunner().invoke(status_cmd, ["--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == 0, result.output
    assert "r3" in result.output and "WARNING bao-a: new documents dropped to zero" in result.output
    assert "WARNING bao-b" not in result.output


def test_doctype_is_cut_from_the_prologue_only():
    from pipeline.crawl.discover import _without_doctype
    tricky = b"<?xml version='1.0'?><!doctype rss [<!ENTITY a ']>'><!ENTITY b \"[\">]><rss/>"
    assert _without_doctype(tricky) == b"<?xml version='1.0'?><rss/>"
    feed = (b"<rss><channel><description><![CDATA[<!DOCTYPE x]]></description>"
            b"<item><link>https://b.vn/1.html</link></item></channel></rss>")
    assert parse_feed(feed, "https://b.vn/") == [("https://b.vn/1.html", None)]
    with pytest.raises(XmlRejected, match="doctype"):
        parse_feed(b"<!DOCTYPE rss [<!ENTITY a 'x'>" + b" " * 70000, "https://b.vn/")


def test_vnfacts_ends_at_once_only_as_its_own_process():
    """cli/ending.end_now: os._exit (after the exit handlers and a flush) in
    the process of the command itself; a caller whose stdout is swapped
    (CliRunner) gets SystemExit."""
    import contextlib
    import io
    import subprocess
    import sys

    from pipeline.cli.ending import end_now

    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as raised:
        end_now(3)
    assert raised.value.code == 3
    script = ("import atexit; atexit.register(print, 'handler', end=''); "
              "from pipeline.cli.ending import end_now; print('summary', end=''); end_now(3)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (3, "summaryhandler")


def test_a_copy_linker_that_cannot_load_does_not_stop_the_run(tmp_path, monkeypatch):
    """`vnfacts run` imports what links copies while the crawl child starts
    (cli/crawl.Copies.warm_up); if that import fails the crawl goes on, no
    pass links copies, and the call at the end of the run reports the error."""
    import sys

    from pipeline.cli.crawl import Copies

    # the import raises ImportError, also once another test has imported it
    monkeypatch.setitem(sys.modules, "pipeline.dataset.clusters", None)
    monkeypatch.delattr("pipeline.dataset.clusters", raising=False)
    copies = Copies(str(tmp_path / "db.duckdb"))
    copies.warm_up()
    assert copies.failed
    copies.during_crawl(None)  # skipped: would raise if it tried
    with pytest.raises(ImportError):
        copies()


def test_the_crawl_child_keeps_the_patterns_it_compiled_at_its_fast_exit(tmp_path):
    """process.exit_now skips the exit handlers: it saves the regex cache
    itself; and spider.py run as the child installs the cache before its
    imports (Scrapy's, Twisted's patterns: a later child reads them)."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "VNFACTS_CACHE": str(tmp_path)}

    def cached_sources() -> list[str]:
        probe = "from pipeline import regex_cache; import json; print(json.dumps([str(k[0]) for k in regex_cache._load()]))"
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout)

    script = ("from pipeline import regex_cache; regex_cache.install(); regex_cache.SAVE_AFTER = 0\n"
              "import re; re.compile(r'(?<!\\w)\\d+ (?:thôn|ấp) child')\n"
              "from pipeline.crawl.process import exit_now; exit_now(0)")
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=60)
    before = cached_sources()
    assert r"(?<!\w)\d+ (?:thôn|ấp) child" in before
    helped = subprocess.run([sys.executable, "-m", "pipeline.crawl.spider", "--help"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert helped.returncode == 0 and len(cached_sources()) > len(before) + 50
