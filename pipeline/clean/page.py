"""HTML or plain text -> the clean text facts are read from.

`clean_html` parses a page ONCE with lxml and hands that tree to htmldate
(date) and trafilatura (main text); title, site and description come from
the same tree by XPath. BeautifulSoup is not used: a second parse would
cost more than everything else together (STACK.md: 446 docs/s for the
parse alone). Neither library is given a string, so neither can mistake
it for a URL and fetch it: no network, ever.

Measured on shared/data/html/vnexpress.net_4672302.html (222 KB; one
shared core with other jobs running, so +-20%):
  lxml parse (bytes, fixed utf-8)  0.5 ms   (trafilatura.load_html 1.4-1.7)
  htmldate.find_date on our tree   0.04 ms  (on the string: 1.0 ms)
  trafilatura.extract on our tree  fast+precision 2.3 ms, fast 3.5 ms,
                                   default 4.6 ms; on the string +1.5 ms
  clean_html end to end            ~255 docs/s (bytes or str input)
  pipeline.bench.pages.wrap_article pages (400 VNTC articles, 14 KB avg): ~580
  docs/s, every paragraph kept, no listed furniture, titles exact.
Every trafilatura setting found 10/10 gold paragraphs on VnExpress, so
fast=True + favor_precision=True (half the time). include_tables=False:
on a table-layout portal page tables=True glued all paragraphs into one
"| ... |" row with the menus and footer. Precision then returns nothing
there; the fallback (largest <p> group) gives the clean body.

Furniture removal works on whole lines only, so body sentences are never
cut. Unicode/tone normalization is NOT done here (pipeline.lang.vntext does).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import htmldate
import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import Extractor

from pipeline.clean.caches import page_cleaned
from pipeline.clean.furniture import (
    FURNITURE_PATTERNS,
    SPACES,
    drop_byline,
    is_furniture,
    tidy,
)
from pipeline.clean.parse import CleanError, _parse, clean_text, decode
from pipeline.clean.plain import all_in_tables, plain_body
from pipeline.clean.tree import nonblank_texts_after, squashed_text
from pipeline.lang.dates import HEADER_CHARS, find_published_date


@dataclass(frozen=True)
class Cleaned:
    text: str
    title: str | None = None
    published: date | None = None
    site: str | None = None
    description: str | None = None


# trafilatura logs "discarding data" whenever precision mode finds nothing;
# clean_html falls back to other readings then, so that is not news.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
_NEVER_TEXT = ("script", "style", "noscript", "template", "nav", "footer", "aside", "form", "iframe", "svg")


_CANONICAL = lxml.etree.XPath('//link[@rel="canonical"]/@href')
_LEAD_TAGS = ("p", "h2", "div", "span")


def _elements(tree) -> dict[str, list]:
    """<meta>, <h1> and the lead's candidates ("lead": p, h2, div, span
    whose class holds one of _LEAD_CLASS's words), each in document order,
    from one walk in C: three walks (two of them XPaths, slower than lxml's
    iter) cost 0.1 ms a page more (issue 11)."""
    metas, h1s, leads = [], [], []
    for el in tree.iter("meta", "h1", *_LEAD_TAGS):
        tag = el.tag
        if tag == "meta":
            metas.append(el)
        elif tag == "h1":
            h1s.append(el)
        elif _lead_word(el.get("class")):
            leads.append(el)
    return {"meta": metas, "h1": h1s, "lead": leads}


def _metas(metas: list) -> dict[str, str]:
    """<meta> property or name -> its first non-blank content (one pass)."""
    found: dict[str, str] = {}
    for el in metas:
        content = el.get("content")
        if content is None:
            continue
        # SPACES changes nothing in a printable text without double spaces
        # (every other whitespace character is unprintable): skip the scan.
        content = (content if content.isprintable() and "  " not in content else SPACES.sub(" ", content)).strip()
        for key in (el.get("property"), el.get("name")):
            if key and content:
                found.setdefault(key, content)
    return found


def _meta(metas: dict[str, str], *keys: str) -> str | None:
    return next((metas[key] for key in keys if key in metas), None)


_SUFFIX = re.compile(r"\s+[-|–]\s+([^-|–]{2,40})$")


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _strip_site_suffix(text: str, site: str | None) -> str:
    """Drop " - VnExpress" / " | Báo Bạc Liêu" when it names the site.

    With no site known any short last segment goes (titles only).
    """
    m = _SUFFIX.search(text)
    if not m:
        return text
    suffix, name = _squash(m.group(1)), _squash(site or "")
    if not name or (suffix and (suffix in name or name in suffix)):
        return text[: m.start()].strip()
    return text


def _title(tree, h1s: list, metas: dict, site: str | None) -> str | None:
    """h1 wins when it looks like a headline; else og:title, else <title>."""
    og = _meta(metas, "og:title", "twitter:title")
    # Under 3 words an h1 is usually the site logo ("Báo Bạc Liêu").
    h1s = [t for t in map(squashed_text, h1s) if len(t.split()) >= 3]
    matching = [h for h in h1s if og and (h in og or og in h)]
    if matching or h1s:
        return max(matching or h1s, key=len)
    page_title = tree.findtext(".//title")
    fallback = og or (page_title.strip() if page_title else None)
    return _strip_site_suffix(SPACES.sub(" ", fallback), site) if fallback else None


def _host(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url and "//" in url else None
    return host[4:] if host and host.startswith("www.") else host


def _site(tree, metas: dict, url: str | None) -> str | None:
    return (_meta(metas, "og:site_name") or _host(url)
            or _host(_meta(metas, "og:url")) or _host(_canonical(tree)))


def _canonical(tree) -> str | None:
    """Read last, when nothing else names the site (the XPath walks the page)."""
    found = _CANONICAL(tree)
    return found[0] if found else None


def _markup_date(tree, url: str | None) -> date | None:
    # extensive_search=False: htmldate's free-text guesses read "06/05/2019"
    # month first and pick up copyright years; our own reader of the
    # printed dateline (dates.find_published_date) does that part better.
    found = htmldate.find_date(tree, url=url, original_date=True, extensive_search=False,
                               outputformat="%Y-%m-%d")
    return date.fromisoformat(found) if found else None


def _extractor(precision: bool) -> Extractor:
    return Extractor(fast=True, precision=precision, recall=not precision, comments=False,
                     tables=False, images=False, links=False, dedup=False)


# Built once: trafilatura.extract(...) with keyword settings builds one per
# call, reading its config file (~0.1 ms a page). No URL: links are off and
# metadata is not extracted, so trafilatura never uses it.
_EXTRACTORS = {True: _extractor(True), False: _extractor(False)}


def _extract(tree, url: str | None, precision: bool) -> str:
    return trafilatura.extract(tree, options=_EXTRACTORS[precision]) or ""


def _main_body(tree, url: str | None, title: str | None, fast: bool) -> str:
    """The body, tidied: a plain page's paragraphs (clean/plain.py), else
    trafilatura's reading ("" without asking it when all text is in tables:
    what it reads there)."""
    if fast:
        plain = plain_body(tree, title)
        if plain is not None:
            return _body(plain, title, collapsed=True)
        if all_in_tables(tree):
            return ""
    return _body(_extract(tree, url, precision=True), title)


def _body(raw: str, title: str | None, collapsed: bool = False) -> str:
    """collapsed: raw is squashed texts (tree.squashed_text), one a line."""
    return tidy(_drop_title_line(raw, title), keep_blank=False, datelines=True, collapsed=collapsed)


def _fallback_text(tree, url: str | None, title: str | None) -> str:
    """Precision mode returns nothing on table-layout portals.

    The biggest <p> group is then cleaner than a recall pass (which took a
    sidebar link on our test page); recall is kept for <p>-less pages.
    The tree is clean_html's, stripped of _NEVER_TEXT already (scripts,
    styles, nav, aside, footer, form: trafilatura reads a copy), so nothing
    is stripped here again.
    """
    p_block = _body(_largest_p_block(tree), title, collapsed=True)
    if len(p_block) >= MIN_P_BLOCK_CHARS:
        return p_block
    recall = _body(_extract(tree, url, precision=False), title)
    # Recall happily returns a lone menu ("Trang chủ"): demand one sentence.
    return recall if _has_sentence(recall) else p_block


def _has_sentence(text: str) -> bool:
    return any(len(line.split()) >= MIN_SENTENCE_WORDS for line in text.splitlines())


_BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
           "section", "article", "header", "footer", "table", "ul", "ol", "dd", "dt",
           "blockquote")
# A space after inline elements keeps "<span>12/08/2022</span><span>17:14</span>"
# from gluing into one unreadable token.
_INLINES = ("span", "a", "time", "b", "strong", "em", "i", "font", "small", "label")


def _visible_lines(tree) -> str:
    """Page text, one block per line; mutates the tree (call it last)."""
    for el in tree.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "")
    for el in tree.iter(*_INLINES):
        el.tail = " " + (el.tail or "")
    body = tree.find("body")
    return (body if body is not None else tree).text_content()


MIN_P_BLOCK_CHARS = 200
MIN_SENTENCE_WORDS = 5


def _largest_p_block(tree) -> str:
    """Fallback body: the <p> children of the parent holding the most <p> text."""
    groups: dict = {}
    for p in tree.iter("p"):
        text = squashed_text(p)
        if text:
            groups.setdefault(p.getparent(), []).append(text)
    if not groups:
        return ""
    return "\n".join(max(groups.values(), key=lambda ps: sum(map(len, ps))))


def _printed_date(page_text: str, title: str | None) -> date | None:
    """Dateline near the title: the page header before it is mostly menus."""
    start = page_text.find(title) if title else -1
    window = page_text[max(start, 0):] if start >= 0 else page_text
    return find_published_date(window) or (find_published_date(page_text) if start >= 0 else None)


def _visible_page(tree) -> str:
    """(The tree holds no script or style: clean_html stripped _NEVER_TEXT.)"""
    return tidy(_visible_lines(tree), keep_blank=False)


def _dateline_after_title(tree, title: str | None) -> date | None:
    """The date printed in the first lines after the headline (<h1>)."""
    headline = next((h for h in tree.iter("h1") if title and squashed_text(h) == title), None)
    if headline is None:
        return None
    window, nfc = _window_after(headline)
    return find_published_date(window, nfc=nfc)


DATELINE_TEXTS = 15


def _lines_after(headline) -> str:
    return _window_after(headline)[0]


def _window_after(headline) -> tuple[str, bool]:
    """The DATELINE_TEXTS texts after the headline, stripped, one a line; or
    the first of them once they fill find_published_date's window (its first
    HEADER_CHARS characters of the NFC text) and are NFC: a newline is a
    boundary NFC never crosses, so the rest cannot change the window. Most
    pages stop at 5-6 of the 15 paragraphs (issue 11). And whether every
    line is NFC (then so is the whole: find_published_date need not ask)."""
    lines, size, nfc = [], -1, True
    for text in nonblank_texts_after(headline):
        line = text.strip()
        lines.append(line)
        size += len(line) + 1
        nfc = nfc and (line.isascii() or unicodedata.is_normalized("NFC", line))
        if (nfc and size >= HEADER_CHARS) or len(lines) == DATELINE_TEXTS:
            break
    return "\n".join(lines), nfc


def _drop_title_line(text: str, title: str | None) -> str:
    first, _, rest = text.partition("\n")
    return rest if title and first.strip() == title else text


def clean_html(html: str | bytes, url: str | None = None, fast: bool = True) -> Cleaned:
    """Main text, title, publication date, site and description of a page.
    fast=False reads every page with trafilatura (the fast path's reference)."""
    page_cleaned()
    tree = _parse(html)
    elements = _elements(tree)
    metas = _metas(elements["meta"])
    site = _site(tree, metas, url)
    title = _title(tree, elements["h1"], metas, site)
    description = _meta(metas, "description", "og:description")
    description = _strip_site_suffix(description, site) if description and site else description
    lead = _lead(elements["lead"], description)
    # From here on the libraries are done: fallbacks may edit the tree.
    # Elements trafilatura would discard anyway go first, in C: the same
    # text, ~25% faster on the benchmark pages.
    lxml.etree.strip_elements(tree, *_NEVER_TEXT, with_tail=False)
    text = _main_body(tree, url, title, fast) or _fallback_text(tree, url, title)
    # The dateline printed after the headline beats htmldate, which without
    # meta tags takes the site header's "today" for the publication date.
    published = _dateline_after_title(tree, title) or _markup_date(tree, url)
    if published is None:
        published = _printed_date(_visible_page(tree), title)
    text = _with_lead(lead, drop_byline(text))
    if not text:
        raise CleanError("no main text found")
    return Cleaned(text=text, title=title, published=published, site=site, description=lead or description)


# The lead (sapo) as the page prints it, where headline figures usually
# stand: trafilatura leaves VnExpress's <p class="description"> out of the
# body, and a <meta> description may be cut or be the site's slogan.
# Checked in Python, class first: the same elements as the XPath
# //*[self::p or self::h2 or self::div or self::span][not(ancestor::nav or
# ancestor::footer or ancestor::aside)][class token "description" or "lead",
# or class containing "sapo" or "detail__summary"], in a fifth of the time.
_LEAD_CLASS = re.compile(r"(?:^|\s)(?:description|lead)(?:\s|$)|sapo|detail__summary")
_NOT_LEAD_ANCESTORS = {"nav", "footer", "aside"}


def _lead_word(value: str | None) -> bool:
    """The class holds a word _LEAD_CLASS needs (plain substring tests, a
    fifth of the regex's cost on ~50 classes a page)."""
    return bool(value) and ("description" in value or "lead" in value or "sapo" in value
                            or "detail__summary" in value)


def _lead_class(value: str | None) -> bool:
    """_LEAD_CLASS matches; asked only of classes holding one of its words."""
    return _lead_word(value) and _LEAD_CLASS.search(value) is not None


def _lead_elements(candidates: list) -> list:
    return [el for el in candidates if _lead_class(el.get("class"))
            and not any(a.tag in _NOT_LEAD_ANCESTORS for a in el.iterancestors())]


MIN_LEAD_WORDS = 8


def _lead(candidates: list, description: str | None) -> str | None:
    """The printed lead: the one the meta description starts like, else the
    first (candidates: the p, h2, div and span elements whose class holds a
    lead word, in document order)."""
    leads = [t for t in map(squashed_text, _lead_elements(candidates)) if len(t.split()) >= MIN_LEAD_WORDS]
    if not leads:
        return None  # (before squashing the description: its regex was most of the cost)
    probe = _squash(description or "")[:40]
    same = [t for t in leads if probe and _squash(t).startswith(probe)]
    return (same or leads or [None])[0]


def _with_lead(lead: str | None, body: str) -> str:
    if not lead or _squash(lead)[:60] in _squash(body[:len(lead) * 2 + 200]):
        return body
    return lead + "\n" + body if body else lead


__all__ = [
    "FURNITURE_PATTERNS",
    "CleanError",
    "Cleaned",
    "clean_html",
    "clean_text",
    "decode",
    "is_furniture",
]
