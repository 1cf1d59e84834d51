"""The stage order, written down once:

    clean -> normalize -> segment -> extract -> load

Each stage has one entry function; the CLI and the crawler call these.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from pipeline import store
from pipeline.extract import bounds, budget
from pipeline.extract.fact import Fact
from pipeline.lang.dates import find_published_date
from pipeline.lang.siteplaces import province_for
from pipeline.lang.vntext import is_vietnamese, normalize

STAGES = ("clean", "normalize", "segment", "extract", "load")
# Key of a raw record that says where it was read (file:line); error lines
# name it, whatever `source` the record itself carries.
LOCATION = "_location"
# Documents read at a time by extract_pending: each read and each write opens
# the file (~50 ms), so fewer, larger chunks (1,000 texts are ~3 MB) (issue 11).
CHUNK = 1000
# A chunk's facts are committed at least this often (seconds), however slow
# its pages: a killed run loses at most this much work.
FLUSH_SECONDS = 10.0


# Not imported here: extract.facts loads spaCy, extract.segment underthesea
# and extract.rules compiles with spaCy's Matcher (~3-4 s of start-up), which
# `vnfacts ingest` never uses (issue 11). Imported on first call instead.


def extract_facts(*args, **kwargs):
    from pipeline.extract.facts import extract_facts as stage

    return stage(*args, **kwargs)


def load_ruleset(*args, **kwargs):
    from pipeline.extract.rules import load_ruleset as load

    return load(*args, **kwargs)


def segment_document(*args, **kwargs):
    from pipeline.extract.segment import segment_document as stage

    return stage(*args, **kwargs)


@dataclass
class ExtractReport:
    documents: int = 0
    facts: int = 0
    rules_version: str = ""
    # facts whose figures no fact can have (extract/bounds.py): (doc, indicator, reason)
    dropped: list = field(default_factory=list)
    # documents whose extraction ran past its time budget (extract/budget.py):
    # (doc, reason); they stay pending, their old facts untouched
    stopped: list = field(default_factory=list)


def clean(record: dict) -> dict:
    """Stage 1: raw HTML or text -> main text, title, published date, site."""
    # imported here: trafilatura & co. cost `vnfacts extract` 0.25 s of start-up (issue 11),
    # and clean_html only for HTML: text documents never load them
    from pipeline.clean import clean_text, decode
    if record.get("html") is not None:
        from pipeline.clean import clean_html
        page = clean_html(record["html"], record.get("url"))
        title = record.get("title") or page.title
        text = "\n\n".join(lead_parts(title, page.description, page.text) + [page.text])
        return {"text": text, "title": title, "published": record.get("published") or page.published,
                "site": record.get("site") or page.site}
    raw = record.get("text")
    raw = decode(raw) if isinstance(raw, bytes) else raw
    text = clean_text(raw)
    # the printed date is read before cleaning: the cleaner drops "03/02/2023 06:00" as a counter line
    return {"text": text, "title": record.get("title") or guess_title(text),
            "published": record.get("published") or find_published_date(raw or ""), "site": record.get("site")}


def lead_parts(title, description, body) -> list[str]:
    """Title and sapo go before the body (figures there are facts too),
    unless the body already starts with them."""
    parts = [title] if title and not body.startswith(title) else []
    if description and len(description) > 60 and description[:60] not in body:
        parts.append(description)
    return parts


def guess_title(text: str) -> str | None:
    """A plain-text document's title: its first line that reads like one."""
    for line in text.splitlines()[:8]:
        line = line.strip()
        if len(line) > 25 and not find_published_date(line):
            return line
    return None


def prepare_document(record: dict) -> dict:
    """Stages 1-2 for one record: the row stored in `documents`."""
    from pipeline.clean import CleanError
    cleaned = clean(record)
    text = normalize(cleaned["text"]).strip()
    if not text:
        raise CleanError("empty text")
    if not is_vietnamese(text):
        raise CleanError("not Vietnamese text (too few Vietnamese letters)")
    title = normalize(cleaned["title"]) if cleaned["title"] else None
    return {"id": str(record["id"]), "url": record.get("url"), "site": cleaned["site"],
            "title": title, "published": iso(cleaned["published"]),
            "province": record.get("province") or province_for(record.get("url") or cleaned["site"]),
            "text": text,
            "content_hash": store.content_hash(text), "source": record.get("source")}


def iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (value or None)


def segment(document: dict, ruleset=None, prefilter: bool = True) -> list:
    """Stage 3 for one stored document: the sentences a rule could match,
    word-segmented (with prefilter=False, every sentence)."""
    from pipeline.extract import context  # here: `vnfacts ingest` never segments (~25 ms of its start)

    ruleset = ruleset or load_ruleset()
    topic = context.on_topic(document, context.patterns(ruleset))
    return segment_document(document["text"], prefilter, ruleset.keywords, topic)


def extract_document(document: dict, ruleset=None, prefilter: bool = True, dropped: list | None = None,
                     seconds: float | None = None) -> list[Fact]:
    """Stages 3-4 for one stored document: segment, then apply the rules.
    Facts with figures out of bounds are left out (and added to `dropped`).
    Raises budget.OverBudget past `seconds` (default budget.default_seconds(); 0: no limit)."""
    ruleset = ruleset or load_ruleset()
    warm(ruleset)
    with budget.limit(budget.default_seconds() if seconds is None else seconds):
        return bounds.within(extract_facts(document, segment(document, ruleset, prefilter), ruleset), dropped)


WARM_UP = {"id": "warm-up", "province": None, "text": "Đến ngày 30/6/2020, tỉnh Yên Bái đã tinh giản 15 biên chế, "
                                                        "huyện Trấn Yên giảm 7 người hoạt động không chuyên trách "
                                                        "cấp xã, đạt 12% kế hoạch."}
_WARM: set = set()


def warm(ruleset) -> None:
    """Extract a sentence once per rule set, outside any time budget: the
    segmenter's models, the gazetteer and the context patterns load on first
    use (~1-3 s), which a document's budget must not be charged for."""
    if ruleset.version not in _WARM:
        extract_facts(WARM_UP, segment(WARM_UP, ruleset), ruleset)
        _WARM.add(ruleset.version)


def load(con, documents: list[dict], facts: list[Fact], rules_version: str) -> None:
    """Stage 5: store documents (unchanged ones are kept) and replace their facts."""
    store.upsert_documents(con, documents)
    store.replace_facts(con, [d["id"] for d in documents], facts, rules_version)


def prepare_batch(records: list[dict], max_chars: int | None = None) -> tuple[list[dict], list[str]]:
    """Stages 1-2 for a batch of raw records: (document rows, one error line
    per record refused, naming where it was read). Local ingest and the Ray
    engine both call this. A record the cleaners choke on (a wrong type the
    door let through) is reported too, never the end of the batch."""
    from pipeline.clean import CleanError
    documents, errors = [], []
    for record in records:
        where = record.get(LOCATION) or record.get("source")
        try:
            documents.append(checked_size(prepare_document(record), max_chars))
        except CleanError as error:
            errors.append(f"{where}: document {record.get('id')!r}: {error}")
        except (ValueError, TypeError, RecursionError) as error:
            errors.append(f"{where}: document {record.get('id')!r}: cannot be cleaned "
                          f"({type(error).__name__}: {error})")
    return documents, errors


def checked_size(document: dict, max_chars: int | None) -> dict:
    from pipeline.clean import CleanError
    if max_chars and len(document["text"]) > max_chars:
        raise CleanError(f"clean text of {len(document['text']):,} characters, over the limit of {max_chars:,}")
    return document


def extract_batch(documents: list[dict], ruleset, dropped: list | None = None, stopped: list | None = None,
                  seconds: float | None = None) -> list[Fact]:
    """Stages 3-4 for a batch of stored documents: their facts. The local loop
    (extract_pending) and the Ray engine's actors both call this. A document
    over its time budget gives no facts: it is logged, and added to `stopped`."""
    facts = []
    for document in documents:
        try:
            facts += extract_document(document, ruleset, dropped=dropped, seconds=seconds)
        except budget.OverBudget as error:
            logging.getLogger(__name__).warning("document %r: %s", document["id"], error)
            if stopped is not None:
                stopped.append((document["id"], str(error)))
    return facts


# The library API's names for the stage entry points (pipeline/__init__.py).
prepare = prepare_document
extract = extract_document


def process_html(html, meta: dict, ruleset=None) -> tuple[dict, list[Fact]]:
    """The whole path without a database: (document row, facts)."""
    document = prepare_document({**meta, "html": html})
    return document, extract_document(document, ruleset)


def extract_pending(db, everything: bool = False, progress: bool = False, ruleset=None,
                    doc_seconds: float | None = None, skip: set | None = None,
                    pending: tuple[str, list] | None = None) -> ExtractReport:
    """Stages 3-5 over stored documents not yet extracted with these rules.

    Streams: only the ids are listed up front; texts are read CHUNK at a time,
    and each group's facts replace the old ones in one transaction, at least
    every FLUSH_SECONDS. `db` is an open connection or a store.Database,
    which is opened only to read a chunk or write a group (other processes,
    `vnfacts query` too, get in between). A document over its time budget
    (`doc_seconds`, default budget.default_seconds()) is listed in `stopped` and left pending;
    ids in `skip` (stopped earlier in the same run) are left pending untried.
    `pending`: (rules version, ids) already listed for that version."""
    ruleset = ruleset or load_ruleset()
    report = ExtractReport(rules_version=ruleset.version)
    chunks = pending_chunks(db, ruleset.version, everything, skip, pending)
    bar = tqdm(total=next(chunks), unit="doc", desc="extract", disable=not progress)
    for documents in chunks:
        for done, facts in extracted_in_time(documents, ruleset, dropped=report.dropped, stopped=report.stopped,
                                             doc_seconds=doc_seconds):
            with store.session(db) as con:
                store.replace_facts(con, [d["id"] for d in done], facts, ruleset.version)
            report.documents += len(done)
            report.facts += len(facts)
            bar.update(len(done))
    bar.close()
    return report


def pending_chunks(db, version: str, everything: bool, skip: set | None, pending: tuple | None):
    """How many documents are pending, then their rows CHUNK at a time; the
    first chunk read in the session that lists them (each open ~17 ms)."""
    with store.session(db, read_only=True) as con:
        ids = pending[1] if pending and pending[0] == version and not everything else \
            store.pending_ids(con, version, everything)
        ids = [i for i in ids if not skip or i not in skip]
        first = store.documents_by_id(con, ids[:CHUNK]) if ids else []
    yield len(ids)
    if first:
        yield first
    for begin in range(CHUNK, len(ids), CHUNK):
        with store.session(db, read_only=True) as con:
            documents = store.documents_by_id(con, ids[begin:begin + CHUNK])
        yield documents  # outside the session: the caller writes before it asks for more


def extracted_in_time(documents: list[dict], ruleset, seconds: float | None = None, dropped: list | None = None,
                      stopped: list | None = None, doc_seconds: float | None = None):
    """(documents, their facts) in groups: the whole chunk, or a part of it
    each time extraction has run `seconds`, so slow pages still commit. A
    document stopped by its time budget is in no group (it stays pending)."""
    seconds = FLUSH_SECONDS if seconds is None else seconds
    stopped = [] if stopped is None else stopped
    done, facts, started = [], [], time.monotonic()
    for document in documents:
        before = len(stopped)
        facts += extract_batch([document], ruleset, dropped, stopped, doc_seconds)
        if len(stopped) == before:
            done.append(document)
        if done and time.monotonic() - started >= seconds:
            yield done, facts
            done, facts, started = [], [], time.monotonic()
    if done:
        yield done, facts
