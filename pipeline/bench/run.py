"""Benchmark orchestration: run every pass, check the targets, print the table, write JSON.

What it measures (issue 3):

* each stage on its own (clean, normalize, segment, extract, load) and the
  whole path HTML -> facts committed in a real DuckDB file, as docs/s and
  MB/s, with peak RSS;
* the naive pipeline a researcher would write by hand (trafilatura.extract,
  underthesea word_tokenize on every sentence, one regex per indicator, one
  INSERT per fact) on the same documents in the same run, and the ratio;
* peak RSS of the end-to-end pass for 1,000 documents and for the full set,
  each in its own subprocess (memory must be flat in corpus size);
* loading 1,000,000 synthetic fact rows through ``store.replace_facts``;
* re-extraction (``core.extract_pending(con, everything=True)``) on an
  already-ingested database, counting calls to ``clean_html`` (must be 0);
* equivalence: the pre-filtered segmentation must yield exactly the facts of
  full segmentation (gold seed documents, corpus/sample/*.html, bench docs).

The corpus is the VNTC politics/society sample (``../shared/data/bulk``
relative to the repository) wrapped in varied news-page HTML, plus the
bundled sample pages. It is streamed: generated once into a temporary JSONL
file, read back line by line; no pass holds the corpus in memory.

Modules: bench_pages (news-page HTML), bench_corpus (corpus file),
bench_measure (RSS, rates), bench_stages (timed passes), bench_checks
(equivalence, memory subprocesses, profile).
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.bench.checks import MEMORY_SMALL, run_equivalence, run_memory, run_profile
from pipeline.bench.corpus import iter_corpus, nbytes, write_corpus
from pipeline.bench.measure import MB, load_ruleset, quiet_libraries
from pipeline.bench.stages import (
    E2E_ENTRIES,
    STAGES,
    run_e2e,
    run_load,
    run_naive,
    run_reextract,
    run_stages,
)


@dataclass
class Options:
    docs: int | None = 2000          # None = full set
    repeat: int = 1
    skip_naive: bool = False
    rows: int = 1_000_000            # 0 = skip the load test
    memory: bool = True
    equivalence: bool = True
    equivalence_docs: int | None = None   # None = all benchmark docs
    profile_docs: int = 500          # 0 = no profile
    include_samples: bool = True
    workdir: Path | None = None


def run_benchmark(opts: Options, log: Callable[[str], None] = lambda s: None) -> dict:
    """Every pass and check in opts, in one temporary directory; the figures as a dict."""
    quiet_libraries()
    load_start = os.getloadavg()[0]
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
                     "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()}}
    with tempfile.TemporaryDirectory(prefix="vnfacts-bench-", dir=opts.workdir) as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        n = _prepare_corpus(opts, corpus, results, log)
        ruleset = load_ruleset()
        results["rules_version"] = getattr(ruleset, "version", None)
        last_db = _timed_passes(opts, corpus, n, tmp, ruleset, results, log)
        _run_checks(opts, corpus, n, tmp, ruleset, last_db, results, log)
    results["load_average"] = f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"
    _note_rules_change(results, log)
    results["targets"] = check_targets(results)
    return results


def _prepare_corpus(opts: Options, corpus: Path, results: dict, log: Callable[[str], None]) -> int:
    """Write the corpus file; returns how many of its docs the timed passes use."""
    # the memory check runs on every doc, so the file then holds all of them
    need_full = opts.memory and opts.docs is not None
    t = time.perf_counter()
    stats = write_corpus(corpus, None if need_full else opts.docs, opts.include_samples)
    results["corpus_written_seconds"] = round(time.perf_counter() - t, 2)
    n = stats["docs"] if opts.docs is None else min(opts.docs, stats["docs"])
    if opts.docs is not None:   # figures for the first n docs only
        stats = {**stats, **_prefix_stats(corpus, n), "written_docs": stats["docs"]}
    results["corpus"] = stats
    log(f"corpus: {n} docs ({stats['sample_pages']} sample pages), "
        f"{stats['html_bytes'] / MB:.1f} MB HTML, written in {results['corpus_written_seconds']} s")
    return n


def _prefix_stats(corpus: Path, n: int) -> dict:
    html_bytes = samples = 0
    for html, meta in iter_corpus(corpus, n):
        html_bytes += nbytes(html)
        samples += str(meta.get("source", "")).startswith("corpus/sample")
    return {"docs": n, "html_bytes": html_bytes, "sample_pages": samples}


def _timed_passes(opts: Options, corpus: Path, n: int, tmp: Path, ruleset, results: dict,
                  log: Callable[[str], None]) -> Path | None:
    """Stages, both end-to-end paths and the naive pipeline, opts.repeat times; medians to results.

    Returns the last ingest+extract database, kept for the re-extraction check."""
    stage_runs, naive_runs = [], []
    e2e_runs: dict[str, list] = {entry: [] for entry in E2E_ENTRIES}
    last_db = None
    for k in range(opts.repeat):
        step = f"[{k + 1}/{opts.repeat}]"
        log(f"{step} stages ...")
        stage_runs.append(run_stages(corpus, n, tmp / f"stages-{k}.duckdb", ruleset))
        (tmp / f"stages-{k}.duckdb").unlink(missing_ok=True)
        for entry in E2E_ENTRIES:
            log(f"{step} end to end ({entry}) ...")
            db = tmp / f"e2e-{entry}-{k}.duckdb"
            e2e_runs[entry].append(run_e2e(corpus, n, db, ruleset, entry))
            if entry != "ingest+extract":
                db.unlink(missing_ok=True)
                continue
            if last_db is not None:
                last_db.unlink(missing_ok=True)
            last_db = db
        if not opts.skip_naive:
            log(f"{step} naive ...")
            naive_runs.append(run_naive(corpus, n, tmp / f"naive-{k}.duckdb"))
            (tmp / f"naive-{k}.duckdb").unlink(missing_ok=True)
    _store_medians(results, stage_runs, e2e_runs, naive_runs)
    return last_db


def _store_medians(results: dict, stage_runs: list, e2e_runs: dict, naive_runs: list) -> None:
    results["stages"] = median_result(stage_runs)
    results["e2e_paths"] = {entry: median_result(runs) for entry, runs in e2e_runs.items()}
    results["e2e"] = results["e2e_paths"]["ingest+extract"]
    results["runs"] = {"stages": stage_runs, "e2e": e2e_runs, "naive": naive_runs}
    if naive_runs:
        results["naive"] = median_result(naive_runs)
        results["speedup_vs_naive"] = round(results["e2e"]["docs_per_s"] / results["naive"]["docs_per_s"], 2)
        results["speedup_vs_naive_by_path"] = {
            entry: round(v["docs_per_s"] / results["naive"]["docs_per_s"], 2)
            for entry, v in results["e2e_paths"].items()}


def _run_checks(opts: Options, corpus: Path, n: int, tmp: Path, ruleset, last_db: Path | None,
                results: dict, log: Callable[[str], None]) -> None:
    """Re-extraction, load test, memory, profile and equivalence, as opts asks."""
    log("re-extraction from stored text ...")
    results["reextract"] = run_reextract(last_db)
    if opts.rows:
        log(f"load {opts.rows:,} synthetic fact rows ...")
        results["load"] = run_load(opts.rows, tmp / "load.duckdb")
        (tmp / "load.duckdb").unlink(missing_ok=True)
    if opts.memory:
        log(f"memory: end to end for {MEMORY_SMALL} docs and for all docs, separate processes ...")
        results["memory"] = run_memory(corpus, tmp)
    if opts.profile_docs:
        log(f"profile: end to end on {min(opts.profile_docs, n)} docs ...")
        results["profile"] = run_profile(corpus, min(opts.profile_docs, n), tmp / "profile.duckdb")
    if opts.equivalence:
        log("equivalence: pre-filter vs every sentence segmented ...")
        limit = n if opts.equivalence_docs is None else min(n, opts.equivalence_docs)
        results["equivalence"] = run_equivalence(ruleset, corpus, limit, log=log)


def _note_rules_change(results: dict, log: Callable[[str], None]) -> None:
    """Record the rules version at the end; warn if the files changed during the run."""
    results["rules_version_end"] = _current_rules_version()
    if results["rules_version_end"] != results.get("rules_version"):
        log(f"WARNING: the rule files changed during the run ({results.get('rules_version')} -> "
            f"{results['rules_version_end']}); this process kept {results.get('rules_version')} "
            "(load_ruleset is cached), subprocesses (memory check) may have loaded the new rules")


def _current_rules_version() -> str | None:
    try:
        from pipeline.extract.rules import RULES_DIR as rules_dir
        from pipeline.extract.rules import rules_version
        return rules_version(Path(rules_dir))
    except Exception:   # noqa: BLE001 - informative only
        return None


def median_result(runs: list[dict]) -> dict:
    """Median of every numeric field over repeated runs (first run's other fields)."""
    if len(runs) == 1:
        return dict(runs[0])
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
            out[key] = round(statistics.median(values), 4) if values else value
        elif isinstance(value, dict):
            out[key] = median_result([r[key] for r in runs if isinstance(r.get(key), dict)])
    # rates must follow the median time, not be medians of their own
    if isinstance(out.get("seconds"), (int, float)) and out["seconds"]:
        if out.get("docs"):
            out["docs_per_s"] = round(out["docs"] / out["seconds"], 1)
        if out.get("bytes"):
            out["mb_per_s"] = round(out["bytes"] / MB / out["seconds"], 3)
    return out


def machine_info() -> dict:
    """CPU, Python and library versions, so that figures can be compared across machines."""
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("underthesea", "duckdb", "trafilatura", "pandas", "pyarrow"):
        try:
            from importlib.metadata import version
            versions[name] = version(name)
        except Exception:   # noqa: BLE001 - informative only
            versions[name] = None
    return {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
            "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def check_targets(r: dict) -> dict:
    """Issue 3's targets, pass/fail, for whichever figures the run produced."""
    t = {}
    if "e2e" in r:
        t["e2e_ge_300_docs_s"] = r["e2e"].get("docs_per_s", 0) >= 300
    if "speedup_vs_naive" in r:
        t["speedup_ge_5x"] = r["speedup_vs_naive"] >= 5
    if "ratio_peak_rss" in r.get("memory", {}):
        t["rss_full_le_1.2x_1000"] = r["memory"]["ratio_peak_rss"] <= 1.2
    if "load" in r:
        t["load_1m_lt_10s"] = r["load"]["seconds"] < 10 and r["load"]["rows"] >= 1_000_000
    if "reextract" in r:
        t["reextract_no_clean"] = r["reextract"]["clean_calls"] == 0
    if "equivalence" in r:
        t["prefilter_loses_nothing"] = all(g["mismatched_docs"] == 0 for g in r["equivalence"].values())
    return t


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _row(label: str, docs, seconds, docs_per_s, mb_per_s, basis: str, rss: str = "") -> str:
    return (f"{label:<26}{_fmt(docs):>8}{_fmt(seconds, 2):>10}{_fmt(docs_per_s):>10}"
            f"{_fmt(mb_per_s, 2):>9}  {basis:<10}{rss:>12}")


def _rate_row(label: str, v: dict, basis: str, rss: str = "") -> str:
    return _row(label, v["docs"], v["seconds"], v["docs_per_s"], v["mb_per_s"], basis, rss)


def format_table(r: dict) -> str:
    """The human-readable report of run_benchmark's results."""
    head = f"{'stage':<26}{'docs':>8}{'seconds':>10}{'docs/s':>10}{'MB/s':>9}  {'MB basis':<10}{'peak RSS MB':>12}"
    lines = _header_lines(r) + ["", head, "-" * len(head)] + _throughput_lines(r) + [""]
    lines += _summary_lines(r) + _profile_lines(r)
    lines.append("")
    lines.append("targets: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in r["targets"].items()))
    return "\n".join(lines)


def _header_lines(r: dict) -> list[str]:
    m = r["machine"]
    changed = r.get("rules_version_end") not in (None, r.get("rules_version"))
    lines = [f"machine: {m['nproc']} cores ({m['affinity']} usable), {m['cpu_model']}, "
             f"Python {m['python']}; single process; rules {r.get('rules_version')}"
             + (f" (files CHANGED on disk during the run to {r['rules_version_end']})" if changed else "")]
    if r.get("load_average") is not None:
        lines.append(f"load average at start / end: {r['load_average']}")
    c = r["corpus"]
    lines.append(f"corpus: {c['docs']:,} docs ({c['sample_pages']} sample pages + wrapped VNTC), "
                 f"{c['html_bytes'] / MB:.1f} MB HTML, "
                 f"{r['stages']['_pass']['text_bytes'] / MB:.1f} MB clean text; median of "
                 f"{r['options']['repeat']} run(s)")
    return lines


def _throughput_lines(r: dict) -> list[str]:
    s, p, e = r["stages"], r["stages"]["_pass"], r["e2e"]
    lines = [_rate_row(name, s[name], "HTML" if name == "clean" else "text") for name in STAGES]
    total = sum(s[n]["seconds"] for n in STAGES)
    lines.append(_row("sum of stages", p["docs"], total, p["docs"] / total if total else None,
                      p["html_bytes"] / MB / total if total else None, "HTML", _fmt(p["peak_rss_mb"])))
    for entry, v in r.get("e2e_paths", {"ingest+extract": e}).items():
        label = ("END TO END " if v is e else "end to end ") + f"({entry})"
        lines.append(_rate_row(label, v, "HTML", _fmt(v["peak_rss_mb"])))
    if "naive" in r:
        lines.append(_rate_row("naive pipeline", r["naive"], "HTML", _fmt(r["naive"]["peak_rss_mb"])))
        lines.append(f"{'speedup vs naive':<26}{'':>8}{'':>10}{_fmt(r['speedup_vs_naive'], 2) + 'x':>10}"
                     + "  (" + ", ".join(f"{k} {v:.2f}x" for k, v in r.get("speedup_vs_naive_by_path", {}).items()) + ")")
    return lines


def _summary_lines(r: dict) -> list[str]:
    p, e = r["stages"]["_pass"], r["e2e"]
    lines = [f"facts: staged pass {p['facts']:,}, end to end {e['facts']:,} ({e.get('stored_docs', 0):,} docs stored)"
             + (f", naive {r['naive']['facts']:,}" if "naive" in r else "")
             + f"; sentences (a paragraph no rule can match counts as one) {p['sentences']:,}, "
             + f"word-segmented {p['segmented_sentences']:,}"
             + (f" ({100 * p['segmented_sentences'] / p['sentences']:.1f}%)" if p["sentences"] else "")]
    if "reextract" in r:
        x = r["reextract"]
        lines.append(f"re-extraction (extract_pending everything=True): {x['docs']:,} docs in "
                     f"{x['seconds']:.2f} s = {_fmt(x['docs_per_s'])} docs/s, {_fmt(x['mb_per_s'], 2)} MB/s of "
                     f"stored text; calls to cleaning functions: {x['clean_calls']} "
                     f"({', '.join(f'{k} {v}' for k, v in x['cleaning_calls'].items())})")
    if "load" in r:
        ld = r["load"]
        lines.append(f"load {ld['rows']:,} fact rows via store.replace_facts ({ld['batch_rows']:,}/call): "
                     f"{ld['seconds']:.2f} s = {_fmt(ld['rows_per_s'])} rows/s; stored {ld['stored']:,}; "
                     f"peak RSS {ld['peak_rss_mb']:.0f} MB")
    if "memory" in r:
        lines.append(_memory_line(r["memory"]))
    if "equivalence" in r:
        lines.append("pre-filter equivalence: " + "; ".join(
            f"{k} {v['docs']} docs / {v['facts_full']} facts: {v['mismatched_docs']} mismatched"
            for k, v in r["equivalence"].items()))
    return lines


def _memory_line(mem: dict) -> str:
    parts = []
    for key in ("small", "full"):
        v = mem[key]
        if "error" in v:
            parts.append(f"{key}: ERROR {v['error'][-300:]}")
        else:
            during = (f" (after ingest {v['peak_rss_ingest_mb']:.0f} MB)"
                      if "peak_rss_ingest_mb" in v else "")
            parts.append(f"{v['docs']:,} docs: peak RSS {v['peak_rss_mb']:.0f} MB{during}, "
                         f"{v['docs_per_s']} docs/s")
    ratio = mem.get("ratio_peak_rss")
    return ("memory (separate processes): " + "; ".join(parts)
            + (f"; ratio {ratio:.2f}x" if ratio else ""))


def _profile_lines(r: dict) -> list[str]:
    if "profile" not in r:
        return []
    pr = r["profile"]
    lines = ["", f"profile (cProfile, end to end, {pr['docs']} docs, {pr['total_seconds']:.2f} s "
                 "with profiler overhead) - top by own time:"]
    for row in pr["by_tottime"][:12]:
        lines.append(f"  {row['tottime_pct']:5.1f}%  {row['tottime']:8.3f}s  {row['ncalls']:>9,}  {row['function']}")
    lines.append("top by cumulative time:")
    for row in pr["by_cumtime"][:12]:
        lines.append(f"  {row['cumtime_pct']:5.1f}%  {row['cumtime']:8.3f}s  {row['ncalls']:>9,}  {row['function']}")
    return lines


def write_json(results: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path
