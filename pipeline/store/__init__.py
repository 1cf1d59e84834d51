"""The database: schema, reads and writes of documents and facts (db.py)
and of the crawler's state (crawlstate.py)."""
from pipeline.store.db import (
                               DEFAULT_DB,
                               DOC_COLUMNS,
                               FACT_COLUMNS,
                               FACT_FIELDS,
                               PROVENANCE_FIELDS,
                               connect,
                               content_hash,
                               documents_by_id,
                               existing_hashes,
                               facts_frame,
                               pending_ids,
                               replace_facts,
                               upsert_documents,
)

__all__ = ["DEFAULT_DB", "DOC_COLUMNS", "FACT_COLUMNS", "FACT_FIELDS", "PROVENANCE_FIELDS", "connect",
           "content_hash", "documents_by_id", "existing_hashes", "facts_frame", "pending_ids",
           "replace_facts", "upsert_documents"]
