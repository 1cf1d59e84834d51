"""Issue 11, "peak memory flat": what ingest keeps for the whole input stays
small per document (the ids it has seen, a folder's listing) and the
libraries' caches are emptied as pages go by, while the duplicate warning
still names where the first copy was read. Real files, real DuckDB."""
from __future__ import annotations

import logging
import os
import random
import tracemalloc

import pytest

from pipeline import ingest, store
from pipeline.ingest import IngestReport, SeenIds

TEXT = "Huyện Bảo Thắng hiện có {n} thôn, tổ dân phố sau khi sắp xếp, sáp nhập các thôn nhỏ."


def test_seen_ids_cost_a_few_bytes_an_id_whatever_the_input():
    """20,000 ids read from a folder's files: the table of hashes and place
    codes grows, the places' strings are not kept (a dict of them took
    ~200-300 bytes an id and grew ingest's peak with its input)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        seen = SeenIds()
        for n in range(20_000):
            doc_id = f"vntc-test-XH_NLD_{n}"
            assert seen.first(doc_id, f"/data/crawl/pages/{doc_id}.html") is None
        per_id = (tracemalloc.get_traced_memory()[0] - before) / 20_000
    finally:
        tracemalloc.stop()
    assert per_id < 64, f"{per_id:.0f} bytes an id"
    assert len(seen.templates) == 2  # "unknown" and the folder's one template


PLACES = ["/a/b/{id}.html", "/a/{id}/{id}.txt", "in.jsonl:{n}", "in.jsonl:0", "f:007", "w.warc.gz#{n}000",
          "api", "{id}", "<stdin>:{n}", "x{id}y:{n}", "trailing {n} 12345678901234567890"]


def test_the_first_place_of_every_id_comes_back_exactly():
    """Any place string (file, file:line, offset, a source without a number,
    leading zeros, ids that are numbers or hold the place's digits)."""
    rng = random.Random(11)
    ids = [str(n) for n in range(300)] + [f"bài-{n}" for n in range(300)] + ["\ud800 lone", ":1", "", "in.jsonl"]
    first = {}
    for n, doc_id in enumerate(ids, 1):
        first[doc_id] = rng.choice(PLACES).format(id=doc_id, n=n)
    seen = SeenIds()
    for doc_id, where in first.items():
        assert seen.first(doc_id, where) is None
    for doc_id, where in first.items():
        assert seen.first(doc_id, "later.jsonl:9") == where, doc_id


def write_text(path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEXT.format(n=n), encoding="utf-8")


def test_a_folder_copy_is_reported_with_the_first_file(tmp_path):
    """The same stem in a subfolder, and a JSONL line after both: each warning
    names the file (or line) read first; the last copy is stored."""
    root = tmp_path / "in"
    write_text(root / "a.txt", 1)
    write_text(root / "b" / "a.txt", 2)
    (root / "c.jsonl").write_text('{"id": "a", "text": "%s"}\n' % TEXT.format(n=3), encoding="utf-8")
    path = tmp_path / "t.duckdb"
    with store.connect(path) as con:
        report = ingest.ingest_paths(con, [root])
        stored = con.execute("SELECT text FROM documents WHERE id = 'a'").fetchall()
    first = root / "a.txt"
    assert report.duplicates == 2 and report.added == 1
    assert report.warnings == [f"{root / 'b' / 'a.txt'}: document 'a' already read at {first}; the last one is kept",
                               f"{root / 'c.jsonl'}:1: document 'a' already read at {first}; the last one is kept"]
    assert stored == [(TEXT.format(n=3),)]


def test_a_folder_is_read_in_sorted_rglob_order(tmp_path):
    """files_under lists one directory at a time; the order (which copy of an
    id is last, so kept) and what is read are sorted(rglob('*')) as before:
    names around '/' and '.', a folder named like a file, hidden files, a
    symlinked file (read) and a symlinked folder (not entered)."""
    root = tmp_path / "in"
    for name in ["a.html", "a/x.html", "a b.txt", "A.txt", "a-1.txt", ".hidden.html", "sub.html", "sub/deep/z.txt",
                 "x.html/inner.html", "notes.md", "a.jsonl", "b.jsonl.gz", "c.HTM", "zz/.txt"]:
        write_text(root / name, 1)
    os.symlink(root / "sub", root / "linked")
    os.symlink(root / "a.html", root / "link.html")
    expected = sorted(p for p in root.rglob("*") if ingest.is_input(p) and p.is_file())
    assert list(ingest.iter_files([root], IngestReport())) == expected
    assert root / "link.html" in expected and not any("linked" in p.parts for p in expected)


def test_the_libraries_caches_are_emptied_as_pages_are_cleaned(caplog):
    """Every page a new date string: without the reset, htmldate's cache
    would hold one entry a page up to 8,192 (2.4 MB at 10,000 bench pages);
    trafilatura's trim cache, filled as its extraction fills it, is emptied too.
    The reset logs nothing (htmldate.meta.reset_caches logged "impossible to
    clear cache" every 500 pages with charset-normalizer 3.5.3)."""
    import htmldate.extractors
    import trafilatura.utils

    from pipeline.clean import caches, clean_html

    for k in range(600):
        trafilatura.utils.trim(f"  dòng {k}  ")
    page = ('<html><head><title>Tin {n}</title><meta property="article:published_time" content="{day}T{h:02d}:'
            '{m:02d}:00+07:00"></head><body><h1>Tin {n}</h1><p>{text}</p></body></html>')
    sizes = []
    for n in range(2 * caches.PAGES + 10):
        day = f"2019-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        cleaned = clean_html(page.format(n=n, day=day, h=n // 60 % 24, m=n % 60, text=TEXT.format(n=n)))
        assert cleaned.published.isoformat() == day
        sizes.append(htmldate.extractors.try_date_expr.cache_info().currsize)
    assert max(sizes) <= caches.PAGES and max(sizes) > caches.PAGES // 2, (min(sizes), max(sizes))
    assert trafilatura.utils.trim.cache_info().currsize < 600
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


@pytest.mark.parametrize("count", [1, 700, 5_000])
def test_the_table_grows_and_keeps_every_id(count):
    seen = SeenIds()
    for n in range(count):
        seen.first(f"id-{n}", f"f.jsonl:{n + 1}")
    assert seen.size == count and len(seen.keys) < 4 * max(count, 1024)
    assert all(seen.first(f"id-{n}", "x") == f"f.jsonl:{n + 1}" for n in range(count))
