"""Turn the bytes of a Vietnamese page into NFC text.

Order of evidence: byte-order mark, the site file's `encoding`, then the
HTTP header and the meta charset, checked against the bytes: Vietnamese
sites often declare one charset and send another (UTF-8 declared as
iso-8859-1, Windows-1258 declared as UTF-8). A declared charset is kept
unless the bytes fail to decode with it or another candidate reads as
clearly better Vietnamese.
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
FALLBACKS = ["utf-8", "cp1258"]
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


class DecodeError(ValueError):
    """The bytes are not text in any encoding tried."""


def decode_document(data: bytes) -> tuple[str, str]:
    """Bytes of an ingested document -> (text, encoding), cheaply: BOM, then
    UTF-8, the meta charset, windows-1258. UTF-8 goes before the declared
    charset: valid UTF-8 with Vietnamese letters is practically never legacy
    text, while templates often declare iso-8859-1 and serve UTF-8 (latin-1
    would "decode" anything). Crawled pages, whose HTTP header is known, go
    through decode_html instead."""
    for bom, name in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), name
            except UnicodeDecodeError as exc:
                raise DecodeError(f"undecodable input after a {name} BOM") from exc
    if b"\x00" in data:
        raise DecodeError("binary input: NUL bytes")
    for name in dict.fromkeys(["utf-8", charset_from_meta(data) or "utf-8", "cp1258"]):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise DecodeError("undecodable input (not UTF-8, the declared charset or windows-1258)")


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


def _try(body: bytes, encoding: str) -> str | None:
    try:
        return unicodedata.normalize("NFC", body.decode(encoding))
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, content_type: str | None = None, override: str | None = None) -> str:
    """Decoded, NFC-normalized page text."""
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return unicodedata.normalize("NFC", body[len(bom):].decode(encoding, "replace"))
    if override:
        return unicodedata.normalize("NFC", body.decode(override, "replace"))
    declared = [e for e in (charset_from_header(content_type), charset_from_meta(body)) if e]
    return _best(body, declared)


def _best(body: bytes, declared: list[str]) -> str:
    candidates = list(dict.fromkeys(declared + FALLBACKS))
    decoded = {e: t for e in candidates if (t := _try(body, e)) is not None}
    if not decoded:
        return unicodedata.normalize("NFC", body.decode("utf-8", "replace"))
    scores = {e: score(t) for e, t in decoded.items()}
    first = next((e for e in candidates if e in decoded), None)
    best = max(scores, key=scores.get)
    # Keep the declared charset unless another one reads clearly better.
    chosen = first if scores[best] - scores[first] < 0.02 else best
    return decoded[chosen]


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
