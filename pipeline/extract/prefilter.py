"""The pre-filter: which sentences can hold a fact, decided on the raw text
before word segmentation (the hot path), derived from the rules themselves."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple

from pipeline import regex_cache
from pipeline.extract.firstwords import first_prefixes
from pipeline.extract.notation import GAP, NUMBER_ITEMS, Lexicon, Rule, phrase_regex
from pipeline.lang.vntext import NUMBER_WORDS, SYLLABLE_RANK, normalize

NUMBER_TEXT = (r"(?:\d[\d.,/]*(?:\s*(?:trên tổng số|trong tổng số|trong số)\s*\d[\d.]*)?"
               r"|" + "|".join(NUMBER_WORDS) + ")")
PERCENT_TEXT = r"(?:\d[\d.,]*\s*(?:%|phần trăm))"
LIST_JOINER = r"(?:,|và|hoặc|-|/)"  # annotate.LIST_JOINERS
SYLLABLE = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
ESCAPE = re.compile(r"\\.")  # "\W", "\d": not letters to lower-case
NUMBER_KEY, PERCENT_KEY = "#", "%"


class LazyRegex:
    """A run's regex, compiled on its first search: compiling all ~800 took
    1.4 s of every `vnfacts extract` start, and a run of documents triggers
    a fraction of them (issue 11); compiled through regex_cache, which keeps
    them between runs. Same source, same flags: same matches."""
    __slots__ = ("source", "flags", "compiled")

    def __init__(self, source: str, flags: int):
        self.source, self.flags, self.compiled = source, flags, None

    def pattern(self) -> re.Pattern:
        if self.compiled is None:
            self.compiled = regex_cache.compile(self.source, self.flags)
        return self.compiled

    def search(self, text: str, pos: int = 0):
        return self.pattern().search(text, pos)

    def match(self, text: str, pos: int):
        return self.pattern().match(text, pos)


@dataclass(frozen=True, eq=False)
class Run:
    """A run of items between two gaps, from its first required item on.
    `anchor` says where a match can start: NUMBER_KEY / PERCENT_KEY (where a
    number starts), a WordAnchor (where a word is or begins with one of its
    words), or None (anywhere: found by searching)."""
    regex: LazyRegex
    anchor: "str | WordAnchor | None"


@dataclass
class Need:
    """What one pattern needs in a sentence: for each required item the
    syllables one of which it contains (a cheap set test), and a regex per
    run of items between two gaps, to be found in order (the exact test).
    `mask` has one bit per key set (see Prefilter.present)."""
    keys: list[frozenset]
    runs: list[Run]
    mask: int = 0
    pattern: str = ""

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
        self.regexes: dict[str, LazyRegex] = {}  # one object per run source
        self.anchored: dict[tuple, Run] = {}      # one object per run: memoized per text
        self.firsts: dict[str, WordAnchor | None] = {}
        needs = {p: self.need(p) for p in sorted(every)}
        self.needs = list(needs.values())
        self.key_bits = key_bits(self.needs)
        # off topic (no domain cue in the document) only ungated rules count
        self.by_syllable = {True: trigger_index(self.needs),
                            False: trigger_index([needs[p] for p in sorted(ungated)])}

    def need(self, pattern: str) -> Need:
        """Keys from the required items; one regex per run of items between
        two gaps, optional items inside it as optional groups."""
        keys, runs, run = [], [], []
        for item in pattern.split() + ["~0"]:  # a last gap closes the last run
            if GAP.match(item):
                if any(op in ("", "+") for _, op, _, _ in run):
                    runs.append(self.anchored_run(run))
                run = []
                continue
            op = item[-1] if item[-1] in "?*+" else ""
            core = item.rstrip("?*+")
            regex, key = self.item(core)
            run.append((regex, op, "number" if core in NUMBER_ITEMS else "class" if core[0] == "@" else "word", core))
            if key is not None and op in ("", "+"):
                keys.append(key)
        return Need(keys, runs, pattern=pattern)

    def anchored_run(self, run: list[tuple]) -> "Run":
        """The run from its first required item on, matched only where that
        item can start (Run): leading optional items can only widen where a
        match starts, and the next run is still searched after it."""
        first = next(i for i, (_, op, _, _) in enumerate(run) if op in ("", "+"))
        run = run[first:]
        regex, op, kind, core = run[0]
        anchor = ((PERCENT_KEY if core == "PCT" else NUMBER_KEY) if kind == "number"
                  else self.first_syllables(core))
        source = self.run_source(run, edge=anchor is None)
        key = (source, anchor)
        if key not in self.anchored:
            self.anchored[key] = Run(self.regexes[source], anchor)
        return self.anchored[key]

    def first_syllables(self, core: str) -> "WordAnchor | None":
        if core not in self.firsts:  # many runs start with the same item: read its regexes once
            self.firsts[core] = self.item_anchor(core)
        return self.firsts[core]

    def item_anchor(self, core: str) -> "WordAnchor | None":
        """The letters each of an item's options starts with: the first word
        of a phrase ("cb" of "cb, cc"), the prefixes a regex class's matches
        begin with (extract/firstwords.py). None when some option may start
        with no letter: such a run is searched for."""
        item = self.words and expand_words(core, self.words)
        phrases, regexes = [], []
        for option in item.split("|"):
            name = option[1:]
            if option.startswith("@") and len(self.lexicon.sources[name]) > len(self.lexicon.classes[name]):
                regexes += self.lexicon.sources[name]  # its phrases' regexes are in sources too
            else:
                phrases += self.lexicon.classes[name] if option.startswith("@") else [option.replace("_", " ")]
        firsts = [normalize(p).lower().strip() for p in phrases]
        words = {m.group() for m in map(LETTERS.match, firsts) if m}
        marks = {f[0] for f in firsts if f and not LETTERS.match(f)}
        prefixes = first_prefixes(regexes) if regexes else frozenset()
        if prefixes is None or any(not f or f[0].isdigit() or f[0] == "_" for f in firsts):
            return None
        return WordAnchor(frozenset(words | prefixes), whole=not regexes, marks=frozenset(marks))

    def run_source(self, run: list[tuple], edge: bool = True) -> str:
        """The run's regex source (registered in self.regexes); edge=False
        leaves out the word edge before it (an anchored run is matched at
        a word start only)."""
        parts = []
        for i, (regex, op, kind, _) in enumerate(run):
            if kind == "class" and 0 < i < len(run) - 1:  # annotate merges "xã, phường" into one token
                regex = f"{regex}(?:\\s*{LIST_JOINER}\\s*{regex})*"
            parts.append(f"(?:{regex}\\s*){op}" if op else f"{regex}\\s*")
        # Word edges only where a word starts or ends the run: underthesea
        # splits "23h" into "23" + "h", so a number may touch a letter.
        before = r"(?<!\w)" if edge and word_edge(run) else ""
        after = r"(?!\w)" if word_edge(run[::-1]) else ""
        source = before + "".join(parts) + after
        # Searched in lower-cased text: without IGNORECASE re is twice as fast.
        unescaped = ESCAPE.sub("", source)  # islower() first: in C, and true of nearly every source
        cased = not unescaped.islower() and any(c.isupper() for c in unescaped)
        flags = re.IGNORECASE if cased else 0
        self.regexes.setdefault(source, LazyRegex(source, flags))
        return source

    def item(self, item: str) -> tuple[str, frozenset | None]:
        if item in NUMBER_ITEMS:
            return (PERCENT_TEXT, frozenset([PERCENT_KEY])) if item == "PCT" else (NUMBER_TEXT, frozenset([NUMBER_KEY]))
        item = self.words and expand_words(item, self.words)
        regexes, keys = [], set()
        for option in item.split("|"):
            if option.startswith("@"):
                name = option[1:]
                regexes += self.lexicon.sources[name]
                keys = joined(keys, key_syllables(self.lexicon.classes[name]), self.lexicon.keywords.get(name, []))
            else:
                regexes.append(phrase_regex(option.replace("_", " ")))
                keys = joined(keys, key_syllables([option.replace("_", " ")]))
        return "(?:" + "|".join(f"(?:{r})" for r in regexes) + ")", (frozenset(keys) if keys is not None else None)

    def search(self, text: str, on_topic: bool = True) -> bool:
        """Can a rule match in this text? Off topic, only rules whose facts
        need no domain cue are considered."""
        lowered, syllables, present, found = self.scan(text)
        for need in self.triggered(syllables, on_topic):
            if need.met(present) and runs_in_order(need.runs, lowered, found):
                return True
        return False

    def passing(self, text: str) -> frozenset:
        """The patterns whose needs this text meets, whatever its topic: the
        only ones that can match it, so the only ones a sentence is matched
        with (RuleSet.matches)."""
        lowered, syllables, present, found = self.scan(text)
        return frozenset(need.pattern for need in self.triggered(syllables)
                         if need.met(present) and runs_in_order(need.runs, lowered, found))

    def scan(self, text: str) -> tuple[str, set, int, dict]:
        """What the needs are tested on: the lower-cased text, its syllables,
        the key bits they set, and an empty memo of run starts."""
        lowered = text.lower()
        syllables = syllables_of(lowered)
        return lowered, syllables, self.present(syllables), {}

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


def word_edge(run: list[tuple]) -> bool:
    """Can only a word or class item start the run (all before it optional)?"""
    for _, op, kind, _ in run:
        if kind == "number":
            return False
        if op in ("", "+"):
            return True
    return True


def runs_in_order(runs: list[Run], text: str, found: dict) -> bool:
    """Each run found after the start of the previous one. A rule's match
    has its runs in this order, one after another; the leftmost match of
    each run starts before that run of the rule's match ends, so the next
    search starts no later than the next run: a real match is never rejected."""
    pos = 0
    for run in runs:
        start = first_start(run, text, pos, found)
        if start < 0:
            return False
        pos = start + 1
    return True


def first_start(run: Run, text: str, pos: int, found: dict) -> int:
    """Where the run first matches in text at or after pos (-1: nowhere); the
    answer from 0 is kept per text, since patterns share many runs."""
    if run not in found:
        found[run] = run_start(run, text, 0, found)
    first = found[run]
    if first < 0 or first >= pos:
        return first
    return run_start(run, text, pos, found)


def run_start(run: Run, text: str, pos: int, found: dict) -> int:
    """One search through the text, or a match tried at each place the run's
    first item can start (a few numbers or words: ~10x cheaper, issue 11)."""
    if run.anchor is None:
        match = run.regex.search(text, pos)
        return match.start() if match else -1
    starts = anchor_starts(run.anchor, text, found)
    for start in starts[bisect.bisect_left(starts, pos):]:
        if run.regex.match(text, start):
            return start
    return -1


# Where a number can start: the first digit of a run of digits and separators
# (a match starting inside "1.402" also matches from its first digit).
NUMBER_START = re.compile(r"\d[\d.,/]*")
PERCENT_START = re.compile(r"\d[\d.,]*")
LETTERS = re.compile(r"[^\W\d_]+")  # a run of letters: underthesea never starts a token inside one


class WordAnchor(NamedTuple):
    """A run starts where a word is one of `words` (whole) or begins with
    one, or at one of the `marks` (punctuation: ",", "(")."""
    words: frozenset
    whole: bool = True
    marks: frozenset = frozenset()


def anchor_starts(anchor, text: str, found: dict) -> list[int]:
    """Sorted places in text where an anchor can start, memoized per text:
    a number's first digit or a number word, or a word of the anchor's."""
    key = ("anchor", anchor)
    if key not in found:
        if anchor in (NUMBER_KEY, PERCENT_KEY):
            digits = NUMBER_START if anchor == NUMBER_KEY else PERCENT_START
            starts = [m.start() for m in digits.finditer(text)] + words_at(NUMBER_WORDS_SET, text, found)
        else:
            starts = words_at(anchor.words, text, found, anchor.whole) + marks_at(anchor.marks, text)
        found[key] = sorted(starts)
    return found[key]


def words_at(syllables, text: str, found: dict, whole: bool = True) -> list[int]:
    # most of an anchor's syllables are not in the text: a substring test in C
    # turns them away before a call (a third of the pre-filter's time, issue 11)
    return [at for syllable in syllables if syllable in text for at in word_starts(syllable, text, found, whole)]


def marks_at(marks, text: str) -> list[int]:
    starts = []
    for mark in marks:
        at = text.find(mark)
        while at >= 0:
            starts.append(at)
            at = text.find(mark, at + 1)
    return starts


def word_starts(syllable: str, text: str, found: dict, whole: bool = True) -> list[int]:
    """Where a word is syllable (whole) or starts with it: no letter right
    before it (nor, whole, right after)."""
    key = ("word", syllable, whole)
    if key not in found:
        starts, at, size = [], text.find(syllable), len(syllable)
        while at >= 0:
            if (at == 0 or not text[at - 1].isalpha()) and not (whole and text[at + size:at + size + 1].isalpha()):
                starts.append(at)
            at = text.find(syllable, at + 1)
        found[key] = starts
    return found[key]


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


def syllables_of(lowered: str) -> set[str]:
    """The syllables of a lower-cased text, plus a key each for "has a
    number", "has a %"."""
    syllables = set(SYLLABLE.findall(lowered))
    if DIGIT.search(lowered) or not syllables.isdisjoint(NUMBER_WORDS_SET):
        syllables.add(NUMBER_KEY)
    if "%" in lowered or "phần trăm" in lowered:
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


NUMBER_WORDS_SET = set(NUMBER_WORDS)


def key_syllables(phrases) -> set[str] | None:
    """One syllable each phrase must contain: its least frequent ("trách" of
    "người hoạt động không chuyên trách", "tán" of "tán thành"). Any of its
    syllables would be right; a rare one keeps the phrase's rules out of
    paragraphs that do not hold it. None when a phrase has no syllable at
    all ("," of "NUM @CASE , trong đó ..."): its item is checked by its runs."""
    keys = [SYLLABLE.findall(normalize(p).lower()) for p in phrases]
    return None if not all(keys) else {key_syllable(words) for words in keys}


def joined(keys: set | None, *more) -> set | None:
    """Keys of an item's options together; None (no key) wins."""
    if keys is None or any(m is None for m in more):
        return None
    return keys.union(*more)


def key_syllable(words: list[str]) -> str:
    """The least frequent of a phrase's syllables (the last of equals)."""
    return max(reversed(words), key=lambda w: SYLLABLE_RANK.get(w, len(SYLLABLE_RANK)))


def expand_words(item: str, words: dict) -> str:
    """A context word list (IMPLEMENT, APPROX ...) wherever it stands in an
    alternation, as the rule compiler reads it: 'IMPLEMENT|có' once stayed a
    literal here and the pre-filter turned away every sentence it matched."""
    return "|".join("|".join(o.replace(" ", "_") for o in words[option]) if option in words else option
                    for option in item.split("|"))
