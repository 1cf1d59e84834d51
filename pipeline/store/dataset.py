"""SQL of the dataset layer: near-duplicate documents, claims, conflicts.

The tables are derived: document_signatures/document_bands/document_pairs
grow as documents are stored (pipeline.dataset.clusters), document_clusters,
claims, claim_sources and claim_conflicts are rebuilt from them and from
facts (pipeline.dataset.claims). Created with IF NOT EXISTS here until the
store's migrations take them over.
"""
from __future__ import annotations

import pandas as pd

from pipeline.paths import QUERIES_DIR
from pipeline.store import schema

SCHEMA = schema.DATASET  # created by migration 4 (store/schema.py)

CLAIM_COLUMNS = ["claim", "indicator", "change", "status", "level", "place", "locality", "province",
                 "province_2025", "value", "total", "percent", "approx", "as_of", "target_year", "facts",
                 "documents", "sites", "independent", "first_seen", "last_seen", "original_doc", "conflict"]
SOURCE_COLUMNS = ["claim", "doc", "site", "url", "published", "cluster", "quote", "start", "rule_id"]
CONFLICT_COLUMNS = ["claim", "other", "indicator", "place", "level", "as_of", "target_year", "value",
                    "other_value", "doc", "other_doc"]


# Views over claims, the same SQL as the saved queries (`vnfacts query NAME`)
VIEWS = ("latest_figures", "place_history")


def ensure_schema(con) -> None:
    """The views over claims (the tables come from migration 4)."""
    for name in VIEWS:
        body = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {body}")


# --- near-duplicates -------------------------------------------------------

def unsketched_documents(con, limit: int):
    """Up to `limit` documents without a signature of their current text (new
    or changed), as an Arrow table (id, text, content_hash): the texts go to
    the compiled shingling without becoming Python strings. The rows are
    chosen first and read by rowid (joined on id, DuckDB read every stored
    text each batch: 0.06 against 0.02 CPU s a batch at 12,786 documents)."""
    rows = con.sql(  # noqa: F841 (scanned below); con.sql: Arrow without the DB-API result's extra copy
        "SELECT d.rowid AS row, d.id FROM documents d "
        "LEFT JOIN document_signatures s ON s.doc = d.id AND s.content_hash = d.content_hash "
        "WHERE s.doc IS NULL ORDER BY d.id LIMIT ?", params=[limit]).to_arrow_table()
    return con.sql("SELECT id, text, content_hash FROM documents WHERE rowid IN (SELECT row FROM rows) "
                   "ORDER BY id").to_arrow_table()


def unsketched_count(con) -> int:
    """Documents without a signature of their current text."""
    return con.execute("SELECT count(*) FROM documents d LEFT JOIN document_signatures s ON s.doc = d.id "
                       "AND s.content_hash = d.content_hash WHERE s.doc IS NULL").fetchall()[0][0]


def stale_sketches(con) -> list[str]:
    """Documents whose sketch no longer matches: deleted, or their text changed.
    Read from the one-row-per-document signatures, not the bands."""
    return [r[0] for r in con.execute(
        "SELECT s.doc FROM document_signatures s LEFT JOIN documents d ON d.id = s.doc "
        "WHERE d.id IS NULL OR d.content_hash <> s.content_hash ORDER BY 1").fetchall()]


def forget_documents(con, ids: list[str]) -> None:
    """Drop the sketches and pairs of these documents."""
    if not ids:
        return
    frame = pd.DataFrame({"id": pd.Series(ids, dtype="object")})  # noqa: F841 (scanned by DuckDB)
    for table, where in (("document_signatures", "doc"), ("document_bands", "doc"), ("document_pairs", "a"),
                         ("document_pairs", "b")):
        con.execute(f"DELETE FROM {table} WHERE {where} IN (SELECT id FROM frame)")


def insert_sketches(con, signatures, bands) -> None:
    """Arrow tables (DuckDB scans them without converting Python objects)."""
    con.execute("INSERT INTO document_signatures SELECT doc, content_hash, shingles, signature FROM signatures")
    con.execute("INSERT INTO document_bands SELECT doc, band, hash FROM bands")


def candidate_pairs(con, bands):
    """Pairs sharing an LSH band where one side is among the new documents
    (`bands`: their band rows, an Arrow table doc, band, hash, already
    stored), as an Arrow table (a, b), in no order (where they are stored
    does not matter): a corpus written from one template gives millions.
    The new bands come from memory, not from a scan of the stored ones."""
    return con.sql(
        "SELECT DISTINCT least(n.doc, o.doc) AS a, greatest(n.doc, o.doc) AS b "
        "FROM bands n JOIN document_bands o ON o.band = n.band AND o.hash = n.hash AND o.doc <> n.doc"
    ).to_arrow_table()


def signatures_of(con, ids: list[str]) -> dict[str, bytes]:
    wanted = pd.DataFrame({"doc": pd.Series(sorted(set(ids)), dtype="object")})  # noqa: F841
    rows = con.execute("SELECT s.doc, s.signature FROM document_signatures s JOIN wanted USING (doc)").fetchall()
    return {doc: bytes(signature) for doc, signature in rows}


def texts_of(con, ids: list[str]) -> dict[str, str]:
    """By rowid, found from the id column alone (see unsketched_documents)."""
    return dict(con.execute("SELECT id, text FROM documents WHERE rowid IN "
                            "(SELECT rowid FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[])))",
                            [sorted({str(i) for i in ids})]).fetchall())


def insert_pairs(con, pairs: pd.DataFrame) -> None:
    con.execute("INSERT INTO document_pairs SELECT a, b, similarity FROM pairs")


def all_pairs(con) -> list[tuple[str, str, float]]:
    return con.execute("SELECT a, b, similarity FROM document_pairs ORDER BY a, b").fetchall()


def publication_dates(con, ids: list[str]) -> dict[str, object]:
    wanted = pd.DataFrame({"id": pd.Series(sorted(set(ids)), dtype="object")})  # noqa: F841
    return dict(con.execute("SELECT d.id, d.published FROM documents d JOIN wanted USING (id)").fetchall())


def replace_clusters(con, clusters: pd.DataFrame) -> None:
    """Every stored document gets a row; a document with no copy is its own
    cluster. Only the rows that changed are deleted and written (the table
    has a row per document: rewriting it all on every update was most of the
    rebuild's cost, issue 13)."""
    con.execute("BEGIN")
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE wanted_clusters AS SELECT d.id AS doc, coalesce(c.cluster, d.id) AS cluster, "
            "coalesce(c.is_original, true) AS is_original, coalesce(c.copies, 1) AS copies, c.similarity "
            "FROM documents d LEFT JOIN clusters c ON c.doc = d.id")
        con.execute(
            "DELETE FROM document_clusters t WHERE NOT EXISTS (SELECT 1 FROM wanted_clusters w WHERE w.doc = t.doc "
            "AND w.cluster = t.cluster AND w.is_original = t.is_original AND w.copies = t.copies "
            "AND w.similarity IS NOT DISTINCT FROM t.similarity)")
        con.execute("INSERT INTO document_clusters SELECT w.* FROM wanted_clusters w "
                    "WHERE NOT EXISTS (SELECT 1 FROM document_clusters t WHERE t.doc = w.doc)")
        con.execute("DROP TABLE wanted_clusters")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# --- claims ----------------------------------------------------------------

def fact_sources(con) -> pd.DataFrame:
    """Every fact with what a claim needs of its document (date, site, copy cluster)."""
    return con.execute(
        "SELECT f.doc, f.indicator, f.value, f.total, f.percent, f.approx, f.change, f.status, f.level, "
        "f.locality, f.province, f.province_2025, f.as_of, f.target_year, f.quote, f.start, f.rule_id, "
        "d.published, coalesce(d.site, regexp_extract(d.url, '//([^/]+)', 1)) AS site, d.url, "
        "coalesce(c.cluster, f.doc) AS cluster "
        "FROM facts f JOIN documents d ON d.id = f.doc LEFT JOIN document_clusters c ON c.doc = f.doc "
        "ORDER BY f.doc, f.start, f.indicator, f.value NULLS FIRST, f.percent NULLS FIRST").df()


def replace_claims(con, claims: pd.DataFrame, sources: pd.DataFrame, conflicts: pd.DataFrame) -> None:
    """Swap the derived claim tables in one transaction."""
    con.execute("BEGIN")
    try:
        for table, frame, columns in (("claims", claims, CLAIM_COLUMNS), ("claim_sources", sources, SOURCE_COLUMNS),
                                      ("claim_conflicts", conflicts, CONFLICT_COLUMNS)):
            con.execute(f"DELETE FROM {table}")
            if len(frame):
                con.register("incoming", frame[columns])
                con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM incoming")
                con.unregister("incoming")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def read_table(con, table: str, order: str) -> pd.DataFrame:
    """A derived table in a fixed order (releases and tests compare them)."""
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").df()


# --- panel and release -----------------------------------------------------

PANEL_SQL = """
SELECT c.province, c.province_2025, c.locality,
       CASE WHEN c.place = 'province:' || c.province THEN 'province' ELSE 'local' END AS scope,
       c.indicator, c.change, c.status, c.level, c.as_of, c.target_year,
       c.value, c.total, c.percent, c.approx,
       c.documents AS sources, c.sites, c.independent, c.first_seen, c.last_seen, c.conflict, c.claim
FROM claims c
WHERE c.province IS NOT NULL
ORDER BY c.province, scope DESC, c.locality NULLS FIRST, c.indicator, c.change, c.status, c.level NULLS FIRST,
         c.as_of NULLS LAST, c.target_year NULLS LAST, c.value NULLS LAST, c.percent NULLS LAST, c.claim
"""


def panel_frame(con) -> pd.DataFrame:
    return con.execute(PANEL_SQL).df()


FACTS_SQL = "SELECT * EXCLUDE (extracted_at) FROM facts ORDER BY doc, start, indicator, value, percent, rule_id"
DOCUMENTS_SQL = ("SELECT d.id, d.url, d.site, d.title, d.published, d.province, d.content_hash, d.extracted_version, "
                 "c.cluster, c.is_original{text} FROM documents d LEFT JOIN document_clusters c ON c.doc = d.id "
                 "ORDER BY d.id")


def release_frames(con, with_text: bool = False) -> dict[str, pd.DataFrame]:
    """The tables a release freezes, each in a fixed order."""
    return {
        "facts": con.execute(FACTS_SQL).df(),
        "documents": con.execute(DOCUMENTS_SQL.format(text=", d.text" if with_text else "")).df(),
        "claims": read_table(con, "claims", "claim"),
        "claim_sources": read_table(con, "claim_sources", "claim, doc, start"),
        "claim_conflicts": read_table(con, "claim_conflicts", "claim, other, doc, other_doc"),
        "panel": panel_frame(con),
    }


def rules_versions(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT rules_version FROM facts WHERE rules_version IS NOT NULL ORDER BY 1").fetchall()]
