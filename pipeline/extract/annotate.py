"""Build the spaCy Doc the rules match on, from underthesea words.

Each token is an underthesea word, except that
- a lexicon phrase (rules/lexicon.yaml) becomes one token whose ENT_TYPE is
  its class, and a list of same-class phrases ("phường, xã, thị trấn")
  becomes one token too;
- a number gets a TAG saying what kind it is (CARD, CARDW for number words,
  FRAC "46/67", PCT "19,7%", DATE, MONTH "5/2017", YEAR, DOCNUM "Đề án 01",
  RANGE "2-3"), so that rules never mistake a date or a document number for
  a count.
"""
from __future__ import annotations

import re

import pipeline.extract.imports  # noqa: F401 - first: spaCy, underthesea without what is never used
from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.tokens import Doc
from spacy.vocab import Vocab

from pipeline.lang.vntext import NUMBER_WORDS, parse_number

VOCAB = Vocab(lex_attr_getters=dict(LEX_ATTRS))  # gives tokens LOWER, IS_PUNCT ...
NUMERIC = re.compile(r"^\d[\d.,/-]*$|^\d[\d.]* (trên tổng số|trong tổng số|trong số) \d[\d.]*$", re.I)
LIST_JOINERS = {",", "và", "hoặc", "-", "/"}
NUMBER_TAGS = {"CARD", "CARDW", "FRAC", "PCT"}
RANGE_ENDS = NUMBER_TAGS | {"MEASURE"}


def build_doc(sentence: str, words: list[tuple[int, int]], lexicon) -> Doc:
    """The matching Doc for one sentence; token.idx are sentence offsets."""
    spans = merge_phrases(sentence, words, lexicon.find(sentence))
    spans = merge_lists(sentence, spans)
    spans = merge_percents(sentence, spans)
    spans = merge_shares(sentence, spans)
    texts = [sentence[s:e] for s, e, _ in spans]
    spaces = [sentence[e:e + 1].isspace() for _, e, _ in spans]
    tags = number_tags(texts, [cls for _, _, cls in spans], lexicon)
    ents = [f"B-{cls}" if cls else "O" for _, _, cls in spans]
    doc = Doc(VOCAB, words=texts, spaces=spaces, tags=tags, ents=ents)
    doc.user_data["offsets"] = [(s, e) for s, e, _ in spans]
    return doc


def merge_phrases(sentence, words, phrases):
    """Replace the words each lexicon phrase covers by one classed span.

    A one-syllable phrase must be a whole word, so "xã" is never found in
    "xã hội" nor "thôn" in "nông thôn". A longer phrase is trusted over the
    segmenter: a word it cuts ("đảng xã") is split at the phrase's edge.
    """
    longer = [p for p in phrases if " " in sentence[p[0]:p[1]]]
    words = split_at(sentence, words, [edge for start, end, _ in longer for edge in (start, end)])
    kept = [p for p in phrases if p in longer or aligned(words, p)]
    starts = {s for s, _ in words}
    ends = {e: i for i, (_, e) in enumerate(words)}
    by_start = {s: (e, c) for s, e, c in kept if s in starts and e in ends}
    out, skip_to = [], -1
    for i, (s, e) in enumerate(words):
        if i <= skip_to:
            continue
        if s in by_start:
            end, cls = by_start[s]
            out.append((s, end, cls))
            skip_to = ends[end]
        else:
            out.append((s, e, None))
    return out


def aligned(words, phrase) -> bool:
    return any(s == phrase[0] for s, _ in words) and any(e == phrase[1] for _, e in words)


def split_at(sentence, words, edges):
    """Split words at these offsets (phrase edges falling inside a word)."""
    edges = sorted(set(edges))
    out = []
    for s, e in words:
        bounds = [s] + [x for x in edges if s < x < e] + [e]
        for a, b in zip(bounds, bounds[1:]):
            piece = sentence[a:b]
            a, b = a + len(piece) - len(piece.lstrip()), b - len(piece) + len(piece.rstrip())
            if a < b:
                out.append((a, b))
    return out


def merge_lists(sentence, spans):
    """ "phường, xã, thị trấn" -> one COMMUNE token (the counted things)."""
    out = []
    for span in spans:
        if (len(out) >= 2 and span[2] and out[-2][2] == span[2]
                and sentence[out[-1][0]:out[-1][1]].lower() in LIST_JOINERS):
            out[-2:] = [(out[-2][0], span[1], span[2])]
        else:
            out.append(span)
    return out


def merge_percents(sentence, spans):
    """ "19,7" "%" -> one token "19,7%"."""
    out = []
    for span in spans:
        text = sentence[span[0]:span[1]]
        if out and text in ("%", "phần trăm") and NUMERIC.match(sentence[out[-1][0]:out[-1][1]]):
            out[-1] = (out[-1][0], span[1], None)
        else:
            out.append(span)
    return out


SHARE = re.compile(r"(?<![\d.,])\d+(?:\.\d{3})*\s*(?:/|trên tổng số|trong tổng số|trong số)\s*\d+(?:\.\d{3})*(?![\d,%])", re.I)


def merge_shares(sentence, spans):
    """ "193 / 196", "46 trên tổng số 67" -> one FRAC-like token."""
    for match in SHARE.finditer(sentence):
        inside = [i for i, (s, e, _) in enumerate(spans) if s >= match.start() and e <= match.end()]
        if len(inside) > 1 and spans[inside[0]][0] == match.start() and spans[inside[-1]][1] == match.end():
            spans[inside[0]:inside[-1] + 1] = [(match.start(), match.end(), None)]
    return spans


def number_tags(texts, classes, lexicon) -> list[str]:
    lowered = [t.lower() for t in texts]
    tags = [number_tag(lowered, classes, i, lexicon) for i in range(len(texts))]
    return mark_ranges(lowered, tags)


def mark_ranges(lowered, tags) -> list[str]:
    """ "từ 2 đến 3 chức danh": a range per person, neither number a count."""
    for i in range(len(tags) - 2):
        # the upper end may carry a unit ("từ 60 đến 300 m2"), and "4.500-5.000 đồng/kg" with a unit after
        # it needs no "từ": a range all the same
        if tags[i] in NUMBER_TAGS and lowered[i + 1] in ("đến", "tới", "-") and tags[i + 2] in RANGE_ENDS:
            if (i and lowered[i - 1] == "từ") or (lowered[i + 1] == "-" and tags[i + 2] == "MEASURE"):
                tags[i] = tags[i + 2] = "RANGE"
    return tags


MERGED_INTO = ("thành", "trở thành", "làm")
# "một cán bộ phường cho biết": before a person "một" is an article, not a
# count, unless a change or an allocation stands just before it ("tăng thêm
# một công chức và một người hoạt động không chuyên trách")
PERSON_CLASSES = ("CIVIL", "OFFICIAL", "LEADER", "CASE", "PART_TIME")
ARTICLE_CLASSES = ("MODEL",)
YEAR_COUNTS = ("mươi", "chục", "trăm", "vài", "mấy", "nhiều", "hai", "ba", "bốn", "sáu", "bảy", "tám", "chín", "mười")
ONE_PERSON_CUES = ("thêm", "tăng", "tăng thêm", "giảm", "bớt", "giảm bớt", "bố trí", "còn", "chỉ còn", "xuống còn")


def not_a_count(text: str, before: str, cls: str) -> bool:
    """ "là một chủ trương đúng": an article; "ba mươi năm lãnh đạo": years, not five."""
    last = before.split()[-1] if before.split() else ""
    return (text == "một" and cls in ARTICLE_CLASSES) or (text == "năm" and last in YEAR_COUNTS)


def one_person_counted(lowered, i) -> bool:
    """A change cue among the few words before "một", in its own phrase:
    "Biên chế hiện còn rất thiếu, một công chức phải ..." is an article."""
    for word in reversed(lowered[max(0, i - 4):i]):
        if word in (",", ";", ":", "(", ")"):
            return False
        if word in ONE_PERSON_CUES:
            return True
    return False


def number_tag(lowered, classes, i, lexicon) -> str:
    text = lowered[i]
    before = lowered[i - 1] if i else ""
    after = lowered[i + 1] if i + 1 < len(lowered) else ""
    if text in NUMBER_WORDS:
        counted = i + 1 < len(classes) and classes[i + 1] is not None
        if text == "một" and counted and classes[i + 1] in PERSON_CLASSES:
            counted = one_person_counted(lowered, i)
        if counted and not_a_count(text, before, classes[i + 1]):
            counted = False
        # "hợp nhất hai sở thành một cơ quan": a merger of named bodies, not a count
        return "CARDW" if counted and after != "số" and before not in MERGED_INTO else "X"
    if not NUMERIC.match(text.rstrip("%")):
        return "X"
    # "sáp nhập ... thành 01 bản": one merger's result ("Nam thành" may come glued as a name)
    if text in ("1", "01") and (before in MERGED_INTO or before.endswith(" thành")):
        return "X"
    if before in lexicon.document_words:
        return "DOCNUM"
    if after in lexicon.measure_words and not scaled_count(lowered, classes, i) and not leader_posts(lowered, classes, i):
        return "MEASURE"
    if before in lexicon.day_month_words and is_day_month(text) and not (i + 1 < len(classes) and classes[i + 1]):
        return "DATE"  # "từ 1/7 đến nay": a day and a month, not 1 of 7 (a share is followed by what it counts)
    return numeric_kind(text, before, after, lexicon)


def numeric_kind(text, before, after, lexicon) -> str:
    if text.endswith("%"):
        return "PCT"
    if re.fullmatch(r"\d+-\d+", text):
        return "RANGE"
    if is_date(text):
        return "DATE"
    if before in lexicon.date_words:
        return "MONTH" if before == "tháng" else "DATE" if before != "năm" else "YEAR"
    fraction = re.fullmatch(r"(\d+)/(\d{4})", text)
    if fraction and 1 <= int(fraction.group(1)) <= 12 and 1900 <= int(fraction.group(2)) <= 2100:
        return "MONTH"
    if "/" in text or " " in text:
        return "FRAC" if SHARE.fullmatch(text) else "X"
    if re.fullmatch(r"\d{1,2}\.\d{1,2}", text):  # "12.8" is a day.month
        return "DATE"
    value = parse_number(text)
    if value is not None and re.fullmatch(r"(19|20)\d\d", text) and before in lexicon.year_words:
        return "YEAR"
    return "CARD" if value is not None else "X"


DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})")


def is_date(text: str) -> bool:
    """ "30.6.2022", "5/3/19"; not the share "86/1.156" (no day 86, no year 156)."""
    found = DAY_MONTH_YEAR.fullmatch(text)
    return bool(found) and 1 <= int(found.group(1)) <= 31 and 1 <= int(found.group(2)) <= 12


def is_day_month(text: str) -> bool:
    found = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    return bool(found) and 1 <= int(found.group(1)) <= 31 and 1 <= int(found.group(2)) <= 12


SCALES = {"triệu": 1_000_000, "nghìn": 1_000, "ngàn": 1_000}
# what "2,5 triệu" may count: people on the payroll, units; not "1,9 triệu người" (population)
SCALED_CLASSES = {"CIVIL", "PART_TIME", "HAMLET", "COMMUNE", "ADMIN", "AGENCY", "PSU", "PARTY_ORG"}


def scaled_count(lowered, classes, i) -> bool:
    """ "2,5 triệu biên chế": a count written with a scale word before what it counts."""
    return (i + 2 < len(lowered) and lowered[i + 1] in SCALES and classes[i + 2] in SCALED_CLASSES)


def leader_posts(lowered, classes, i) -> bool:
    """ "cấp trưởng: 50 chức danh": leadership posts worded as titles are counted
    (press convention 5); "từ 5 chức danh xuống còn 3" (distinct titles) is not."""
    return (i + 1 < len(lowered) and lowered[i + 1] == "chức danh"
            and any(classes[j] == "LEADER" for j in range(max(0, i - 3), i)))
