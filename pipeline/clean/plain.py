"""The fast path of the cleaner: a page whose main text is plain gets it
without trafilatura (issue 11: trafilatura was ~60% of the cleaning time).

Plain means: one parent holds the page's dominant group of <p> elements
(at least 60% of all <p> text), that parent holds nothing else with text
that trafilatura keeps (no headings, lists, tables, loose text), and no
paragraph holds a block or a link inside it. The text is then those
paragraphs, one a line, as trafilatura writes them: spaces collapsed, and
the paragraphs trafilatura discards as boilerplate (its own precision-mode
XPaths: class "author", "share", hidden ...) left out. Declined, and read by
trafilatura: a group inside a <table> (trafilatura with tables off drops
the table, and what it then reads is not the group), repeated paragraphs
(trafilatura drops some repeats, not all), a first paragraph repeating the
headline (trafilatura may read the <h1> too), links (it weighs link density).

Checked against trafilatura (clean_html(..., fast=False)) on the bundled
samples, both saved VnExpress pages, the test pages and 2,000 benchmark
pages: the Cleaned result is identical on all 2,017, and 1,553 take the
fast path (tests/test_clean.py compares the samples, saved and test pages
and 300 benchmark pages on every run). Not taken: the table-layout bench
template, three samples and both VnExpress pages (a <figure> among the
paragraphs), the two site fixtures (short bodies). On the table-layout
pages, whose text is all inside tables, trafilatura is not asked either
(all_in_tables): with tables off it reads nothing there.
"""
from __future__ import annotations

from lxml.etree import XPath
from trafilatura.xpaths import (
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    PRECISION_DISCARD_XPATH,
    REGEXP_NS,
    TEASER_DISCARD_XPATH,
)

from pipeline.clean.tree import squashed_text, text_of

# What trafilatura's precision mode prunes before it reads the text, asked of
# one element at a time (".//*[...]" becomes "self::*[...]"): only elements
# with one of the attributes they test (or a <header>) are asked at all.
_DISCARDS = tuple(XPath(x.path.strip().replace(".//", "self::", 1), namespaces={"re": REGEXP_NS})
                  for x in (*OVERALL_DISCARD_XPATH, *TEASER_DISCARD_XPATH, *PRECISION_DISCARD_XPATH,
                            *DISCARD_IMAGE_ELEMENTS))
_TESTED = frozenset(("class", "id", "style", "role", "aria-hidden", "data-lp-replacement-content", "data-component"))

# The dominant group must hold this share of all <p> text on the page (a
# second body part elsewhere, which trafilatura may join, disqualifies it).
DOMINANT_SHARE = 0.6
MIN_CHARS = 200
# Inside a paragraph these make it more than one line of text (trafilatura
# breaks lines there): such a page is not plain.
_INNER_BLOCKS = frozenset({"br", "div", "p", "ul", "ol", "li", "table", "tr", "td", "blockquote", "pre", "section",
                 "article", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "dl"})


def _groups(tree) -> tuple[dict, dict]:
    """parent -> [(p, its text)] of every <p> with text, and parent -> the
    characters of its group (summed here, once)."""
    groups: dict = {}
    sizes: dict = {}
    for p in tree.iter("p"):
        text = squashed_text(p)
        if text:
            parent = p.getparent()
            groups.setdefault(parent, []).append((p, text))
            sizes[parent] = sizes.get(parent, 0) + len(text)
    return groups, sizes


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


def _only_paragraphs(parent, members: set, dropped: set) -> bool:
    """The parent holds the group and nothing else with text that trafilatura keeps."""
    if not _blank(parent.text):
        return False
    for child in parent:
        if not _blank(child.tail):
            return False
        if child not in members and child not in dropped and not _blank(text_of(child)):
            return False
    return True


def _discarded(elements) -> set:
    """Those of the elements trafilatura drops as boilerplate: those with a
    non-empty tested attribute (or a <header>) asked. The attributes are read
    in one items() call, most often an empty list (3x faster than a get per
    tested name); the cache key is the tag and the tested (name, value) pairs."""
    found = set()
    for el in elements:
        tested = [item for item in el.items() if item[0] in _TESTED]
        tag = el.tag
        if (tag == "header" or any(value for _, value in tested)) and _is_discarded(el, (tag, *tested)):
            found.add(el)
    return found


# The XPaths read only an element's tag and these attributes: a page's
# paragraphs mostly share them (class="Normal"), so each is asked once.
_SEEN: dict[tuple, bool] = {}


def _is_discarded(el, key: tuple) -> bool:
    if key not in _SEEN:
        if len(_SEEN) > 10_000:
            _SEEN.clear()
        _SEEN[key] = any(xpath(el) for xpath in _DISCARDS)
    return _SEEN[key]


def plain_body(tree, title: str | None = None) -> str | None:
    """The main text of a plain page, one paragraph a line; None otherwise."""
    groups, sizes = _groups(tree)
    if not groups:
        return None
    parent = max(sizes, key=sizes.get)  # the first of the largest, as max over the groups
    group, chars, total = groups[parent], sizes[parent], sum(sizes.values())
    if chars < MIN_CHARS or chars < DOMINANT_SHARE * total or parent.tag in ("body", "html"):
        return None
    dropped = _discarded(parent)  # of its children: paragraphs and their siblings
    if not _only_paragraphs(parent, {p for p, _ in group}, dropped):
        return None
    inner = [el for p, _ in group if len(p) for el in p.iterdescendants()]  # most have no child
    if any(el.tag in _INNER_BLOCKS or el.tag == "a" for el in inner) or _discarded(inner):
        return None  # a link: trafilatura weighs link density, which this path does not
    texts = [text for p, text in group if p not in dropped]
    return "\n".join(texts) if _unambiguous(parent, texts, title) else None


def _unambiguous(parent, texts: list[str], title: str | None) -> bool:
    """Cases where trafilatura's reading is not simply the paragraphs:
    - inside a <table>: with tables off, trafilatura drops the whole table;
    - a paragraph repeating another: trafilatura drops some repeats, not all;
    - a first paragraph repeating the headline: trafilatura may read the
      <h1> too, and one of the two lines survives the title's removal."""
    if not texts or next(parent.iterancestors("table"), None) is not None:
        return False
    return len(set(texts)) == len(texts) and texts[0] != title


# Text outside every <table> and outside the <head> (which trafilatura drops
# too). normalize-space() keeps a no-break space as text: such a page is
# left to trafilatura.
_LOOSE_TEXT = XPath("boolean(//text()[not(ancestor::table or ancestor::head)][normalize-space()])")


def all_in_tables(tree) -> bool:
    """Every text of the page lies in a <table>: trafilatura with tables off
    deletes them all and reads nothing (precision mode keeps no baseline),
    so the cleaner can go straight to its fallback (the table-layout bench
    template, a fifth of the bench pages, took 1.3 ms in trafilatura)."""
    return not _LOOSE_TEXT(tree)
