"""What a fact is in code: the numbers a match anchors on and where a token
range stands in the sentence (the quote's character offsets)."""
from __future__ import annotations

# the tags of a number a count fact can be about (annotate.py tags them)
ANCHOR_TAGS = ("CARD", "CARDW", "FRAC")


def char_span(doc, sentence, start, end) -> tuple[int, int]:
    """Characters of tokens start..end-1 in the sentence text."""
    offsets = doc.user_data["offsets"]
    return offsets[start][0], offsets[end - 1][1]
