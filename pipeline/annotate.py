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

from spacy.tokens import Doc
from spacy.vocab import Vocab

from pipeline.vntext import NUMBER_WORDS, parse_number

VOCAB = Vocab()
NUMERIC = re.compile(r"^\d[\d.,/-]*$")
LIST_JOINERS = {",", "và", "hoặc", "-", "/"}
NUMBER_TAGS = {"CARD", "CARDW", "FRAC", "PCT"}


def build_doc(sentence: str, words: list[tuple[int, int]], lexicon) -> Doc:
    """The matching Doc for one sentence; token.idx are sentence offsets."""
    spans = merge_phrases(sentence, words, lexicon.find(sentence))
    spans = merge_lists(sentence, spans)
    spans = merge_percents(sentence, spans)
    texts = [sentence[s:e] for s, e, _ in spans]
    spaces = [sentence[e:e + 1].isspace() for _, e, _ in spans]
    tags = number_tags(texts, [cls for _, _, cls in spans], lexicon)
    ents = [f"B-{cls}" if cls else "O" for _, _, cls in spans]
    doc = Doc(VOCAB, words=texts, spaces=spaces, tags=tags, ents=ents)
    doc.user_data["offsets"] = [(s, e) for s, e, _ in spans]
    return doc


def merge_phrases(sentence, words, phrases):
    """Replace the words each lexicon phrase covers by one classed span.

    A phrase must start at a word start and end at a word end, so "xã" is
    never found inside "xã hội" nor "thôn" inside "nông thôn".
    """
    starts = {s: i for i, (s, _) in enumerate(words)}
    ends = {e: i for i, (_, e) in enumerate(words)}
    out, skip_to = [], -1
    by_start = {}
    for start, end, cls in phrases:
        if start in starts and end in ends and start not in by_start:
            by_start[start] = (end, cls)
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


def number_tags(texts, classes, lexicon) -> list[str]:
    lowered = [t.lower() for t in texts]
    return [number_tag(lowered, classes, i, lexicon) for i in range(len(texts))]


def number_tag(lowered, classes, i, lexicon) -> str:
    text = lowered[i]
    before = lowered[i - 1] if i else ""
    after = lowered[i + 1] if i + 1 < len(lowered) else ""
    if text in NUMBER_WORDS:
        counted = i + 1 < len(classes) and classes[i + 1] is not None
        return "CARDW" if counted and after != "số" else "X"
    if not NUMERIC.match(text.rstrip("%")):
        return "X"
    if before in lexicon.document_words or before.endswith("số"):
        return "DOCNUM"
    return numeric_kind(text, before, after, lexicon)


def numeric_kind(text, before, after, lexicon) -> str:
    if text.endswith("%"):
        return "PCT"
    if re.fullmatch(r"\d+-\d+", text):
        return "RANGE"
    if re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", text):
        return "DATE"
    if before in lexicon.date_words:
        return "MONTH" if before == "tháng" else "DATE" if before != "năm" else "YEAR"
    fraction = re.fullmatch(r"(\d+)/(\d{4})", text)
    if fraction and 1 <= int(fraction.group(1)) <= 12 and 1900 <= int(fraction.group(2)) <= 2100:
        return "MONTH"
    if "/" in text:
        return "FRAC" if re.fullmatch(r"\d[\d.]*/\d[\d.]*", text) else "X"
    if re.fullmatch(r"\d{1,2}\.\d{1,2}", text):  # "12.8" is a day.month
        return "DATE"
    value = parse_number(text)
    if value is not None and re.fullmatch(r"(19|20)\d\d", text) and before in lexicon.year_words:
        return "YEAR"
    return "CARD" if value is not None else "X"
