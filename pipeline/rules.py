"""Rules are data: load, validate and compile the files under rules/.

- rules/lexicon.yaml: classes of phrases ("HAMLET": thôn, ấp, khu phố ...),
  matched on word boundaries and merged into one token of that class;
- rules/context.yaml: the words that decide approx, change, status, dates;
- rules/indicators/*.yaml: the rules, each with a stable id, its indicator,
  token patterns and its own examples and counterexamples.

Patterns are written in a compact notation compiled to spaCy Matcher
patterns (see rules/README.md). Errors name the file and the rule.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from spacy.matcher import Matcher

from pipeline.annotate import VOCAB
from pipeline.vntext import normalize

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
INDICATORS = (
    "secretary_hamlet_head", "secretary_committee_chair", "secretary_council_chair",
    "concurrent_post", "non_local_leader", "part_time_staff", "civil_servant",
    "leader_post", "admin_unit", "hamlet", "agency", "public_service_unit",
    "party_org", "voter_approval",
)
# A rule whose indicator is PREVIOUS reads a figure about the paragraph's
# previous fact ("tỷ lệ này đạt 30%"): it takes that fact's indicator.
PREVIOUS = "previous"
LEVELS = ("hamlet", "commune", "district", "province")
RULE_KEYS = {
    "id", "indicator", "patterns", "priority", "level", "change", "status",
    "approx", "exclude_before", "exclude_after", "examples", "counterexamples", "note",
}
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

    def find(self, sentence: str) -> list[tuple[int, int, str]]:
        """(start, end, class) of every lexicon phrase, leftmost-longest."""
        found = []
        for match in self.pattern.finditer(sentence.lower()):
            group = match.lastgroup
            name = self.phrase_class[" ".join(match.group().split())] if group == "phrase" else self.group_class[group]
            found.append((match.start(), match.end(), name))
        return found


@dataclass
class RuleSet:
    rules: dict[str, Rule]
    lexicon: Lexicon
    context: dict
    version: str
    matcher: Matcher
    keywords: "Prefilter"  # .search(sentence): can a rule match here?


def read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RuleError(path, None, f"not valid YAML: {error}") from None
    except UnicodeDecodeError:
        raise RuleError(path, None, "not UTF-8 text") from None


def phrase_regex(phrase: str) -> str:
    """A phrase as regex: words separated by any whitespace."""
    return r"\s+".join(re.escape(word) for word in normalize(phrase).lower().split())


def build_lexicon(path: Path, context: dict) -> Lexicon:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("classes"), dict):
        raise RuleError(path, None, "expected a mapping with 'classes'")
    classes, levels, sources, composite, phrase_class, keywords = {}, {}, {}, [], {}, {}
    for name, spec in data["classes"].items():
        phrases, regexes, level, keywords[name] = class_entries(path, name, spec)
        classes[name], levels[name] = phrases, level
        sources[name] = regexes + [phrase_regex(p) for p in phrases]
        composite += [(name, r) for r in regexes]
        for phrase in phrases:
            key = " ".join(normalize(phrase).lower().split())
            if phrase_class.setdefault(key, name) != name:
                raise RuleError(path, None, f"phrase '{phrase}' is in both {phrase_class[key]} and {name}")
    # composite (regex) classes are tried first; then all phrases as one trie,
    # which finds the longest phrase at a position without trying each in turn
    group_class = {f"g{n}": name for n, (name, _) in enumerate(composite)}
    parts = [f"(?P<g{n}>{regex})" for n, (_, regex) in enumerate(composite)]
    parts.append(f"(?P<phrase>{trie_regex([k.split() for k in phrase_class])})")
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
    words = lambda key: {normalize(w).lower() for w in context.get(key, [])}
    return Lexicon(classes, levels, pattern, group_class, words("document_words"), words("date_words"),
                   words("year_words"), words("measure_words"), sources, phrase_class, keywords)


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


def class_entries(path, name, spec):
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(name)):
        raise RuleError(path, None, f"class name '{name}' must be UPPER_CASE")
    if isinstance(spec, list):
        spec = {"phrases": spec}
    if not isinstance(spec, dict) or not (spec.get("phrases") or spec.get("regex")):
        raise RuleError(path, None, f"class '{name}' needs 'phrases' or 'regex'")
    level = spec.get("level")
    if level is not None and level not in LEVELS:
        raise RuleError(path, None, f"class '{name}': level must be one of {LEVELS}")
    regexes = [normalize(r).lower() for r in spec.get("regex", [])]
    for regex in regexes:
        try:
            re.compile(regex)
        except re.error as error:
            raise RuleError(path, None, f"class '{name}': bad regex {regex!r}: {error}") from None
    keywords = spec.get("keywords")
    if regexes and not (isinstance(keywords, list) and keywords):
        raise RuleError(path, None, f"class '{name}': a regex class needs 'keywords' (syllables every match contains one of)")
    return [str(p) for p in spec.get("phrases", [])], regexes, level, [normalize(k).lower() for k in keywords or []]


def compile_pattern(text: str, classes: dict, path, rule_id, words: dict | None = None) -> list[dict]:
    """The compact notation -> one spaCy Matcher pattern."""
    tokens = []
    for item in text.split():
        for name, options in (words or {}).items():  # named word lists from context.yaml
            item = re.sub(rf"^{name}(?=[?*+]?$)", "|".join(o.replace(" ", "_") for o in options), item)
        op = item[-1] if item[-1] in OPS and len(item) > 1 else None
        core = item[:-1] if op else item
        token = compile_item(core, classes, path, rule_id)
        if op:
            token["OP"] = op
        tokens.append(token)
    return tokens


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
    words = [normalize(o.replace("_", " ")).lower() for o in options]
    return {"LOWER": {"IN": words}}


def validate_rule(raw, path: Path, classes) -> Rule:
    if not isinstance(raw, dict) or "id" not in raw:
        raise RuleError(path, None, f"each rule needs an 'id' (got {str(raw)[:60]!r})")
    rule_id = str(raw["id"])
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleError(path, rule_id, f"unknown key(s) {sorted(unknown)}")
    if raw.get("indicator") not in INDICATORS + (PREVIOUS,):
        raise RuleError(path, rule_id, f"indicator must be one of FACTS.md's 14 keys or '{PREVIOUS}', "
                                       f"got {raw.get('indicator')!r}")
    patterns = raw.get("patterns")
    if not patterns or not all(isinstance(p, str) for p in patterns):
        raise RuleError(path, rule_id, "'patterns' must be a non-empty list of strings")
    check_choice(raw, "level", LEVELS, path, rule_id)
    check_choice(raw, "change", ("count", "decrease", "increase"), path, rule_id)
    check_choice(raw, "status", ("achieved", "target"), path, rule_id)
    check_choice(raw, "approx", ("exact", "at_least", "at_most", "about"), path, rule_id)
    check_examples(raw, path, rule_id)
    fields = {k: v for k, v in raw.items() if k not in ("id", "patterns")}
    return Rule(id=rule_id, patterns=list(patterns), path=str(path), **fields)


def check_choice(raw, key, choices, path, rule_id):
    if raw.get(key) is not None and raw[key] not in choices:
        raise RuleError(path, rule_id, f"'{key}' must be one of {choices}, got {raw[key]!r}")


def check_examples(raw, path, rule_id):
    examples = raw.get("examples") or []
    if not examples or not raw.get("counterexamples"):
        raise RuleError(path, rule_id, "needs at least one example and one counterexample")
    for example in examples:
        if not isinstance(example, dict) or "text" not in example or not isinstance(example.get("expect"), dict):
            raise RuleError(path, rule_id, "each example needs 'text' and an 'expect' mapping")


def load_rule_files(rules_dir: Path, classes) -> dict[str, Rule]:
    rules = {}
    for path in sorted((rules_dir / "indicators").glob("*.yaml")):
        data = read_yaml(path) or []
        if not isinstance(data, list):
            raise RuleError(path, None, "expected a list of rules")
        for raw in data:
            rule = validate_rule(raw, path, classes)
            if rule.id in rules:
                raise RuleError(path, rule.id, f"duplicate id (also in {rules[rule.id].path})")
            rules[rule.id] = rule
    return rules


def rules_version(rules_dir: Path) -> str:
    """Content hash of every rule file: changes whenever a rule changes."""
    digest = hashlib.sha256()
    for path in sorted(rules_dir.glob("*.yaml")) + sorted((rules_dir / "indicators").glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def build_matcher(rules: dict[str, Rule], classes, words) -> Matcher:
    matcher = Matcher(VOCAB, validate=True)
    for rule in rules.values():
        compiled = [compile_pattern(p, classes, rule.path, rule.id, words) for p in rule.patterns]
        try:
            matcher.add(rule.id, compiled)
        except ValueError as error:
            raise RuleError(rule.path, rule.id, f"invalid pattern: {error}") from None
    return matcher


def load_ruleset(rules_dir: str | Path | None = None) -> RuleSet:
    """The rule set under rules_dir (default: $VNFACTS_RULES, else rules/)."""
    path = Path(rules_dir or os.environ.get("VNFACTS_RULES") or RULES_DIR).resolve()
    if not (path / "lexicon.yaml").is_file():
        raise RuleError(path, None, "not a rules folder (no lexicon.yaml)")
    return cached_ruleset(path, rules_version(path))


@lru_cache(maxsize=8)
def cached_ruleset(rules_dir: Path, version: str) -> RuleSet:
    """Compiled once per content version, so edited rule files are reloaded."""
    context = read_yaml(rules_dir / "context.yaml")
    if not isinstance(context, dict):
        raise RuleError(rules_dir / "context.yaml", None, "expected a mapping of word lists")
    lexicon = build_lexicon(rules_dir / "lexicon.yaml", context)
    rules = load_rule_files(rules_dir, lexicon.classes)
    matcher = build_matcher(rules, lexicon.classes, context.get("pattern_words", {}))
    from pipeline.prefilter import Prefilter

    return RuleSet(rules, lexicon, context, version, matcher,
                   Prefilter(lexicon, rules, context.get("pattern_words", {}), context.get("domain_gated", ())))
