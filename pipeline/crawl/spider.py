"""The crawl: one Scrapy spider over all selected sites, in its own process.

Scrapy's reactor starts once per process, so every crawl runs as
`python -m pipeline.crawl.spider ...` (see `process.crawl_command`); the CLI and the tests
start it as a subprocess, which also makes a crash or SIGKILL harmless: the
state table and the WARC files say what was done, and the next run resumes.

Per response: archive it to WARC, then record it in `crawl_urls`. Discovery
reads feeds, sitemaps and listing pages (conditional requests); an article
URL that was fetched once is never requested again.
"""
from __future__ import annotations

if __name__ == "__main__":  # the crawl child: what Scrapy, Twisted & co. compile at import, from the cache
    import pipeline.regex_cache
    pipeline.regex_cache.install()

import argparse
import asyncio
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from pipeline.crawl.archive import WarcArchive, is_html_page, iter_pointers, media_type
from pipeline.crawl.discover import XmlRejected, canonical_url, read_article, read_source
from pipeline.crawl.fetch import failure_reason, skip_non_html, slot_key
from pipeline.crawl.process import STATE_WRITTEN, die_with_parent, exit_now
from pipeline.crawl.robots import cap_body
from pipeline.crawl.settings import CrawlConfig, crawl_settings
from pipeline.crawl.sites import DEFAULT_DELAY, Site, load_sites
from pipeline.crawl.timeline import mark
from pipeline.crawl.writer import StateLease, StateWriter
from pipeline.store import crawlstate as state, reused_instances

SOURCE_KINDS = ("feed", "sitemap", "listing")
# Statuses the spider wants to see itself (redirects stay with Scrapy).
HANDLED_STATUS = [304] + list(range(400, 600))
GONE_STATUS = set(range(400, 500)) - {408, 429}
PARSE_THREADS = 2


@dataclass
class SiteStats:
    discovered: int = 0
    fetched: int = 0
    failures: Counter = field(default_factory=Counter)
    open_requests: int = 0
    reported: bool = False


class SitesSpider(scrapy.Spider):
    name = "vnfacts"

    def __init__(self, sites: list[Site], config: CrawlConfig, **kwargs):
        super().__init__(**kwargs)
        self.sites = {s.name: s for s in sites}
        self.config = config
        self.since = date.fromisoformat(config.since) if config.since else None
        self.stats_by_site = {s.name: SiteStats() for s in sites}
        self.con = StateLease(config.db)  # opened per read or batch of writes (writer.py)
        state.ensure_schema(self.con)
        state.start_run(self.con, config.run_id, list(self.sites))
        self.archive = WarcArchive(config.corpus, config.run_id)
        state.add_warc_file(self.con, str(self.archive.path), config.run_id)
        recover_archives(self.con, str(self.archive.path))
        self.writer = StateWriter(self.con)
        # one thread writes the WARC file (in order); two parse (bounded: the machine may have 2 cores)
        self.archive_pool = ThreadPoolExecutor(1, thread_name_prefix="crawl-warc")
        self.parse_pool = ThreadPoolExecutor(PARSE_THREADS, thread_name_prefix="crawl-parse")
        self.read_pool = ThreadPoolExecutor(1, thread_name_prefix="crawl-read")
        self.found_now: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(skip_non_html, signal=signals.headers_received)
        crawler.signals.connect(cap_body, signal=signals.bytes_received)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        return spider

    def allows(self, url: str, site_name: str | None) -> bool:
        """An http(s) URL on the request's site, or (robots.txt) on any selected site."""
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        site = self.sites.get(site_name) if site_name else None
        if site is not None:
            return site.owns(url)
        return any(s.owns(url) for s in self.sites.values())

    def delay_for(self, url: str) -> float:
        """The politeness delay of the host: the largest of the sites living on it."""
        delays = [s.delay for s in self.sites.values() if s.owns(url)]
        return max(delays) if delays else DEFAULT_DELAY

    # --- scheduling --------------------------------------------------------

    async def start(self):
        """Every site's discovery pages first, then what earlier runs left: all
        hosts get going at once. The state is read in one go, off the reactor."""
        mark("child: spider starts")
        plan = await self.read(_start_plan, list(self.sites.values()))
        for site, sources, _ in plan:
            for url, kind, page, validators in sources:
                yield self._source_request(site, url, kind, page, validators)
        for site, _, articles in plan:
            for url in articles:
                yield self.article_request(site, url)

    async def read(self, func, *args):
        """A read of the crawl state, in its own thread: opening the database
        (writer.StateLease) or waiting for a batch of writes never stalls the reactor."""
        return await self.off_reactor(self.read_pool, func, self.con, *args)

    async def source_request(self, site: Site, url: str, kind: str, page: int = 1):
        return self._source_request(site, url, kind, page, await self.read(state.validators, url))

    def _source_request(self, site: Site, url: str, kind: str, page: int, validators):
        etag, modified = validators
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
        return self._request(site, url, kind, self.parse_source, headers, page=page)

    def article_request(self, site: Site, url: str):
        return self._request(site, url, "article", self.parse_article, {})

    def _request(self, site: Site, url: str, kind: str, callback, headers, **meta):
        self.stats_by_site[site.name].open_requests += 1
        self.crawler.engine.downloader.per_slot_settings.setdefault(
            slot_key(url), {"delay": self.delay_for(url), "concurrency": 1, "jitter": 0.0})
        # the slot is known when the request is made: the scheduler shares the downloader out by it
        meta.update(site=site.name, kind=kind, state_url=url, handle_httpstatus_list=HANDLED_STATUS,
                    download_slot=slot_key(url))
        return scrapy.Request(url, callback=callback, errback=self.on_error, headers=headers,
                              meta=meta, dont_filter=False)

    # --- responses ---------------------------------------------------------

    async def off_reactor(self, pool, func, *args):
        """Slow work (lxml parses, WARC writes) in a bounded pool of threads,
        so the reactor keeps every other host's downloads going meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(pool, func, *args)

    async def parse_source(self, response):
        site, kind, url = self._context(response.request)
        pointer = None
        try:
            pointer = await self.off_reactor(self.archive_pool, self.archive_response, response)
            if response.status == 304:
                etag, modified = await self.read(state.validators, url)
                self._mark_fetched(site, url, kind, 304, None, etag, modified)
                return
            if response.status >= 400:
                self._fail(site, url, kind, f"http_{response.status}", response.status, pointer)
                return
            page = response.meta.get("page", 1)
            found, entries, following = await self.off_reactor(
                self.parse_pool, lambda: read_source(kind, response.body, response.text if kind == "listing"
                                                     else "", response.url, site.next_page, page))
            async for request in self.discover_from(site, found, entries, following, page):
                yield request
            self._mark_fetched(site, url, kind, response.status, pointer,
                               _header(response, "ETag"), _header(response, "Last-Modified"))
        except XmlRejected as error:  # said, not silently 0 items
            final = "skipped" if error.reason.startswith("too_large") else "failed"
            self._fail(site, url, kind, error.reason, response.status, pointer, final=final)
        except Exception as error:  # one bad page never stops the crawl
            self._fail(site, url, kind, f"parse_error:{type(error).__name__}", response.status, None)
        finally:
            self._closed_request(site)

    async def discover_from(self, site: Site, found: str, entries, following, page: int):
        if found in ("feed", "urlset"):
            discovered = self.discover_articles(site, entries)
        elif found == "index":
            discovered = self.discover_sitemap(site, entries)
        else:
            discovered = self.discover_listing(site, entries, following, page)
        async for request in discovered:
            yield request

    async def discover_sitemap(self, site: Site, entries):
        children = [u for u, when in entries if site.owns(u) and self._recent(when)]
        given_up = await self.read(state.given_up, children)
        children = [u for u in children if u not in given_up]
        self.writer.submit(state.add_sources, site.name, children, "sitemap", self.config.run_id)
        for child in children:
            yield await self.source_request(site, child, "sitemap")

    async def discover_listing(self, site: Site, entries, following, page: int):
        links = [u for u, _ in entries if site.owns(u) and site.is_article(u)]
        done = await self.read(_done, links)
        async for request in self.discover_articles(site, [(u, None) for u in links]):
            yield request
        if len(done) == len(links) or page >= site.max_pages:
            return  # nothing new on this page: older pages were read before
        following = [u for u in following if site.owns(u)]
        self.writer.submit(state.add_sources, site.name, following, "listing", self.config.run_id)
        for url in following:
            yield await self.source_request(site, url, "listing", page=page + 1)

    async def discover_articles(self, site: Site, entries):
        found = [(u, when) for u, when in entries
                 if site.owns(u) and site.is_article(u) and self._recent(when)]
        found = list(dict((u, w) for u, w in found).items())
        known = await self.read(state.known_urls, [u for u, _ in found])
        # this run's own finds too: their writes may still be queued (writer.py)
        fresh = [(u, w) for u, w in found if u not in known and u not in self.found_now]
        self.found_now.update(u for u, _ in fresh)
        self.stats_by_site[site.name].discovered += len(fresh)
        self.writer.submit(state.add_discovered, site.name, fresh, self.config.run_id)
        for url, _ in fresh:
            yield self.article_request(site, url)

    def _recent(self, when: date | None) -> bool:
        return self.since is None or when is None or when >= self.since

    async def parse_article(self, response):
        site, kind, url = self._context(response.request)
        try:
            pointer = await self.off_reactor(self.archive_pool, self.archive_response, response)
            if response.status >= 400:
                self._fail(site, url, kind, f"http_{response.status}", response.status, pointer)
            elif not _is_html(response):
                self._fail(site, url, kind, f"content_type:{_content_type(response)}",
                           response.status, pointer, final="skipped")
            else:
                declared = await self.off_reactor(self.parse_pool, lambda: read_article(response.text, response.url))
                await self._store_article(site, url, response, pointer, declared)
        except Exception as error:  # one bad page never stops the crawl
            self._fail(site, url, kind, f"parse_error:{type(error).__name__}", response.status, None)
        finally:
            self._closed_request(site)

    async def _store_article(self, site: Site, url: str, response, pointer: str, canonical: str | None) -> None:
        """Record the page under its canonical URL, so one article is one document."""
        if not canonical or not site.owns(canonical):
            canonical = canonical_url(response.url)
        if canonical != url and await self.read(state.is_done, canonical):
            self.writer.submit(state.mark_alias, url, site.name, canonical, self.config.run_id)
            return
        self._mark_fetched(site, canonical, "article", response.status, pointer)
        self.stats_by_site[site.name].fetched += 1
        if canonical != url:
            self.writer.submit(state.mark_alias, url, site.name, canonical, self.config.run_id)

    def on_error(self, failure):
        request = failure.request
        site, kind, url = self._context(request)
        reason = failure_reason(failure.value, request)
        final = "skipped" if reason.startswith(("content_type", "too_large", "robots_dis")) else "failed"
        # A redirect off the site is the page's answer, not a network hiccup.
        final = "gone" if reason.startswith("offsite") else final
        self._fail(site, url, kind, reason, None, None, final=final)
        self._closed_request(site)

    def on_dropped(self, request, spider=None, **kwargs):
        """The duplicate filter dropped it: a redirect back to a URL already seen is a loop."""
        site = self.sites.get(request.meta.get("site"))
        if site is None:
            return
        if request.meta.get("redirect_urls"):
            _, kind, url = self._context(request)
            self._fail(site, url, kind, "redirect_loop", None, None)
        self._closed_request(site)

    # --- bookkeeping -------------------------------------------------------

    def _context(self, request) -> tuple[Site, str, str]:
        meta = request.meta
        return self.sites[meta["site"]], meta["kind"], meta["state_url"]

    def archive_response(self, response) -> str:
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values]
        return self.archive.write_response(response.url, response.status, "", headers, response.body)

    def _mark_fetched(self, site, url, kind, status, pointer, etag=None, modified=None):
        self.writer.submit(state.mark_fetched, url, site.name, kind, self.config.run_id,
                           http_status=status, warc=pointer, etag=etag, last_modified=modified)

    def _fail(self, site, url, kind, reason, status, pointer, final=None):
        final = final or ("gone" if status in GONE_STATUS else "failed")
        self.writer.submit(state.mark_failed, url, site.name, kind, self.config.run_id,
                           reason=reason, status=final, http_status=status, warc=pointer)
        self.stats_by_site[site.name].failures[reason] += 1

    def _closed_request(self, site: Site) -> None:
        stats = self.stats_by_site[site.name]
        stats.open_requests -= 1
        if stats.open_requests <= 0 and not stats.reported:
            self.report(site.name)

    def report(self, name: str) -> None:
        stats = self.stats_by_site[name]
        stats.reported = True
        self.writer.submit(state.record_crawl, self.config.run_id, name, stats.discovered,
                           stats.fetched, dict(stats.failures))
        print(progress_line(name, stats), flush=True)

    def closed(self, reason):
        mark("child: spider closed")
        for name, stats in self.stats_by_site.items():
            if not stats.reported:
                self.report(name)
        self.parse_pool.shutdown(wait=True)
        self.read_pool.shutdown(wait=True)
        self.archive_pool.shutdown(wait=True)
        self.writer.close()  # every queued state write is done before the WARC file counts as recovered
        mark("child: state written")
        print(STATE_WRITTEN, flush=True)  # the parent may store the last pages now
        self.archive.close()
        state.mark_warc_recovered(self.con, str(self.archive.path))
        self.con.close()


def progress_line(name: str, stats: SiteStats) -> str:
    failures = ", ".join(f"{k}: {v}" for k, v in sorted(stats.failures.items()))
    line = f"  {name}: discovered {stats.discovered}, fetched {stats.fetched}"
    return line + (f", failures {sum(stats.failures.values())} ({failures})" if failures else "")


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _content_type(response) -> str:
    return media_type(_header(response, "Content-Type"))


def _is_html(response) -> bool:
    return is_html_page(_header(response, "Content-Type"), response.body)


def _start_plan(con, sites: list[Site]) -> list[tuple[Site, list, list]]:
    """Per site: its discovery pages (url, kind, page, validators), the site
    file's and those an earlier run left, and the articles it left."""
    plan = []
    for site in sites:
        sources = [(canonical_url(url), kind, 1) for kind, urls in (
            ("feed", site.feeds), ("sitemap", site.sitemaps), ("listing", site.start_urls)) for url in urls]
        sources += [(url, kind, 2) for url, kind in state.pending_sources(con, site.name)]
        sources = [(url, kind, page, state.validators(con, url)) for url, kind, page in sources]
        plan.append((site, sources, state.pending_articles(con, site.name)))
    return plan


def _done(con, urls: list[str]) -> set[str]:
    return {url for url in urls if state.is_done(con, url)}


def recover_archives(con, current: str) -> None:
    """Records a killed crawl archived but did not get to mark as fetched."""
    for path in state.unrecovered_warc_files(con, current):
        if Path(path).exists():
            for record in iter_pointers(path):
                # judged as a live response is: an error page or a PDF stays to be fetched again
                if record.status < 400 and is_html_page(record.content_type, record.head):
                    state.mark_recovered(con, record.url, record.pointer, record.status)
        state.mark_warc_recovered(con, path)


# --- process entry ----------------------------------------------------------

def parse_args(argv: list[str]) -> CrawlConfig:
    parser = argparse.ArgumentParser(prog="python -m pipeline.crawl.spider", description=__doc__)
    for key, value in asdict(CrawlConfig()).items():
        if key != "names":
            kind = type(value) if value is not None else str
            parser.add_argument(f"--{key.replace('_', '-')}", type=kind, default=value)
    parser.add_argument("names", nargs="*")
    return CrawlConfig(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    mark("child: imported")
    config = parse_args(sys.argv[1:] if argv is None else argv)
    sites, errors = load_sites(config.sites_dir, config.names)
    for error in errors:
        print(f"  site file error: {error}", flush=True)
    if sites:
        hosts = len({domain for site in sites for domain in site.domains})
        with reused_instances():  # the state lease opens the file every ~0.5 s (store/instances.py)
            process = CrawlerProcess(crawl_settings(config, hosts))
            process.crawl(SitesSpider, sites=sites, config=config)
            process.start()
    return 0


if __name__ == "__main__":
    exit_now(main())
