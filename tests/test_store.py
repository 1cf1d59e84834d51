"""The store owns the database: migrations keep older files working, the CLI
writes no SQL of its own, and every fact column (confidence too) is stored
and exported. Real DuckDB files throughout."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import store
from pipeline.store import schema
from tests.conftest import REPO, run_cli

OLD_SCHEMA = REPO / "tests" / "data" / "schema_2144bab.sql"
OLD_DOC = ("old-1", "http://127.0.0.1/old-1", "bao-cu", "Tin cũ", "2019-04-03", "Lào Cai",
           "Huyện Bảo Thắng hiện có 112 thôn.", "h1", "old.jsonl:1", "v-old")
OLD_FACT = ("old-1", "hamlet", 112.0, "exact", "Huyện Bảo Thắng", "112 thôn", 24, 32, "hamlet.count", "v-old")


def make_old_database(path: Path) -> None:
    """A database as vnfacts wrote it at commit 2144bab, with one document,
    one fact and one crawl row."""
    with duckdb.connect(str(path)) as con:
        con.execute(OLD_SCHEMA.read_text(encoding="utf-8"))
        con.execute("INSERT INTO documents (id, url, site, title, published, province, text, content_hash, "
                    "source, extracted_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_DOC)
        con.execute('INSERT INTO facts (doc, indicator, value, approx, locality, quote, start, "end", rule_id, '
                    "rules_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_FACT)
        con.execute("INSERT INTO crawl_urls (url, site, kind, status) VALUES ('http://x/a', 'bao-cu', "
                    "'article', 'fetched')")


def columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def test_old_database_is_upgraded_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    make_old_database(path)
    with store.connect(path) as con:
        assert store.schema_version(con) == schema.CURRENT == 4
        assert {"reviews", "claims"} <= {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert "confidence" in columns(con, "facts")
        doc = con.execute("SELECT id, published::VARCHAR, text, extracted_version FROM documents").fetchall()
        fact = con.execute("SELECT doc, value, quote, confidence FROM facts").fetchall()
        crawl = con.execute("SELECT url, status FROM crawl_urls").fetchall()
    assert doc == [("old-1", "2019-04-03", OLD_DOC[6], "v-old")]
    assert fact == [("old-1", 112.0, "112 thôn", None)]
    assert crawl == [("http://x/a", "fetched")]


def test_migrations_run_once(tmp_path):
    path = tmp_path / "new.duckdb"
    for _ in range(3):
        store.connect(path).close()
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert rows == [(n,) for n, _, _ in schema.MIGRATIONS]


def test_a_reader_upgrades_an_old_database_then_reads(tmp_path):
    """`vnfacts query` and `export` open read-only; an old file is upgraded first."""
    path = tmp_path / "old.duckdb"
    make_old_database(path)
    rows = json.loads(run_cli("query", "SELECT max(version) AS v FROM schema_version", "--json",
                              "--db", path).stdout)
    exported = [json.loads(line) for line in run_cli("export", "facts", "--db", path).stdout.splitlines()]
    assert rows == [{"v": schema.CURRENT}]
    assert len(exported) == 1 and exported[0]["value"] == 112.0 and exported[0]["confidence"] is None


def test_a_reader_upgrades_a_file_without_a_schema_version(tmp_path):
    """A DuckDB file vnfacts never wrote: the reader's cheap version look-up
    fails, which means version 0, so it is upgraded and its own table kept."""
    path = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE notes AS SELECT 7 AS n")
    rows = json.loads(run_cli("query", "SELECT (SELECT max(version) FROM schema_version) AS v, "
                              "(SELECT n FROM notes) AS n", "--json", "--db", path).stdout)
    assert rows == [{"v": schema.CURRENT, "n": 7}]


def fact(doc: str, **extra) -> dict:
    base = {"doc": doc, "indicator": "hamlet", "value": 12, "quote": "12 thôn", "start": 0, "end": 7,
            "rule_id": "r", "rules_version": "v"}
    return {**base, **extra}


def test_confidence_is_stored_and_exported(tmp_path):
    path = tmp_path / "c.duckdb"
    with store.connect(path) as con:
        store.replace_facts(con, ["a", "b"], [fact("a", confidence=0.75), fact("b")], "v")
    out = tmp_path / "facts.csv"
    run_cli("export", "facts", "--format", "csv", "-o", out, "--db", path)
    with duckdb.connect() as con:
        got = con.execute(f"SELECT doc, confidence FROM read_csv_auto('{out}') ORDER BY doc").fetchall()
    assert got == [("a", 0.75), ("b", None)]
    assert "confidence" in store.FACT_COLUMNS


CLI_FILES = ["pipeline/cli/main.py", "pipeline/cli/crawl.py", "pipeline/crawl/nightly.py",
             "pipeline/crawl/spider.py", "pipeline/crawl/ingest.py"]
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "COPY ")


@pytest.mark.parametrize("name", CLI_FILES)
def test_no_sql_outside_the_store(name):
    """The CLI's and the crawler's SQL lives in pipeline/store (a user's own
    `vnfacts query` text is theirs)."""
    tree = ast.parse((REPO / name).read_text(encoding="utf-8"))
    found = [(node.lineno, node.value[:40]) for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and any(word in node.value.upper() for word in SQL_WORDS)]
    assert not found, f"{name}: SQL outside pipeline/store: {found}"


def test_missing_database_is_refused_by_the_library(tmp_path):
    missing = tmp_path / "typo.duckdb"
    with pytest.raises(store.StoreError, match="typo.duckdb"):
        store.connect(missing, read_only=True)
    with pytest.raises(store.StoreError, match="typo.duckdb"):
        store.connect(missing, create=False)
    assert not missing.exists()


@pytest.mark.parametrize("command", [["query", "SELECT 1"], ["export", "facts"], ["extract"], ["status"],
                                     ["eval", str(REPO / "tests" / "data" / "excerpts.gold.jsonl")]])
def test_mistyped_db_is_an_error_naming_it(tmp_path, command):
    missing = tmp_path / "tpyo" / "vnfacts.duckdb"
    result = run_cli(*command, "--db", missing, check=False)
    assert result.returncode == 1, result.stderr
    assert str(missing) in result.stderr and "Traceback" not in result.stderr
    assert not missing.exists() and not missing.parent.exists()


def test_every_db_option_is_the_same():
    """One --db: same default (from the package), same type, everywhere
    (cli/output.db_option; `serve`, a layer below the CLI, declares the same)."""
    from pipeline.cli.main import main
    from pipeline.paths import DEFAULT_DB

    found = {}
    for name, command in main.commands.items():
        for param in getattr(command, "params", []):
            if "--db" in getattr(param, "opts", []):
                found[name] = (param.default, type(param.type).__name__, param.metavar)
    assert {"ingest", "extract", "query", "export", "eval", "demo", "crawl", "run", "status"} <= set(found)
    assert set(found.values()) == {(str(DEFAULT_DB), "Path", "FILE")}


def test_database_opens_in_the_duckdb_cli_researchers_install(tmp_path):
    """`pip install duckdb-cli` (1.5.6) reads the file vnfacts writes (its
    own 2.0 format it refuses: 'can only read versions between 64 and 68')."""
    pytest.importorskip("duckdb_cli")
    path = tmp_path / "shared.duckdb"
    with store.connect(path) as con:
        store.replace_facts(con, ["a"], [fact("a", confidence=0.5), fact("a", value=7)], "v")
    with store.connect(path) as con:  # reopened and written again: the format stays
        store.replace_facts(con, ["b"], [fact("b")], "v")
    result = subprocess.run([sys.executable, "-m", "duckdb_cli", str(path), "-csv", "-c",
                             "SELECT count(*) AS n, sum(value) AS total FROM facts"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n,total", "3,31.0"]


# --- documents are written without pandas (issue 11) -------------------------

def test_ingest_stores_documents_without_pandas(tmp_path):
    """`vnfacts ingest` of pages, as its own process: neither pandas nor
    pyarrow is imported, and the rows hold what was given."""
    from pipeline.paths import SAMPLE_DIR
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('\\nTABLES ' + ' '.join(m for m in ('pandas', 'pyarrow') "
             "if m in sys.modules) + '\\n'))\n"
             "sys.argv = ['vnfacts', *sys.argv[1:]]\n"
             "from pipeline.cli import main\n"
             "main()\n")
    db = tmp_path / "d.duckdb"
    result = subprocess.run([sys.executable, "-c", probe, "ingest", "--db", str(db), str(SAMPLE_DIR)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "TABLES", result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT count(*), count(published), count(DISTINCT content_hash), "
                           "min(length(text)) FROM documents").fetchall()[0]
    assert rows[0] == len(list(SAMPLE_DIR.glob("*.htm*"))) + len(list(SAMPLE_DIR.glob("*.txt"))) > 0
    assert rows[1] > 0 and rows[2] == rows[0] and rows[3] > 100


def test_upsert_documents_adds_replaces_and_keeps(tmp_path):
    con = store.connect(tmp_path / "u.duckdb")
    doc = {"id": "d1", "url": "https://baobaclieu.vn/a", "site": "baobaclieu.vn", "title": "Tin",
           "published": "2024-03-12", "province": "Bạc Liêu", "text": "Tỉnh có 64 xã.", "content_hash": "h1",
           "source": "a.html"}
    other = {**doc, "id": "d2", "published": None, "url": None}
    assert store.upsert_documents(con, [doc, other]) == (2, 0, 0)
    con.execute("INSERT INTO facts (doc, indicator, quote, start, \"end\", rule_id, rules_version) "
                "VALUES ('d1', 'commune', '64 xã', 8, 13, 'r', 'v')")
    changed = {**doc, "text": "Tỉnh có 60 xã.", "content_hash": "h2"}
    assert store.upsert_documents(con, [changed, other]) == (0, 1, 1)
    rows = con.execute("SELECT id, url, published, text, content_hash FROM documents ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["d1", "d2"] and rows[1][1:3] == (None, None)
    assert str(rows[0][2]) == "2024-03-12" and rows[0][3:] == ("Tỉnh có 60 xã.", "h2")
    assert con.execute("SELECT count(*) FROM facts").fetchall() == [(0,)]  # the changed text's facts went
    with pytest.raises(store.StoreError, match="not an ISO date"):
        store.upsert_documents(con, [{**doc, "id": "d3", "published": "12/03/2024"}])
    assert con.execute("SELECT count(*) FROM documents").fetchall() == [(2,)]


def test_facts_stored_from_typed_lists_are_those_of_the_typed_frame(tmp_path):
    """replace_facts sends one typed list per column (no pandas on extract's
    path, issue 11); the Ray shards still build facts_frame. Both must store
    the same values: numbers as text or NaN, dates as text, missing keys."""
    import math

    from pipeline.store import db as store_db
    odd = [{"doc": "d1", "indicator": "hamlet", "value": "12", "total": float("nan"), "percent": 19.7,
            "as_of": "2024-06-30", "target_year": 2025.0, "start": 3, "end": 9, "rule_id": "r", "confidence": None},
           {"doc": "d1", "indicator": "hamlet", "value": "x", "as_of": None, "target_year": None, "start": None}]
    with store.connect(tmp_path / "a.duckdb") as con:
        store.replace_facts(con, ["d1"], odd, "v1")
        listed = con.execute("SELECT * EXCLUDE (extracted_at) FROM facts ORDER BY start NULLS LAST").fetchall()
    with store.connect(tmp_path / "b.duckdb") as con:
        frame = store_db.facts_frame(odd)
        cols = ", ".join(f'"{c}"' for c in store_db.FACT_COLUMNS)
        con.execute(f"INSERT INTO facts ({cols}) SELECT {cols} FROM frame")
        framed = con.execute("SELECT * EXCLUDE (extracted_at) FROM facts ORDER BY start NULLS LAST").fetchall()
    same = lambda a, b: a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    assert len(listed) == len(framed) == 2
    assert all(same(a, b) for x, y in zip(listed, framed) for a, b in zip(x, y)), (listed, framed)
