-- The schema of pipeline/store.py and pipeline/crawlstate.py at commit 2144bab
-- (before schema_version existed), for tests/test_store.py's migration test.
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
