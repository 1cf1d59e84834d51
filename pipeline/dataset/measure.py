"""What clustering costs next to ingestion, and how much of a corpus is copies.

    python -m pipeline.dataset.measure [N] [--chunk C] [--db FILE] [--records F.jsonl]
                                       [--save-clusters F.parquet] [--compare F.parquet]

Stores the bulk corpus's articles (../shared/data/bulk/vntc_sample.jsonl.gz)
in chunks as a nightly run would (ingest, extract, then cluster what is
new) and prints, per chunk and in total, the CPU seconds of ingest alone,
of extract and of clustering, the share clustering adds to ingest alone
and to ingest + extract, and the process's resident memory after each
chunk (flat memory: it should not grow with the documents stored); then the
share of documents and facts that are copies. CPU time, not wall time: on a
shared machine the wall clock measures the neighbours. With --save-clusters
the final document_clusters table is written out; with --compare it is
compared row by row with one saved earlier (to show a change to the
clustering code leaves the clusters identical).

With --records, the articles come from a JSONL file of ingest records
instead, e.g. the bench's HTML pages (the same articles in five site
templates, cleaned by ingest as crawled pages are), written with
    python -c "from pathlib import Path; from pipeline.bench.paths import write_inputs; \
               write_inputs(Path('bench-pages'), 12786)"    # -> bench-pages/pages.jsonl
"""
from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

import pipeline
from pipeline.dataset.claims import rebuild_claims
from pipeline.dataset.clusters import link_copies
from pipeline import store
from pipeline.paths import SHARED

BULK = SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz"
STAGES = ("ingest", "extract", "cluster")


def bulk_records(limit: int | None, records: Path | None = None) -> list[dict]:
    """The bulk articles as text records, or the records of a JSONL file as
    `vnfacts ingest` reads them (e.g. the bench's HTML pages, which ingest
    cleans as it cleans crawled pages)."""
    if records:
        with open(records, encoding="utf-8") as lines:
            return [json.loads(line) for line, _ in zip(lines, range(limit or 10**9))]
    if not BULK.is_file():
        raise SystemExit(f"bulk corpus not found at {BULK} (set VNFACTS_SHARED)")
    with gzip.open(BULK, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line, _ in zip(lines, range(limit or 10**9))]
    return [{"id": r["id"], "text": r["text"], "site": r["id"].split("_")[1], "published": None} for r in records]


def cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def measure(db, records: list[dict], chunk: int) -> list[dict]:
    """Per chunk: CPU seconds of ingest, extract and clustering, and RSS after.
    `db` is a store.Database: each stage opens the file per batch, as
    `vnfacts ingest`, `extract` and the nightly run do (opening and
    checkpointing is part of what each costs)."""
    ruleset, process, rows = pipeline.load_ruleset(), psutil.Process(), []
    for start in range(0, len(records), chunk):
        part = records[start:start + chunk]
        seconds = {"ingest": cpu(lambda: pipeline.ingest_records(db, part, "measure")),
                   "extract": cpu(lambda: pipeline.extract_pending(db, ruleset=ruleset)),
                   "cluster": cpu(lambda: link_copies(db))}
        rows.append({"documents": start + len(part), **{f"{k}_cpu_s": round(v, 2) for k, v in seconds.items()},
                     **added_shares(seconds), "rss_mb": round(process.memory_info().rss / 2**20)})
    return rows


def added_shares(seconds: dict) -> dict:
    """The share clustering adds to ingest alone and to ingest + extract."""
    ingest, both = seconds["ingest"], seconds["ingest"] + seconds["extract"]
    return {"cluster_share_of_ingest": round(seconds["cluster"] / ingest, 3) if ingest else None,
            "cluster_share_of_ingest_extract": round(seconds["cluster"] / both, 3) if both else None}


def totals(rows: list[dict]) -> dict:
    seconds = {k: sum(r[f"{k}_cpu_s"] for r in rows) for k in STAGES}
    rss = [r["rss_mb"] for r in rows]
    return {**{f"{k}_cpu_s": round(v, 2) for k, v in seconds.items()}, **added_shares(seconds),
            "rss_mb_first_last_max": [rss[0], rss[-1], max(rss)] if rss else None}


def shares(con) -> dict:
    """Documents that are copies of an earlier one, and facts stated in copies."""
    rebuild_claims(con)
    docs = con.execute("SELECT count(*) FILTER (WHERE NOT is_original), count(*) FROM document_clusters").fetchall()[0]
    facts = con.execute("SELECT count(*) FILTER (WHERE NOT c.is_original), count(*) FROM facts f "
                        "JOIN document_clusters c ON c.doc = f.doc").fetchall()[0]
    claims = con.execute("SELECT count(*), count(*) FILTER (WHERE documents > 1), count(*) FILTER (WHERE conflict) "
                         "FROM claims").fetchall()[0]
    return {"copies": docs[0], "documents": docs[1], "copy_share": round(docs[0] / docs[1], 4) if docs[1] else None,
            "facts_in_copies": facts[0], "facts": facts[1],
            "fact_copy_share": round(facts[0] / facts[1], 4) if facts[1] else None,
            "claims": claims[0], "claims_with_several_documents": claims[1], "claims_in_conflict": claims[2]}


def cluster_rows(con) -> pd.DataFrame:
    return con.execute("SELECT doc, cluster, is_original, copies, similarity FROM document_clusters "
                       "ORDER BY doc").df()


def compare(now: pd.DataFrame, saved: Path) -> dict:
    """Rows of document_clusters that differ from a saved run (similarity to 1e-12)."""
    before = pd.read_parquet(saved)
    both = before.merge(now, on="doc", how="outer", suffixes=("_before", "_now"), indicator=True)
    same = both["_merge"] == "both"
    for column in ("cluster", "is_original", "copies"):
        same &= both[f"{column}_before"].eq(both[f"{column}_now"])
    a, b = both["similarity_before"], both["similarity_now"]
    same &= (a.isna() & b.isna()) | ((a - b).abs() <= 1e-12)
    return {"rows_before": len(before), "rows_now": len(now), "rows_differing": int((~same).sum()),
            "identical": bool(same.all()) and len(before) == len(now)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=None, help="articles (default: all)")
    parser.add_argument("--chunk", type=int, default=3200)
    parser.add_argument("--records", type=Path, default=None,
                        help="ingest these JSONL records instead of the bulk texts (e.g. the bench's pages)")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    parser.add_argument("--save-clusters", type=Path, default=None, help="write document_clusters (Parquet)")
    parser.add_argument("--compare", type=Path, default=None, help="compare document_clusters with a saved one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "measure.duckdb"
        rows = measure(store.Database(path), bulk_records(args.n, args.records), args.chunk)
        with pipeline.connect(path) as con:
            result = {"chunks": rows, "total": totals(rows), **shares(con)}
            clusters = cluster_rows(con)
    if args.save_clusters:
        clusters.to_parquet(args.save_clusters, index=False)
    if args.compare:
        result["compared_with"] = {"file": str(args.compare), **compare(clusters, args.compare)}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
