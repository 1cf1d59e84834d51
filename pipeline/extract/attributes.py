"""A fact's attributes, decided in one place: approx, change, status,
over_plan_percent, level, locality and province, as_of and target_year.

The words come from rules/context.yaml and the lexicon (compiled by
context.patterns); a rule's own `level`, `change`, `status` or `approx`
overrides what the words say.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from pipeline.extract import context
from pipeline.lang import places


class Span(NamedTuple):
    """Where a match stands: the spaCy Doc, the sentence text, the match's
    token range, its anchor number (token, characters) and its clause."""
    doc: object
    text: str
    start: int
    end: int
    anchor: int
    a_start: int
    a_end: int
    clause: tuple[int, int]


def decide(span: Span, rule, scene: dict, earlier: dict | None, carried, pats) -> dict:
    """Every attribute of the fact at `span` (a rule's own values first)."""
    text, a_start, a_end, clause = span.text, span.a_start, span.a_end, span.clause
    out = {"approx": rule.approx or context.approx(text, a_start, a_end, pats),
           "change": rule.change or context.change(text, a_start, clause[0], pats),
           "status": rule.status or fact_status(text, a_start, a_end, clause, pats),
           "over_plan_percent": context.over_plan(text, a_end, len(text), pats)}
    out["level"] = (rule.level or fact_level(span.doc, span.start, span.end, span.anchor)
                    or clause_level(text, clause[0], a_start))
    out.update(where(text, a_start, scene))
    if earlier:  # "tỷ lệ này" is about the earlier fact's thing and place
        out["level"] = out["level"] or earlier["level"]
        out.update({k: earlier[k] for k in ("locality", "province", "province_2025")})
    out.update(when(text, a_start, clause, out["status"], scene, carried, pats))
    return out


def fact_status(text, a_start, a_end, clause, pats) -> str:
    found = context.status(text, a_start, a_end, clause, pats)
    if found:
        return found
    elliptical = not re.search(r"\w", re.sub(r"(?i)trên|hơn|gần|khoảng", "", text[clause[0]:a_start]))
    if elliptical and context.sentence_status(text, clause[0], pats) == "target":
        return "target"
    return "achieved"


def fact_level(doc, start, end, anchor) -> str | None:
    """The level of the counted thing: a level word or unit from the number
    on ("... ở cấp xã", "... ở các thôn"), else in the topic before it."""
    for i in list(range(anchor, end)) + list(range(end, min(len(doc), end + 5))):
        level = LEVEL_OF.get(doc[i].ent_type_) or level_in_words(doc[i].lower_)
        if level:
            return level
        if i >= end and doc[i].text in (";", ".", "(", ")"):
            break
    for i in range(start, anchor):
        level = LEVEL_OF.get(doc[i].ent_type_) or level_in_words(doc[i].lower_)
        if level and doc[i].ent_type_ != "PROVINCE":
            return level
    return None


def clause_level(text: str, clause_start: int, a_start: int) -> str | None:
    """ "tinh giản biên chế đối với công chức cấp xã, ... giảm được 697 biên
    chế": the last "cấp xã/huyện/tỉnh" said earlier in the clause."""
    found = context.last_match(LEVEL_WORDS, text[clause_start:a_start].lower())
    return LEVEL_NAMES[found.group(1)] if found else None


LEVEL_OF = {"HAMLET": "hamlet", "COMMUNE": "commune", "DISTRICT": "district",
            "PROVINCE": "province", "LEVEL_COMMUNE": "commune", "LEVEL_HAMLET": "hamlet",
            "LEVEL_DISTRICT": "district", "LEVEL_PROVINCE": "province",
            "SEC_HAMLET_HEAD": "hamlet"}


LEVEL_WORDS = re.compile(r"cấp (xã|huyện|tỉnh|thôn)(?!\w)")


def level_in_words(text: str) -> str | None:
    """ "đơn vị hành chính cấp xã" names its level inside the phrase."""
    found = LEVEL_WORDS.search(text) if " " in text else None
    return LEVEL_NAMES[found.group(1)] if found else None


LEVEL_NAMES = {"xã": "commune", "huyện": "district", "tỉnh": "province", "thôn": "hamlet"}


def where(text, a_start, scene) -> dict:
    """Locality and province from the sentence up to the number (places.locate)."""
    return places.locate(text[:a_start], scene)


def when(text, a_start, clause, status, scene, carried, pats) -> dict:
    before = text[:a_start]
    # A date carried from an earlier sentence does not date a target stated
    # as one ("chỉ tiêu giảm 40%"); a count followed by a plan keeps it.
    planned = status == "target" and pats["target_before"].search(text[clause[0]:a_start])
    as_of = context.explicit_as_of(before, years=status == "achieved") or (None if planned else carried)
    if as_of is None and (status == "achieved" or context.says_now(before, pats)):
        as_of = scene["published"]
    year = context.target_year(text, a_start, clause[1]) if status == "target" else None
    return {"as_of": as_of, "target_year": year}
