"""`vnfacts ingest FILE.warc.gz` (issue 14): the pages of crawler-written WARC
files become documents whose source points back at their record. (On Ray,
the same files give the same documents: tests/test_ray.py.)"""
from __future__ import annotations

import duckdb

from pipeline.scale.warc import warc_id
from tests.conftest import run_cli
from tests.warcfiles import WARC_PAGES, two_warcs


def test_ingest_warc_files_from_the_command_line(tmp_path):
    from pipeline.crawl.archive import read_record

    first, second = two_warcs(tmp_path)
    db = tmp_path / "warc.duckdb"
    result = run_cli("ingest", first, second, "--db", db)
    assert "4 added" in result.stderr and "1 duplicate ids" in result.stderr
    assert result.stderr.count("responses skipped") == 2             # robots.txt and the 404 of each file
    refused = [line for line in result.stderr.splitlines() if "not Vietnamese" in line]
    assert len(refused) == 1 and refused[0].startswith(f"error: warc:{first}#")   # the English page, by record
    with duckdb.connect(str(db), read_only=True) as con:
        docs = dict(con.execute("SELECT url, source FROM documents").fetchall())
        changed = con.execute("SELECT text FROM documents WHERE url LIKE '%bai-0.html'").fetchone()[0]
    assert sorted(docs) == sorted(f"http://127.0.0.1:8001/tin/{slug}.html" for slug in [*WARC_PAGES, "bai-3"])
    assert changed.endswith("Cập nhật.")                             # the last copy read is kept
    for url, source in docs.items():                                 # each source is its WARC record
        assert read_record(source).url == url and source.startswith(f"warc:{tmp_path}")
    ids = run_cli("query", "SELECT id FROM documents ORDER BY id", "--csv", "--db", db).stdout.split()[1:]
    assert ids == sorted(warc_id(url) for url in docs)
    extracted = run_cli("extract", "--db", db)
    assert "4 documents extracted" in extracted.stderr


def test_warc_files_inside_a_folder_are_read_with_its_other_files(tmp_path):
    """`vnfacts ingest DIR` reads the folder's .warc.gz files too, next to its
    JSON Lines and pages (they were skipped without a word)."""
    import json
    import shutil

    first, second = two_warcs(tmp_path / "made")
    folder = tmp_path / "in" / "nested"
    folder.mkdir(parents=True)
    shutil.copy(first, folder / first.name)
    (tmp_path / "in" / "more.jsonl").write_text(json.dumps(
        {"id": "j1", "text": "Huyện Bảo Thắng hiện có 112 thôn, tổ dân phố sau khi sắp xếp, sáp nhập."},
        ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "dir.duckdb"
    result = run_cli("ingest", tmp_path / "in", "--db", db, check=False)
    with duckdb.connect(str(db), read_only=True) as con:
        sources = [row[0] for row in con.execute("SELECT source FROM documents ORDER BY id").fetchall()]
    assert sum(s.startswith(f"warc:{folder / first.name}") for s in sources) >= 2, result.stderr
    assert any(s.endswith("more.jsonl:1") for s in sources), result.stderr
