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

REVIEWS = """
CREATE SEQUENCE IF NOT EXISTS reviews_id;
CREATE TABLE IF NOT EXISTS reviews (
    id BIGINT PRIMARY KEY DEFAULT nextval('reviews_id'),
    fact_key TEXT NOT NULL,
    doc TEXT NOT NULL,
    verdict TEXT NOT NULL,        -- accept | reject | correct | add
    fields JSON,                  -- corrected fields (verdict correct), else NULL
    fact JSON NOT NULL,           -- the fact's fields when it was reviewed
    reviewer TEXT,
    reviewed_at TIMESTAMP DEFAULT current_timestamp
);
"""
DATASET = """
CREATE TABLE IF NOT EXISTS document_signatures (
    doc TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,   -- the text the signature was computed from
    shingles INTEGER NOT NULL,    -- word shingles (0 = too short to compare)
    signature BLOB NOT NULL       -- MinHash values, uint32 little-endian
);
CREATE TABLE IF NOT EXISTS document_bands (
    doc TEXT NOT NULL,
    band SMALLINT NOT NULL,
    hash BIGINT NOT NULL          -- LSH band of the signature; equal bands = candidate pair
);
CREATE TABLE IF NOT EXISTS document_pairs (
    a TEXT NOT NULL,              -- a < b
    b TEXT NOT NULL,
    similarity DOUBLE NOT NULL    -- Jaccard of word 5-shingles, >= the copy threshold
);
CREATE TABLE IF NOT EXISTS document_clusters (
    doc TEXT PRIMARY KEY,
    cluster TEXT NOT NULL,        -- the id of the cluster's original (its earliest published copy)
    is_original BOOLEAN NOT NULL,
    copies INTEGER NOT NULL,      -- documents in the cluster, original included
    similarity DOUBLE             -- Jaccard to the original; NULL for the original
);
CREATE TABLE IF NOT EXISTS claims (
    claim TEXT PRIMARY KEY, indicator TEXT NOT NULL, change TEXT, status TEXT, level TEXT,
    place TEXT NOT NULL, locality TEXT, province TEXT, province_2025 TEXT,
    value DOUBLE, total DOUBLE, percent DOUBLE, approx TEXT, as_of DATE, target_year INTEGER,
    facts INTEGER NOT NULL, documents INTEGER NOT NULL, sites INTEGER NOT NULL,
    independent INTEGER NOT NULL, first_seen DATE, last_seen DATE, original_doc TEXT,
    conflict BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_sources (
    claim TEXT NOT NULL, doc TEXT NOT NULL, site TEXT, url TEXT, published DATE, cluster TEXT,
    quote TEXT, start INTEGER, rule_id TEXT
);
CREATE TABLE IF NOT EXISTS claim_conflicts (
    claim TEXT NOT NULL, other TEXT NOT NULL, indicator TEXT, place TEXT, level TEXT,
    as_of DATE, target_year INTEGER, value DOUBLE, other_value DOUBLE, doc TEXT, other_doc TEXT
);
"""

# (number, what it does, SQL). Index i holds migration i + 1.
MIGRATIONS = [
    (1, "documents, facts and the crawler's state tables", DOCUMENTS + FACTS + CRAWL),
    (2, "facts.confidence: how sure the rule is of the fact (null when unknown)",
     "ALTER TABLE facts ADD COLUMN IF NOT EXISTS confidence DOUBLE;"),
    # 3 and 4 were first created by their modules with IF NOT EXISTS, so a
    # database where they already exist is recognised, not broken.
    (3, "reviews: the review page's decisions (pipeline/serve)", REVIEWS),
    (4, "document clusters, claims and their sources (pipeline/dataset)", DATASET),
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
