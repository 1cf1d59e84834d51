"""Walks over a parsed page that XPath makes slow (issue 11: the headline's
`following::text()` walked the whole rest of the page for 15 lines)."""
from __future__ import annotations

from itertools import islice

from pipeline.lang.vntext import collapse_spaces

_XML_SPACE = " \t\r\n"  # what XPath's normalize-space() removes


def text_of(element) -> str:
    """element.text_content(): for an element without children (no element,
    comment or PI) that is its own text, read without an XPath call, twice
    as fast; most paragraphs are such."""
    return (element.text or "") if len(element) == 0 else element.text_content()


def squashed_text(element) -> str:
    """The element's text, runs of whitespace as one space (text_of and
    collapse_spaces in one call: the cleaner asks it of every paragraph)."""
    return collapse_spaces((element.text or "") if len(element) == 0 else element.text_content())


def texts_after(element, limit: int) -> list[str]:
    """The first `limit` non-blank text nodes after the element's end, in
    document order: XPath following::text()[normalize-space()][position() <=
    limit], stopping as soon as they are found. (The cleaner calls it once
    scripts and styles are stripped, so no text here is a script's.)"""
    return list(islice(nonblank_texts_after(element), limit))


def nonblank_texts_after(element):
    """The non-blank text nodes after the element's end, in document order,
    lazily: the element's tail, then each following sibling's text (its own,
    its descendants' and their tails) and tail; then the same from the
    parent. One generator with the test inline: the cleaner reads ~15 texts
    a page through it, and each layer of generators cost ~1 us a text."""
    node = element
    while node is not None:
        tail = node.tail
        if tail and tail.strip(_XML_SPACE):
            yield tail
        for sibling in node.itersiblings():
            for text in sibling.itertext():
                if text.strip(_XML_SPACE):
                    yield text
            tail = sibling.tail
            if tail and tail.strip(_XML_SPACE):
                yield tail
        node = node.getparent()
