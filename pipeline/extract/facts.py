"""Rules -> facts: match each candidate sentence, read the numbers the match
carries, take the rest of a fact from its context, merge duplicates."""
from __future__ import annotations

import re

from pipeline.extract import attributes, context
from pipeline.extract.annotate import SCALES, build_doc
from pipeline.extract.notation import longest_match
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
    scene.update(attributes.document_scene(document, pats))
    facts, carried, paragraph, recent = [], None, None, None
    for sentence in sentences:
        if sentence.paragraph != paragraph:
            carried, paragraph, recent = None, sentence.paragraph, None
        if sentence.candidate:
            scene["previous"] = recent  # what an anaphoric rule's "tỷ lệ này" refers to
            found = sentence_facts(sentence, document, scene, carried, ruleset, pats)
            inherit_change(sentence.text, found, recent)
            facts, recent = facts + found, (found[-1] if found else recent)
        carried = attributes.carry(sentence.text, carried, scene, pats)
    return deduplicate(facts)


BREAKDOWN_START = re.compile(r"^\W*(?:trong đó|trong số đó|bao gồm)(?!\w)", re.I)


def inherit_change(text: str, found: list[dict], earlier: dict | None) -> None:
    """ "Trên 430 biên chế đã được tinh giản. Trong đó, có gần 420 biên chế
    thuộc khối ...": the parts of a breakdown share the change of the whole."""
    if not earlier or earlier["change"] == "count" or not BREAKDOWN_START.match(text):
        return
    for fact in found:
        if fact["indicator"] == earlier["indicator"] and fact["change"] == "count":
            fact["change"] = earlier["change"]


def document_scene(document: dict) -> dict:
    """Where and when a document is: its place and publication date."""
    site = places.canonical_province(document.get("province"))
    locality, province = places.document_place(document.get("title") or "", document["text"],
                                                site, document.get("published"))
    return {"locality": locality, "on_topic": None, "province": province, "site_province": site,
            "published": document.get("published")}


def sentence_facts(sentence, document, scene, carried, ruleset, pats) -> list[dict]:
    """One fact per number: the first valid match in rank order takes it."""
    if pats["award"].search(sentence.text):  # counts of awards are not facts
        return []
    doc = build_doc(sentence.text, sentence.words, ruleset.lexicon)
    facts, consumed, anchored = [], set(), []
    for rule, start, end, anchor in ranked_matches(doc, ruleset):
        if anchor in consumed:
            continue
        fact = make_fact(doc, sentence, rule, start, end, anchor, scene, carried, pats)
        if fact:
            consumed.update(i for i in range(start, end) if i == anchor or doc[i].tag_ == "PCT")
            consumed.update(attached_share(doc, end, fact))
            fact.update(doc=document["id"], rules_version=ruleset.version)
            siblings = respective(doc, anchor)
            consumed.update(siblings)
            facts += [fact] + [dict(fact, value=as_int_if_whole(parse_number(doc[j].text))) for j in siblings]
            anchored.append((end, fact))
    inside_parentheses(sentence, facts)
    where = (scene, pats)
    facts += breakdown_parts(doc, sentence, anchored, consumed, where)
    facts += parallel_clauses(doc, sentence, anchored, consumed, ruleset.lexicon.levels, where)
    return sorted(facts, key=lambda f: f["start"])


# "(từ 5.971 thôn, xuống còn 4.351)": the states before and after, not parts of the change
STATE_WORDS = re.compile(r"(?<!\w)(?:từ|còn|thành|xuống)(?!\w)", re.I)


def inside_parentheses(sentence, facts) -> None:
    """ "giảm 53 chức lãnh đạo (cấp trưởng: 50 chức danh; cấp phó: 3 chức danh)":
    the parts in the parentheses after a change share it, ';' inside them too."""
    for fact in facts:
        for whole in facts:
            between = sentence.text[whole["end"] - sentence.start:fact["start"] - sentence.start]
            opened = between[between.rfind("(") + 1:] if "(" in between else None
            if (whole["end"] <= fact["start"] and whole["indicator"] == fact["indicator"] and fact["change"] == "count"
                    and whole["change"] != "count" and opened is not None and ")" not in opened
                    and not STATE_WORDS.search(opened)):
                fact["change"] = whole["change"]


PERSON_INDICATORS = {"civil_servant", "part_time_staff", "leader_post"}
PERSON_CLASSES = {"LEADER": "leader_post", "PART_TIME": "part_time_staff", "CIVIL": "civil_servant"}


def part_kind(doc, i, default: str) -> str:
    """ "... trong đó có 41 người giữ chức vụ lãnh đạo": the part names its own kind."""
    for token in doc[i:i + 4]:
        if token.text in (",", ";", ".", "và"):
            break
        if token.ent_type_ in PERSON_CLASSES:
            return PERSON_CLASSES[token.ent_type_]
    return default
BREAKDOWN_WORDS = {"gồm", "gồm có", "bao gồm", "trong đó", "trong đó có"}


SCOPE_CLASSES = {"HAMLET", "COMMUNE", "DISTRICT", "PROVINCE", "LEVEL_COMMUNE", "LEVEL_HAMLET", "LEVEL_DISTRICT",
                 "LEVEL_PROVINCE", "CASE"}


def part_fact(parent, doc, sentence, i, quote, where, **fields) -> dict:
    """A fact for number i that continues `parent`, with its own quote, place and approx
    (a part with its own verb does not inherit the whole's 'khoảng')."""
    scene, pats = where
    a_start, a_end = char_span(doc, sentence, i, i + 1)
    own = {"approx": context.approx(sentence.text, a_start, a_end, pats), **attributes.where(sentence.text, a_start, scene)}
    return dict(parent, value=as_int_if_whole(parse_number(doc[i].text)), total=None, percent=None, **own, **fields,
                quote=sentence.text[quote[0]:quote[1]], start=sentence.start + quote[0], end=sentence.start + quote[1])


def parallel_clauses(doc, sentence, anchored, consumed, levels, where) -> list[dict]:
    """ "số người hoạt động không chuyên trách ở xã 1.322 người; ở thôn, tổ dân
    phố là 1.619 người": a ';' clause that names only a scope and 'là N người'
    continues the fact before it, at the clause's own level."""
    out = []
    for end, parent in anchored:
        semi = next((i for i in range(end, len(doc)) if doc[i].text in (";", ".")), None)
        if parent["indicator"] not in PERSON_INDICATORS or semi is None or doc[semi].text != ";":
            continue
        stop = next((i for i in range(semi + 1, len(doc)) if doc[i].text in (";", ".")), len(doc))
        clause = range(semi + 1, stop)
        if any(doc[i].ent_type_ and doc[i].ent_type_ not in SCOPE_CLASSES for i in clause):
            continue
        first = next((i for i in clause if doc[i].tag_ == "CARD" and doc[i - 1].lower_ == "là"), None)
        chain = [first] + respective(doc, first) if first is not None and first not in consumed else []
        if not chain or chain[-1] + 1 >= len(doc) or doc[chain[-1] + 1].ent_type_ != "CASE":
            continue
        level = next((levels.get(doc[i].ent_type_) for i in clause if levels.get(doc[i].ent_type_)), parent["level"])
        quote = char_span(doc, sentence, semi + 1, chain[-1] + 2)
        consumed.update(chain)
        out += [part_fact(parent, doc, sentence, i, quote, where, level=level) for i in chain]
    return out


def breakdown_parts(doc, sentence, anchored, consumed, where) -> list[dict]:
    """ "2.681 cán bộ ... thực hiện tinh giản, gồm Cần Thơ có 1.137 người, Sóc
    Trăng có 699 người": counts of people after 'gồm'/'trong đó' that no rule
    took are parts of the fact before them, with its kind, change and status."""
    out = []
    for end, parent in anchored:
        if parent["indicator"] not in PERSON_INDICATORS:
            continue
        words = [t.lower_ for t in doc[end:]]
        stop = next((k for k, w in enumerate(words) if w in (";", ".")), len(words))
        opened = next((k for k, w in enumerate(words[:stop]) if w in BREAKDOWN_WORDS or
                       (w == "trong" and words[k + 1:k + 2] == ["đó"])), None)
        if opened is None:
            continue
        for i in range(end + opened, end + stop - 1):
            if doc[i].tag_ == "CARD" and i not in consumed and doc[i + 1].ent_type_ == "CASE":
                out.append(part_fact(parent, doc, sentence, i, char_span(doc, sentence, i, i + 2), where,
                                     indicator=part_kind(doc, i + 2, parent["indicator"])))
                consumed.add(i)
    return out


def respective(doc, anchor) -> list[int]:
    """ "loại I - II - III tương ứng là 23 - 21 - 19 người": the numbers after
    the anchor in a 'tương ứng' list are facts of the same kind, one each."""
    window = {t.lower_ for t in doc[max(0, anchor - 3):anchor]}
    if not window & {"tương ứng", "lần lượt", "lần lượt là"}:
        return []
    out, i = [], anchor + 1
    while i + 1 < len(doc) and doc[i].text in ("-", "–", ",", "và") and doc[i + 1].tag_ in ("CARD", "CARDW"):
        out.append(i + 1)
        i += 2
    return out


def attached_share(doc, end, fact) -> set:
    """The percentage just after a match that became the fact's share
    ("64/93 thôn có ..., đạt 69%") is not a fact of its own."""
    if fact["value"] is None or fact["percent"] is None:
        return set()
    for i in range(end, min(len(doc), end + 8)):
        if doc[i].text in (";", ".") or doc[i].tag_ in ANCHOR_TAGS:
            break
        if doc[i].tag_ == "PCT":
            return {i} if parse_number(doc[i].text.rstrip("%").strip()) == fact["percent"] else set()
    return set()


def ranked_matches(doc, ruleset):
    """Matches by rank: higher priority, then shorter, then earlier. Of one
    rule's matches on one number, the longest (it carries most, e.g. a
    percentage after the count) stands for the rule."""
    longest = {}
    for match_id, start, end in ruleset.matcher(doc):
        rule_id, pattern = doc.vocab.strings[match_id].rsplit("#", 1)
        rule = ruleset.rules[rule_id]
        anchor = anchor_token(doc, start, end)
        if end - start > longest_match(rule.patterns[int(pattern)]) or anchor is None or per_unit(doc, anchor):
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

    # "mỗi thôn có 1 chi bộ" is a per-unit norm, and norms are facts (FACTS.md); "mô hình mỗi
    # thôn có 1 chi bộ" names a model
    named_model = i >= 4 and doc[i - 3].lower_ == "mỗi" and doc[i - 4].ent_type_ == "MODEL"
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
    if (context.excluded(text, a_start, q_end, clause[1], rule, pats) or topic_excluded(text[:a_start], rule)
            or (anchor == start and negated_inside(doc, anchor, end))):
        return None
    fact = numbers(doc, start, end, anchor)
    if fact["value"] is not None and fact["value"] != int(fact["value"]):
        return None  # "bình quân 1,6 cấp phó": an average, not a count
    if fact["total"] is None and fact["value"] is not None:
        fact["total"] = total_before(text[:a_start], fact["value"])
    if fact["percent"] is None and fact["value"] is not None:
        fact["percent"] = context.trailing_share(text[q_end:], pats)
    fact.update(indicator=indicator, rule_id=rule.id,
                quote=text[q_start:q_end], sentence=text,
                start=sentence.start + q_start, end=sentence.start + q_end)
    span = attributes.Span(doc, text, start, end, anchor, a_start, a_end, clause)
    fact.update(attributes.decide(span, rule, scene, earlier, carried, pats))
    fact.update({key: None for key in SPEC_NULL.get(indicator, ())})
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
