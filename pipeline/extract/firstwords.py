"""The letters a regex's matches can start with, read from the regex itself.

The pre-filter tries a run of a rule's pattern only where its first item can
start (extract/prefilter.py). For a composite class written as regexes
("(phó )?bí thư ... kiêm chủ tịch ...") that place is a word beginning with
one of the prefixes found here ("phó", "bí"): a match tried at every such
word is a search of the whole text without the scan (issue 11).
"""
from __future__ import annotations

import re
from re import _constants as sre
from re import _parser

LIMIT = 64        # more different starts than this: the regex is searched for
LONGEST = 24      # letters a prefix keeps: enough to tell words apart


def first_prefixes(sources: list[str]) -> frozenset | None:
    """Letters every match of one of the regexes starts with (a word of the
    text begins with one of them), or None when a match may start with
    something else (a digit, any character) or there are too many."""
    found: set[str] = set()
    for source in sources:
        try:
            items = list(_parser.parse(source))
        except re.error:
            return None
        if not walk(items, "", found):
            return None
    return frozenset(found) if len(found) <= LIMIT else None


def walk(items: list, prefix: str, found: set) -> bool:
    """Add to `found` the letters that start the matches of `items` after
    `prefix`; False when some match's start is not known to be letters."""
    if not items or len(prefix) >= LONGEST or len(found) > LIMIT:
        return keep(prefix, found)
    (op, value), rest = items[0], items[1:]
    if op is sre.LITERAL:
        return walk(rest, prefix + chr(value).lower(), found) if chr(value).isalpha() else keep(prefix, found)
    if op is sre.SUBPATTERN:
        return walk(list(value[3]) + rest, prefix, found)
    if op is sre.BRANCH:
        return all(walk(list(branch) + rest, prefix, found) for branch in value[1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return repeat(value, op, rest, prefix, found)
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # zero width: leaving one out only widens the starts
        return walk(rest, prefix, found)
    return keep(prefix, found)  # a class of characters, any character ...: the known letters end here


def repeat(value, op, rest: list, prefix: str, found: set) -> bool:
    """X{low,high}: no X (when low is 0), or one X then X{low-1,high-1}."""
    low, high, body = value
    more = [] if high == 1 else [(op, (max(low - 1, 0), high if high is sre.MAXREPEAT else high - 1, body))]
    once = walk(list(body) + more + rest, prefix, found)
    return once and (low > 0 or walk(rest, prefix, found))


def keep(prefix: str, found: set) -> bool:
    """The start is known up to here; nothing known is no anchor."""
    if not prefix:
        return False
    found.add(prefix)
    return True
