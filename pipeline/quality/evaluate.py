"""Score predicted facts against a gold file, as FACTS.md defines it.

A prediction matches a gold fact when doc, indicator and change are equal
and the primary number is (value when the gold fact has one, else percent);
pairs are one-to-one. Strict matching also needs equal status, total and
percent. Attribute accuracy is measured over matched pairs, for every field
FACTS.md scores, overall and per indicator. When predictions carry a
`confidence`, each one is kept with whether it matched: the reliability
table and the precision and gold coverage of sure facts come from those.
"""
from __future__ import annotations

import itertools
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ATTRIBUTES = ("status", "level", "province", "as_of", "target_year", "approx", "total", "percent")
NUMERIC = ("total", "percent")
SURE = 0.9  # "facts with confidence >= 0.9" (issue 15): the ones a researcher keeps
BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


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
    attributes_by_indicator: dict = field(default_factory=lambda: defaultdict(Counter))
    # (confidence, matched) of every prediction that carries a confidence
    confidences: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def gold_facts(self) -> int:
        return self.overall.tp + self.overall.fn

    def attribute_accuracy(self, indicator: str | None = None) -> dict:
        hits = self.attributes if indicator is None else self.attributes_by_indicator[indicator]
        pairs = self.overall.tp if indicator is None else self.per_indicator[indicator].tp
        return {a: hits[a] / pairs if pairs else None for a in ATTRIBUTES}

    def reliability(self) -> list[dict]:
        """Confidence bins -> predictions in the bin and the share that matched."""
        rows = []
        for low, high in itertools.pairwise(BINS):
            inside = [m for c, m in self.confidences if low <= c < high or (high == 1.0 and c == 1.0)]
            if inside:
                rows.append({"bin": f"[{low:.2f}, {high:.2f}{']' if high == 1.0 else ')'}", "count": len(inside),
                             "precision": sum(inside) / len(inside)})
        return rows

    def sure(self, threshold: float = SURE) -> dict | None:
        """Precision of the facts with confidence >= threshold and the share
        of all gold facts they find; None when no prediction has a confidence."""
        if not self.confidences:
            return None
        kept = [m for c, m in self.confidences if c >= threshold]
        return {"threshold": threshold, "count": len(kept),
                "precision": sum(kept) / len(kept) if kept else None,
                "coverage": sum(kept) / self.gold_facts if self.gold_facts else None}


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


def evaluate(gold_path, predicted: list[dict], stored_docs: set | None = None) -> Evaluation:
    """Score `predicted` against the gold file. With `stored_docs` (the ids
    in the database) a gold set none of whose documents was stored is an
    error, not a recall of 0; gold documents missing from it are warned of."""
    gold, docs = read_gold(gold_path)
    result = Evaluation()
    if stored_docs is not None:
        check_coverage(gold_path, docs, {str(d) for d in stored_docs}, result)
    by_doc = defaultdict(list)
    for fact in predicted:
        if str(fact["doc"]) in docs:
            by_doc[str(fact["doc"])].append(fact)
    for doc in sorted(docs):
        pairs, missed, extra = pair_document(gold.get(doc, []), by_doc.get(doc, []))
        score_document(result, pairs, missed, extra)
    return result


def check_coverage(gold_path, docs: set, stored: set, result: Evaluation) -> None:
    missing = sorted(docs - stored)
    if docs and len(missing) == len(docs):
        raise ValueError(f"{gold_path}: none of its {len(docs)} documents is in the database "
                         f"(ingest and extract them first, e.g. {missing[0]})")
    if missing:
        result.warnings.append(f"{gold_path}: {len(missing)} of {len(docs)} gold documents are not in the "
                               f"database and count as missed: {', '.join(missing[:5])}"
                               + (" ..." if len(missing) > 5 else ""))


def same_attribute(attribute: str, gold: dict, pred: dict) -> bool:
    if attribute in NUMERIC:
        return same_number(gold.get(attribute), pred.get(attribute))
    return str(gold.get(attribute)) == str(pred.get(attribute))


def score_document(result: Evaluation, pairs, missed, extra) -> None:
    for g, p in pairs:
        score_pair(result, g, p)
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
    result.confidences += [(c, True) for _, p in pairs if (c := confidence(p)) is not None]
    result.confidences += [(c, False) for p in extra if (c := confidence(p)) is not None]


def score_pair(result: Evaluation, g: dict, p: dict) -> None:
    result.overall.tp += 1
    result.per_indicator[g["indicator"]].tp += 1
    strict = strict_match(g, p)
    result.strict.tp += strict
    result.strict.fp += not strict
    result.strict.fn += not strict
    for attribute in ATTRIBUTES:
        same = same_attribute(attribute, g, p)
        result.attributes[attribute] += same
        result.attributes_by_indicator[g["indicator"]][attribute] += same
        if not same:
            result.attribute_errors.append({
                "doc": g["doc"], "indicator": g["indicator"], "attribute": attribute,
                "gold": g.get(attribute), "predicted": p.get(attribute), "quote": p.get("quote")})


def confidence(fact: dict) -> float | None:
    """A fact's confidence, None when absent (older rules, or NaN from a table)."""
    value = fact.get("confidence")
    return float(value) if isinstance(value, (int, float)) and not math.isnan(value) else None
