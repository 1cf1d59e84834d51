"""Small web sites on 127.0.0.1 for the demo and the crawl tests.

Each `LocalSite` is a threaded HTTP server on its own port with a table of
routes, and it logs every request it sees (path, time, headers), so tests
can assert what a crawler really did. Routes can misbehave on purpose:
trickle slower than a timeout, cut the body short, reset the connection,
answer 304 to conditional requests, or answer differently on each call.
"""
from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    conditional: bool = False       # ETag + Last-Modified, 304 when unchanged
    trickle: float = 0.0            # seconds between 10-byte chunks
    truncate: bool = False          # promise more bytes than sent, then close
    reset: bool = False             # drop the connection with a TCP reset

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.data).hexdigest()[:16] + '"'


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # resets and aborted downloads are what the tests provoke


@dataclass
class Seen:
    path: str
    at: float                       # time.monotonic()
    headers: dict


LAST_MODIFIED = "Mon, 01 Sep 2025 08:00:00 GMT"
# Requests that were not meant for the server that got them (a Host header
# naming another host, or a proxy-style absolute target): the test suite
# fails any test during which one arrives (tests/hostguard.py).
STRAY: list[str] = []


class LocalSite:
    """One site: `routes` maps a path (with query) to a Route or a list of Routes
    served in turn (the last one repeats)."""

    def __init__(self, routes: dict | None = None, host: str = "127.0.0.1"):
        self.routes: dict = dict(routes or {})
        self.log: list[Seen] = []
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = QuietServer((host, 0), _handler_for(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def netloc(self) -> str:
        return f"{self.server.server_address[0]}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def start(self) -> "LocalSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        with self._lock:
            return [s.path for s in self.log]

    def route_for(self, path: str) -> Route | None:
        with self._lock:
            self.log.append(Seen(path, time.monotonic(), {}))
            route = self.routes.get(path)
            if isinstance(route, list):
                index = self._calls.get(path, 0)
                self._calls[path] = index + 1
                route = route[min(index, len(route) - 1)]
            return route

    def remember_headers(self, headers: dict) -> None:
        with self._lock:
            self.log[-1].headers = headers

    def check_target(self, target: str, host: str | None) -> None:
        """Note a request meant for another host (see STRAY)."""
        if (host or "").lower() != self.netloc or not target.startswith("/"):
            STRAY.append(f"{self.netloc} got {target!r} with Host {host!r}")


def _handler_for(site: LocalSite):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            site.check_target(self.path, self.headers.get("Host"))
            route = site.route_for(self.path)
            site.remember_headers(dict(self.headers.items()))
            if route is None:
                route = Route("not found", status=404, content_type="text/plain")
            serve(self, route)

    return Handler


def serve(handler: BaseHTTPRequestHandler, route: Route) -> None:
    if route.reset:
        _reset(handler.connection)
        handler.close_connection = True
        return
    if route.conditional and _unchanged(handler, route):
        handler.send_response(304)
        handler.send_header("ETag", route.etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    _send(handler, route)


def _unchanged(handler, route: Route) -> bool:
    return (handler.headers.get("If-None-Match") == route.etag
            or handler.headers.get("If-Modified-Since") == LAST_MODIFIED)


def _send(handler, route: Route) -> None:
    data = route.data
    handler.send_response(route.status)
    handler.send_header("Content-Type", route.content_type)
    handler.send_header("Content-Length", str(len(data) * (2 if route.truncate else 1)))
    if route.conditional:
        handler.send_header("ETag", route.etag)
        handler.send_header("Last-Modified", LAST_MODIFIED)
    for key, value in route.headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    try:
        _write_body(handler, data, route.trickle)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if route.truncate:
        handler.close_connection = True


def _write_body(handler, data: bytes, trickle: float) -> None:
    if not trickle:
        handler.wfile.write(data)
        return
    for start in range(0, len(data), 10):
        handler.wfile.write(data[start:start + 10])
        handler.wfile.flush()
        time.sleep(trickle)


def _reset(connection: socket.socket) -> None:
    """Close with SO_LINGER 0: the client sees 'connection reset by peer'."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


# --- many hosts, for the crawl benchmark ---------------------------------------

def folder_sites(folder, sites_dir, hosts: int = 10, delay: float = 0.0) -> list[LocalSite]:
    """The .html files of `folder` dealt over `hosts` sites on 127.0.0.1, 127.0.0.2, ...
    (each with robots.txt and an RSS feed of its pages), started, with a site
    file each in sites_dir. Page i goes to host i mod hosts."""
    from pathlib import Path

    import yaml

    files = sorted(Path(folder).glob("*.html"))
    Path(sites_dir).mkdir(parents=True, exist_ok=True)
    sites = []
    for index in range(hosts):
        site = LocalSite(host=f"127.0.0.{index + 1}")
        pages = {f"/bai/{p.stem}.html": p.read_bytes() for p in files[index::hosts]}
        items = "".join(f"<item><link>{site.url(path)}</link></item>" for path in pages)
        site.routes.update({path: Route(body) for path, body in pages.items()})
        site.routes["/robots.txt"] = Route("User-agent: *\nDisallow: /admin/\n", content_type="text/plain")
        site.routes["/feed.rss"] = Route(f"<rss version='2.0'><channel>{items}</channel></rss>",
                                         content_type="application/rss+xml", conditional=True)
        data = {"name": f"host{index + 1:02d}", "province": None, "domains": [site.netloc],
                "feeds": [site.url("/feed.rss")], "article_pattern": "/bai/", "delay": delay,
                "doc_id": "{slug}", "verified": True}
        (Path(sites_dir) / f"host{index + 1:02d}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        sites.append(site.start())
    return sites


def arrivals_line(sites: list[LocalSite]) -> str:
    """'requests N span S busiest B': first to last arrival over all the servers, and
    the longest first-to-last of one host (close to S: the hosts were crawled side by side)."""
    times = sorted(seen.at for site in sites for seen in site.log)
    spans = [site.log[-1].at - site.log[0].at for site in sites if site.log]
    span = times[-1] - times[0] if times else 0.0
    first, last = (times[0], times[-1]) if times else (0.0, 0.0)
    return (f"requests {len(times)} span {span:.3f} busiest {max(spans, default=0.0):.3f} "
            f"first {first:.3f} last {last:.3f}")


def main(argv: list[str] | None = None) -> int:
    """python -m pipeline.crawl.localsites FOLDER SITES_DIR [HOSTS] [DELAY]: serve
    until stdin closes (the benchmark's servers live in their own process)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    hosts, delay = int(args[2]) if len(args) > 2 else 10, float(args[3]) if len(args) > 3 else 0.0
    sites = folder_sites(args[0], args[1], hosts, delay)
    print("ready", " ".join(s.netloc for s in sites), flush=True)
    sys.stdin.read()
    for site in sites:
        site.stop()
    print(arrivals_line(sites), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
