"""Score predicted facts against a gold file, as FACTS.md defines it.

A prediction matches a gold fact when doc, indicator and change are equal
and the primary number is (value when the gold fact has one, else percent);
pairs are one-to-one. Strict matching also needs equal status, total and
percent. Attribute accuracy is measured over matched pairs.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ATTRIBUTES = ("level", "province", "as_of", "target_year", "approx")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    overall: Score = field(default_factory=Score)
    strict: Score = field(default_factory=Score)
    per_indicator: dict = field(default_factory=lambda: defaultdict(Score))
    attributes: Counter = field(default_factory=Counter)
    false_positives: list = field(default_factory=list)
    false_negatives: list = field(default_factory=list)
    # matched pairs whose attribute differs: {doc, indicator, attribute, gold, predicted, quote}
    attribute_errors: list = field(default_factory=list)

    def attribute_accuracy(self) -> dict:
        return {a: self.attributes[a] / self.overall.tp if self.overall.tp else None for a in ATTRIBUTES}


def read_gold(path: str | Path) -> tuple[dict, set]:
    """(facts by doc, ids of every document the gold file covers)."""
    facts, docs = defaultdict(list), set()
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not valid JSON: {error}") from None
            if "doc" not in row:
                raise ValueError(f"{path}:{number}: a gold line needs 'doc'")
            docs.add(str(row["doc"]))
            if not row.get("none"):
                facts[str(row["doc"])].append(row)
    return facts, docs


def same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def primary(gold: dict) -> tuple[str, object]:
    return ("value", gold["value"]) if gold.get("value") is not None else ("percent", gold.get("percent"))


def matches(gold: dict, pred: dict) -> bool:
    key, number = primary(gold)
    return (gold["indicator"] == pred["indicator"] and gold.get("change", "count") == pred.get("change")
            and same_number(number, pred.get(key)))


def strict_match(gold: dict, pred: dict) -> bool:
    return (gold.get("status") == pred.get("status") and same_number(gold.get("total"), pred.get("total"))
            and same_number(gold.get("percent"), pred.get("percent")))


def pair_document(gold: list, predicted: list) -> tuple[list, list, list]:
    """One-to-one pairs (strict candidates first), unmatched gold, unmatched predictions."""
    left, pairs = list(predicted), []
    for g in gold:
        options = [p for p in left if matches(g, p)]
        options.sort(key=lambda p: not strict_match(g, p))
        if options:
            pairs.append((g, options[0]))
            left.remove(options[0])
    paired = [id(g) for g, _ in pairs]
    return pairs, [g for g in gold if id(g) not in paired], left


def evaluate(gold_path, predicted: list[dict]) -> Evaluation:
    gold, docs = read_gold(gold_path)
    by_doc = defaultdict(list)
    for fact in predicted:
        if str(fact["doc"]) in docs:
            by_doc[str(fact["doc"])].append(fact)
    result = Evaluation()
    for doc in sorted(docs):
        pairs, missed, extra = pair_document(gold.get(doc, []), by_doc.get(doc, []))
        score_document(result, pairs, missed, extra)
    return result


def score_document(result: Evaluation, pairs, missed, extra) -> None:
    for g, p in pairs:
        result.overall.tp += 1
        result.per_indicator[g["indicator"]].tp += 1
        result.strict.tp += strict_match(g, p)
        result.strict.fp += not strict_match(g, p)
        result.strict.fn += not strict_match(g, p)
        for attribute in ATTRIBUTES:
            same = str(g.get(attribute)) == str(p.get(attribute))
            result.attributes[attribute] += same
            if not same:
                result.attribute_errors.append({
                    "doc": g["doc"], "indicator": g["indicator"], "attribute": attribute,
                    "gold": g.get(attribute), "predicted": p.get(attribute), "quote": p.get("quote")})
    for g in missed:
        result.overall.fn += 1
        result.strict.fn += 1
        result.per_indicator[g["indicator"]].fn += 1
        result.false_negatives.append(g)
    for p in extra:
        result.overall.fp += 1
        result.strict.fp += 1
        result.per_indicator[p["indicator"]].fp += 1
        result.false_positives.append(p)
