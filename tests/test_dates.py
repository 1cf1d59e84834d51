"""pipeline.lang.dates: Vietnamese date expressions and printed publication dates."""
from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from pipeline.lang.dates import (
    find_published_date,
    is_dateline,
    month_end,
    parse_vn_date,
)
from tests.conftest import SHARED

SEEDS = SHARED / "corpus" / "seeds"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30.6.2022", date(2022, 6, 30)),
        ("30/6/2022", date(2022, 6, 30)),
        ("06/05/2019", date(2019, 5, 6)),  # day first, not 5 June
        ("12-08-2022", date(2022, 8, 12)),
        ("ngày 30 tháng 6 năm 2022", date(2022, 6, 30)),
        ("Ngày 30 Tháng 6 Năm 2022", date(2022, 6, 30)),
        ("15 Th3, 2019", date(2019, 3, 15)),
        ("15 tháng 3, 2019", date(2019, 3, 15)),
        ("2022-06-30", date(2022, 6, 30)),
        ("ngày 30/6/2022", date(2022, 6, 30)),
        ("  09/10/2019 ", date(2019, 10, 9)),
        ("1.1.2020", date(2020, 1, 1)),
        ("31/2/2022", None),  # no 31 February
        ("29/2/2023", None),  # not a leap year
        ("29/2/2024", date(2024, 2, 29)),
        ("2022-13-01", None),
        ("32/1/2022", None),
        ("ngày 32 tháng 1 năm 2022", None),
        ("30.6-2022", None),  # mixed separators
        ("30/6/22", None),  # two-digit year: ambiguous, refused
        ("1/1/1800", None),  # outside the plausible range
        ("6/2017", None),  # month/year is not a day
        ("30/6/2022 và 1/7/2022", None),  # one expression only
        ("", None),
        ("không có ngày", None),
    ],
)
def test_parse_vn_date(text, expected):
    assert parse_vn_date(text) == expected


def test_parse_vn_date_decomposed_unicode():
    # windows-1258 pages decode to combining tone marks
    nfd = unicodedata.normalize("NFD", "ngày 30 tháng 6 năm 2022")
    assert parse_vn_date(nfd) == date(2022, 6, 30)


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2017, 5, date(2017, 5, 31)),
        (2024, 2, date(2024, 2, 29)),
        (2023, 2, date(2023, 2, 28)),
        (2022, 4, date(2022, 4, 30)),
        (2022, 12, date(2022, 12, 31)),
    ],
)
def test_month_end(year, month, expected):
    assert month_end(year, month) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tiêu đề\n\nĐã đăng vào 15 Th3, 2019 lúc 7:28\n\nNội dung.", date(2019, 3, 15)),
        ("Tiêu điểm Thứ Hai, 06/05/2019, 10:35\n\nTiêu đề", date(2019, 5, 6)),
        ("Tiêu đề\nCập nhật ngày: 09/10/2019 | 14:59 GMT+7\nNội dung", date(2019, 10, 9)),
        ("Tiêu đề\nNgày đăng: 14/03/2023\nNội dung", date(2023, 3, 14)),
        ("Tiêu đề\nXuất bản ngày 30 tháng 6 năm 2022\n", date(2022, 6, 30)),
        ("Thứ Năm, 12/08/2022 - 17:14", date(2022, 8, 12)),
        # site header "today" loses to the dateline with a time
        ("Thứ ba, ngày 23/7/2024\n\nTiêu đề bài\n\nThứ Sáu 12/08/2022 17:14\n", date(2022, 8, 12)),
        # ... and to a cue word without time
        ("Thứ ba, ngày 23/7/2024\nTiêu đề bài\nNgày đăng: 12/08/2022\n", date(2022, 8, 12)),
        # a bare header date is still better than nothing
        ("Thứ ba, ngày 23/7/2024\nTiêu đề bài\nNội dung bài viết.", date(2024, 7, 23)),
        # dates inside body sentences are not publication dates
        ("Tiêu đề\nNgày 29.8.2016, Ban Thường vụ Tỉnh ủy tổ chức hội nghị sơ kết.", None),
        ("Đến ngày 30/6/2022, toàn tỉnh đã có 1.402 thôn thực hiện nhất thể hóa.", None),
        ("Tiêu đề\nNội dung không có ngày tháng nào.", None),
        ("", None),
        # beyond the header window (15 non-empty lines)
        ("\n".join(f"Dòng {i}" for i in range(20)) + "\nNgày đăng: 14/03/2023 08:15", None),
        # an impossible date is skipped, the next dateline wins
        ("Ngày đăng: 31/02/2023 08:00\nCập nhật: 01/03/2023 09:00", date(2023, 3, 1)),
    ],
)
def test_find_published_date(text, expected):
    assert find_published_date(text) == expected


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("000", date(2019, 3, 15)),
        ("001", date(2019, 5, 6)),
        ("002", None),  # the page prints no date
        ("003", date(2022, 8, 12)),  # not the header's 2024-07-23
        ("004", date(2019, 10, 9)),
    ],
)
def test_find_published_date_on_seeds(prefix, expected):
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    assert find_published_date(path.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Thứ Ba, 21/5/2024, 09:30 (GMT+7)", True),
        ("Cập nhật ngày: 09/10/2019 | 14:59 GMT+7", True),
        ("Đã đăng vào 15 Th3, 2019 lúc 7:28", True),
        ("Ngày 29.8.2016, Ban Thường vụ Tỉnh ủy họp", False),
        ("Tiêu điểm Thứ Hai, 06/05/2019, 10:35", False),  # kept: two extra words
        ("Thứ Hai", False),
    ],
)
def test_is_dateline(line, expected):
    assert is_dateline(line) is expected


# ---- dates written in a sentence: pipeline.lang.dates.date_mentions / period_end ----
from pipeline.lang.dates import date_mentions, mention_regex, period_end  # noqa: E402

PARTS = {"cuối": "end", "hết": "end", "giữa": "middle", "trước": "before"}
MENTIONS = mention_regex(list(PARTS))


@pytest.mark.parametrize(("text", "expected"), [
    ("đến ngày 31.7.2022", date(2022, 7, 31)),
    ("tính đến tháng 9/2022", date(2022, 9, 30)),
    ("đến tháng 2 năm 2024", date(2024, 2, 29)),  # a month is its last day, leap years included
    ("giữa tháng 3/2021", date(2021, 3, 15)),
    ("trước tháng 7/2017", date(2017, 6, 30)),  # the end of the month before
    ("trước tháng 1/2020", date(2019, 12, 31)),
    ("quý II/2021", date(2021, 6, 30)),
    ("cuối quý 3 năm 2020", date(2020, 9, 30)),
    ("trước quý I/2021", date(2020, 12, 31)),
    ("hết năm 2016", date(2016, 12, 31)),
    ("năm 2016", None),  # a bare year is no day
    ("ngày 30-6", None),  # no year written: the caller supplies one
    ("tháng 13/2020", None),
])
def test_a_written_date_stands_for_one_day(text, expected):
    found = date_mentions(text, MENTIONS)
    day = period_end(found[-1][1], PARTS.get(found[-1][0])) if found else None
    assert day == expected


def test_a_day_without_its_year_is_kept_for_the_caller():
    (_, mention), = date_mentions("tính đến ngày 30-6, toàn tỉnh", MENTIONS)
    assert (mention.kind, mention.year, mention.month, mention.day) == ("dayonly", None, 6, 30)


# --- the guarded patterns match as the plain ones (issue 11) -----------------

def plain_patterns() -> dict:
    """dates.py's patterns without the look-aheads that make them fast: the reference."""
    import re

    from pipeline.lang import dates
    header = dates._HEADER_WORDS.pattern.replace("(?=t|c|n|l|v|đ|x|g|u|s|a|p)", "", 1)
    return {"DATE_RE": re.compile(f"{dates._DMY}|{dates._ISO}|{dates._WORDS}", re.IGNORECASE),
            "TIME_RE": re.compile(dates.TIME_RE.pattern.replace("(?=\\d)", "", 1)),
            "_HEADER_WORDS": re.compile(header, re.IGNORECASE), "_YEAR_DIGITS": re.compile(r"\d{4}")}


def date_lines(count: int = 4000):
    """Random header-like lines, then the lines of the seed pages."""
    import random
    rng = random.Random(11)
    pieces = ["1", "2", "06", "12", "2019", "20221", "/", ".", "-", ":", "h", " ", "  ", ",", "+", "\u00a0",
              "tháng", "Th", "năm", "Ngày", "thứ hai", "Thứ 2", "CHỦ NHẬT", "lúc", "GMT+7", "gmt", "UTC", "AM",
              "pm", "Sáng", "tối", "đã", "Đăng", "cập nhật", "xuất bản", "vào", "xã", "ſáng", "\u212a", "ǅ", "ab",
              "21/5/2024", "2022-06-30", "30 tháng 6 năm 2022", "15 Th3, 2019", "130/6/20221", "1.2.2019",
              "3-4-2019", "09:30", "7h05", "24:10"]
    for _ in range(count):
        yield "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 14)))
    for path in sorted((SHARED / "corpus" / "seeds").glob("*.txt")):
        yield from path.read_text(encoding="utf-8").splitlines()


def test_guarded_patterns_match_as_the_plain_ones():
    from pipeline.lang import dates
    lines = list(date_lines())
    for name, plain in plain_patterns().items():
        fast = getattr(dates, name)
        for line in lines:
            assert [(m.span(), m.groupdict()) for m in fast.finditer(line)] == \
                [(m.span(), m.groupdict()) for m in plain.finditer(line)], (name, line)
    assert sum(bool(dates.DATE_RE.search(line)) for line in lines) > 400  # the lines do hold dates


def test_residual_words_counts_up_to_what_is_asked():
    from pipeline.lang.dates import _residual_words
    line = "Thứ Ba, 21/5/2024, 09:30 một hai ba bốn năm sáu bảy"
    assert _residual_words(line) == 5 and _residual_words(line, most=100) == 7
    assert _residual_words("Thứ Ba, 21/5/2024, 09:30 (GMT+7)") == 0


def test_nfc_neither_makes_nor_unmakes_digits():
    """What find_published_date's shortcut (no four digits in the raw text:
    no year in any NFC line) rests on, over all of Unicode: a character's
    decomposition holds a digit exactly when it is a digit, and no digit has
    one (so none is composed either)."""
    import re
    import sys

    digit = re.compile(r"\d")
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    assert not [c for c in chars if (digit.search(unicodedata.normalize("NFD", c)) is None)
                != (digit.match(c) is None)]
    # (a compatibility decomposition, "<wide> 0030" of a fullwidth digit, NFC leaves alone)
    assert not [c for c in chars if digit.match(c) and unicodedata.decomposition(c)[:1] not in ("", "<")]
    decomposed = unicodedata.normalize("NFD", "Cập nhật 12/03/2024 08:15")
    assert find_published_date(decomposed) == date(2024, 3, 12)
    assert find_published_date("Thứ Ba, ngày 12 tháng Ba") is None
