"""From archived responses to stored documents.

Reads each fetched, not yet stored article from its WARC record (never the
network), decodes it, applies the site's selectors if it has any, and hands
the record to `ingest.ingest_records`. The document id comes from the
canonical URL, so one article is one document however it was reached.
"""
from __future__ import annotations

import contextlib
import time
from itertools import groupby, islice

import pipeline
from pipeline.crawl.archive import read_record
from pipeline.crawl.discover import (
    canonical_link,
    canonical_url,
    declared_canonical,
    doc_id,
    parse_date,
    parse_html,
)
from pipeline.crawl.sites import Site
from pipeline.lang.decode import decode_html
from pipeline.store import crawlstate as state
from pipeline.store import HeldConnection, session

# Archived articles read, cleaned and stored at a time (one transaction).
STORE_CHUNK = 50
BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "li", "blockquote", "tr", "table", "ul", "ol", "section", "figure", "figcaption"}


def build_record(site: Site, url: str, pointer: str) -> dict:
    """The ingest record of one archived article page."""
    response = read_record(pointer)
    html = decode_html(response.body, response.content_type, site.encoding)
    base = response.url or url
    tree = parse_html(html) if site.selectors else None  # without selectors only the canonical link is read
    canonical = canonical_link(tree, base) if tree is not None else declared_canonical(html, base)
    if not canonical or not site.owns(canonical):
        canonical = canonical_url(url)
    record = {"id": doc_id(site.name, site.doc_id, canonical), "url": canonical,
              "site": site.name, "province": site.province, "published": None,
              "title": None, "source": pointer}
    if site.selectors:
        record.update(apply_selectors(tree, site.selectors))
    else:
        record["html"] = html
    return record


def apply_selectors(tree, selectors: dict) -> dict:
    """title/published/text from the site's CSS selectors."""
    for junk in tree.xpath("//script|//style|//noscript"):
        junk.drop_tree()
    return {
        "title": _first_text(tree, selectors.get("title")),
        "published": _date(tree, selectors.get("date")),
        "text": body_text(tree, selectors["body"]),
    }


def _first_text(tree, css: str | None) -> str | None:
    nodes = tree.cssselect(css) if css else []
    text = " ".join(nodes[0].text_content().split()) if nodes else ""
    return text or None


def _date(tree, css: str | None) -> str | None:
    nodes = tree.cssselect(css) if css else []
    if not nodes:
        return None
    node = nodes[0]
    raw = node.get("datetime") or node.get("content") or node.text_content()
    found = parse_date(raw)
    return found.isoformat() if found else None


def body_text(tree, css: str) -> str:
    """One line per paragraph (block element or <br>) of the matched body elements."""
    lines = []
    for node in tree.cssselect(css):
        for el in node.iter():
            if el.tag in BLOCK_TAGS:
                el.text, el.tail = "\n" + (el.text or ""), "\n" + (el.tail or "")
        for line in node.text_content().split("\n"):
            line = " ".join(line.split())
            if line:
                lines.append(line)
    return "\n".join(lines)


def store_fetched(db, sites: dict[str, Site], run_id: str, stored_ids: set | None = None,
                  rows: list | None = None) -> dict[str, object]:
    """Ingest every fetched article not yet in documents (or those `rows` of
    state.unstored_articles); returns an IngestReport per site, and adds the
    ids of the documents it stored to `stored_ids`.

    `db` is a store.Database, held across chunks of STORE_CHUNK articles for
    up to store.HeldConnection's second (a `vnfacts query` gets in between;
    issue 9; a session per chunk checkpointed the file every 50 articles,
    ~14 ms each), or an open connection. A kill between a chunk's documents
    and its mark_stored is harmless: the next run stores the same documents
    again, unchanged, and marks them."""
    if rows is None:
        with session(db) as con:
            rows = state.unstored_articles(con, list(sites))
    reports: dict = {}
    with contextlib.closing(HeldConnection(db)) as held:
        for chunk in batched(rows, STORE_CHUNK):
            started = time.monotonic()
            ids = store_chunk(held.connection(), sites, chunk, run_id, reports)
            held.release_if_due(next_work=time.monotonic() - started)
            if stored_ids is not None:
                stored_ids.update(ids)
    return reports


def store_chunk(db, sites: dict[str, Site], rows: list, run_id: str, reports: dict) -> list[str]:
    """Up to STORE_CHUNK articles of any of the sites: read from the archive
    first, then cleaned, stored and marked in one session (`db`: an open
    connection or a store.Database), not two per site: a run that stores as
    the pages come in has few pages per site each time."""
    built = []
    for name, group in groupby(rows, key=lambda row: row[1]):
        report = reports.setdefault(name, pipeline.IngestReport())
        built.append((name, report, *archived_records(sites[name], group, report)))
    stored = [pair for *_, pairs in built for pair in pairs]
    with session(db) as con:
        for name, report, records, _ in built:
            pipeline.ingest_records(con, records, source=f"crawl:{name}", report=report)
        state.mark_stored(con, stored, run_id)
    return [doc for _, doc in stored]


def archived_records(site: Site, rows, report) -> tuple[list[dict], list[tuple[str, str]]]:
    """The ingest records of archived articles (url, site, pointer), and (url, doc id) of each."""
    records, stored = [], []
    for url, _, pointer in rows:
        try:
            record = build_record(site, url, pointer)
        except (OSError, ValueError, StopIteration) as error:
            report.errors.append(f"{pointer}: cannot read archived page: {error}")
            continue
        records.append(record)
        stored.append((url, record["id"]))
    return records, stored


def batched(items, size: int):
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk
