"""--engine local|ray for `vnfacts extract` and `vnfacts ingest`: one entry
per command, the same report either way (the CLI prints the same lines).

local: the stages in this process (pipeline.extract_pending / ingest_paths).
ray:   the same batch functions on a Ray cluster's actors (ray_engine.py);
       --address joins a running cluster, without it a local Ray starts
       with --workers CPUs.
"""
from __future__ import annotations

from dataclasses import dataclass

import click

import pipeline
from pipeline.lazy import lazy_module

store = lazy_module("pipeline.store")

ENGINES = ("local", "ray")


@dataclass
class NothingPending:
    """The report of an extraction that found nothing to do (as core.ExtractReport reads)."""
    rules_version: str
    documents: int = 0
    facts: int = 0


def engine_options(command):
    """--engine, --address, --workers, declared once for both commands."""
    command = click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
                           help="Ray actors, one CPU each [default: every CPU of the cluster]")(command)
    command = click.option("--address", default=None, metavar="ADDR",
                           help="Ray cluster to run on (HOST:6379, or 'auto') [default: start a local Ray]")(command)
    return click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
                        help="where the stages run: this process, or Ray actors")(command)


def _ray_engine(engine: str, address, workers):
    if engine == "local":
        if address or workers:
            raise click.UsageError("--address and --workers need --engine ray")
        return None
    from pipeline.scale import ray_engine
    return ray_engine


def extract(con, everything: bool, engine: str = "local", address=None, workers=None, progress=False):
    """Stages 3-5 over pending documents, by the chosen engine."""
    ray_engine = _ray_engine(engine, address, workers)
    known = None if everything else pending(con)
    if known is not None and not known[1]:
        return NothingPending(known[0])
    if ray_engine is None:
        return pipeline.extract_pending(con, everything, progress=progress, pending=known)
    with _clear_errors(ray_engine):
        return ray_engine.extract(con, everything, address, workers, progress)


def pending(con) -> tuple[str, list[str]] | None:
    """(the rules version, the documents waiting for it), asked with the
    rules' content hash: nothing pending costs no spaCy, segmenter or rule
    compile (issue 11), and extract_pending need not list them again. None
    for a folder that is not a rules folder: load_ruleset reports it."""
    if not (pipeline.rules_folder() / "lexicon.yaml").is_file():
        return None
    version = pipeline.rules_version()
    with store.session(con, read_only=True) as connection:
        return version, store.pending_ids(connection, version)


def ingest(con, paths, engine: str = "local", address=None, workers=None, progress=False, max_chars=None):
    """Stages 1-2 and the load of documents, by the chosen engine."""
    ray_engine = _ray_engine(engine, address, workers)
    if ray_engine is None:
        return ingest_here(con, paths, progress, max_chars)
    with _clear_errors(ray_engine):
        return ray_engine.ingest(con, paths, address, workers, progress, max_chars=max_chars)


def ingest_here(con, paths, progress=False, max_chars=None):
    """The local engine: files, folders and JSONL as ingest_paths reads them,
    then each WARC file's pages (pipeline/scale/warc.py) through the same
    batches."""
    from pipeline.scale import warc

    others, warcs = warc.split_inputs(list(paths))
    if not warcs:
        return pipeline.ingest_paths(con, others, progress=progress, max_chars=max_chars)
    report = pipeline.ingest_paths(con, others, progress=progress, max_chars=max_chars) if others \
        else pipeline.IngestReport()
    for path in warcs:
        pipeline.ingest_records(con, warc.records(path, report), "", report, max_chars or pipeline.MAX_DOC_CHARS)
    return report


class _clear_errors:
    """Ray missing, a failed job, shards that do not add up: one line, no traceback."""

    def __init__(self, ray_engine):
        self.missing = (ray_engine.RayMissing, ray_engine.JobError)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        from pipeline.store.shards import ShardError  # pyarrow: only once a Ray job ran

        if kind is not None and issubclass(kind, (*self.missing, ShardError)):
            raise click.ClickException(str(error)) from None
        return False


def throughput(report) -> str:
    """The Ray summary line (empty for the local engine's report)."""
    seconds = getattr(report, "seconds", None)
    if not seconds:
        return ""
    return (f"{report.documents / seconds:.1f} docs/s on {report.workers} workers = "
            f"{report.docs_per_second_per_worker:.1f} docs/s per worker ({seconds:.1f} s with Ray start-up)")
