"""The database schema and its migrations, numbered.

`schema_version` holds one row per migration applied. A database written
before it existed (commit 2144bab and earlier) has the tables of migration 1
and no version table: migration 1 is written with IF NOT EXISTS, so it is
recognised, recorded, and the later migrations run on top; its data stay.
Add a migration by appending to MIGRATIONS, never by editing an old one.
"""
from __future__ import annotations

DOCUMENTS = """
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
"""
FACTS = """
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
CRAWL = """
CREATE TABLE IF NOT EXISTS crawl_urls (
    url TEXT PRIMARY KEY,      -- canonical URL
    site TEXT NOT NULL,
    kind TEXT NOT NULL,        -- feed | sitemap | listing | article
    status TEXT NOT NULL,      -- discovered | fetched | failed | gone | skipped | alias
    reason TEXT,               -- why it failed or was skipped
    http_status INTEGER,
    attempts INTEGER DEFAULT 0,
    etag TEXT,
    last_modified TEXT,
    lastmod DATE,              -- date the feed/sitemap gave for it
    canonical TEXT,            -- rel=canonical target when it differs
    warc TEXT,                 -- warc:<file>#<offset> of the last response
    doc_id TEXT,
    discovered_run TEXT,
    fetched_run TEXT,
    stored_run TEXT,           -- run that put it in documents
    discovered_at TIMESTAMP DEFAULT current_timestamp,
    fetched_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL,
    site TEXT NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    discovered INTEGER DEFAULT 0,
    fetched INTEGER DEFAULT 0,
    new_documents INTEGER,
    failures TEXT,             -- JSON: reason -> count
    facts INTEGER,
    status TEXT,               -- running | crawled | done | crashed | interrupted
    PRIMARY KEY (run_id, site)
);
CREATE TABLE IF NOT EXISTS warc_files (
    path TEXT PRIMARY KEY,
    run_id TEXT,
    recovered BOOLEAN DEFAULT false
);
"""

# (number, what it does, SQL). Index i holds migration i + 1.
MIGRATIONS = [
    (1, "documents, facts and the crawler's state tables", DOCUMENTS + FACTS + CRAWL),
    (2, "facts.confidence: how sure the rule is of the fact (null when unknown)",
     "ALTER TABLE facts ADD COLUMN IF NOT EXISTS confidence DOUBLE;"),
]
CURRENT = MIGRATIONS[-1][0]

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT,
    applied_at TIMESTAMP DEFAULT current_timestamp
);
"""


def version(con) -> int:
    """The schema version of an open database (0: none recorded)."""
    tables = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'").fetchall()
    if not tables[0][0]:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con) -> list[int]:
    """Apply the migrations this database lacks, each in its own transaction;
    returns their numbers."""
    con.execute(VERSION_TABLE)
    applied = []
    for number, description, sql in MIGRATIONS[version(con):]:
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)",
                        [number, description])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied
