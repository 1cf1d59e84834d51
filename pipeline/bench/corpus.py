"""The benchmark corpus: sample pages and wrapped VNTC articles, streamed via a JSONL file.

Generated once into a temporary file and read back line by line, so that no
pass holds the corpus in memory. Sample pages are stored by path and read as
bytes, the way `vnfacts ingest` reads them.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter, deque
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.bench.pages import Page, wrap_article
from pipeline.paths import REPO, SAMPLE_DIR, SHARED

VNTC_PATH = SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz"
GOLD_PATH = SHARED / "gold" / "seeds.jsonl"


def iter_vntc(path: Path = VNTC_PATH, limit: int | None = None) -> Iterator[dict]:
    """Articles from the gzipped JSONL, one at a time."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def iter_sample_pages(directory: Path = SAMPLE_DIR) -> Iterator[Page]:
    """The bundled sample pages (corpus/sample/*.html), read as `vnfacts ingest` reads them:
    bytes, id = file stem. Page.html holds the path; iter_corpus reads the bytes."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.htm*")):
        rel = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        meta = {"id": path.stem, "source": str(rel)}
        yield Page(id=path.stem, url="", html="", meta=meta, template="sample",
                   paragraphs=[str(path)])


def iter_pages(limit: int | None = None, include_samples: bool = True,
               vntc_path: Path = VNTC_PATH) -> Iterator[Page]:
    """Sample pages first, then wrapped VNTC articles; ``limit`` counts both."""
    produced = 0
    if include_samples:
        for page in iter_sample_pages():
            if limit is not None and produced >= limit:
                return
            produced += 1
            yield page
    recent: deque[str] = deque(maxlen=10)     # sidebar headlines: earlier articles' titles
    for index, article in enumerate(iter_vntc(vntc_path)):
        if limit is not None and produced >= limit:
            return
        page = wrap_article(article, index, reversed(recent))
        recent.append(page.title)
        produced += 1
        yield page


def write_corpus(path: Path, limit: int | None = None, include_samples: bool = True) -> dict:
    """Stream the corpus into a JSONL file: html + meta per line (samples by path)."""
    docs = html_bytes = samples = 0
    templates: Counter = Counter()
    with open(path, "w", encoding="utf-8") as out:
        for page in iter_pages(limit, include_samples):
            if page.template == "sample":
                record = {"html_path": page.paragraphs[0], "meta": page.meta}
                html_bytes += Path(page.paragraphs[0]).stat().st_size
                samples += 1
            else:
                record = {"html": page.html, "meta": page.meta}
                html_bytes += len(page.html.encode("utf-8"))
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            docs += 1
            templates[page.template] += 1
    return {"docs": docs, "sample_pages": samples, "html_bytes": html_bytes,
            "templates": dict(templates), "path": str(path)}


def iter_corpus(path: Path, limit: int | None = None) -> Iterator[tuple[str | bytes, dict]]:
    """(html, meta) pairs read back one line at a time (sample pages as bytes)."""
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                return
            record = json.loads(line)
            html = record.get("html")
            if html is None:
                html = Path(record["html_path"]).read_bytes()
            yield html, record["meta"]


def iter_corpus_pages(pages: Iterable[Page]) -> Iterator[tuple[str | bytes, dict]]:
    """(html, meta) straight from Page objects, as iter_corpus yields them from the file."""
    for page in pages:
        if page.template == "sample":
            yield Path(page.paragraphs[0]).read_bytes(), page.meta
        else:
            yield page.html, page.meta


def nbytes(html: str | bytes) -> int:
    """Size of a page as stored: sample pages are bytes, wrapped pages text."""
    return len(html) if isinstance(html, bytes) else len(html.encode("utf-8"))
