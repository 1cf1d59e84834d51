"""What a crawl is told (CrawlConfig, passed to the child as options) and the
Scrapy settings made from it. No Scrapy import here: the parent process
(`vnfacts run`, the tests) builds a config without loading the crawler."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.crawl.sites import DEFAULT_DELAY, DEFAULT_SITES_DIR
from pipeline.paths import CORPUS_DIR, DEFAULT_DB

# The Scrapy extensions a crawl keeps: the others serve items, job folders,
# remote control, telnet or INFO logs, which it never uses, and loading them
# took ~0.3 s of every crawl's start (RemoteControl imports aiohttp). Set as
# the base list: Scrapy 2.19 imports every extension it is told of, even one
# disabled with None.
EXTENSIONS = {f"scrapy.extensions.{name}": 0 for name in
              ("corestats.CoreStats", "logcount.LogCount", "closespider.CloseSpider")}
ROBOTS_MAX_AGE_LIMIT = 24 * 3600.0  # RFC 9309 2.4: a cached robots.txt is not used longer
MAX_CONCURRENT = 64                 # requests in the downloader at once, all hosts together


@dataclass
class CrawlConfig:
    db: str = str(DEFAULT_DB)
    sites_dir: str = str(DEFAULT_SITES_DIR)
    corpus: str = str(CORPUS_DIR)
    run_id: str = ""
    since: str | None = None
    timeout: float = 30.0
    max_size: int = 5 * 1024 * 1024
    retries: int = 2
    backoff: float = 2.0
    retry_after_max: float = 300.0
    robots_max_age: float = 3600.0      # seconds a robots.txt is obeyed before it is read again
    robots_retries: int = 2             # later reads of an unreachable (5xx) robots.txt in one run
    robots_retry_wait: float = 60.0     # seconds before each of them
    log_level: str = "ERROR"
    user_agent: str = "vnfacts-research-crawler/0.1 (+https://github.com/vnfacts)"
    names: list[str] = field(default_factory=list)


def crawl_settings(config: CrawlConfig, hosts: int = 8) -> dict:
    """Scrapy settings for a crawl of `hosts` hosts (the sites' domains)."""
    return {
        "BOT_NAME": "vnfacts", "USER_AGENT": config.user_agent, "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": config.log_level, "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
        "DOWNLOAD_DELAY": DEFAULT_DELAY, "DOWNLOAD_DELAY_JITTER": 0.0,
        # One request at a time per host, many hosts at once: the scheduler hands
        # out requests of the hosts with the fewest in the downloader, so one
        # site's queue never fills the downloader while the others wait. Two
        # per host in all: one downloading, one next; more would only queue in
        # the downloader, where the robots.txt verdict they passed gets old.
        "CONCURRENT_REQUESTS": max(2, min(2 * hosts, MAX_CONCURRENT)), "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "CONCURRENT_ITEMS": 1,  # callbacks yield requests, not items: 100 workers per response were waste
        "DOWNLOAD_TIMEOUT": config.timeout, "DOWNLOAD_MAXSIZE": config.max_size,
        "DOWNLOAD_WARNSIZE": 0, "REDIRECT_MAX_TIMES": 5, "RETRY_ENABLED": False,
        "VNFACTS_RETRIES": config.retries, "VNFACTS_BACKOFF": config.backoff,
        "VNFACTS_RETRY_AFTER_MAX": config.retry_after_max,
        "VNFACTS_ROBOTS_MAX_AGE": min(config.robots_max_age, ROBOTS_MAX_AGE_LIMIT),
        "VNFACTS_ROBOTS_RETRIES": config.robots_retries,
        "VNFACTS_ROBOTS_RETRY_WAIT": config.robots_retry_wait,
        "EXTENSIONS_BASE": EXTENSIONS,
        "DOWNLOAD_HANDLERS": {"http": "pipeline.crawl.fetch.FinishSpacedHandler",
                              "https": "pipeline.crawl.fetch.FinishSpacedHandler",
                              "file": None, "data": None, "s3": None, "ftp": None},
        "DOWNLOADER_MIDDLEWARES": {
            "pipeline.crawl.fetch.SiteGuardMiddleware": 40,  # before anything touches a host
            "pipeline.crawl.fetch.HostSlotMiddleware": 50,   # before robots.txt (100)
            "pipeline.crawl.robots.RobotsMiddleware": 100,   # RFC 9309, instead of Scrapy's
            "pipeline.crawl.fetch.DecodedSizeMiddleware": 595,  # next to decompression (590)
            "pipeline.crawl.fetch.PoliteRetryMiddleware": 550,
            "pipeline.crawl.fetch.RedirectGuardMiddleware": 650,  # before redirects (600)
        },
    }
