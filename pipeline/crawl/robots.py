"""robots.txt by RFC 9309, in place of Scrapy's RobotsTxtMiddleware.

- 2xx: the rules are obeyed. Only the first 500 KiB are read (the download
  stops there; the RFC's minimum is also the limit we parse) and at most
  MAX_RULES rules, the part read so far being obeyed.
- 4xx (but 429): "unavailable", everything is allowed.
- 5xx, 429, a network failure or a redirect off the site: "unreachable",
  everything is disallowed for this run (the URLs are marked failed, so the
  next run tries again).
- A BOM is dropped, NUL and other control characters end a line, invalid
  UTF-8 is replaced: a broken file is read leniently, and a control
  character can only cut a rule short (a shorter path disallows more).
- Parsing runs in a thread: a large file does not stall the reactor.
- Read again during a long run (RFC 9309 2.4: a cached copy is not used
  for more than 24 hours): a verdict older than VNFACTS_ROBOTS_MAX_AGE
  seconds is replaced by a fresh read before the host's next request. An
  unreachable robots.txt is read again VNFACTS_ROBOTS_RETRIES times,
  VNFACTS_ROBOTS_RETRY_WAIT seconds apart, while the host's requests wait;
  only then are they refused.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from time import monotonic
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http.request import NO_CALLBACK

from pipeline.crawl.fetch import failure_reason

ROBOTS_MAX = 500 * 1024
ROBOTS_DECODED_MAX = 5 * 1024 * 1024   # a gzip-encoded robots.txt may inflate to this much
MAX_RULES = 20_000                      # 25,000 rules cost 9 ms per URL check in Protego
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RULE = re.compile(r"^\s*(allow|disallow)\s*:", re.I)


@dataclass(frozen=True)
class Robots:
    parser: Protego | None = None    # None: everything allowed
    refusal: str | None = None       # set: everything disallowed, for this reason

    def allowed(self, url: str, agent: str) -> bool:
        if self.refusal:
            return False
        return self.parser is None or self.parser.can_fetch(url, agent)


def robots_text(body: bytes) -> str:
    """The text to parse: the first ROBOTS_MAX bytes, whole lines, lenient decoding."""
    cut = len(body) > ROBOTS_MAX
    body = body[:ROBOTS_MAX]
    if cut and b"\n" in body:
        body = body[:body.rindex(b"\n")]  # a line cut by the limit is not a rule
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = body.decode("utf-16", "replace")
    else:
        text = body.decode("utf-8", "replace")
    text = CONTROL.sub("\n", text.lstrip("\ufeff"))
    return "\n".join(_first_rules(text.splitlines()))


def _first_rules(lines: list[str]) -> list[str]:
    count = 0
    for index, line in enumerate(lines):
        count += bool(RULE.match(line))
        if count > MAX_RULES:
            return lines[:index]
    return lines


def verdict(status: int, body: bytes) -> Robots:
    """What a robots.txt response means for its host (RFC 9309 section 2.3.1)."""
    if 200 <= status < 300:
        return Robots(Protego.parse(robots_text(body)))
    if 400 <= status < 500 and status != 429:
        return Robots()
    return Robots(refusal=f"robots_unavailable:http_{status}")


def cap_body(data: bytes, request, spider=None, **kwargs) -> None:
    """bytes_received handler: stop a download at meta['body_cap'] bytes, keeping what came."""
    cap = request.meta.get("body_cap")
    if cap:
        seen = request.meta["body_seen"] = request.meta.get("body_seen", 0) + len(data)
        if seen > cap:
            raise StopDownload(fail=False)


@dataclass
class Reading:
    """One host's robots.txt: the read under way or done, and when it was done."""
    future: asyncio.Future
    read_at: float = float("inf")   # monotonic time the verdict came; inf while reading


class RobotsMiddleware:
    """One robots.txt per scheme://host:port, fetched through the host's own
    download slot (so it counts for politeness too), read again when old."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.agent = settings["USER_AGENT"]
        self.max_age = settings.getfloat("VNFACTS_ROBOTS_MAX_AGE", 3600.0)
        self.retries = settings.getint("VNFACTS_ROBOTS_RETRIES", 2)
        self.retry_wait = settings.getfloat("VNFACTS_ROBOTS_RETRY_WAIT", 60.0)
        self._hosts: dict[str, Reading] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        if request.meta.get("dont_obey_robotstxt"):
            return None
        robots = await self.robots_for(request.url)
        if robots.refusal:
            raise IgnoreRequest(robots.refusal)
        if not robots.allowed(request.url, self.agent):
            raise IgnoreRequest("Forbidden by robots.txt")
        return None

    def robots_for(self, url: str) -> asyncio.Future:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        reading = self._hosts.get(key)
        if reading is None or monotonic() - reading.read_at > self.max_age:
            reading = self._hosts[key] = Reading(asyncio.ensure_future(self._read(key)))
            reading.future.add_done_callback(lambda _: setattr(reading, "read_at", monotonic()))
        return reading.future

    async def _read(self, key: str) -> Robots:
        """The verdict; an unreachable file is tried again, `retries` times, `retry_wait` apart."""
        robots = await self._fetch(key)
        for _ in range(self.retries):
            if not robots.refusal:
                break
            await asyncio.sleep(self.retry_wait)
            robots = await self._fetch(key)
        return robots

    async def _fetch(self, key: str) -> Robots:
        request = Request(f"{key}/robots.txt", priority=1000, callback=NO_CALLBACK,
                          meta={"dont_obey_robotstxt": True, "body_cap": ROBOTS_MAX,
                                "download_maxsize": 0, "decoded_maxsize": ROBOTS_DECODED_MAX})
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as error:  # every failure means "unreachable"
            return Robots(refusal=f"robots_unavailable:{failure_reason(error, request)}")
        return await asyncio.to_thread(verdict, response.status, response.body)
