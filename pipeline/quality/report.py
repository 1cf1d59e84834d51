"""Printing an evaluation for people (tables) or programs (JSON)."""
from __future__ import annotations

import json

import click

from pipeline.quality.evaluate import ATTRIBUTES

ERROR_KEYS = ("doc", "indicator", "value", "total", "percent", "change", "status", "quote")


def scores(result) -> dict:
    row = lambda s: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                     "f1": round(s.f1, 4), "tp": s.tp, "fp": s.fp, "fn": s.fn}
    return {"overall": row(result.overall), "strict": row(result.strict),
            "per_indicator": {k: row(v) for k, v in sorted(result.per_indicator.items())},
            "attribute_accuracy": result.attribute_accuracy(),
            "attribute_accuracy_by_indicator": {k: result.attribute_accuracy(k) for k in sorted(result.per_indicator)},
            "reliability": result.reliability(),
            "sure": result.sure()}


def print_evaluation(result, errors: bool = False, as_json: bool = False, by_indicator: bool = False) -> None:
    data = scores(result)
    if as_json:
        if errors:
            data["false_positives"] = [brief(f) for f in result.false_positives]
            data["false_negatives"] = [brief(f) for f in result.false_negatives]
            data["attribute_errors"] = result.attribute_errors
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    print_scores(data)
    print_attributes(data, result, by_indicator)
    print_reliability(data)
    if errors:
        print_errors(result)


def print_scores(data: dict) -> None:
    click.echo(f"{'':28} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for name, s in [("overall", data["overall"]), ("strict", data["strict"])] + list(data["per_indicator"].items()):
        click.echo(f"{name:28} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['tp']:4} {s['fp']:4} {s['fn']:4}")


def print_attributes(data: dict, result, by_indicator: bool) -> None:
    """Attribute accuracy over matched pairs: overall, and per indicator on request."""
    click.echo("\nattribute accuracy over matched pairs" + ("" if by_indicator else " (--by-indicator: per indicator)"))
    click.echo(f"{'':28} {'pairs':>5} " + " ".join(f"{a:>{width(a)}}" for a in ATTRIBUTES))
    rows = [("overall", result.overall.tp, data["attribute_accuracy"])]
    if by_indicator:
        rows += [(k, result.per_indicator[k].tp, v) for k, v in data["attribute_accuracy_by_indicator"].items()]
    for name, pairs, accuracy in rows:
        cells = " ".join(f"{cell(accuracy[a]):>{width(a)}}" for a in ATTRIBUTES)
        click.echo(f"{name:28} {pairs:5} {cells}")


def width(attribute: str) -> int:
    return max(len(attribute), 5)


def cell(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_reliability(data: dict) -> None:
    """Confidence bins -> how many predictions and the share that matched gold."""
    if data["sure"] is None:
        click.echo("\nno confidence on the stored facts: no reliability table")
        return
    click.echo("\nreliability: confidence bin -> predictions, observed precision")
    for row in data["reliability"]:
        click.echo(f"  {row['bin']:14} {row['count']:5} {row['precision']:7.3f}")
    sure = data["sure"]
    precision = "-" if sure["precision"] is None else f"{sure['precision']:.3f}"
    coverage = "-" if sure["coverage"] is None else f"{sure['coverage']:.3f}"
    click.echo(f"confidence >= {sure['threshold']}: {sure['count']} facts, precision {precision}, "
               f"gold coverage {coverage}")


def print_errors(result) -> None:
    for label, facts in (("false positive", result.false_positives), ("false negative", result.false_negatives)):
        for fact in facts:
            click.echo(f"{label}: {json.dumps(brief(fact), ensure_ascii=False, default=str)}")
    for error in result.attribute_errors:
        click.echo(f"wrong {error['attribute']}: {json.dumps(error, ensure_ascii=False, default=str)}")


def brief(fact: dict) -> dict:
    return {k: fact.get(k) for k in ERROR_KEYS if fact.get(k) is not None}
