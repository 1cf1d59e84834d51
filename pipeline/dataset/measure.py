"""What clustering costs next to ingestion, and how much of a corpus is copies.

    python -m pipeline.dataset.measure [N] [--chunk C] [--db FILE]

Stores the bulk corpus's articles (../shared/data/bulk/vntc_sample.jsonl.gz)
in chunks as a nightly run would (ingest, extract, then cluster what is
new) and prints, per chunk, the CPU seconds of ingest + extract and of
clustering and the process's resident memory; then the share of documents
and facts that are copies. CPU time, not wall time: on a shared machine the
wall clock measures the neighbours.
"""
from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import psutil

import pipeline
from pipeline.dataset.claims import rebuild_claims
from pipeline.dataset.clusters import update_clusters
from pipeline.paths import SHARED

BULK = SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz"


def bulk_records(limit: int | None) -> list[dict]:
    if not BULK.is_file():
        raise SystemExit(f"bulk corpus not found at {BULK} (set VNFACTS_SHARED)")
    with gzip.open(BULK, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line, _ in zip(lines, range(limit or 10**9))]
    return [{"id": r["id"], "text": r["text"], "site": r["id"].split("_")[1], "published": None} for r in records]


def cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def measure(con, records: list[dict], chunk: int) -> list[dict]:
    """Per chunk: CPU seconds of ingest + extract, of clustering, and RSS."""
    ruleset, process, rows = pipeline.load_ruleset(), psutil.Process(), []
    for start in range(0, len(records), chunk):
        part = records[start:start + chunk]
        stored = cpu(lambda: (pipeline.ingest_records(con, part, "measure"),
                              pipeline.extract_pending(con, ruleset=ruleset)))
        clustered = cpu(lambda: update_clusters(con))
        rows.append({"documents": start + len(part), "ingest_extract_cpu_s": round(stored, 2),
                     "cluster_cpu_s": round(clustered, 2), "rss_mb": round(process.memory_info().rss / 2**20)})
    return rows


def shares(con) -> dict:
    """Documents that are copies of an earlier one, and facts stated in copies."""
    rebuild_claims(con)
    docs = con.execute("SELECT count(*) FILTER (WHERE NOT is_original), count(*) FROM document_clusters").fetchall()[0]
    facts = con.execute("SELECT count(*) FILTER (WHERE NOT c.is_original), count(*) FROM facts f "
                        "JOIN document_clusters c ON c.doc = f.doc").fetchall()[0]
    claims = con.execute("SELECT count(*), count(*) FILTER (WHERE documents > 1), count(*) FILTER (WHERE conflict) "
                         "FROM claims").fetchall()[0]
    return {"copies": docs[0], "documents": docs[1], "facts_in_copies": facts[0], "facts": facts[1],
            "claims": claims[0], "claims_with_several_documents": claims[1], "claims_in_conflict": claims[2]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=None, help="articles (default: all)")
    parser.add_argument("--chunk", type=int, default=3200)
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        with pipeline.connect(args.db or Path(tmp) / "measure.duckdb") as con:
            rows = measure(con, bulk_records(args.n), args.chunk)
            result = {"chunks": rows, **shares(con)}
    total = sum(r["ingest_extract_cpu_s"] for r in rows)
    result["cluster_share_of_ingest"] = round(sum(r["cluster_cpu_s"] for r in rows) / total, 3) if total else None
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
