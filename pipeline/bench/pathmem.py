"""Peak memory of the commands users type, at two corpus sizes.

    vnfacts bench --paths-memory [SMALL,LARGE]     (default 1,000 and 10,000 pages)

Each of `vnfacts ingest DIR`, `vnfacts ingest FILE.jsonl` and the `vnfacts
extract` after each runs as its own process on SMALL and on LARGE pages
(the bench corpus, pipeline.bench.paths.write_inputs); the kernel's peak RSS
of each process is compared: issue 11 wants LARGE within 1.15x of SMALL.
Each command runs RUNS times (a new database each) and its median counts:
one peak varies by a few MB with how batches fall into ingest's held
connection (store.session.HOLD is time, so machine load moves it).

What is left of the folder ingest's rise (measured at the end of issue 11's
memory work): the RSS between held connections (file let go) stays within
~3 MB from the first batch to the last (ingest keeps ids as hashes, lists a folder
one directory at a time; clean/caches.py empties the parsers' caches). The
rest is DuckDB's and a step, not growth (5,000 pages peak as 10,000): a hold
that appends to the file's last partial row group reads it back and its
checkpoint rewrites it (duckdb_memory() BASE_TABLE 0.5 MB in the first hold,
3-8.5 MB in later ones); 1,000 pages never fill a row group of 2,048 rows,
which is DuckDB's smallest (ROW_GROUP_SIZE must divide by its vector size).
"""
from __future__ import annotations

from pathlib import Path
from statistics import median

from pipeline.bench.paths import VNFACTS, run_process, write_inputs

BOUND = 1.15
RUNS = 3
COMMANDS = ("ingest folder", "extract after folder", "ingest JSONL", "extract after JSONL")


def peaks(pages: int, workdir: Path, runs: int = RUNS) -> dict[str, list[float]]:
    """Peak RSS (MB) of each command on `pages` pages, one per run."""
    folder = workdir / f"pages-{pages}"
    write_inputs(folder, pages)
    found = {command: [] for command in COMMANDS}
    for run in range(runs):
        for name, source in (("folder", folder / "pages"), ("JSONL", folder / "pages.jsonl")):
            db = folder / f"{name}-{run}.duckdb"
            found[f"ingest {name}"].append(
                run_process([*VNFACTS, "ingest", "--db", str(db), str(source)], workdir).peak_mb)
            found[f"extract after {name}"].append(run_process([*VNFACTS, "extract", "--db", str(db)], workdir).peak_mb)
    return found


def memory_paths(small: int, large: int, workdir: Path, log=lambda s: None, runs: int = RUNS) -> dict:
    """{command: {small, large (medians), their ranges, ratio}} for the two sizes."""
    low = peaks(small, workdir, runs)
    log(f"paths memory: {small} pages done")
    high = peaks(large, workdir, runs)
    log(f"paths memory: {large} pages done")
    return {"small": small, "large": large, "runs": runs,
            "commands": {c: medians(low[c], high[c]) for c in COMMANDS}}


def medians(low: list[float], high: list[float]) -> dict:
    small, large = median(low), median(high)
    return {"small_mb": round(small, 1), "large_mb": round(large, 1), "ratio": round(large / small, 3),
            "small_range_mb": [round(min(low), 1), round(max(low), 1)],
            "large_range_mb": [round(min(high), 1), round(max(high), 1)]}


def format_memory(results: dict) -> str:
    lines = [f"peak RSS per command, {results['small']:,} vs {results['large']:,} pages "
             f"(one process each, median of {results.get('runs', 1)} runs; range in brackets)",
             f"{'command':<24}{'MB small':>10}{'range':>12}{'MB large':>10}{'range':>12}{'ratio':>8}"]
    for command, found in results["commands"].items():
        low, high = found["small_range_mb"], found["large_range_mb"]
        lines.append(f"{command:<24}{found['small_mb']:>10.0f}{f'[{low[0]:.0f}-{low[1]:.0f}]':>12}"
                     f"{found['large_mb']:>10.0f}{f'[{high[0]:.0f}-{high[1]:.0f}]':>12}{found['ratio']:>8.3f}")
    for command, found in results["commands"].items():
        met = "met" if found["ratio"] <= BOUND else "NOT met"
        lines.append(f"target {command}: {results['large']:,} pages within {BOUND}x of {results['small']:,}: "
                     f"{found['ratio']} -> {met}")
    return "\n".join(lines)
