"""Rules -> facts: match each candidate sentence, read the numbers the match
carries, take the rest of a fact from its context, merge duplicates."""
from __future__ import annotations

import re
from dataclasses import replace

from pipeline.extract import attributes, budget, context
from pipeline.extract.annotate import SCALES, build_doc
from pipeline.extract.breakdown import (attached_share, breakdown_parts, inherit_change, inside_parentheses,
                                         parallel_clauses, respective, vocabulary)
from pipeline.extract.fact import ANCHOR_TAGS, Fact, char_span
from pipeline.extract.rules import PREVIOUS
from pipeline.lang import places
from pipeline.lang.vntext import as_int_if_whole, parse_number

SHARE_OF = re.compile(r"(?P<value>\d+(?:\.\d{3})*)\s*(?:/|trên tổng số|trong tổng số|trong số)\s*(?P<total>\d+(?:\.\d{3})*)", re.I)


def extract_facts(document: dict, sentences, ruleset) -> list[Fact]:
    """All facts of one document, deduplicated, with provenance."""
    if not any(s.candidate for s in sentences):  # most documents of a news stream
        return []
    pats = context.patterns(ruleset)
    scene = document_scene(document)
    scene["on_topic"] = context.on_topic(document, pats)
    scene.update(attributes.document_scene(document, pats))
    facts, carried, paragraph, recent, named = [], None, None, None, None
    for sentence in sentences:
        if sentence.paragraph != paragraph:
            carried, paragraph, recent, named = None, sentence.paragraph, None, None
        if sentence.candidate:
            # what an anaphoric rule's "tỷ lệ này" refers to: the paragraph's last fact, else a model it named
            scene["previous"] = recent or named
            found = sentence_facts(sentence, document, scene, carried, ruleset, pats)
            inherit_change(sentence.text, found, recent, vocabulary(ruleset))
            facts, recent = facts + found, (found[-1] if found else recent)
            named = named if recent else named_model(sentence.text, ruleset.lexicon) or named
        carried = attributes.carry(sentence.text, carried, scene, pats)
    return deduplicate(facts)


# A model named in a sentence with no figure of it ("... mục tiêu có từ 30-50% số đơn vị sắp xếp bí thư đảng ủy
# đồng thời là chủ tịch UBND"): what a later "đạt mục tiêu là huyện A (42,1%)" of its paragraph counts. Which
# classes name a model, and of which indicator, is lexicon data (a class's `names_indicator`).
NAMED = "named_model"  # the rule_id of that stand-in: it has the indicator, not a place (attributes.decide)


def named_model(text: str, lexicon) -> Fact | None:
    lowered = text.lower()
    if "tịch" not in lowered and "trưởng" not in lowered:  # every model phrase has one: skip the lexicon scan
        return None
    phrases = lexicon.find(text)
    found = [i for i, (_, _, c) in enumerate(phrases) if c in lexicon.models]
    if not found:
        return None
    # its level: the class's own, else the level word right after it ("... chủ tịch UBND cấp xã")
    model, after = phrases[found[-1]][2], phrases[found[-1] + 1:found[-1] + 2]
    level = lexicon.levels.get(model) or (lexicon.levels.get(after[0][2]) if after else None)
    return Fact(lexicon.models[model], level=level, rule_id=NAMED)


def document_scene(document: dict) -> dict:
    """Where and when a document is: its place and publication date."""
    site = places.canonical_province(document.get("province"))
    locality, province = places.document_place(document.get("title") or "", document["text"],
                                                site, document.get("published"))
    return {"locality": locality, "on_topic": None, "province": province, "site_province": site,
            "published": document.get("published")}


def sentence_facts(sentence, document, scene, carried, ruleset, pats) -> list[Fact]:
    """One fact per number: the first valid match in rank order takes it."""
    if pats["award"].search(sentence.text):  # counts of awards are not facts
        return []
    doc = build_doc(sentence.text, sentence.words, ruleset.lexicon)
    facts, consumed, anchored, parts = [], set(), [], vocabulary(ruleset)
    for rule, start, end, anchor in ranked_matches(doc, ruleset, sentence.own, sentence.patterns):
        if anchor in consumed:
            continue
        fact = make_fact(doc, sentence, rule, start, end, anchor, scene, carried, pats)
        if fact is not None:
            consumed.update(i for i in range(start, end) if i == anchor or doc[i].tag_ == "PCT")
            consumed.update(attached_share(doc, end, fact))
            fact.doc, fact.rules_version = document["id"], ruleset.version
            siblings = respective(doc, anchor, parts)
            consumed.update(siblings)
            facts += [fact] + [replace(fact, value=as_int_if_whole(parse_number(doc[j].text))) for j in siblings]
            anchored.append((end, fact))
    inside_parentheses(sentence, facts, parts)
    where = (scene, pats, parts)
    facts += breakdown_parts(doc, sentence, anchored, consumed, where)
    facts += parallel_clauses(doc, sentence, anchored, consumed, ruleset.lexicon.levels, where)
    return sorted(facts, key=lambda f: f.start)


def ranked_matches(doc, ruleset, own=None, patterns=None):
    """Matches by rank: higher priority, then shorter, then earlier. Of one
    rule's matches on one number, the longest (it carries most, e.g. a
    percentage after the count) stands for the rule, the first to end of
    equally long ones. A match longer than its pattern allows is dropped
    before anything else is computed: in a long sentence most are. `own`:
    the characters whose numbers this piece of a long sentence owns
    (segment.cut_long); a number in its margins is its neighbour's.
    `patterns`: the only ones that can match (None: all). Equal ranks go to
    the rule loaded first, so the ranking never depends on match order."""
    budget.check()  # once a sentence: what follows is bounded by the sentence's length
    tags = [t.tag_ for t in doc]
    owned = owned_tokens(doc, own)
    longest, skip = {}, {}  # skip: anchor -> not this piece's, or a per-unit figure
    for rule, limit, start, end in ruleset.matches(doc, patterns=patterns):
        anchor = anchor_token(tags, start, end) if end - start <= limit else None
        if anchor is not None and anchor not in skip:
            skip[anchor] = anchor not in owned or per_unit(doc, anchor)
        if anchor is None or skip[anchor]:
            continue
        best = longest.get((rule.id, anchor))
        if best is None or end - start > best[2] - best[1] or (end - start == best[2] - best[1] and end < best[2]):
            longest[(rule.id, anchor)] = (rule, start, end, anchor)
    # a count's match goes before a percentage's, so "98.765 cử tri đồng ý,
    # chiếm 97,1%" is one fact, not a count and a separate share
    ranked = sorted(longest.values(), key=lambda c: (-c[0].priority, tags[c[3]] == "PCT", c[2] - c[1], c[1],
                                                     ruleset.rank[c[0].id]))
    return ranked


def owned_tokens(doc, own) -> range | set:
    """The token indices whose start lies in the character range `own` (all without one)."""
    if own is None:
        return range(len(doc))
    return {i for i, (start, _) in enumerate(doc.user_data["offsets"]) if own[0] <= start < own[1]}


def anchor_token(tags, start, end) -> int | None:
    """The number a match is about (tags: the doc's token tags): the one it
    starts with, else the last count in it ("... được bố trí là 595 người"),
    else its percentage."""
    if tags[start] in ANCHOR_TAGS:
        return start
    counts = [i for i in range(start, end) if tags[i] in ANCHOR_TAGS]
    shares = [i for i in range(start, end) if tags[i] == "PCT"]
    return counts[-1] if counts else shares[0] if shares else None


def per_unit(doc, i) -> bool:
    """ "2 thôn có 3 chi bộ": a distribution of things per unit, not counts."""
    def is_count(j):
        return 0 <= j < len(doc) and doc[j].tag_ in ANCHOR_TAGS

    def unit_has(j):
        return 0 <= j and j + 1 < len(doc) and bool(doc[j].ent_type_) and doc[j + 1].lower_ == "có"

    # "mỗi thôn có 1 chi bộ" is a per-unit norm, and norms are facts (FACTS.md); "mô hình mỗi
    # thôn có 1 chi bộ" names a model
    named_model = i >= 4 and doc[i - 3].lower_ == "mỗi" and doc[i - 4].ent_type_ == "MODEL"
    # "2 xã có 8.125/8.564 cử tri đồng ý": voters of several units are a sum, never a distribution
    if i + 1 < len(doc) and doc[i + 1].ent_type_ in ("VOTER", "VOTER_YES"):
        return False
    return (is_count(i) and unit_has(i + 1) and is_count(i + 3)) or (unit_has(i - 2) and is_count(i - 3)) or named_model


def numbers(doc, start, end, anchor) -> dict:
    """value / total / percent carried by the match."""
    text, tag = doc[anchor].text, doc[anchor].tag_
    out = {"value": None, "total": None, "percent": None}
    if tag == "PCT":
        out["percent"] = parse_number(text.rstrip("%").replace("phần trăm", "").strip())
    elif tag == "FRAC":
        share = SHARE_OF.fullmatch(text)
        if share:
            out["value"], out["total"] = parse_number(share["value"]), parse_number(share["total"])
    else:
        out["value"] = parse_number(text)
        scale = SCALES.get(doc[anchor + 1].lower_) if anchor + 1 < len(doc) else None
        if scale and out["value"] is not None:  # "2,5 triệu biên chế"
            out["value"] = round(out["value"] * scale)
    share = own_share(doc, start, end, anchor)
    if share is not None and out["percent"] is None:
        out["percent"] = parse_number(doc[share].text.rstrip("%").strip())
    return {k: as_int_if_whole(v) for k, v in out.items()}


# "trong số 34 chủ tịch UBND tỉnh, thành phố, có 20 trường hợp ...": the
# denominator written before the count, with no other number between
TOTAL_BEFORE = re.compile(r"(?<!\w)(?:trong (?:tổng )?số|trên tổng số)\s+(\d+(?:\.\d{3})*)(?!\S*\d)[^\d;:]{3,80}$", re.I)


def total_before(before: str, value) -> float | None:
    found = TOTAL_BEFORE.search(before)
    total = parse_number(found.group(1)) if found else None
    return as_int_if_whole(total) if total is not None and total > value else None


def own_share(doc, start, end, anchor) -> int | None:
    """The percentage of the match that belongs to its number: the first after
    it, else one before it with no other count between ("... là 58 người (chiếm
    8,22%) và ở cấp xã là 1.405": 8,22% is the 58's)."""
    after = [i for i in range(anchor + 1, end) if doc[i].tag_ == "PCT"]
    if after:
        return after[0]
    before = [i for i in range(start, anchor) if doc[i].tag_ == "PCT"]
    if before and not any(doc[j].tag_ in ANCHOR_TAGS for j in range(start, anchor)):
        return before[-1]
    return None


def make_fact(doc, sentence, rule, start, end, anchor, scene, carried, pats) -> Fact | None:
    """The fact of one match, or None when the match is no fact: its
    numbers, quote and provenance here, the attributes by attributes.decide."""
    text = sentence.text
    earlier = scene.get("previous") if rule.indicator == PREVIOUS else None
    indicator = earlier.indicator if earlier else rule.indicator
    if indicator == PREVIOUS or (indicator in pats["domain_gated"] and not scene["on_topic"]):
        return None
    q_start, q_end = char_span(doc, sentence, start, end)
    a_start, a_end = char_span(doc, sentence, anchor, anchor + 1)
    clause = context.clause_bounds(text, a_start, a_end)
    if (context.excluded(text, a_start, q_end, clause[1], rule, pats) or topic_excluded(text[:a_start], rule)
            or (anchor == start and negated_inside(doc, anchor, end))):
        return None
    fact = Fact(indicator, **numbers(doc, start, end, anchor), quote=text[q_start:q_end], sentence=text,
                paragraph=sentence.paragraph, sentence_start=sentence.start,
                start=sentence.start + q_start, end=sentence.start + q_end, rule_id=rule.id)
    if fact.value is not None and fact.value != int(fact.value):
        return None  # "bình quân 1,6 cấp phó": an average, not a count
    if fact.total is None and fact.value is not None:
        fact.total = total_before(text[:a_start], fact.value)
    if fact.percent is None and fact.value is not None:
        fact.percent = context.trailing_share(text[q_end:], pats)
    span = attributes.Span(doc, text, start, end, anchor, a_start, a_end, clause)
    attributes.decide(fact, span, rule, scene, earlier, carried, pats)
    for key in SPEC_NULL.get(indicator, ()):
        setattr(fact, key, None)
    attributes.rate(fact, span, q_end, pats)
    return fact


# FACTS.md: "voter_approval is the approving share or count only (level
# null, total null)": the electorate of "742/801 cử tri" is not its total.
SPEC_NULL = {"voter_approval": ("total", "level")}


NEGATIONS = {"chưa", "không", "chưa từng", "không còn"}


def negated_inside(doc, anchor, end) -> bool:
    """ "3 huyện chưa bố trí bí thư đồng thời là chủ tịch UBND": a negation
    between the number and what the match says they are or do."""
    return any(doc[i].lower_ in NEGATIONS for i in range(anchor + 1, end))


def topic_excluded(before: str, rule) -> bool:
    """A rule's `exclude_sentence` words earlier in the sentence ("về việc
    đặt tên ...": a naming ballot, not a merger's) void its fact."""
    return bool(rule.exclude_sentence) and bool(context.word_regex(rule.exclude_sentence).search(before))


def place_key(fact) -> str:
    """Localities are compared as places; a bare province name is already
    written as "tỉnh X" by places.document_place, so the text compares."""
    return (fact.locality or "").lower()


def deduplicate(facts: list[Fact]) -> list[Fact]:
    """FACTS.md: same indicator, change, status, level, place and number = one fact."""
    kept = {}
    for fact in facts:
        number = fact.value if fact.value is not None else fact.percent
        key = (fact.indicator, fact.change, fact.status, fact.level, place_key(fact), number)
        if key in kept:
            fill_missing(kept[key], fact)
        else:
            kept[key] = fact
    return list(kept.values())


def fill_missing(kept: Fact, other: Fact) -> None:
    for field in ("total", "percent", "over_plan_percent", "as_of", "target_year"):
        if getattr(kept, field) is None and getattr(other, field) is not None:
            setattr(kept, field, getattr(other, field))
