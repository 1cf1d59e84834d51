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
