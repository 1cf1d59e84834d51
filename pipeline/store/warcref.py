"""A page's provenance in a WARC file: the pointer stored as a document's
`source` ("warc:FILE#OFFSET") and when an archived response is whole. One
form for the crawler that writes the records and for `vnfacts ingest` of
WARC files that reads them (crawl/archive.py, scale/warc.py)."""
from __future__ import annotations

from pathlib import Path


def pointer(path: str | Path, offset: int) -> str:
    return f"warc:{path}#{offset}"


def parse_pointer(text: str) -> tuple[str, int]:
    if not text.startswith("warc:") or "#" not in text:
        raise ValueError(f"not a WARC pointer: {text!r}")
    path, offset = text[len("warc:"):].rsplit("#", 1)
    return path, int(offset)


def complete(http_headers, body: bytes) -> bool:
    """A record cut by a killed writer has fewer body bytes than its
    Content-Length says; a response without one is taken as whole."""
    expected = http_headers.get_header("Content-Length")
    return expected is None or not expected.isdigit() or len(body) == int(expected)
