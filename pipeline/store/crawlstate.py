"""Crawl state in the project's DuckDB database.

`crawl_urls` holds every URL the crawler has met: what it is (feed, sitemap,
listing, article), where it stands (discovered, fetched, failed, gone,
skipped, alias), why it failed, the validators for conditional requests and
the WARC record of its last response. `runs` has one row per run and site.
This table, not Scrapy's JOBDIR, is what makes a crawl resumable: URLs
discovered by a killed run are still 'discovered' and the next run fetches them.
The tables themselves are created by the migrations in store/schema.py.
"""
from __future__ import annotations

import inspect
import json
from datetime import datetime

from pipeline.store import schema


# Statuses that mean "do not request this article again".
FINAL = ("fetched", "gone", "skipped", "alias")
MAX_ATTEMPTS = 3


def ensure_schema(con) -> None:
    """The crawl tables are part of the schema; `connect` already made them."""
    schema.migrate(con)


def now() -> datetime:
    return datetime.now()


def add_discovered(con, site: str, found: list[tuple[str, object]], run_id: str) -> int:
    """Record newly found article URLs; returns how many were new."""
    if not found:
        return 0
    # One statement over lists: executemany runs one statement per row
    # (80 ms a row on a loaded machine), on the crawler's reactor thread.
    before = _count(con, site)
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, lastmod, discovered_run) "
        "SELECT url, ?, 'article', 'discovered', lastmod, ? FROM "
        "(SELECT unnest(?::TEXT[]) AS url, unnest(?::DATE[]) AS lastmod) ON CONFLICT DO NOTHING",
        [site, run_id, [u for u, _ in found], [w for _, w in found]],
    )
    return _count(con, site) - before


def _count(con, site: str) -> int:
    return con.execute("SELECT count(*) FROM crawl_urls WHERE site = ?", [site]).fetchall()[0][0]


def known_urls(con, urls: list[str]) -> set[str]:
    """The URLs among these that are already in the state table."""
    if not urls:
        return set()
    rows = con.execute("SELECT url FROM crawl_urls WHERE list_contains(?, url)", [urls]).fetchall()
    return {r[0] for r in rows}


def pending_articles(con, site: str) -> list[str]:
    """Articles discovered earlier but not fetched yet (or failed, with attempts left)."""
    rows = con.execute(
        "SELECT url FROM crawl_urls WHERE site = ? AND kind = 'article' AND "
        "(status = 'discovered' OR (status = 'failed' AND attempts < ?)) ORDER BY url",
        [site, MAX_ATTEMPTS],
    ).fetchall()
    return [r[0] for r in rows]


def is_done(con, url: str) -> bool:
    rows = con.execute(
        "SELECT status, attempts FROM crawl_urls WHERE url = ?", [url]).fetchall()
    if not rows:
        return False
    status, attempts = rows[0]
    return status in FINAL or (status == "failed" and attempts >= MAX_ATTEMPTS)


def given_up(con, urls: list[str]) -> set[str]:
    """The URLs among these that are gone or skipped (a sitemap over the size
    cap, a redirect off the site): an index listing them again does not bring them back."""
    if not urls:
        return set()
    rows = con.execute("SELECT url FROM crawl_urls WHERE list_contains(?, url) "
                       "AND status IN ('gone', 'skipped')", [urls]).fetchall()
    return {r[0] for r in rows}


def validators(con, url: str) -> tuple[str | None, str | None]:
    rows = con.execute("SELECT etag, last_modified FROM crawl_urls WHERE url = ?", [url]).fetchall()
    return rows[0] if rows else (None, None)


def mark_fetched(con, url: str, site: str, kind: str, run_id: str, *, http_status: int,
                 warc: str | None, etag=None, last_modified=None, canonical=None) -> None:
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, http_status, attempts, etag, "
        "last_modified, canonical, warc, fetched_run, fetched_at, discovered_run) "
        "VALUES (?, ?, ?, 'fetched', ?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
        "status = 'fetched', reason = NULL, http_status = excluded.http_status, "
        "attempts = crawl_urls.attempts + 1, etag = excluded.etag, "
        "last_modified = excluded.last_modified, canonical = excluded.canonical, "
        "warc = coalesce(excluded.warc, crawl_urls.warc), fetched_run = excluded.fetched_run, "
        "fetched_at = excluded.fetched_at",
        [url, site, kind, http_status, etag, last_modified, canonical, warc, run_id, now(), run_id],
    )


FETCHED_COLUMNS = ("url", "site", "kind", "http_status", "etag", "last_modified", "canonical", "warc", "run_id")
FETCHED_TYPES = ("TEXT", "TEXT", "TEXT", "INTEGER", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT")


def mark_fetched_many(con, calls: list[tuple[tuple, dict]]) -> None:
    """Many mark_fetched writes (their (args, kwargs)) in one statement; each URL once."""
    rows = [_call_row(mark_fetched, args, kwargs) for args, kwargs in calls]
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, http_status, attempts, etag, "
        "last_modified, canonical, warc, fetched_run, fetched_at, discovered_run) "
        "SELECT url, site, kind, 'fetched', http_status, 1, etag, last_modified, canonical, warc, "
        f"run_id, ?, run_id FROM ({_unnest(FETCHED_COLUMNS, FETCHED_TYPES)}) ON CONFLICT (url) DO UPDATE SET "
        "status = 'fetched', reason = NULL, http_status = excluded.http_status, "
        "attempts = crawl_urls.attempts + 1, etag = excluded.etag, "
        "last_modified = excluded.last_modified, canonical = excluded.canonical, "
        "warc = coalesce(excluded.warc, crawl_urls.warc), fetched_run = excluded.fetched_run, "
        "fetched_at = excluded.fetched_at",
        [now(), *_columns(rows, FETCHED_COLUMNS)],
    )


FAILED_COLUMNS = ("url", "site", "kind", "run_id", "reason", "status", "http_status", "warc")
FAILED_TYPES = ("TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "INTEGER", "TEXT")


def mark_failed_many(con, calls: list[tuple[tuple, dict]]) -> None:
    """Many mark_failed writes in one statement; each URL once."""
    rows = [_call_row(mark_failed, args, kwargs) for args, kwargs in calls]
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, reason, http_status, attempts, warc, "
        "fetched_run, fetched_at, discovered_run) SELECT url, site, kind, status, reason, http_status, 1, "
        f"warc, run_id, ?, run_id FROM ({_unnest(FAILED_COLUMNS, FAILED_TYPES)}) "
        "ON CONFLICT (url) DO UPDATE SET status = excluded.status, reason = excluded.reason, "
        "http_status = excluded.http_status, attempts = crawl_urls.attempts + 1, "
        "warc = coalesce(excluded.warc, crawl_urls.warc), fetched_run = excluded.fetched_run, "
        "fetched_at = excluded.fetched_at",
        [now(), *_columns(rows, FAILED_COLUMNS)],
    )


def _call_row(func, args: tuple, kwargs: dict) -> dict:
    """The arguments of one call by name, defaults filled in."""
    bound = inspect.signature(func).bind(None, *args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def _unnest(columns, types) -> str:
    return "SELECT " + ", ".join(f"unnest(?::{t}[]) AS {c}" for c, t in zip(columns, types))


def _columns(rows: list[dict], columns) -> list[list]:
    return [[row[c] for row in rows] for c in columns]


def mark_failed(con, url: str, site: str, kind: str, run_id: str, *, reason: str,
                status: str = "failed", http_status: int | None = None,
                warc: str | None = None) -> None:
    """status: failed (tried again next run), gone (404/410), skipped (PDF, too large)."""
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, reason, http_status, attempts, warc, "
        "fetched_run, fetched_at, discovered_run) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) "
        "ON CONFLICT (url) DO UPDATE SET status = excluded.status, reason = excluded.reason, "
        "http_status = excluded.http_status, attempts = crawl_urls.attempts + 1, "
        "warc = coalesce(excluded.warc, crawl_urls.warc), fetched_run = excluded.fetched_run, "
        "fetched_at = excluded.fetched_at",
        [url, site, kind, status, reason, http_status, warc, run_id, now(), run_id],
    )


def mark_alias(con, url: str, site: str, canonical: str, run_id: str) -> None:
    """`url` shows the article whose canonical URL is `canonical`: never fetch it again."""
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, canonical, discovered_run) "
        "VALUES (?, ?, 'article', 'alias', ?, ?) ON CONFLICT (url) DO UPDATE SET "
        "status = 'alias', canonical = excluded.canonical",
        [url, site, canonical, run_id],
    )


def unstored_articles(con, sites: list[str]) -> list[tuple[str, str, str]]:
    """(url, site, warc pointer) of fetched articles not yet in documents."""
    return con.execute(
        "SELECT url, site, warc FROM crawl_urls WHERE kind = 'article' AND status = 'fetched' "
        "AND stored_run IS NULL AND warc IS NOT NULL AND list_contains(?, site) ORDER BY url",
        [sites],
    ).fetchall()


def mark_stored(con, rows: list[tuple[str, str]], run_id: str) -> None:
    """rows: (url, doc_id)."""
    if not rows:
        return
    con.execute(
        "UPDATE crawl_urls SET doc_id = s.doc_id, stored_run = ? FROM "
        "(SELECT unnest(?::TEXT[]) AS url, unnest(?::TEXT[]) AS doc_id) s WHERE crawl_urls.url = s.url",
        [run_id, [u for u, _ in rows], [d for _, d in rows]],
    )


def add_sources(con, site: str, urls: list[str], kind: str, run_id: str) -> None:
    """Remember follow-up sitemaps and listing pages, so a killed run's are read next time."""
    if not urls:
        return
    con.execute(
        "INSERT INTO crawl_urls (url, site, kind, status, discovered_run) "
        "SELECT unnest(?::TEXT[]), ?, ?, 'discovered', ? ON CONFLICT DO NOTHING",
        [list(urls), site, kind, run_id])


def pending_sources(con, site: str) -> list[tuple[str, str]]:
    """(url, kind) of sitemaps and listing pages found but not read yet."""
    return con.execute(
        "SELECT url, kind FROM crawl_urls WHERE site = ? AND kind IN ('sitemap', 'listing') "
        "AND status = 'discovered' ORDER BY url", [site]).fetchall()


def mark_recovered(con, url: str, pointer: str, http_status: int) -> None:
    """An article a killed crawl archived (at `pointer`) but did not mark fetched."""
    con.execute(
        "UPDATE crawl_urls SET status = 'fetched', warc = ?, http_status = ? "
        "WHERE url = ? AND kind = 'article' AND status IN ('discovered', 'failed')",
        [pointer, http_status, url])


# --- WARC files (for recovery after a kill) ---------------------------------

def add_warc_file(con, path: str, run_id: str) -> None:
    con.execute("INSERT INTO warc_files VALUES (?, ?, false) ON CONFLICT DO NOTHING", [path, run_id])


def unrecovered_warc_files(con, current: str | None = None) -> list[str]:
    rows = con.execute("SELECT path FROM warc_files WHERE NOT recovered ORDER BY path").fetchall()
    return [r[0] for r in rows if r[0] != current]


def mark_warc_recovered(con, path: str) -> None:
    con.execute("UPDATE warc_files SET recovered = true WHERE path = ?", [path])


# --- runs -------------------------------------------------------------------

def start_run(con, run_id: str, sites: list[str]) -> None:
    """Record a new run; an earlier run still 'running' was killed (only one
    process can hold the database), so it is marked 'interrupted'."""
    con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND run_id <> ?", [run_id])
    con.execute(  # one statement: executemany took ~0.1 s for ten sites, at the crawl's start
        "INSERT INTO runs (run_id, site, started_at, status) SELECT ?, unnest(?::TEXT[]), ?, 'running' "
        "ON CONFLICT DO NOTHING",
        [run_id, list(sites), now()],
    )


def record_crawl(con, run_id: str, site: str, discovered: int, fetched: int,
                 failures: dict[str, int], status: str = "crawled") -> None:
    con.execute(
        "UPDATE runs SET discovered = ?, fetched = ?, failures = ?, status = ?, finished_at = ? "
        "WHERE run_id = ? AND site = ?",
        [discovered, fetched, json.dumps(failures, sort_keys=True), status, now(), run_id, site],
    )


def record_results(con, run_id: str, site: str, new_documents: int, facts: int | None,
                   status: str = "done") -> None:
    con.execute(
        "UPDATE runs SET new_documents = ?, facts = ?, status = ?, finished_at = ? "
        "WHERE run_id = ? AND site = ?",
        [new_documents, facts, status, now(), run_id, site],
    )


def facts_by_site(con, run_id: str) -> dict[str, int]:
    """Facts of the documents this run stored, per site."""
    rows = con.execute(
        "SELECT u.site, count(f.doc) FROM (SELECT DISTINCT site, doc_id FROM crawl_urls "
        "WHERE stored_run = ?) u LEFT JOIN facts f ON f.doc = u.doc_id GROUP BY u.site",
        [run_id],
    ).fetchall()
    return dict(rows)


def run_rows(con, run_id: str) -> dict[str, dict]:
    """site -> the counts of one run (failures decoded from JSON)."""
    rows = con.execute(
        "SELECT site, discovered, fetched, new_documents, failures, facts FROM runs "
        "WHERE run_id = ? ORDER BY site", [run_id]).fetchall()
    keys = ("discovered", "fetched", "new_documents", "failures", "facts")
    return {r[0]: dict(zip(keys, (r[1], r[2], r[3], json.loads(r[4] or "{}"), r[5]))) for r in rows}


def last_runs(con, limit: int = 5) -> list[tuple]:
    return con.execute(
        "SELECT run_id, site, started_at, discovered, fetched, new_documents, failures, facts, status "
        "FROM runs WHERE run_id IN (SELECT DISTINCT run_id FROM runs ORDER BY run_id DESC LIMIT ?) "
        "ORDER BY run_id DESC, site",
        [limit],
    ).fetchall()


def yield_drops(con) -> list[tuple[str, str]]:
    """Sites whose last finished run stored no new document or no fact while an
    earlier one did, unless every discovery page of that run answered 304
    (nothing new was published: quiet, not broken). A run without extraction
    (`vnfacts crawl`, facts NULL) says nothing about facts."""
    rows = con.execute(
        "SELECT run_id, site, new_documents, facts, "
        "max(new_documents) OVER earlier, max(facts) OVER earlier, "
        "row_number() OVER (PARTITION BY site ORDER BY run_id DESC) FROM runs "
        "WHERE status = 'done' WINDOW earlier AS (PARTITION BY site ORDER BY run_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    ).fetchall()
    quiet = _quiet_runs(con)
    alerts = []
    for run_id, site, docs, facts, docs_before, facts_before, rank in rows:
        if rank != 1 or (run_id, site) in quiet:
            continue
        if (docs or 0) == 0 and (docs_before or 0) > 0:
            alerts.append((site, "new documents dropped to zero"))
        elif facts is not None and facts == 0 and (facts_before or 0) > 0:
            alerts.append((site, "facts dropped to zero"))
    return sorted(alerts)


def _quiet_runs(con) -> set[tuple[str, str]]:
    """(run_id, site) whose feeds, sitemaps and listing pages all answered 304."""
    rows = con.execute(
        "SELECT fetched_run, site FROM crawl_urls WHERE kind IN ('feed', 'sitemap', 'listing') "
        "AND fetched_run IS NOT NULL GROUP BY ALL "
        "HAVING bool_and(status = 'fetched' AND http_status = 304)").fetchall()
    return {(run_id, site) for run_id, site in rows}


def extraction_versions(con, sites: list[str]) -> dict[str, str | None]:
    """id -> rules version of each document of these sites, noted before
    `extract_pending`, so `facts_extracted` can count the facts of the
    documents it (re)extracted. Kept by the caller, not in a temp table: the
    extraction opens the database per batch, and a temp table dies with its
    connection."""
    return dict(con.execute("SELECT id, extracted_version FROM documents WHERE list_contains(?, site)",
                            [sites]).fetchall())


def facts_extracted(con, before: dict[str, str | None]) -> dict[str, int]:
    """site -> facts of the documents extracted since `extraction_versions`,
    stored by this run or an earlier `vnfacts crawl`."""
    rows = con.execute(
        "SELECT d.site, count(f.doc) FROM documents d JOIN "
        "(SELECT unnest(?::TEXT[]) AS id, unnest(?::TEXT[]) AS version) b USING (id) "
        "LEFT JOIN facts f ON f.doc = d.id "
        "WHERE d.extracted_version IS DISTINCT FROM b.version GROUP BY d.site",
        [list(before), list(before.values())]).fetchall()
    return dict(rows)
