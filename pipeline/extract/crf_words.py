"""underthesea's word segmentation with the CRF features built in Python.

underthesea's `word_tokenize` hands each sentence to underthesea_core's
CRFFeaturizer, which reads its 43 feature templates again for every token:
~30 us a token, more than half of the time a candidate sentence costs
(issue 11). `features` builds the same strings column by column, ~2.5x
faster; the CRF tagger that reads them is underthesea's own.

The strings are the featurizer's, checked character by character: its
`lower`, `isdigit` and `istitle` agree with Python's on the characters in
PLAIN (tests/test_crf_words.py runs them all through both, and whole
sentences of the gold sets and the samples). A sentence with any other
character (or a token holding a space) goes to underthesea's featurizer.
"""
from __future__ import annotations

import re

import pipeline.extract.imports  # noqa: F401 - first: underthesea without what is never used
from underthesea.pipeline.word_tokenize.regex_tokenize import tokenize

BOS, EOS = "BOS", "EOS"
# Latin with its Vietnamese and other accented letters, digits, punctuation,
# currency: what the press writes. Whitespace other than " ", control and
# zero-width characters, Greek (final sigma) and the rest are left out, and
# "ƛ", which has an upper case in the featurizer's Unicode, not in Python 3.11's.
PLAIN_RANGES = [(0x20, 0x7E), (0xA1, 0x19A), (0x19C, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2010, 0x2027),
                (0x2030, 0x205E), (0x20A0, 0x20C0)]
NOT_PLAIN = re.compile("[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in PLAIN_RANGES) + "]")
# The model's templates, in its order (features.bin); `features` builds them.
TEMPLATES = [
    "T[-2]", "T[-1]", "T[0]", "T[1]", "T[2]", "T[-2,-1]", "T[-1,0]", "T[0,1]", "T[1,2]", "T[-2,0]", "T[-1,1]",
    "T[0,2]", "T[-2].lower", "T[-1].lower", "T[0].lower", "T[1].lower", "T[2].lower", "T[-2,-1].lower",
    "T[-1,0].lower", "T[0,1].lower", "T[1,2].lower", "T[-1].isdigit", "T[0].isdigit", "T[1].isdigit",
    "T[-2].istitle", "T[-1].istitle", "T[0].istitle", "T[1].istitle", "T[2].istitle", "T[0,1].istitle",
    "T[0,2].istitle", "T[-2].is_in_dict", "T[-1].is_in_dict", "T[0].is_in_dict", "T[1].is_in_dict",
    "T[2].is_in_dict", "T[-2,-1].is_in_dict", "T[-1,0].is_in_dict", "T[0,1].is_in_dict", "T[1,2].is_in_dict",
    "T[-2,0].is_in_dict", "T[-1,1].is_in_dict", "T[0,2].is_in_dict",
]


def word_tokenize(sentence: str, model) -> list[str]:
    """underthesea.word_tokenize(sentence, use_token_normalize=False) with
    `model` (its FastCRFSequenceTagger): the same words."""
    tokens = tokenize(sentence, use_token_normalize=False)
    if model.features == TEMPLATES and is_plain(sentence, tokens):
        rows = features(tokens, model.dictionary)
    else:
        rows = model.featurizer.process([[[token] for token in tokens]])[0]
    words = []
    for index, (tag, token) in enumerate(zip(model.estimator.tag(rows), tokens)):
        if tag == "I-W" and index > 0:  # as underthesea joins a word's syllables
            words[-1] = words[-1] + " " + token
        else:
            words.append(token)
    return words


def is_plain(sentence: str, tokens: list[str]) -> bool:
    return not NOT_PLAIN.search(sentence) and not any(" " in token for token in tokens)


PREFIXES = [template + "=" for template in TEMPLATES]


def features(tokens: list[str], dictionary) -> list[tuple[str, ...]]:
    """Each token's 43 "template=value" strings, as CRFFeaturizer writes them."""
    n, lower = len(tokens), [token.lower() for token in tokens]
    title = [is_title(token) for token in tokens]
    pairs, lower_pairs = joined(tokens, tokens[1:]), joined(lower, lower[1:])
    triples, lower_triples = joined(pairs, tokens[2:]), joined(lower_pairs, lower[2:])
    values = [
        *around(n, tokens, (-2, -2), (-1, -1), (0, 0), (1, 1), (2, 2)),
        *around(n, pairs, (-2, -1), (-1, 0), (0, 1), (1, 2)),
        *around(n, triples, (-2, 0), (-1, 1), (0, 2)),
        *around(n, lower, (-2, -2), (-1, -1), (0, 0), (1, 1), (2, 2)),
        *around(n, lower_pairs, (-2, -1), (-1, 0), (0, 1), (1, 2)),
        *around(n, [str(is_digit(t)) for t in tokens], (-1, -1), (0, 0), (1, 1)),
        *around(n, [str(t) for t in title], (-2, -2), (-1, -1), (0, 0), (1, 1), (2, 2)),
        *around(n, [str(a and b) for a, b in zip(title, title[1:])], (0, 1)),
        *around(n, [str(a and b and c) for a, b, c in zip(title, title[1:], title[2:])], (0, 2)),
        *around(n, [str(w in dictionary) for w in lower], (-2, -2), (-1, -1), (0, 0), (1, 1), (2, 2)),
        *around(n, [str(w in dictionary) for w in lower_pairs], (-2, -1), (-1, 0), (0, 1), (1, 2)),
        *around(n, [str(w in dictionary) for w in lower_triples], (-2, 0), (-1, 1), (0, 2)),
    ]
    columns = [[name + value for value in column] for name, column in zip(PREFIXES, values)]
    return list(zip(*columns))  # the tagger reads any sequence


SIGNED_DIGITS = re.compile(r"[+-]?[0-9]+")


def is_digit(token: str) -> bool:
    """The featurizer's isdigit: the token reads as a 32-bit integer ("+1",
    "-0", "007" yes; "1.402", "2147483648", "²" no)."""
    return SIGNED_DIGITS.fullmatch(token) is not None and -2 ** 31 <= int(token) < 2 ** 31


def is_title(token: str) -> bool:
    """The featurizer's istitle of a token without spaces: it starts with a
    character upper-casing leaves alone ("46/67", "UBND" yes; "ǅ", "xã" no).
    Of two or three tokens joined: each of them is."""
    return token[:1].upper() == token[:1]


def joined(first: list[str], then: list[str]) -> list[str]:
    return [a + " " + b for a, b in zip(first, then)]


def around(n: int, grams: list[str], *spans: tuple[int, int]) -> list[list[str]]:
    """For each span (lo, hi), a column over the n tokens: at token i the gram
    that starts at i + lo (grams[k] covers tokens k..k + hi - lo); BOS where
    the span starts before the sentence, else EOS where it ends past it."""
    return [window(grams, n, lo, hi) for lo, hi in spans]


def window(grams: list[str], n: int, lo: int, hi: int) -> list[str]:
    first, last = min(max(0, -lo), n), max(min(n, n - hi), 0)  # tokens i in [first, last) have the gram
    if last <= first:
        return [BOS] * first + [EOS] * (n - first)
    return [BOS] * first + grams[first + lo:last + lo] + [EOS] * (n - last)
