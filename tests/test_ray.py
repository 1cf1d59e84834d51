"""Scale-out on Ray Data (issue 14): the same facts as the local engine, a
killed worker loses and duplicates nothing, a failed load changes nothing.

One local Ray instance for the module (2 CPUs, no dashboard): Ray's start-up
and each actor's loading of underthesea are paid once, not per test."""
from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time

import duckdb
import psutil
import pyarrow.parquet as pq
import pytest

from tests.conftest import SAMPLE, SEEDS, SHARED, run_cli
from tests.warcfiles import two_warcs

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")

import pipeline  # noqa: E402
from pipeline import store  # noqa: E402
from pipeline.scale import ray_engine  # noqa: E402
from pipeline.store import shards  # noqa: E402

BENCH_DOCS = 2000
FACTS_SQL = "SELECT * EXCLUDE (extracted_at) FROM facts ORDER BY ALL"
DOCS_SQL = "SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY id"
VERSIONS_SQL = "SELECT id, extracted_version FROM documents ORDER BY id"
EXTRACTOR = "ray::MapWorker(MapBatches(Extractor))"


@pytest.fixture(scope="module")
def frozen_rules(tmp_path_factory):
    """One copy of rules/ for the module, read by this process, the Ray
    workers and the CLI alike (VNFACTS_RULES), so both engines run the same
    rules even while someone edits rules/ in the working tree."""
    import pipeline.extract.rules as rules_module
    from pipeline.paths import RULES_DIR

    copy = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(RULES_DIR, copy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VNFACTS_RULES", str(copy))
        patch.setattr(rules_module, "RULES_DIR", copy)
        yield copy


@pytest.fixture(scope="module")
def local_ray(frozen_rules):
    if not (SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz").is_file():
        pytest.skip(f"bench articles missing under {SHARED}/data/bulk")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def warcs(tmp_path_factory):
    return two_warcs(tmp_path_factory.mktemp("warc"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, warcs):
    """The seeds, the bundled samples, 2,000 wrapped bench pages (JSONL) and
    the WARC files (read by the Ray workers themselves, one task a file)."""
    from pipeline.bench.corpus import iter_pages

    path = tmp_path_factory.mktemp("inputs") / "bench.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for page in iter_pages(limit=BENCH_DOCS, include_samples=False):
            out.write(json.dumps({**page.meta, "html": page.html}, ensure_ascii=False) + "\n")
    return [SEEDS, SAMPLE, path, *warcs]


@pytest.fixture(scope="module")
def local_ingest(inputs, tmp_path_factory):
    """Every input ingested by the local engine (the CLI's entry), not extracted."""
    from pipeline.scale import engine

    path = tmp_path_factory.mktemp("base") / "base.duckdb"
    with store.connect(path) as con:
        report = engine.ingest(con, inputs)
    assert report.added > BENCH_DOCS and report.duplicates == 1
    assert len(report.errors) == 1 and "not Vietnamese" in report.errors[0]   # the English WARC page
    assert any("2 responses skipped" in w for w in report.warnings)
    return path, report


@pytest.fixture(scope="module")
def ingested(local_ingest):
    return local_ingest[0]


def copy_of(path, tmp_path, name):
    target = tmp_path / name
    shutil.copy(path, target)
    return target


def rows(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def local_facts(frozen_rules, ingested, tmp_path_factory):
    path = copy_of(ingested, tmp_path_factory.mktemp("local"), "local.duckdb")
    with store.connect(path) as con:
        report = pipeline.extract_pending(con)
    assert report.facts > 100
    return rows(path, FACTS_SQL)


@pytest.fixture(scope="module")
def ray_extracted(local_ray, ingested, tmp_path_factory):
    """The pending documents extracted on Ray: (database, report)."""
    path = copy_of(ingested, tmp_path_factory.mktemp("ray"), "ray.duckdb")
    with store.connect(path) as con:
        report = ray_engine.extract(con, workers=2)
    return path, report


def test_ray_extracts_exactly_the_local_facts(ray_extracted, ingested, local_facts):
    path, report = ray_extracted
    with store.connect(path) as con:
        pending = store.pending_ids(con, report.rules_version)
    assert report.documents == len(rows(ingested, "SELECT id FROM documents")) and not pending
    assert rows(path, FACTS_SQL) == local_facts
    assert report.facts == len(local_facts)
    assert rows(path, "SELECT DISTINCT indicator FROM facts WHERE doc LIKE '127.0.0.1-%'")  # the WARC pages'


def extractor_pids(running: bool = False) -> list[int]:
    """Pids of the extraction actors (Ray titles a worker process after its
    actor; '.submit' while it runs a task)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        title = " ".join(process.info["cmdline"] or [])
        if title.startswith(EXTRACTOR) and (not running or ".submit" in title):
            found.append(process.info["pid"])
    return found


def test_a_killed_worker_loses_and_duplicates_nothing(ray_extracted, ingested, local_facts, tmp_path):
    """A rerun of every document, with an actor killed mid-job, gives the same
    database: the load refuses unless each exported document came back
    exactly once, so a lost shard cannot hide behind the facts already there."""
    path = copy_of(ray_extracted[0], tmp_path, "killed.duckdb")
    outcome = {}
    con = store.connect(path)
    job = threading.Thread(target=lambda: outcome.update(report=ray_engine.extract(con, everything=True,
                                                                                   workers=2)))
    job.start()
    victim = wait_for(lambda: extractor_pids(running=True), job)
    os.kill(victim[0], signal.SIGKILL)
    job.join(timeout=300)
    con.close()
    assert not psutil.pid_exists(victim[0]) or psutil.Process(victim[0]).status() == psutil.STATUS_ZOMBIE
    assert "report" in outcome, "the job did not finish after a worker was killed"
    assert outcome["report"].documents == len(rows(ingested, "SELECT id FROM documents"))
    assert rows(path, FACTS_SQL) == local_facts


def wait_for(found, job, timeout=240):
    began = time.monotonic()
    while time.monotonic() - began < timeout and job.is_alive():
        if value := found():
            return value
        time.sleep(0.05)
    raise AssertionError("no extraction actor ran a task")


def test_ray_ingest_stores_the_local_documents(local_ray, inputs, local_ingest, tmp_path):
    """The same documents, refusals, skips and duplicates as the local engine,
    the WARC files included. (`updated` differs: the local engine stores bai-0
    from the first WARC, then counts the second file's copy as an update; the
    one-transaction load keeps only the last.)"""
    ingested, here = local_ingest
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "short English text, not Vietnamese"}\nnot json\n', encoding="utf-8")
    path = tmp_path / "ingest.duckdb"
    with store.connect(path) as con:
        report = ray_engine.ingest(con, [*inputs, bad], workers=2)
    assert report.added == len(rows(ingested, "SELECT id FROM documents")) == here.added and report.updated == 0
    assert rows(path, DOCS_SQL) == rows(ingested, DOCS_SQL)
    assert report.duplicates == here.duplicates and set(here.errors) < set(report.errors)
    assert [w for w in report.warnings if "skipped" in w] == [w for w in here.warnings if "skipped" in w]
    assert any("bad.jsonl:2: not valid JSON" in e for e in report.errors)
    assert any("bad.jsonl:1: document 'x'" in e and "not Vietnamese" in e for e in report.errors)
    small = [p for p in inputs if not str(p).endswith(".jsonl")]   # seeds, samples, WARC files
    with store.connect(path) as con:   # ingesting the same files again changes nothing
        again = ray_engine.ingest(con, small, workers=2)
    stored = len(rows(path, "SELECT id FROM documents WHERE id NOT LIKE 'vntc-%'"))
    assert again.unchanged == stored and again.added == again.updated == 0


def exported_shards(con, tmp_path, ruleset, seconds_of=lambda number: None):
    """Document shards exported from the database and their fact shards,
    written with the local batch function (no Ray needed); shard `number`
    extracted with a time budget of seconds_of(number) per document."""
    count = shards.export_documents(con, tmp_path / "docs", ruleset.version, True, 3)
    schema = shards.fact_shard_schema(shards.fact_type(con))
    (tmp_path / "facts").mkdir()
    for number, shard in enumerate(sorted((tmp_path / "docs").rglob("*.parquet"))):
        docs, dropped, stopped = pq.read_table(shard).to_pylist(), [], []
        facts = pipeline.extract_batch([{k: d[k] for k in ray_engine.DOCUMENT_KEYS} for d in docs], ruleset,
                                       dropped, stopped, seconds_of(number))
        pq.write_table(shards.fact_shard(docs, facts, schema, dropped, stopped),
                       tmp_path / "facts" / f"{number}.parquet")
    return count


OUT_OF_RANGE = {"id": "out-of-range", "source": "test", "text": "Sắp xếp thôn, tổ dân phố.\n"
                "Toàn tỉnh hiện có 200.000.000 thôn, tổ dân phố và 1.402 thôn sau sắp xếp."}


def test_stopped_documents_stay_pending_and_dropped_figures_are_reported(seeds_db, tmp_path, ruleset):
    """As extract_pending: a document over its time budget keeps its old
    facts and stays pending; a figure out of range is reported, not stored."""
    path = copy_of(seeds_db, tmp_path, "seeds.duckdb")
    with store.connect(path) as con:
        pipeline.ingest_records(con, [OUT_OF_RANGE], "test")
        local = pipeline.extract_pending(con)
        before = con.execute(FACTS_SQL).fetchall()
        count = exported_shards(con, tmp_path, ruleset, seconds_of=lambda number: 1e-9 if number == 0 else None)
        dropped, stopped = shards.fact_shard_notes(con, tmp_path / "facts")
        first = [d["id"] for d in pq.read_table(sorted((tmp_path / "docs").rglob("*.parquet"))[0]).to_pylist()]
        assert [doc for doc, _ in stopped] == sorted(first) and len(first) == 3
        assert dropped == [d for d in local.dropped if d[0] not in first] and dropped
        loaded = shards.load_fact_shards(con, tmp_path / "facts", "next-version", count)
        assert loaded[0] == count - 3
        assert store.pending_ids(con, "next-version") == sorted(first)
        kept = [row for row in before if row[0] in first]
        assert kept and [row for row in con.execute(FACTS_SQL).fetchall() if row[0] in first] == kept


def test_a_load_that_does_not_add_up_changes_nothing(seeds_db, tmp_path, ruleset):
    path = copy_of(seeds_db, tmp_path, "seeds.duckdb")
    with store.connect(path) as con:
        count = exported_shards(con, tmp_path, ruleset)
        before = con.execute(FACTS_SQL).fetchall(), con.execute(VERSIONS_SQL).fetchall()
        shutil.copy(tmp_path / "facts" / "0.parquet", tmp_path / "facts" / "0-again.parquet")  # a duplicated shard
        with pytest.raises(shards.ShardError, match="distinct"):
            shards.load_fact_shards(con, tmp_path / "facts", "other-version", count)
        (tmp_path / "facts" / "0-again.parquet").unlink()
        with pytest.raises(shards.ShardError, match="exported"):
            shards.load_fact_shards(con, tmp_path / "facts", "other-version", count + 1)
        assert (con.execute(FACTS_SQL).fetchall(), con.execute(VERSIONS_SQL).fetchall()) == before


def test_a_document_changed_during_the_job_stays_pending(seeds_db, tmp_path, ruleset):
    path = copy_of(seeds_db, tmp_path, "seeds.duckdb")
    with store.connect(path) as con:
        count = exported_shards(con, tmp_path, ruleset)
        doc = store.documents_by_id(con, [store.pending_ids(con, "", everything=True)[0]])[0]
        changed = {**doc, "text": doc["text"] + "\n\nMột đoạn viết thêm sau khi xuất.", "source": "test"}
        changed["content_hash"] = store.content_hash(changed["text"])
        store.upsert_documents(con, [changed])
        loaded = shards.load_fact_shards(con, tmp_path / "facts", ruleset.version, count)
        assert loaded[0] == count - 1
        assert store.pending_ids(con, ruleset.version) == [doc["id"]]


def test_ray_reports_the_figures_it_drops(local_ray, seeds_db, tmp_path):
    """The Ray engine reports out-of-range figures as the local engine does (it used to report none)."""
    local, remote = copy_of(seeds_db, tmp_path, "local.duckdb"), copy_of(seeds_db, tmp_path, "ray.duckdb")
    reports = []
    for path, extract in ((local, pipeline.extract_pending), (remote, lambda con: ray_engine.extract(con, workers=1))):
        with store.connect(path) as con:
            pipeline.ingest_records(con, [OUT_OF_RANGE], "test")
            reports.append(extract(con))
    assert reports[1].dropped == reports[0].dropped and len(reports[0].dropped) == 1
    assert rows(remote, FACTS_SQL) == rows(local, FACTS_SQL)


def test_cli_engine_ray(local_ray, tmp_path):
    """The commands users type, joining the running Ray instance by address."""
    db, address = tmp_path / "cli.duckdb", local_ray.get_runtime_context().gcs_address
    result = run_cli("ingest", SEEDS, "--engine", "ray", "--address", address, "--workers", "1", "--db", db)
    assert "5 added" in result.stderr
    result = run_cli("extract", "--engine", "ray", "--address", address, "--workers", "1", "--db", db)
    assert "5 documents extracted" in result.stderr and "docs/s per worker" in result.stderr
    local = copy_of(db, tmp_path, "local.duckdb")
    run_cli("extract", "--all", "--db", local)
    assert rows(db, FACTS_SQL) == rows(local, FACTS_SQL)


def test_a_worker_with_other_rules_fails_the_job_clearly(local_ray, seeds_db, tmp_path, ruleset):
    """A node whose rules differ from the driver's: the job stops with one line
    naming both versions (nothing is loaded: the load comes after the pool)."""
    with store.connect(copy_of(seeds_db, tmp_path, "seeds.duckdb")) as con:
        shards.export_documents(con, tmp_path / "docs", ruleset.version, True, 3)
        schema = shards.fact_shard_schema(shards.fact_type(con))
    with pytest.raises(ray_engine.JobError, match=r"rules at .* are version \w+, the driver's not-these-rules"):
        ray_engine.run_pool(local_ray, tmp_path / "docs", ray_engine.Extractor, 1, tmp_path / "facts", schema,
                            {"rules_version": "not-these-rules", "schema": schema})
