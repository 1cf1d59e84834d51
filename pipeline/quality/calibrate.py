"""Fit the confidence model (rules/confidence.yaml) on a gold split.

    python -m pipeline.quality.calibrate ARTICLES.jsonl GOLD.jsonl [--out rules/confidence.yaml]

Extracts every article with the current rules, pairs the facts with the
gold ones (quality.evaluate), counts each rule's true and false positives
and fits a logistic model of "this fact matches a gold fact" over the
features of extract/confidence.py. Prints the reliability table and a
5-fold cross-validated one (folds by document: rule counts and weights
fitted without the fold), the honest estimate on unseen documents.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

from pipeline.core import extract_document, prepare_document
from pipeline.extract import confidence
from pipeline.extract.rules import load_ruleset
from pipeline.paths import RULES_DIR
from pipeline.quality.evaluate import pair_document, read_gold

BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)
SURE = 0.9


def labelled_facts(articles: Path, gold_path: Path) -> list[dict]:
    """Every extracted fact with `matched` (it pairs with a gold fact)."""
    ruleset = load_ruleset()
    gold, docs = read_gold(gold_path)
    out = []
    for line in articles.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if str(record["id"]) not in docs:
            continue
        facts = extract_document(prepare_document(record), ruleset)
        pairs, _, extra = pair_document(gold.get(str(record["id"]), []), facts)
        out += [dict(p.to_dict(), matched=True) for _, p in pairs] + [dict(p.to_dict(), matched=False) for p in extra]
    return out


def rule_counts(facts: list[dict]) -> dict[str, list[int]]:
    counts = defaultdict(lambda: [0, 0])
    for fact in facts:
        counts[fact["rule_id"]][0 if fact["matched"] else 1] += 1
    return {k: v for k, v in sorted(counts.items())}


def design(facts: list[dict], counts: dict) -> np.ndarray:
    """The feature matrix, with each fact's rule prior from `counts`."""
    rows = []
    for fact in facts:
        feats = dict(fact["evidence"]["features"])
        feats["rule_prior"] = confidence.logit(confidence.rule_precision(fact["rule_id"], {"rules": counts}))
        rows.append([feats[name] for name in confidence.FEATURES])
    return np.array(rows, dtype=float)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.3, steps: int = 4000) -> tuple[float, np.ndarray]:
    """Logistic regression by gradient descent with an L2 penalty (numpy only)."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= 0.1 * (x.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= 0.1 * float(np.mean(p - y))
    return b, w


def predict(x, b, w) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + b)))


def reliability(scores, matched, gold_total: int) -> dict:
    table = []
    for low, high in zip(BINS, BINS[1:]):
        inside = [m for s, m in zip(scores, matched) if low <= s < high or (high == 1.0 and s == 1.0)]
        table.append({"bin": f"[{low:.2f}, {high:.2f})", "n": len(inside),
                      "precision": round(sum(inside) / len(inside), 3) if inside else None})
    sure = [m for s, m in zip(scores, matched) if s >= SURE]
    return {"bins": table, "sure_n": len(sure),
            "sure_precision": round(sum(sure) / len(sure), 3) if sure else None,
            "sure_coverage": round(sum(sure) / gold_total, 3) if gold_total else None}


def cross_validated(facts: list[dict], folds: int = 5) -> list[float]:
    """Each fact scored by a model fitted on the other folds' documents."""
    docs = sorted({f["doc"] for f in facts})
    fold_of = {d: i % folds for i, d in enumerate(docs)}
    scores = [0.0] * len(facts)
    for k in range(folds):
        train = [f for f in facts if fold_of[f["doc"]] != k]
        counts = rule_counts(train)
        b, w = fit(design(train, counts), np.array([f["matched"] for f in train], dtype=float))
        test = [i for i, f in enumerate(facts) if fold_of[f["doc"]] == k]
        for i, s in zip(test, predict(design([facts[i] for i in test], counts), b, w)):
            scores[i] = float(s)
    return scores


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--out", type=Path, default=RULES_DIR / "confidence.yaml")
    args = parser.parse_args(argv)
    facts = labelled_facts(args.articles, args.gold)
    gold_total = sum(len(v) for v in read_gold(args.gold)[0].values())
    matched = [f["matched"] for f in facts]
    counts = rule_counts(facts)
    b, w = fit(design(facts, counts), np.array(matched, dtype=float))
    fitted = reliability(predict(design(facts, counts), b, w), matched, gold_total)
    print("fitted:", json.dumps(fitted, ensure_ascii=False))
    unseen = reliability(cross_validated(facts), matched, gold_total)
    print("5-fold cross-validated:", json.dumps(unseen, ensure_ascii=False))
    data = {"fitted_on": f"{args.gold.name}: {len({f['doc'] for f in facts})} documents, {len(facts)} facts",
            "rules": counts, "bias": round(b, 4),
            "weights": {name: round(float(v), 4) for name, v in zip(confidence.FEATURES, w)},
            "reliability": fitted, "cross_validated": unseen}
    header = ("# The confidence model (pipeline/extract/confidence.py), fitted by\n"
              "# `python -m pipeline.quality.calibrate ARTICLES GOLD`: rules = [tp, fp] of each\n"
              "# rule on the fitted split; weights of the logistic model; do not edit by hand.\n")
    args.out.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
