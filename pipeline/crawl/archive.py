"""WARC archive of every response (warcio), and reading one record back.

Each crawl process writes its own gzipped WARC file under <corpus>/warc/,
one gzip member per record, so a record is addressed by (file, offset) and a
file cut short by a kill loses at most its last record. A stored document
points to its record as "warc:<file>#<offset>"; re-extraction reads the
page from there and never needs the network.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.store.warcref import complete, parse_pointer, pointer

# Scrapy hands us decoded bodies: these headers would no longer describe them.
DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class ArchivedResponse:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class WarcArchive:
    """Appends response records to one WARC file per crawl process."""

    def __init__(self, corpus_dir: str | Path, run_id: str):
        folder = Path(corpus_dir) / "warc"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{run_id}-{os.getpid()}.warc.gz"
        self._file = open(self.path, "ab")
        self._writer = WARCWriter(self._file, gzip=True)

    def write_response(self, url: str, status: int, reason: str,
                       headers: list[tuple[str, str]], body: bytes) -> str:
        """Append one response record; returns its pointer."""
        kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        http = StatusAndHeaders(f"{status} {reason or 'OK'}", kept, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            url, "response", payload=BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": _warc_date()},
        )
        offset = self._file.tell()
        self._writer.write_record(record)
        self._file.flush()  # a SIGKILL after this keeps the record
        return pointer(self.path, offset)

    def close(self) -> None:
        self._file.close()


def _warc_date() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_record(ref: str, offset: int | None = None) -> ArchivedResponse:
    """The response at a pointer ("warc:file#offset") or at (file, offset)."""
    path, offset = parse_pointer(ref) if offset is None else (ref, offset)
    with open(path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle)))
        return _as_response(record)


def _as_response(record) -> ArchivedResponse:
    http = record.http_headers
    headers = {k.lower(): v for k, v in http.headers}
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode() or 0),
        headers=headers,
        body=record.content_stream().read(),
    )


def _complete(record, body: bytes) -> bool:
    return record.http_headers.get_header("Content-Length") is not None and complete(record.http_headers, body)


HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")


def media_type(content_type: str | None) -> str:
    """"text/html" of "text/HTML; charset=utf-8"."""
    return (content_type or "").split(";")[0].strip().lower()


def is_html_page(content_type: str | None, body: bytes) -> bool:
    """A page the crawl stores, live or recovered from the archive: an HTML
    (or untyped) body that is not a PDF."""
    return media_type(content_type).startswith(HTML_TYPES) and not body.lstrip()[:5].startswith(b"%PDF")


class Archived(NamedTuple):
    """A complete response record: where it is, and what the crawl needs to
    judge it as it judged the live response (status, Content-Type, the
    body's first bytes)."""
    url: str
    pointer: str
    status: int
    content_type: str | None
    head: bytes


def iter_pointers(path: str | Path):
    """Each complete response record (Archived); stops quietly at a cut-off tail."""
    try:
        with open(path, "rb") as handle:
            records = ArchiveIterator(handle)
            for record in records:
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                body = record.content_stream().read()
                if not _complete(record, body):
                    return
                yield Archived(url, pointer(path, records.get_record_offset()), _status(record),
                               record.http_headers.get_header("Content-Type"), body.lstrip()[:16])
    except Exception:  # a killed writer leaves a partial last member
        return


def _status(record) -> int:
    try:
        return int(record.http_headers.get_statuscode() or 0)
    except ValueError:
        return 0
