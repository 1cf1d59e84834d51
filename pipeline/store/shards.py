"""Parquet shards: the database's side of a distributed job (pipeline/scale).

A job reads documents from shards exported here, workers write their output
as shards, and the driver loads those shards here in ONE transaction, so an
interrupted or failed job changes nothing and a rerun gives the same result.

Fact shards hold one row per document: its id, the content_hash it was
extracted from, and its facts as a list of structs typed like the `facts`
table. A document with no facts is still a row, so the load can check that
every exported document came back exactly once.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pipeline.extract.fact import rows as fact_rows
from pipeline.store import db

EXPORT_COLUMNS = ["id", "url", "site", "title", "published", "province", "text", "content_hash"]


class ShardError(Exception):
    """The shards a job wrote do not match the documents it was given."""


def _quoted(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_documents(con, directory: str | Path, rules_version: str, everything: bool, shard_size: int) -> int:
    """Write the documents pending for these rules (all with everything=True)
    as Parquet shards of shard_size documents (directory/shard=K/*.parquet);
    returns how many. Shards follow document id order, so a rerun on the same
    database writes the same shards."""
    where = "" if everything else "WHERE extracted_version IS DISTINCT FROM $version"
    params = {} if everything else {"version": rules_version}
    cols = ", ".join(EXPORT_COLUMNS)
    con.execute(
        f"COPY (SELECT {cols}, (row_number() OVER (ORDER BY id) - 1) // {int(shard_size)} AS shard "
        f"FROM documents {where}) TO {_quoted(directory)} "
        "(FORMAT parquet, PARTITION_BY (shard), WRITE_PARTITION_COLUMNS false, OVERWRITE_OR_IGNORE)", params)
    return count_rows(con, directory)


def count_rows(con, directory: str | Path) -> int:
    files = sorted(Path(directory).rglob("*.parquet"))
    if not files:
        return 0
    return con.execute(f"SELECT count(*) FROM read_parquet({_glob(directory)}, hive_partitioning=false)"
                       ).fetchall()[0][0]


def _glob(directory: str | Path) -> str:
    return _quoted(Path(directory) / "**" / "*.parquet")


def fact_type(con) -> pa.DataType:
    """The Arrow struct of one fact, read from the `facts` table itself, so
    shards and table cannot drift apart."""
    cols = ", ".join(f'"{c}"' for c in db.FACT_COLUMNS)
    schema = con.sql(f"SELECT {cols} FROM facts LIMIT 0").to_arrow_table().schema
    return pa.struct(list(schema))


def fact_shard_schema(fact: pa.DataType) -> pa.Schema:
    """A row per document: its facts, the figures dropped as out of range
    ("indicator<TAB>reason"), and why it was stopped by its time budget (else
    null: a stopped document is left pending, as extract_pending leaves it)."""
    return pa.schema([("id", pa.string()), ("content_hash", pa.string()), ("facts", pa.list_(fact)),
                      ("dropped", pa.list_(pa.string())), ("stopped", pa.string())])


def fact_shard(documents: list[dict], facts: list, schema: pa.Schema, dropped=(), stopped=()) -> pa.Table:
    """One batch's output: a row per document with its facts (Fact or row
    dicts, made rows by the one conversion db.facts_frame uses), and what
    extract_batch reported in `dropped` and `stopped` for it."""
    lists = _fact_lists(documents, fact_rows(facts), schema)
    notes = {d["id"]: [] for d in documents}
    for doc, indicator, reason in dropped:
        notes[doc].append(f"{indicator}\t{reason}")
    why = dict(stopped)
    return pa.table({"id": [d["id"] for d in documents], "content_hash": [d["content_hash"] for d in documents],
                     "facts": lists, "dropped": [notes[d["id"]] for d in documents],
                     "stopped": [why.get(d["id"]) for d in documents]}, schema=schema)


def _fact_lists(documents: list[dict], facts: list[dict], schema: pa.Schema) -> pa.ListArray:
    """The facts as one list per document, in document order."""
    fact = schema.field("facts").type.value_type
    flat = pa.Table.from_pandas(db.facts_frame(facts), schema=pa.schema(list(fact)), preserve_index=False)
    counts = {d["id"]: 0 for d in documents}
    for f in facts:
        counts[f["doc"]] += 1
    offsets, total = [0], 0
    for d in documents:      # extract_batch gives the facts in document order
        total += counts[d["id"]]
        offsets.append(total)
    if [f["doc"] for f in facts] != [d["id"] for d in documents for _ in range(counts[d["id"]])]:
        raise ShardError("facts are not grouped in document order")
    structs = pa.StructArray.from_arrays([c.combine_chunks() for c in flat.columns], fields=list(fact))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), structs)


def fact_shard_notes(con, directory: str | Path) -> tuple[list, list]:
    """(dropped, stopped) of the fact shards, as extract_pending reports them:
    [(document, indicator, reason)] and [(document, reason)], by document."""
    rows = con.execute(f"SELECT id, dropped, stopped FROM read_parquet({_glob(directory)}, hive_partitioning=false) "
                       "WHERE len(dropped) > 0 OR stopped IS NOT NULL ORDER BY id").fetchall()
    dropped = [(doc, *note.split("\t", 1)) for doc, notes, _ in rows for note in notes]
    return dropped, [(doc, why) for doc, _, why in rows if why is not None]


def load_fact_shards(con, directory: str | Path, rules_version: str, expected: int) -> tuple[int, int]:
    """Replace the facts of the documents in the shards and mark them
    extracted, in one transaction; returns (documents, facts) loaded.

    Refuses (nothing changes) unless every exported document came back
    exactly once. A document re-ingested with a new text since the export
    keeps its new state: its old facts are not loaded and it stays pending;
    so does a document stopped by its time budget (its old facts stay)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE shard_docs AS SELECT id, content_hash, facts, stopped "
                f"FROM read_parquet({_glob(directory)}, hive_partitioning=false)")
    rows, distinct = con.execute("SELECT count(*), count(DISTINCT id) FROM shard_docs").fetchall()[0]
    if rows != expected or distinct != rows:
        con.execute("DROP TABLE shard_docs")
        raise ShardError(f"{directory}: {rows} document rows ({distinct} distinct) for {expected} exported documents")
    return _commit_shard_docs(con, lambda: _swap_facts(con, rules_version))


def _swap_facts(con, rules_version: str) -> tuple[int, int]:
    """The bulk form of db.replace_facts: delete, insert, mark, for the
    shard documents whose stored text is the one extracted."""
    con.execute("CREATE OR REPLACE TEMP TABLE current_docs AS SELECT s.id, s.facts FROM shard_docs s "
                "JOIN documents d ON d.id = s.id AND d.content_hash = s.content_hash WHERE s.stopped IS NULL")
    con.execute("DELETE FROM facts WHERE doc IN (SELECT id FROM current_docs)")
    cols = ", ".join(f'"{c}"' for c in db.FACT_COLUMNS)
    picks = ", ".join(f'f."{c}"' for c in db.FACT_COLUMNS)
    con.execute(f"INSERT INTO facts ({cols}) SELECT {picks} FROM (SELECT unnest(facts) AS f FROM current_docs)")
    con.execute("UPDATE documents SET extracted_version = ? WHERE id IN (SELECT id FROM current_docs)",
                [rules_version])
    counts = con.execute("SELECT count(*), coalesce(sum(len(facts)), 0) FROM current_docs").fetchall()[0]
    con.execute("DROP TABLE current_docs")
    return int(counts[0]), int(counts[1])


DOC_SHARD_SCHEMA = pa.schema([("batch", pa.int64())] + [(c, pa.string()) for c in db.DOC_COLUMNS]
                             + [("error", pa.string())])


def document_shard(batch: int, documents: list[dict], errors: list[str]) -> pa.Table:
    """One ingest batch's output: its document rows, then a row per refused
    record; `batch` is the input batch's number (the load keeps their order)."""
    rows = [{c: d.get(c) for c in db.DOC_COLUMNS} for d in documents] + [{"error": e} for e in errors]
    return pa.Table.from_pylist([{**r, "batch": batch} for r in rows], schema=DOC_SHARD_SCHEMA)


def load_document_shards(con, directory: str | Path) -> tuple[tuple[int, int, int], list[str]]:
    """Store the documents of ingest shards in one transaction; returns
    ((added, updated, unchanged), refused-record errors).

    The set form of db.upsert_documents, whose rule it keeps: the same id
    and text is a no-op, a changed text replaces the stored row and drops its
    facts, the same id twice keeps the last read (batch order)."""
    source = f"read_parquet({_glob(directory)}, hive_partitioning=false, filename=true, file_row_number=true)"
    errors = [row[0] for row in con.execute(
        f"SELECT error FROM {source} WHERE error IS NOT NULL ORDER BY batch, filename, file_row_number").fetchall()]
    con.execute(f"CREATE OR REPLACE TEMP TABLE shard_docs AS SELECT * EXCLUDE (last) FROM ("
                f"SELECT *, row_number() OVER (PARTITION BY id ORDER BY batch DESC, filename DESC, "
                f"file_row_number DESC) AS last FROM {source} WHERE error IS NULL) WHERE last = 1")
    return _commit_shard_docs(con, lambda: _upsert_shard_docs(con)), errors


def _upsert_shard_docs(con) -> tuple[int, int, int]:
    added, updated, unchanged = con.execute(
        "SELECT count(*) FILTER (d.id IS NULL), count(*) FILTER (d.content_hash <> s.content_hash), "
        "count(*) FILTER (d.content_hash = s.content_hash) FROM shard_docs s LEFT JOIN documents d USING (id)"
    ).fetchall()[0]
    con.execute("CREATE OR REPLACE TEMP TABLE changed_docs AS SELECT s.id FROM shard_docs s "
                "JOIN documents d USING (id) WHERE d.content_hash <> s.content_hash")
    con.execute("DELETE FROM facts WHERE doc IN (SELECT id FROM changed_docs)")
    con.execute("DELETE FROM documents WHERE id IN (SELECT id FROM changed_docs)")
    cols = ", ".join(db.DOC_COLUMNS)
    picks = ", ".join("CAST(left(published, 10) AS DATE)" if c == "published" else c for c in db.DOC_COLUMNS)
    con.execute(f"INSERT INTO documents ({cols}) SELECT {picks} FROM shard_docs "
                "WHERE id NOT IN (SELECT id FROM documents)")
    con.execute("DROP TABLE changed_docs")
    return int(added), int(updated), int(unchanged)


def _commit_shard_docs(con, load):
    """Run load() in one transaction (all or nothing); shard_docs goes either way."""
    con.execute("BEGIN")
    try:
        result = load()
        con.execute("COMMIT")
        return result
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS shard_docs")
