"""Regexes kept between runs (pipeline/regex_cache.py): a pattern built
from the cached parts is the pattern `re` compiles, a later process reads
the cache instead of compiling (a `vnfacts` command its libraries' patterns
too), the file stays bounded, and a damaged cache costs nothing but the compile."""
from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys

import pytest

from pipeline import datacache
from pipeline import regex_cache
from tests.conftest import REPO, SHARED

COMPILE_SOME = """
import json, re, sys
from pipeline import regex_cache
from pipeline.extract.rules import load_ruleset
regexes = list(load_ruleset().keywords.regexes.values())[:40]
regex_cache.STATS.update(cached=0, compiled=0)  # the rules' own (lexicon, word lists): counted, not here
same = all(regex_cache.compile(r.source, r.flags) == re.compile(r.source, r.flags) for r in regexes)
print(json.dumps({**regex_cache.STATS, "same": same}))
"""


def compile_in_a_process(cache_dir) -> dict:
    env = {**os.environ, "VNFACTS_CACHE": str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", COMPILE_SOME], capture_output=True, text=True, cwd=REPO,
                          env=env, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """This process's cache, empty and in a temporary folder."""
    monkeypatch.setattr(datacache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(regex_cache, "_known", None)
    monkeypatch.setattr(regex_cache, "_added", {})
    monkeypatch.setattr(regex_cache, "_used", set())
    monkeypatch.setattr(regex_cache, "_cost", [0.0])
    monkeypatch.setattr(regex_cache, "SAVE_AFTER", 0.0)  # the tests' few small patterns are worth a write
    return tmp_path


def round_trip(source: str, flags: int) -> re.Pattern:
    """The pattern rebuilt from its parts after marshal, as a later run reads them."""
    _, parts = regex_cache.compiled_parts(source, flags)
    import _sre

    return _sre.compile(*marshal.loads(marshal.dumps(parts)))


def test_every_prefilter_regex_rebuilt_from_its_cached_parts_is_the_one_re_compiles(ruleset):
    regexes = list(ruleset.keywords.regexes.values())
    assert len(regexes) > 150  # 203 with the rules of 2026-12-02
    # Pattern equality compares the source, the flags and the engine's code words
    different = [r.source for r in regexes if round_trip(r.source, r.flags) != re.compile(r.source, r.flags)]
    assert not different


@pytest.mark.parametrize("source,flags,text", [
    (r"(?P<n>\d+)/(?P=n)", 0, "7/7 ấp"),
    (r"(?<!\w)xã(?:\s*(?:,|và)\s*phường)*", re.IGNORECASE, "Các XÃ, phường"),
    (r"(a)|b", 0, "b"),
])
def test_groups_names_and_flags_survive_the_cache(source, flags, text):
    rebuilt, compiled = round_trip(source, flags), re.compile(source, flags)
    assert rebuilt.groupindex == compiled.groupindex and rebuilt.groups == compiled.groups
    assert rebuilt.flags == compiled.flags
    assert rebuilt.search(text).span() == compiled.search(text).span()


def test_a_later_process_reads_the_patterns_instead_of_compiling_them(tmp_path):
    first, second = compile_in_a_process(tmp_path), compile_in_a_process(tmp_path)
    assert first["same"] and second["same"]
    assert first["compiled"] == 40 and first["cached"] == 0
    assert second["cached"] == 40 and second["compiled"] == 0


EXTRACT_PRESS = """
import json, sys
import pipeline
from pipeline import regex_cache
texts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")][:20]
ruleset = pipeline.load_ruleset()
facts = [f for t in texts for f in pipeline.extract(pipeline.prepare({"id": t["id"], "text": t["text"]}), ruleset)]
print(json.dumps(regex_cache.STATS))
"""


def test_extracting_again_compiles_none_of_the_rules_regexes(tmp_path):
    """The regexes of the lexicon, the context word lists and the pre-filter
    come from the cache in a later process, whatever its hash seed: their
    sources are built in a fixed order (a set's order changes with the seed,
    and a source never seen before is compiled and added to the file)."""
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "VNFACTS_CACHE": str(tmp_path), "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", EXTRACT_PRESS, str(SHARED / "gold" / "press" / "articles.jsonl")],
                              capture_output=True, text=True, cwd=REPO, env=env, check=True)
        runs.append(json.loads(done.stdout))
    assert runs[0]["compiled"] > 0  # (its "cached": sources met twice in the process)
    assert runs[1] == {"compiled": 0, "cached": runs[0]["compiled"] + runs[0]["cached"]}


def test_a_damaged_cache_file_means_compiling_as_usual(empty_cache):
    regex_cache.cache_file().write_bytes(b"\x00 not marshal data")
    assert regex_cache.compile(r"\d+ ấp", 0) == re.compile(r"\d+ ấp")
    assert regex_cache.STATS["compiled"] >= 1
    regex_cache.save()  # and the next run has a good file again
    assert (r"\d+ ấp", 0) in marshal.loads(regex_cache.cache_file().read_bytes())["entries"]


def test_a_damaged_entry_is_compiled_again(empty_cache):
    source = r"(?<!\w)\d+ xã"
    _, parts = regex_cache.compiled_parts(source, 0)
    broken = (parts[0], parts[1], [99999] * len(parts[2]), *parts[3:])  # code words the engine rejects
    data = {"build": regex_cache.BUILD, "entries": {(source, 0): broken}}
    regex_cache.cache_file().write_bytes(marshal.dumps(data))
    assert regex_cache.compile(source, 0) == re.compile(source)


def test_a_cache_from_another_python_build_is_not_read(empty_cache):
    source = r"\d+ phường"
    _, parts = regex_cache.compiled_parts(source, 0)
    data = {"build": "another Python", "entries": {(source, 0): parts}}
    regex_cache.cache_file().write_bytes(marshal.dumps(data))
    before = dict(regex_cache.STATS)
    regex_cache.compile(source, 0)
    assert regex_cache.STATS["compiled"] == before["compiled"] + 1 and regex_cache.STATS["cached"] == before["cached"]


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch, empty_cache):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setattr(datacache, "CACHE_DIR", blocker / "cache")  # a folder under a file: mkdir fails
    regex_cache.compile(r"\d+ khóm", 0)
    regex_cache.save()
    assert not (blocker / "cache").exists()


COMMAND = """
import atexit, json, sys
from pipeline import regex_cache
atexit.register(lambda: sys.stderr.write("\\nSTATS " + json.dumps(regex_cache.STATS) + "\\n"))
sys.argv = ["vnfacts", *sys.argv[1:]]
from pipeline.cli import run
run()
"""


def test_a_command_s_second_run_compiles_next_to_nothing_its_libraries_patterns_included(tmp_path):
    """pipeline.cli.run installs the cache for every pattern compiled: an
    ingest of one page (htmldate, trafilatura, courlan, urllib3 at import)
    compiles ~300 the first time and almost none the next (under another
    hash seed, a pattern a library builds from a set may be new)."""
    page = tmp_path / "a.html"
    page.write_text("<html><head><title>Sắp xếp bộ máy tỉnh</title></head><body><article><p>Năm 2024, tỉnh "
                    "đã giảm 12 biên chế so với năm 2023, theo báo cáo của sở nội vụ.</p></article></body>"
                    "</html>", encoding="utf-8")
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "VNFACTS_CACHE": str(tmp_path / "cache"), "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", COMMAND, "ingest", "--db", str(tmp_path / f"{seed}.duckdb"),
                               str(page)], capture_output=True, text=True, cwd=REPO, env=env)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stderr.strip().splitlines()[-1].removeprefix("STATS ")))
    assert runs[0]["compiled"] > 100 and runs[0]["cached"] < runs[0]["compiled"]
    assert runs[1]["compiled"] <= 5 and runs[1]["cached"] >= runs[0]["compiled"] - 5


def test_the_installed_cache_gives_the_patterns_re_compiles_and_leaves_what_it_cannot_keep(empty_cache):
    regex_cache.install()
    try:
        cases = [(r"(?P<y>\d{4})-(?P<m>\d\d)", 0), (rb"\x00+", 0), (r"ấp|khóm", re.IGNORECASE)]
        for source, flags in cases:
            re.purge()  # past re's own cache, into ours
            assert re.compile(source, flags) == regex_cache._real_compile(source, flags)

        class Text(str):  # lxml's XPath re:test hands over such a subclass: marshal cannot write it
            pass

        re.purge()
        assert re.compile(Text(r"\d+ xã")).search("có 12 xã").group() == "12 xã"
    finally:
        regex_cache.uninstall()
    assert set(regex_cache._added) == set(cases)
    regex_cache.save()
    assert set(marshal.loads(regex_cache.cache_file().read_bytes())["entries"]) == set(cases)


def test_a_few_cheap_new_patterns_do_not_rewrite_the_file(empty_cache, monkeypatch):
    monkeypatch.setattr(regex_cache, "SAVE_AFTER", 0.005)
    regex_cache.compile(r"(and|or|[wei])", 0)  # ~0.1 ms, as a set-ordered pattern of a library
    regex_cache.save()
    assert not regex_cache.cache_file().exists()


def test_past_the_limit_the_file_keeps_what_the_writing_process_used(empty_cache, monkeypatch):
    monkeypatch.setattr(regex_cache, "LIMIT", 3)
    for n in range(4):
        regex_cache.compile(rf"\d+ ấp {n}", 0)
    regex_cache.save()
    monkeypatch.setattr(regex_cache, "_known", None)  # a later process
    monkeypatch.setattr(regex_cache, "_added", {})
    regex_cache.compile(r"\d+ ấp 1", 0)
    regex_cache.compile(r"\d+ xã", 0)
    regex_cache.save()
    kept = marshal.loads(regex_cache.cache_file().read_bytes())["entries"]
    assert set(kept) == {(r"\d+ ấp 1", 0), (r"\d+ xã", 0)}
