"""Read documents (JSON Lines, .html, .txt, folders of them) into the store.

Bad input never stops the batch: each problem is reported with its file
(and line) and the other documents are still stored.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from tqdm import tqdm

from pipeline import core, store

SUFFIXES = {".jsonl", ".html", ".htm", ".txt"}
BATCH = 500


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, counts: tuple[int, int, int]) -> None:
        self.added += counts[0]
        self.updated += counts[1]
        self.unchanged += counts[2]


def iter_files(paths: Iterable[str | Path], report: IngestReport) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
        elif path.is_file():
            yield path
        else:
            report.errors.append(f"{path}: no such file or folder")


def records_from_file(path: Path, report: IngestReport) -> Iterator[dict]:
    """Raw records of one file; .jsonl gives one a line, others one a file."""
    if path.suffix.lower() == ".jsonl":
        yield from records_from_jsonl(path, report)
        return
    try:
        data = path.read_bytes()
    except OSError as error:
        report.errors.append(f"{path}: cannot read: {error}")
        return
    key = "html" if path.suffix.lower() in (".html", ".htm") else "text"
    yield {"id": path.stem, key: data, "source": str(path)}


def records_from_jsonl(path: Path, report: IngestReport) -> Iterator[dict]:
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                report.errors.append(f"{path}:{number}: not valid JSON: {error}")
                continue
            problem = record_problem(record)
            if problem:
                report.errors.append(f"{path}:{number}: {problem}")
                continue
            record.setdefault("source", f"{path}:{number}")
            yield record


def record_problem(record) -> str | None:
    if not isinstance(record, dict):
        return "expected a JSON object"
    if not record.get("id") or not isinstance(record["id"], (str, int)):
        return "missing 'id'"
    if not isinstance(record.get("text") or record.get("html"), str):
        return f"document {record['id']!r} has neither 'text' nor 'html'"
    return None


def ingest_records(con, records: Iterable[dict], source: str, report: IngestReport | None = None) -> IngestReport:
    """Clean, normalize and store records (batched); see core.prepare_document."""
    report = report or IngestReport()
    for batch in batched(records, BATCH):
        for record in batch:
            record.setdefault("source", source)
        documents, errors = core.prepare_batch(batch)
        report.errors.extend(errors)
        report.add(store.upsert_documents(con, documents))
    return report


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_paths(con, paths: Iterable[str | Path], progress: bool = False) -> IngestReport:
    report = IngestReport()
    bar = tqdm(unit="doc", desc="ingest", disable=not progress)
    for path in iter_files(paths, report):
        if path.suffix.lower() not in SUFFIXES:
            report.errors.append(f"{path}: unsupported file type (use .jsonl, .html or .txt)")
            continue
        ingest_records(con, counted(records_from_file(path, report), bar), str(path), report)
    bar.close()
    return report


def counted(records: Iterator[dict], bar) -> Iterator[dict]:
    for record in records:
        bar.update(1)
        yield record
