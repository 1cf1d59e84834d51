"""Each fault of issue 4 against a real server on 127.0.0.1: recorded with its
reason, retried only as it deserves, and never stopping the crawl."""
from __future__ import annotations

import duckdb
import pytest
from crawlkit import article, crawl, rss, write_site

from pipeline.crawl.localsites import LocalSite, Route

MAX_SIZE = 100_000
FAULTS = {
    "/a/gone-404.html": Route("không có", status=404),
    "/a/gone-410.html": Route("đã xóa", status=410),
    "/a/busy-429.html": [Route("chậm lại", status=429, headers={"Retry-After": "1"}), Route(article("429 ok"))],
    "/a/busy-503.html": [Route("bảo trì", status=503, headers={"Retry-After": "1"}), Route(article("503 ok"))],
    "/a/error-500.html": [Route("lỗi", status=500), Route("lỗi", status=502), Route(article("500 ok"))],
    "/a/always-500.html": Route("lỗi", status=500),
    "/a/reset.html": Route(reset=True),
    "/a/slow.html": Route(article("chậm") * 3, trickle=0.3),
    "/a/cut.html": Route(article("cắt ngang"), truncate=True),
    "/a/loop.html": Route("", status=302, headers={"Location": "/a/loop-2.html"}),
    "/a/loop-2.html": Route("", status=302, headers={"Location": "/a/loop.html"}),
    "/a/big.html": Route(article("lớn", "x" * (MAX_SIZE + 10_000))),
    "/a/report.pdf": Route(b"%PDF-1.4 fake", content_type="application/pdf"),
    "/a/photo.html": Route(b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg"),
    "/a/broken.html": Route("<html><body><div><p>Tỉnh Bến Tre giảm 12 đầu mối<table><tr><td>"
                            "<p>sắp xếp 20 xã</b></i></html></html>"),
    "/a/ok.html": Route(article("Bình thường")),
}
EXPECTED = {
    "/a/gone-404.html": ("gone", "http_404"), "/a/gone-410.html": ("gone", "http_410"),
    "/a/busy-429.html": ("fetched", None), "/a/busy-503.html": ("fetched", None),
    "/a/error-500.html": ("fetched", None), "/a/always-500.html": ("failed", "http_500"),
    "/a/reset.html": ("failed", "connection_lost"), "/a/slow.html": ("failed", "timeout"),
    "/a/cut.html": ("failed", "truncated"), "/a/loop.html": ("failed", "redirect_loop"),
    "/a/big.html": ("skipped", "too_large"),
    "/a/report.pdf": ("skipped", "content_type:application/pdf"),
    "/a/photo.html": ("skipped", "content_type:image/jpeg"),
    "/a/broken.html": ("fetched", None), "/a/ok.html": ("fetched", None),
}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    site = LocalSite(dict(FAULTS)).start()
    site.routes["/rss.xml"] = rss(site, [p for p in FAULTS if p != "/a/loop-2.html"])
    write_site(tmp / "sites", "s", site, feeds=[site.url("/rss.xml")], article_pattern="/a/")
    summary = crawl(tmp, max_size=MAX_SIZE)
    first_log = list(site.log)
    yield tmp, site, summary, first_log
    site.stop()


def states(tmp) -> dict:
    con = duckdb.connect(str(tmp / "db.duckdb"), read_only=True)
    rows = con.execute("SELECT url, status, reason FROM crawl_urls WHERE kind = 'article'").fetchall()
    con.close()
    return {url.split(":", 2)[2].split("/", 1)[1]: (status, reason) for url, status, reason in rows}


def times(log, path: str) -> list[float]:
    return [s.at for s in log if s.path == path]


def test_every_fault_is_recorded_with_its_reason(faulty):
    tmp, _, summary, _ = faulty
    seen = {"/" + k: v for k, v in states(tmp).items()}
    for path, expected in EXPECTED.items():
        assert seen[path] == expected, path
    failures = summary.sites["s"]["failures"]
    assert failures["http_404"] == 1 and failures["timeout"] == 1 and failures["too_large"] == 1


def test_404_and_410_are_not_retried(faulty):
    _, _, _, log = faulty
    assert len(times(log, "/a/gone-404.html")) == 1 and len(times(log, "/a/gone-410.html")) == 1


def test_retry_after_is_honoured_for_429_and_503(faulty):
    _, _, _, log = faulty
    for path in ("/a/busy-429.html", "/a/busy-503.html"):
        first, second = times(log, path)
        assert second - first >= 1.0 - 0.02


def test_other_5xx_back_off_exponentially(faulty):
    _, _, _, log = faulty
    a, b, c = times(log, "/a/error-500.html")
    assert b - a >= 0.2 - 0.02 and c - b >= 0.4 - 0.02
    assert len(times(log, "/a/always-500.html")) == 3  # 1 + retries, then given up


def test_skipped_and_broken_pages_do_not_stop_the_crawl(faulty):
    tmp, _, _, _ = faulty
    con = duckdb.connect(str(tmp / "db.duckdb"), read_only=True)
    ids = {r[0] for r in con.execute("SELECT id FROM documents").fetchall()}
    con.close()
    assert {"s-ok", "s-broken", "s-busy-429", "s-busy-503", "s-error-500"} <= ids
    assert not {"s-report", "s-photo", "s-big"} & ids


def test_next_run_does_not_request_gone_or_skipped_urls_again(faulty):
    tmp, site, _, _ = faulty
    site.log.clear()
    crawl(tmp, max_size=MAX_SIZE)
    again = set(site.paths())
    assert not again & {"/a/gone-404.html", "/a/gone-410.html", "/a/report.pdf", "/a/big.html", "/a/ok.html"}
    assert "/a/always-500.html" in again  # transient failures get another chance
