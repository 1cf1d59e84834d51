"""Read documents (JSON Lines, .html, .txt, folders of them) into the store.

Bad input never stops the batch: every record is checked at the door
(`check_record`: types, size, date), each problem is reported with its file
and line, never the record's own `source`, and the other documents are
still stored. The same id twice in one input: the last one wins, reported.
"""
from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import sys
import time
import zlib
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime
from hashlib import blake2b
from pathlib import Path
from typing import Iterable, Iterator

from tqdm import tqdm

from pipeline import core, store
from pipeline.lang.dates import MAX_YEAR, MIN_YEAR, find_published_date, parse_vn_date

SUFFIXES = {".jsonl", ".html", ".htm", ".txt"}
BATCH = 500
# Largest document, in characters of text (HTML may be HTML_FACTOR times
# more): bigger ones are refused with a message, never loaded (a 50 MB page
# ran DuckDB out of memory). UTF-8 Vietnamese is up to 3 bytes a character.
MAX_DOC_CHARS = int(os.environ.get("VNFACTS_MAX_DOC_CHARS", 2_000_000))
HTML_FACTOR, BYTES_PER_CHAR = 4, 3
MAX_ID = 500
TEXT_FIELDS = ("url", "site", "title", "province", "source")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?")
LOCATION = core.LOCATION
STDIN = "-"  # JSON Lines from standard input: `... | vnfacts ingest -`


class RecordError(ValueError):
    """A record refused at the door (the message names field and reason)."""


# A place as a template (id cut out, trailing line or offset cut off; 0 is "unknown") and that number.
NUMBERED, TEMPLATE_BITS = re.compile(r"(.*?)(0|[1-9][0-9]{0,11})", re.DOTALL), 24


class SeenIds:
    """The ids of one input and where each was first read in 24-48 bytes an id (a dict of strings: 200-300, issue
    11): 64 bits of BLAKE2b in an open-addressing table, the place as a code (see NUMBERED). Ids of one hash (odds
    ~n^2/2^65) would be reported as a duplicate, never stored as one. `ids = {}` keeps the ids (Ray's workers)."""

    def __init__(self):
        self.keys, self.codes, self.size = array("Q", bytes(8 * 1024)), array("Q", bytes(8 * 1024)), 0
        self.templates, self.template_index = [("an earlier record", "", False)], {}
        self.ids: dict[str, str] | None = None

    def first(self, doc_id: str, where: str) -> str | None:
        """Where doc_id was first read if it was read before; else None, and it is noted as read at where."""
        slot = self._slot(key := int.from_bytes(blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8)
                                                .digest(), "little") or 1)
        if self.keys[slot] == key:
            return self._place(self.codes[slot], doc_id)
        self.keys[slot], self.codes[slot], self.size = key, self._code(where, doc_id), self.size + 1
        if self.ids is not None:
            self.ids[doc_id] = where
        if 3 * self.size > 2 * len(self.keys):
            self._grow()
        return None

    def _slot(self, key: int) -> int:
        mask = len(self.keys) - 1
        slot = key & mask  # linear probing: the next slot until the key or an empty one
        while self.keys[slot] not in (0, key):
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        pairs = [(k, c) for k, c in zip(self.keys, self.codes) if k]
        self.keys, self.codes = array("Q", bytes(16 * len(self.keys))), array("Q", bytes(16 * len(self.codes)))
        for key, code in pairs:
            slot = self._slot(key)
            self.keys[slot], self.codes[slot] = key, code

    def _code(self, where: str, doc_id: str) -> int:
        numbered = NUMBERED.fullmatch(where)
        head, number = (numbered[1], int(numbered[2]) + 1) if numbered else (where, 0)
        before, cut, after = head.rpartition(doc_id) if doc_id else (head, "", "")
        template = (before, after, True) if cut else (head, "", False)
        if (index := self.template_index.setdefault(template, len(self.templates))) == len(self.templates):
            self.templates.append(template)
        return number << TEMPLATE_BITS | index if index < 2 ** TEMPLATE_BITS else 0

    def _place(self, code: int, doc_id: str) -> str:
        (before, after, cut), number = self.templates[code & (2 ** TEMPLATE_BITS - 1)], code >> TEMPLATE_BITS
        return (before + doc_id + after if cut else before) + (str(number - 1) if number else "")


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: int = 0
    seen: SeenIds = field(default_factory=SeenIds, repr=False)  # ids read and where each was first read

    def add(self, counts: tuple[int, int, int]) -> None:
        self.added += counts[0]
        self.updated += counts[1]
        self.unchanged += counts[2]


def is_input(path: Path) -> bool:
    """A file ingest reads: .jsonl, .jsonl.gz, .html/.htm, .txt."""
    return path.suffix.lower() in SUFFIXES or path.name.lower().endswith(".jsonl.gz")


def iter_files(paths: Iterable[str | Path], report: IngestReport) -> Iterator[Path]:
    for path in map(Path, paths):
        if str(path) == STDIN or path.is_file():
            yield path
        elif path.is_dir():
            yield from files_under(path)
        else:
            report.errors.append(f"{path}: no such file or folder")


def files_under(folder: Path) -> Iterator[Path]:
    """The input files under a folder in sorted(rglob("*")) order, one directory listed at a time (10,000
    Paths held for the whole ingest took 3.9 MB, issue 11); as rglob, no folder symlink is entered."""
    try:
        names = sorted(os.listdir(folder))
    except PermissionError:
        return
    for path in (folder / name for name in names):
        if path.is_dir() and not path.is_symlink():
            yield from files_under(path)
        elif is_input(path) and path.is_file():
            yield path


def records_from_file(path: Path, report: IngestReport, max_chars: int = MAX_DOC_CHARS) -> Iterator[dict]:
    """Raw records of one file; .jsonl (.jsonl.gz, stdin) gives one a line, others one a file."""
    if str(path) == STDIN or path.suffix.lower() == ".jsonl" or path.name.lower().endswith(".jsonl.gz"):
        yield from records_from_jsonl(path, report, max_chars)
        return
    key = "html" if path.suffix.lower() in (".html", ".htm") else "text"
    try:
        size = path.stat().st_size
        if size > byte_limit(key, max_chars):
            report.errors.append(f"{path}: {size:,} bytes, over the limit of {byte_limit(key, max_chars):,} "
                                 f"(VNFACTS_MAX_DOC_CHARS = {max_chars:,} characters)")
            return
        data = path.read_bytes()
    except OSError as error:
        report.errors.append(f"{path}: cannot read: {error}")
        return
    yield {"id": path.stem, key: data, "source": str(path), LOCATION: str(path)}


def byte_limit(key: str, max_chars: int) -> int:
    return max_chars * BYTES_PER_CHAR * (HTML_FACTOR if key == "html" else 1)


def records_from_jsonl(path: Path, report: IngestReport, max_chars: int = MAX_DOC_CHARS) -> Iterator[dict]:
    """One record a line, each with its file:line; a bad line is reported and
    skipped, a gzip file that breaks off is reported at the line it reached."""
    number, name = 0, "<stdin>" if str(path) == STDIN else str(path)
    try:
        with open_lines(path) as handle:
            for number, raw in enumerate(handle, 1):
                yield from line_record(raw, f"{name}:{number}", report, max_chars)
    except (OSError, EOFError, zlib.error) as error:
        report.errors.append(f"{name}:{number + 1}: cannot read: {error}")


def open_lines(path: Path):
    """The file's bytes (gunzipped for .gz; standard input for '-'), read as lines."""
    if str(path) == STDIN:
        return contextlib.nullcontext(sys.stdin.buffer)
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def line_record(raw: bytes, where: str, report: IngestReport, max_chars: int) -> Iterator[dict]:
    """The record of one JSONL line (none for a blank or bad line)."""
    if not raw.strip():
        return
    try:
        record, stray = parse_line(raw, max_chars)
    except RecordError as error:
        report.errors.append(f"{where}: {error}")
        return
    record.setdefault("source", where)
    record[LOCATION] = where
    if stray:
        report.warnings.append(f"{where}: {stray} byte(s) not UTF-8, kept as U+FFFD")
    yield record


def decoded_line(raw: bytes) -> tuple[str, int]:
    """The line as text (no BOM, as utf-8-sig) and its bytes not UTF-8 (U+FFFD each), decoded once."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), 0
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    return text.removeprefix("\ufeff"), text.count("\ufffd") - raw.count(b"\xef\xbf\xbd")


def parse_line(raw: bytes, max_chars: int) -> tuple[dict, int]:
    """A JSONL line as a dict, and its stray bytes; too long, too deep or not JSON is a RecordError."""
    if len(raw) > byte_limit("html", max_chars):
        raise RecordError(f"line of {len(raw):,} bytes, over the limit of {byte_limit('html', max_chars):,} "
                          f"(VNFACTS_MAX_DOC_CHARS = {max_chars:,} characters)")
    text, stray = decoded_line(raw)
    try:
        record = json.loads(text)  # stray bytes never cost the record: U+FFFD for them
    except RecursionError:
        raise RecordError("not valid JSON: nested too deeply") from None
    except ValueError as error:  # also a 5,000-digit number
        raise RecordError(f"not valid JSON: {error}") from None
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    return record, stray


# --- the door: every record, whatever reads it --------------------------------

def check_record(record: dict, max_chars: int = MAX_DOC_CHARS) -> tuple[dict, list[str]]:
    """A checked copy of a record (id a string, published a date or None)
    and its warnings; a record that cannot be stored raises RecordError."""
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    doc_id = check_id(record.get("id"))
    for key in TEXT_FIELDS:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise RecordError(f"document {doc_id!r}: '{key}' must be a string, not {describe(record[key])}")
    if record.get("html") == "":  # an empty html next to a text: the text is the document
        record = {k: v for k, v in record.items() if k != "html"}
    check_body(record, doc_id, max_chars)
    published, warning = parse_published(record.get("published"))
    warnings = [f"document {doc_id!r}: {warning}"] if warning else []
    return {**record, "id": doc_id, "published": published}, warnings


def check_id(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError("missing 'id'" if value is None else f"'id' must be a string or an integer, "
                          f"not {describe(value)}")
    text = str(value).strip()
    if not text or len(text) > MAX_ID:
        raise RecordError("missing 'id'" if not text else f"'id' longer than {MAX_ID} characters")
    return text


def check_body(record: dict, doc_id: str, max_chars: int) -> None:
    key = "html" if record.get("html") is not None else "text"
    body = record.get(key)
    if body is None or body == "":
        raise RecordError(f"document {doc_id!r} has neither 'text' nor 'html'")
    if not isinstance(body, (str, bytes)):
        raise RecordError(f"document {doc_id!r}: '{key}' must be a string, not {describe(body)}")
    limit = max_chars * (HTML_FACTOR if key == "html" else 1)
    size = len(body) // BYTES_PER_CHAR if isinstance(body, bytes) else len(body)
    if size > limit:
        raise RecordError(f"document {doc_id!r}: '{key}' has {size:,} characters, over the limit of "
                          f"{limit:,} (VNFACTS_MAX_DOC_CHARS = {max_chars:,})")


def describe(value) -> str:
    shown = repr(value)
    return f"{type(value).__name__} {shown if len(shown) < 40 else shown[:37] + '...'}"


def parse_published(value) -> tuple[date | None, str | None]:
    """(date, warning). Day first as Vietnamese writes it ("03/04/2019" is
    3 April), ISO dates and datetimes (the date as written, offset kept out),
    the datelines pages print. A number or an impossible date is no date:
    None and a warning, never a guess."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if not isinstance(value, str):
        return None, f"'published' {describe(value)} is not a date; stored as null"
    found = iso_date(value.strip()) or parse_vn_date(value) or find_published_date(value[:200])
    if found is None:
        return None, f"'published' {value[:60]!r} is not a date (day/month/year or ISO); stored as null"
    return found, None


def iso_date(text: str) -> date | None:
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.date() if MIN_YEAR <= moment.year <= MAX_YEAR else None


def ingest_records(db, records: Iterable[dict], source: str, report: IngestReport | None = None,
                   max_chars: int = MAX_DOC_CHARS) -> IngestReport:
    """Check, clean, normalize and store records (batched); see core.prepare_document.
    `db` is an open connection or a store.Database (opened for each batch's write)."""
    report = report or IngestReport()
    batches = record_batches(records, source, report, max_chars)
    with contextlib.closing(store.HeldConnection(db)) as held:
        for documents, errors, prepared in map(lambda batch: timed_prepare(batch, max_chars), batches):
            report.errors.extend(errors)
            report.add(store.upsert_documents(held.connection(), documents))
            held.release_if_due(next_work=prepared)  # the next batch's cleaning as long as this one's
    return report


def timed_prepare(batch: list[dict], max_chars: int) -> tuple[list[dict], list[str], float]:
    """prepare_batch and its seconds. Called by map, so no batch of pages outlives its preparation (a loop
    variable kept the last one while the next was read: JSONL ingest's peak at 10,000 pages -6 MB)."""
    started = time.monotonic()
    return *core.prepare_batch(batch, max_chars), time.monotonic() - started


def record_batches(records: Iterable[dict], source: str, report: IngestReport,
                   max_chars: int = MAX_DOC_CHARS) -> Iterator[list[dict]]:
    """The records past the door, in the batches core.prepare_batch gets (one
    record per id, the last read). Local ingest and the Ray engine both read
    their input through this."""
    yield from map(last_of_each_id, batched(checked(records, source, report, max_chars), BATCH))


def checked(records: Iterable[dict], source: str, report: IngestReport, max_chars: int) -> Iterator[dict]:
    """The records that pass the door, each with where it was read; the
    others are reported as WHERE: reason."""
    for record in records:
        where = (record.get(LOCATION) if isinstance(record, dict) else None) or _own_source(record) or source
        try:
            record, warnings = check_record(record, max_chars)
        except RecordError as error:
            report.errors.append(f"{where}: {error}")
            continue
        report.warnings.extend(f"{where}: {w}" for w in warnings)
        note_duplicate(report, record["id"], where)
        record.setdefault("source", source or where)
        yield {**record, LOCATION: where}


def _own_source(record) -> str | None:
    value = record.get("source") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


def note_duplicate(report: IngestReport, doc_id: str, where: str) -> None:
    first = report.seen.first(doc_id, where)
    if first is not None and first != where:
        report.duplicates += 1
        report.warnings.append(f"{where}: document {doc_id!r} already read at {first}; the last one is kept")


def last_of_each_id(batch: list[dict]) -> list[dict]:
    """A batch with one record per id, the last one read (dicts keep order)."""
    return list({record["id"]: record for record in batch}.values())


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_records(paths: Iterable[str | Path], report: IngestReport,
                 max_chars: int = MAX_DOC_CHARS) -> Iterator[dict]:
    """The raw records of files and folders, in ingest's order, each with its
    source; unreadable files and bad lines go to report.errors (the Ray engine
    reads its input with this)."""
    for path in iter_files(paths, report):
        if str(path) != STDIN and not is_input(path):
            report.errors.append(f"{path}: unsupported file type (use .jsonl, .jsonl.gz, .html or .txt)")
            continue
        for record in records_from_file(path, report, max_chars):
            record.setdefault("source", str(path))
            yield record


def ingest_paths(db, paths: Iterable[str | Path], progress: bool = False,
                 max_chars: int | None = None) -> IngestReport:
    max_chars, report = max_chars or MAX_DOC_CHARS, IngestReport()
    with tqdm(read_records(paths, report, max_chars), unit="doc", desc="ingest", disable=not progress) as records:
        return ingest_records(db, records, "", report, max_chars)
