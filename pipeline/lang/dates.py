"""Vietnamese date parsing: pure functions, no network.

Vietnamese writes dates day first ("06/05/2019" is 6 May), with "/", "."
or "-" ("30.6.2022", "12-08-2022"), in words ("ngày 30 tháng 6 năm 2022")
or abbreviated by WordPress themes ("15 Th3, 2019"). ISO "2022-06-30"
appears in markup-derived text.

`find_published_date` reads the date a page prints in its header lines.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from functools import lru_cache
from itertools import islice

MIN_YEAR, MAX_YEAR = 1945, 2100

# One alternative per written form; named groups so one scan covers all.
# Look-arounds stop "130/6/20221" or a phone number yielding a date.
_DMY = r"(?<![\d/.-])(?P<d1>\d{1,2})(?P<sep>[./-])(?P<m1>\d{1,2})(?P=sep)(?P<y1>\d{4})(?![\d/.-]?\d)"
_ISO = r"(?<![\d/.-])(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2})(?![\d/-]?\d)"
# "30 tháng 6 năm 2022", "15 Th3, 2019", "15 tháng 3, 2019"
_WORDS = (
    r"(?<!\d)(?P<d3>\d{1,2})\s+th(?:áng)?\s*(?P<m3>\d{1,2})"
    r"\s*(?:,|\s|năm)\s*(?:năm\s+)?(?P<y3>\d{4})(?!\d)"
)
# Each form starts with a digit: the leading (?=\d) changes no match and
# saves trying the three alternatives at every other position (6x faster, issue 11).
DATE_RE = re.compile(f"(?=\\d)(?:{_DMY}|{_ISO}|{_WORDS})", re.IGNORECASE)
# Every form has a four-digit year: lines without one are skipped cheaply
# (\d\d{3}, not \d{4}: a pattern opening on a class is scanned in C).
_YEAR_DIGITS = re.compile(r"\d\d{3}")
_ONE_DATE = re.compile(rf"(?:ngày\s*:?\s*)?(?:{_DMY}|{_ISO}|{_WORDS})\s*\.?", re.IGNORECASE)

TIME_RE = re.compile(r"(?=\d)(?<![\d:])(?:[01]?\d|2[0-3])\s?[:h]\s?[0-5]\d(?!\d)")
# Words that say "this is when the page was published/updated".
CUE_RE = re.compile(r"đăng|cập nhật|xuất bản|published|updated|posted", re.IGNORECASE)
# Header vocabulary that does not make a line a sentence.
# (The look-ahead, the words' first letters, spares trying them all at each position.)
_HEADER_WORDS = re.compile(
    r"(?=t|c|n|l|v|đ|x|g|u|s|a|p)\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ\s+nhật|ngày|lúc|vào|đã|"
    r"đăng|cập\s+nhật|xuất\s+bản|gmt\s*\+?\s*\d*|utc|sáng|chiều|tối|am|pm)\b",
    re.IGNORECASE,
)
HEADER_LINES, HEADER_CHARS = 15, 1500
# More residual words than this and the line is body prose ("Ngày 29.8.2016,
# Ban Thường vụ ..."), not a dateline.
MAX_RESIDUAL_WORDS = 4


def _nfc(s: str) -> str:
    # Text decoded from windows-1258 arrives decomposed; "tháng" must match.
    return unicodedata.normalize("NFC", s)


def _make_date(year: str | int, month: str | int, day: str | int) -> date | None:
    y, m, d = int(year), int(month), int(day)
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _from_match(m: re.Match) -> date | None:
    g = m.groupdict()
    for d, mo, y in (("d1", "m1", "y1"), ("d2", "m2", "y2"), ("d3", "m3", "y3")):
        if g.get(y):
            return _make_date(g[y], g[mo], g[d])
    return None


def parse_vn_date(s: str) -> date | None:
    """Parse one date expression, day first; None if not a valid date."""
    if not s:
        return None
    m = _ONE_DATE.fullmatch(_nfc(s).strip())
    return _from_match(m) if m else None


def month_end(year: int, month: int) -> date:
    """Last day of a month: "đến cuối tháng 5/2017" -> 2017-05-31."""
    return date(year, month, calendar.monthrange(year, month)[1])


_WORD = re.compile(r"[^\W\d_]+")


def _residual_words(line: str, most: int = MAX_RESIDUAL_WORDS + 1) -> int:
    """Words left once dates, times, weekdays and cue words are removed,
    counted up to `most` (a body line stops being read there)."""
    rest = TIME_RE.sub(" ", DATE_RE.sub(" ", line))
    rest = _HEADER_WORDS.sub(" ", rest)
    return sum(1 for _ in islice(_WORD.finditer(rest), most))


def _score(line: str) -> int | None:
    """Rank a header line holding a date; None when it reads as prose."""
    if _residual_words(line) > MAX_RESIDUAL_WORDS:
        return None
    score = 0
    if TIME_RE.search(DATE_RE.sub(" ", line)):
        score += 2  # a dateline with a clock time is the article's own
    if CUE_RE.search(line):
        score += 2
    return score


def is_dateline(line: str) -> bool:
    """A short line that is only a printed date: "Thứ Ba, 21/5/2024, 09:30"."""
    return is_nfc_dateline(_nfc(line))


def is_nfc_dateline(line: str) -> bool:
    """is_dateline of a line already in NFC (the cleaner's furniture pass has it)."""
    return (len(line) < 100 and _YEAR_DIGITS.search(line) is not None
            and DATE_RE.search(line) is not None and _residual_words(line) <= 1)


def _header_lines(text: str) -> list[str]:
    lines = [ln.strip() for ln in text[:HEADER_CHARS].splitlines()]
    return [ln for ln in lines if ln][:HEADER_LINES]


def find_published_date(text: str, nfc: bool = False) -> date | None:
    """The publication date printed in the first lines of a page, or None.

    A bare date (often the site header's "today", e.g. "Thứ ba, ngày
    23/7/2024") loses to one carrying a time or a cue such as "Đăng",
    "Cập nhật"; ties go to the earliest line. nfc=True: the caller knows
    the text is NFC already (it is not normalized again).
    """
    # No four digits anywhere, no year in any line (NFC neither makes nor
    # unmakes a digit): 38% of the bench pages' windows after the headline.
    if not text or _YEAR_DIGITS.search(text) is None:
        return None
    best: tuple[int, date] | None = None
    for line in _header_lines(text if nfc else _nfc(text)):
        if not _YEAR_DIGITS.search(line):
            continue
        found = [d for d in map(_from_match, DATE_RE.finditer(line)) if d]
        score = _score(line) if found else None
        if score is not None and (best is None or score > best[0]):
            best = (score, found[0])
    return best[1] if best else None


# ---- dates written in a sentence ("đến cuối tháng 5/2017", "quý II/2021") ----
# One mention is a day, a day without its year, a month, a quarter or a
# year, optionally after a modifier word (the caller's list: "cuối", "giữa").
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_MENTION = (
    r"(?P<full>(?:ngày\s+)?(?:" + _DMY.replace("?P<", "?P<f_").replace("?P=", "?P=f_") + r"|"
    + _WORDS.replace("?P<", "?P<w_") + r"))"
    r"|(?P<dayonly>ngày\s+(?P<dd>\d{1,2})\s*[./-]\s*(?P<dm>\d{1,2})(?![\d/.-]?\d))"
    r"|(?P<month>tháng\s+(?P<mm>\d{1,2})\s*(?:[./-]|\s+năm\s+)\s*(?P<my>\d{4})(?!\d))"
    r"|(?P<quarter>quý\s+(?P<q>iv|iii|ii|i|[1-4])\s*(?:[./-]|\s+năm\s+)\s*(?P<qy>\d{4})(?!\d))"
    r"|(?P<year>năm\s+(?P<y>\d{4})(?!\d))"
)


class DateMention(tuple):
    """(start, end, kind, year, month, day): kind is day, dayonly (no year
    written: year is None), month, quarter (month = its last month) or year."""
    __slots__ = ()

    start = property(lambda self: self[0])
    end = property(lambda self: self[1])
    kind = property(lambda self: self[2])
    year = property(lambda self: self[3])
    month = property(lambda self: self[4])
    day = property(lambda self: self[5])


def mention_regex(modifiers) -> re.Pattern:
    """Date mentions, each optionally after one of `modifiers` (group `mod`)."""
    mods = "|".join(sorted(map(re.escape, modifiers), key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?<!\w)(?:(?P<mod>{mods})\s+)?(?:{_MENTION})", re.IGNORECASE)


def _mention_of(m: re.Match) -> DateMention | None:
    g = m.groupdict()
    if g["full"]:
        y, mo, d = (g["f_y1"], g["f_m1"], g["f_d1"]) if g.get("f_y1") else (g["w_y3"], g["w_m3"], g["w_d3"])
        made = _make_date(y, mo, d)
        return DateMention((m.start(), m.end(), "day", made.year, made.month, made.day)) if made else None
    if g["dayonly"]:
        d, mo = int(g["dd"]), int(g["dm"])
        return DateMention((m.start(), m.end(), "dayonly", None, mo, d)) if 1 <= mo <= 12 and 1 <= d <= 31 else None
    if g["month"]:
        y, mo = int(g["my"]), int(g["mm"])
        return DateMention((m.start(), m.end(), "month", y, mo, None)) if 1 <= mo <= 12 and MIN_YEAR <= y <= MAX_YEAR else None
    if g["quarter"]:
        q = _ROMAN.get(g["q"].lower()) or int(g["q"])
        return DateMention((m.start(), m.end(), "quarter", int(g["qy"]), 3 * q, None))
    y = int(g["y"])
    return DateMention((m.start(), m.end(), "year", y, None, None)) if MIN_YEAR <= y <= MAX_YEAR else None


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=8)  # the same sentence is asked twice in a row; texts can be long, so few
def date_mentions(text: str, pattern: re.Pattern) -> tuple[tuple[str | None, DateMention], ...]:
    """(modifier, mention) for every date written in text, in order. Every
    kind of mention has a digit: a text without one is not searched (an
    extract asks this twice of every sentence of a document with a fact)."""
    if not _DIGIT.search(text):
        return ()
    found = []
    for m in pattern.finditer(_nfc(text)):
        mention = _mention_of(m)
        if mention:
            found.append(((m.group("mod") or "").lower() or None, mention))
    return tuple(found)


def period_end(mention: DateMention, part: str | None) -> date | None:
    """The day a mention stands for: a month or quarter its last day ("giữa"
    = the 15th, "trước" = the end of the period before), a year only with
    "cuối"/"hết" (its last day). part is "end", "middle", "before" or None."""
    y, mo, d = mention.year, mention.month, mention.day
    if y is None:
        return None
    if mention.kind == "day":
        return date(y, mo, d)
    if mention.kind == "year":
        return date(y, 12, 31) if part == "end" else date(y - 1, 12, 31) if part == "before" else None
    span = 3 if mention.kind == "quarter" else 1
    if part == "middle":
        return date(y, mo - span + 1 + (span - 1) // 2, 15) if span == 1 else date(y, mo - 1, 15)
    if part == "before":
        first = mo - span + 1
        return month_end(y - 1, 12) if first == 1 else month_end(y, first - 1)
    return month_end(y, mo)
