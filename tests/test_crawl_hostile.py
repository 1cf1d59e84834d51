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
