"""A fact's attributes from the words around its number.

The word lists live in rules/context.yaml; this module only says where to
look: approx just before the number, change and status in its clause,
dates in its sentence or, for as_of, earlier in its paragraph.
"""
from __future__ import annotations

import re
from datetime import date

from pipeline.lang.dates import month_end, parse_vn_date
from pipeline.lang.vntext import normalize

DOC_REFERENCE = re.compile(
    r"(?<!\w)(kế hoạch|đề án|quyết định|nghị quyết|chỉ thị|kết luận|chương trình( hành động)?|"
    r"thông báo|tờ trình|hướng dẫn|công văn)( số)? ?\d[\w/.\-]*", re.I)
# "mỗi thôn có 1 chi bộ và 3 người ...": per-unit figures, up to a new
# subject ("..., toàn tỉnh có 120 xã")
PER_UNIT = re.compile(r"(?<!\w)(?:mỗi|từng)\s(?:(?!,\s*(?:toàn|cả|tổng|tỉnh|huyện|thành phố|các|trong đó))[^;:()]){0,60}$", re.I)
PARENTHESIS = re.compile(r"\([^()]*\)")
BREAKDOWN = re.compile(r"(?<!\w)(trong đó có|trong đó|bao gồm|gồm có)(?!\w)", re.I)
CHANGE_COMPOUNDS = re.compile(r"(?<!\w)(tăng cường|tăng trưởng|giảm nghèo|giảm thiểu rủi ro|tăng gia)(?!\w)", re.I)
DATE_CUE = re.compile(
    r"(?<!\w)(?:tính\s+)?(?:đến|tới|tại thời điểm)\s+(?:hết\s+|cuối\s+)?(?:ngày\s+)?"
    r"(?P<date>\d{1,2}[./-]\d{1,2}[./-]\d{4})|(?<!\w)(?:tính\s+)?(?:đến|tới)\s+(?:hết\s+|cuối\s+)?"
    r"tháng\s+(?P<month>\d{1,2})\s*[./-]\s*(?P<year>\d{4})", re.I)
# "đến cuối năm 2020", "tính đến hết năm 2020": the last day of that year
YEAR_END = re.compile(r"(?<!\w)(?:tính\s+)?(?:đến|tới)\s+(?:hết|cuối)\s+năm\s+(?P<year>(?:19|20)\d\d)(?!\d)", re.I)
YEAR = re.compile(r"(?<!\w)(?:năm|đến|trước|cuối|đầu)\s+(?:năm\s+)?(?P<year>(?:19|20)\d\d)(?!\d)", re.I)
NAME_AFTER = re.compile(r"\s+(?!UBND|HĐND|TP\b)[A-ZĐÂĂÊÔƠƯ\u00c0-\u00dd\u1ea0-\u1ef8][a-zđâăêôơư\u00e0-\u00fd\u1ea1-\u1ef9]")
CLAUSE_END = re.compile(r"[;]|\(|\)")


def word_regex(words) -> re.Pattern:
    ordered = sorted({normalize(w).lower() for w in words}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, ordered)) + r")(?!\w)", re.I)


def compiled(context: dict) -> dict:
    out = {}
    for kind in ("at_least", "at_most", "about"):
        out["approx_" + kind] = re.compile(word_regex(context["approx"][kind]).pattern + r"\s+(?:(?:ở|là|đạt|có|bình quân)\s+)?$", re.I)
        out["after_" + kind] = word_regex(context.get("approx_after", {}).get(kind, ["\x00"]))
    for kind in ("decrease", "increase"):
        out[kind] = word_regex(context["change"][kind])
    for key in ("count_markers", "target_before", "target_after", "achieved", "as_of_now",
                "exclude_before", "negation_after", "award", "domain_cues"):
        out[key] = word_regex(context[key])
    out["as_of_now_not"] = word_regex(context.get("as_of_now_not", ["\x00"]))
    out["domain_cue_words"] = sorted({normalize(w).lower() for w in context["domain_cues"]})
    out["over_plan"] = re.compile(context["over_plan"], re.I)
    out["domain_gated"] = set(context.get("domain_gated", []))
    out["named_list_gated"] = set(context.get("named_list_gated", []))
    return out


def patterns(ruleset) -> dict:
    """Compiled context regexes, cached on the rule set."""
    if getattr(ruleset, "_context_patterns", None) is None:
        ruleset._context_patterns = compiled(ruleset.context)
    return ruleset._context_patterns


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


def approx(sentence, start, end, pats) -> str:
    before, after = sentence[max(0, start - 40):start], sentence[end:end + 30]
    for kind in ("at_least", "at_most", "about"):
        if pats["approx_" + kind].search(before) or pats["after_" + kind].search(after):
            return kind
    return "exact"


def last_match(pattern: re.Pattern, text: str):
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def change(sentence, start, clause_start, pats) -> str:
    """The nearest change word before the number in its ';' clause; the parts
    of a breakdown ("giảm 96 người, trong đó 41 cấp trưởng") share its change,
    so "trong đó" and "gồm" are not count markers."""
    clause_start = max([m.end() for m in re.finditer(";", sentence[:start])] or [0])
    window = CHANGE_COMPOUNDS.sub(lambda m: " " * len(m.group()), sentence[clause_start:start])
    window = BREAKDOWN.sub(lambda m: " " * len(m.group()), window)
    window = PARENTHESIS.sub(lambda m: " " * len(m.group()), window)  # "(giảm 3 huyện) và 161 xã"
    window = window[-80:]
    best, kind = -1, "count"
    for key, name in (("count_markers", "count"), ("decrease", "decrease"), ("increase", "increase")):
        found = last_match(pats[key], window)
        if found and found.end() > best:
            best, kind = found.end(), name
    return kind


def status(sentence, start, end, clause, pats) -> str | None:
    """target/achieved from the nearest cue before the number in its clause,
    then cues after it; None when the clause says nothing."""
    window = DOC_REFERENCE.sub(lambda m: " " * len(m.group()), sentence[clause[0]:start])
    target, done = last_match(pats["target_before"], window), last_match(pats["achieved"], window)
    if target or done:
        return "target" if target and (not done or target.end() > done.end()) else "achieved"
    if pats["target_after"].search(sentence[end:clause[1]]):
        return "target"
    return None


def sentence_status(sentence, start, pats) -> str | None:
    """The status an elliptical clause ("...; 20% Bí thư ...") inherits."""
    window = DOC_REFERENCE.sub(lambda m: " " * len(m.group()), sentence[:start])
    target, done = last_match(pats["target_before"], window), last_match(pats["achieved"], window)
    if target and (not done or target.end() > done.end()):
        return "target"
    return None


def explicit_as_of(text: str, years: bool = True):
    """The last "đến ngày 30.6.2022" / "đến cuối tháng 5/2017" in text; with
    years, "đến cuối năm 2020" (2020-12-31) too. A target's "đến cuối năm
    2020" is its target year, not a date the figure refers to."""
    found = last_match(DATE_CUE, text)
    year_end = last_match(YEAR_END, text) if years else None
    if year_end and (not found or year_end.start() > found.start()):
        return date(int(year_end.group("year")), 12, 31)
    if not found:
        return None
    if found.group("date"):
        return parse_vn_date(found.group("date"))
    month, year = int(found.group("month")), int(found.group("year"))
    return month_end(year, month) if 1 <= month <= 12 else None


def says_now(text: str, pats) -> bool:
    return bool(pats["as_of_now"].search(pats["as_of_now_not"].sub(" ", text)))


def target_year(sentence, start, clause_end) -> int | None:
    found = last_match(YEAR, sentence[:start]) or YEAR.search(sentence, start, clause_end)
    return int(found.group("year")) if found else None


def over_plan(sentence, end, clause_end, pats) -> float | None:
    found = pats["over_plan"].search(sentence, end, clause_end if clause_end > end else len(sentence))
    return float(found.group("pct").replace(",", ".")) if found else None


def excluded(sentence, start, end, clause_end, rule, pats) -> bool:
    """Per-unit ratios, complementary and negated counts are not facts."""
    before = sentence[max(0, start - 25):start]
    if re.search(pats["exclude_before"].pattern + r"\s*$", before, re.I):
        return True
    if PER_UNIT.search(sentence[:start]):
        return True
    after = sentence[end:clause_end]
    if rule.indicator in pats["named_list_gated"] and NAME_AFTER.match(sentence[end:]):
        return True
    if pats["negation_after"].search(after[:60]) and rule.indicator != "non_local_leader":
        return True
    # what the counted things do: the words after them, up to the next comma
    predicate = re.split(r"[,;.(:]", after[:50], maxsplit=1)[0]
    words = rule.exclude_after and word_regex(rule.exclude_after).search(predicate)
    prior = rule.exclude_before and re.search(word_regex(rule.exclude_before).pattern + r"\s*$", before, re.I)
    return bool(words or prior)
