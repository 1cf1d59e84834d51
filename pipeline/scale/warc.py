"""WARC files as ingest input (issue 14): `vnfacts ingest [--engine ray] FILE.warc.gz`.

Each complete HTML response (status 200) of a WARC file is one ingest
record: its URL, its decoded page, an id from the URL, and its pointer
("warc:FILE#OFFSET", the crawler's own provenance form) as source. Other
records (requests, robots.txt, feeds, sitemaps, errors) are skipped and
counted in one warning per file. Both engines read a file with `records`
and feed the records through the library's own batches (record_batches,
prepare_batch): the local engine in this process, Ray one task per file.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from pipeline.lang.decode import decode_html
from pipeline.store.warcref import complete, pointer

SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_warc(path: str | Path) -> bool:
    return str(path).lower().endswith(SUFFIXES)


def split_inputs(paths) -> tuple[list, list[Path]]:
    """(other inputs, WARC files), each in the order given; a folder's WARC
    files (sorted) come where the folder was named, and the folder stays in
    the other inputs for its other files. A WARC file's path is made
    absolute: it is in every page's source pointer, and Ray's workers read
    it from another working folder."""
    warcs = [w.absolute() for p in paths for w in warcs_in(Path(p))]
    return [p for p in paths if not is_warc(p)], warcs


def warcs_in(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if is_warc(p) and p.is_file())
    return [path] if is_warc(path) else []


def warc_id(url: str) -> str:
    """A stable id from the URL: <host>-<12 hex of its SHA-1>."""
    host = (urlsplit(url).hostname or "warc").lower()
    return f"{host}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:12]}"


def records(path: str | Path, report) -> Iterator[dict]:
    """The ingest records of one WARC file, in file order; an unreadable or
    cut-off file is an error naming it (the records before the cut are kept)."""
    from warcio.archiveiterator import ArchiveIterator

    skipped = read = 0
    try:
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle)
            for entry in iterator:
                record = page_record(path, iterator, entry)
                read += record is not None
                skipped += record is None and entry.rec_type == "response"
                if record is not None:
                    yield record
    except Exception as error:  # OSError, warcio's ArchiveLoadFailed, a truncated gzip member
        report.errors.append(f"{path}: cannot read WARC after {read} pages: {type(error).__name__}: {error}")
    if skipped:
        report.warnings.append(f"{path}: {skipped} responses skipped (not a complete HTML page with status 200)")


def page_record(path, iterator, entry) -> dict | None:
    """The record of one complete HTML 200 response, else None."""
    if entry.rec_type != "response" or entry.http_headers is None:
        return None
    http = entry.http_headers
    content_type = http.get_header("Content-Type") or ""
    body = entry.content_stream().read()
    if http.get_statuscode() != "200" or not content_type.lower().startswith(HTML_TYPES):
        return None
    if not complete(http, body):
        return None     # a record cut by a killed writer
    url = entry.rec_headers.get_header("WARC-Target-URI")
    return {"id": warc_id(url), "url": url, "html": decode_html(body, content_type),
            "source": pointer(path, iterator.get_record_offset())}
