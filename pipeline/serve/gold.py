"""Reviews become gold: the reviewed documents in the FACTS.md gold format.

An accepted fact is written as the reviewer saw it, a corrected one with
the reviewer's fields over it, a rejected one not at all; a document whose
reviewed facts were all rejected is `{"doc": ID, "none": true}`. Gold is
written from the reviews alone (each keeps its fact), so it survives
re-extraction, and `vnfacts eval` scores the rules against the reviewers."""
from __future__ import annotations

import json
from collections import defaultdict

from pipeline.store import reviews

GOLD_FIELDS = ["indicator", "value", "total", "percent", "approx", "change", "status", "over_plan_percent",
               "level", "locality", "province", "as_of", "target_year", "quote"]


def gold_fact(doc: str, review: dict) -> dict:
    fact = {**review["fact"], **(review["fields"] or {})}
    line = {"doc": doc}
    line.update({name: fact[name] for name in GOLD_FIELDS if fact.get(name) is not None})
    return line


def gold_lines(con) -> tuple[list[dict], list[str]]:
    """(gold lines by document, ids of reviewed documents that still have
    unreviewed facts: their unreviewed facts will count as false positives)."""
    by_doc = defaultdict(list)
    for review in reviews.latest_reviews(con):
        by_doc[review["doc"]].append(review)
    lines = []
    for doc, decided in sorted(by_doc.items()):
        kept = [gold_fact(doc, r) for r in decided if r["verdict"] != "reject"]
        lines += kept or [{"doc": doc, "none": True}]
    partial = sorted(reviews.unreviewed_in(con, sorted(by_doc)))
    return lines, partial


def write_gold(con, handle) -> tuple[int, int, list[str]]:
    """Write JSON Lines; returns (documents, facts, partially reviewed docs)."""
    lines, partial = gold_lines(con)
    for line in lines:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len({line["doc"] for line in lines}), sum(1 for line in lines if not line.get("none")), partial
