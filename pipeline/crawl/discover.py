"""Finding article URLs: canonical URLs, feeds, sitemaps, listing pages.

Pure functions over bytes/text, no network, so each is testable alone.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html

from pipeline.lang.dates import DATE_RE, parse_vn_date

# Query parameters that only say where a reader came from.
TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|zarsrc|zalo_\w+|_ga|_gl|mc_cid|mc_eid|"
    r"igshid|ref|ref_src|source|share|from|cmpid|gidzl|srsltid|at_\w+)$", re.I)
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
ELEMENT = re.compile(rb"<[A-Za-z]")
MAX_ID = 200      # characters of a document id
MAX_SLUG = 120    # a longer last URL segment is cut and made unique by the URL hash


def canonical_url(url: str, base: str | None = None) -> str:
    """One spelling per page: absolute, no fragment, no tracking parameters,
    lower-case scheme and host, no default port, sorted query."""
    parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not TRACKING.match(k))
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def doc_id(site_name: str, template: str, url: str) -> str:
    """Document id from the canonical URL: by default <site>-<last segment sans extension>."""
    slug = PurePosixPath(urlsplit(url).path).stem
    slug = re.sub(r"[^\w.-]+", "-", slug, flags=re.ASCII).strip("-")
    digest = hashlib.sha1(url.encode()).hexdigest()[:12]
    if len(slug) > MAX_SLUG:
        slug = f"{slug[:MAX_SLUG - 13]}-{digest}"
    made = template.format(site=site_name, slug=slug or digest, hash=digest)
    return made if len(made) <= MAX_ID else f"{made[:MAX_ID - 13]}-{digest}"


def parse_date(text: str | None) -> date | None:
    """A date from RSS (RFC 822), ISO 8601, or Vietnamese day-first forms."""
    text = (text or "").strip()
    if not text:
        return None
    for parse in (_rfc822, _iso, parse_vn_date):
        try:
            found = parse(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            found = None
        if found:
            return found
    match = DATE_RE.search(text)  # a date inside words: "Cập nhật ngày: 02/04/2025"
    return parse_vn_date(match.group(0)) if match else None


def _rfc822(text: str) -> date | None:
    return parsedate_to_datetime(text).date() if re.search(r"[A-Za-z]{3}", text) else None


def _iso(text: str) -> date | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


class XmlRejected(ValueError):
    """A feed or sitemap that cannot be read, with a short reason for the state table."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _inflated(body: bytes, cap: int = MAX_SITEMAP_BYTES, chunk: int = 1 << 20):
    """The body in pieces, gunzipped while streaming if it is gzip (a .xml.gz served
    without Content-Encoding); stops with XmlRejected past `cap` inflated bytes."""
    if body[:2] != b"\x1f\x8b":
        yield body
        return
    total, data = 0, body
    while data[:2] == b"\x1f\x8b":  # each gzip member in turn
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while data and not inflater.eof:
            try:
                piece = inflater.decompress(data, chunk)
            except zlib.error:
                raise XmlRejected("bad_gzip") from None
            data = inflater.unconsumed_tail
            total += len(piece)
            if total > cap:
                raise XmlRejected("too_large:inflated")
            yield piece
        data = inflater.unused_data


def _without_doctype(head: bytes) -> bytes:
    """The document without its DOCTYPE: entity declarations are neither
    expanded nor allowed to make libxml2 give up on the items after them."""
    found = DOCTYPE.search(head, 0, 4096)
    if found is None or ELEMENT.search(head, 0, found.start()):
        return head  # none, or not in the prologue (inside a CDATA section, say)
    start = found.start()
    depth, quote, i = 0, None, start + 9
    while i < len(head):
        ch = head[i:i + 1]
        if quote:
            quote = None if ch == quote else quote
        elif ch in (b'"', b"'"):
            quote = ch
        elif ch == b"[":
            depth += 1
        elif ch == b"]":
            depth -= 1
        elif ch == b">" and depth <= 0:
            return head[:start] + head[i + 1:]
        i += 1
    raise XmlRejected("doctype_too_large")


def _xml_events(body: bytes):
    """(event, element) of a feed or sitemap, streamed: ("start", root) first, then
    ("end", el) of each element. Raises XmlRejected if nothing in it is XML."""
    parser = etree.XMLPullParser(events=("start", "end"), recover=True, resolve_entities=False,
                                 no_network=True, huge_tree=False, load_dtd=False)
    pieces = _inflated(body)
    head = b""
    for piece in pieces:  # the prologue, DOCTYPE included, is in the first 64 KiB
        head += piece
        if len(head) >= 65536:
            break
    parser.feed(_without_doctype(head.lstrip()))
    yield from parser.read_events()
    for piece in pieces:
        parser.feed(piece)
        yield from parser.read_events()
    try:
        parser.close()
    except etree.XMLSyntaxError:
        pass
    yield from parser.read_events()


FEED_ROOTS = ("rss", "feed", "rdf", "channel")
SITEMAP_ROOTS = ("urlset", "sitemapindex")


def _elements(body: bytes, names: tuple[str, ...], roots: tuple[str, ...]):
    """(root's local name, element) for each element named in `names`, each
    dropped from the tree once used so memory stays bounded. A document with
    another root (an HTML error page) is rejected, not read as 0 items."""
    root = None
    for event, el in _xml_events(body):
        if event == "start":
            root = root if root is not None else _local(el)
            continue
        if _local(el) in names:
            yield root, el
            el.clear()
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
    if root is None:  # not XML at all (binary junk)
        raise XmlRejected("not_xml")
    if root not in roots:
        raise XmlRejected(f"unexpected_root:{root[:30]}")


def _local(el) -> str:
    return etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""


def _child_text(el, *names: str) -> str | None:
    for child in el:
        if _local(child) in names and (child.text or "").strip():
            return child.text.strip()
    return None


def parse_feed(body: bytes, base: str) -> list[tuple[str, date | None]]:
    """(url, date) of each item of an RSS or Atom feed."""
    found = []
    for _, item in _elements(body, ("item", "entry"), FEED_ROOTS):
        link = _item_link(item)
        when = _child_text(item, "pubdate", "published", "updated", "date", "issued")
        if link:
            found.append((canonical_url(link, base), parse_date(when)))
    return found


def _item_link(item) -> str | None:
    for child in item:
        if _local(child) == "link":
            href = child.get("href")
            if href and child.get("rel", "alternate") == "alternate":
                return href
            if not href and (child.text or "").strip():
                return child.text.strip()
    guid = next((c for c in item if _local(c) == "guid"), None)
    if guid is not None and guid.get("isPermaLink", "true") == "true":
        return (guid.text or "").strip() or None
    return None


def parse_sitemap(body: bytes, base: str) -> tuple[str, list[tuple[str, date | None]]]:
    """('index', child sitemaps) or ('urlset', pages), each with its lastmod
    or news publication date."""
    kind, entries = "urlset", []
    for root, el in _elements(body, ("sitemap", "url"), SITEMAP_ROOTS):
        kind = "index" if root == "sitemapindex" else "urlset"
        loc = _child_text(el, "loc")
        if loc:
            entries.append((canonical_url(loc, base), parse_date(_entry_date(el))))
    return kind, entries


def _entry_date(el) -> str | None:
    for node in el.iter():
        if _local(node) in ("publication_date", "lastmod") and (node.text or "").strip():
            return node.text.strip()
    return None


def parse_html(text: str):
    try:
        return lxml_html.fromstring(text or "<html/>")
    except (etree.ParserError, ValueError):
        return lxml_html.fromstring("<html/>")


def page_links(tree, base: str) -> list[str]:
    """Canonical URLs of every http(s) link of a page, in page order."""
    urls = []
    for href in tree.xpath("//a/@href"):
        if href.strip().lower().startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = canonical_url(href, base)
        if url.startswith(("http://", "https://")):
            urls.append(url)
    return list(dict.fromkeys(urls))


def next_pages(tree, base: str, next_page: str | None, page: int) -> list[str]:
    """The following listing page: a URL template with {page}, or a CSS selector for the link."""
    if not next_page:
        return []
    if "{page}" in next_page:
        return [canonical_url(next_page.format(page=page + 1), base)]
    try:
        links = tree.cssselect(next_page)
    except Exception:  # cssselect raises its own SelectorError types
        return []
    hrefs = [a.get("href") for a in links if a.get("href")]
    return [canonical_url(h, base) for h in hrefs[:1]]


def canonical_link(tree, base: str) -> str | None:
    hrefs = tree.xpath("//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href")
    return canonical_url(hrefs[0], base) if hrefs and hrefs[0].strip() else None


def read_source(kind: str, body: bytes, text: str, base: str, next_page: str | None,
                page: int) -> tuple[str, list, list[str]]:
    """All the parsing of one feed, sitemap or listing page, in one call (the
    spider runs it in a thread): (what it is, [(url, date)], following pages).
    What it is: "feed", "urlset", "index" (of sitemaps) or "listing"."""
    if kind == "feed":
        return "feed", parse_feed(body, base), []
    if kind == "sitemap":
        found, entries = parse_sitemap(body, base)
        return found, entries, []
    tree = parse_html(text)
    return "listing", [(u, None) for u in page_links(tree, base)], next_pages(tree, base, next_page, page)


def read_article(text: str, base: str) -> str | None:
    """The canonical link an article page declares (lxml, run in a thread)."""
    return declared_canonical(text, base)


_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_CANONICAL = re.compile("canonical", re.IGNORECASE)


def declared_canonical(text: str, base: str) -> str | None:
    """canonical_link of the page, read from the page up to its </head> when
    that holds one and nothing after it names one: the head parses in a
    fraction of the page's time (issue 11). Any other page is parsed whole."""
    end = _HEAD_END.search(text or "")
    if end:
        found = canonical_link(parse_html(text[:end.end()]), base)
        if found or not _CANONICAL.search(text, end.end()):
            return found
    return canonical_link(parse_html(text), base)
