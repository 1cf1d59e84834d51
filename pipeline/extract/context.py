"""A fact's attributes from the words around its number.

The word lists live in rules/context.yaml; this module compiles them and
says where to look for approx (just before the number), change (in its
clause), exclusions and a trailing share. Status is decided in
extract/status.py, as_of and target_year in extract/dates.py.
"""
from __future__ import annotations

import re

from pipeline.extract import dates, status
from pipeline.extract.words import blank, last_match, word_regex
from pipeline.lang.vntext import as_int_if_whole, normalize, parse_number

PARENTHESIS = re.compile(r"\([^()]*\)")
CLAUSE_END = re.compile(r"[;]|\(|\)")


def compiled(context: dict) -> dict:
    """Every word list of context.yaml as a regex (what rules.CONTEXT_KEYS names)."""
    out = {}
    for kind in ("at_least", "at_most", "about"):
        out["approx_" + kind] = re.compile(word_regex(context["approx"][kind]).pattern + r"\s+(?:(?:ở|là|đạt|có|bình quân)\s+)?$", re.I)
        out["after_" + kind] = word_regex(context["approx_after"].get(kind, []))
    for kind in ("decrease", "increase"):
        out[kind] = word_regex(context["change"][kind])
    for key in ("count_markers", "target_before", "target_after", "achieved", "as_of_now", "as_of_now_not",
                "exclude_before", "negation_after", "award", "domain_cues", "breakdown", "change_not", "doubt_after",
                "approx_stops"):
        out[key] = word_regex(context[key])
    out["measure_after"] = re.compile(r"\s*(?:" + word_regex(context["measure_words"]).pattern + ")", re.I)
    out["doubt_before"] = re.compile(word_regex(context["doubt_before"]).pattern + r"\s*$", re.I)
    out["domain_cue_words"] = sorted({normalize(w).lower() for w in context["domain_cues"]})
    out["over_plan"] = re.compile(context["over_plan"], re.I)
    out["domain_gated"] = set(context["domain_gated"])
    out["named_list_gated"] = set(context["named_list_gated"])
    out["document_reference"] = re.compile(word_regex(context["document_words"]).pattern + r"(?: số)? ?\d[\w/.\-]*", re.I)
    out.update(per_unit_patterns(context["per_unit"]), **share_patterns(context["trailing_share"]))
    out["name_after"] = re.compile(r"\s+(?!" + "|".join(map(re.escape, context["not_names"])) + r"\b)"
                                   r"[A-ZĐÂĂÊÔƠƯĨŨ\u00c0-\u00dd\u1ea0-\u1ef8][a-zđâăêôơưĩũ\u00e0-\u00fd\u1ea1-\u1ef9]")  # "Vĩnh", "Thũng"
    out.update(named_list_patterns(out["name_after"]))
    out["each_words"] = "|".join(map(re.escape, context["per_unit"]["words"]))
    out["level_inside"] = level_words(context["level_inside"])
    owner = dict(context["owner_level"])
    out["owner_indicators"] = set(owner.pop("indicators"))
    out["owner_level"] = level_words(owner)
    out.update(dates.compiled(context), **status.compiled(context))
    return out


def named_list_patterns(name_after: re.Pattern) -> dict:
    """Counts whose units are named after them are no counts (context.yaml `named_list_gated`)."""
    out = {}
    # "sáp nhập 3 ấp: An Phú, Vĩnh Lợi, ...", "gồm 2 thôn, thôn Cốc và thôn Mốc": the units named in a list
    # (after a comma only when the unit word repeats: "15 xã, huyện Tân Lập có ..." names no xã)
    # ("3 quận (quận 2, quận 9 và quận Thủ Đức)": a repeated unit word may take a number for a name)
    capital = name_after.pattern[3:]
    # ("ba quận 3, 11 và Bình Thạnh": numbers right after the unit word name it)
    out["names_listed"] = re.compile(r"(?:\s*:\s*" + capital + r"|\s+\d+\b"
                                     r"|\s*[,(]\s*(?P<unit>[^\W\d]+)\s+(?:\d+\b|" + capital
                                     + r"))[^,;.:]{0,30}(?:,|\s+và\s+)")
    # "lan ra thêm 3 huyện là Thủ Thừa, Tân Trụ và Bến Lức": places named after "là" (agencies stay: "thành
    # lập 2 Ban là Ban Pháp chế và ..." is a norm, press b018)
    out["places_named"] = re.compile(r"[^,;.:()]{0,30}?\s+là\s+(?:các\s+)?(?:[a-zđâăêôơưĩũ\u00e0-\u00fd\u1ea1-\u1ef9]+\s+)?"
                                     + capital + r"[^,;.:]{0,30}(?:,|\s+và\s+)")
    # "hai thôn sáp nhập thành thôn Cốc Mốc": units merged into one named unit are one operation
    out["named_result"] = re.compile(r"\s+(?i:(?:đã |được |sẽ )?(?:sáp nhập|hợp nhất|nhập)(?: lại)?(?: với nhau)? "
                                     r"(?:thành|vào)(?: một| 01| 1)?) [^\W\d]+(?: [^\W\d]+)?" + name_after.pattern)
    return out


def level_words(spec: dict) -> tuple[re.Pattern, dict]:
    """A {level: words} mapping as one regex (longest first) and word -> level."""
    level_of = {" ".join(normalize(w).lower().split()): level for level, ws in spec.items() for w in ws}
    return word_regex(level_of), level_of


def per_unit_patterns(spec: dict) -> dict:
    """ "mỗi thôn có 1 chi bộ và 3 người ...": per-unit figures, up to a new
    subject ("..., toàn tỉnh có 120 xã")."""
    each, subject = "|".join(map(re.escape, spec["words"])), "|".join(map(re.escape, spec["new_subject"]))
    return {"per_unit": re.compile(rf"(?<!\w)(?:{each})\s(?:(?!,\s*(?:{subject}))[^;:()]){{0,60}}$", re.I)}


def share_patterns(spec: dict) -> dict:
    """ "..., đạt 42%", "(tỷ lệ 63,3%)", "..., đạt tỷ lệ giảm 18,4%": a count's share."""
    alt = lambda key: "|".join(sorted(map(re.escape, spec[key]), key=len, reverse=True))
    return {"trailing_share": re.compile(
        rf"^(?:\s+[^\s,;.()\d]+){{0,4}}?\s*[,(]?\s*(?:(?:{alt('lead')})\s+)?(?:{alt('words')})"
        rf"(?:\s+(?:{alt('change')}))?\s+(?:(?:{alt('approx')})\s+)?(\d+(?:,\d+)?)\s*%", re.I)}


def patterns(ruleset) -> dict:
    """Compiled context regexes and the lexicon's levels, cached on the rule set."""
    if getattr(ruleset, "_context_patterns", None) is None:
        pats = {**compiled(ruleset.context), **level_patterns(ruleset.lexicon), "confidence": ruleset.confidence or {}}
        # "mỗi xã ...": the per-unit words of context.yaml before a lexicon unit
        pats["each_unit"] = re.compile(rf"(?<!\w)(?:{pats['each_words']})\s+({pats['unit_words']})(?!\w)", re.I)
        ruleset._context_patterns = pats
    return ruleset._context_patterns


def level_patterns(lexicon) -> dict:
    """Levels from the lexicon: each class's `level`, the level markers (the
    LEVEL_* classes: "cấp xã" inside "đơn vị hành chính cấp xã") and each
    indicator's default level (its row in `indicators:`)."""
    markers = {name for name in lexicon.classes if name.startswith("LEVEL_")}
    marker_level = {" ".join(normalize(p).lower().split()): lexicon.levels[name]
                    for name in markers for p in lexicon.classes[name]}
    unit_level = {" ".join(normalize(p).lower().split()): lexicon.levels[name]
                  for name in lexicon.classes if lexicon.levels.get(name) and name not in markers
                  for p in lexicon.classes[name]}
    return {"class_level": {k: v for k, v in lexicon.levels.items() if v}, "unit_level": unit_level,
            "unit_words": "|".join(sorted(map(re.escape, unit_level), key=len, reverse=True)),
            "marker_classes": markers, "marker_level": marker_level,
            "level_marker": re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, marker_level), key=len, reverse=True))
                                       + r")(?!\w)"),
            "indicator_level": {k: v.get("level") for k, v in lexicon.indicators.items()}}


def on_topic(document: dict, pats) -> bool:
    """Is the document about the apparatus (a domain cue in title or text)?"""
    text = (document.get("title") or "") + "\n" + document["text"]
    # A substring test per cue is far cheaper than the word-bounded regex
    # scan, and most off-topic texts contain none of them.
    lowered = text.lower()
    if not any(cue in lowered for cue in pats["domain_cue_words"]):
        return False
    return bool(pats["domain_cues"].search(text))


def clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The ';'-delimited clause (parentheses too) around a number."""
    before = [m.end() for m in CLAUSE_END.finditer(sentence, 0, start)]
    after = CLAUSE_END.search(sentence, end)
    return (before[-1] if before else 0), (after.start() if after else len(sentence))


def approx(sentence, start, end, pats, depth: int = 0) -> str:
    """The approx word just before (or "trở lên" after) the number; else, for
    an item of a list or breakdown under one verb ("giảm tối thiểu 31 phòng,
    20 cấp trưởng và 45 cấp phó", "tối thiểu 2.529 trường hợp (212 công chức,
    ..."), the approx of the item before it."""
    before, after = sentence[max(0, start - 40):start], sentence[end:end + 30]
    for kind in ("at_least", "at_most", "about"):
        if pats["approx_" + kind].search(before) or pats["after_" + kind].search(after):
            return kind
    head = list_head(sentence, start, pats)
    return approx(sentence, head[0], head[1], pats, depth + 1) if head and depth < 6 else "exact"


NUMBER = re.compile(r"(?<![\w.,/])\d[\d.,]*(?![\w/])")


def list_head(sentence: str, start: int, pats) -> tuple[int, int] | None:
    """(start, end) of the count before this one in its clause when nothing
    between them is a verb of its own (context.yaml `approx_stops`, change
    and status words)."""
    clause_start = sentence.rfind(";", 0, start) + 1
    found = last_match(NUMBER, sentence[clause_start:start])
    if not found:
        return None
    gap = sentence[clause_start + found.end():start]
    if any(pats[key].search(gap) for key in ("approx_stops", "decrease", "increase", "target_before", "achieved")):
        return None
    if pats["measure_after"].match(gap):  # "dân số hơn 4 triệu người, với 103 xã": a measure heads no list
        return None
    return clause_start + found.start(), clause_start + found.end()


def change(sentence, start, clause_start, pats) -> str:
    """The nearest change word before the number in its ';' clause; the parts
    of a breakdown ("giảm 96 người, trong đó 41 cấp trưởng") share its change,
    so "trong đó" and "gồm" are not count markers."""
    clause_start = max([m.end() for m in re.finditer(";", sentence[:start])] or [0])
    window = blank(pats["change_not"], sentence[clause_start:start])
    window = blank(pats["breakdown"], window)
    window = blank(PARENTHESIS, window)  # "(giảm 3 huyện) và 161 xã"
    window = window[-80:]
    best, kind = -1, "count"
    for key, name in (("count_markers", "count"), ("decrease", "decrease"), ("increase", "increase")):
        found = last_match(pats[key], window)
        if found and found.end() > best:
            best, kind = found.end(), name
    return kind


def over_plan(sentence, end, clause_end, pats) -> float | None:
    found = pats["over_plan"].search(sentence, end, clause_end if clause_end > end else len(sentence))
    return float(found.group("pct").replace(",", ".")) if found else None


# "..., còn lại 25 đồng chí ...": the rest of a split, opening its clause, is a complementary count;
# "toàn tỉnh sẽ còn lại 3.583 người" (a subject before it) is the state after a merger
REMAINDER = re.compile(r"(?:^|[,;:(])\s*(?:số\s+|những\s+|các\s+)?còn lại\s*$", re.I)


def excluded(sentence, start, end, clause_end, rule, pats) -> bool:
    """Per-unit ratios, complementary and negated counts are not facts."""
    before = sentence[max(0, start - 25):start]
    if (re.search(pats["exclude_before"].pattern + r"\s*$", before, re.I) and not running_ordinal(before, rule)) \
            or REMAINDER.search(sentence[:start]):
        return True
    # per-unit norms ("mỗi xã bố trí tối đa 9 người") are facts (FACTS.md, conventions for real press);
    # context.yaml `per_unit` is no exclusion any more
    after = sentence[end:clause_end]
    if rule.indicator in pats["named_list_gated"] and (pats["name_after"].match(sentence[end:])
                                                      or names_listed(sentence, end, pats)):
        return True
    if rule.indicator in PLACE_INDICATORS and pats["places_named"].match(sentence, end):
        return True
    if pats["negation_after"].search(after[:60]) and rule.indicator != "non_local_leader":
        return True
    # what the counted things do: the words after them, up to the next comma
    predicate = re.split(r"[,;.(:]", after[:50], maxsplit=1)[0]
    words = rule.exclude_after and word_regex(rule.exclude_after).search(predicate)
    # the words before a list reach its later items: "dịch xảy ra ở 84 xã, 40 huyện"
    before = before_list(sentence[max(0, start - 120):start])
    prior = rule.exclude_before and re.search(word_regex(rule.exclude_before).pattern + r"\s*$", before, re.I)
    return bool(words or prior)


# "Đức Phổ là địa phương thứ 2 trong số 14 huyện được nhất thể hóa ...": an ordinal that states a running
# count (FACTS.md, press NOTES c. 9). Only a rule that writes "thứ" before its number reads it so; ranks
# ("đứng thứ 2", "kỳ họp thứ 12") stay excluded everywhere else.
ORDINAL = re.compile(r"(?<!\w)thứ\s*$", re.I)


def running_ordinal(before: str, rule) -> bool:
    return bool(ORDINAL.search(before)) and any(" thứ " in f" {p} " for p in rule.patterns)


PLACE_INDICATORS = {"admin_unit", "hamlet"}
APPROX_WORD = r"(?:(?:hơn|trên|gần|khoảng|chừng|xấp xỉ|ít nhất|tối thiểu|tối đa)\s+)?"
LIST_ITEM = re.compile(APPROX_WORD + r"(?:\d[\d.,]*|một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\s+[^\W\d]"
                       r"[^\d,;.:()]{0,24}?(?:,|\s+và)\s*$", re.I)
TRAILING_APPROX = re.compile(APPROX_WORD[:-1] + r"\s*$", re.I)


def before_list(before: str) -> str:
    """The text before the first item of the list that ends `before` ("ở 10 xã, 7 quận, " -> "ở "),
    and before an approximation word ("tại gần 5.000 xã" -> "tại ")."""
    while (found := LIST_ITEM.search(before)) and found.start() > 0:
        before = before[:found.start()]
    return TRAILING_APPROX.sub("", before)


def names_listed(sentence, end, pats) -> bool:
    if pats["named_result"].match(sentence, end):
        return True
    found = pats["names_listed"].match(sentence, end)
    return bool(found) and (not found.group("unit") or sentence[:end].lower().endswith(found.group("unit").lower()))


def trailing_share(after: str, pats) -> float | None:
    """ "giảm 112 đơn vị (tỷ lệ 63,3%)", "..., đạt 42%": the count's share."""
    found = pats["trailing_share"].match(after)
    return as_int_if_whole(parse_number(found.group(1))) if found else None
