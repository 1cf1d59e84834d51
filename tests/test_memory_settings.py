"""How the store opens DuckDB so that peak memory stays flat in corpus size
(issue 11): small row groups, one shared instance per file in a process,
documents read by rowid. Real DuckDB files throughout; the memory figures
themselves are the benchmark's (`vnfacts bench --paths-memory`)."""
from __future__ import annotations

import duckdb

from pipeline import store
from pipeline.bench import pathmem
from pipeline.store import db as storedb


def doc(n: int, text: str | None = None) -> dict:
    text = text or f"Xã số {n} có {n % 97 + 3} thôn, ấp."
    return {"id": f"d{n:05d}", "url": f"http://127.0.0.1/{n}", "site": "s", "title": f"Tin {n}",
            "published": "2024-05-01", "province": None, "text": text,
            "content_hash": store.content_hash(text), "source": "t"}


def ingest_in_batches(path, count: int, batch: int = 500) -> None:
    database = store.Database(path)
    for begin in range(0, count, batch):
        with store.session(database) as con:
            store.upsert_documents(con, [doc(n) for n in range(begin, min(begin + batch, count))])


def row_groups(path) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT max(count) FROM pragma_storage_info('documents') "
                                          "WHERE column_name = 'id' GROUP BY row_group_id ORDER BY 1").fetchall()]


def test_batches_land_in_small_row_groups(tmp_path):
    """A checkpoint rewrites the last row group whole: at DuckDB's default size
    that group held every document, and each batch's close grew with the corpus."""
    path = tmp_path / "rg.duckdb"
    ingest_in_batches(path, 5000)
    groups = row_groups(path)
    assert sum(groups) == 5000
    assert len(groups) >= 3 and max(groups) <= storedb.ROW_GROUP_SIZE


def test_connections_of_one_process_share_the_file(tmp_path):
    """As duckdb.connect(path) did: a second connection (and a cursor, as the
    review page's pool takes) sees the first's tables, and the file is let go
    when the last one closes."""
    path = tmp_path / "shared.duckdb"
    first = store.connect(path)
    second = store.connect(path)
    first.execute("INSERT INTO crawl_urls (url, site, kind, status) VALUES ('http://x/a', 's', 'article', 'fetched')")
    cursor = first.cursor()
    assert second.execute("SELECT count(*) FROM crawl_urls").fetchall() == [(1,)]
    assert cursor.execute("SELECT url FROM crawl_urls").fetchall() == [("http://x/a",)]
    for con in (cursor, second, first):
        con.close()
    with duckdb.connect(str(path)) as plain:  # another instance: only possible once all are closed
        assert plain.execute("SELECT count(*) FROM crawl_urls").fetchall() == [(1,)]


def test_documents_by_id_reads_the_rows_asked_for(tmp_path):
    """Rows picked by rowid are those the ids name, after replacements moved
    some of them to the table's end."""
    path = tmp_path / "ids.duckdb"
    ingest_in_batches(path, 3000)
    with store.connect(path) as con:
        store.upsert_documents(con, [doc(n, f"Văn bản mới {n}: 5 thôn.") for n in (7, 2500)])
        wanted = [f"d{n:05d}" for n in (2999, 7, 2048, 2500, 0)]
        got = store.documents_by_id(con, wanted)
    assert [d["id"] for d in got] == sorted(wanted)
    assert {d["id"]: d["text"] for d in got}["d00007"] == "Văn bản mới 7: 5 thôn."
    assert {d["id"]: d["text"] for d in got}["d02048"] == doc(2048)["text"]


def test_a_database_file_named_like_a_duckdb_catalog_opens(tmp_path):
    for name in ("memory", "temp", "system", "main"):
        with store.connect(tmp_path / f"{name}.duckdb") as con:
            assert store.schema_version(con) == store.schema.CURRENT


def test_memory_bench_compares_medians_and_shows_the_spread():
    found = pathmem.medians([140.0, 150.0, 141.0], [160.0, 158.0, 175.0])
    assert (found["small_mb"], found["large_mb"]) == (141.0, 160.0)
    assert found["ratio"] == round(160 / 141, 3)
    assert found["small_range_mb"] == [140.0, 150.0] and found["large_range_mb"] == [158.0, 175.0]
