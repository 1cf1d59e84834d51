"""Peak memory of the commands users type, at two corpus sizes.

    vnfacts bench --paths-memory [SMALL,LARGE]     (default 1,000 and 10,000 pages)

Each of `vnfacts ingest DIR`, `vnfacts ingest FILE.jsonl` and the `vnfacts
extract` after each runs as its own process on SMALL and on LARGE pages
(the bench corpus, pipeline.bench.paths.write_inputs); the kernel's peak RSS
of each process is compared: issue 11 wants LARGE within 1.15x of SMALL.
"""
from __future__ import annotations

from pathlib import Path

from pipeline.bench.paths import VNFACTS, run_process, write_inputs

BOUND = 1.15
COMMANDS = ("ingest folder", "extract after folder", "ingest JSONL", "extract after JSONL")


def peaks(pages: int, workdir: Path) -> dict[str, float]:
    """Peak RSS (MB) of each command on `pages` pages."""
    folder = workdir / f"pages-{pages}"
    write_inputs(folder, pages)
    found = {}
    for name, source in (("folder", folder / "pages"), ("JSONL", folder / "pages.jsonl")):
        db = folder / f"{name}.duckdb"
        found[f"ingest {name}"] = run_process([*VNFACTS, "ingest", "--db", str(db), str(source)], workdir).peak_mb
        found[f"extract after {name}"] = run_process([*VNFACTS, "extract", "--db", str(db)], workdir).peak_mb
    return found


def memory_paths(small: int, large: int, workdir: Path, log=lambda s: None) -> dict:
    """{command: {small, large, ratio}} for the two sizes."""
    low = peaks(small, workdir)
    log(f"paths memory: {small} pages done")
    high = peaks(large, workdir)
    log(f"paths memory: {large} pages done")
    return {"small": small, "large": large,
            "commands": {c: {"small_mb": round(low[c], 1), "large_mb": round(high[c], 1),
                             "ratio": round(high[c] / low[c], 3)} for c in COMMANDS}}


def format_memory(results: dict) -> str:
    lines = [f"peak RSS per command, {results['small']:,} vs {results['large']:,} pages (one process each)",
             f"{'command':<24}{'MB small':>10}{'MB large':>10}{'ratio':>8}"]
    for command, row in results["commands"].items():
        lines.append(f"{command:<24}{row['small_mb']:>10.0f}{row['large_mb']:>10.0f}{row['ratio']:>8.3f}")
    for command, row in results["commands"].items():
        met = "met" if row["ratio"] <= BOUND else "NOT met"
        lines.append(f"target {command}: {results['large']:,} pages within {BOUND}x of {results['small']:,}: "
                     f"{row['ratio']} -> {met}")
    return "\n".join(lines)
