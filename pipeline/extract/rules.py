"""Rules are data: load, validate and compile the files under rules/.

- rules/lexicon.yaml: classes of phrases ("HAMLET": thôn, ấp, khu phố ...),
  matched on word boundaries and merged into one token of that class, and
  the `indicators:` a rule may produce (with a default level);
- rules/context.yaml: the words that decide approx, change, status, dates;
- rules/indicators/*.yaml: the rules, each with a stable id, its indicator,
  token patterns and its own examples and counterexamples.

Patterns are written in a compact notation compiled to spaCy Matcher
patterns (see rules/README.md). Errors name the file and the rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pipeline.extract.imports  # noqa: F401 - first: spaCy, underthesea without what is never used
import yaml
from spacy.matcher import Matcher

from pipeline import regex_cache
from pipeline.extract import budget
from pipeline.extract.annotate import VOCAB
from pipeline.extract.confidence import FEATURES
from pipeline.extract.notation import (
    Lexicon,
    Rule,
    RuleError,
    compile_pattern,
    longest_match,
    phrase_regex,
    trie_regex,
)
from pipeline.extract.prefilter import Prefilter
from pipeline.extract.version import rules_version  # the hash alone, without spaCy (issue 11)
from pipeline.lang.siteplaces import yaml_loader
from pipeline.lang.vntext import normalize
from pipeline.paths import RULES_DIR

# A rule whose indicator is PREVIOUS reads a figure about the paragraph's
# previous fact ("tỷ lệ này đạt 30%"): it takes that fact's indicator.
PREVIOUS = "previous"
LEVELS = ("hamlet", "commune", "district", "province")
LEXICON_KEYS = {"classes", "indicators"}
CLASS_KEYS = {"phrases", "regex", "level", "keywords", "names_indicator"}
INDICATOR_KEYS = {"level", "description"}
CONFIDENCE_KEYS = {"fitted_on", "rules", "bias", "weights", "reliability", "cross_validated"}
# Every key of context.yaml and what it holds (a list of words, a mapping of
# lists, a regex string); context.compiled / rules read each one.
CONTEXT_KEYS = {
    "approx": dict, "approx_after": dict, "approx_stops": list, "change": dict, "change_not": list, "breakdown": list,
    "count_markers": list, "target_before": list, "target_after": list, "achieved": list,
    "target_frames": list, "instruction_words": list, "status_not": list, "weak_target": list, "decided": dict, "before_state": list, "after_state": list, "state_not": list,
    "as_of_cues": list, "deadline_cues": list, "date_parts": dict, "effective_date": dict, "as_of_now": list, "as_of_now_not": list, "past_scope": list,
    "target_year_words": list, "period_words": list, "document_words": list, "date_words": list, "day_month_words": list,
    "year_words": list, "exclude_before": list, "negation_after": list, "per_unit": dict, "not_names": list,
    "trailing_share": dict, "award": list, "over_plan": str, "pattern_words": dict, "measure_words": list,
    "domain_gated": list, "domain_cues": list, "named_list_gated": list, "doubt_after": list, "doubt_before": list,
    "level_inside": dict, "owner_level": dict, "breakdown_parts": dict,
}
# context.yaml `breakdown_parts` (extract/breakdown.py): word lists, and `kinds` (lexicon class -> indicator)
PARTS_KEYS = {"indicators", "opens", "kinds", "kind_stops", "continues", "state_words", "scope_classes",
              "clause_verbs", "respective", "list_separators"}
RULE_KEYS = {
    "id", "indicator", "patterns", "priority", "level", "change", "status",
    "approx", "exclude_before", "exclude_after", "exclude_sentence", "examples", "counterexamples", "note",
}


# tokens a long sentence is matched at a time (RuleSet.matches): the matches
# are those of the whole sentence (the gold sets give the same facts with a
# window of 4), found in time linear in its length
WINDOW = 64


@dataclass
class RuleSet:
    rules: dict[str, Rule]
    lexicon: Lexicon
    context: dict
    version: str
    matcher: Matcher
    keywords: Prefilter  # .search(sentence): can a rule match here?
    confidence: dict = None  # rules/confidence.yaml: the fitted confidence model (extract/confidence.py)
    # matcher key -> (its rule, the most tokens its pattern may span), so that a
    # match is read without a string lookup; reach: the most any pattern may span
    spans: dict = field(default_factory=dict)
    reach: int = 0
    rank: dict = field(default_factory=dict)     # rule id -> its place in load order (ties of facts.ranked_matches)
    by_pattern: dict = field(default_factory=dict)  # pattern text -> a Matcher of its keys only, built on first use

    def matches(self, doc, window: int = WINDOW, patterns=None):
        """(rule, longest, start, end) of every match in doc; with `patterns`
        (Prefilter.passing), of those patterns only: a sentence most rules
        cannot match is not run through their ~180 patterns (issue 11).

        A long sentence (a page without full stops, a list run together) is
        matched in windows of `window` tokens that overlap by `reach`: a
        match longer than its pattern's longest is never used, so every match
        that is lies whole in some window, while the candidates of a gap grow
        with the window, not with the sentence (linear, not quadratic)."""
        matchers = [self.matcher] if patterns is None else [self.pattern_matcher(p) for p in sorted(patterns)]
        for matcher in matchers:
            if len(doc) <= window + self.reach:
                found = matcher(doc)
            else:
                found = dict.fromkeys((key, begin + start, begin + end)
                                      for begin in range(0, len(doc) - self.reach, window)
                                      for key, start, end in self.window(matcher, doc, begin, window))
            for key, start, end in found:
                rule, longest = self.spans[key]
                yield rule, longest, start, end

    def window(self, matcher, doc, begin: int, window: int):
        budget.check()  # a window is the unit of matching work a time budget can stop between
        return matcher(doc[begin:begin + window + self.reach])

    def pattern_matcher(self, pattern: str) -> Matcher:
        if pattern not in self.by_pattern:
            self.by_pattern[pattern] = build_matcher(self.rules, self.lexicon.classes,
                                                     self.context.get("pattern_words", {}), only=pattern)
        return self.by_pattern[pattern]


# libyaml's parser when PyYAML has it (5x faster on rules/, issue 11); the
# constructor, the resolver and so the values are PyYAML's either way.
SAFE_LOADER = yaml_loader()


class UniqueKeyLoader(SAFE_LOADER):
    """YAML keeps the last of two equal keys without a word (a rule's second
    exclude_after list once replaced its first): here it is an error."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise RuleError(path, None, f"not valid YAML: {error}") from None
    except UnicodeDecodeError:
        raise RuleError(path, None, "not UTF-8 text") from None


def check_keys(path: Path, where: str, data: dict, known) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise RuleError(path, None, f"{where}unknown key(s) {unknown} (known: {', '.join(sorted(known))})")


# the sub-keys of context.yaml's mappings (pattern_words: any NAME)
CONTEXT_SUBKEYS = {
    "approx": {"at_least", "at_most", "about"}, "approx_after": {"at_least", "at_most", "about"},
    "change": {"decrease", "increase"}, "decided": {"deciders", "resolutions", "acts", "future"},
    "date_parts": {"end", "middle", "before"}, "effective_date": {"cues", "on_passing", "passing", "indicators"},
    "per_unit": {"words", "new_subject"}, "trailing_share": {"lead", "words", "change", "approx"},
    "level_inside": set(LEVELS), "owner_level": {"indicators", *LEVELS},
    "breakdown_parts": set(PARTS_KEYS),
}


def check_context(path: Path, context) -> dict:
    """context.yaml: every key known, each of the right kind, none missing."""
    if not isinstance(context, dict):
        raise RuleError(path, None, "expected a mapping of word lists")
    check_keys(path, "", context, CONTEXT_KEYS)
    for key, kind in CONTEXT_KEYS.items():
        if not isinstance(context.get(key), kind):
            raise RuleError(path, None, f"key '{key}' must be a {kind.__name__} (got {type(context.get(key)).__name__})")
        if key in CONTEXT_SUBKEYS:
            check_keys(path, f"{key}: ", context[key], CONTEXT_SUBKEYS[key])
    return context


def check_parts(path: Path, parts: dict, lexicon: Lexicon) -> None:
    """context.yaml `breakdown_parts`: every key there, of its kind, and the
    classes and indicators it names are the lexicon's."""
    for key in sorted(PARTS_KEYS):
        kind = dict if key == "kinds" else list
        if not isinstance(parts.get(key), kind):
            raise RuleError(path, None, f"breakdown_parts: '{key}' must be a {kind.__name__}")
    classes = {*parts["kinds"], *parts["scope_classes"]} - set(lexicon.classes)
    indicators = {*parts["kinds"].values(), *parts["indicators"]} - set(lexicon.indicators)
    if classes or indicators:
        raise RuleError(path, None, f"breakdown_parts: not in the lexicon: {sorted(classes) + sorted(indicators)}")


def read_indicators(path: Path, table) -> dict[str, dict]:
    """The lexicon's `indicators:` table: FACTS.md's keys, each with an
    optional default `level` and a `description`."""
    if not isinstance(table, dict) or not table:
        raise RuleError(path, None, "expected an 'indicators' mapping (indicator key -> level, description)")
    out = {}
    for name, spec in table.items():
        spec = spec or {}
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)) or name == PREVIOUS or not isinstance(spec, dict):
            raise RuleError(path, None, f"indicator '{name}' must be a lower_case key with a mapping")
        check_keys(path, f"indicator '{name}': ", spec, INDICATOR_KEYS)
        if spec.get("level") is not None and spec["level"] not in LEVELS:
            raise RuleError(path, None, f"indicator '{name}': level must be one of {LEVELS}")
        out[str(name)] = spec
    return out


def read_confidence(path: Path) -> dict:
    """rules/confidence.yaml (optional): per-rule [tp, fp] counts, the
    logistic model's bias and weights, and the reliability it was fitted to."""
    if not path.is_file():
        return {}
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise RuleError(path, None, "expected a mapping (rules, bias, weights)")
    check_keys(path, "", data, CONFIDENCE_KEYS)
    check_keys(path, "weights: ", data.get("weights") or {}, FEATURES)
    for rule_id, counts in (data.get("rules") or {}).items():
        if not (isinstance(counts, list) and len(counts) == 2 and all(isinstance(c, int) for c in counts)):
            raise RuleError(path, rule_id, "rules: each rule needs [tp, fp] counts")
    return data


def build_lexicon(path: Path, context: dict) -> Lexicon:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("classes"), dict):
        raise RuleError(path, None, "expected a mapping with 'classes'")
    check_keys(path, "", data, LEXICON_KEYS)
    indicators = read_indicators(path, data.get("indicators"))
    classes, levels, sources, composite, phrase_class, keywords, models = {}, {}, {}, [], {}, {}, {}
    for name, spec in data["classes"].items():
        phrases, regexes, level, keywords[name] = class_entries(path, name, spec)
        if named := named_indicator(path, name, spec, indicators):
            models[name] = named
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
    pattern = regex_cache.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")  # ~30 ms to compile anew
    words = lambda key: {normalize(w).lower() for w in context.get(key, [])}
    return Lexicon(classes, levels, pattern, group_class, words("document_words"), words("date_words"),
                   words("year_words"), words("measure_words"), sources, phrase_class, keywords, indicators, models,
                   words("day_month_words"))


def named_indicator(path, name, spec, indicators) -> str | None:
    """The indicator whose arrangement a bare mention of the class names
    (`names_indicator`): checked against the lexicon's indicators."""
    named = spec.get("names_indicator") if isinstance(spec, dict) else None
    if named is not None and named not in indicators:
        raise RuleError(path, None, f"class '{name}': names_indicator must be one of the lexicon's indicators, "
                                    f"got {named!r}")
    return named


def class_entries(path, name, spec):
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(name)):
        raise RuleError(path, None, f"class name '{name}' must be UPPER_CASE")
    if isinstance(spec, list):
        spec = {"phrases": spec}
    if not isinstance(spec, dict) or not (spec.get("phrases") or spec.get("regex")):
        raise RuleError(path, None, f"class '{name}' needs 'phrases' or 'regex'")
    check_keys(path, f"class '{name}': ", spec, CLASS_KEYS)
    level = spec.get("level")
    if level is not None and level not in LEVELS:
        raise RuleError(path, None, f"class '{name}': level must be one of {LEVELS}")
    regexes = [normalize(r).lower() for r in spec.get("regex", [])]
    for regex in regexes:
        try:
            regex_cache.compile(regex)
        except re.error as error:
            raise RuleError(path, None, f"class '{name}': bad regex {regex!r}: {error}") from None
    keywords = spec.get("keywords")
    if regexes and not (isinstance(keywords, list) and keywords):
        raise RuleError(path, None, f"class '{name}': a regex class needs 'keywords' (syllables every match contains one of)")
    return [str(p) for p in spec.get("phrases", [])], regexes, level, [normalize(k).lower() for k in keywords or []]


def validate_rule(raw, path: Path, indicators) -> Rule:
    if not isinstance(raw, dict) or "id" not in raw:
        raise RuleError(path, None, f"each rule needs an 'id' (got {str(raw)[:60]!r})")
    rule_id = str(raw["id"])
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleError(path, rule_id, f"unknown key(s) {sorted(unknown)}")
    if raw.get("indicator") not in (*indicators, PREVIOUS):
        raise RuleError(path, rule_id, f"indicator must be one of the lexicon's indicators or '{PREVIOUS}', "
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


def load_rule_files(rules_dir: Path, indicators) -> dict[str, Rule]:
    rules = {}
    for path in sorted((rules_dir / "indicators").glob("*.yaml")):
        data = read_yaml(path) or []
        if not isinstance(data, list):
            raise RuleError(path, None, "expected a list of rules")
        for raw in data:
            rule = validate_rule(raw, path, indicators)
            if rule.id in rules:
                raise RuleError(path, rule.id, f"duplicate id (also in {rules[rule.id].path})")
            rules[rule.id] = rule
    return rules


def build_matcher(rules: dict[str, Rule], classes, words, only: str | None = None) -> Matcher:
    """All the rules' patterns in one Matcher (or, `only`, the keys of one pattern text)."""
    matcher = Matcher(VOCAB, validate=only is None)
    for rule in rules.values():
        # one key per pattern ("rule#n"), so that a match is held to its own
        # pattern's gaps, not to the rule's longest pattern
        for n, text in enumerate(rule.patterns):
            if only is not None and text != only:
                continue
            try:
                matcher.add(f"{rule.id}#{n}", [compile_pattern(text, classes, rule.path, rule.id, words)])
            except ValueError as error:
                raise RuleError(rule.path, rule.id, f"invalid pattern: {error}") from None
    return matcher


def pattern_spans(rules: dict[str, Rule]) -> dict[int, tuple[Rule, int]]:
    """Each matcher key ("rule#n", as build_matcher names it) -> (rule, longest match)."""
    return {VOCAB.strings.add(f"{rule.id}#{n}"): (rule, longest_match(text))
            for rule in rules.values() for n, text in enumerate(rule.patterns)}


def load_ruleset(rules_dir: str | Path | None = None) -> RuleSet:
    """The rule set under rules_dir (default: $VNFACTS_RULES, else rules/)."""
    path = Path(rules_dir or RULES_DIR).resolve()
    if not (path / "lexicon.yaml").is_file():
        raise RuleError(path, None, "not a rules folder (no lexicon.yaml)")
    return cached_ruleset(path, rules_version(path))


@lru_cache(maxsize=8)
def cached_ruleset(rules_dir: Path, version: str) -> RuleSet:
    """Compiled once per content version, so edited rule files are reloaded."""
    context = check_context(rules_dir / "context.yaml", read_yaml(rules_dir / "context.yaml"))
    lexicon = build_lexicon(rules_dir / "lexicon.yaml", context)
    check_parts(rules_dir / "context.yaml", context["breakdown_parts"], lexicon)
    rules = load_rule_files(rules_dir, lexicon.indicators)
    matcher = build_matcher(rules, lexicon.classes, context.get("pattern_words", {}))
    spans = pattern_spans(rules)
    return RuleSet(rules, lexicon, context, version, matcher,
                   Prefilter(lexicon, rules, context.get("pattern_words", {}), context.get("domain_gated", ())),
                   read_confidence(rules_dir / "confidence.yaml"), spans=spans,
                   reach=max((limit for _, limit in spans.values()), default=0),
                   rank={rule_id: n for n, rule_id in enumerate(rules)})
