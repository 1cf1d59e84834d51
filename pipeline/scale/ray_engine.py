"""The Ray Data jobs: re-extraction and ingestion over an actor pool.

    database --COPY--> document shards --(their paths)--> map_batches(actor pool)
        --> blocks to the driver --> fact shards --one transaction--> database

Each actor loads the rules and the segmenter once, then runs the local
engine's own batch function (pipeline.extract_batch / prepare_batch), one
shard of SHARD_SIZE documents a call. Ray restarts a killed actor and reruns
its task (Ray Data's actor pools retry without limit), and hands each output
block to the driver once; the driver writes the shards and loads them in one
transaction, checking every exported document came back exactly once.
"""
from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import pipeline
from pipeline.paths import RULES_DIR
from pipeline.scale import shards as files
from pipeline.scale import warc
from pipeline.store import shards

WARC_BATCHES = 1_000_000   # batch numbers of WARC file K start at (K + 1) * this: after the record shards'
SHARD_SIZE = 200    # documents per shard file: one actor call, the unit a killed actor's retry repeats
DOCUMENT_KEYS = ("id", "url", "site", "title", "published", "province", "text")   # as store.documents_by_id
# One sentence with a figure and a domain word, so the segmenter and spaCy load in the constructor.
WARM_UP = {"id": "warm-up", "text": "Toàn huyện đã sáp nhập 12 thôn thành 5 thôn mới trong năm 2020."}


class RayMissing(RuntimeError):
    pass


class JobError(RuntimeError):
    """A Ray job that did not finish; the database is unchanged."""


@dataclass
class JobReport:
    documents: int = 0
    facts: int = 0
    seconds: float = 0.0
    workers: int = 1
    rules_version: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: int = 0
    phases: dict[str, float] = field(default_factory=dict)   # driver's export, the pool, driver's load (s)
    dropped: list = field(default_factory=list)    # (document, indicator, reason): figures out of range
    stopped: list = field(default_factory=list)    # (document, reason): over the time budget, left pending
    cpu_seconds: float = 0.0     # CPU time of the actors' tasks (Ray's stats), start-up excluded

    @property
    def docs_per_second_per_worker(self) -> float:
        return self.documents / self.seconds / self.workers if self.seconds else 0.0


def start(address: str | None = None, workers: int | None = None, progress: bool = False):
    """Connect to the Ray cluster at address, or start a local one with
    `workers` CPUs; a session already connected is reused. Returns ray."""
    try:
        import ray
    except ImportError:
        raise RayMissing("--engine ray needs Ray: pip install -e '.[ray]'") from None
    if not ray.is_initialized():
        local = {} if address else {"num_cpus": workers or os.cpu_count()}
        ray.init(address=address, include_dashboard=False, log_to_driver=progress,
                 configure_logging=False, **local)
    ray.data.DataContext.get_current().enable_progress_bars = progress
    return ray


def pool_size(ray, workers: int | None) -> int:
    return workers or max(1, int(ray.cluster_resources().get("CPU", 1)))


@contextmanager
def workdir(directory: str | Path | None):
    """Where the job's shards go: a fresh temporary folder inside directory,
    else $VNFACTS_SHARDS, else the system's temporary folder. Workers read
    the input shards by path: on a cluster it must be a folder every node
    mounts at the same path."""
    directory = directory or os.environ.get("VNFACTS_SHARDS") or None
    if directory is not None:
        Path(directory).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vnfacts-ray-", dir=directory) as path:
        yield Path(path)


class Extractor:
    """An actor of the extraction pool: rules and segmenter loaded once;
    each call extracts one shard of documents."""

    def __init__(self, rules_version: str, schema: pa.Schema):
        self.ruleset = pipeline.load_ruleset()
        if self.ruleset.version != rules_version:
            raise RuntimeError(f"rules at {RULES_DIR} on {socket.gethostname()} are version "
                               f"{self.ruleset.version}, the driver's {rules_version}: same vnfacts on every node")
        self.schema = schema
        pipeline.extract_batch([WARM_UP], self.ruleset)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return pa.concat_tables([self.extract(path) for path in batch.column("path").to_pylist()])

    def extract(self, path: str) -> pa.Table:
        rows = pq.read_table(path).to_pylist()
        documents = [{k: row[k] for k in DOCUMENT_KEYS} for row in rows]
        dropped, stopped = [], []
        facts = pipeline.extract_batch(documents, self.ruleset, dropped, stopped)
        return shards.fact_shard(rows, facts, self.schema, dropped, stopped)


class Preparer:
    """An actor of the ingest pool: stages 1-2 (clean, normalize) of one
    record shard, or of one WARC file (read here, on the worker), a call."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        pipeline.prepare_batch([WARM_UP], max_chars)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return pa.concat_tables([self.prepare(**item) for item in batch.to_pylist()])

    def prepare(self, path: str, number: int | None = None, report: str | None = None) -> pa.Table:
        if report is None:
            number, records = files.records_of(pq.read_table(path))
            return shards.document_shard(number, *pipeline.prepare_batch(records, self.max_chars))
        return self.prepare_warc(path, number, report)

    def prepare_warc(self, path: str, number: int, report_path: str) -> pa.Table:
        """The local ingest's batches of one WARC file; what its door said
        (errors, warnings, ids and where each was first read) goes to
        report_path for the driver (a retried task rewrites the same file)."""
        read, tables = pipeline.IngestReport(), []
        read.seen.ids = {}  # the ids themselves too (ingest keeps only hashes), for the driver's merge
        for k, batch in enumerate(pipeline.record_batches(warc.records(path, read), "", read, self.max_chars)):
            tables.append(shards.document_shard((number + 1) * WARC_BATCHES + k,
                                                *pipeline.prepare_batch(batch, self.max_chars)))
        Path(report_path).write_text(json.dumps({"errors": read.errors, "warnings": read.warnings,
                                                 "duplicates": read.duplicates, "seen": list(read.seen.ids.items())}),
                                     encoding="utf-8")
        return pa.concat_tables(tables) if tables else shards.DOC_SHARD_SCHEMA.empty_table()


def run_pool(ray, source: Path | list[dict], actor, size: int, out: Path, out_schema: pa.Schema,
             setup: dict | None = None) -> tuple[int, float]:
    """Map the shard files under source (or the given task items) over a
    pool of `size` actors, one shard a task, and collect the output on the
    driver as shards in out; returns (rows collected, CPU seconds the
    actors' tasks used, from Ray's stats). The dataset is the list of shard
    paths (no read tasks: Ray 2.60's file listing task waits for a CPU the
    pool holds)."""
    paths = source if isinstance(source, list) else shard_items(source)
    dataset = ray.data.from_items(paths, override_num_blocks=len(paths)).map_batches(
        actor, batch_size=1, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=size), fn_constructor_kwargs=setup or {})
    try:
        rows = files.collect(dataset.iter_batches(batch_size=None, batch_format="pyarrow"), out, out_schema,
                             SHARD_SIZE)
    except Exception as error:  # Ray wraps the workers' errors in its own kinds, with their tracebacks
        raise JobError(f"the Ray job failed, the database is unchanged: {root_cause(error)}") from error
    return rows, remote_cpu_seconds(dataset.stats())


def shard_items(source: Path) -> list[dict]:
    return [{"path": str(p)} for p in sorted(source.rglob("*.parquet"))]


def root_cause(error: BaseException) -> str:
    """The innermost 'SomeError: message' line of Ray's error text (the
    worker's own error: a rule file, a version mismatch ...)."""
    lines = re.findall(r"^\s*((?:\w+\.)*\w*(?:Error|Exception): .*)$", str(error), re.MULTILINE)
    return lines[-1].strip() if lines else f"{type(error).__name__}: {error}"


def remote_cpu_seconds(stats: str) -> float:
    """The total of Ray Data's "Remote cpu time" lines (its stats text is
    the public form of these figures)."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    return sum(float(n) * units[u] for n, u in re.findall(r"Remote cpu time: .*?([\d.]+)(us|ms|s) total", stats))


def task_items(work: Path, warcs: list[Path]) -> list[dict]:
    """The ingest pool's tasks: the record shards, then one per WARC file
    (its pages are read by the worker, never by the driver)."""
    (work / "reports").mkdir()
    items = [{"path": p["path"], "number": None, "report": None} for p in shard_items(work / "records")]
    return items + [{"path": str(path), "number": k, "report": str(work / "reports" / f"{k}.json")}
                    for k, path in enumerate(warcs)]


def merge_warc_reports(read, items: list[dict]) -> None:
    """Each WARC file's door report into the job's, in input order; an id
    first read in an earlier input is a duplicate, as the local ingest has it."""
    for item in items:
        if item["report"] is None:
            continue
        side = json.loads(Path(item["report"]).read_text(encoding="utf-8"))
        read.errors.extend(side["errors"])
        read.warnings.extend(side["warnings"])
        read.duplicates += side["duplicates"]
        for doc_id, where in side["seen"]:
            pipeline.note_duplicate(read, doc_id, where)


def extract(con, everything: bool = False, address: str | None = None, workers: int | None = None,
            progress: bool = False, directory: str | Path | None = None) -> JobReport:
    """`vnfacts extract --engine ray`: the facts of pending documents (all
    with everything=True), stored in one transaction at the end."""
    ray = start(address, workers, progress)
    ruleset = pipeline.load_ruleset()
    report = JobReport(workers=pool_size(ray, workers), rules_version=ruleset.version)
    began = time.perf_counter()
    with workdir(directory) as work:
        exported = shards.export_documents(con, work / "documents", ruleset.version, everything, SHARD_SIZE)
        report.phases["export"] = time.perf_counter() - began
        if exported:
            schema = shards.fact_shard_schema(shards.fact_type(con))
            _, report.cpu_seconds = run_pool(ray, work / "documents", Extractor, report.workers, work / "facts",
                                             schema, {"rules_version": ruleset.version, "schema": schema})
            report.phases["pool"] = time.perf_counter() - began - report.phases["export"]
            report.dropped, report.stopped = shards.fact_shard_notes(con, work / "facts")
            report.documents, report.facts = shards.load_fact_shards(con, work / "facts", ruleset.version, exported)
    report.seconds = time.perf_counter() - began
    report.phases["load"] = report.seconds - sum(report.phases.values())
    return report


def ingest(con, paths, address: str | None = None, workers: int | None = None,
           progress: bool = False, directory: str | Path | None = None, max_chars: int | None = None) -> JobReport:
    """`vnfacts ingest --engine ray`: the local ingest's batches cleaned by
    the pool, stored in one transaction at the end. Files, folders and JSONL
    are read and checked here; a WARC file is one task, read by its worker
    (by path: on a cluster, a path every node mounts)."""
    ray = start(address, workers, progress)
    max_chars = max_chars or pipeline.MAX_DOC_CHARS
    read = pipeline.IngestReport()
    report = JobReport(workers=pool_size(ray, workers))
    began = time.perf_counter()
    others, warcs = warc.split_inputs(list(paths))
    with workdir(directory) as work:
        batches = pipeline.record_batches(pipeline.read_records(others, read, max_chars), "", read, max_chars)
        report.documents = files.write_record_shards(batches, work / "records")
        items = task_items(work, warcs)
        if items:
            # every record past the door comes back once, as a document or a refusal
            report.documents, report.cpu_seconds = run_pool(ray, items, Preparer, report.workers, work / "docs",
                                                  shards.DOC_SHARD_SCHEMA, {"max_chars": max_chars})
            merge_warc_reports(read, items)
            (report.added, report.updated, report.unchanged), refused = shards.load_document_shards(con, work / "docs")
            read.errors.extend(refused)
    report.errors, report.warnings, report.duplicates = read.errors, read.warnings, read.duplicates
    report.seconds = time.perf_counter() - began
    return report
