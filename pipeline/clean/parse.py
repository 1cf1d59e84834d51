"""Bytes or text of a page -> a parsed lxml tree, binary input refused at
the door (clean/page.py reads the tree); a plain-text document's cleaning.
Split from page.py (issue 11): text documents need neither trafilatura nor
htmldate, which page.py imports (~0.2 s of start-up)."""
from __future__ import annotations

import re

import lxml.etree
import lxml.html

from pipeline.clean.furniture import tidy
from pipeline.lang.decode import DecodeError, decode_document


class CleanError(ValueError):
    """The input cannot give a clean text (binary, empty, no main text)."""


# Control bytes that mark binary data. Vertical tab and the file, group,
# record and unit separators (\x0b, \x1c-\x1f) are not among them: word
# processors and spreadsheets write them as line and field breaks in text
# (vntext.normalize turns them into newlines).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1b]")
_CONTROL_BYTES = bytes([*range(0x09), *range(0x0E, 0x1C)])
_CHECKED_CHARS, MAX_CONTROL = 4096, 8


def _check_text(text: str, utf8: bytes | None = None) -> None:
    """Refuse binary data: NULs, or more than MAX_CONTROL control characters
    in the first _CHECKED_CHARS. `utf8`: the bytes `text` was decoded from."""
    # U+0000 is the byte 0 in UTF-8 and in no other sequence: a memchr over the
    # bytes answers for the text
    if (b"\x00" in utf8) if utf8 is not None else ("\x00" in text):
        raise CleanError("binary input: NUL characters")
    if utf8 is not None and _few_control_bytes(utf8):
        return
    if len(_CONTROL_CHARS.findall(text, 0, _CHECKED_CHARS)) > MAX_CONTROL:
        raise CleanError("binary input: control characters")


def _few_control_bytes(utf8: bytes) -> bool:
    """At most MAX_CONTROL control bytes where the first _CHECKED_CHARS
    characters can lie (4 bytes each at most; the control characters are
    single bytes in UTF-8): then they hold no more either. Counted by
    bytes.translate, 10x faster than the regex over the text; and only
    when one of them is there at all (a memchr per control byte, a third of
    translate's time: most pages hold none)."""
    head = utf8[:4 * _CHECKED_CHARS]
    if not any(byte in head for byte in _CONTROL_BYTES):
        return True
    return len(head) - len(head.translate(None, _CONTROL_BYTES)) <= MAX_CONTROL


def clean_text(text: str) -> str:
    """A plain-text document minus furniture lines, spaces collapsed."""
    if isinstance(text, bytes):
        text = decode(text)
    _check_text(text)
    result = tidy(text, keep_blank=True)
    if not result:
        raise CleanError("no main text found")
    return result


def decode(data: bytes) -> str:
    """Bytes -> str by BOM, UTF-8, meta charset, then windows-1258."""
    return _decode(data)[0]


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return decode_document(data)
    except DecodeError as exc:
        raise CleanError(str(exc)) from exc


# --- HTML -----------------------------------------------------------------
def _html_parser() -> lxml.etree.HTMLParser:
    """lxml.html's parser, minus its per-element Python class lookup (form
    and input classes we never use): every element is an HtmlElement, which
    trafilatura and htmldate require, and parsing is ~5% faster."""
    parser = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=True)
    parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
    return parser


_PARSER = _html_parser()
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")


def _utf8(text: str) -> bytes | None:
    """The text as UTF-8; None for a lone surrogate (a JSON "\\ud800"), whose
    encoding error is raised where it was before, after the checks."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _parse(html: str | bytes) -> lxml.html.HtmlElement:
    text, encoding = _decode(html) if isinstance(html, bytes) else (html, None)
    # The checks read UTF-8 bytes (memchr, not a scan of the text): the
    # input's own when it is valid UTF-8, else the text's, which lxml gets too.
    utf8 = html if encoding == "utf-8" else _utf8(text)
    _check_text(text, utf8)
    if not text or text.isspace():
        raise CleanError("empty input")
    # lxml gets UTF-8 bytes and a fixed encoding: faster than a str, and
    # immune to a stale <meta charset>. Valid UTF-8 input is passed as is.
    if encoding != "utf-8" and (utf8 is None or _XML_DECL.match(text)):
        utf8 = _XML_DECL.sub("", text).encode("utf-8")
    data = utf8
    try:
        return lxml.html.document_fromstring(data, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise CleanError(f"unparsable HTML: {exc}") from exc
