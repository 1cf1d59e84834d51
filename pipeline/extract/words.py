"""Word lists of rules/context.yaml as regexes: matched on word boundaries,
ignoring case, longest phrase first."""
from __future__ import annotations

import re

from pipeline.lang.vntext import normalize


def alternation(words) -> str:
    ordered = sorted({normalize(w).lower() for w in words}, key=len, reverse=True)
    return "|".join(map(re.escape, ordered)) or "(?!)"


def word_regex(words) -> re.Pattern:
    return re.compile(r"(?<!\w)(" + alternation(words) + r")(?!\w)", re.I)


def last_match(pattern: re.Pattern, text: str):
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def blank(pattern: re.Pattern, text: str) -> str:
    """text with every match of pattern replaced by spaces (offsets kept)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)
