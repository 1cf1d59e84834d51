"""A fact's confidence in [0, 1]: how likely it is a fact of the gold kind.

From the evidence the extractor saw: the rule (its precision measured on
the development split), how status and as_of were decided (a written cue
or a default), and what stands around the number (a change verb, a total
or share, a small bare count, a name list after it). The weights are data:
rules/confidence.yaml, fitted by `python -m pipeline.quality.calibrate`
(a logistic model over the features below); with no such file every fact
gets the neutral prior.
"""
from __future__ import annotations

import math
import re

# each feature is 0 or 1; the names are the keys of confidence.yaml `weights`
FEATURES = (
    "rule_prior",          # logit of the rule's measured precision (a number, not 0/1)
    "status_cue",          # a status word in the clause decided it
    "status_default",      # nothing said: achieved by default
    "status_inherited",    # from the sentence's lead or the paragraph's frame
    "as_of_written",       # a written date, "đến nay" or an effective date
    "change_written",      # a decrease or increase verb stands before the number
    "share_or_total",      # the match carries X/Y or a percentage
    "small_count",         # a bare count below 10
    "tiny_count",          # a bare count of 1 to 3 ("01 bản", "2 phường"): often one named unit
    "name_follows",        # a capitalised name follows the counted thing
    "percent_only",        # the fact is a share with no count
    "in_parenthesis",      # the number stands in a parenthesised breakdown
    "doubt_after",         # context.yaml doubt_after words follow the counted thing
    "doubt_before",        # context.yaml doubt_before words stand just before the number
)
NAME_AFTER = re.compile(r"^[^,;.()]{0,40}?\s(?:[A-ZĐ][\wÀ-ỹ]*\s){0,1}[A-ZĐ][a-zà-ỹđ]+\s[A-ZĐ][a-zà-ỹđ]+")
PRIOR = 0.75  # a rule never measured: the development split's overall precision, rounded down


def features(fact, evidence, sentence: str, a_start: int, q_end: int, rule_id: str, pats: dict) -> dict:
    """The FEATURES of a Fact (extract/fact.py) and its Evidence."""
    how, dated = evidence.status, evidence.as_of
    value, table = fact.value, pats["confidence"]
    after = re.split(r"[;.]", sentence[q_end:q_end + 40], maxsplit=1)[0]
    return {
        "rule_prior": logit(rule_precision(rule_id, table)),
        "status_cue": float(how in ("cue", "after", "state", "rule")),
        "status_default": float(how == "default"),
        "status_inherited": float(how in ("sentence", "frame")),
        "as_of_written": float(dated in ("cue", "now", "effective", "carried")),
        "change_written": float(fact.change in ("decrease", "increase")),
        "share_or_total": float(fact.total is not None or fact.percent is not None),
        "small_count": float(value is not None and value < 10 and fact.total is None),
        "tiny_count": float(value is not None and value <= 3 and fact.total is None),
        "name_follows": float(bool(NAME_AFTER.match(sentence[q_end:q_end + 60]))),
        "percent_only": float(value is None),
        "in_parenthesis": float(sentence.rfind("(", 0, a_start) > sentence.rfind(")", 0, a_start)),
        "doubt_after": float(bool(pats["doubt_after"].search(after))),
        "doubt_before": float(bool(pats["doubt_before"].search(sentence[max(0, a_start - 20):a_start]))),
    }


def rule_precision(rule_id: str, table: dict) -> float:
    """(tp + 1) / (tp + fp + 2) of the rule on the split it was measured on;
    a rule added since (no counts yet) takes its indicator's rules' counts."""
    rules = table.get("rules") or {}
    counts = rules.get(rule_id)
    if not counts:
        family = [c for r, c in rules.items() if r.split(".")[0] == rule_id.split(".")[0]]
        counts = [sum(c[0] for c in family), sum(c[1] for c in family)] if family else None
    if not counts:
        return PRIOR
    tp, fp = counts
    return (tp + 1) / (tp + fp + 2)


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def score(feats: dict, table: dict) -> float:
    """The logistic model of confidence.yaml; the rule prior alone without one."""
    weights = table.get("weights")
    if not weights:
        return round(1 / (1 + math.exp(-feats["rule_prior"])), 3)
    z = table.get("bias", 0.0) + sum(weights.get(name, 0.0) * x for name, x in feats.items())
    return round(1 / (1 + math.exp(-z)), 3)
