"""Word lists of rules/context.yaml as regexes: matched on word boundaries,
ignoring case, longest phrase first."""
from __future__ import annotations

import re

from pipeline import regex_cache
from pipeline.lang.vntext import normalize


def alternation(words) -> str:
    # longest first; equal lengths in a fixed order, so the source is the
    # same in every process (regex_cache keys on it; a set's order is not)
    ordered = sorted({normalize(w).lower() for w in words}, key=lambda w: (-len(w), w))
    return "|".join(map(re.escape, ordered)) or "(?!)"


def word_regex(words) -> re.Pattern:
    return regex_cache.compile(r"(?<!\w)(" + alternation(words) + r")(?!\w)", re.I)


def last_match(pattern: re.Pattern, text: str):
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def blank(pattern: re.Pattern, text: str) -> str:
    """text with every match of pattern replaced by spaces (offsets kept)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)
