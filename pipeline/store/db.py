"""DuckDB storage: documents (clean text), facts (with provenance).

Every connection goes through `connect`, which upgrades an older database
(store/schema.py). Writes are batched, never one INSERT per row: documents
as one list parameter per column, facts through pandas DataFrames (DuckDB
scans them as Arrow).
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipeline.extract.fact import rows as fact_rows
from pipeline.paths import DEFAULT_DB
from pipeline.store import instances, schema
from pipeline.lazy import lazy_module

pd = lazy_module("pandas")  # loaded by the first write, not by `vnfacts query` or `status` (issue 11)

FACT_FIELDS = [
    "indicator", "value", "total", "percent", "approx", "change", "status",
    "over_plan_percent", "level", "locality", "province", "province_2025",
    "as_of", "target_year", "quote",
]
# How sure the rule is of the fact (0-1); null when the extractor gave none.
SCORE_FIELDS = ["confidence"]
PROVENANCE_FIELDS = ["sentence", "start", "end", "rule_id", "rules_version"]
FACT_COLUMNS = ["doc", *FACT_FIELDS, *SCORE_FIELDS, *PROVENANCE_FIELDS]
DOC_COLUMNS = [
    "id", "url", "site", "title", "published", "province", "text",
    "content_hash", "source",
]
NUMERIC_FACT_FIELDS = ("value", "total", "percent", "over_plan_percent", "confidence")

# DuckDB's buffer pool otherwise grows with the database; bounded, it spills
# to disk, and a nightly run's memory stays flat in corpus size.
MEMORY_LIMIT = os.environ.get("VNFACTS_DUCKDB_MEMORY", "128MB")
# DuckDB lets one process write a file (or several only read it). A second
# process waits this many seconds for the lock, then says who holds it.
# New files are written in a storage format older DuckDB clients read too
# (the DuckDB CLI 1.5.x a researcher installs refuses 2.0's own format).
STORAGE_VERSION = os.environ.get("VNFACTS_DUCKDB_STORAGE", "v1.5.0")
LOCK_WAIT = float(os.environ.get("VNFACTS_LOCK_WAIT", "10"))
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


class StoreError(Exception):
    """A database the user named cannot be used: missing, locked, unreadable."""


def connect(path: str | Path = DEFAULT_DB, read_only: bool = False, create: bool = True,
            wait: float | None = None):
    """Open the database, upgraded to the current schema.

    create=False (and read_only) refuse a missing file instead of making an
    empty one, so a mistyped path is an error, not an empty result. `wait`:
    seconds to retry while another process holds the file (LOCK_WAIT)."""
    path = Path(path)
    if not path.exists() and (read_only or not create):
        raise StoreError(f"no database at {path} (vnfacts ingest, crawl or demo creates one)")
    if read_only:
        return _open_read_only(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only=False, wait=wait, fresh=not path.exists())
    if _recorded_version(con) < schema.CURRENT:
        schema.migrate(con)
    return con


def _recorded_version(con) -> int:
    """schema.version without its information_schema look-up, ~25 ms on a
    fresh connection, which ingest pays once per batch (issue 11); no
    schema_version table is version 0 (any error: migrate decides, as before;
    a missing table may even meet DuckDB's scan of this module's globals,
    where schema_version is a function). A current database needs no migrate."""
    try:
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
    except duckdb.Error:
        return 0


def _open_read_only(path: Path):
    """A reader of an older database upgrades it first, once, with a short
    write connection; then reads as every reader does."""
    con = _open(path, read_only=True)
    if _recorded_version(con) >= schema.CURRENT:
        return con
    con.close()
    with _open(path, read_only=False) as writer:
        schema.migrate(writer)
    return _open(path, read_only=True)


def _open(path: Path, read_only: bool, wait: float | None = None, fresh: bool = False):
    """Connect, retrying with backoff while another process holds the lock."""
    wait = LOCK_WAIT if wait is None else wait
    deadline, pause = time.monotonic() + wait, 0.05
    while True:
        try:
            return _attached(path, read_only, fresh)
        except duckdb.IOException as error:
            holder = LOCK_HOLDER.search(str(error))
            if holder is None:
                raise StoreError(f"cannot open database {path}: {error}") from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(f"database {path} is in use by {_describe(holder)}; waited {wait:g} s "
                                 "(VNFACTS_LOCK_WAIT); try again when it has finished") from None
        time.sleep(min(pause, left))
        pause = min(pause * 2, 1.0)


# The file is ATTACHed only because ROW_GROUP_SIZE is an ATTACH option: a
# checkpoint rewrites the whole last row group a batch appended to or updated,
# and at DuckDB's default (122,880 rows) that is every document of a corpus
# under 100,000, so each batch's close cost memory in proportion to the corpus
# (issue 11: ingest's peak 131 -> 191 MB from 1,000 to 10,000 pages).
ROW_GROUP_SIZE = int(os.environ.get("VNFACTS_DUCKDB_ROW_GROUP", "2048"))


def _attached(path: Path, read_only: bool, fresh: bool):
    """A connection whose default database is the file, as duckdb.connect(path)
    gives, from the process's kept instance for the file (store/instances.py)."""
    options = [f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}"] + ([f"STORAGE_VERSION '{STORAGE_VERSION}'"] if fresh else [])
    return instances.open_file(path, read_only, {"memory_limit": MEMORY_LIMIT}, options)


def _describe(holder: re.Match) -> str:
    """'process 1234 (vnfacts ingest docs.jsonl)' from /proc when it can be read."""
    pid = holder.group("pid")
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join(" ".join(a.decode(errors="replace").split()) for a in argv if a)
    except OSError:
        command = holder.group("exe")
    return f"process {pid} ({command[:200]})"


def schema_version(con) -> int:
    return schema.version(con)


def id_frame(ids: list[str]) -> pd.DataFrame:
    """A one-column frame of ids for DuckDB to join (typed even when empty)."""
    return pd.DataFrame({"id": pd.Series(ids, dtype="object").astype(str)})


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def existing_hashes(con, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = con.execute("SELECT id, content_hash FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                       [ids]).fetchall()
    return dict(rows)


def upsert_documents(con, docs: list[dict]) -> tuple[int, int, int]:
    """Store documents; same id and same text is a no-op.

    Returns (added, updated, unchanged). A changed text replaces the stored
    one, drops its facts and marks it pending extraction.
    """
    docs = list({str(d["id"]): {**d, "id": str(d["id"])} for d in docs}.values())  # same id twice: the last wins
    known = existing_hashes(con, [d["id"] for d in docs])
    fresh = [d for d in docs if d["id"] not in known]
    changed = [d for d in docs if d["id"] in known and known[d["id"]] != d["content_hash"]]
    rows = fresh + changed
    if rows:
        _write_documents(con, rows, [d["id"] for d in changed])
    return len(fresh), len(changed), len(docs) - len(rows)


# The rows go to DuckDB as one list parameter per column, zipped by unnest:
# no pandas (~0.5 s of `vnfacts ingest` start-up, issue 11), and ~0.07 ms a
# document, a third of a DataFrame's.
def unnest_select(columns: list[str], types: dict[str, str]) -> str:
    """SELECT list of one typed list parameter per column ($1 the first),
    zipped row by row by unnest; a column not in `types` is VARCHAR."""
    return ", ".join(f"unnest(${n}::{types.get(c, 'VARCHAR')}[])" for n, c in enumerate(columns, 1))


_DOC_SELECT = unnest_select(DOC_COLUMNS, {"published": "DATE"})


def _doc_columns(rows: list[dict]) -> list[list]:
    """One list per DOC_COLUMNS column (missing keys null, dates parsed)."""
    columns = [[row.get(c) for row in rows] for c in DOC_COLUMNS]
    where = DOC_COLUMNS.index("published")
    columns[where] = [as_date(v, row["id"]) for v, row in zip(columns[where], rows)]
    return columns


def _write_documents(con, rows: list[dict], replaced: list[str]) -> None:
    """Insert new rows and replace changed ones (their facts go) in one
    transaction: a kill in between leaves the old state, not half of it."""
    columns = _doc_columns(rows)
    con.execute("BEGIN")
    try:
        if replaced:
            con.execute("DELETE FROM facts WHERE doc IN (SELECT unnest(?::VARCHAR[]))", [replaced])
            con.execute("DELETE FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))", [replaced])
        con.execute(f"INSERT INTO documents ({', '.join(DOC_COLUMNS)}) SELECT {_DOC_SELECT}", columns)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def as_date(value, doc_id: str = "?") -> date | None:
    """A stored date: a date, or an ISO 'YYYY-MM-DD[T...]' string. Anything
    else is the caller's bug (ingest parses what users write), not a guess."""
    if value is None or type(value).__name__ == "NaTType" or (isinstance(value, float) and value != value):
        return None  # (NaT by its type's name: asking pd.NaT would import pandas)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", value):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise StoreError(f"document {doc_id!r}: {value!r} is not an ISO date")


def pending_ids(con, rules_version: str, everything: bool = False) -> list[str]:
    """Ids of documents whose facts are missing or from another rules version."""
    where = "" if everything else "WHERE extracted_version IS DISTINCT FROM ?"
    params = [] if everything else [rules_version]
    return [row[0] for row in con.execute(f"SELECT id FROM documents {where} ORDER BY id", params).fetchall()]


# The rows are picked by rowid, found from the id column alone: joined on id,
# DuckDB read every document's text to keep a chunk's (extract's peak grew
# with the corpus, issue 11); the rowid join's filter skips the other rows' blocks.
_DOCUMENTS_BY_ID = (
    "SELECT d.id, d.url, d.site, d.title, d.published, d.province, d.text FROM documents d "
    "WHERE d.rowid IN (SELECT rowid FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))) ORDER BY d.id")


def documents_by_id(con, ids: list[str]) -> list[dict]:
    cursor = con.execute(_DOCUMENTS_BY_ID, [[str(i) for i in ids]])
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def replace_facts(con, doc_ids: list[str], facts: list, rules_version: str) -> None:
    """Swap the facts of these documents in one transaction (no duplicates)."""
    ids = [str(i) for i in doc_ids]
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM facts WHERE doc IN (SELECT unnest(?::VARCHAR[]))", [ids])
        if facts:
            cols = ", ".join(f'"{c}"' for c in FACT_COLUMNS)
            con.execute(f"INSERT INTO facts ({cols}) SELECT {_FACT_SELECT}", fact_columns(facts))
        con.execute("UPDATE documents SET extracted_version = ? WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                    [rules_version, ids])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# Facts go to DuckDB as one typed list per column, as documents do: no
# pandas on `vnfacts extract`'s path either (its import was ~0.5 s of every
# extract's start-up, issue 11). facts_frame stays for the Ray shards.
_FACT_TYPES = {"value": "DOUBLE", "total": "DOUBLE", "percent": "DOUBLE", "over_plan_percent": "DOUBLE",
               "confidence": "DOUBLE", "as_of": "DATE", "target_year": "INTEGER", "start": "INTEGER",
               "end": "INTEGER"}
_FACT_SELECT = unnest_select(FACT_COLUMNS, _FACT_TYPES)


def fact_columns(facts: list) -> list[list]:
    """One list per FACT_COLUMNS column, typed as facts_frame types them:
    numbers that are not numbers (or NaN) null, dates parsed, years whole."""
    rows = fact_rows(facts)
    columns = []
    for column in FACT_COLUMNS:
        values = [row.get(column) for row in rows]
        kind = _FACT_TYPES.get(column)
        if column == "as_of":
            values = [as_date(v, row.get("doc")) for v, row in zip(values, rows)]
        elif kind == "DOUBLE":
            values = [as_number(v) for v in values]
        elif kind == "INTEGER":
            values = [None if (n := as_number(v)) is None else int(n) for v in values]
        columns.append(values)
    return columns


def as_number(value) -> float | None:
    """pd.to_numeric(errors="coerce") for one value: a float, else None."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def facts_frame(facts: list) -> pd.DataFrame:
    """Facts (extract/fact.py Fact, or row dicts) as a typed frame; a key a
    row lacks (confidence) is null."""
    frame = pd.DataFrame(fact_rows(facts), columns=FACT_COLUMNS)
    frame["as_of"] = pd.Series([as_date(v, doc) for v, doc in zip(frame["as_of"], frame["doc"])], dtype="object")
    for col in NUMERIC_FACT_FIELDS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["target_year"] = pd.to_numeric(frame["target_year"], errors="coerce").astype("Int64")
    return frame
