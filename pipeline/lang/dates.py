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
DATE_RE = re.compile(f"{_DMY}|{_ISO}|{_WORDS}", re.IGNORECASE)
# Every form has a four-digit year: lines without one are skipped cheaply.
_YEAR_DIGITS = re.compile(r"\d{4}")
_ONE_DATE = re.compile(rf"(?:ngày\s*:?\s*)?(?:{_DMY}|{_ISO}|{_WORDS})\s*\.?", re.IGNORECASE)

TIME_RE = re.compile(r"(?<![\d:])(?:[01]?\d|2[0-3])\s?[:h]\s?[0-5]\d(?!\d)")
# Words that say "this is when the page was published/updated".
CUE_RE = re.compile(r"đăng|cập nhật|xuất bản|published|updated|posted", re.IGNORECASE)
# Header vocabulary that does not make a line a sentence.
_HEADER_WORDS = re.compile(
    r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ\s+nhật|ngày|lúc|vào|đã|"
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


def _residual_words(line: str) -> int:
    """Words left once dates, times, weekdays and cue words are removed."""
    rest = TIME_RE.sub(" ", DATE_RE.sub(" ", line))
    rest = _HEADER_WORDS.sub(" ", rest)
    return len(re.findall(r"[^\W\d_]+", rest))


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
    line = _nfc(line)
    return (len(line) < 100 and _YEAR_DIGITS.search(line) is not None
            and DATE_RE.search(line) is not None and _residual_words(line) <= 1)


def _header_lines(text: str) -> list[str]:
    lines = [ln.strip() for ln in text[:HEADER_CHARS].splitlines()]
    return [ln for ln in lines if ln][:HEADER_LINES]


def find_published_date(text: str) -> date | None:
    """The publication date printed in the first lines of a page, or None.

    A bare date (often the site header's "today", e.g. "Thứ ba, ngày
    23/7/2024") loses to one carrying a time or a cue such as "Đăng",
    "Cập nhật"; ties go to the earliest line.
    """
    best: tuple[int, date] | None = None
    for line in _header_lines(_nfc(text or "")):
        if not _YEAR_DIGITS.search(line):
            continue
        found = [d for d in map(_from_match, DATE_RE.finditer(line)) if d]
        score = _score(line) if found else None
        if score is not None and (best is None or score > best[0]):
            best = (score, found[0])
    return best[1] if best else None
