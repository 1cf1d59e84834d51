"""DuckDB storage: documents (clean text), facts (with provenance).

Writes are batched through pandas DataFrames (DuckDB scans them as Arrow),
never one INSERT per row.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.paths import DEFAULT_DB

FACT_FIELDS = [
    "indicator", "value", "total", "percent", "approx", "change", "status",
    "over_plan_percent", "level", "locality", "province", "province_2025",
    "as_of", "target_year", "quote",
]
PROVENANCE_FIELDS = ["sentence", "start", "end", "rule_id", "rules_version"]
FACT_COLUMNS = ["doc", *FACT_FIELDS, *PROVENANCE_FIELDS]
DOC_COLUMNS = [
    "id", "url", "site", "title", "published", "province", "text",
    "content_hash", "source",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    url TEXT,
    site TEXT,
    title TEXT,
    published DATE,
    province TEXT,            -- the source site's province, if known
    text TEXT NOT NULL,       -- clean, normalized text; fact offsets point here
    content_hash TEXT NOT NULL,
    source TEXT,              -- file path (and line) or archive record it came from
    ingested_at TIMESTAMP DEFAULT current_timestamp,
    extracted_version TEXT    -- rules version of the last extraction, NULL = pending
);
CREATE TABLE IF NOT EXISTS facts (
    doc TEXT NOT NULL,
    indicator TEXT NOT NULL,
    value DOUBLE,
    total DOUBLE,
    percent DOUBLE,
    approx TEXT,
    change TEXT,
    status TEXT,
    over_plan_percent DOUBLE,
    level TEXT,
    locality TEXT,
    province TEXT,
    province_2025 TEXT,
    as_of DATE,
    target_year INTEGER,
    quote TEXT,
    sentence TEXT,
    start INTEGER,
    "end" INTEGER,
    rule_id TEXT,
    rules_version TEXT,
    extracted_at TIMESTAMP DEFAULT current_timestamp
);
"""


# DuckDB's buffer pool otherwise grows with the database; bounded, it spills
# to disk, and a nightly run's memory stays flat in corpus size.
MEMORY_LIMIT = os.environ.get("VNFACTS_DUCKDB_MEMORY", "128MB")


def connect(path: str | Path = DEFAULT_DB, read_only: bool = False):
    """Open (and create if needed) the database with its schema."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT})
    if not read_only:
        con.execute(SCHEMA)
    return con


def id_frame(ids: list[str]) -> pd.DataFrame:
    """A one-column frame of ids for DuckDB to join (typed even when empty)."""
    return pd.DataFrame({"id": pd.Series(ids, dtype="object").astype(str)})


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def existing_hashes(con, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    frame = id_frame(ids)
    rows = con.execute(
        "SELECT d.id, d.content_hash FROM documents d JOIN frame USING (id)"
    ).fetchall()
    return dict(rows)


def upsert_documents(con, docs: list[dict]) -> tuple[int, int, int]:
    """Store documents; same id and same text is a no-op.

    Returns (added, updated, unchanged). A changed text replaces the stored
    one, drops its facts and marks it pending extraction.
    """
    known = existing_hashes(con, [d["id"] for d in docs])
    fresh = [d for d in docs if d["id"] not in known]
    changed = [d for d in docs if d["id"] in known and known[d["id"]] != d["content_hash"]]
    if changed:
        ids = id_frame([d["id"] for d in changed])
        con.execute("DELETE FROM facts WHERE doc IN (SELECT id FROM ids)")
        con.execute("DELETE FROM documents WHERE id IN (SELECT id FROM ids)")
    rows = fresh + changed
    if rows:
        frame = pd.DataFrame(rows, columns=DOC_COLUMNS)
        frame["published"] = pd.to_datetime(frame["published"], errors="coerce").dt.date
        cols = ", ".join(DOC_COLUMNS)
        con.execute(f"INSERT INTO documents ({cols}) SELECT {cols} FROM frame")
    return len(fresh), len(changed), len(docs) - len(rows)


def pending_ids(con, rules_version: str, everything: bool = False) -> list[str]:
    """Ids of documents whose facts are missing or from another rules version."""
    where = "" if everything else "WHERE extracted_version IS DISTINCT FROM ?"
    params = [] if everything else [rules_version]
    return [row[0] for row in con.execute(f"SELECT id FROM documents {where} ORDER BY id", params).fetchall()]


def documents_by_id(con, ids: list[str]) -> list[dict]:
    frame = id_frame(ids)
    cursor = con.execute(
        "SELECT d.id, d.url, d.site, d.title, d.published, d.province, d.text "
        "FROM documents d JOIN frame USING (id) ORDER BY d.id")
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def replace_facts(con, doc_ids: list[str], facts: list[dict], rules_version: str) -> None:
    """Swap the facts of these documents in one transaction (no duplicates)."""
    ids = id_frame(doc_ids)
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM facts WHERE doc IN (SELECT id FROM ids)")
        if facts:
            frame = facts_frame(facts)
            cols = ", ".join(f'"{c}"' for c in FACT_COLUMNS)
            con.execute(f"INSERT INTO facts ({cols}) SELECT {cols} FROM frame")
        con.execute(
            "UPDATE documents SET extracted_version = ? WHERE id IN (SELECT id FROM ids)",
            [rules_version],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def facts_frame(facts: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(facts, columns=FACT_COLUMNS)
    frame["as_of"] = pd.to_datetime(frame["as_of"], errors="coerce").dt.date
    for col in ("value", "total", "percent", "over_plan_percent"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["target_year"] = pd.to_numeric(frame["target_year"], errors="coerce").astype("Int64")
    return frame
