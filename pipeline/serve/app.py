"""The review page: a Starlette application over one DuckDB file.

Requests share one connection while they come and leave the file to other
processes when they stop (pool.py), so `vnfacts query`, `extract` or a
nightly `run` work next to the page. Safety, since every page shows text
from scraped sites: Jinja2 autoescapes everything, the
Content-Security-Policy allows only the package's own script and stylesheet
(an injected inline script or `onerror=` would not run even if it reached
the page), state changes are JSON POSTs carrying the token of the browser's
session (an HMAC of its session cookie under the server's secret), and a
request whose Host is not the bound address is refused (DNS rebinding)."""
from __future__ import annotations

import hmac
import re
import secrets
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.serve import charts, views
from pipeline.serve.pool import Pool
from pipeline.store import reviews

HERE = Path(__file__).parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PER_PAGE = 50
SESSION_COOKIE = "vnfacts_session"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32}")
# The session of the request being answered, set by the sessions middleware
# so that every rendered page carries that session's token.
current_session: ContextVar[str] = ContextVar("vnfacts_session", default="")


class Site:
    """The state one server holds: where the database is, who reviews, the secret."""

    def __init__(self, db_path, reviewer: str, wait: float = 5.0, idle: float = 2.0):
        self.db_path, self.reviewer = str(db_path), reviewer
        self.pool = Pool(self.db_path, wait=wait, idle=idle)
        self.secret = secrets.token_bytes(32)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=True, default=True))
        self.env.globals.update(number=views.number, cell=views.cell, web_url=views.web_url, link=views.link,
                                facets=reviews.FACETS, sortable=reviews.SORTABLE, choices=views.CHOICES,
                                editable=views.EDITABLE)

    def token_for(self, session: str) -> str:
        """The token a session's pages carry; no other session can guess it."""
        return hmac.new(self.secret, session.encode(), "sha256").hexdigest()

    def render(self, name: str, status: int = 200, **context) -> HTMLResponse:
        token = self.token_for(current_session.get())
        html = self.env.get_template(name).render(token=token, reviewer=self.reviewer, **context)
        return HTMLResponse(html, status_code=status)

    def db(self):
        """`with site.db() as con:` a cursor of the pooled connection."""
        return self.pool.cursor()


def browse(request: Request):
    site: Site = request.app.state.site
    params = dict(request.query_params)
    filters = views.filters_of(params)
    page = max(int(params["page"]), 1) if params.get("page", "").isdigit() else 1
    with site.db() as con:
        found, total = reviews.browse(con, filters, params.get("sort", "doc"), params.get("dir") == "desc",
                                      page, PER_PAGE)
        counts = reviews.facet_counts(con, filters)
        orphaned = len(reviews.orphans(con))
    return site.render("browse.html", facts=found, total=total, counts=counts, filters=filters, params=params,
                       page=page, pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), orphaned=orphaned)


def review(request: Request):
    site: Site = request.app.state.site
    params = dict(request.query_params)
    filters = views.filters_of(params)
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    with site.db() as con:
        fact = reviews.fact_by_key(con, params["key"]) if params.get("key") else reviews.queue_item(
            con, filters, offset)
        done, total = reviews.progress(con, filters)
        doc = reviews.document(con, fact["doc"]) if fact else None
    base = {k: v for k, v in params.items() if k in filters}
    # Decided facts leave a queue of unreviewed facts, so the next one is at
    # the same offset; a queue over a review state keeps them, so step on.
    step = 1 if "review" in filters else 0
    context = dict(fact=fact, doc=doc, done=done, total=total, filters=filters, params=base,
                   next_url=views.link("/review", base, offset=offset + step if not params.get("key") else offset),
                   skip_url=views.link("/review", base, offset=offset + 1), offset=offset)
    if fact is None and params.get("key"):
        return site.render("missing.html", status=404, what=f"fact with key {params['key']} (re-extraction may "
                           "have changed it: see the orphaned reviews)")
    if fact:
        context["evidence"] = views.evidence(doc["text"], fact)
    return site.render("review.html", **context)


def document_page(request: Request):
    site: Site = request.app.state.site
    doc_id = request.path_params["doc"]
    with site.db() as con:
        doc = reviews.document(con, doc_id)
        facts = reviews.document_facts(con, doc_id) if doc else []
        added = reviews.added(con, doc_id)
    if doc is None:
        return site.render("missing.html", status=404, what=f"document {doc_id}")
    paragraphs = views.marked_paragraphs(doc["text"], facts)
    return site.render("doc.html", doc=doc, facts=facts, paragraphs=paragraphs, added=added)


# The archived page is the site's own HTML: shown sandboxed (no script, no
# request to anywhere, not even this server), as the crawler received it.
ARCHIVE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


def archived_page(request: Request):
    """The WARC record a crawled document came from."""
    from pipeline.crawl.archive import read_record

    site: Site = request.app.state.site
    with site.db() as con:
        doc = reviews.document(con, request.path_params["doc"])
    source = (doc or {}).get("source") or ""
    if not source.startswith("warc:"):
        return site.render("missing.html", status=404, what=f"archived copy of {request.path_params['doc']}")
    try:
        record = read_record(source)
    except (OSError, ValueError, StopIteration) as error:
        return site.render("missing.html", status=404, what=f"readable WARC record at {source} ({error})")
    # The archived Content-Type as received: without a charset the browser
    # reads the page's own <meta charset> (not every site is UTF-8).
    headers = {"Content-Security-Policy": ARCHIVE_CSP, "Content-Type": record.content_type or "text/html"}
    return Response(record.body, headers=headers)


def orphans_page(request: Request):
    site: Site = request.app.state.site
    with site.db() as con:
        found = reviews.orphans(con)
    return site.render("orphans.html", orphans=found)


async def checked_json(request: Request, *required: str) -> dict:
    """The JSON body of a state change, after the token and type are checked."""
    site: Site = request.app.state.site
    session = request.cookies.get(SESSION_COOKIE, "")
    if not SESSION_ID.fullmatch(session):
        raise PermissionError("no session: load a page first")
    if not hmac.compare_digest(request.headers.get("x-token", ""), site.token_for(session)):
        raise PermissionError("missing or wrong token for this session")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PermissionError("expected application/json")
    body = await request.json()
    missing = [name for name in required if not isinstance(body, dict) or body.get(name) is None]
    if missing:
        raise ValueError(f"expected a JSON object with {', '.join(missing)}")
    return body


def state_change(handler):
    """A POST endpoint: its errors become 403 (token), 404 (no such fact) or 400."""
    async def endpoint(request: Request):
        try:
            return JSONResponse(await handler(request, request.app.state.site))
        except PermissionError as error:
            return JSONResponse({"error": str(error)}, status_code=403)
        except LookupError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
    return endpoint


@state_change
async def decide(request: Request, site: Site) -> dict:
    body = await checked_json(request, "key", "verdict")
    with site.db() as con:
        doc = None if body.get("doc") is None else str(body["doc"])
        fact = reviews.fact_by_key(con, str(body["key"]), doc)
        if fact is None:
            raise LookupError(f"no fact with key {body['key']}{f' in {doc}' if doc else ''}")
        fields = views.corrections(fact, body.get("fields") or {}) if body["verdict"] == "correct" else None
        # A "correction" that changes nothing is an acceptance.
        verdict = "accept" if body["verdict"] == "correct" and not fields else body["verdict"]
        review_id = reviews.record(con, fact, verdict, fields, site.reviewer)
    return {"id": review_id, "verdict": verdict, "fields": fields}


@state_change
async def add(request: Request, site: Site) -> dict:
    """A fact the rules missed, from a selection in the document's text."""
    body = await checked_json(request, "doc", "start", "quote", "fields")
    with site.db() as con:
        doc = reviews.document(con, str(body["doc"]))
        if doc is None:
            raise LookupError(f"no document {body['doc']}")
        fact = views.new_fact(doc, body)
        key, review_id = reviews.record_added(con, fact, site.reviewer)
    return {"id": review_id, "verdict": "add", "key": key, "fact": fact}


@state_change
async def undo(request: Request, site: Site) -> dict:
    body = await checked_json(request, "key")
    with site.db() as con:
        return {"undone": reviews.undo(con, str(body["key"]))}


async def busy(request: Request, error: reviews.Busy):
    """Another process held the database too long: say so, keep the page usable."""
    if request.url.path.startswith(("/api/", "/charts/")):
        return JSONResponse({"error": str(error)}, status_code=503, headers={"Retry-After": "5"})
    return request.app.state.site.render("busy.html", status=503, error=str(error))


async def sessions(request: Request, call_next):
    """Give each browser its own session cookie (and so its own token)."""
    session = request.cookies.get(SESSION_COOKIE, "")
    fresh = not SESSION_ID.fullmatch(session)
    if fresh:
        session = secrets.token_urlsafe(24)  # 32 characters
    current_session.set(session)
    response = await call_next(request)
    if fresh:
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
    return response


async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@asynccontextmanager
async def lifespan(app: Starlette):
    yield
    app.state.site.pool.close()  # the database is free the moment the server stops


def create_app(db_path, reviewer: str = "reviewer", host: str = "127.0.0.1", wait: float = 5.0,
               idle: float = 2.0) -> Starlette:
    """wait: how long a request waits for another process's lock; idle: how
    long the connection stays open after the last request (see pool.py)."""
    routes = [Route("/", browse), Route("/review", review), Route("/doc/{doc:path}", document_page),
              Route("/archive/{doc:path}", archived_page), Route("/orphans", orphans_page),
              Route("/api/review", decide, methods=["POST"]), Route("/api/undo", undo, methods=["POST"]),
              Route("/api/add", add, methods=["POST"]),
              Route("/charts", charts.charts_page), Route("/charts/{name}.{fmt}", charts.chart_data),
              Route("/vendor/plotly.min.js", charts.vendor_plotly),
              Route("/favicon.ico", lambda request: Response(status_code=204)),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    hosts = sorted({host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host})
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                                               Middleware(BaseHTTPMiddleware, dispatch=security_headers),
                                               Middleware(BaseHTTPMiddleware, dispatch=sessions)],
                    exception_handlers={reviews.Busy: busy}, lifespan=lifespan)
    app.state.site = Site(db_path, reviewer, wait, idle)
    return app
