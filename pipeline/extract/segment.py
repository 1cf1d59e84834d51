"""Sentences and words, with character offsets into the stored clean text.

Word segmentation (underthesea, ~40 ms per article) is the hot path, so it
runs only on sentences the cheap pre-filter marks as candidates.
"""
from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import pipeline.extract.imports  # noqa: F401 - first: underthesea without what is never used
from underthesea import sent_tokenize

from pipeline.extract import budget, crf_words
from pipeline.lang.vntext import NUMBER_WORDS  # the number words, written once

NUMBER_WORD = re.compile(r"\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
# underthesea glues a number to a neighbour ("1.402 thôn", "tinh giản 1.870"):
# a word with a digit in it is split into its space-separated parts.
HAS_DIGIT = re.compile(r"\d")
LINE = re.compile(r"[^\n]+")


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int
    words: list[tuple[int, int]] | None = field(default=None)  # offsets in text
    # a piece of a long sentence (cut_long): the offsets in text of the words
    # whose numbers it owns; the rest is context shared with its neighbours
    own: tuple[int, int] | None = field(default=None)
    # the rule patterns that can match it (Prefilter.passing); None: all
    patterns: frozenset | None = field(default=None)

    @property
    def candidate(self) -> bool:
        return self.words is not None


def split_sentences(text: str) -> list[Sentence]:
    """Split on newlines first (sent_tokenize ignores them), then underthesea."""
    return [s for number, line in enumerate(LINE.finditer(text)) for s in split_line(text, line, number)]


def split_line(text: str, line: re.Match, number: int) -> list[Sentence]:
    sentences, cursor = [], line.start()
    for piece in sent_tokenize(line.group()):
        start = text.find(piece, cursor, line.end())
        if start < 0:  # sent_tokenize altered the text; keep the rest whole
            start, piece = cursor, text[cursor:line.end()]
        end = start + len(piece)
        if piece.strip():
            sentences.append(Sentence(start, end, piece, number))
        cursor = end
    return sentences


def load_word_model():
    """underthesea's word segmentation model, loaded as underthesea loads it
    on first use, except that its two small pickles are read with the C
    unpickler: joblib's pure-Python one took ~0.15 s of every `vnfacts
    extract` start (issue 11). The same objects; anything unexpected (another
    underthesea layout) leaves the loading to underthesea. Returns the model."""
    from underthesea.pipeline import word_tokenize as package

    if package.word_tokenize_model is None:
        try:
            package.word_tokenize_model = read_word_model(Path(package.__file__).parent / "models" / WORD_MODEL)
        except Exception:  # noqa: BLE001 - any failure: underthesea's own loader runs instead
            pass
    return package.word_tokenize_model


WORD_MODEL = "ws_crf_vlsp2013_20230727"  # the folder underthesea's word_tokenize loads


def read_word_model(folder: Path):
    from underthesea_core import CRFFeaturizer, CRFTagger

    tagger_module = pipeline.extract.imports.without_joblib("underthesea.models.fast_crf_sequence_tagger")
    model = tagger_module.FastCRFSequenceTagger()
    model.estimator = CRFTagger()
    model.estimator.load(str(folder / model.path_model))
    model.features = pickle.loads((folder / model.path_features).read_bytes())
    model.dictionary = pickle.loads((folder / model.path_dictionary).read_bytes())
    model.featurizer = LazyFeaturizer(CRFFeaturizer, model.features, model.dictionary)
    return model


class LazyFeaturizer:
    """underthesea's featurizer, built on its first call: crf_words builds the
    features of plain text itself, and building this one takes ~50 ms of
    every extract's start (issue 11)."""

    def __init__(self, kind, features, dictionary):
        self.kind, self.features, self.dictionary, self.real = kind, features, dictionary, None

    def process(self, *args):
        if self.real is None:
            self.real = self.kind(self.features, self.dictionary)
        return self.real.process(*args)


def word_offsets(sentence: str) -> list[tuple[int, int]]:
    """underthesea words as (start, end) offsets into the sentence (its
    word_tokenize with the features built in Python: extract/crf_words.py)."""
    offsets, cursor = [], 0
    for word in crf_words.word_tokenize(sentence, load_word_model()):
        glued = " " in word and HAS_DIGIT.search(word)
        for part in word.split() if glued else (word,):
            start = locate(sentence, part, cursor)
            if start is None:
                continue
            offsets.append((start, start + len(part)))
            cursor = start + len(part)
    return offsets


def locate(sentence: str, word: str, cursor: int) -> int | None:
    start = sentence.find(word, cursor)
    if start < 0:  # underthesea may collapse inner spaces; match loosely
        pattern = r"\s*".join(map(re.escape, word.split()))
        found = re.compile(pattern).search(sentence, cursor)
        return found.start() if found else None
    return start


def segment_document(text: str, prefilter=True, keywords=None, on_topic: bool = True) -> list[Sentence]:
    """Sentences of a document; candidates carry word offsets.

    on_topic=False (the document has no domain cue) limits the pre-filter to
    the rules whose facts need none. With the pre-filter, a paragraph no rule
    can match is kept whole, neither split into sentences nor segmented into
    words: a sentence is a slice of its paragraph that starts and ends at a
    word edge, so what a rule finds in the sentence it finds in the
    paragraph. With prefilter=False every sentence is split and segmented:
    the slow full path the benchmark and the tests compare against.
    """
    if keywords is None:
        from pipeline.extract.rules import load_ruleset
        keywords = load_ruleset().keywords
    sentences = []
    for number, line in enumerate(LINE.finditer(text)):
        budget.check()
        if prefilter and not is_candidate(line.group(), keywords, on_topic=on_topic):
            sentences.append(Sentence(line.start(), line.end(), line.group(), number))
            continue
        pieces = split_line(text, line, number)
        for sentence in pieces:
            # a one-sentence paragraph was just checked
            whole = len(pieces) == 1 and sentence.text == line.group()
            if not prefilter or whole or is_candidate(sentence.text, keywords, on_topic=on_topic):
                budget.check()
                sentence.words = word_offsets(sentence.text)
                sentence.patterns = keywords.passing(sentence.text) if prefilter else None
            sentences += cut_long(sentence)
    return sentences


# A sentence of more words than LONG (a page without full stops, a list run
# together; the gold sets' longest has ~120) is read as pieces of PIECE words (cut_long),
# each with MARGIN words of its neighbours' on either side: every pass over a
# sentence (matching, a fact's context) is then bounded, so extraction time
# grows with the text, not with its square. A piece owns the numbers of its
# middle PIECE words; the margins, wider than any rule's match (rules.py
# `reach`), give a number near a cut the context it has in the whole sentence.
LONG, PIECE, MARGIN = 300, 100, 60


def cut_long(sentence: Sentence, long: int = LONG, piece: int = PIECE, margin: int = MARGIN) -> list[Sentence]:
    """The sentence itself, or its overlapping pieces if it is long."""
    words = sentence.words
    if words is None or len(words) <= long:
        return [sentence]
    return [piece_of(sentence, first, min(first + piece, len(words)), margin)
            for first in range(0, len(words), piece)]


def piece_of(sentence: Sentence, first: int, last: int, margin: int) -> Sentence:
    """Words first..last-1 of the sentence, with `margin` words either side."""
    words = sentence.words
    begin, end = words[max(0, first - margin)][0], words[min(len(words), last + margin) - 1][1]
    own = (words[first][0] - begin, words[last - 1][1] - begin)
    shifted = [(s - begin, e - begin) for s, e in words[max(0, first - margin):last + margin]]
    return Sentence(sentence.start + begin, sentence.start + end, sentence.text[begin:end], sentence.paragraph,
                    shifted, own, sentence.patterns)


def is_candidate(sentence: str, keywords, on_topic: bool = True) -> bool:
    """A number and every word some rule needs (pipeline.extract.prefilter)."""
    return has_number(sentence) and keywords.search(sentence, on_topic)


def has_number(sentence: str) -> bool:
    """A digit or a number word ("hai xã"). The digit first: a scan in C; the
    word regex tries every place, so only where a number word is a substring."""
    if HAS_DIGIT.search(sentence):
        return True
    lowered = sentence.lower()
    return any(word in lowered for word in NUMBER_WORDS) and bool(NUMBER_WORD.search(sentence))
