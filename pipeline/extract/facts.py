"""Rules -> facts: match each candidate sentence, read the numbers the match
carries, take the rest of a fact from its context, merge duplicates."""
from __future__ import annotations

import re

from pipeline.extract import context
from pipeline.extract.annotate import build_doc
from pipeline.extract.rules import PREVIOUS
from pipeline.lang import places
from pipeline.lang.vntext import as_int_if_whole, parse_number

ANCHOR_TAGS = ("CARD", "CARDW", "FRAC")
SHARE_OF = re.compile(r"(?P<value>\d+(?:\.\d{3})*)\s*(?:/|trên tổng số|trong tổng số|trong số)\s*(?P<total>\d+(?:\.\d{3})*)", re.I)


def extract_facts(document: dict, sentences, ruleset) -> list[dict]:
    """All facts of one document, deduplicated, with provenance."""
    if not any(s.candidate for s in sentences):  # most documents of a news stream
        return []
    pats = context.patterns(ruleset)
    scene = document_scene(document)
    scene["on_topic"] = context.on_topic(document, pats)
    facts, carried, paragraph, recent = [], None, None, None
    for sentence in sentences:
        if sentence.paragraph != paragraph:
            carried, paragraph, recent = None, sentence.paragraph, None
        if sentence.candidate:
            scene["previous"] = recent  # what an anaphoric rule's "tỷ lệ này" refers to
            found = sentence_facts(sentence, document, scene, carried, ruleset, pats)
            facts, recent = facts + found, (found[-1] if found else recent)
        carried = context.explicit_as_of(sentence.text) or carried
    return deduplicate(facts)


def document_scene(document: dict) -> dict:
    """Where and when a document is: its place and publication date."""
    locality, province = places.document_place(document.get("title") or "", document["text"])
    return {"locality": locality, "on_topic": None,
            "province": province or places.canonical_province(document.get("province")),
            "published": document.get("published")}


def sentence_facts(sentence, document, scene, carried, ruleset, pats) -> list[dict]:
    """One fact per number: the first valid match in rank order takes it."""
    if pats["award"].search(sentence.text):  # counts of awards are not facts
        return []
    doc = build_doc(sentence.text, sentence.words, ruleset.lexicon)
    facts, consumed = [], set()
    for rule, start, end, anchor in ranked_matches(doc, ruleset):
        if anchor in consumed:
            continue
        fact = make_fact(doc, sentence, rule, start, end, anchor, scene, carried, pats)
        if fact:
            consumed.update(i for i in range(start, end) if i == anchor or doc[i].tag_ == "PCT")
            fact.update(doc=document["id"], rules_version=ruleset.version)
            facts.append(fact)
    return sorted(facts, key=lambda f: f["start"])


def ranked_matches(doc, ruleset):
    """Matches by rank: higher priority, then shorter, then earlier. Of one
    rule's matches on one number, the longest (it carries most, e.g. a
    percentage after the count) stands for the rule."""
    longest = {}
    for match_id, start, end in ruleset.matcher(doc):
        rule = ruleset.rules[doc.vocab.strings[match_id]]
        anchor = anchor_token(doc, start, end)
        if end - start > rule.max_span or anchor is None or per_unit(doc, anchor):
            continue
        best = longest.get((rule.id, anchor))
        if best is None or end - start > best[2] - best[1]:
            longest[(rule.id, anchor)] = (rule, start, end, anchor)
    # a count's match goes before a percentage's, so "98.765 cử tri đồng ý,
    # chiếm 97,1%" is one fact, not a count and a separate share
    ranked = sorted(longest.values(), key=lambda c: (-c[0].priority, doc[c[3]].tag_ == "PCT", c[2] - c[1], c[1]))
    return ranked


def anchor_token(doc, start, end) -> int | None:
    """The number a match is about: the one it starts with, else the last
    count in it ("... được bố trí là 595 người"), else its percentage."""
    if doc[start].tag_ in ANCHOR_TAGS:
        return start
    counts = [i for i in range(start, end) if doc[i].tag_ in ANCHOR_TAGS]
    shares = [i for i in range(start, end) if doc[i].tag_ == "PCT"]
    return counts[-1] if counts else shares[0] if shares else None


def per_unit(doc, i) -> bool:
    """ "2 thôn có 3 chi bộ": a distribution of things per unit, not counts."""
    def is_count(j):
        return 0 <= j < len(doc) and doc[j].tag_ in ANCHOR_TAGS

    def unit_has(j):
        return 0 <= j and j + 1 < len(doc) and bool(doc[j].ent_type_) and doc[j + 1].lower_ == "có"

    each = i >= 3 and doc[i - 3].lower_ == "mỗi"
    return (is_count(i) and unit_has(i + 1) and is_count(i + 3)) or (unit_has(i - 2) and (is_count(i - 3) or each))


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
    for i in range(start, end):
        if i != anchor and doc[i].tag_ == "PCT" and out["percent"] is None:
            out["percent"] = parse_number(doc[i].text.rstrip("%").strip())
    return {k: as_int_if_whole(v) for k, v in out.items()}


def char_span(doc, sentence, start, end) -> tuple[int, int]:
    offsets = doc.user_data["offsets"]
    return offsets[start][0], offsets[end - 1][1]


def make_fact(doc, sentence, rule, start, end, anchor, scene, carried, pats) -> dict | None:
    text = sentence.text
    earlier = scene.get("previous") if rule.indicator == PREVIOUS else None
    indicator = earlier["indicator"] if earlier else rule.indicator
    if indicator == PREVIOUS or (indicator in pats["domain_gated"] and not scene["on_topic"]):
        return None
    q_start, q_end = char_span(doc, sentence, start, end)
    a_start, a_end = char_span(doc, sentence, anchor, anchor + 1)
    clause = context.clause_bounds(text, a_start, a_end)
    if context.excluded(text, a_start, q_end, clause[1], rule, pats):
        return None
    fact = numbers(doc, start, end, anchor)
    if fact["percent"] is None and fact["value"] is not None:
        fact["percent"] = trailing_share(text[q_end:])
    fact.update(indicator=indicator, rule_id=rule.id,
                quote=text[q_start:q_end], sentence=text,
                start=sentence.start + q_start, end=sentence.start + q_end)
    fact["approx"] = rule.approx or context.approx(text, a_start, a_end, pats)
    fact["change"] = rule.change or context.change(text, a_start, clause[0], pats)
    fact["status"] = rule.status or fact_status(text, a_start, a_end, clause, pats)
    fact["over_plan_percent"] = context.over_plan(text, a_end, len(text), pats)
    fact["level"] = rule.level or fact_level(doc, start, end, anchor) or clause_level(text, clause[0], a_start)
    fact.update(where(text, a_start, scene))
    if earlier:  # "tỷ lệ này" is about the earlier fact's thing and place
        fact["level"] = fact["level"] or earlier["level"]
        fact.update({k: earlier[k] for k in ("locality", "province", "province_2025")})
    fact.update(when(text, a_start, clause, fact["status"], scene, carried, pats))
    return fact


TRAILING_SHARE = re.compile(r"^(?:\s+[^\s,;.()\d]+){0,3}?\s*[,(]?\s*(?:tương đương|tương ứng|chiếm|tỷ lệ|tỉ lệ|bằng|đạt)\s+(?:khoảng\s+|gần\s+|hơn\s+)?(\d+(?:,\d+)?)\s*%", re.I)


def trailing_share(after: str) -> float | None:
    """ "giảm 112 đơn vị (tỷ lệ 63,3%)", "..., đạt 42%": the count's share."""
    found = TRAILING_SHARE.match(after)
    return as_int_if_whole(parse_number(found.group(1))) if found else None


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
    named = [p for p in places.named_places(text[:a_start]) if p[2] in ("province", "district")]
    locality = named[-1][1] if named else scene["locality"]
    province = (places.find_province(locality) if locality else None) or scene["province"]
    if locality is None and province:  # the text names no place: the site's province
        locality = places.province_label(province)
    return {"locality": locality, "province": province,
            "province_2025": places.province_2025(province)}


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


def place_key(fact) -> str:
    """Localities are compared as places; a bare province name is already
    written as "tỉnh X" by places.document_place, so the text compares."""
    return (fact.get("locality") or "").lower()


def deduplicate(facts: list[dict]) -> list[dict]:
    """FACTS.md: same indicator, change, status, level, place and number = one fact."""
    kept = {}
    for fact in facts:
        number = fact["value"] if fact["value"] is not None else fact["percent"]
        key = (fact["indicator"], fact["change"], fact["status"], fact["level"], place_key(fact), number)
        if key in kept:
            fill_missing(kept[key], fact)
        else:
            kept[key] = fact
    return list(kept.values())


def fill_missing(kept: dict, other: dict) -> None:
    for field in ("total", "percent", "over_plan_percent", "as_of", "target_year"):
        if kept.get(field) is None and other.get(field) is not None:
            kept[field] = other[field]
