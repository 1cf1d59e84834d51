"""Helpers for the crawl tests: site files, fast crawl settings, page bodies."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.crawl.localsites import LocalSite, Route
from pipeline.crawl.nightly import nightly
from pipeline.crawl.settings import CrawlConfig

FAST = dict(timeout=1.0, retries=2, backoff=0.2, retry_after_max=3.0, robots_retry_wait=0.2, log_level="ERROR")


def article(title: str, body: str = "", canonical: str | None = None) -> str:
    link = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    body = body or f"{title}. Tỉnh Đắk Nông đã sắp xếp 45 xã còn 20 xã, giảm 25 đơn vị."
    return (f"<html><head><meta charset='utf-8'><title>{title}</title>{link}</head><body>"
            f"<article><h1>{title}</h1><p>Ngày 12/3/2025</p><p>{body}</p></article></body></html>")


def rss(site: LocalSite, paths: list[str]) -> Route:
    items = "".join(f"<item><link>{site.url(p)}</link></item>" for p in paths)
    return Route(f"<rss version='2.0'><channel>{items}</channel></rss>",
                 content_type="application/rss+xml", conditional=True)


def write_site(folder: Path, name: str, site: LocalSite, **fields) -> Path:
    data = {"name": name, "province": "Đắk Nông", "domains": [site.netloc], "delay": 0.2, **fields}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def feed_site(servers, folder: Path, name: str, pages: int, delay: float) -> LocalSite:
    """A site of `pages` articles listed in one RSS feed, and its site file in folder."""
    site = servers({"/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")})
    paths = [f"/tin/bai-{i}.html" for i in range(pages)]
    site.routes["/rss.xml"] = rss(site, paths)
    site.routes.update({p: Route(article(f"Bài {p}")) for p in paths})
    write_site(folder, name, site, feeds=[site.url("/rss.xml")], delay=delay)
    return site


def config(tmp_path: Path, **overrides) -> CrawlConfig:
    values = dict(db=str(tmp_path / "db.duckdb"), sites_dir=str(tmp_path / "sites"),
                  corpus=str(tmp_path / "corpus"), **FAST)
    values.update(overrides)
    return CrawlConfig(**values)


def crawl(tmp_path: Path, extract: bool = False, **overrides):
    return nightly(config(tmp_path, **overrides), extract=extract, echo=lambda *a, **k: None)


def gaps(site: LocalSite, skip_robots: bool = True) -> list[float]:
    times = [s.at for s in site.log if not (skip_robots and s.path == "/robots.txt")]
    return [b - a for a, b in zip(times, times[1:])]


@pytest.fixture
def servers():
    """make(routes) starts a LocalSite on 127.0.0.1; all are stopped after the test."""
    started = []

    def make(routes=None):
        site = LocalSite(routes).start()
        started.append(site)
        return site
    yield make
    for site in started:
        site.stop()


def states(db: Path, kind: str = "article") -> dict[str, tuple]:
    """path -> (status, reason) of each URL of this kind in crawl_urls."""
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT url, status, reason FROM crawl_urls WHERE kind = ?", [kind]).fetchall()
    con.close()
    return {"/" + url.split("/", 3)[3]: (status, reason) for url, status, reason in rows}
