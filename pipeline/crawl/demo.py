"""The demo: the sample corpus served as three small sites on 127.0.0.1.

- tin-tinh: an RSS feed lists its articles (/tin-tuc/<stem>.html),
- bao-so: a sitemap index points to a news sitemap (/bai-viet/<stem>.html),
- cong-thong-tin: listing pages only, two links a page, "next" pagination
  (/chi-tiet/<stem>.html).

Article pages are the sample files byte for byte and their URLs end in
/<stem>.html, so crawled documents get the same ids (and facts) as
ingesting corpus/sample/ directly.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from pipeline.crawl.localsites import LocalSite, Route
from pipeline.paths import CORPUS_DIR, SAMPLE_DIR

ROBOTS = "User-agent: *\nDisallow: /admin/\n"
FALLBACK_PAGE = (
    "<html><head><meta charset='utf-8'><title>{title}</title></head><body><article>"
    "<h1>{title}</h1><p>Ngày 12/3/2025</p><p>{title}: tỉnh đã giảm 12 đầu mối, "
    "sắp xếp 45 xã còn 20 xã.</p></article></body></html>"
)
DEMO_DELAY = 0.2


def sample_pages(sample_dir: Path = SAMPLE_DIR) -> dict[str, bytes]:
    """stem -> page bytes; a few built-in pages if the sample corpus is missing."""
    pages = {p.stem: p.read_bytes() for p in sorted(Path(sample_dir).glob("*.html"))}
    if pages:
        return pages
    return {f"demo-{i}": FALLBACK_PAGE.format(title=f"Bài mẫu {i}").encode() for i in range(1, 7)}


def split_pages(pages: dict[str, bytes]) -> list[dict[str, bytes]]:
    stems = sorted(pages)
    return [{s: pages[s] for s in stems[i::3]} for i in range(3)]


def feed_site(pages: dict[str, bytes]) -> LocalSite:
    site = LocalSite()
    items = "".join(f"<item><title>{s}</title><link>{site.url(f'/tin-tuc/{s}.html')}?utm_source=rss"
                    f"</link></item>" for s in pages)
    site.routes["/rss/tin-moi.rss"] = Route(
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Tin mới</title>"
        f"{items}</channel></rss>", content_type="application/rss+xml", conditional=True)
    site.routes.update({f"/tin-tuc/{s}.html": Route(body, content_type="text/html")
                        for s, body in pages.items()})
    return site


def sitemap_site(pages: dict[str, bytes]) -> LocalSite:
    site = LocalSite()
    urls = "".join(f"<url><loc>{site.url(f'/bai-viet/{s}.html')}</loc><news:news>"
                   f"<news:publication_date>2025-03-12</news:publication_date></news:news></url>"
                   for s in pages)
    site.routes["/sitemap.xml"] = Route(
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>{site.url('/sitemap-news.xml')}</loc><lastmod>2025-03-12</lastmod></sitemap>"
        "</sitemapindex>", content_type="application/xml", conditional=True)
    site.routes["/sitemap-news.xml"] = Route(
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>",
        content_type="application/xml", conditional=True)
    site.routes.update({f"/bai-viet/{s}.html": Route(body, content_type="text/html")
                        for s, body in pages.items()})
    return site


def listing_site(pages: dict[str, bytes], per_page: int = 2) -> LocalSite:
    site = LocalSite()
    stems = list(pages)
    chunks = [stems[i:i + per_page] for i in range(0, len(stems), per_page)] or [[]]
    for number, chunk in enumerate(chunks, 1):
        links = "".join(f"<li><a href='/chi-tiet/{s}.html'>{s}</a></li>" for s in chunk)
        more = f"<a class='next' href='/danh-muc/trang-{number + 1}.html'>Trang sau</a>" \
            if number < len(chunks) else ""
        site.routes[f"/danh-muc/trang-{number}.html"] = Route(
            f"<html><body><ul class='list'>{links}</ul>{more}</body></html>", conditional=True)
    site.routes.update({f"/chi-tiet/{s}.html": Route(body, content_type="text/html")
                        for s, body in pages.items()})
    return site


def site_yaml(name: str, site: LocalSite, key: str, urls: list[str], pattern: str, extra: str = "") -> str:
    listed = ", ".join(f"'{u}'" for u in urls)
    return (f"name: {name}\nprovince: null\ndomains: ['{site.netloc}']\n{key}: [{listed}]\n"
            f"article_pattern: '{pattern}'\ndelay: {DEMO_DELAY}\ndoc_id: '{{slug}}'\n"
            f"verified: true\n{extra}")


def start_demo_sites(folder: Path, sample_dir: Path = SAMPLE_DIR) -> list[LocalSite]:
    """Start the three sites and write their site files into folder."""
    parts = split_pages(sample_pages(sample_dir))
    sites = [feed_site(parts[0]), sitemap_site(parts[1]), listing_site(parts[2])]
    for site in sites:
        site.routes["/robots.txt"] = Route(ROBOTS, content_type="text/plain")
        site.start()
    feed, sitemap, listing = sites
    files = {
        "tin-tinh": site_yaml("tin-tinh", feed, "feeds", [feed.url("/rss/tin-moi.rss")], "/tin-tuc/"),
        "bao-so": site_yaml("bao-so", sitemap, "sitemaps", [sitemap.url("/sitemap.xml")], "/bai-viet/"),
        "cong-thong-tin": site_yaml("cong-thong-tin", listing, "start_urls",
                                    [listing.url("/danh-muc/trang-1.html")], "/chi-tiet/",
                                    "next_page: 'a.next'\nmax_pages: 20\n"),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return sites


def run_demo_via_sites(db_path, corpus_dir=None, sample_dir: Path = SAMPLE_DIR, echo=print):
    """Serve the samples as sites, run the nightly `run` against them, stop the servers."""
    from pipeline.crawl.nightly import nightly, print_summary
    from pipeline.crawl.spider import CrawlConfig

    with tempfile.TemporaryDirectory(prefix="vnfacts-demo-") as tmp:
        sites = start_demo_sites(Path(tmp) / "sites", sample_dir)
        try:
            config = CrawlConfig(db=str(db_path), sites_dir=str(Path(tmp) / "sites"),
                                 corpus=str(corpus_dir or CORPUS_DIR),
                                 timeout=10, retries=1, backoff=0.2)
            summary = nightly(config, extract=True, echo=lambda *a, **k: echo(*a))
            print_summary(summary, echo=echo)
            return summary
        finally:
            for site in sites:
                site.stop()
