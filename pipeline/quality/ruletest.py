"""Run every rule's own examples and counterexamples.

An example passes when the whole pipeline (segment, match, context) gives a
fact of the rule's indicator with every expected field; a counterexample
passes when no fact of that indicator comes out of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pipeline
from pipeline.extract.rules import PREVIOUS
from pipeline.lang.vntext import normalize

# Examples are read as sentences of an article about the apparatus (its title
# says so), published on a fixed date.
EXAMPLE_DOC = {"id": "example", "url": None, "site": None, "title": "Kết quả sắp xếp tổ chức bộ máy",
               "published": "2024-01-15", "province": None}


@dataclass
class Outcome:
    rule_id: str
    kind: str  # "example" or "counterexample"
    text: str
    passed: bool
    detail: str


def facts_of(text: str, ruleset) -> list[dict]:
    document = {**EXAMPLE_DOC, "text": normalize(text)}
    return pipeline.extract(document, ruleset)


def fits(fact: dict, expect: dict) -> bool:
    for key, wanted in expect.items():
        got = fact.get(key)
        if isinstance(wanted, (int, float)) and got is not None:
            if abs(float(got) - float(wanted)) > 1e-6:
                return False
        elif str(got) != str(wanted):
            return False
    return True


def made_by(rule, fact: dict) -> bool:
    """A fact of the rule's indicator; for an anaphoric rule, one it made."""
    return fact["rule_id"] == rule.id if rule.indicator == PREVIOUS else fact["indicator"] == rule.indicator


def check_example(rule, example: dict, ruleset) -> Outcome:
    facts = [f for f in facts_of(example["text"], ruleset) if made_by(rule, f)]
    passed = any(fits(f, example["expect"]) for f in facts)
    found = "; ".join(describe(f) for f in facts) or "no fact of this indicator"
    return Outcome(rule.id, "example", example["text"], passed, "" if passed else f"expected {example['expect']}, got {found}")


def check_counterexample(rule, text: str, ruleset) -> Outcome:
    facts = [f for f in facts_of(text, ruleset) if made_by(rule, f)]
    detail = "" if not facts else "unexpected " + "; ".join(describe(f) for f in facts)
    return Outcome(rule.id, "counterexample", text, not facts, detail)


def describe(fact: dict) -> str:
    keys = ("value", "total", "percent", "change", "status", "approx", "level")
    return "{" + ", ".join(f"{k}={fact[k]}" for k in keys if fact.get(k) is not None) + f"}} by {fact['rule_id']}"


def run_rule_examples(rules_dir=None, only: str | None = None) -> list[Outcome]:
    ruleset = pipeline.load_ruleset(rules_dir) if rules_dir else pipeline.load_ruleset()
    outcomes = []
    for rule in ruleset.rules.values():
        if only and not rule.id.startswith(only):
            continue
        outcomes += [check_example(rule, e, ruleset) for e in rule.examples]
        outcomes += [check_counterexample(rule, t, ruleset) for t in rule.counterexamples]
    return outcomes
