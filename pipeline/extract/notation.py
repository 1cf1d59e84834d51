"""The rule notation: rules and lexicon as data structures, and the compact
pattern notation compiled to spaCy Matcher patterns (see rules/README.md).

    NUM CARD FRAC PCT   a number token (any / cardinal / fraction / percent)
    @CLASS              a lexicon phrase of that class
    word|other_word     one of these words ("_" joins a multi-word phrase)
    NAME                a named word list (context.yaml `pattern_words`)
    ~N / ~~N            a gap of up to N tokens (~ never crosses a number)
    item? item* item+   spaCy's operators

An item that is neither is an error that names the file, rule and item.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.lang.vntext import normalize

NUMBER_ITEMS = {
    "NUM": {"TAG": {"IN": ["CARD", "CARDW", "FRAC"]}},
    "CARD": {"TAG": {"IN": ["CARD", "CARDW"]}},
    "FRAC": {"TAG": "FRAC"},
    "PCT": {"TAG": "PCT"},
}
GAP = re.compile(r"^(~~?)(\d+)$")
OPS = {"?", "*", "+"}


class RuleError(ValueError):
    """A rule file is invalid; the message names the file and the rule."""

    def __init__(self, path, rule_id, message):
        where = f"{path}" + (f": rule '{rule_id}'" if rule_id else "")
        super().__init__(f"{where}: {message}")


@dataclass
class Rule:
    id: str
    indicator: str
    patterns: list[str]
    path: str
    priority: int = 0
    level: str | None = None
    change: str | None = None
    status: str | None = None
    approx: str | None = None
    exclude_before: list[str] = field(default_factory=list)
    exclude_after: list[str] = field(default_factory=list)
    exclude_sentence: list[str] = field(default_factory=list)  # anywhere before the number in its sentence
    examples: list[dict] = field(default_factory=list)
    counterexamples: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def max_span(self) -> int:
        return max(longest_match(p) for p in self.patterns)


@dataclass
class Lexicon:
    classes: dict[str, list[str]]
    levels: dict[str, str]
    pattern: re.Pattern
    group_class: dict[str, str]
    document_words: set[str]
    date_words: set[str]
    year_words: set[str]
    measure_words: set[str]
    sources: dict[str, list[str]] = field(default_factory=dict)  # class -> its regexes
    phrase_class: dict[str, str] = field(default_factory=dict)  # "khu dân cư" -> HAMLET
    keywords: dict[str, list[str]] = field(default_factory=dict)  # regex class -> syllables it needs
    indicators: dict[str, dict] = field(default_factory=dict)  # indicator key -> {level, description}
    models: dict[str, str] = field(default_factory=dict)  # class -> the indicator a bare mention names
    day_month_words: set[str] = field(default_factory=set)  # "từ": "từ 1/7 đến nay" is a date

    def find(self, sentence: str) -> list[tuple[int, int, str]]:
        """(start, end, class) of every lexicon phrase, leftmost-longest."""
        found = []
        for match in self.pattern.finditer(sentence.lower()):
            group = match.lastgroup
            name = self.phrase_class[" ".join(match.group().split())] if group == "phrase" else self.group_class[group]
            found.append((match.start(), match.end(), name))
        return found


def phrase_regex(phrase: str) -> str:
    """A phrase as regex: words separated by any whitespace."""
    return r"\s+".join(re.escape(word) for word in normalize(phrase).lower().split())


def trie_regex(phrases: list[list[str]]) -> str:
    """Phrases (lists of syllables) as one regex that prefers the longest."""
    heads = {}
    for syllables in phrases:
        heads.setdefault(syllables[0], []).append(syllables[1:])
    options = []
    for head in sorted(heads, key=len, reverse=True):
        rests = [r for r in heads[head] if r]
        tail = ""
        if rests:
            optional = len(rests) < len(heads[head])
            tail = r"(?:\s+" + trie_regex(rests) + ")" + ("?" if optional else "")
        options.append(re.escape(head) + tail)
    return "(?:" + "|".join(options) + ")"


def compile_pattern(text: str, classes: dict, path, rule_id, words: dict | None = None) -> list[dict]:
    """The compact notation -> one spaCy Matcher pattern."""
    tokens = []
    for item in text.split():
        op = item[-1] if item[-1] in OPS and len(item) > 1 else None
        core = expand_word_lists(item[:-1] if op else item, words or {})
        token = compile_item(core, classes, path, rule_id)
        if op:
            token["OP"] = op
        tokens.append(token)
    return tokens


def expand_word_lists(core: str, words: dict) -> str:
    """NAME, alone or in an alternation, -> the words of that named list."""
    options = [("|".join(w.replace(" ", "_") for w in words[o]) if o in words else o) for o in core.split("|")]
    return "|".join(options)


def longest_match(text: str) -> int:
    """The most tokens a pattern in compact notation can span."""
    total = 0
    for item in text.split():
        gap = GAP.match(item)
        total += int(gap.group(2)) if gap else 1
    return total


def compile_item(core, classes, path, rule_id) -> dict:
    gap = GAP.match(core)
    if gap:  # a gap within the clause; "~" never crosses another count.
        # "*" rather than "{0,N}": spaCy expands {0,N} into N optional tokens,
        # whose paths multiply; the length bound is checked on the match.
        token = {"LOWER": {"NOT_IN": [";", ".", ":"]}, "OP": "*"}
        if gap.group(1) == "~":
            token["TAG"] = {"NOT_IN": ["CARD", "FRAC"]}
        return token
    if core in NUMBER_ITEMS:
        return dict(NUMBER_ITEMS[core])
    options = core.split("|")
    if all(o.startswith("@") for o in options):
        names = [o[1:] for o in options]
        unknown = [n for n in names if n not in classes]
        if unknown:
            raise RuleError(path, rule_id, f"unknown class @{unknown[0]} in pattern")
        return {"ENT_TYPE": {"IN": names}}
    if any(o.startswith("@") for o in options):
        raise RuleError(path, rule_id, f"do not mix classes and words in '{core}'")
    unknown = [o for o in options if re.search(r"[A-Z]", o)]
    if unknown:  # words are written lower-case; an upper-case item is a typo
        raise RuleError(path, rule_id, f"unknown item '{unknown[0]}' in pattern (not NUM, CARD, FRAC, PCT, "
                                       f"a @CLASS or a named word list)")
    words = [normalize(o.replace("_", " ")).lower() for o in options]
    return {"LOWER": {"IN": words}}
