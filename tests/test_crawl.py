"""Crawl behaviour, judged by what a real server on 127.0.0.1 saw."""
from __future__ import annotations

import gzip
import subprocess
import sys

import duckdb
import pytest
from crawlkit import article, crawl, gaps, rss, servers, write_site  # noqa: F401 (servers is a fixture)

from pipeline.crawl.localsites import Route

CLOCK = 1e-3  # timestamps on both sides come from the same monotonic clock


def feed_site(make, count: int, prefix: str = "/tin/"):
    site = make({"/robots.txt": Route("User-agent: *\nDisallow: /private/\n", content_type="text/plain")})
    paths = [f"{prefix}bai-{i}.html" for i in range(count)]
    site.routes["/rss.xml"] = rss(site, paths)
    site.routes.update({p: Route(article(f"Bài {p}")) for p in paths})
    return site, paths


@pytest.fixture
def busy_cores():
    """Two processes spinning, so the crawl runs on a loaded machine (2 cores)."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


def test_per_host_spacing_respects_each_site_delay(tmp_path, servers, busy_cores):
    """Judged at the server: no two requests to one host closer than its delay,
    over 100+ requests, robots.txt included. The only slack is for the clock."""
    slow, _ = feed_site(servers, 20)
    fast, _ = feed_site(servers, 100)
    write_site(tmp_path / "sites", "slow", slow, feeds=[slow.url("/rss.xml")], delay=0.3)
    write_site(tmp_path / "sites", "fast", fast, feeds=[fast.url("/rss.xml")], delay=0.1)
    summary = crawl(tmp_path)
    assert summary.sites["slow"]["fetched"] == 20 and summary.sites["fast"]["fetched"] == 100
    fast_gaps, slow_gaps = gaps(fast, skip_robots=False), gaps(slow, skip_robots=False)
    assert len(fast_gaps) >= 101
    assert min(slow_gaps) >= 0.3 - CLOCK, sorted(slow_gaps)[:3]
    assert min(fast_gaps) >= 0.1 - CLOCK, sorted(fast_gaps)[:3]


def test_second_run_fetches_only_discovery_pages_conditionally(tmp_path, servers):
    site, paths = feed_site(servers, 4)
    listing = "".join(f"<a href='{p}'>x</a>" for p in paths)
    site.routes["/danh-muc.html"] = Route(f"<html><body>{listing}</body></html>", conditional=True)
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")],
               start_urls=[site.url("/danh-muc.html")], article_pattern="/tin/")
    first = crawl(tmp_path)
    assert first.sites["s"]["fetched"] == 4
    site.log.clear()
    second = crawl(tmp_path)
    assert set(site.paths()) <= {"/robots.txt", "/rss.xml", "/danh-muc.html"}
    assert all(s.headers.get("If-None-Match") for s in site.log if s.path != "/robots.txt")
    assert second.sites["s"]["fetched"] == 0 and second.sites["s"]["new_documents"] == 0


def test_robots_disallowed_paths_are_never_requested(tmp_path, servers):
    site, paths = feed_site(servers, 2)
    site.routes["/rss.xml"] = rss(site, paths + ["/private/secret.html"])
    site.routes["/private/secret.html"] = Route(article("Mật"))
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")])
    crawl(tmp_path)
    assert not [p for p in site.paths() if p.startswith("/private/")]
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    reason = con.execute("SELECT reason FROM crawl_urls WHERE url LIKE '%secret%'").fetchall()
    assert reason == [("robots_disallowed",)]


def test_only_site_domains_and_article_pattern_are_followed(tmp_path, servers):
    site, paths = feed_site(servers, 2)
    other = servers({"/tin/x.html": Route(article("Khác"))})
    site.routes["/rss.xml"] = rss(site, paths + ["/gioi-thieu.html"])
    site.routes["/rss.xml"].body = site.routes["/rss.xml"].data.replace(
        b"</channel>", f"<item><link>{other.url('/tin/x.html')}</link></item></channel>".encode())
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], article_pattern="/tin/")
    crawl(tmp_path)
    assert other.paths() == []
    assert "/gioi-thieu.html" not in site.paths()


def test_same_article_under_several_urls_is_one_document(tmp_path, servers):
    site = servers()
    main = "/tin/sap-nhap-xa.html"
    site.routes[main] = Route(article("Sáp nhập xã"))
    site.routes["/in/sap-nhap-xa-print.html"] = Route(article("Sáp nhập xã", canonical=site.url(main)))
    feed = [f"{main}?utm_source=facebook&utm_medium=social", f"{main}#binh-luan",
            "/in/sap-nhap-xa-print.html"]
    site.routes["/rss.xml"] = rss(site, feed)
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")])
    crawl(tmp_path)
    assert site.paths().count(main) == 1
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    docs = con.execute("SELECT id, url FROM documents").fetchall()
    assert docs == [("s-sap-nhap-xa", site.url(main))]


def test_since_limits_sitemap_discovery_by_date(tmp_path, servers):
    site = servers()
    entries = {"/tin/cu-1.html": "2024-01-05", "/tin/cu-2.html": "2024-12-31",
               "/tin/moi-1.html": "2025-06-01", "/tin/moi-2.html": "2025-07-01T08:00:00+07:00"}
    urls = "".join(f"<url><loc>{site.url(p)}</loc><lastmod>{d}</lastmod></url>" for p, d in entries.items())
    site.routes["/sitemap.xml"] = Route(
        f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
        content_type="application/xml")
    site.routes.update({p: Route(article(p)) for p in entries})
    write_site(tmp_path / "sites", "s", site, sitemaps=[site.url("/sitemap.xml")])
    crawl(tmp_path, since="2025-01-01")
    fetched = {p for p in site.paths() if p.startswith("/tin/")}
    assert fetched == {"/tin/moi-1.html", "/tin/moi-2.html"}


def test_sitemap_index_and_paginated_listing(tmp_path, servers):
    site = servers()
    site.routes["/sitemap_index.xml"] = Route(
        "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>{site.url('/news.xml')}</loc></sitemap></sitemapindex>",
        content_type="application/xml")
    site.routes["/news.xml"] = Route(
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        "xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'><url>"
        f"<loc>{site.url('/tin/a.html')}</loc><news:news><news:publication_date>2025-05-01"
        "</news:publication_date></news:news></url></urlset>", content_type="application/xml")
    for n in (1, 2, 3):
        nxt = f"<a rel='next' class='next' href='/chuyen-muc?page={n + 1}'>Sau</a>" if n < 3 else ""
        site.routes[f"/chuyen-muc?page={n}"] = Route(f"<a href='/tin/p{n}.html'>x</a>{nxt}")
    site.routes.update({p: Route(article(p)) for p in ("/tin/a.html", "/tin/p1.html", "/tin/p2.html", "/tin/p3.html")})
    write_site(tmp_path / "sites", "s", site, sitemaps=[site.url("/sitemap_index.xml")],
               start_urls=[site.url("/chuyen-muc?page=1")], next_page="a.next", article_pattern="/tin/")
    summary = crawl(tmp_path)
    assert summary.sites["s"]["fetched"] == 4
    assert {"/chuyen-muc?page=2", "/chuyen-muc?page=3", "/news.xml"} <= set(site.paths())


def test_invalid_site_file_is_reported_and_others_still_run(tmp_path, servers):
    site, _ = feed_site(servers, 1)
    write_site(tmp_path / "sites", "good", site, feeds=[site.url("/rss.xml")])
    write_site(tmp_path / "sites", "bad", site, feeds=[site.url("/rss.xml")], delay="fast")
    summary = crawl(tmp_path)
    assert summary.sites["good"]["fetched"] == 1
    assert any("bad.yaml: delay:" in e for e in summary.errors)


def test_windows_1258_page_and_custom_selectors_come_out_as_nfc_text(tmp_path, servers):
    import unicodedata

    from pipeline.lang.decode import encode_cp1258
    site = servers()
    sentence = "Tỉnh Thừa Thiên Huế đã sắp xếp 152 xã, phường còn 133 đơn vị hành chính."
    page = (f"<html><head><meta charset='utf-8'><title>Huế</title></head><body><h1 class='t'>Sắp xếp xã</h1>"
            f"<span class='d'>Ngày 05/04/2025</span><div class='nd'><p>{sentence}</p></div>"
            f"<div class='qc'>Quảng cáo</div></body></html>")
    site.routes["/tin/hue-1.html"] = Route(encode_cp1258(page), content_type="text/html; charset=utf-8")
    site.routes["/rss.xml"] = rss(site, ["/tin/hue-1.html"])
    write_site(tmp_path / "sites", "hue", site, feeds=[site.url("/rss.xml")], province="Thừa Thiên Huế",
               selectors={"title": "h1.t", "date": "span.d", "body": "div.nd"})
    crawl(tmp_path)
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    title, published, text, province, source = con.execute(
        "SELECT title, published, text, province, source FROM documents").fetchall()[0]
    assert unicodedata.normalize("NFC", sentence) in text and "Quảng cáo" not in text
    assert (title, str(published), province) == ("Sắp xếp xã", "2025-04-05", "Thừa Thiên Huế")
    assert source.startswith("warc:") and "#" in source


def test_gzipped_sitemap_and_page_template_listing(tmp_path, servers):
    site = servers()
    urlset = ("<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
              f"<url><loc>{site.url('/tin/s.html')}</loc></url></urlset>")
    site.routes["/sitemap.xml.gz"] = Route(gzip.compress(urlset.encode()), content_type="application/x-gzip")
    for n in (1, 2, 3):  # page 4 is missing: the listing ends there
        site.routes[f"/thoi-su/trang-{n}.html"] = Route(f"<a href='/tin/t{n}.html'>x</a>")
    site.routes.update({p: Route(article(p)) for p in ("/tin/s.html", "/tin/t1.html", "/tin/t2.html", "/tin/t3.html")})
    write_site(tmp_path / "sites", "s", site, sitemaps=[site.url("/sitemap.xml.gz")],
               start_urls=[site.url("/thoi-su/trang-1.html")], next_page=site.url("/thoi-su/trang-{page}.html"),
               max_pages=6, article_pattern="/tin/")
    summary = crawl(tmp_path)
    assert summary.sites["s"]["fetched"] == 4
    requested = set(site.paths())
    assert {"/thoi-su/trang-2.html", "/thoi-su/trang-3.html", "/thoi-su/trang-4.html"} <= requested
    assert "/thoi-su/trang-5.html" not in requested
