"""Facts that continue a fact found by a rule: the parts of a breakdown
("..., trong đó ..."), parallel ';' clauses, 'tương ứng' lists, and the
share attached to a match. facts.sentence_facts calls these after the rules
have taken their numbers; each part copies its parent and changes what the
part says itself (its number, quote, place, approx, level or kind). The
words are rules/context.yaml `breakdown_parts` (vocabulary() compiles them)."""
from __future__ import annotations

import re
from dataclasses import replace

from pipeline.extract import attributes, context
from pipeline.extract.fact import ANCHOR_TAGS, Fact, char_span
from pipeline.extract.words import alternation, word_regex
from pipeline.lang.vntext import as_int_if_whole, normalize, parse_number


def vocabulary(ruleset) -> dict:
    """context.yaml `breakdown_parts`, compiled once per rule set (as context.patterns)."""
    if getattr(ruleset, "_breakdown_parts", None) is None:
        ruleset._breakdown_parts = compiled(ruleset.context["breakdown_parts"])
    return ruleset._breakdown_parts


def compiled(spec: dict) -> dict:
    """Token words as lower-case sets (the doc's `lower_`; as written and
    normalized, so "–" stays itself), phrases split into syllables, and the
    two regexes that read the sentence text."""
    words = lambda key: {" ".join(form(str(w)).lower().split()) for w in spec[key] for form in (str, normalize)}
    return {"indicators": set(spec["indicators"]), "kinds": dict(spec["kinds"]), "scope_classes": set(spec["scope_classes"]),
            "opens_whole": words("opens"), "opens": [p.split() for p in sorted(words("opens")) if " " in p],
            "kind_stops": words("kind_stops"), "clause_verbs": words("clause_verbs"),
            "respective": words("respective"), "list_separators": words("list_separators"),
            "continues": re.compile(r"^\W*(?:" + alternation(spec["continues"]) + r")(?!\w)", re.I),
            "state_words": word_regex(spec["state_words"])}


def inherit_change(text: str, found: list[Fact], earlier: Fact | None, parts: dict) -> None:
    """ "Trên 430 biên chế đã được tinh giản. Trong đó, có gần 420 biên chế
    thuộc khối ...": the parts of a breakdown share the change of the whole."""
    if not earlier or earlier.change == "count" or not parts["continues"].match(text):
        return
    for fact in found:
        if fact.indicator == earlier.indicator and fact.change == "count":
            fact.change = earlier.change


def inside_parentheses(sentence, facts, parts: dict) -> None:
    """ "giảm 53 chức lãnh đạo (cấp trưởng: 50 chức danh; cấp phó: 3 chức danh)":
    the parts in the parentheses after a change share it, ';' inside them too;
    "(từ 5.971 thôn, xuống còn 4.351)" (`state_words`) are states, not parts."""
    for fact in facts:
        for whole in facts:
            between = sentence.text[whole.end - sentence.start:fact.start - sentence.start]
            opened = between[between.rfind("(") + 1:] if "(" in between else None
            if (whole.end <= fact.start and whole.indicator == fact.indicator and fact.change == "count"
                    and whole.change != "count" and opened is not None and ")" not in opened
                    and not parts["state_words"].search(opened)):
                fact.change = whole.change


def part_kind(doc, i, default: str, parts: dict) -> str:
    """ "... trong đó có 41 người giữ chức vụ lãnh đạo": the part names its own kind."""
    for token in doc[i:i + 4]:
        if token.lower_ in parts["kind_stops"]:
            break
        if token.ent_type_ in parts["kinds"]:
            return parts["kinds"][token.ent_type_]
    return default


def part_fact(parent: Fact, doc, sentence, i, quote, where, **fields) -> Fact:
    """A fact for number i that continues `parent`, with its own quote, place and approx
    (a part with its own verb does not inherit the whole's 'khoảng')."""
    scene, pats, _ = where
    a_start, a_end = char_span(doc, sentence, i, i + 1)
    own = {"approx": context.approx(sentence.text, a_start, a_end, pats), **attributes.where(sentence.text, a_start, scene)}
    return replace(parent, value=as_int_if_whole(parse_number(doc[i].text)), total=None, percent=None, **own, **fields,
                quote=sentence.text[quote[0]:quote[1]], start=sentence.start + quote[0], end=sentence.start + quote[1])


def parallel_clauses(doc, sentence, anchored, consumed, levels, where) -> list[Fact]:
    """ "số người hoạt động không chuyên trách ở xã 1.322 người; ở thôn, tổ dân
    phố là 1.619 người": a ';' clause that names only a scope and 'là N người'
    continues the fact before it, at the clause's own level."""
    out, parts = [], where[2]
    for end, parent in anchored:
        semi = next((i for i in range(end, len(doc)) if doc[i].text in (";", ".")), None)
        if parent.indicator not in parts["indicators"] or semi is None or doc[semi].text != ";":
            continue
        stop = next((i for i in range(semi + 1, len(doc)) if doc[i].text in (";", ".")), len(doc))
        clause = range(semi + 1, stop)
        if any(doc[i].ent_type_ and doc[i].ent_type_ not in parts["scope_classes"] for i in clause):
            continue
        first = next((i for i in clause if doc[i].tag_ == "CARD" and doc[i - 1].lower_ in parts["clause_verbs"]), None)
        chain = [first] + respective(doc, first, parts) if first is not None and first not in consumed else []
        if not chain or chain[-1] + 1 >= len(doc) or doc[chain[-1] + 1].ent_type_ != "CASE":
            continue
        level = next((levels.get(doc[i].ent_type_) for i in clause if levels.get(doc[i].ent_type_)), parent.level)
        quote = char_span(doc, sentence, semi + 1, chain[-1] + 2)
        consumed.update(chain)
        out += [part_fact(parent, doc, sentence, i, quote, where, level=level) for i in chain]
    return out


def opens_at(words: list[str], k: int, parts: dict) -> bool:
    """Does a breakdown word (`opens`) start at token k, as one token or as its syllables?"""
    return words[k] in parts["opens_whole"] or any(words[k:k + len(p)] == p for p in parts["opens"])


def breakdown_parts(doc, sentence, anchored, consumed, where) -> list[Fact]:
    """ "2.681 cán bộ ... thực hiện tinh giản, gồm Cần Thơ có 1.137 người, Sóc
    Trăng có 699 người": counts of people after 'gồm'/'trong đó' that no rule
    took are parts of the fact before them, with its kind, change and status."""
    out, parts = [], where[2]
    for end, parent in anchored:
        if parent.indicator not in parts["indicators"]:
            continue
        words = [t.lower_ for t in doc[end:]]
        stop = next((k for k, w in enumerate(words) if w in (";", ".")), len(words))
        opened = next((k for k in range(stop) if opens_at(words, k, parts)), None)
        if opened is None:
            continue
        for i in range(end + opened, end + stop - 1):
            if doc[i].tag_ == "CARD" and i not in consumed and doc[i + 1].ent_type_ == "CASE":
                out.append(part_fact(parent, doc, sentence, i, char_span(doc, sentence, i, i + 2), where,
                                     indicator=part_kind(doc, i + 2, parent.indicator, parts)))
                consumed.add(i)
    return out


def respective(doc, anchor, parts: dict) -> list[int]:
    """ "loại I - II - III tương ứng là 23 - 21 - 19 người": the numbers after
    the anchor in a 'tương ứng' list are facts of the same kind, one each."""
    window = {t.lower_ for t in doc[max(0, anchor - 3):anchor]}
    if not window & parts["respective"]:
        return []
    out, i = [], anchor + 1
    while (i + 1 < len(doc) and doc[i].lower_ in parts["list_separators"]
           and doc[i + 1].tag_ in ("CARD", "CARDW")):
        out.append(i + 1)
        i += 2
    return out


def attached_share(doc, end, fact) -> set:
    """The percentage just after a match that became the fact's share
    ("64/93 thôn có ..., đạt 69%") is not a fact of its own."""
    if fact.value is None or fact.percent is None:
        return set()
    for i in range(end, min(len(doc), end + 8)):
        if doc[i].text in (";", ".") or doc[i].tag_ in ANCHOR_TAGS:
            break
        if doc[i].tag_ == "PCT":
            return {i} if parse_number(doc[i].text.rstrip("%").strip()) == fact.percent else set()
    return set()
