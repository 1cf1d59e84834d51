"""Vietnamese text handling, in one place.

Normalization (Unicode NFC, one tone-placement style, no-break and odd
spaces) and the reading of numbers as the press writes them
("1.402" = 1402, "07" = 7, "19,7%" = 19.7, "một" = 1).
"""
from __future__ import annotations

import re
import unicodedata

# Tone marks as combining characters (NFD).
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
ODD_SPACES = re.compile(r"[\x1f\u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff\u200b]")
# Line and paragraph breaks other than \n: vertical tab (a manual line break
# in word processors), form feed, file/group/record separators, NEL, U+2028/9.
LINE_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
HYPHENS = re.compile(r"[\u00ac\u2010\u2011\u2012\u2013\u2014\u2212]")
# Old style puts the tone on the second vowel of a syllable-final oa/oe/uy
# ("hoá", "uỷ"); we store the style most Vietnamese sites now use ("hóa", "ủy").
# Worked on NFC text: each toned a/e/y maps to (tone mark, bare vowel).
_TONED = {unicodedata.normalize("NFC", base + mark): (mark, base)
          for base in "aAeEyY" for mark in TONE_MARKS}
OLD_TONE = re.compile(r"(?<![qQ])([oOuU])([" + "".join(_TONED) + r"])(?![\w\u0300-\u036f])")


def _move_tone(m: re.Match) -> str:
    mark, vowel = _TONED[m.group(2)]
    return unicodedata.normalize("NFC", m.group(1) + mark) + vowel


NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
    "tám": 8, "chín": 9, "mười": 10,
}
# "9" written 400 times reads as inf; 30 digits are no figure a text means
# either (a bound well above any count, so bounds.py still sees and counts a
# misread 1e21, and "... triệu" times it stays finite).
NOT_A_FIGURE = 1e30
NUMBER_TOKEN = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^\d+(?:[.,]\d+)?$")


def normalize(text: str) -> str:
    """NFC, new tone placement, plain spaces; keeps length-changing edits minimal."""
    text = ODD_SPACES.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = LINE_BREAKS.sub("\n", text)
    text = HYPHENS.sub("-", text)
    return fix_tone_placement(unicodedata.normalize("NFC", text))


def fix_tone_placement(text: str) -> str:
    """Move old-style tone marks: "hoá" -> "hóa", "thuỷ" -> "thủy" (NFC in, NFC out)."""
    return OLD_TONE.sub(_move_tone, text)


def parse_number(token: str) -> float | None:
    """Read a number as Vietnamese press writes it; None if it is not one.

    "." groups thousands ("1.402"), "," is the decimal mark ("19,7");
    a dot followed by other than three digits is a decimal point ("12.5").
    Finite or None; whether a figure can be a fact's is extract/bounds.py's call.
    """
    token = token.strip()
    word = NUMBER_WORDS.get(token.lower())
    if word is not None:
        return float(word)
    if not NUMBER_TOKEN.match(token):
        return None
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    number = float(token.replace(",", "."))
    return number if number < NOT_A_FIGURE else None


def as_int_if_whole(number: float | None):
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number


def is_vietnamese(text: str, minimum: float = 0.02) -> bool:
    """Cheap check: enough Vietnamese-specific letters among the letters."""
    sample = text[:1500]  # ~300 words decide it; the letter counts are per character
    letters = len(LETTER.findall(sample))
    if letters < 20:
        return False
    return len(VIETNAMESE_LETTER.findall(sample)) / letters >= minimum


VIETNAMESE_LETTERS = set(
    "ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    "ĂÂĐÊÔƠƯÀẢÃÁẠẰẲẴẮẶẦẨẪẤẬÈẺẼÉẸỀỂỄẾỆÌỈĨÍỊÒỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙỦŨÚỤỪỬỮỨỰỲỶỸÝỴ"
)
LETTER = re.compile(r"[^\W\d_]")
VIETNAMESE_LETTER = re.compile("[" + "".join(sorted(VIETNAMESE_LETTERS)) + "]")
