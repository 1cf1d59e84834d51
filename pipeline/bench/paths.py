"""The paths users run, as they type them: every command a separate process,
start-up included, wall time and peak memory of that process.

    vnfacts --help | query "select 1" | status | extract (nothing pending)
    vnfacts ingest DIR && vnfacts extract        (a folder of .html files)
    vnfacts ingest FILE.jsonl && vnfacts extract (JSON Lines with html)
    the naive script on the same folder          (python -m pipeline.bench.paths naive DIR DB)
    vnfacts run against the same pages served as 10 sites on 127.0.0.1-10 (delay 0 and 0.5 s),
      with what the servers saw (first to last request) next to the politeness bound

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
    ("run, 10 hosts, delay 0: >= 150 pages/s", "crawl_0", "docs_per_s", 150, "min"),
    ("run, 10 hosts, delay 0.5 s: within 1.2x the politeness bound", "crawl_polite", "vs_bound", 1.2, "max"),
    ("fetching alone, delay 0.5 s: within 1.2x the bound", "crawl_polite", "fetch_vs_bound", 1.2, "max"),
]
CRAWL_HOSTS = 10
POLITE_DELAY = 0.5
TIMELINE_ENV = "VNFACTS_TIMELINE"  # pipeline.crawl.timeline.ENV (the run's marks go to this file)


@dataclass
class Run:
    seconds: float
    peak_mb: float
    code: int


def run_process(argv: list[str], cwd: Path, env: dict | None = None) -> Run:
    """One command as a user runs it; peak RSS from the kernel's rusage."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **env} if env else None)
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


def crawl_path(pages: Path, workdir: Path, name: str, delay: float) -> tuple[Run, dict]:
    """`vnfacts run` against the pages served as CRAWL_HOSTS sites on 127.0.0.x
    (a server process of their own, python -m pipeline.crawl.localsites), and
    what the servers saw: requests, span (first to last arrival), busiest host's span."""
    sites = workdir / f"{name}-sites"
    server = subprocess.Popen([sys.executable, "-m", "pipeline.crawl.localsites", str(pages), str(sites),
                               str(CRAWL_HOSTS), str(delay)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=workdir)
    try:
        ready = server.stdout.readline()
        if not ready.startswith("ready"):
            raise RuntimeError(f"local sites did not start: {ready!r}")
        marks = workdir / f"{name}-timeline.txt"
        env = {TIMELINE_ENV: str(marks)}
        started = time.monotonic()
        run = run_process([*VNFACTS, "run", "--db", str(workdir / f"{name}.duckdb"), "--sites", str(sites),
                           "--corpus", str(workdir / f"{name}-corpus")], workdir, env)
        ended = time.monotonic()
    finally:
        server.stdin.close()
        seen = server.stdout.read().split()
        server.wait(timeout=30)
    seen = {key: float(value) for key, value in zip(seen[::2], seen[1::2])}
    seen["timeline"] = timeline(marks, started, ended, seen)
    return run, seen


def timeline(path: Path, started: float, ended: float, seen: dict) -> list[tuple[float, str]]:
    """(seconds since `vnfacts run` was spawned, what happened): the run's own
    marks (lines "MONOTONIC PID WHAT" written by pipeline.crawl.timeline), the first and last request the servers saw, its exit."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    rows = [(float(at), name) for at, _, name in (line.split(" ", 2) for line in lines)]
    rows += [(seen["first"], "servers: first request"), (seen["last"], "servers: last request")] \
        if "first" in seen else []
    rows += [(started, "bench: vnfacts run spawned"), (ended, "bench: vnfacts run exited")]
    return [(round(at - started, 3), name) for at, name in sorted(rows)]


def stored(db: Path) -> int:
    """Documents stored by a run, read by the CLI (bench may not import the store)."""
    out = subprocess.run([*VNFACTS, "query", "--db", str(db), "select count(*) from documents"],
                         capture_output=True, text=True, check=True).stdout
    return int("".join(c for c in out.splitlines()[-1] if c.isdigit()) or 0)


def crawl_runs(docs: int, workdir: Path, log=lambda s: None) -> dict:
    """The two crawl figures: delay 0 (pages/s) and POLITE_DELAY (time against the bound)."""
    results = {}
    for name, delay in (("crawl_0", 0.0), ("crawl_polite", POLITE_DELAY)):
        run, seen = crawl_path(workdir / "pages", workdir, name, delay)
        count = stored(workdir / f"{name}.duckdb")
        per_host = -(-docs // CRAWL_HOSTS) + 1          # its pages and its feed; robots.txt comes first
        bound = per_host * delay
        results[name] = {"seconds": round(run.seconds, 3), "peak_mb": round(run.peak_mb, 1),
                         "stored": count, "docs_per_s": round(count / run.seconds, 1),
                         "fetch_s": seen.get("span", 0.0), "busiest_s": seen.get("busiest", 0.0),
                         "fetch_per_s": round(seen.get("requests", 0) / max(seen.get("span", 0), 1e-3), 1),
                         "bound_s": round(bound, 2), "vs_bound": round(run.seconds / bound, 2) if bound else "",
                         "fetch_vs_bound": round(seen.get("span", 0.0) / bound, 2) if bound else "",
                         "timeline": seen["timeline"]}
        log(f"paths: vnfacts run, {CRAWL_HOSTS} hosts, delay {delay}: {count} stored in {run.seconds:.1f} s")
    return results


def ensure_bytecode(log=lambda s: None) -> None:
    """The package's modules compiled to bytecode, as a default Python leaves
    them after a first run (or pip after an install). Where
    PYTHONDONTWRITEBYTECODE is set, as on this project's machines, every
    command would otherwise compile them again (~0.1 s of an extract), which
    no user's default set-up does."""
    if not sys.dont_write_bytecode:
        return
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[1]), quiet=1)
    log("paths: PYTHONDONTWRITEBYTECODE is set; the package's bytecode was compiled first (compileall)")


def run_paths(limit: int, workdir: Path, log=lambda s: None) -> dict:
    """Every path once on `limit` pages; the figures as a dict."""
    ensure_bytecode(log)
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
    results.update(crawl_runs(docs, workdir, log))
    return results


def format_paths(results: dict) -> str:
    lines = [f"paths as typed ({results['docs']} pages, one process per command, start-up included)",
             f"{'path':<16}{'seconds':>9}{'docs/s':>9}{'peak MB':>9}{'vs naive':>10}"]
    for name in ("folder", "jsonl", "naive", "help", "query", "status", "extract_idle"):
        row = results[name]
        lines.append(f"{name:<16}{row['seconds']:>9.2f}{row.get('docs_per_s', ''):>9}{row['peak_mb']:>9.0f}"
                     f"{row.get('vs_naive', ''):>10}")
    for name in ("crawl_0", "crawl_polite"):
        row = results[name]
        lines.append(f"{name:<16}{row['seconds']:>9.2f}{row['docs_per_s']:>9}{row['peak_mb']:>9.0f}"
                     f"   {row['stored']} stored, {CRAWL_HOSTS} hosts; at the servers {row['fetch_s']:.2f} s "
                     f"({row['fetch_per_s']} requests/s), politeness bound {row['bound_s']} s")
    for name in ("crawl_0", "crawl_polite"):
        lines.append(timeline_line(name, results[name].get("timeline", [])))
    for label, name, key, bound, kind in TARGETS:
        value = results[name][key]
        met = value <= bound if kind == "max" else value >= bound
        lines.append(f"target {label}: {value} -> {'met' if met else 'NOT met'}")
    return "\n".join(lines)


def timeline_line(name: str, marks: list) -> str:
    """The run's time line in one line, seconds from its spawn; the store passes
    during the crawl left out (their marks are in the JSON figures)."""
    quiet = ("parent: pass", "parent: stored", "parent: extracted")
    return f"timeline {name}: " + ", ".join(f"{at:.2f} {what}" for at, what in marks
                                            if not what.startswith(quiet))


def naive_main(folder: Path, db: Path) -> int:
    """The naive script a researcher writes, on a folder of .html files."""
    from pipeline.bench.stages import run_naive_pages

    pages = ((p.read_text(encoding="utf-8"), {"id": p.stem}) for p in sorted(folder.glob("*.html")))
    run_naive_pages(pages, db)
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["naive"]:
    raise SystemExit(naive_main(Path(sys.argv[2]), Path(sys.argv[3])))
