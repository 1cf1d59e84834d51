"""Printing an evaluation for people (a table) or programs (JSON)."""
from __future__ import annotations

import json

import click

ERROR_KEYS = ("doc", "indicator", "value", "total", "percent", "change", "status", "quote")


def scores(result) -> dict:
    row = lambda s: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                     "f1": round(s.f1, 4), "tp": s.tp, "fp": s.fp, "fn": s.fn}
    return {"overall": row(result.overall), "strict": row(result.strict),
            "per_indicator": {k: row(v) for k, v in sorted(result.per_indicator.items())},
            "attribute_accuracy": result.attribute_accuracy()}


def print_evaluation(result, errors: bool = False, as_json: bool = False) -> None:
    data = scores(result)
    if as_json:
        if errors:
            data["false_positives"] = [brief(f) for f in result.false_positives]
            data["false_negatives"] = [brief(f) for f in result.false_negatives]
            data["attribute_errors"] = result.attribute_errors
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{'':28} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for name, s in [("overall", data["overall"]), ("strict", data["strict"])] + list(data["per_indicator"].items()):
        click.echo(f"{name:28} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['tp']:4} {s['fp']:4} {s['fn']:4}")
    accuracy = ", ".join(f"{k} {v:.2f}" for k, v in data["attribute_accuracy"].items() if v is not None)
    click.echo(f"attribute accuracy over matched pairs: {accuracy}")
    if errors:
        for label, facts in (("false positive", result.false_positives), ("false negative", result.false_negatives)):
            for fact in facts:
                click.echo(f"{label}: {json.dumps(brief(fact), ensure_ascii=False, default=str)}")
        for error in result.attribute_errors:
            click.echo(f"wrong {error['attribute']}: {json.dumps(error, ensure_ascii=False, default=str)}")


def brief(fact: dict) -> dict:
    return {k: fact.get(k) for k in ERROR_KEYS if fact.get(k) is not None}
