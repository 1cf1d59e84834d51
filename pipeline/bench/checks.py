"""Benchmark checks: pre-filter equivalence, memory in subprocesses, a cProfile of end to end.

Run as ``python -m pipeline.bench.checks e2e-child CORPUS DB LIMIT`` it is the
memory check's child: one end-to-end pass in a fresh interpreter, JSON on stdout.
"""
from __future__ import annotations

import cProfile
import gc
import json
import pstats
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline.bench.corpus import (
    GOLD_PATH,
    REPO,
    SHARED,
    iter_corpus,
    iter_corpus_pages,
    iter_sample_pages,
)
from pipeline.bench.measure import ingest_record, load_ruleset, quiet_libraries
from pipeline.bench.stages import run_e2e

SEEDS_DIR = SHARED / "corpus" / "seeds"
MEMORY_SMALL = 1000
_IGNORED = {"rules_version", "extracted_at"}   # not part of a fact's identity


def fact_key(fact: dict) -> str:
    """A fact's identity as text; the rules version and timestamp are not part of it."""
    return json.dumps({k: (str(v) if v is not None else None) for k, v in sorted(fact.items())
                       if k not in _IGNORED}, ensure_ascii=False, sort_keys=True)


def compare_facts(fast: list[dict], full: list[dict]) -> dict:
    """Multiset difference; empty lists mean the two agree exactly."""
    a, b = Counter(map(fact_key, fast)), Counter(map(fact_key, full))
    return {"only_fast": sorted((a - b).elements()), "only_full": sorted((b - a).elements())}


def equivalence_of_text(doc: dict, ruleset) -> dict:
    """Facts with the pre-filter vs every sentence segmented, on one stored document."""
    from pipeline import extract as extract_document
    fast = extract_document(doc, ruleset, prefilter=True)
    full = extract_document(doc, ruleset, prefilter=False)
    diff = compare_facts(fast, full)
    return {"doc": doc["id"], "fast": len(fast), "full": len(full), **diff}


def gold_doc_ids() -> list[str]:
    """Document ids in the gold file, in first-seen order."""
    wanted: list[str] = []
    if GOLD_PATH.is_file():
        with open(GOLD_PATH, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    doc = json.loads(line)["doc"]
                    if doc not in wanted:
                        wanted.append(doc)
    return wanted


def iter_seed_docs() -> Iterator[dict]:
    """The gold file's documents (texts in ../shared/corpus/seeds), prepared as ingest does."""
    from pipeline import core
    paths = {p.stem: p for p in SEEDS_DIR.glob("*.txt")} if SEEDS_DIR.is_dir() else {}
    for doc_id in gold_doc_ids() or sorted(paths):
        if doc_id in paths:
            yield core.prepare_document({"id": doc_id, "text": paths[doc_id].read_bytes(),
                                         "source": str(paths[doc_id])})


def iter_page_docs(pages: Iterable[tuple[str | bytes, dict]]) -> Iterator[dict]:
    """Pages prepared as ingest does; pages the cleaner rejects are skipped."""
    from pipeline import core
    from pipeline.clean import CleanError
    for html, meta in pages:
        try:
            yield core.prepare_document(ingest_record(html, meta))
        except CleanError:
            continue


def run_equivalence(ruleset, corpus: Path | None, limit: int | None,
                    show: int = 10, log: Callable[[str], None] | None = None) -> dict:
    """Check seeds (gold), corpus/sample pages and the bench docs; collect mismatches."""
    groups = {
        "gold seeds": iter_seed_docs(),
        "corpus/sample": iter_page_docs(iter_corpus_pages(iter_sample_pages())),
    }
    if corpus is not None:
        groups["bench docs"] = iter_page_docs(
            (html, meta) for html, meta in iter_corpus(corpus, limit)
            if not str(meta.get("source", "")).startswith("corpus/sample"))
    return {name: _check_group(name, docs, ruleset, show, log) for name, docs in groups.items()}


def _check_group(name: str, docs: Iterable[dict], ruleset, show: int,
                 log: Callable[[str], None] | None) -> dict:
    """Counts and the first ``show`` mismatches of one group (logged as found)."""
    checked = facts = 0
    mismatches = []
    t = time.perf_counter()
    for doc in docs:
        result = equivalence_of_text(doc, ruleset)
        checked += 1
        facts += result["full"]
        if result["only_fast"] or result["only_full"]:
            mismatches.append(result)
            if log and len(mismatches) <= show:
                _log_mismatch(name, result, log)
    return {"docs": checked, "facts_full": facts, "mismatched_docs": len(mismatches),
            "seconds": round(time.perf_counter() - t, 2),
            "mismatches": mismatches[:show]}


def _log_mismatch(group: str, result: dict, log: Callable[[str], None]) -> None:
    log(f"MISMATCH [{group}] {result['doc']}: pre-filter {result['fast']} facts, "
        f"full segmentation {result['full']}")
    for key in result["only_full"][:3]:
        log(f"   missed by pre-filter: {key[:400]}")
    for key in result["only_fast"][:3]:
        log(f"   only with pre-filter: {key[:400]}")


def run_profile(corpus: Path, limit: int, db_path: Path, top: int = 20) -> dict:
    """cProfile of the end-to-end pass; top functions by own time and by cumulative time."""
    ruleset = load_ruleset()
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    run_e2e(corpus, limit, db_path, ruleset, collect=False)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt

    def rows(sort_key: str) -> list[dict]:
        entries = []
        for (filename, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
            entries.append({"function": f"{_short(filename)}:{line}({func})", "ncalls": nc,
                            "tottime": round(tt, 3), "cumtime": round(ct, 3),
                            "tottime_pct": round(100 * tt / total, 1) if total else None,
                            "cumtime_pct": round(100 * ct / total, 1) if total else None})
        entries.sort(key=lambda e: e[sort_key], reverse=True)
        return entries[:top]

    return {"docs": limit, "total_seconds": round(total, 3),
            "by_tottime": rows("tottime"), "by_cumtime": rows("cumtime")}


def _short(filename: str) -> str:
    """A profiled file's path from its package on (site-packages, pipeline, stdlib)."""
    for marker in ("site-packages/", "/pipeline/", "lib/python3"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            return "pipeline/" + rest if marker == "/pipeline/" else rest
    return filename


def run_memory(corpus: Path, workdir: Path) -> dict:
    """Peak RSS end to end for MEMORY_SMALL docs and for all: it must be flat in corpus size."""
    small = run_memory_child(corpus, MEMORY_SMALL, workdir)
    full = run_memory_child(corpus, None, workdir)
    mem = {"small": small, "full": full}
    if "error" not in small and "error" not in full:
        mem["ratio_peak_rss"] = round(full["peak_rss_mb"] / small["peak_rss_mb"], 3)
    return mem


def run_memory_child(corpus: Path, limit: int | None, workdir: Path) -> dict:
    """Run the end-to-end pass in a fresh interpreter; returns its figures."""
    db = workdir / f"mem-{limit or 'all'}.duckdb"
    cmd = [sys.executable, "-m", "pipeline.bench.checks", "e2e-child", str(corpus), str(db),
           str(limit or 0)]
    proc = subprocess.run(cmd, cwd=str(REPO), capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "docs": limit}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_main(argv: list[str]) -> int:
    """The memory check's child process: one end-to-end pass, its figures as JSON."""
    if len(argv) != 4 or argv[0] != "e2e-child":
        print("usage: python -m pipeline.bench.checks e2e-child CORPUS DB LIMIT", file=sys.stderr)
        return 2
    corpus, db, limit = Path(argv[1]), Path(argv[2]), int(argv[3]) or None
    quiet_libraries()
    ruleset = load_ruleset()
    result = run_e2e(corpus, limit, db, ruleset)
    result["rules_version"] = getattr(ruleset, "version", None)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
