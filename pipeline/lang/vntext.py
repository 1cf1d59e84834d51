"""Vietnamese text handling, in one place.

Normalization (Unicode NFC, one tone-placement style, no-break and odd
spaces) and the reading of numbers as the press writes them
("1.402" = 1402, "07" = 7, "19,7%" = 19.7, "một" = 1).
"""
from __future__ import annotations

import math
import re
import unicodedata
from itertools import islice

# Tone marks as combining characters (NFD).
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
ODD_SPACES = re.compile(r"[\x1f\u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff\u200b]")
# Line and paragraph breaks other than \n: vertical tab (a manual line break
# in word processors), form feed, file/group/record separators, NEL, U+2028/9.
LINE_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
HYPHENS = re.compile(r"[\u00ac\u2010\u2011\u2012\u2013\u2014\u2212]")
# The three classes (disjoint) and \r\n / \r in one scan, replaced as the
# separate passes would: one regex pass instead of four (issue 11). One
# character class first, so the engine scans for it in C; a \n goes with
# the \r before it.
_SPACE_FIXES = re.compile("[\r" + "".join(p.pattern[1:-1] for p in (ODD_SPACES, LINE_BREAKS, HYPHENS))
                          + "](?:(?<=\r)\n)?")
# Old style puts the tone on the second vowel of a syllable-final oa/oe/uy
# ("hoá", "uỷ"); we store the style most Vietnamese sites now use ("hóa", "ủy").
# Worked on NFC text: each toned a/e/y maps to (tone mark, bare vowel).
_TONED = {unicodedata.normalize("NFC", base + mark): (mark, base)
          for base in "aAeEyY" for mark in TONE_MARKS}
# The o/u before a toned a/e/y, not after q ("quá" stays). The look-behind
# follows the o/u (it reads the character before it): a pattern that starts
# with a character class lets the regex engine skip to candidates, 3x faster
# than (?<![qQ])([oOuU])... with the same matches.
OLD_TONE = re.compile(r"([oOuU])(?<![qQ][oOuU])([" + "".join(_TONED) + r"])(?![\w\u0300-\u036f])")


def _move_tone(m: re.Match) -> str:
    mark, vowel = _TONED[m.group(2)]
    return unicodedata.normalize("NFC", m.group(1) + mark) + vowel


NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
    "tám": 8, "chín": 9, "mười": 10,
}
# The 400 syllables most news paragraphs hold, most frequent first (counted
# once a paragraph over the 200 Dân trí 2020 articles of ../shared/data/bulk):
# a poor sign that a phrase is present. The pre-filter keys a phrase on its
# least frequent syllable (extract/prefilter.py); any unlisted one is rarer.
COMMON_SYLLABLES = tuple("""
của và có các trong được đã là với một cho không người những này khi để ở thể đến nhiều năm hiện về tại công ra trên
từ cũng đó vào nhà trường như sự bị theo sẽ học đầu số đồng thành ngày hơn nhất sau việc động thời trước nam chỉ bộ
định hàng lại trung nhân bệnh quốc chính phải gia ông quan cơ nước đây điểm nhưng giá việt thực mới làm thông hình
sinh qua nhận biết đang còn phát điều đại hành hội hợp trình viên khách tin cùng rất ảnh tới thế chủ thống vẫn cao
cách đi lý lên vì dân triệu dụng thu do cứu rằng dịch khác mỹ tế tiếp đối giới giảm giải cả gian lớn báo nay thủ
xuất cuộc sử tôi toàn nhiên mà kết trí anh giáo thấy dự sản mạnh cầu chúng nghiên tạo bằng mặt trở liên tháng gần
con lượng vụ thị độ hiệu họ năng tự chưa tính tuy bản điện tổng chức cấp hệ kinh tài quá cô nên an tỷ thì tăng quả
kỳ nội đưa tâm văn trang hai tình sở triển đường thư mức lực tác mình vị tập thức khiến quyết doanh hay sĩ trị du
thường đổi loại đội lần khoảng phần đề nói tư kiến ý em cần phẩm phòng phương nếu hoạt đặc địa biệt hóa ngoài pháp
hà sống ứng chiến khoa tích bất nơi giúp trọng gây tiền diễn hoặc tổ sao phố bán ca thắng tục chất bình thiết nghiệp
tranh trận thương tiên trẻ trưởng bảo cử thi máy đấu án yêu khó covid tiếng tiêu bên phân ung bố kiểm chuyển bạn
thay cổ tham chia viện nghệ chuyên sức lịch dục nghiệm hồi trump chương nguyên dù thứ ngay biến từng ban cá nào vậy
quy đánh ăn nguyễn cáo bàn vừa minh diện kế chứng tuổi xã cảnh sách tay hạn thanh giờ tìm tốt so cảm nhỏ đẹp trợ
thích dẫn tượng bởi xây chí nguy tiến dưới xe cửa khả tương sẻ dựng nhau vấn phục đều nhập mạng cộng khu sân vật
giữa tinh phạm ly bắt phí bỏ hữu tử xác hưởng liệu kể đình quyền chiếc chế xuống đảo nó bóng hoàn muốn bao thuật bà
truyền thuộc đất mất dùng mỗi bài nghị xem tra ít sáng nổi giám vực
""".split())
SYLLABLE_RANK = {syllable: rank for rank, syllable in enumerate(COMMON_SYLLABLES)}
# "9" written 400 times reads as inf; 30 digits are no figure a text means
# either (a bound well above any count, so bounds.py still sees and counts a
# misread 1e21, and "... triệu" times it stays finite).
NOT_A_FIGURE = 1e30
NUMBER_TOKEN = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^\d+(?:[.,]\d+)?$")


def normalize(text: str) -> str:
    """NFC, new tone placement, plain spaces; keeps length-changing edits minimal."""
    text = _SPACE_FIXES.sub(_space_fix, text)
    return fix_tone_placement(unicodedata.normalize("NFC", text))


def _space_fix(m: re.Match) -> str:
    """ODD_SPACES -> " ", \r\n, \r and LINE_BREAKS -> newline, HYPHENS -> "-"."""
    char = m.group()[0]
    if char == "\r" or LINE_BREAKS.match(char):
        return "\n"
    return " " if ODD_SPACES.match(char) else "-"


def collapse_spaces(text: str) -> str:
    """" ".join(text.split()): runs of whitespace as one space, none at the
    ends. Every whitespace character but the space is unprintable, so a
    printable text without a double or an outer space is returned as it is,
    without the split (the cleaner calls this for every paragraph and line)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


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
    # Vietnamese letters are letters and the sample has at most len(sample):
    # that many in its first 300 characters settle it without counting the
    # letters (the counting is the slow part; identical answers).
    # Counted up to the bar (ceil(need)) and no further: most texts reach it
    # within a third of those characters (issue 11).
    need = max(20, minimum * len(sample))
    if sum(1 for _ in islice(VIETNAMESE_LETTER.finditer(sample, 0, 300), math.ceil(need))) >= need:
        return True
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
