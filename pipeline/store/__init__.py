"""The database, owned here and nowhere else: schema and migrations
(schema.py), documents and facts (db.py), the CLI's reads (reads.py) and
the crawler's state (crawlstate.py). Other modules call these functions;
only a user's own `vnfacts query` SQL is written outside this package."""
from pipeline.store.db import (
                               DEFAULT_DB,
                               DOC_COLUMNS,
                               FACT_COLUMNS,
                               FACT_FIELDS,
                               PROVENANCE_FIELDS,
                               SCORE_FIELDS,
                               StoreError,
                               connect,
                               content_hash,
                               documents_by_id,
                               existing_hashes,
                               facts_frame,
                               pending_ids,
                               replace_facts,
                               schema_version,
                               upsert_documents,
)
from pipeline.store.instances import reused_instances
from pipeline.store.session import Database, HeldConnection, session
from pipeline.store.reads import (
                                  demo_facts,
                                  document_ids,
                                  export_file,
                                  export_frame,
                                  facts_table,
                                  run_sql,
                                  saved_queries,
)

__all__ = ["Database", "HeldConnection", "session", "reused_instances", "DEFAULT_DB", "DOC_COLUMNS", "FACT_COLUMNS", "FACT_FIELDS", "PROVENANCE_FIELDS", "SCORE_FIELDS",
           "StoreError", "connect", "content_hash", "demo_facts", "document_ids", "documents_by_id",
           "existing_hashes", "export_file", "export_frame", "facts_frame", "facts_table", "pending_ids",
           "replace_facts", "run_sql", "saved_queries", "schema_version", "upsert_documents"]
