"""The figures of README's "Scale-out on Ray": docs/s of the local engine and
of Ray with 1 and 2 workers, Ray's per-task overhead, and the estimate for a
large re-extraction derived from them.

    python -m pipeline.scale.measure [--docs 2000] [--cpus 2] [--repeat 3]

A job's time is start-up (actors loading underthesea and spaCy) plus
documents / rate; both are measured: a job of the seeds alone, and a job of
the seeds, samples and --docs bench pages.
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pipeline
from pipeline import store
from pipeline.paths import SAMPLE_DIR, SHARED
from pipeline.scale import ray_engine

SEEDS = SHARED / "corpus" / "seeds"
VNTC = SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz"


class Noop:
    """An actor that does nothing: what is left of a task's time is Ray's."""

    def __call__(self, batch):
        return batch


def vntc_records(docs: int) -> list[dict]:
    """The first `docs` VNTC articles (the benchmark's bulk corpus) as text records."""
    with gzip.open(VNTC, "rt", encoding="utf-8") as handle:
        return [{"id": r["id"], "text": r["text"]} for r in map(json.loads, itertools.islice(handle, docs))]


def ingested(path: Path, inputs: list, records: list[dict] = ()) -> Path:
    with store.connect(path) as con:
        pipeline.ingest_paths(con, inputs)
        if records:
            pipeline.ingest_records(con, records, str(VNTC))
    return path


def timed_extract(base: Path, work: Path, workers: int | None) -> tuple[int, float, dict]:
    """(documents, seconds, details) of one extraction of every document of
    base; details: the Ray job's phases and its actors' CPU seconds, or the
    local engine's own CPU seconds."""
    path = work / f"run-{workers}.duckdb"
    shutil.copy(base, path)
    with store.connect(path) as con:
        began, cpu = time.perf_counter(), time.process_time()
        report = pipeline.extract_pending(con) if workers is None else ray_engine.extract(con, workers=workers)
        seconds = time.perf_counter() - began
    path.unlink()
    details = {k: round(v, 2) for k, v in getattr(report, "phases", {}).items()}
    details["cpu_s"] = round(getattr(report, "cpu_seconds", None) or time.process_time() - cpu, 2)
    return report.documents, seconds, details


def task_overhead(ray, tasks: int = 400, workers: int = 2) -> float:
    """Seconds Ray spends per actor task (a no-op pool, slope of two sizes)."""
    def run(n):
        began = time.perf_counter()
        dataset = ray.data.from_items([{"path": str(i)} for i in range(n)], override_num_blocks=n).map_batches(
            Noop, batch_size=1, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=workers))
        sum(b.num_rows for b in dataset.iter_batches(batch_size=None, batch_format="pyarrow"))
        return time.perf_counter() - began
    small, large = run(tasks // 10), run(tasks)
    return (large - small) / (tasks - tasks // 10)


def rates(small: dict, large: dict) -> dict:
    """Start-up and steady docs/s (wall clock) and docs per CPU second (the
    workers' own time, which a loaded machine does not inflate), from a small
    and a large job."""
    docs, seconds = large["docs"] - small["docs"], large["seconds"] - small["seconds"]
    rate = docs / seconds
    cpu = large["cpu_s"] - small["cpu_s"]
    return {"startup_s": round(small["seconds"] - small["docs"] / rate, 2), "docs_per_s": round(rate, 1),
            "docs_per_cpu_s": round(docs / cpu, 1) if cpu > 0 else None}


def measure(docs: int, cpus: int, repeat: int = 3) -> dict:
    ray = ray_engine.start(workers=cpus)
    with tempfile.TemporaryDirectory(prefix="vnfacts-measure-") as tmp:
        work = Path(tmp)
        seeds = ingested(work / "seeds.duckdb", [SEEDS])
        big = ingested(work / "big.duckdb", [SEEDS, SAMPLE_DIR], vntc_records(docs))
        result = {"cpus": cpus, "load_average_before": os.getloadavg()[0]}
        for label, workers in (("local", None), ("ray_1", 1), ("ray_2", 2)):
            runs = {}
            for size, base in (("small", seeds), ("large", big)):
                times = [timed_extract(base, work, workers) for _ in range(repeat)]
                runs[size] = {"docs": times[0][0], "seconds": round(statistics.median(t[1] for t in times), 2),
                              "cpu_s": statistics.median(t[2]["cpu_s"] for t in times), "phases": times[-1][2]}
            result[label] = {**runs, **rates(runs["small"], runs["large"])}
        result["task_overhead_ms"] = round(1000 * statistics.median(task_overhead(ray) for _ in range(repeat)), 1)
        result["load_average_after"] = os.getloadavg()[0]
    return result


def estimate(result: dict, pages: int = 10_000_000, cores: int = 100, shard: int = ray_engine.SHARD_SIZE) -> dict:
    """Hours for `pages` on `cores`: the workers' share at the measured docs
    per CPU second of a worker (and, pessimistic here, at the 2-worker wall
    rate), plus Ray's per-task overhead, the pool's start-up, and the
    driver's export and load, which do not spread over the cluster."""
    ray_2 = result["ray_2"]
    large = ray_2["large"]
    driver_per_doc = (large["phases"].get("export", 0) + large["phases"].get("load", 0)) / large["docs"]
    fixed = pages / shard * result["task_overhead_ms"] / 1000 / cores + ray_2["startup_s"] + pages * driver_per_doc
    per_core = {"cpu": ray_2["docs_per_cpu_s"], "wall": ray_2["docs_per_s"] / 2}
    hours = {k: round((pages / (v * cores) + fixed) / 3600, 2) for k, v in per_core.items() if v}
    return {"pages": pages, "cores": cores, "docs_per_s_per_worker": per_core,
            "driver_s_per_1000_docs": round(1000 * driver_per_doc, 3), "hours": hours}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each job; medians are reported")
    args = parser.parse_args()
    result = measure(args.docs, args.cpus, args.repeat)
    result["estimate"] = estimate(result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
