"""The reads the CLI makes: exports, the facts table for evaluation, the
demo's summary, saved queries, and the user's own SQL (run as given)."""
from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.paths import QUERIES_DIR
from pipeline.store.db import FACT_COLUMNS, StoreError

EXPORT_COLUMNS = {
    "facts": FACT_COLUMNS,
    "documents": ["id", "url", "site", "title", "published", "province", "text", "content_hash",
                  "source", "extracted_version"],
}
COPY_OPTIONS = {"jsonl": "FORMAT json", "csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet"}
DEMO_COLUMNS = ["province", "indicator", "value", "total", "percent", "change", "status", "as_of", "quote"]


def export_sql(what: str) -> str:
    """SELECT of a table's exported columns, in a stable order."""
    if what not in EXPORT_COLUMNS:
        raise StoreError(f"cannot export {what!r}: choose one of {', '.join(EXPORT_COLUMNS)}")
    cols = ", ".join(f'"{c}"' for c in EXPORT_COLUMNS[what])
    return f"SELECT {cols} FROM {what} ORDER BY 1"


def export_frame(con, what: str) -> pd.DataFrame:
    return con.execute(export_sql(what)).df()


def export_file(con, what: str, fmt: str, output: str | Path) -> Path:
    """COPY a table to a file; a folder that does not exist is a clear error."""
    output = Path(output)
    if not output.parent.is_dir():
        raise StoreError(f"cannot write {output}: folder {output.parent} does not exist")
    if fmt not in COPY_OPTIONS:
        raise StoreError(f"unknown export format {fmt!r}: choose one of {', '.join(COPY_OPTIONS)}")
    if output.is_dir():
        raise StoreError(f"cannot write {output}: it is a folder")
    quoted = str(output).replace("'", "''")
    try:
        con.execute(f"COPY ({export_sql(what)}) TO '{quoted}' ({COPY_OPTIONS[fmt]})")
    except duckdb.Error as error:  # permissions, a full disk: the file is named
        raise StoreError(f"cannot write {output}: {error}") from None
    return output


def facts_table(con) -> pd.DataFrame:
    """Every stored fact with its provenance (what `eval` scores)."""
    return export_frame(con, "facts")


def demo_facts(con) -> pd.DataFrame:
    cols = ", ".join(DEMO_COLUMNS)
    return con.execute(f"SELECT {cols} FROM facts ORDER BY province, doc, start").df()


def document_ids(con) -> set[str]:
    return {row[0] for row in con.execute("SELECT id FROM documents").fetchall()}


def saved_queries(folder: Path = QUERIES_DIR) -> dict[str, Path]:
    """name -> .sql file of the queries shipped with vnfacts."""
    return {p.stem: p for p in sorted(Path(folder).glob("*.sql"))}


def run_sql(con, sql: str) -> tuple[list[tuple], list[tuple]]:
    """The user's SQL (or a saved query's text), as given: (DuckDB's column
    description, the rows as Python values). No DataFrame, so `vnfacts query`
    starts without pandas (issue 11)."""
    cursor = con.execute(sql)
    return cursor.description or [], cursor.fetchall() if cursor.description else []
