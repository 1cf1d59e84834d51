"""`vnfacts bench`: throughput and memory of every stage, against the naive pipeline."""
from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import click


class DocsType(click.ParamType):
    """A positive count, or "all" / 0 for the full set."""
    name = "N|all"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, int):
            return None if value == 0 else value
        text = str(value).strip().lower()
        if text in ("all", "0", "full"):
            return None
        try:
            number = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            self.fail(f"{value!r} is not a number or 'all'", param, ctx)
        if number < 0:
            self.fail("must be >= 0", param, ctx)
        return None if number == 0 else number


@click.command("bench")
@click.option("--docs", type=DocsType(), default="2000", show_default=True,
              help="Benchmark documents (bundled sample pages, then wrapped VNTC articles); "
                   "'all' or 0 for the full set (12,786 + samples).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run the timed passes K times and report the median (with --paths: every path K times).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the figures as JSON [default: bench-results/bench-<timestamp>.json].")
@click.option("--skip-naive", is_flag=True, help="Do not time the naive pipeline (no ratio).")
@click.option("--rows", type=click.IntRange(min=0), default=1_000_000, show_default=True,
              help="Synthetic fact rows for the DuckDB load test (0 = skip).")
@click.option("--skip-memory", is_flag=True,
              help="Do not run the 1,000-doc vs full-set end-to-end passes in subprocesses.")
@click.option("--skip-equivalence", is_flag=True, help="Do not check pre-filter vs full segmentation.")
@click.option("--equivalence-docs", type=DocsType(), default="all", show_default=True,
              help="Benchmark docs to check for pre-filter equivalence (seeds and samples are always checked).")
@click.option("--profile-docs", type=click.IntRange(min=0), default=500, show_default=True,
              help="Profile the end-to-end pass (cProfile) on this many docs (0 = no profile).")
@click.option("--no-samples", is_flag=True, help="Leave the bundled corpus/sample pages out.")
@click.option("--paths", "paths_docs", type=click.IntRange(min=1), default=None, metavar="[N]",
              is_flag=False, flag_value=1000,
              help="Instead: time the commands users type (ingest a folder / JSONL, extract, --help, query, "
                   "status), each a separate process with start-up, on N pages (1,000 if no N), next to the "
                   "naive script.")
@click.option("--quick", is_flag=True, help="With --paths: 200 pages (under a minute).")
@click.option("--limits", is_flag=True, help="Instead: seconds to extract pathological texts (repetitive 4/16/36 kB, "
                                             "100 kB without punctuation; pipeline.bench.limits).")
@click.option("--paths-memory", "paths_memory", default=None, metavar="SMALL,LARGE", is_flag=False,
              flag_value="1000,10000", help="Instead: peak memory of ingest (folder, JSONL) and extract, each its own "
                                            "process, on SMALL and LARGE pages (1,000 and 10,000 if not given).")
def bench(docs, repeat, json_path, skip_naive, rows, skip_memory, skip_equivalence,
          equivalence_docs, profile_docs, no_samples, paths_docs, quick, limits, paths_memory):
    """Time clean, normalize, segment, extract, load and the whole path HTML -> DuckDB.

    The corpus is ../shared/data/bulk/vntc_sample.jsonl.gz wrapped in news-page HTML
    (streamed through a temporary file, never held in memory). Prints a table and
    writes the same figures as JSON. Single process; run on an idle machine.
    """
    from pipeline.bench import run as lib
    from pipeline.bench.corpus import GOLD_PATH, VNTC_PATH

    missing = [p for p in (VNTC_PATH, GOLD_PATH) if not p.is_file()]
    if missing:
        raise click.ClickException(f"shared data not found: {missing[0]} (clone next to ../shared "
                                   "or set VNFACTS_SHARED to the shared folder)")
    if paths_docs or quick:
        return bench_paths(200 if quick else paths_docs, json_path, repeat)
    if limits:
        return bench_limits()
    if paths_memory:
        return bench_paths_memory(paths_memory, json_path)
    opts = lib.Options(docs=docs, repeat=repeat, skip_naive=skip_naive, rows=rows,
                       memory=not skip_memory, equivalence=not skip_equivalence,
                       equivalence_docs=equivalence_docs, profile_docs=profile_docs,
                       include_samples=not no_samples)
    started = time.time()

    def log(message: str) -> None:
        click.echo(f"[{time.time() - started:7.1f}s] {message}", err=True)

    results = lib.run_benchmark(opts, log=log)
    results["command"] = " ".join(shlex.quote(a) for a in sys.argv)
    results["elapsed_seconds"] = round(time.time() - started, 1)
    if json_path is None:
        json_path = Path("bench-results") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    lib.write_json(results, json_path)
    click.echo(lib.format_table(results))
    click.echo(f"\nJSON: {json_path}")


def bench_paths(limit: int, json_path: Path | None, repeat: int = 1) -> None:
    """`vnfacts bench --paths N [--repeat K]`: the CLI paths as typed
    (pipeline.bench.paths), K runs, each figure the median of its K values."""
    import tempfile

    from pipeline.bench import paths

    started = time.time()
    log = lambda m: click.echo(f"[{time.time() - started:7.1f}s] {m}", err=True)  # noqa: E731
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="vnfacts-paths-") as tmp:
            runs.append(paths.run_paths(limit, Path(tmp), log=log))
    results = median_figures(runs)
    results["runs"] = repeat
    report(results, paths.format_paths(results), json_path, "paths")


def report(results: dict, table: str, json_path: Path | None, name: str) -> None:
    """Print the table; write the figures, with the command typed, as JSON."""
    results["command"] = " ".join(shlex.quote(a) for a in sys.argv)
    json_path = json_path or Path("bench-results") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    click.echo(table)
    click.echo(f"\nJSON: {json_path}")


def median_figures(runs: list):
    """The runs' figures merged: each number the median of its values (the
    middle one), anything else (a time line, text) the first run's."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: median_figures([run[key] for run in runs]) for key in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool) and len(runs) > 1:
        return sorted(runs)[len(runs) // 2]
    return first


def bench_paths_memory(sizes: str, json_path: Path | None) -> None:
    """`vnfacts bench --paths-memory`: peak RSS per command at two sizes (pipeline.bench.pathmem)."""
    import tempfile

    from pipeline.bench import pathmem

    try:
        small, large = (int(n.replace("_", "")) for n in sizes.split(","))
    except ValueError:
        raise click.BadParameter(f"{sizes!r}: expected SMALL,LARGE page counts, e.g. 1000,10000",
                                 param_hint="--paths-memory") from None
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="vnfacts-pathmem-") as tmp:
        results = pathmem.memory_paths(small, large, Path(tmp),
                                       log=lambda m: click.echo(f"[{time.time() - started:7.1f}s] {m}", err=True))
    report(results, pathmem.format_memory(results), json_path, "paths-memory")


def bench_limits() -> None:
    """`vnfacts bench --limits`: pathological texts, one document each (pipeline.bench.limits)."""
    from pipeline.bench import limits

    started = time.time()
    results = limits.run_limits(log=lambda m: click.echo(f"[{time.time() - started:7.1f}s] {m}", err=True))
    click.echo(limits.format_limits(results))


def register(group: click.Group) -> None:
    """Add `bench` to the main click group (called from pipeline/cli.py)."""
    group.add_command(bench)


if __name__ == "__main__":
    bench()
