"""Scrapy pieces for polite fetching: one download slot per host, retries
that honour Retry-After and back off on 5xx, skipping non-HTML bodies, and
the reason recorded for each kind of failure."""
from __future__ import annotations

import asyncio
import logging
from email.utils import parsedate_to_datetime
from time import monotonic, time
from urllib.parse import urljoin, urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    StopDownload,
)
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 429, 500, 502, 503, 504, 520, 521, 522, 524}
RETRY_ERRORS = (DownloadTimeoutError, ResponseDataLossError, DownloadFailedError,
                DownloadConnectionRefusedError, ResponseFailed,
                ResponseNeverReceived, tx_error.ConnectionLost, tx_error.ConnectionRefusedError,
                tx_error.TimeoutError, tx_error.TCPTimedOutError, tx_error.ConnectError)
SKIPPED_TYPES = ("application/pdf", "image/", "video/", "audio/", "application/zip",
                 "application/octet-stream", "application/msword", "application/vnd.")


def slot_key(url: str) -> str:
    """Politeness is per host:port (tests run several sites on 127.0.0.1)."""
    return urlsplit(url).netloc.lower()


class FinishSpacedHandler(HTTP11DownloadHandler):
    """http(s) downloads whose host slot counts its delay from when the last
    download *finished*, not from when Scrapy dequeued it.

    Scrapy stamps a slot when a request leaves its queue; connection set-up
    and reactor stalls (lxml, DuckDB, WARC writes) then move that request's
    arrival at the server later while the next one leaves on time, so
    arrivals came closer than the delay (0.168 s for 0.2 s). With one request
    per host at a time, the server saw request N before its download ended;
    stamping the slot at that end (before Scrapy looks at the slot's queue
    again) makes every gap at the server >= the delay, whatever the stalls."""

    async def download_request(self, request):
        try:
            return await super().download_request(request)
        finally:
            slots = self._crawler.engine.downloader.slots
            slot = slots.get(request.meta.get("download_slot", ""))
            if slot is not None:
                slot.lastseen = max(slot.lastseen, monotonic())


class SiteGuardMiddleware:
    """Every request stays on its site's domains, over http or https.

    Runs first (before robots.txt is fetched for a new host), so a request
    elsewhere, a meta refresh's included, is dropped before any byte goes out."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def refusal(self, url: str, request) -> str | None:
        """Why `url` may not be fetched for `request` ("offsite_redirect:<scheme>://<host>")."""
        if self.crawler.spider.allows(url, request.meta.get("site")):
            return None
        parts = urlsplit(url)
        kind = "offsite_redirect" if request.meta.get("redirect_urls") or url != request.url else "offsite"
        return f"{kind}:{parts.scheme}://{parts.netloc}"

    def process_request(self, request, spider=None):
        refusal = self.refusal(request.url, request)
        if refusal:
            raise IgnoreRequest(refusal)


class RedirectGuardMiddleware(SiteGuardMiddleware):
    """Sees a 3xx before Scrapy's RedirectMiddleware (600) does: a Location
    off the site fails the request with the target's host as the reason."""

    def process_request(self, request, spider=None):
        return None

    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        refusal = self.refusal(target, request)
        if refusal:
            raise IgnoreRequest(refusal)
        return response


class DecodedSizeMiddleware:
    """A download we cap ourselves (meta body_cap: robots.txt) goes out with no
    size limit, and its decompression (HttpCompressionMiddleware, 590, reads
    download_maxsize when the response comes back) gets meta decoded_maxsize."""

    def process_request(self, request, spider=None):
        if "decoded_maxsize" in request.meta:
            request.meta["download_maxsize"] = 0

    def process_response(self, request, response, spider=None):
        if "decoded_maxsize" in request.meta:
            request.meta["download_maxsize"] = request.meta["decoded_maxsize"]
        return response


class HostSlotMiddleware:
    """Put every request, robots.txt included, in its host's download slot."""

    def process_request(self, request, spider=None):
        request.meta.setdefault("download_slot", slot_key(request.url))


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Retry-After as seconds: a number or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        return max(0.0, float(text.strip()))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time())
    except (TypeError, ValueError):
        return None


class PoliteRetryMiddleware:
    """Retries 429/5xx and network errors; waits Retry-After (capped) or
    backoff * 2**n, and pauses the whole host meanwhile."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.max_retries = settings.getint("VNFACTS_RETRIES", 2)
        self.backoff = settings.getfloat("VNFACTS_BACKOFF", 2.0)
        self.retry_after_max = settings.getfloat("VNFACTS_RETRY_AFTER_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def wait_for(self, request, response=None) -> float:
        attempt = request.meta.get("retry_times", 0) + 1
        header = response.headers.get("Retry-After") if response is not None else None
        told = retry_after_seconds(header)
        if told is not None:
            return min(told, self.retry_after_max)
        return self.backoff * 2 ** (attempt - 1)

    async def process_response(self, request, response, spider=None):
        if response.status not in RETRY_STATUS or request.meta.get("dont_retry"):
            return response
        return await self._retry(request, f"http_{response.status}", response) or response

    async def process_exception(self, request, exception, spider=None):
        if isinstance(exception, RETRY_ERRORS) and not request.meta.get("dont_retry"):
            return await self._retry(request, failure_reason(exception))
        return None

    async def _retry(self, request, reason: str, response=None):
        retry = get_retry_request(request, spider=self.crawler.spider, reason=reason,
                                  max_retry_times=self.max_retries)
        if retry is None:
            return None
        wait = self.wait_for(request, response)
        self._pause_host(request, wait)
        await asyncio.sleep(wait)
        return retry

    def _pause_host(self, request, wait: float) -> None:
        """Hold the host's other requests too: the server asked us to slow down."""
        slots = self.crawler.engine.downloader.slots
        slot = slots.get(request.meta.get("download_slot", ""))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, monotonic() + wait - slot.delay)


def skip_non_html(headers, body_length, request, spider=None, **kwargs) -> None:
    """headers_received handler: stop before downloading PDFs, images and the like."""
    content_type = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if any(content_type.startswith(t) for t in SKIPPED_TYPES):
        request.meta["skipped_type"] = content_type.split(";")[0].strip()
        raise StopDownload(fail=True)


def failure_reason(exc: BaseException, request=None) -> str:
    """A short, stable name for why a request failed."""
    if isinstance(exc, StopDownload):
        kind = (request.meta.get("skipped_type") if request is not None else None) or "stopped"
        return f"content_type:{kind}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if text.startswith(("offsite", "robots_unavailable")):
            return text
        if "during decompression" in text:  # HttpCompressionMiddleware's size cap
            return "too_large:decompressed"
        return ("robots_disallowed" if "robots" in text else
                "redirect_loop" if "redirect" in text else "ignored")
    for types, name in ERROR_NAMES:
        if isinstance(exc, types):
            return name
    return type(exc).__name__


ERROR_NAMES = [
    ((DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError), "timeout"),
    ((DownloadCancelledError, defer.CancelledError), "too_large"),
    (ResponseDataLossError, "truncated"),
    ((tx_error.ConnectionRefusedError, DownloadConnectionRefusedError), "connection_refused"),
    ((tx_error.DNSLookupError, CannotResolveHostError), "dns"),
    ((DownloadFailedError, ResponseNeverReceived, ResponseFailed, tx_error.ConnectionLost,
      tx_error.ConnectionDone, tx_error.ConnectError), "connection_lost"),
]
