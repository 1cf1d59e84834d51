"""The paths users run, as they type them: every command a separate process,
start-up included, wall time and peak memory of that process.

    vnfacts --help | query "select 1" | status | extract (nothing pending)
    vnfacts ingest DIR && vnfacts extract        (a folder of .html files)
    vnfacts ingest FILE.jsonl && vnfacts extract (JSON Lines with html)
    the naive script on the same folder          (python -m pipeline.bench.paths naive DIR DB)

Targets from issue 11 are printed as "target" lines, never raised.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.bench.corpus import iter_pages

VNFACTS = [sys.executable, "-m", "pipeline.cli"]
# (label, the figure it reads, bound, "max" = at most / "min" = at least)
TARGETS = [
    ("--help under 0.5 s", "help", "seconds", 0.5, "max"),
    ("--help under 120 MB", "help", "peak_mb", 120, "max"),
    ('query "select 1" under 0.5 s', "query", "seconds", 0.5, "max"),
    ('query "select 1" under 120 MB', "query", "peak_mb", 120, "max"),
    ("status under 0.5 s", "status", "seconds", 0.5, "max"),
    ("status under 120 MB", "status", "peak_mb", 120, "max"),
    ("extract with nothing pending under 1 s", "extract_idle", "seconds", 1.0, "max"),
    ("folder ingest+extract >= 300 docs/s", "folder", "docs_per_s", 300, "min"),
    ("JSONL ingest+extract >= 350 docs/s", "jsonl", "docs_per_s", 350, "min"),
    ("folder >= 10x the naive script", "folder", "vs_naive", 10, "min"),
]


@dataclass
class Run:
    seconds: float
    peak_mb: float
    code: int


def run_process(argv: list[str], cwd: Path) -> Run:
    """One command as a user runs it; peak RSS from the kernel's rusage."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode)


def write_inputs(folder: Path, limit: int) -> int:
    """The same pages as a folder of .html files and as one JSONL file."""
    pages = folder / "pages"
    pages.mkdir(parents=True)
    count = 0
    with open(folder / "pages.jsonl", "w", encoding="utf-8") as out:
        for page in iter_pages(limit, include_samples=False):  # samples hold a path, not HTML
            (pages / f"{page.id}.html").write_text(page.html, encoding="utf-8")
            out.write(json.dumps({"id": page.id, "url": page.url, "html": page.html}, ensure_ascii=False) + "\n")
            count += 1
    return count


def pipeline_path(source: Path, db: Path, cwd: Path) -> Run:
    """`vnfacts ingest SOURCE && vnfacts extract`: two processes, summed."""
    ingest = run_process([*VNFACTS, "ingest", "--db", str(db), str(source)], cwd)
    extract = run_process([*VNFACTS, "extract", "--db", str(db)], cwd)
    return Run(ingest.seconds + extract.seconds, max(ingest.peak_mb, extract.peak_mb), 0)


def run_paths(limit: int, workdir: Path, log=lambda s: None) -> dict:
    """Every path once on `limit` pages; the figures as a dict."""
    docs = write_inputs(workdir, limit)
    log(f"paths: {docs} pages as a folder and as JSONL")
    cwd, results = workdir, {"docs": docs}
    runs = {"folder": pipeline_path(workdir / "pages", workdir / "folder.duckdb", cwd),
            "jsonl": pipeline_path(workdir / "pages.jsonl", workdir / "jsonl.duckdb", cwd)}
    log("paths: folder and JSONL done")
    runs["naive"] = run_process([sys.executable, "-m", "pipeline.bench.paths", "naive", str(workdir / "pages"),
                                 str(workdir / "naive.duckdb")], cwd)
    small = {"help": [*VNFACTS, "--help"], "query": [*VNFACTS, "query", "--db", str(workdir / "jsonl.duckdb"),
             "select 1"], "status": [*VNFACTS, "status", "--db", str(workdir / "jsonl.duckdb")],
             "extract_idle": [*VNFACTS, "extract", "--db", str(workdir / "jsonl.duckdb")]}
    for name, argv in small.items():  # the median of three: one short run is mostly the machine's noise
        runs[name] = sorted((run_process(argv, cwd) for _ in range(3)), key=lambda r: r.seconds)[1]
    for name, run in runs.items():
        results[name] = {"seconds": round(run.seconds, 3), "peak_mb": round(run.peak_mb, 1)}
        if name in ("folder", "jsonl", "naive"):
            results[name]["docs_per_s"] = round(docs / run.seconds, 1)
    for name in ("folder", "jsonl"):
        results[name]["vs_naive"] = round(runs["naive"].seconds / runs[name].seconds, 2)
    return results


def format_paths(results: dict) -> str:
    lines = [f"paths as typed ({results['docs']} pages, one process per command, start-up included)",
             f"{'path':<16}{'seconds':>9}{'docs/s':>9}{'peak MB':>9}{'vs naive':>10}"]
    for name in ("folder", "jsonl", "naive", "help", "query", "status", "extract_idle"):
        row = results[name]
        lines.append(f"{name:<16}{row['seconds']:>9.2f}{row.get('docs_per_s', ''):>9}{row['peak_mb']:>9.0f}"
                     f"{row.get('vs_naive', ''):>10}")
    for label, name, key, bound, kind in TARGETS:
        value = results[name][key]
        met = value <= bound if kind == "max" else value >= bound
        lines.append(f"target {label}: {value} -> {'met' if met else 'NOT met'}")
    return "\n".join(lines)


def naive_main(folder: Path, db: Path) -> int:
    """The naive script a researcher writes, on a folder of .html files."""
    from pipeline.bench.stages import run_naive_pages

    pages = ((p.read_text(encoding="utf-8"), {"id": p.stem}) for p in sorted(folder.glob("*.html")))
    run_naive_pages(pages, db)
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["naive"]:
    raise SystemExit(naive_main(Path(sys.argv[2]), Path(sys.argv[3])))
