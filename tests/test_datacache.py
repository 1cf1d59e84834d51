"""Data kept between runs (pipeline/datacache.py), and the gazetteer read
through it: the cached gazetteer is the one built from underthesea's file,
a change of that file or of the code that reads it builds it again, and a
damaged or unwritable cache costs nothing but the build."""
from __future__ import annotations

import os

import pytest

from pipeline import datacache
from pipeline.lang import places


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(datacache, "CACHE_DIR", tmp_path)
    places.gazetteer.cache_clear()
    yield tmp_path
    places.gazetteer.cache_clear()


def fresh_gazetteer():
    places.gazetteer.cache_clear()
    return places.gazetteer()


def test_the_cached_gazetteer_is_the_built_one(cache_dir):
    built = fresh_gazetteer()
    assert list(cache_dir.glob("gazetteer-*.marshal")), "the first build writes the cache"
    assert fresh_gazetteer() == built == places.build_gazetteer(places.gazetteer_file())
    assert places.candidates("huyện Cam Lộ") == frozenset({"Quảng Trị"})


def test_a_later_read_uses_the_cache(cache_dir, monkeypatch):
    fresh_gazetteer()
    monkeypatch.setattr(places, "build_gazetteer", lambda path: pytest.fail("built again"))
    assert fresh_gazetteer().units


def test_a_damaged_cache_is_built_again(cache_dir):
    built = fresh_gazetteer()
    for file in cache_dir.glob("gazetteer-*.marshal"):
        file.write_bytes(b"\x00not marshal")
    assert fresh_gazetteer() == built
    datacache.write("gazetteer", places.gazetteer_key(places.gazetteer_file()), ("units", {}, "x"))
    assert fresh_gazetteer() == built  # well-formed marshal, wrong shape


def test_the_key_names_the_file_and_the_code(tmp_path):
    data = tmp_path / "mapping.json"
    data.write_text("{}", encoding="utf-8")
    first = places.gazetteer_key(data)
    os.utime(data, ns=(1, 1))
    assert places.gazetteer_key(data) != first
    assert datacache.key_of("a", b"b") != datacache.key_of("ab")


def test_a_new_version_replaces_the_old_file(cache_dir):
    datacache.write("thing", "old", {"a": 1})
    datacache.write("thing", "new", {"a": 2})
    assert [f.name for f in cache_dir.glob("thing-*")] == ["thing-new.marshal"]
    assert datacache.read("thing", "new") == {"a": 2} and datacache.read("thing", "old") is None


def test_an_unwritable_cache_still_gives_the_gazetteer(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setattr(datacache, "CACHE_DIR", blocked / "vnfacts")
    assert fresh_gazetteer().units
    assert not list(tmp_path.rglob("*.marshal"))
    places.gazetteer.cache_clear()
