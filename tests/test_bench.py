"""The benchmark machinery (pipeline/bench*.py, pipeline/cli_bench.py); nothing here is timed."""
from __future__ import annotations

import inspect
import json

import pytest
from click.testing import CliRunner

from pipeline.bench import checks as bench_checks
from pipeline.bench import corpus as bench_corpus
from pipeline.bench import pages as bench_pages
from pipeline.bench import run as bench
from pipeline.bench import stages as bench_stages
from pipeline.bench.measure import rates
from pipeline.cli.bench import DocsType, register
from pipeline.cli.bench import bench as bench_command
from tests.conftest import run_cli

needs_vntc = pytest.mark.skipif(not bench_corpus.VNTC_PATH.is_file(), reason="../shared VNTC sample absent")


def _pages(n):
    return list(bench_corpus.iter_pages(n, include_samples=False))


@needs_vntc
def test_pages_cover_every_template_and_are_deterministic():
    first, again = _pages(10), _pages(10)
    assert {p.template for p in first} == set(bench_pages.TEMPLATES)
    assert [p.html for p in first] == [p.html for p in again]
    assert len({p.id for p in first}) == 10
    for page in first:
        assert page.meta["id"] == page.id and page.meta["url"] == page.url
        assert "<script" in page.html and "<nav" in page.html and "<footer" in page.html
        assert any(f.startswith("Lượt xem") for f in page.furniture)


@needs_vntc
def test_corpus_is_streamed_not_materialised():
    pages = bench_corpus.iter_pages(3, include_samples=False)
    assert inspect.isgenerator(pages)
    assert inspect.isgenerator(bench_corpus.iter_vntc())
    assert len(list(pages)) == 3


@needs_vntc
def test_wrapper_round_trips_through_clean_html():
    clean_html = pytest.importorskip("pipeline.clean").clean_html
    for page in _pages(10):   # two pages of each template
        cleaned = clean_html(page.html, page.url)
        lines = [" ".join(line.split()) for line in cleaned.text.split("\n") if line.strip()]
        if lines and lines[-1] == page.byline:     # a byline inside the article body may stay
            lines.pop()
        assert lines == page.paragraphs, page.template
        assert cleaned.title == page.title, page.template
        assert cleaned.published is not None, page.template
        for furniture in page.furniture:
            assert furniture not in cleaned.text, (page.template, furniture)


@needs_vntc
def test_corpus_file_round_trip(tmp_path):
    stats = bench_corpus.write_corpus(tmp_path / "c.jsonl", 4, include_samples=False)
    assert stats["docs"] == 4 and stats["html_bytes"] > 4 * 5000
    read = list(bench_corpus.iter_corpus(tmp_path / "c.jsonl"))
    assert [m["id"] for _, m in read] == [p.id for p in _pages(4)]
    assert list(bench_corpus.iter_corpus(tmp_path / "c.jsonl", 2)) == read[:2]


def _fact(**over):
    fact = {"doc": "d1", "indicator": "hamlet", "value": 46.0, "total": 67.0, "change": "count",
            "status": "achieved", "quote": "46/67 thôn", "start": 10, "end": 20,
            "rule_id": "hamlet.count", "rules_version": "v1"}
    fact.update(over)
    return fact


def test_equivalence_check_detects_a_difference():
    same = bench_checks.compare_facts([_fact(), _fact(value=3.0)], [_fact(value=3.0), _fact()])
    assert same == {"only_fast": [], "only_full": []}
    # the rules version is not part of a fact's identity
    assert bench_checks.compare_facts([_fact(rules_version="v2")], [_fact()])["only_fast"] == []
    missed = bench_checks.compare_facts([_fact()], [_fact(), _fact(value=12.0)])
    assert missed["only_fast"] == [] and len(missed["only_full"]) == 1
    assert '"12.0"' in missed["only_full"][0]
    moved = bench_checks.compare_facts([_fact(start=11)], [_fact()])
    assert len(moved["only_fast"]) == len(moved["only_full"]) == 1
    # a duplicate is a difference too (multiset comparison)
    assert bench_checks.compare_facts([_fact(), _fact()], [_fact()])["only_fast"]


def test_equivalence_check_reports_a_fact_only_the_full_path_finds():
    result = bench_checks.compare_facts([_fact()], [_fact(), _fact(value=5.0)])
    assert result["only_fast"] == [] and len(result["only_full"]) == 1


def test_equivalence_of_text_on_a_real_document_agrees():
    from pipeline.extract.rules import load_ruleset

    doc = {"id": "d1", "title": "Sắp xếp thôn", "published": "2024-01-01", "province": None, "url": None,
           "text": "Tỉnh có 1.234 thôn, tổ dân phố.\nThời tiết hôm nay đẹp, 30 độ."}
    result = bench_checks.equivalence_of_text(doc, load_ruleset())
    assert result["fast"] == result["full"] == 1 and not result["only_fast"] and not result["only_full"]


def test_median_uses_median_time_for_rates():
    runs = [rates(s, 100, 2_000_000) for s in (1.0, 4.0, 2.0)]
    med = bench.median_result(runs)
    assert med["seconds"] == 2.0 and med["docs_per_s"] == 50.0 and med["mb_per_s"] == 1.0


def test_synthetic_facts_fill_every_store_column():
    store = pytest.importorskip("pipeline.store")
    rows = bench_stages.synthetic_facts(0, 50, "v")
    assert len(rows) == 50 and all(set(r) == set(store.FACT_COLUMNS) for r in rows)
    assert len({r["doc"] for r in rows}) == 10


def test_load_through_store(tmp_path):
    pytest.importorskip("pipeline.store")
    result = bench_stages.run_load(2_500, tmp_path / "l.duckdb", batch_rows=1_000)
    assert result["rows"] == result["stored"] == 2_500


def test_naive_patterns_compile_and_match():
    import re
    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in bench_stages.NAIVE_PATTERNS.items()}
    assert patterns["hamlet"].search("toàn huyện còn 1.402 thôn").group(1) == "1.402"
    assert patterns["secretary_hamlet_head"].search(
        "có 46/67 đồng chí bí thư chi bộ đồng thời là trưởng khóm")


def test_targets_and_table_format():
    results = {
        "machine": {"nproc": 2, "affinity": 2, "cpu_model": "x", "python": "3.11"},
        "rules_version": "abc", "options": {"repeat": 1},
        "corpus": {"docs": 10, "sample_pages": 0, "html_bytes": 150_000},
        "stages": {**{n: rates(0.01, 10, 30_000) for n in
                      ("clean", "normalize", "segment", "extract", "load")},
                   "_pass": {"docs": 10, "facts": 2, "html_bytes": 150_000, "text_bytes": 30_000,
                             "sentences": 100, "segmented_sentences": 5, "peak_rss_mb": 200.0}},
        "e2e": {**rates(0.02, 10, 150_000), "entry": "core", "facts": 2, "peak_rss_mb": 210.0},
        "naive": {**rates(0.2, 10, 150_000), "facts": 1, "peak_rss_mb": 220.0},
        "speedup_vs_naive": 10.0,
        "load": {"rows": 1_000_000, "stored": 1_000_000, "seconds": 5.0, "rows_per_s": 200_000,
                 "batch_rows": 100_000, "peak_rss_mb": 900.0},
        "reextract": {**rates(0.01, 10, 30_000), "clean_calls": 0, "cleaning_calls": {"clean_html": 0}},
        "equivalence": {"seeds": {"docs": 5, "facts_full": 40, "mismatched_docs": 1}},
    }
    results["targets"] = bench.check_targets(results)
    assert results["targets"] == {"e2e_ge_300_docs_s": True, "speedup_ge_5x": True,
                                  "load_1m_lt_10s": True, "reextract_no_clean": True,
                                  "prefilter_loses_nothing": False}
    table = bench.format_table(results)
    assert "END TO END" in table and "naive pipeline" in table and "prefilter_loses_nothing FAIL" in table
    json.dumps(results)


def test_cli_options_and_register():
    docs = DocsType()
    assert docs.convert("all", None, None) is None
    assert docs.convert("0", None, None) is None
    assert docs.convert("2,000", None, None) == 2000
    result = CliRunner().invoke(bench_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--docs", "--repeat", "--json", "--skip-naive", "--rows"):
        assert option in result.output
    import click

    @click.group()
    def main():
        pass

    register(main)
    assert "bench" in main.commands


def test_bench_without_the_shared_data_says_where_it_looked(tmp_path):
    result = run_cli("bench", "--docs", "10", env={"VNFACTS_SHARED": str(tmp_path)}, check=False)
    assert result.returncode == 1
    assert str(tmp_path / "data" / "bulk" / "vntc_sample.jsonl.gz") in result.stderr
    assert "VNFACTS_SHARED" in result.stderr and "Traceback" not in result.stderr


def test_paths_bench_runs_each_command_as_a_process(tmp_path):
    """`vnfacts bench --paths`: every path ran and wrote its figures (speed itself is not asserted)."""
    from pipeline.bench import paths

    results = paths.run_paths(4, tmp_path)
    assert results["docs"] == 4
    for name in ("folder", "jsonl", "naive", "help", "query", "status", "extract_idle"):
        assert results[name]["seconds"] > 0 and results[name]["peak_mb"] > 10
    assert (tmp_path / "pages").is_dir() and len(list((tmp_path / "pages").glob("*.html"))) == 4
    table = paths.format_paths(results)
    assert table.count("\ntarget ") == len(paths.TARGETS)
    # the time line of vnfacts run: its own marks (parent and crawl child) and what the servers saw, in order
    marks = [what for _, what in results["crawl_polite"]["timeline"]]
    for mark in ("bench: vnfacts run spawned", "child: imported", "servers: first request",
                 "servers: last request", "child: state written", "parent: last pass done",
                 "bench: vnfacts run exited"):
        assert mark in marks, marks
    assert marks.index("child: imported") < marks.index("servers: first request") < marks.index(
        "servers: last request") < marks.index("parent: last pass done") < marks.index("bench: vnfacts run exited")
    assert "timeline crawl_polite: 0.00 bench: vnfacts run spawned" in table
    # the copy finder is imported with the models, before any pass stores a page
    # (imported at the first such pass, it held up a 300-page run by 0.6 s)
    first_stored = next(i for i, what in enumerate(marks) if what.startswith("parent: stored") and what[-1] != "0")
    assert marks.index("parent: copies' modules imported") < first_stored, marks


def test_paths_memory_bench_measures_each_command_at_both_sizes(tmp_path):
    """`vnfacts bench --paths-memory`: ingest and extract, folder and JSONL, each
    a process at two sizes; the ratio is large over small (not asserted flat:
    that is the benchmark's figure)."""
    from pipeline.bench import pathmem

    results = pathmem.memory_paths(2, 5, tmp_path, runs=1)
    assert set(results["commands"]) == set(pathmem.COMMANDS)
    for row in results["commands"].values():
        assert row["small_mb"] > 10 and abs(row["ratio"] - row["large_mb"] / row["small_mb"]) < 0.01
    assert pathmem.format_memory(results).count("\ntarget ") == len(pathmem.COMMANDS)
    bad = run_cli("bench", "--paths-memory", "10,x", check=False)
    assert bad.returncode == 2 and "SMALL,LARGE" in bad.stderr and "Traceback" not in bad.stderr


def test_paths_figures_of_several_runs_are_their_medians():
    from pipeline.cli.bench import median_figures

    runs = [{"folder": {"seconds": s, "docs_per_s": 2000 / s}, "docs": 2000, "timeline": [(0, f"r{s}")]}
            for s in (9.0, 7.0, 30.0)]
    merged = median_figures(runs)
    assert merged["folder"]["seconds"] == 9.0 and merged["folder"]["docs_per_s"] == 2000 / 9.0
    assert merged["docs"] == 2000 and merged["timeline"] == [(0, "r9.0")]


def test_the_paths_bench_times_commands_with_the_package_s_bytecode_compiled(monkeypatch):
    """Where PYTHONDONTWRITEBYTECODE is set, a command never keeps its
    modules' bytecode: the bench compiles it first, as a default Python's
    first run would leave it; otherwise it leaves the package alone."""
    import importlib.util
    import sys
    from pathlib import Path

    from pipeline.bench import paths as bench_paths

    module = Path(bench_paths.__file__).with_name("limits.py")
    cached = Path(importlib.util.cache_from_source(str(module)))
    seen = []
    cached.unlink(missing_ok=True)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    bench_paths.ensure_bytecode(seen.append)
    assert not cached.exists() and not seen
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bench_paths.ensure_bytecode(seen.append)
    assert cached.exists() and "compileall" in seen[0]
