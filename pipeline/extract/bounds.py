"""What a fact's numbers can be, and the facts whose figures cannot be.

A figure outside these bounds is a misread (a phone or record number taken
for a count, "9" written 400 times, a typo in a percentage), never a fact:
such figures are dropped (a fact left with no figure too), and whoever
extracts counts them.

- A count (value, total) is a whole number of people, posts, units or
  ballots of some Vietnamese unit, and no unit has more of anything than the
  country has people: 101.1 million on 1 April 2024 (GSO, mid-term
  population and housing census), so MAX_COUNT leaves room for growth.
- A percent is a share of a total, 0-100, unless the fact is a growth rate
  (change "increase": "tăng 150%" is a growth, not a share).
- over_plan_percent ("vượt 19,7% kế hoạch") has no upper bound, but is a
  finite, non-negative number like every other figure.
"""
from __future__ import annotations

import math

MAX_COUNT = 105_000_000
COUNT_FIELDS = ("value", "total")
FIELDS = (*COUNT_FIELDS, "percent", "over_plan_percent")


def out_of_range(fact: dict, field: str) -> str | None:
    """Why the fact's figure `field` cannot be a fact's ("value 1e+21 is over ..."), or None."""
    number = fact.get(field)
    if number is None:
        return None
    if not math.isfinite(number) or number < 0:
        return f"{field} {number!r} is not a finite, non-negative number"
    if field in COUNT_FIELDS and number > MAX_COUNT:
        return f"{field} {number:.4g} is over {MAX_COUNT:,}, more than Vietnam's population"
    if field == "percent" and number > 100 and fact.get("change") != "increase":
        return f"percent {number:g} is over 100 and the fact is not a growth rate"
    return None


def within(facts: list[dict], dropped: list | None = None) -> list[dict]:
    """The facts with their out-of-range figures set to null; a fact left with
    neither value nor percent is left out. Each figure dropped is appended to
    `dropped` as (document id, indicator, reason)."""
    kept = []
    for fact in facts:
        reasons = [r for r in (out_of_range(fact, f) for f in FIELDS) if r is not None]
        if dropped is not None:
            dropped.extend((fact.get("doc"), fact.get("indicator"), r) for r in reasons)
        for field in FIELDS:
            if out_of_range(fact, field) is not None:
                fact[field] = None
        if not reasons or fact.get("value") is not None or fact.get("percent") is not None:
            kept.append(fact)
    return kept
