"""The word segmenter's features built in Python (extract/crf_words.py) are
underthesea_core's, string for string: on every character it treats as
plain, on tokens chosen for the featurizer's quirks, and on every sentence
of the gold sets and the samples; the words are underthesea's own."""
from __future__ import annotations

import json

import pytest
from conftest import SAMPLE, SEEDS, SHARED
from underthesea import sent_tokenize, word_tokenize
from underthesea.pipeline.word_tokenize.regex_tokenize import tokenize

from pipeline.extract import crf_words
from pipeline.extract.segment import load_word_model


@pytest.fixture(scope="module")
def model():
    return load_word_model()


def theirs(model, tokens: list[str]) -> list[list[str]]:
    return model.featurizer.process([[[token] for token in tokens]])[0]


def ours(model, tokens: list[str]) -> list[list[str]]:
    return [list(row) for row in crf_words.features(tokens, model.dictionary)]


def plain_characters() -> list[str]:
    return [chr(c) for a, b in crf_words.PLAIN_RANGES for c in range(a, b + 1) if chr(c) != " "]


def test_the_model_has_the_templates_the_features_are_built_for(model):
    assert model.features == crf_words.TEMPLATES


def test_every_plain_character_as_a_token_gets_the_featurizer_strings(model):
    """lower, isdigit, istitle and the dictionary test of each character, and
    of the pairs and triples it forms with its neighbours."""
    characters = plain_characters()
    assert len(characters) > 900
    for start in range(0, len(characters), 400):
        tokens = characters[start:start + 400]
        assert ours(model, tokens) == theirs(model, tokens), f"characters from {tokens[0]!r}"


QUIRKS = ["46/67", "1.402", "19,7%", "+1", "-1", "01", "1" * 30, "2147483647", "2147483648", "-2147483648",
          "-2147483649", "+0", "-", "+-1", "0" * 40, "²", "½", "ABC", "aBc", "Abc", "UBND", "ǅa",
          "ǆ", "İstanbul", "ß", "Đắk", "đắk", "TP.HCM", "x²", "A-b", "a-B", "'", "«", "“Hà", "…", "—", "₫",
          "toàn", "Toàn", "tỉnh", "bí", "thư", "hoá", "hóa", "Ấp", "a", "B"]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, len(QUIRKS)])
def test_tokens_chosen_for_the_featurizer_quirks_and_short_sentences(model, size):
    """BOS before EOS where a span overhangs both ends of a short sentence."""
    for start in range(0, len(QUIRKS) - size + 1, max(size, 1)):
        tokens = QUIRKS[start:start + size]
        assert ours(model, tokens) == theirs(model, tokens), tokens


def gold_sentences() -> list[str]:
    texts = [json.loads(line)["text"] for line in open(SHARED / "gold" / "press" / "articles.jsonl", encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    texts += [path.read_text(encoding="utf-8") for path in sorted(SAMPLE.glob("*.html"))]
    return [s for text in texts for line in text.splitlines() if line.strip() for s in sent_tokenize(line)]


def test_every_gold_and_sample_sentence_gets_underthesea_words(model):
    sentences = gold_sentences()
    assert len(sentences) > 1500
    plain = 0
    for sentence in sentences:
        tokens = tokenize(sentence, use_token_normalize=False)
        if crf_words.is_plain(sentence, tokens):
            plain += 1
            assert ours(model, tokens) == theirs(model, tokens), sentence
        assert crf_words.word_tokenize(sentence, model) == word_tokenize(sentence, use_token_normalize=False), sentence
    assert plain > 0.9 * len(sentences)  # the fast path is the common one


@pytest.mark.parametrize("sentence", ["ΣΑΣ có 12 xã", "có\u00a012 xã", "có 12\u200b xã", "Мосва có 12 xã"])
def test_other_characters_go_to_underthesea_featurizer(model, sentence):
    tokens = tokenize(sentence, use_token_normalize=False)
    assert not crf_words.is_plain(sentence, tokens)
    assert crf_words.word_tokenize(sentence, model) == word_tokenize(sentence, use_token_normalize=False)
