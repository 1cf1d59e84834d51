"""Page furniture: lines that are a site's chrome, not the article (view
counters, "Bản in", hotlines, share buttons, bylines). Removal works on
whole lines only, so body sentences are never cut."""
from __future__ import annotations

import re
import unicodedata

from pipeline.lang.dates import is_nfc_dateline
from pipeline.lang.vntext import collapse_spaces

# Items that can stand alone or share one line ("Số lượt người xem: 833
# Bản inQuay lại"). Longer variants first: each item is matched atomically.
_FURNITURE_ITEMS = [
    r"số\s+lượt\s+(?:người\s+)?(?:xem|truy\s+cập)(?:\s*:?\s*[\d.,]+)?",
    r"lượt\s+(?:xem|truy\s+cập|thích)(?:\s*:?\s*[\d.,]+)?",
    r"đang\s+truy\s+cập(?:\s*:?\s*[\d.,]+)?",
    r"bản\s+in", r"in\s+bài(?:\s+viết)?", r"quay\s+lại", r"trở\s+về", r"về\s+đầu\s+trang",
    r"để\s+lại\s+(?:nhận\s+xét|bình\s+luận)", r"viết\s+bình\s+luận(?:\s+mới)?",
    r"gửi\s+(?:bình\s+luận|ý\s+kiến)", r"(?:\d+\s+)?bình\s+luận", r"ý\s+kiến\s+bạn\s+đọc",
    r"thích\s+và\s+chia\s+sẻ\s+bài\s+này\s+trên", r"chia\s+sẻ(?:\s+bài\s+viết)?(?:\s+trên)?",
    r"facebook", r"twitter", r"zalo", r"email", r"e-mail", r"gửi\s+email",
    r"xem\s+theo\s+ngày", r"liên\s+kết(?:\s+website)?", r"hình\s+ảnh", r"video(?:\s+clip)?",
    r"lưu\s+trữ(?:\s*\(\s*lịch\s*\))?",
    r"các\s+bài\s+viết\s+khác", r"bài\s+viết\s+liên\s+quan", r"tin\s+liên\s+quan",
    r"tin\s+cùng\s+chuyên\s+mục", r"tin\s+khác", r"tin\s+mới(?:\s+nhất)?", r"tin\s+đọc\s+nhiều",
    r"tùy\s+chọn\s+này\s+sẽ\s+đưa\s+trang\s+chủ\s+về\s+bố\s+cục\s+mặc\s+định\.?",
    r"reset", r"xem\s+với\s+cỡ\s+chữ", r"cỡ\s+chữ", r"a\s*-", r"a\s*\+",
    r"\d+(?:[.,]\d+)*",  # bare counters, incl. a digit-per-line counter
]
_SEP = r"[\s|:·•,;/»>()\[\]-]*+"
_ITEMS_LINE = r"^" + _SEP + r"(?:(?>" + "|".join(_FURNITURE_ITEMS) + r")" + _SEP + r")+$"

# Whole-line patterns; fullmatch is applied to the NFC form of a line.
FURNITURE_PATTERNS: list[re.Pattern] = [
    re.compile(_ITEMS_LINE, re.IGNORECASE),
    # "HOTLINE: 0834 244 333 | THƯ VIỆN | ĐẶT LÀM TRANG CHỦ"
    re.compile(r"^(?:hotline|đường\s+dây\s+nóng)\s*:?\s*[\d(+].{0,200}$", re.IGNORECASE),
    # "... đóng góp cho chuyên mục vui lòng gửi về banbientap@site.org"
    EMAIL_LINE := re.compile(
        r"^.{0,160}(?:gửi\s+về|liên\s+hệ|e-?mail|thư\s+điện\s+tử)\s*:?\s*"
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+\.?$",
        re.IGNORECASE,
    ),
]

SPACES = re.compile(r"[^\S\n]+")
# Each pattern with a string it cannot match without: the e-mail pattern
# tries its cue words at each of 160 starts, 3/4 of the time of a body line
# (issue 11), and matches only a line holding an "@".
_CHECKS = [(pattern, "@" if pattern is EMAIL_LINE else "") for pattern in FURNITURE_PATTERNS]


def is_furniture(line: str) -> bool:
    """True when the whole (stripped) line is page furniture."""
    probe = unicodedata.normalize("NFC", line.strip())
    return bool(probe) and _furniture_nfc(probe)


def _furniture_nfc(probe: str) -> bool:
    """is_furniture of a stripped, non-empty NFC line."""
    for pattern, need in _CHECKS:  # a loop, not any() over a generator: ~6 lines a page
        if need in probe and pattern.fullmatch(probe):
            return True
    return False


def tidy(text: str, keep_blank: bool, datelines: bool = False, collapsed: bool = False) -> str:
    """Strip lines, collapse spaces, drop furniture; one blank line at most.

    datelines=True also drops "Thứ Ba, 21/5/2024, 09:30 (GMT+7)" lines: only
    for HTML, whose date is already taken. Plain text keeps them because
    find_published_date may still have to read them. collapsed=True: each
    line is collapse_spaces' output already (which is its own result, and
    holds no line break: every line-break character is whitespace to
    str.split), so it is not scanned again.
    """
    out: list[str] = []
    for raw in text.splitlines():
        # = SPACES.sub(" ", raw).strip() on a line (no newline), 3x faster
        line = raw if collapsed else collapse_spaces(raw)
        # is_furniture and is_dateline of the line, its NFC form made once for both
        probe = unicodedata.normalize("NFC", line) if line else ""
        if probe and (_furniture_nfc(probe) or (datelines and is_nfc_dateline(probe))):
            continue
        if line or (keep_blank and out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")




# A byline closing the body: "Lê Phương", "NGỌC HÙNG", "Trần Văn Biển" - a
# short line of capitalised words, no digit, no sentence punctuation.
BYLINE = re.compile(r"^(?:[^\W\d_][^\W\d_]*\.?\s+){0,4}[^\W\d_]+$")
MAX_BYLINES = 2
MAX_BYLINE_WORDS = 5


def is_byline(line: str) -> bool:
    # The word count first, split at most 5 times: the last line of a body is
    # mostly a long paragraph, which this settles without the regex (issue 11).
    words = line.split(None, MAX_BYLINE_WORDS)
    return len(words) <= MAX_BYLINE_WORDS and all(w[0].isupper() for w in words) and bool(BYLINE.match(line.strip()))


def drop_byline(text: str) -> str:
    """The body without the author line(s) at its end (never its only line)."""
    for _ in range(MAX_BYLINES):
        rest, newline, last = text.rpartition("\n")
        if not (newline and is_byline(last)):
            break
        text = rest
    return text
