"""The pre-filter: which sentences can hold a fact, decided on the raw text
before word segmentation (the hot path), derived from the rules themselves."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.rules import GAP, NUMBER_ITEMS, Lexicon, Rule, phrase_regex
from pipeline.vntext import normalize

NUMBER_TEXT = (r"(?:\d[\d.,/]*(?:\s*(?:trên tổng số|trong tổng số|trong số)\s*\d[\d.]*)?"
               r"|một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)")
PERCENT_TEXT = r"(?:\d[\d.,]*\s*(?:%|phần trăm))"
SYLLABLE = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
NUMBER_KEY, PERCENT_KEY = "#", "%"


@dataclass
class Need:
    """What one pattern needs in a sentence: for each required item the
    syllables it can start with (a cheap set test), and a regex per run of
    adjacent required items (the exact test). `mask` has one bit per key
    set (see Prefilter.present)."""
    keys: list[frozenset]
    runs: list[re.Pattern]
    mask: int = 0

    def met(self, present: int) -> bool:
        return not self.mask & ~present


class Prefilter:
    """Which sentences can hold a fact, decided on the raw text before word
    segmentation: some rule pattern must find every word and class it
    requires. A class token implies its phrase is in the text, so this never
    drops a sentence the rules could match (the tests check it on the gold
    files and the samples; the benchmark on its corpus)."""

    def __init__(self, lexicon: Lexicon, rules: dict[str, Rule], words: dict, gated=()):
        self.lexicon, self.words = lexicon, words
        every = {p for r in rules.values() for p in r.patterns}
        ungated = {p for r in rules.values() if r.indicator not in gated for p in r.patterns}
        self.regexes: dict[str, re.Pattern] = {}  # one object per run: memoized per text
        needs = {p: self.need(p) for p in sorted(every)}
        self.needs = list(needs.values())
        self.key_bits = key_bits(self.needs)
        # off topic (no domain cue in the document) only ungated rules count
        self.by_syllable = {True: trigger_index(self.needs),
                            False: trigger_index([needs[p] for p in sorted(ungated)])}

    def need(self, pattern: str) -> Need:
        keys, runs, run = [], [], []
        for item in pattern.split():
            if item[-1] in "?*" or GAP.match(item):
                runs, run = runs + [run], []
                continue
            regex, key = self.item(item.rstrip("+"))
            run.append(regex)
            if key is not None:
                keys.append(key)
        runs = [r"(?<!\w)" + r"\s*".join(r) + r"(?!\w)" for r in runs + [run] if r and r != [NUMBER_TEXT]]
        return Need(keys, [self.regexes.setdefault(r, re.compile(r, re.IGNORECASE)) for r in runs])

    def item(self, item: str) -> tuple[str, frozenset | None]:
        if item in NUMBER_ITEMS:
            return (PERCENT_TEXT, frozenset([PERCENT_KEY])) if item == "PCT" else (NUMBER_TEXT, frozenset([NUMBER_KEY]))
        item = self.words and expand_words(item, self.words)
        regexes, keys = [], set()
        for option in item.split("|"):
            if option.startswith("@"):
                name = option[1:]
                regexes += self.lexicon.sources[name]
                keys = None if keys is None else (keys | key_syllables(self.lexicon.classes[name])
                                                  | set(self.lexicon.keywords.get(name, [])))
            else:
                regexes.append(phrase_regex(option.replace("_", " ")))
                keys = None if keys is None else keys | key_syllables([option.replace("_", " ")])
        return "(?:" + "|".join(f"(?:{r})" for r in regexes) + ")", (frozenset(keys) if keys is not None else None)

    def search(self, text: str, exact: bool = True, on_topic: bool = True) -> bool:
        """Can a rule match in this text? exact=False skips the adjacency
        regexes: a cheaper, looser test for a whole paragraph. Off topic,
        only rules whose facts need no domain cue are considered."""
        syllables = syllables_of(text)
        present, found = self.present(syllables), {}
        for need in self.triggered(syllables, on_topic):
            if need.met(present) and (not exact or all(run_found(r, text, found) for r in need.runs)):
                return True
        return False

    def present(self, syllables: set) -> int:
        """Bit i set when the text has a syllable of key set i."""
        bits = 0
        for syllable in syllables & self.key_bits.keys():
            bits |= self.key_bits[syllable]
        return bits

    def triggered(self, syllables: set, on_topic: bool = True) -> list[Need]:
        index = self.by_syllable[on_topic]
        found = {id(n): n for s in syllables & index.keys() for n in index[s]}
        return list(found.values())


def run_found(regex: re.Pattern, text: str, found: dict) -> bool:
    """regex.search(text), once per text: patterns share many runs."""
    if regex not in found:
        found[regex] = regex.search(text) is not None
    return found[regex]


def key_bits(needs: list[Need]) -> dict[str, int]:
    """Give each distinct key set a bit and set each need's mask; returns
    syllable -> the bits of the key sets it belongs to."""
    bit_of: dict[frozenset, int] = {}
    by_syllable: dict[str, int] = {}
    for need in needs:
        for key in need.keys:
            bit = bit_of.setdefault(key, 1 << len(bit_of))
            need.mask |= bit
            for syllable in key:
                by_syllable[syllable] = by_syllable.get(syllable, 0) | bit
    return by_syllable


def syllables_of(text: str) -> set[str]:
    """The text's syllables, plus a key each for "has a number", "has a %"."""
    lowered = text.lower()
    syllables = set(SYLLABLE.findall(lowered))
    if DIGIT.search(text) or not syllables.isdisjoint(NUMBER_WORDS_SET):
        syllables.add(NUMBER_KEY)
    if "%" in text or "phần trăm" in lowered:
        syllables.add(PERCENT_KEY)
    return syllables


def trigger_index(needs: list[Need]) -> dict[str, list[Need]]:
    """Each need filed under the syllables of its most selective item, so a
    text is only tested against needs one of its syllables can trigger."""
    index = {}
    for need in needs:
        words = [k for k in need.keys if not k & {NUMBER_KEY, PERCENT_KEY}]
        trigger = min(words or need.keys, key=len)
        for syllable in trigger:
            index.setdefault(syllable, []).append(need)
    return index


NUMBER_WORDS_SET = {"một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"}


def key_syllables(phrases) -> set[str]:
    """One syllable each phrase must contain: its last, usually the rarest
    ("trách" of "người hoạt động không chuyên trách")."""
    return {normalize(p).lower().split()[-1] for p in phrases if p.split()}


def expand_words(item: str, words: dict) -> str:
    for name, options in words.items():
        item = re.sub(rf"^{name}$", "|".join(o.replace(" ", "_") for o in options), item)
    return item
