"""Site files: the shipped registry, validation errors, selector fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.crawl.discover import parse_html
from pipeline.crawl.ingest import apply_selectors
from pipeline.crawl.sites import SiteError, load_site, load_sites
from pipeline.lang.decode import decode_html
from pipeline.lang.places import PROVINCES

REGISTRY = Path("rules/sites")
FIXTURES = Path("tests/data/sites")
GOOD = {"name": "x", "province": "Đắk Nông", "domains": ["x.vn"], "feeds": ["https://x.vn/rss"]}


def test_there_are_63_provinces():
    assert len(set(PROVINCES)) == 63


def test_registry_loads_without_errors_and_covers_25_provinces():
    sites, errors = load_sites(REGISTRY)
    assert errors == []
    assert len({s.province for s in sites}) >= 25
    assert all(s.verified is False for s in sites)
    assert all(s.delay >= 1 for s in sites)  # polite to real servers


def test_every_site_runs_against_its_fixture():
    """Each site with selectors has a saved page and the fields it must give."""
    sites, _ = load_sites(REGISTRY)
    with_selectors = [s for s in sites if s.selectors]
    assert with_selectors
    for site in with_selectors:
        page = (FIXTURES / f"{site.name}.html").read_bytes()
        expected = yaml.safe_load((FIXTURES / f"{site.name}.expected.yaml").read_text("utf-8"))
        got = apply_selectors(parse_html(decode_html(page, None, site.encoding)), site.selectors)
        assert got == expected, site.name
    for site in sites:  # and every site's own URLs are articles or sources on its domains
        assert all(site.owns(u) for u in site.feeds + site.sitemaps + site.start_urls)


@pytest.mark.parametrize("change, key", [
    ({"name": None}, "name"),
    ({"name": "Bad Name"}, "name"),
    ({"province": "Sài Gòn"}, "province"),
    ({"domains": []}, "domains"),
    ({"feeds": "https://x.vn/rss"}, "feeds"),
    ({"feeds": ["ftp://x.vn/rss"]}, "feeds[0]"),
    ({"feeds": ["https://other.vn/rss"]}, "feeds[0]"),
    ({"article_pattern": "(unclosed"}, "article_pattern"),
    ({"delay": -1}, "delay"),
    ({"delay": "fast"}, "delay"),
    ({"selectors": {"title": "h1"}}, "selectors.body"),
    ({"selectors": {"heading": "h1", "body": "div"}}, "selectors.heading"),
    ({"encoding": "klingon"}, "encoding"),
    ({"colour": "red"}, "colour"),
    ({"feeds": [], "sitemaps": [], "start_urls": []}, "feeds"),
    ({"doc_id": "{slug:>50000000}"}, "doc_id"),
    ({"doc_id": "{site}-{slug!r}"}, "doc_id"),
    ({"doc_id": "{site}-{slug.__class__}"}, "doc_id"),
    ({"doc_id": "{site}-{path}"}, "doc_id"),
    ({"doc_id": "x" * 500 + "{slug}"}, "doc_id"),
    ({"doc_id": "{site}"}, "doc_id"),
    ({"delay": 100000}, "delay"),
    ({"max_pages": 10 ** 9}, "max_pages"),
    ({"name": "a" * 500}, "name"),
])
def test_errors_name_the_file_and_the_key(tmp_path, change, key):
    data = {**GOOD, **change}
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        load_site(path)
    assert caught.value.key == key
    assert str(path) in str(caught.value)


def test_bad_files_are_reported_and_the_others_still_load(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(GOOD, allow_unicode=True), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: [unclosed", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({**GOOD}, allow_unicode=True), encoding="utf-8")
    sites, errors = load_sites(tmp_path)
    assert [s.name for s in sites] == ["x"]
    assert {Path(e.file).name for e in errors} == {"b.yaml", "c.yaml"}  # c repeats the name


def test_province_spelling_variants_and_national_outlets(tmp_path):
    for i, province in enumerate(["Thanh Hoá", "bà rịa - vũng tàu", None]):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(yaml.safe_dump({**GOOD, "province": province}, allow_unicode=True), encoding="utf-8")
    assert [load_site(tmp_path / f"s{i}.yaml").province for i in range(3)] == [
        "Thanh Hóa", "Bà Rịa - Vũng Tàu", None]


def test_selected_sites_by_name(tmp_path):
    sites, errors = load_sites(REGISTRY, ["baodaknong", "nosuchsite"])
    assert [s.name for s in sites] == ["baodaknong"]
    assert [e.key for e in errors] == ["nosuchsite"]


def test_document_ids_are_bounded_whatever_the_url():
    from pipeline.crawl.discover import MAX_ID, doc_id
    long_slug = "https://x.vn/" + "tin-" * 5000 + "1.html"
    made = {doc_id("x", "{site}-{slug}", long_slug), doc_id("x", "{site}-{slug}", long_slug + "?a=1"),
            doc_id("x" * 50, "{site}-{site}-{site}-{site}-{site}-{slug}", long_slug)}
    assert len(made) == 3 and all(len(i) <= MAX_ID for i in made)
