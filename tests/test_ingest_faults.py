"""Issue 9, the store and ingest side: bad records, duplicates, huge or
hostile JSON, dates as Vietnamese sources write them, clear errors instead of
tracebacks, and a second process on a locked database. Everything drives the
real `vnfacts` command (or the library) on real files and DuckDB databases."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import duckdb
import pytest

from pipeline import store
from tests.conftest import REPO, run_cli

TEXT = "Huyện Bảo Thắng hiện có {n} thôn, tổ dân phố sau khi sắp xếp, sáp nhập."


def doc(doc_id, n=112, **extra) -> dict:
    return {"id": doc_id, "text": TEXT.format(n=n), **extra}


def write_jsonl(path, lines) -> None:
    path.write_text("".join((l if isinstance(l, str) else json.dumps(l, ensure_ascii=False)) + "\n"
                            for l in lines), encoding="utf-8")


@pytest.fixture()
def small_db(tmp_path):
    """Five stored documents (no extraction: these tests are about the store)."""
    path = tmp_path / "small.duckdb"
    with store.connect(path) as con:
        store.upsert_documents(con, [{**doc(f"s{i}", n=i), "content_hash": store.content_hash(TEXT.format(n=i))}
                                     for i in range(5)])
    return path


def rows(db, sql) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_wrong_types_are_reported_per_record_and_the_run_goes_on(tmp_path):
    src = tmp_path / "types.jsonl"
    write_jsonl(src, [doc("t", title=7), doc("u", url=5), {"id": "h", "html": True}, doc(1.5),
                      doc("s", site=["a"]), {"id": "x", "text": {"a": 1}}, doc("ok-1", html=""), doc(["l"]),
                      doc(True), doc("ok-2", n=7)])
    second = tmp_path / "later.jsonl"
    write_jsonl(second, [doc("ok-3", n=9)])
    result = run_cli("ingest", src, second, "--db", tmp_path / "t.duckdb", check=False)
    err = result.stderr
    for line, field in [(1, "'title'"), (2, "'url'"), (3, "'html'"), (4, "'id'"), (5, "'site'"), (6, "'text'"),
                        (8, "'id'"), (9, "'id'")]:
        assert f"{src}:{line}: " in err and field in err.split(f"{src}:{line}: ")[1].splitlines()[0], (line, err)
    assert "Traceback" not in err and "3 added" in err and result.returncode == 0
    assert rows(tmp_path / "t.duckdb", "SELECT id FROM documents ORDER BY id") == [("ok-1",), ("ok-2",), ("ok-3",)]


def test_same_id_twice_last_one_wins_and_is_reported(tmp_path):
    src = tmp_path / "dups.jsonl"
    write_jsonl(src, [doc(5, n=1), doc("5", n=2), doc("a", n=3), doc("a", n=4)])
    result = run_cli("ingest", src, "--db", tmp_path / "d.duckdb")
    stored = dict(rows(tmp_path / "d.duckdb", "SELECT id, text FROM documents"))
    assert stored == {"5": TEXT.format(n=2), "a": TEXT.format(n=4)}
    assert f"{src}:2: document '5' already read at {src}:1; the last one is kept" in result.stderr
    assert "2 duplicate ids" in result.stderr


def test_stdin_and_gzipped_jsonl_stream_like_a_file(tmp_path):
    """`... | vnfacts ingest -` and FILE.jsonl.gz (also inside a folder) read
    as JSON Lines, each line located as <stdin>:N or FILE:N (issue 11)."""
    import gzip
    lines = "".join(json.dumps(doc(f"z{i}", n=i), ensure_ascii=False) + "\n" for i in range(1, 4))
    folder = tmp_path / "in"
    folder.mkdir()
    with gzip.open(folder / "part.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write(lines + "{not json\n")
    piped = subprocess.run([sys.executable, "-m", "pipeline.cli", "ingest", "--db", str(tmp_path / "s.duckdb"), "-"],
                           input=lines.replace('"z', '"p'), capture_output=True, text=True, cwd=REPO)
    assert "3 added" in piped.stderr, piped.stderr
    assert rows(tmp_path / "s.duckdb", "SELECT min(source) FROM documents") == [("<stdin>:1",)]
    result = run_cli("ingest", folder, "--db", tmp_path / "g.duckdb", check=False)
    assert "3 added" in result.stderr and f"{folder / 'part.jsonl.gz'}:4: " in result.stderr, result.stderr


def test_a_gzip_file_cut_short_keeps_what_it_read_and_names_where_it_broke(tmp_path):
    import gzip
    packed = gzip.compress("".join(json.dumps(doc(f"c{i}", n=i)) + "\n" for i in range(1, 400)).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[:len(packed) // 2])
    result = run_cli("ingest", cut, "--db", tmp_path / "c.duckdb", check=False)
    stored = rows(tmp_path / "c.duckdb", "SELECT count(*) FROM documents")[0][0]
    assert 0 < stored < 399 and f"{cut}:{stored + 1}: cannot read" in result.stderr, result.stderr


def test_duplicates_across_batches_and_in_the_store_call(tmp_path):
    """The library too: a duplicate 600 records later replaces the first; the
    store itself never raises on one id twice in a call."""
    from pipeline.ingest import BATCH, ingest_paths

    src = tmp_path / "many.jsonl"
    write_jsonl(src, [doc(f"d{i}", n=i) for i in range(BATCH + 100)] + [doc("d0", n=999)])
    with store.connect(tmp_path / "m.duckdb") as con:
        report = ingest_paths(con, [src])
        twice = store.upsert_documents(con, [{**row, "content_hash": store.content_hash(row["text"])}
                                             for row in [doc("z", n=1), doc("z", n=2)]])
        texts = dict(con.execute("SELECT id, text FROM documents WHERE id IN ('d0', 'z')").fetchall())
    assert report.duplicates == 1 and not report.errors and twice == (1, 0, 0)
    assert texts == {"d0": TEXT.format(n=999), "z": TEXT.format(n=2)}


def test_hostile_json_is_refused_per_line(tmp_path):
    src = tmp_path / "hostile.jsonl"
    write_jsonl(src, ["[" * 100_000, '{"id": "n", "x": ' + "9" * 5001 + "}", "[1, 2]", doc("ok")])
    started = time.monotonic()
    result = run_cli("ingest", src, "--db", tmp_path / "h.duckdb")
    err = result.stderr
    assert f"{src}:1: not valid JSON: nested too deeply" in err
    assert f"{src}:2: not valid JSON" in err and "digits" in err
    assert f"{src}:3: expected a JSON object" in err
    assert "1 added" in err and "Traceback" not in err and time.monotonic() - started < 30


def test_huge_documents_are_refused_with_the_limit_named(tmp_path):
    """Over the cap (default 2,000,000 characters; --max-chars), refused, never loaded."""
    src = tmp_path / "big.jsonl"
    big = "Tỉnh có 12 thôn. " * 150_000          # 2.55 M characters
    write_jsonl(src, [doc("small"), {"id": "big", "text": big}])
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>" + "Xã có 3 thôn. " * 5000 + "</p></body></html>", encoding="utf-8")
    db = tmp_path / "b.duckdb"
    default = run_cli("ingest", src, "--db", db).stderr
    capped = run_cli("ingest", page, "--max-chars", "10000", "--db", db, check=False).stderr
    assert f"{src}:2: document 'big': 'text' has 2,550,000 characters, over the limit of 2,000,000" in default
    assert f"{page}: " in capped and "over the limit" in capped and "Traceback" not in capped
    assert rows(db, "SELECT id FROM documents") == [("small",)]


def test_published_dates_as_vietnamese_sources_write_them(tmp_path):
    src = tmp_path / "dates.jsonl"
    given = {"dmy": "03/04/2019", "iso_time": "2019-04-05T10:00:00+07:00", "iso": "2019-04-05",
             "dots": "30.6.2022", "words": "ngày 12 tháng 3 năm 2025", "dateline": "Thứ Hai, 06/05/2019, 10:35",
             "int": 20190101, "neg": -1, "impossible": "2019-02-30", "compact": "20190101", "none": None}
    write_jsonl(src, [doc(key, published=value) for key, value in given.items()])
    result = run_cli("ingest", src, "--db", tmp_path / "p.duckdb")
    stored = dict(rows(tmp_path / "p.duckdb", "SELECT id, published::VARCHAR FROM documents"))
    assert stored == {"dmy": "2019-04-03", "iso_time": "2019-04-05", "iso": "2019-04-05", "dots": "2022-06-30",
                      "words": "2025-03-12", "dateline": "2019-05-06", "int": None, "neg": None,
                      "impossible": None, "compact": None, "none": None}
    for line, key in [(7, "int"), (8, "neg"), (9, "impossible"), (10, "compact")]:
        assert f"warning: {src}:{line}: document '{key}': 'published'" in result.stderr
    assert result.stderr.count("warning:") == 4


def test_a_records_own_source_does_not_hide_file_and_line(tmp_path):
    src = tmp_path / "own.jsonl"
    write_jsonl(src, [doc("a", source="crawl-2019/x.warc", title=3),
                      {"id": "b", "source": "their-file.txt:99", "text": "The province merged 12 villages."},
                      doc("c", source="kept-as-provenance")])
    result = run_cli("ingest", src, "--db", tmp_path / "o.duckdb")
    assert f"error: {src}:1: document 'a': 'title'" in result.stderr
    assert f"error: {src}:2: document 'b': not Vietnamese" in result.stderr
    assert rows(tmp_path / "o.duckdb", "SELECT source FROM documents") == [("kept-as-provenance",)]


def test_export_to_a_missing_folder_is_one_clear_line(small_db, tmp_path):
    target = tmp_path / "missing" / "dir" / "x.csv"
    result = run_cli("export", "facts", "--format", "csv", "-o", target, "--db", small_db, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"Error: cannot write {target}: folder {target.parent} does not exist"


def test_crawl_with_an_impossible_since_date_is_one_clear_line(tmp_path):
    result = run_cli("crawl", "--since", "2025-13-01", "--db", tmp_path / "c.duckdb", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--since '2025-13-01': not a date (YYYY-MM-DD)" in result.stderr


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold(db, seconds: float) -> subprocess.Popen:
    """Another process with the database open for writing, for `seconds`."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "holding"
    return child


@pytest.mark.parametrize("command", [["query", "SELECT count(*) FROM documents"], ["ingest", "DOCS"]])
def test_locked_database_names_the_process_that_holds_it(small_db, tmp_path, command):
    db = small_db
    write_jsonl(tmp_path / "docs.jsonl", [doc("new")])
    command = [str(tmp_path / "docs.jsonl") if c == "DOCS" else c for c in command]
    holder = hold(db, 30)
    try:
        started = time.monotonic()
        result = run_cli(*command, "--db", db, env={"VNFACTS_LOCK_WAIT": "1.5"}, check=False)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1 and "Traceback" not in result.stderr and "IOException" not in result.stderr
    assert f"database {db} is in use by process {holder.pid}" in result.stderr and "waited 1.5 s" in result.stderr
    assert waited >= 1.5


def test_a_second_process_waits_for_the_lock_to_be_released(small_db):
    db = small_db
    holder = hold(db, 2.0)
    try:
        result = run_cli("query", "SELECT count(*) AS n FROM documents", "--json", "--db", db)
    finally:
        holder.wait()
    assert json.loads(result.stdout) == [{"n": 5}]


def test_library_lock_error_is_a_store_error(tmp_path):
    db = tmp_path / "lib.duckdb"
    store.connect(db).close()
    holder = hold(db, 30)
    try:
        with pytest.raises(store.StoreError, match=f"in use by process {holder.pid}"):
            store.db._open(db, read_only=True, wait=0.3)
    finally:
        holder.kill()
        holder.wait()


def query_while_running(command: list, db, wait: str | None = None) -> list[dict]:
    """Start a long `vnfacts` command, query the database until it ends;
    returns the document counts the queries saw while it was running.
    `wait`: the seconds each query may wait for the lock (VNFACTS_LOCK_WAIT)."""
    job = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *map(str, command), "--db", str(db)],
                           cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        while job.poll() is None:
            result = run_cli("query", "SELECT count(*) AS n, count(extracted_version) AS x FROM documents",
                             "--json", "--db", db, check=False, env={"VNFACTS_LOCK_WAIT": wait} if wait else None)
            if job.poll() is None:  # the answer came while the job was still running
                assert result.returncode == 0, result.stderr
                seen.append(json.loads(result.stdout)[0])
    finally:
        job.wait(timeout=300)
    assert job.returncode == 0, job.stderr.read()
    return seen


def many_docs(path, count: int) -> None:
    write_jsonl(path, [doc(f"m{i:05d}", n=i % 900 + 2) for i in range(count)])


# Ingest keeps its connection across batches for up to store.session.HOLD
# seconds, then lets go of the file while it cleans the next batch. A
# loaded machine doubles the ~1.6 s a query may wait; 6,000 pages take
# longer than that, so a hold for the whole ingest fails this test.
LONG_INGEST_PAGES, QUERY_WAIT = 6000, "6"


def write_pages(path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for n in range(count):
            body = "".join(f"<p>Đoạn {k} của bài {n}: huyện đã sắp xếp {k + n % 7} thôn, tổ dân phố.</p>"
                           for k in range(12))
            html = f"<html><head><title>Bài {n}</title></head><body><article><h1>Bài {n}</h1>{body}</article></body></html>"
            out.write(json.dumps({"id": f"bai-{n}", "html": html}, ensure_ascii=False) + "\n")


def test_query_works_during_a_long_ingest(tmp_path):
    """Each query waits at most QUERY_WAIT seconds and sees the count grow."""
    src, db = tmp_path / "pages.jsonl", tmp_path / "busy.duckdb"
    write_pages(src, LONG_INGEST_PAGES)
    store.connect(db).close()  # the query must not race the ingest to create it
    counts = [s["n"] for s in query_while_running(["ingest", src], db, wait=QUERY_WAIT)]
    assert len(counts) >= 2, counts  # the queries ran while the ingest did
    assert counts == sorted(counts) and counts[-1] < LONG_INGEST_PAGES
    assert rows(db, "SELECT count(*) FROM documents") == [(LONG_INGEST_PAGES,)]


def test_query_works_during_a_long_extract(tmp_path):
    src, db = tmp_path / "many.jsonl", tmp_path / "busy.duckdb"
    many_docs(src, 500)
    run_cli("ingest", src, "--db", db)
    seen = query_while_running(["extract"], db)
    assert seen and all(s["n"] == 500 for s in seen)
    assert rows(db, "SELECT count(extracted_version) FROM documents") == [(500,)]
