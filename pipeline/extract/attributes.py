"""A fact's attributes, gathered in one place (`decide`): approx, change and
over_plan_percent (extract/context.py), status (extract/status.py), level
(here), locality and province (lang/places.py), as_of and target_year
(extract/dates.py), and its confidence (extract/confidence.py, `rate`).

The words come from rules/context.yaml and the lexicon (compiled by
context.patterns); a rule's own `level`, `change`, `status` or `approx`
overrides what the words say. `decide` sets these fields on the Fact
(extract/fact.py), each once; the fact keeps `evidence`: how its status and
as_of were decided and the confidence features (not stored).
"""
from __future__ import annotations

from typing import NamedTuple

from pipeline.extract import confidence, context, dates, status
from pipeline.extract.fact import Evidence, Fact
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


def decide(fact: Fact, span: Span, rule, scene: dict, earlier: Fact | None, carried, pats) -> None:
    """Every attribute of the fact at `span`, set on `fact` (a rule's own
    values first), and its `evidence`: how status and as_of were decided
    (confidence reads it). The one place each attribute is decided."""
    text, a_start, a_end, clause = span.text, span.a_start, span.a_end, span.clause
    carried = carried or {}
    fact.approx = rule.approx or context.approx(text, a_start, a_end, pats)
    fact.change = rule.change or context.change(text, a_start, clause[0], pats)
    fact.over_plan_percent = context.over_plan(text, a_end, len(text), pats)
    state = status.merger_state(text, a_start, a_end, fact.change, pats)
    found, how = status.decide(text, a_start, a_end, clause, state, scene, carried.get("frame"), pats)
    fact.status = rule.status or found
    fact.level = decide_level(span, rule, pats)
    place(fact, where(text, a_start, scene))
    named = earlier is not None and earlier.rule_id == "named_model"  # a model only named (facts.named_model)
    if earlier:  # "tỷ lệ này" is about the earlier fact's thing and place; a named model's level is what it counts
        fact.level = (earlier.level or fact.level) if named else (fact.level or earlier.level)
    if earlier and not named:  # ... and a named model has no place: the fact keeps its own
        fact.locality, fact.province, fact.province_2025 = earlier.locality, earlier.province, earlier.province_2025
    moment, dated = dates.when(text, a_start, clause, fact.status, state, scene, carried.get("as_of"),
                               carried.get("scoped"), pats, rule.indicator)
    fact.as_of, fact.target_year = moment["as_of"], moment["target_year"]
    fact.evidence = Evidence(status="rule" if rule.status else how, as_of=dated, state=state)


def decide_level(span: Span, rule, pats) -> str | None:
    """The level: the rule's own, else the first of these that finds one."""
    text, a_start, clause = span.text, span.a_start, span.clause
    return (rule.level or fact_level(span.doc, span.start, span.end, span.anchor, pats)
            or per_unit_level(text, clause[0], a_start, pats)
            or clause_level(text, clause[0], a_start, pats) or owner_level(text, a_start, rule.indicator, pats)
            or pats["indicator_level"].get(rule.indicator))


def place(fact: Fact, found: dict) -> None:
    """Locality, province and province_2025 from a places.locate result."""
    fact.locality, fact.province, fact.province_2025 = found["locality"], found["province"], found["province_2025"]


def rate(fact: Fact, span: Span, q_end: int, pats) -> None:
    """The fact's confidence from its evidence (extract/confidence.py); the
    features are kept in fact.evidence.features for calibration."""
    evidence = fact.evidence
    evidence.features = confidence.features(fact, evidence, span.text, span.a_start, q_end, fact.rule_id, pats)
    fact.confidence = confidence.score(evidence.features, pats["confidence"])


def document_scene(document: dict, pats) -> dict:
    """What the whole document says about time and status: its full
    publication date, the year a bare day takes, a resolution's effective
    date, whether a deciding body passed it, whether it reads as a plan."""
    return {**dates.document_dates(document, pats), **status.document_frame(document, pats)}


def carry(sentence: str, carried: dict | None, scene: dict, pats) -> dict:
    """What a paragraph's sentence passes on: a date and a status frame."""
    carried = carried or {}
    return {"as_of": dates.carry(sentence, carried.get("as_of"), scene, pats),
            "frame": status.paragraph_frame(sentence, carried.get("frame"), pats),
            "scoped": dates.carry_scope(sentence, carried.get("scoped", False), pats)}


def fact_level(doc, start, end, anchor, pats) -> str | None:
    """The level of the counted thing: a level word or unit from the number
    on ("... ở cấp xã", "... ở các thôn"), else in the topic before it. A
    token's level is its lexicon class's `level`; two levels joined ("cấp
    tỉnh và cấp huyện", "xã, phường, thôn, tổ dân phố") are no one level."""
    for i in list(range(anchor, end)) + list(range(end, min(len(doc), end + 5))):
        if i >= end and (doc[i].text in STOPS or doc[i].tag_ in NUMBER_TAGS):
            break  # the next count has its own noun ("3.807 biên chế, 22.798 biên chế cấp xã")
        level = token_level(doc[i], pats)
        if level:
            return None if joined_level(doc, i, level, pats) else level
    for i in range(start, anchor):
        level = token_level(doc[i], pats)
        # "tỉnh X có ..." names where, not what is counted; "cấp tỉnh" does say the level
        if level and (level != "province" or pats["class_level"].get(doc[i].ent_type_) != "province"
                      or doc[i].ent_type_ in pats["marker_classes"]):
            return None if joined_level(doc, i, level, pats, step=-1) or joined_level(doc, i, level, pats) else level
    return None


STOPS = (";", ".", "(", ")")
JOINERS = (",", "và", "hoặc")


def token_level(token, pats) -> str | None:
    return pats["class_level"].get(token.ent_type_) or level_in_words(token.lower_, pats)


def joined_level(doc, i, level, pats, step: int = 1) -> bool:
    """Is a unit of another level joined to token i by ',', 'và', 'hoặc'
    (after it, or before it with step=-1)?"""
    j = i + step
    while 0 <= j < len(doc) and doc[j].lower_ in JOINERS:
        j += step
    other = token_level(doc[j], pats) if abs(j - i) > 1 and 0 <= j < len(doc) else None
    # "giảm 6 xã, huyện Lập Thạch giảm 5 xã": a unit word before a name is the next place, no join
    named = 0 <= j + 1 < len(doc) and doc[j + 1].text[:1].isupper() and step == 1
    return bool(other) and other != level and not named


def clause_level(text: str, clause_start: int, a_start: int, pats) -> str | None:
    """ "tinh giản biên chế đối với công chức cấp xã, ... giảm được 697 biên
    chế": the last level marker ("cấp xã/huyện/tỉnh") said earlier in the clause."""
    found = context.last_match(pats["level_marker"], text[clause_start:a_start].lower())
    return pats["marker_level"][found.group(1)] if found else None


def per_unit_level(text: str, clause_start: int, a_start: int, pats) -> str | None:
    """ "mỗi xã được bố trí 32 biên chế": a per-unit norm has its unit's level."""
    found = context.last_match(pats["each_unit"], text[clause_start:a_start])
    return pats["unit_level"].get(" ".join(found.group(1).lower().split())) if found else None


def level_in_words(text: str, pats) -> str | None:
    """ "đơn vị hành chính cấp xã", "Bí thư Tỉnh ủy ... không phải người địa
    phương": a composite term names its level inside (a level marker of the
    lexicon, else context.yaml `level_inside`)."""
    if " " not in text:
        return None
    found = pats["level_marker"].search(text)
    if found:
        return pats["marker_level"][found.group(1)]
    regex, level_of = pats["level_inside"]
    inside = regex.search(text)
    return level_of[" ".join(inside.group(1).lower().split())] if inside else None


def owner_level(text: str, a_start: int, indicator: str, pats) -> str | None:
    """ "các sở, ngành đã giảm được 21 phòng": an agency's or a post's level
    is its owner's, the last owner word before the number in its clause."""
    if indicator not in pats["owner_indicators"]:
        return None
    regex, level_of = pats["owner_level"]
    found = context.last_match(regex, text[text.rfind(";", 0, a_start) + 1:a_start])
    return level_of[" ".join(found.group(1).lower().split())] if found else None


NUMBER_TAGS = ("CARD", "CARDW", "FRAC", "PCT")


def where(text, a_start, scene) -> dict:
    """Locality and province from the sentence up to the number (places.locate)."""
    return places.locate(text[:a_start], scene)
