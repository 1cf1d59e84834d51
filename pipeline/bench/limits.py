"""Extraction time on pathological texts (issue 9): one document each, the
whole path (prepare + extract), timed without the per-document budget.

    vnfacts bench --limits        or        python -m pipeline.bench.limits

The texts repeat a sentence of our own wording, "tinh giản 15 biên chế, giảm
7 người hoạt động không chuyên trách cấp xã, ", to 4, 16 and 36 kB (one
sentence of hundreds of numbers: every rule gap then spans the whole text),
and 100 kB of the same words with no punctuation at all. Before extraction
was made linear (rules.RuleSet.matches, segment.cut_long) these took 2 s,
66 s and 766 s, and 332 s for 100 kB. Targets are printed as "target" lines,
never raised: timings depend on the machine and what else runs on it.
"""
from __future__ import annotations

import json
import sys
import time

PHRASE = "tinh giản 15 biên chế, giảm 7 người hoạt động không chuyên trách cấp xã, "
# (label, kilobytes of UTF-8, punctuation kept, target seconds or None)
CASES = [("repetitive 4 kB", 4, True, None), ("repetitive 16 kB", 16, True, None),
         ("repetitive 36 kB", 36, True, 5.0), ("no punctuation 100 kB", 100, False, 10.0)]


def repetitive_text(kilobytes: float, punctuation: bool = True) -> str:
    """PHRASE repeated to about `kilobytes` kB of UTF-8 (without its commas if not `punctuation`)."""
    phrase = PHRASE if punctuation else PHRASE.replace(",", "")
    return phrase * max(1, round(kilobytes * 1000 / len(phrase.encode("utf-8"))))


def time_one(text: str, ruleset) -> dict:
    """Prepare and extract one document: wall and CPU seconds, facts."""
    from pipeline import core

    wall, cpu = time.perf_counter(), time.process_time()
    document = core.prepare_document({"id": "limits", "text": text})
    facts = core.extract_document(document, ruleset, seconds=0)
    return {"bytes": len(text.encode("utf-8")), "seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2), "facts": len(facts)}


def run_limits(log=lambda message: None) -> dict:
    """Every case, after one warm-up document (models load once)."""
    from pipeline import core
    from pipeline.extract.rules import load_ruleset

    ruleset = load_ruleset()
    core.warm(ruleset)
    results = []
    for label, kilobytes, punctuation, target in CASES:
        log(f"limits: {label}")
        results.append({"case": label, "target_seconds": target,
                        **time_one(repetitive_text(kilobytes, punctuation), ruleset)})
    return {"limits": results}


def format_limits(results: dict) -> str:
    lines = [f"{'case':<24}{'bytes':>9}{'seconds':>9}{'cpu s':>8}{'facts':>7}"]
    for r in results["limits"]:
        lines.append(f"{r['case']:<24}{r['bytes']:>9,}{r['seconds']:>9.2f}{r['cpu_seconds']:>8.2f}{r['facts']:>7}")
    for r in results["limits"]:
        if r["target_seconds"] is not None:
            met = r["seconds"] < r["target_seconds"]
            # the CPU seconds say what the wall seconds would be on an idle machine
            lines.append(f"target {r['case']} under {r['target_seconds']:g} s: {r['seconds']:.2f} s "
                         f"({r['cpu_seconds']:.2f} s of CPU) -> {'met' if met else 'NOT met'}")
    return "\n".join(lines)


if __name__ == "__main__":
    found = run_limits(log=lambda message: print(message, file=sys.stderr))
    print(format_limits(found))
    if "--json" in sys.argv:
        print(json.dumps(found, indent=2))
