"""The pre-filter's regexes kept between runs (extract/regex_cache.py): a
pattern built from the cached parts is the pattern `re` compiles, a later
process reads the cache instead of compiling, and a damaged cache costs
nothing but the compile."""
from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys

import pytest

from pipeline import datacache
from pipeline.extract import regex_cache
from tests.conftest import REPO, SHARED

COMPILE_SOME = """
import json, re, sys
from pipeline.extract import regex_cache
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
from pipeline.extract import regex_cache
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
