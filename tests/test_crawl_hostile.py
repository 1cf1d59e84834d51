"""Issue 10: hostile and broken sites, judged by what real servers on 127.0.0.1 saw.
The `other` server stands for any host that is not the site's: it must see nothing."""
from __future__ import annotations

import duckdb
from crawlkit import article, crawl, rss, servers, states, write_site  # noqa: F401 (fixture)

from pipeline.crawl.localsites import Route


def redirect(to: str, status: int = 302) -> Route:
    return Route("", status=status, headers={"Location": to})


def test_redirects_links_and_sitemap_entries_never_leave_the_site(tmp_path, servers):
    other = servers({"/tin/x.html": Route(article("Nơi khác")), "/robots.txt": Route("", status=404)})
    site = servers({"/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")})
    site.routes.update({
        "/tin/a.html": redirect(other.url("/tin/x.html")),
        "/tin/b.html": redirect(other.url("/tin/x.html"), 301),
        "/tin/c.html": redirect("/tin/c-moi.html"),           # on the site: followed
        "/tin/c-moi.html": Route(article("Dời chỗ")),
        "/tin/d.html": Route(f"<meta http-equiv='refresh' content='0;url={other.url('/tin/x.html')}'>"),
        "/tin/e.html": redirect("ftp://127.0.0.1/tin/x.html"),
        "/tin/ok.html": Route(article("Bình thường")),
        "/chuyen-muc.html": Route(f"<a href='{other.url('/tin/x.html')}'>x</a><a href='/tin/ok.html'>y</a>"),
        "/sitemap.xml": Route("<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                              f"<url><loc>{other.url('/tin/x.html')}</loc></url></urlset>",
                              content_type="application/xml"),
    })
    site.routes["/rss.xml"] = rss(site, ["/tin/a.html", "/tin/b.html", "/tin/c.html", "/tin/d.html",
                                         "/tin/e.html", "/tin/ok.html"])
    site.routes["/rss.xml"].body = site.routes["/rss.xml"].data.replace(
        b"</channel>", f"<item><link>{other.url('/tin/x.html')}</link></item></channel>".encode())
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.05,
               sitemaps=[site.url("/sitemap.xml")], start_urls=[site.url("/chuyen-muc.html")],
               article_pattern="/tin/")
    summary = crawl(tmp_path)
    assert other.paths() == []
    seen = states(tmp_path / "db.duckdb")
    offsite = ("gone", f"offsite_redirect:http://{other.netloc}")
    assert seen["/tin/a.html"] == offsite and seen["/tin/b.html"] == offsite
    assert seen["/tin/d.html"] == offsite
    assert seen["/tin/e.html"] == ("gone", "offsite_redirect:ftp://127.0.0.1")
    assert summary.sites["s"]["failures"][offsite[1]] == 3
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    urls = {u for (u,) in con.execute("SELECT url FROM documents").fetchall()}
    assert urls == {site.url("/tin/c-moi.html"), site.url("/tin/ok.html")}


def robots_site(servers, robots):
    """A site whose feed lists /tin/ok.html and /private/secret.html, with this robots.txt."""
    site = servers({"/robots.txt": robots})
    site.routes["/rss.xml"] = rss(site, ["/tin/ok.html", "/private/secret.html", "/tin/late/x.html"])
    site.routes.update({p: Route(article(p)) for p in ("/tin/ok.html", "/private/secret.html", "/tin/late/x.html")})
    return site


def text_route(body: bytes | str, **kw) -> Route:
    return Route(body, content_type="text/plain", **kw)


PRIVATE = "User-agent: *\nDisallow: /private/\n"


def test_robots_txt_by_rfc_9309(tmp_path, servers):
    other = servers({"/robots.txt": text_route("User-agent: *\nAllow: /\n")})
    filler = "".join(f"Disallow: /khac/{i:06d}/\n" for i in range(200_000))  # 5.4 MB
    cases = {
        "r503": text_route("bảo trì", status=503),
        "rreset": Route(reset=True),
        "roffsite": redirect(other.url("/robots.txt")),
        "r404": text_route("không có", status=404),
        "rbig": text_route(PRIVATE + filler + "Disallow: /tin/late/\n"),
        "rbom": text_route(b"\xef\xbb\xbfUser-agent: *\x00Disallow: /private/\r\n\xff\xfe junk\n"),
    }
    sites = {name: robots_site(servers, route) for name, route in cases.items()}
    for name, site in sites.items():
        write_site(tmp_path / "sites", name, site, feeds=[site.url("/rss.xml")], delay=0.05)
    summary = crawl(tmp_path)
    requested = {name: set(site.paths()) for name, site in sites.items()}
    for name in ("r503", "rreset", "roffsite"):   # unreachable: nothing but robots.txt
        assert requested[name] == {"/robots.txt"}, name
        assert any(r.startswith("robots_unavailable") for r in summary.sites[name]["failures"]), name
    assert other.paths() == []
    assert requested["r404"] >= {"/rss.xml", "/tin/ok.html", "/private/secret.html"}
    for name in ("rbig", "rbom"):                   # obeyed as far as read
        assert "/tin/ok.html" in requested[name] and "/private/secret.html" not in requested[name], name
    assert "/tin/late/x.html" in requested["rbig"]  # past 500 KiB: not read, so not obeyed
    sites["r503"].routes["/robots.txt"] = text_route(PRIVATE)
    sites["r503"].log.clear()
    crawl(tmp_path, names=["r503"])                 # readable again: the next run fetches
    assert {"/rss.xml", "/tin/ok.html"} <= set(sites["r503"].paths())
    assert "/private/secret.html" not in sites["r503"].paths()


def robots_arrivals(site) -> list[int]:
    return [i for i, seen in enumerate(site.log) if seen.path == "/robots.txt"]


def test_robots_txt_is_read_again_during_a_long_run(tmp_path, servers):
    """Changed mid-crawl: once the copy is older than robots_max_age, the new rules hold."""
    site = servers({"/robots.txt": [text_route("User-agent: *\nAllow: /\n"), text_route("User-agent: *\nDisallow: /tin/\n")]})
    paths = [f"/tin/bai-{i}.html" for i in range(30)]
    site.routes["/rss.xml"] = rss(site, paths)
    site.routes.update({p: Route(article(p)) for p in paths})
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.1)
    crawl(tmp_path, robots_max_age=1.0)
    reads = robots_arrivals(site)
    assert len(reads) >= 2, site.paths()
    first, second = site.log[reads[0]].at, site.log[reads[1]].at
    assert second - first >= 1.0                       # not read again before it is old
    before = [s.path for s in site.log[:reads[1]] if s.path.startswith("/tin/")]
    after = [s.path for s in site.log[reads[1]:] if s.path.startswith("/tin/")]
    assert 0 < len(before) < 30 and after == []        # the first copy allowed, the second forbade
    refused = [p for p, (status, reason) in states(tmp_path / "db.duckdb").items() if reason == "robots_disallowed"]
    assert len(refused) == 30 - len(before)


def test_unreachable_robots_txt_is_read_again_in_the_same_run(tmp_path, servers):
    """5xx means disallow until it can be read: the host waits, the run reads it again."""
    down = text_route("bảo trì", status=503)
    site = robots_site(servers, [down, down, down, text_route(PRIVATE)])  # 3 = the first read and its 2 retries
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.05)
    summary = crawl(tmp_path, robots_retry_wait=0.5)
    reads = robots_arrivals(site)
    assert len(reads) == 4 and reads[:4] == [0, 1, 2, 3], site.paths()   # nothing else before it was read
    assert site.log[reads[3]].at - site.log[reads[2]].at >= 0.5           # read again later, not at once
    assert {"/rss.xml", "/tin/ok.html", "/tin/late/x.html"} <= set(site.paths())
    assert "/private/secret.html" not in site.paths()
    assert summary.sites["s"]["fetched"] == 2


def test_robots_parsing_is_bounded_in_time_and_rules():
    import time

    from pipeline.crawl.robots import MAX_RULES, verdict
    filler = "".join(f"Disallow: /a{i}/\n" for i in range(MAX_RULES + 5))
    started = time.perf_counter()
    robots = verdict(200, (PRIVATE + filler + "Disallow: /tin/\n").encode() * 20)  # 8 MB
    took = time.perf_counter() - started
    assert took < 2.0, took
    assert not robots.allowed("http://x.vn/private/a.html", "vnfacts")
    assert robots.allowed("http://x.vn/tin/a.html", "vnfacts")   # rule number MAX_RULES + 6
    assert verdict(503, b"").refusal == "robots_unavailable:http_503"
    assert verdict(429, b"").refusal and verdict(403, b"").allowed("http://x.vn/private/", "v")


def gzip_bomb(inflated: int, head: bytes = b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>") -> bytes:
    """A valid one-member gzip of `head` and `inflated` bytes of spaces, about 1000:1.
    After a full flush deflate forgets its history, so one compressed MiB is repeated."""
    import struct
    import zlib
    block, count = b" " * (1 << 20), inflated >> 20
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head + block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head + block)
    for _ in range(count - 1):
        crc = zlib.crc32(block, crc)
    size = (len(head) + count * len(block)) & 0xFFFFFFFF
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first + again * (count - 1)
            + packer.flush() + struct.pack("<II", crc, size))


BOMB = gzip_bomb(2 << 30)   # 2 GiB inflated


def laughs(tag: str, body: str) -> str:
    """An XML document whose DOCTYPE declares nested entities (the billion laughs)."""
    ents = "<!ENTITY a0 'ha'>" + "".join(
        f"<!ENTITY a{i} '{f'&a{i - 1};' * 10}'>" for i in range(1, 10))
    return f"<?xml version='1.0'?><!DOCTYPE {tag} [{ents}]>{body}"


def test_gzip_bomb_stops_at_the_cap_in_bounded_memory():
    import subprocess
    import sys
    # VmHWM is this process's own peak (ru_maxrss would carry pytest's over the fork)
    code = ("import re, sys, time; from pipeline.crawl.discover import parse_sitemap, XmlRejected\n"
            "data = sys.stdin.buffer.read(); t = time.perf_counter()\n"
            "try: parse_sitemap(data, 'http://x.vn/')\n"
            "except XmlRejected as e: print(e.reason)\n"
            "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
            "print(time.perf_counter() - t, int(peak) // 1024)")
    out = subprocess.run([sys.executable, "-c", code], input=BOMB, capture_output=True, check=True).stdout
    reason, figures = out.decode().splitlines()
    seconds, peak_mb = float(figures.split()[0]), int(figures.split()[1])
    assert reason == "too_large:inflated" and len(BOMB) < 3 << 20
    assert seconds < 5 and peak_mb < 150, (seconds, peak_mb)  # measured 0.13 s, 47 MB


def test_bombs_and_entity_declarations_in_feeds_and_sitemaps(tmp_path, servers):
    site = servers({"/robots.txt": text_route(PRIVATE)})
    items = "".join(f"<item><title>&a9;</title><link>{site.url(f'/tin/{i}.html')}</link></item>"
                    for i in range(3))
    urls = "".join(f"<url><loc>{site.url(f'/tin/s{i}.html')}</loc></url>" for i in range(2))
    site.routes.update({
        "/laughs.rss": Route(laughs("rss", f"<rss><channel>&a9;{items}</channel></rss>"),
                             content_type="application/rss+xml"),
        "/laughs.xml": Route(laughs("urlset", f"<urlset>{urls}</urlset>"), content_type="application/xml"),
        "/bomb.xml.gz": Route(BOMB, content_type="application/x-gzip"),
        "/encoded.xml": Route(gzip_bomb(64 << 20), content_type="application/xml",
                              headers={"Content-Encoding": "gzip"}),
        "/index.xml": Route("<sitemapindex><sitemap><loc>/bomb.xml.gz</loc></sitemap></sitemapindex>",
                            content_type="application/xml"),
        "/error.rss": Route("<html><body>Lỗi máy chủ</body></html>", content_type="text/html"),
    })
    site.routes.update({f"/tin/{n}.html": Route(article(n)) for n in ("0", "1", "2", "s0", "s1")})
    site.routes["/tin/bomb.html"] = Route(gzip_bomb(64 << 20, b"<html><body>"),
                                          headers={"Content-Encoding": "gzip"})
    site.routes["/bombs.rss"] = rss(site, ["/tin/bomb.html"])
    write_site(tmp_path / "sites", "s", site, feeds=[site.url(p) for p in ("/laughs.rss", "/error.rss", "/bombs.rss")],
               sitemaps=[site.url(p) for p in ("/laughs.xml", "/bomb.xml.gz", "/encoded.xml", "/index.xml")],
               delay=0.05)
    summary = crawl(tmp_path)
    assert summary.sites["s"]["fetched"] == 5      # 3 feed items and 2 sitemap entries
    seen = {**states(tmp_path / "db.duckdb", "sitemap"), **states(tmp_path / "db.duckdb", "feed")}
    assert seen["/bomb.xml.gz"] == ("skipped", "too_large:inflated")
    assert seen["/encoded.xml"] == ("skipped", "too_large:decompressed")
    assert seen["/error.rss"] == ("failed", "unexpected_root:html")
    assert states(tmp_path / "db.duckdb")["/tin/bomb.html"] == ("skipped", "too_large:decompressed")
    site.log.clear()
    crawl(tmp_path)                                 # the index lists the bomb again: not fetched
    assert site.paths().count("/bomb.xml.gz") == 1  # only as a sitemap of the site file
    assert "/tin/bomb.html" not in site.paths()     # a final failure: not retried


def test_run_after_crawl_counts_its_facts_and_a_quiet_run_is_not_a_drop(tmp_path, servers):
    from click.testing import CliRunner

    from pipeline.cli.crawl import status_cmd
    site = servers()
    paths = [f"/tin/bai-{i}.html" for i in range(3)]
    site.routes["/rss.xml"] = rss(site, paths)                       # conditional: 304 when unchanged
    site.routes.update({p: Route(article(f"Bài {p}")) for p in paths})
    write_site(tmp_path / "sites", "s", site, feeds=[site.url("/rss.xml")], delay=0.05)
    crawled = crawl(tmp_path, run_id="r1-crawl")                    # `vnfacts crawl`: no extraction
    ran = crawl(tmp_path, extract=True, run_id="r2-run")            # `vnfacts run`: extracts them
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    stored_facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    con.close()
    assert crawled.sites["s"]["new_documents"] == 3 and crawled.sites["s"]["facts"] is None
    assert stored_facts > 0 and ran.sites["s"]["facts"] == stored_facts
    quiet = crawl(tmp_path, extract=True, run_id="r3-quiet")        # the feed answers 304
    assert quiet.sites["s"]["new_documents"] == 0
    status = CliRunner().invoke(status_cmd, ["--db", str(tmp_path / "db.duckdb")]).output
    assert "r2-run" in status and str(stored_facts) in status and "WARNING" not in status
    site.routes["/rss.xml"] = Route("<rss><channel></channel></rss>", content_type="application/rss+xml")
    crawl(tmp_path, extract=True, run_id="r4-changed")              # changed and empty: a real drop
    status = CliRunner().invoke(status_cmd, ["--db", str(tmp_path / "db.duckdb")]).output
    assert "WARNING s: new documents dropped to zero" in status
