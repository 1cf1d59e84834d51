"""Reviews of facts: the `reviews` table and every statement the review page needs.

A fact's key is a hash of what makes it one fact (FACTS.md, Deduplication):
document, indicator, change, the primary number, the locality compared as a
place (lower-cased, trimmed) and status. It does not depend on offsets, rule
ids or the rules version, so `extract --all` with new rules keeps every
review attached to its fact; a review whose key no longer occurs in `facts`
is an orphan (a rule regressed, or changed the fact).

`reviews` is append-only: the latest row of a key is its decision; undo
deletes that row, so the decision before it (if any) is back. Each row keeps
the fact as the reviewer saw it (`fact`), so gold is written from reviews
alone and outlives its fact.
"""
from __future__ import annotations

import hashlib
import json
import time

import duckdb

from pipeline.store import schema
from pipeline.store.db import FACT_FIELDS, StoreError, connect

SCHEMA = schema.REVIEWS  # created by migration 3 (store/schema.py)
VERDICTS = ("accept", "reject", "correct")  # on an extracted fact; "add" is a fact the rules missed
NULL = "(none)"  # a facet value standing for SQL NULL in a filter


def key_sql(alias: str) -> str:
    """The fact key as a SQL expression over a facts row (see fact_key)."""
    a = alias
    parts = [f"{a}.doc", f"{a}.indicator", f"coalesce({a}.change, 'count')",
             f"coalesce(CAST(round(coalesce({a}.value, {a}.percent), 6) AS VARCHAR), '')",
             f"lower(trim(coalesce({a}.locality, '')))", f"coalesce({a}.status, '')"]
    return f"substr(md5(concat_ws('|', {', '.join(parts)})), 1, 16)"


def fact_key(fact: dict) -> str:
    """The same key computed in Python (equal to key_sql; tested)."""
    number = fact.get("value") if fact.get("value") is not None else fact.get("percent")
    parts = [str(fact["doc"]), fact["indicator"], fact.get("change") or "count",
             "" if number is None else repr(round(float(number), 6)),
             (fact.get("locality") or "").strip().lower(), fact.get("status") or ""]
    return hashlib.md5("|".join(parts).encode("utf-8")).hexdigest()[:16]


class Busy(StoreError):
    """Another process kept the database locked for longer than we wait."""


def open_db(path, wait: float = 5.0, pause: float = 0.1):
    """A short-lived connection with the reviews table; waits up to `wait`
    seconds while another process holds the database (DuckDB allows one
    writing process), so the page, a query and a nightly run share it."""
    deadline = time.monotonic() + wait
    while True:
        try:
            con = connect(path)
            return con
        except (duckdb.IOException, StoreError) as error:  # connect() wraps DuckDB's lock error
            if not any(word in str(error).lower() for word in ("lock", "in use")):
                raise
            if time.monotonic() >= deadline:
                raise Busy(f"locked by another process (waited {wait:g} s): {error}") from None
            time.sleep(pause)


# Facet name -> column of the FACTS view below.
FACETS = ["indicator", "province", "province_2025", "status", "change", "level", "year", "site", "rule",
          "confidence", "review"]
# Confidence bands; facts without a confidence (older rules) have none.
BANDS = "CASE WHEN k.confidence IS NULL THEN NULL WHEN k.confidence < 0.5 THEN 'low (<0.5)' " \
        "WHEN k.confidence < 0.8 THEN 'medium (0.5-0.8)' ELSE 'high (>=0.8)' END"
SORTABLE = ["doc", "indicator", "value", "total", "percent", "change", "status", "level", "locality",
            "province", "province_2025", "as_of", "rule", "review", "site", "score"]


def facts_view(one_doc: bool = False) -> str:
    """Facts with their key, document, facet columns and current decision.
    one_doc: only the facts of one document (its id is the first parameter),
    so a decision or a document page hashes a few rows, not the whole table."""
    narrow = "WHERE f.doc = ?" if one_doc else ""
    return f"""
WITH latest AS (
    SELECT * FROM reviews QUALIFY row_number() OVER (PARTITION BY fact_key ORDER BY id DESC) = 1
), keyed AS (
    SELECT f.*, {key_sql('f')} AS fact_key FROM facts f {narrow}
), v AS (
    SELECT k.* EXCLUDE (confidence), k.confidence AS score, {BANDS} AS confidence,
           d.site, d.url, d.title, CAST(year(k.as_of) AS VARCHAR) AS year, k.rule_id AS rule,
           coalesce(l.verdict, 'unreviewed') AS review, l.fields AS corrected, l.reviewer
    FROM keyed k JOIN documents d ON d.id = k.doc LEFT JOIN latest l USING (fact_key)
)
"""


FACTS_VIEW = facts_view()
ORDER = 'v.doc, v.start, v."end", v.indicator, v.fact_key'


def where(filters: dict) -> tuple[str, list]:
    """WHERE clause and parameters for facet filters (unknown facets ignored)."""
    clauses, params = [], []
    for facet, value in filters.items():
        if facet not in FACETS:
            continue
        if value == NULL:
            clauses.append(f"v.{facet} IS NULL")
        else:
            clauses.append(f"CAST(v.{facet} AS VARCHAR) = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def rows(cursor) -> list[dict]:
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def browse(con, filters: dict, sort: str = "doc", descending: bool = False, page: int = 1,
           per_page: int = 50) -> tuple[list[dict], int]:
    """One page of facts under the filters, and how many there are in all."""
    clause, params = where(filters)
    column = sort if sort in SORTABLE else "doc"
    direction = "DESC" if descending else "ASC"
    total = con.execute(f"{FACTS_VIEW} SELECT count(*) FROM v {clause}", params).fetchall()[0][0]
    offset = max(page - 1, 0) * per_page
    cursor = con.execute(
        f"{FACTS_VIEW} SELECT * EXCLUDE (sentence) FROM v {clause} "
        f"ORDER BY v.{column} {direction} NULLS LAST, {ORDER} LIMIT ? OFFSET ?", [*params, per_page, offset])
    return rows(cursor), total


def facet_counts(con, filters: dict) -> dict[str, list[tuple[str, int]]]:
    """For each facet, its values and counts under the filters, most frequent first."""
    clause, params = where(filters)
    union = " UNION ALL ".join(
        f"SELECT '{facet}' AS facet, CAST({facet} AS VARCHAR) AS value, count(*) AS n FROM v {clause} "
        f"GROUP BY ALL" for facet in FACETS)
    found = con.execute(f"{FACTS_VIEW} {union} ORDER BY facet, n DESC, value NULLS LAST",
                        params * len(FACETS)).fetchall()
    counts = {facet: [] for facet in FACETS}
    for facet, value, n in found:
        counts[facet].append((NULL if value is None else value, n))
    return counts


def queue_item(con, filters: dict, offset: int) -> dict | None:
    """The offset-th fact of the review queue: the unreviewed facts under the
    filters, or every fact when the filter picks a review state itself."""
    clause, params = where(queue_filters(filters))
    cursor = con.execute(f"{FACTS_VIEW} SELECT * FROM v {clause} ORDER BY {ORDER} LIMIT 1 OFFSET ?",
                         [*params, max(offset, 0)])
    found = rows(cursor)
    return found[0] if found else None


def queue_filters(filters: dict) -> dict:
    return filters if "review" in filters else {**filters, "review": "unreviewed"}


def fact_by_key(con, key: str, doc: str | None = None) -> dict | None:
    """The fact with this key (looked for in `doc` alone when given: fast)."""
    view, params = (facts_view(True), [doc, key]) if doc is not None else (FACTS_VIEW, [key])
    found = rows(con.execute(f"{view} SELECT * FROM v WHERE v.fact_key = ? ORDER BY {ORDER} LIMIT 1", params))
    return found[0] if found else None


def progress(con, filters: dict) -> tuple[int, int]:
    """(reviewed, total) facts under the filters, review state aside."""
    clause, params = where({k: v for k, v in filters.items() if k != "review"})
    found = con.execute(f"{FACTS_VIEW} SELECT count(*) FILTER (WHERE review <> 'unreviewed'), count(*) "
                        f"FROM v {clause}", params).fetchall()[0]
    return int(found[0]), int(found[1])


def record(con, fact: dict, verdict: str, fields: dict | None, reviewer: str | None) -> int:
    """Store a decision on a fact (a row of fact_by_key); returns the review's id."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r}: expected one of {', '.join(VERDICTS)}")
    snapshot = {name: fact[name] for name in FACT_FIELDS}
    return con.execute(
        "INSERT INTO reviews (fact_key, doc, verdict, fields, fact, reviewer) VALUES (?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        [fact["fact_key"], fact["doc"], verdict, json.dumps(fields, ensure_ascii=False) if fields else None,
         json.dumps(snapshot, ensure_ascii=False, default=str), reviewer]).fetchall()[0][0]


def record_added(con, fact: dict, reviewer: str | None) -> tuple[str, int]:
    """Store a fact a reviewer added (the rules missed it); returns (key, id)."""
    key = fact_key(fact)
    snapshot = {name: fact.get(name) for name in FACT_FIELDS} | {"start": fact["start"], "end": fact["end"]}
    found = con.execute(
        "INSERT INTO reviews (fact_key, doc, verdict, fields, fact, reviewer) VALUES (?, ?, 'add', NULL, ?, ?) "
        "RETURNING id", [key, fact["doc"], json.dumps(snapshot, ensure_ascii=False, default=str), reviewer])
    return key, found.fetchall()[0][0]


def undo(con, key: str) -> bool:
    """Delete the latest decision on this key; False if there was none."""
    found = con.execute("DELETE FROM reviews WHERE id = (SELECT max(id) FROM reviews WHERE fact_key = ?) "
                        "RETURNING id", [key]).fetchall()
    return bool(found)


def latest_reviews(con) -> list[dict]:
    """Every key's current decision, with whether its fact still exists."""
    cursor = con.execute(
        f"{FACTS_VIEW} SELECT l.*, l.fact_key IN (SELECT fact_key FROM keyed) AS present "
        "FROM latest l ORDER BY l.doc, l.id")
    return [{**row, "fact": json.loads(row["fact"]), "fields": json.loads(row["fields"] or "null")}
            for row in rows(cursor)]


def orphans(con) -> list[dict]:
    """Reviews whose fact no longer comes out of extraction (an added fact
    never came out of it: not an orphan)."""
    return [row for row in latest_reviews(con) if not row["present"] and row["verdict"] != "add"]


def added(con, doc: str | None = None) -> list[dict]:
    """Facts reviewers added, latest decision per key."""
    return [row for row in latest_reviews(con) if row["verdict"] == "add" and doc in (None, row["doc"])]


def document(con, doc: str) -> dict | None:
    found = rows(con.execute("SELECT id, url, site, title, published, province, text, source "
                             "FROM documents WHERE id = ?", [doc]))
    return found[0] if found else None


def document_facts(con, doc: str) -> list[dict]:
    return rows(con.execute(f"{facts_view(True)} SELECT * FROM v ORDER BY {ORDER}", [doc]))


def unreviewed_in(con, docs: list[str]) -> dict[str, int]:
    """How many current facts of these documents have no decision."""
    if not docs:
        return {}
    found = con.execute(f"{FACTS_VIEW} SELECT doc, count(*) FROM v WHERE review = 'unreviewed' "
                        f"AND list_contains(?, doc) GROUP BY doc", [docs]).fetchall()
    return dict(found)


# Charts: each follows the facet filters.
def chart_series(con, filters: dict, indicator: str) -> list[dict]:
    """An indicator's dated figures by province (as_of on the x axis)."""
    clause, params = where({**filters, "indicator": indicator})
    return rows(con.execute(
        f"{FACTS_VIEW} SELECT coalesce(province, '{NULL}') AS province, as_of, coalesce(value, percent) AS figure, "
        f"value IS NULL AS is_percent, locality, doc, quote FROM v {clause} "
        f"{'AND' if clause else 'WHERE'} as_of IS NOT NULL AND coalesce(value, percent) IS NOT NULL "
        "ORDER BY province, as_of, doc", params))


def chart_heat(con, filters: dict) -> list[dict]:
    """How many facts per province and indicator."""
    clause, params = where(filters)
    return rows(con.execute(f"{FACTS_VIEW} SELECT coalesce(province, '{NULL}') AS province, indicator, "
                            f"count(*) AS facts FROM v {clause} GROUP BY ALL ORDER BY province, indicator", params))


def chart_reviewed(con, filters: dict) -> list[dict]:
    """Facts per indicator and review state (the reviewed share)."""
    clause, params = where(filters)
    return rows(con.execute(f"{FACTS_VIEW} SELECT indicator, review, count(*) AS facts FROM v {clause} "
                            "GROUP BY ALL ORDER BY indicator, review", params))
