"""Turn the bytes of a Vietnamese page into NFC text, keeping what decodes.

Order of evidence: byte-order mark, the site file's `encoding`, UTF-16
without a BOM (NULs at one byte of each pair), then a validity test:
valid UTF-8 is UTF-8 whatever the page declares (Vietnamese sites often
declare iso-8859-1 and send UTF-8), and so is UTF-8 cut off mid-letter or
with a few stray bytes (decoded with U+FFFD for those bytes, never read as
windows-1258 mojibake). Only bytes that are not UTF-8 at all are legacy
text: the declared charset, scored letter by letter against windows-1258
(sites also send Windows-1258 declared as UTF-8). The cheap tests come
first: scoring runs only for legacy pages (issue 11).
"""
from __future__ import annotations

import codecs
import re
import unicodedata

# Decoded after the BOM is cut off, so UTF-16 needs its byte order named.
BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
# Letters only Vietnamese uses, after NFC (d-stroke, horn and breve vowels, tone marks).
VIETNAMESE = set("ăâđêôơưĂÂĐÊÔƠƯ") | {
    c for c in (unicodedata.normalize("NFC", base + mark)
                for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
                for mark in "\u0300\u0301\u0303\u0309\u0323") if len(c) == 1
}
# Sequences that appear when UTF-8 is read as a single-byte charset.
MOJIBAKE = re.compile("[ÃÄÆáºá»]|Ä‘|Æ°|â€")
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


class DecodeError(ValueError):
    """The bytes are not text in any encoding tried."""


# UTF-8 cut off or with stray bytes stays UTF-8 while its valid multi-byte
# letters outnumber the undecodable bytes this many times: legacy Vietnamese
# text (windows-1258) has almost no valid UTF-8 sequence and an invalid one
# at nearly every accented letter.
UTF8_MARGIN = 4
SNIFF = 4096  # bytes looked at to recognise UTF-16 without a BOM


def decode_document(data: bytes) -> tuple[str, str]:
    """Bytes of an ingested document -> (text, encoding), cheaply: BOM, UTF-16
    without BOM, UTF-8, the meta charset, windows-1258. UTF-8 goes before the
    declared charset: valid UTF-8 with Vietnamese letters is practically never
    legacy text, while templates often declare iso-8859-1 and serve UTF-8
    (latin-1 would "decode" anything). The encoding is "utf-8" only for
    valid UTF-8 (cleaning hands such bytes to lxml as they are). Crawled
    pages, whose HTTP header is known, go through decode_html instead."""
    found = _by_bom(data) or _by_utf16(data)
    if found:
        return found
    if b"\x00" in data:
        raise DecodeError("binary input: NUL bytes")
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    found = _by_utf8_lossy(data)
    if found:
        return found
    for name in dict.fromkeys([charset_from_meta(data) or "cp1258", "cp1258"]):
        text = _strict(data, name)
        if text is not None:
            return text, name
    return _lossy(data, "cp1258"), "cp1258 (undecodable bytes replaced)"


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _lossy(data: bytes, encoding: str) -> str:
    """What is decodable, with U+FFFD where a byte is not; an incomplete last
    character (a file cut off mid-letter) is dropped, not replaced."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    return decoder.decode(data, final=False)


def _by_bom(data: bytes) -> tuple[str, str] | None:
    for bom, name in BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            text = _strict(body, name)
            return (text, name) if text is not None else (_lossy(body, name), f"{name} (lossy)")
    return None


def utf16_order(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for UTF-16 without a BOM: in HTML and
    Vietnamese text most characters are ASCII, so one byte of most pairs is
    NUL, always the same one; binary files (PNG, ZIP) have NULs at both."""
    head = data[:SNIFF - SNIFF % 2]
    pairs = len(head) // 2
    if pairs < 16 or 0 not in head:  # no NUL: neither order (one test in C, not two slices)
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.4 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.4 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def _by_utf16(data: bytes) -> tuple[str, str] | None:
    name = utf16_order(data)
    if name is None:
        return None
    text = _strict(data, name)
    text = text if text is not None else _lossy(data, name)
    return (text, name) if "\x00" not in text else None


def _by_utf8_lossy(data: bytes) -> tuple[str, str] | None:
    """UTF-8 with a cut tail or a few stray bytes: what decodes, never the
    mojibake a single-byte charset makes of it."""
    text = _lossy(data, "utf-8")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    multibyte = len(data) - len(text)  # bytes saved by valid 2-4 byte characters
    if bad == 0 or multibyte >= UTF8_MARGIN * bad:
        return text, "utf-8 (lossy)"
    return None


def charset_from_header(content_type: str | None) -> str | None:
    match = HEADER_CHARSET.search(content_type or "")
    return _codec(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    match = META_CHARSET.search(body[:4096])
    return _codec(match.group(1).decode("ascii", "ignore")) if match else None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def score(text: str) -> float:
    """How much the text looks like Vietnamese: share of Vietnamese letters minus junk."""
    letters = sum(c.isalpha() for c in text) or 1
    good = sum(c in VIETNAMESE for c in text)
    bad = len(MOJIBAKE.findall(text)) + text.count("\ufffd") + sum(map(_foreign, text))
    return (good - 3 * bad) / letters


def _foreign(char: str) -> bool:
    """Non-ASCII letters Vietnamese does not use, stray combining marks, control bytes."""
    if char.isascii():
        return not char.isprintable() and char not in "\n\r\t"
    category = unicodedata.category(char)
    return (char.isalpha() and char not in VIETNAMESE) or category in ("Mn", "Cc", "Co")


def decode_html(body: bytes, content_type: str | None = None, override: str | None = None) -> str:
    """Decoded, NFC-normalized page text. Cheap tests decide almost every page
    (BOM, the site's own encoding, UTF-16, valid or nearly valid UTF-8); only
    a legacy page whose declared single-byte charset decodes is scored
    letter by letter against windows-1258."""
    if override and not body.startswith(tuple(b for b, _ in BOMS)):
        return unicodedata.normalize("NFC", _lossy(body, override))
    found = _by_bom(body) or _by_utf16(body)
    text = found[0] if found else _strict(body, "utf-8")
    if text is None:
        found = _by_utf8_lossy(body)
        text = found[0] if found else _legacy(body, content_type)
    return unicodedata.normalize("NFC", text)


def _legacy(body: bytes, content_type: str | None) -> str:
    """Not UTF-8: the declared charset unless windows-1258 reads clearly better."""
    declared = [e for e in (charset_from_header(content_type), charset_from_meta(body)) if e and e != "utf-8"]
    candidates = list(dict.fromkeys(declared + ["cp1258"]))
    decoded = {e: t for e in candidates if (t := _try(body, e)) is not None}
    if not decoded:
        return _lossy(body, "cp1258")
    if len(decoded) == 1:
        return next(iter(decoded.values()))
    scores = {e: score(t) for e, t in decoded.items()}
    first = next(e for e in candidates if e in decoded)
    best = max(scores, key=scores.get)
    return decoded[first if scores[best] - scores[first] < 0.02 else best]


def _try(body: bytes, encoding: str) -> str | None:
    text = _strict(body, encoding)
    return unicodedata.normalize("NFC", text) if text is not None else None


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 bytes of a text (base letter + combining tone mark), as old sites send."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
            out += (base + tones).encode("cp1258")
    return bytes(out)
