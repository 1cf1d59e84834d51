"""pipeline.clean: main text, title, date and site of pages; furniture removal."""
from __future__ import annotations

import json
import time
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from pipeline.clean import Cleaned, CleanError, clean_html, clean_text, is_furniture
from pipeline.lang.dates import find_published_date
from tests.conftest import SHARED

VNEXPRESS = SHARED / "data" / "html" / "vnexpress.net_4672302.html"
SEEDS = SHARED / "corpus" / "seeds"
PAGES = Path(__file__).resolve().parent / "data" / "pages"


def nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text is not None else None


# --- the real VnExpress page ------------------------------------------------

@pytest.fixture(scope="module")
def vnexpress():
    expected = json.loads(VNEXPRESS.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return clean_html(VNEXPRESS.read_bytes(), url=expected["url"]), expected


def test_vnexpress_metadata(vnexpress):
    cleaned, expected = vnexpress
    assert isinstance(cleaned, Cleaned)
    assert cleaned.title == expected["title"]
    assert cleaned.published == date.fromisoformat(expected["gold_publication_date"])
    assert cleaned.site == "vnexpress.net"
    assert cleaned.description == expected["description"]


def test_vnexpress_every_paragraph_is_a_line(vnexpress):
    cleaned, expected = vnexpress
    lines = cleaned.text.split("\n")
    for paragraph in expected["paragraphs"]:
        assert paragraph in lines


def test_vnexpress_no_junk(vnexpress):
    cleaned, expected = vnexpress
    # nothing but the lead and the article paragraphs: no menu, sidebar, footer, title
    assert cleaned.text.split("\n") == [expected["description"]] + expected["paragraphs"]
    # the p.Normal holding only an inline <script> must not leak its code
    for junk in ("querySelector", "iframe", "flo.uri.sh", "{", "function"):
        assert junk not in cleaned.text


def test_vnexpress_str_and_bytes_agree():
    raw = VNEXPRESS.read_bytes()
    assert clean_html(raw) == clean_html(raw.decode("utf-8"))


# --- our own test pages -----------------------------------------------------

PAGE_CASES = [
    pytest.param(
        "tan_lac_table_cp1258.html", None,
        dict(title="Huyện Tân Lạc giảm 9 đầu mối phòng, ban", published=date(2023, 3, 14),
             site=None, description=None),
        [
            "Sáng 13/3, Huyện ủy Tân Lạc tổ chức hội nghị sơ kết việc sắp xếp tổ chức bộ máy "
            "của hệ thống chính trị huyện.",
            "Số người hoạt động không chuyên trách ở thôn, xóm giảm 118 người so với năm 2020.",
            "Hội nghị cũng đề ra mục tiêu đến năm 2025 có 100% bí thư chi bộ kiêm trưởng xóm.",
        ],
        ["Số lượt người xem", "1.204", "Bản in", "Quay lại", "SỐ LƯỢT TRUY CẬP", "Liên kết",
         "Chính phủ", "Đường dây nóng", "doPrint", "Tin liên quan", "Xã Mỹ Hòa",
         "20/11/2023", "Trang chủ", "Thủ tục hành chính"],
        id="table-layout-windows-1258",
    ),
    pytest.param(
        "binh_minh_og.html", "https://baothunghiem.example.vn/binh-minh-sap-nhap-123.html",
        dict(title="Bình Minh sáp nhập 6 thôn thành 3 thôn mới", published=date(2024, 5, 21),
             site="Báo Thử Nghiệm",
             description="Xã Bình Minh hoàn thành sáp nhập 6 thôn thành 3 thôn, giảm 3 trưởng "
                         "thôn và 3 bí thư chi bộ."),
        [
            "Ngày 20/5, UBND xã Bình Minh công bố nghị quyết của HĐND huyện về việc sáp nhập "
            "các thôn có quy mô nhỏ.",
            "Theo đó, 6 thôn Đông, Đoài, Nam, Bắc, Trung và Hạ được sắp xếp thành 3 thôn mới. "
            "Sau sáp nhập, xã còn 9 thôn với tổng số 2.315 hộ dân.",
            "Ông Trần Văn Sơn, Chủ tịch UBND xã, cho biết 95,6% cử tri đã đồng ý với phương án "
            "sáp nhập.",
            "Việc sáp nhập giúp giảm 3 trưởng thôn, 3 bí thư chi bộ và 12 người hoạt động không "
            "chuyên trách ở thôn.",
        ],
        ["HOTLINE", "0900 111 222", "Lượt xem", "3.457", "Chia sẻ", "Facebook",
         "Bình luận", "8 thôn như thế này", "giữ tên cũ", "Viết bình luận mới",
         "Tin liên quan", "Yên Thành", "Phố Mới", "Giấy phép", "document.write", "iframe",
         "dataLayer", "Thời sự", "09:30", "Báo Thử Nghiệm"],
        id="modern-og-comments-sidebar",
    ),
    pytest.param(
        "hoa_phong_wordpress.html", "https://www.hoaphong.example.vn/2019/03/khao-sat/",
        dict(title="Thành ủy Hòa Phong khảo sát mô hình kiêm nhiệm tại 5 phường",
             published=date(2019, 3, 15), site="hoaphong.example.vn", description=None),
        [
            "Ngày 12.3.2019, đoàn công tác của Thành ủy Hòa Phong đã khảo sát việc thực hiện "
            "các mô hình kiêm nhiệm tại 5 phường.",
            "Qua khảo sát, toàn thành phố có 41 mô hình kiêm nhiệm các chức danh ở phường, khu "
            "phố; trong đó 3 trường hợp bí thư đảng ủy đồng thời là chủ tịch UBND phường.",
            "Thành ủy đề nghị tiếp tục nhân rộng mô hình, phấn đấu đến cuối năm 2020 có 80% bí "
            "thư chi bộ kiêm trưởng khu phố.",
        ],
        ["Tùy chọn này", "Reset", "Đảng bộ Hòa Phong\n", "Đã đăng vào", "Để lại nhận xét",
         "toasoan@example.org", "Thích và chia sẻ", "Bài viết mới", "lần thứ 15",
         "Ghi rõ nguồn", "entry-title"],
        id="wordpress-no-date-metadata",
    ),
]


@pytest.mark.parametrize(("name", "url", "meta", "paragraphs", "junk"), PAGE_CASES)
def test_own_pages(name, url, meta, paragraphs, junk):
    cleaned = clean_html((PAGES / name).read_bytes(), url=url)
    text = nfc(cleaned.text)  # the windows-1258 page decodes to combining marks
    assert nfc(cleaned.title) == meta["title"]
    assert cleaned.published == meta["published"]
    assert nfc(cleaned.site) == meta["site"]
    assert nfc(cleaned.description) == meta["description"]
    lines = text.split("\n")
    for paragraph in paragraphs:
        assert paragraph in lines
    for string in junk:
        assert string not in text + "\n"
    assert meta["title"] not in lines  # title is kept apart from the body


def test_windows_1258_page_is_not_utf8():
    # guards the fixture itself: the decoding fallback must really be exercised
    with pytest.raises(UnicodeDecodeError):
        (PAGES / "tan_lac_table_cp1258.html").read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    "raw",
    [
        # UTF-8 with a BOM
        b"\xef\xbb\xbf<html><body><p>Ng\xc3\xa0y 20/5, UBND x\xc3\xa3 B\xc3\xacnh Minh c\xc3\xb4ng "
        b"b\xe1\xbb\x91 ngh\xe1\xbb\x8b quy\xe1\xba\xbft s\xc3\xa1p nh\xe1\xba\xadp th\xc3\xb4n.</p></body></html>",
        # UTF-16, both byte orders
        b"\xfe\xff" + "<html><body><p>Ngày 20/5, UBND xã Bình Minh công bố nghị quyết sáp nhập thôn."
        "</p></body></html>".encode("utf-16-be"),
        b"\xff\xfe" + "<html><body><p>Ngày 20/5, UBND xã Bình Minh công bố nghị quyết sáp nhập thôn."
        "</p></body></html>".encode("utf-16-le"),
        # UTF-8 declared as iso-8859-1 (latin-1 would turn it into mojibake)
        '<html><head><meta charset="iso-8859-1"></head><body><p>Ngày 20/5, UBND xã Bình Minh '
        "công bố nghị quyết sáp nhập thôn.</p></body></html>".encode("utf-8"),
    ],
)
def test_decoding(raw):
    assert clean_html(raw).text == "Ngày 20/5, UBND xã Bình Minh công bố nghị quyết sáp nhập thôn."


# --- errors -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary"),
        ("<html><body><p>Chữ\x00 nhị phân</p></body></html>", "binary"),
        ("<html><body><p>Chữ" + "\x02" * 9 + " nhị phân</p></body></html>", "binary"),  # text: checked as UTF-8
        ("<html><body><p>Chữ\ud800\x00 nhị phân</p></body></html>", "binary"),  # a lone surrogate: still checked
        (b"", "empty"),
        ("", "empty"),
        ("   \n  ", "empty"),
        ("<html><head><title></title></head><body></body></html>", "no main text"),
        ('<html><body><nav><a href="/">Trang chủ</a> <a href="/lh">Liên hệ</a></nav>'
         "<script>var x = 1;</script></body></html>", "no main text"),
        ("<html><body><p>Lượt xem: 1.234</p><p>Bản in</p><p>Chia sẻ</p></body></html>",
         "no main text"),
        # a URL is never fetched: it is just a string without main text
        ("https://vnexpress.net/ong-ho-duc-phoc-4672302.html", "no main text"),
    ],
)
def test_clean_html_errors(raw, message):
    with pytest.raises(CleanError, match=message):
        clean_html(raw)


def test_clean_error_is_value_error():
    assert issubclass(CleanError, ValueError)


@pytest.mark.parametrize("text", ["", "\n\n", "Bản in\nQuay lại\n869\n", "a\x00b"])
def test_clean_text_errors(text):
    with pytest.raises(CleanError):
        clean_text(text)


# --- furniture --------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nội dung.\nSố lượt người xem: 833 Bản inQuay lại", "Nội dung."),
        ("Nội dung.\nLượt xem: 1.234", "Nội dung."),
        ("SỐ LƯỢT TRUY CẬP\n\n5\n3\n8\n4\nNội dung.", "Nội dung."),
        ("Nội dung.\n\n869\nViết bình luận mới", "Nội dung."),
        ("Nội dung.\nĐể lại nhận xét", "Nội dung."),
        ("Nội dung.\nGửi bình luận", "Nội dung."),
        ("Nội dung.\nChia sẻ", "Nội dung."),
        ("Nội dung.\nThích và chia sẻ bài này trên:", "Nội dung."),
        ("HOTLINE: 0834 244 333   |   THƯ VIỆN   |   ĐẶT LÀM TRANG CHỦ\n\nNội dung.", "Nội dung."),
        ("Nội dung.\nXem theo ngày Xem theo ngày\n\n Liên kết\n\n  Hình ảnh\n  Lưu trữ\n  Lưu trữ (Lịch)",
         "Nội dung."),
        ("Nội dung.\n\nCÁC BÀI VIẾT KHÁC:", "Nội dung."),
        ("Nội dung.\nTin liên quan", "Nội dung."),
        ("Tùy chọn này sẽ đưa trang chủ về bố cục mặc định.\n\nReset\n\nNội dung.", "Nội dung."),
        ("Tiêu đề\nXem với cỡ chữ\nNội dung.", "Tiêu đề\nNội dung."),
        ("Nội dung.\nBài viết, video, hình ảnh đóng góp cho chuyên mục vui lòng gửi về "
         "banbientap@nguyenxuanphuc.org", "Nội dung."),
        # spaces and blank lines collapse; paragraphs stay apart
        ("  Đoạn  một\u00a0 có   khoảng trắng.  \n\n\n\n\tĐoạn hai.\r\n", "Đoạn một có khoảng trắng.\n\nĐoạn hai."),
        # whole lines only: body sentences that start with furniture words stay
        ("Chia sẻ kinh nghiệm, ông Nam cho biết 12 xã đã hoàn thành.",
         "Chia sẻ kinh nghiệm, ông Nam cho biết 12 xã đã hoàn thành."),
        ("Hình ảnh các đại biểu dự hội nghị", "Hình ảnh các đại biểu dự hội nghị"),
        ("Liên kết vùng giúp 3 huyện giảm 15 đầu mối.", "Liên kết vùng giúp 3 huyện giảm 15 đầu mối."),
        ("Lượt xem của bạn đọc tăng 20% so với năm 2022.",
         "Lượt xem của bạn đọc tăng 20% so với năm 2022."),
        ("Hotline của huyện được công bố rộng rãi.\nNội dung.",
         "Hotline của huyện được công bố rộng rãi.\nNội dung."),
        ("Đến nay có 46/67 bí thư chi bộ đồng thời là trưởng khóm, ấp.",
         "Đến nay có 46/67 bí thư chi bộ đồng thời là trưởng khóm, ấp."),
        # datelines stay in plain text: find_published_date still needs them
        ("Đã đăng vào 15 Th3, 2019 lúc 7:28\nNội dung.", "Đã đăng vào 15 Th3, 2019 lúc 7:28\nNội dung."),
    ],
)
def test_clean_text_furniture(text, expected):
    assert clean_text(text) == expected


def test_furniture_in_decomposed_unicode():
    assert is_furniture(unicodedata.normalize("NFD", "Số lượt người xem: 833 Bản in"))


def test_furniture_pattern_is_not_catastrophic():
    # a long run of counter-like tokens that fails at the end must stay fast
    line = "1,2," * 400 + "x"
    start = time.perf_counter()
    assert not is_furniture(line)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("prefix", "gone", "kept"),
    [
        ("000", ["Tùy chọn này", "Reset", "Để lại nhận xét"],
         ["Đã đăng vào 15 Th3, 2019 lúc 7:28", "Hồng Quốc"]),
        ("001", ["SỐ LƯỢT TRUY CẬP", "Số lượt người xem", "Bản in", "Xem theo ngày", "Lưu trữ"],
         ["46/67 đồng chí", "Hồng Thơ"]),
        ("002", ["banbientap@", "Thích và chia sẻ"], ["(Theo Vietnam+)", "Chỉ thị số 12-CT/TU"]),
        ("003", ["Xem với cỡ chữ", "CÁC BÀI VIẾT KHÁC"], ["Thứ Sáu 12/08/2022 17:14", "1.263 thôn"]),
        ("004", ["HOTLINE", "869", "Viết bình luận mới"], ["Cập nhật ngày: 09/10/2019", "Tin, ảnh: Phan Tân"]),
    ],
)
def test_clean_text_on_seeds(prefix, gone, kept):
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    raw = path.read_text(encoding="utf-8")
    text = clean_text(raw)
    for string in gone:
        assert string not in text
    for string in kept:
        assert string in text
    # the printed date survives cleaning
    assert find_published_date(text) == find_published_date(raw)
    # every non-furniture line of the seed is kept verbatim (spaces collapsed)
    assert len(text) > 0.9 * len(raw.strip())


# --- lead and byline ----------------------------------------------------------

LEAD_PAGE = """<html><head><title>Xã Hòa An giảm 4 thôn</title>
<meta name="description" content="Sau sáp nhập, xã Hòa An còn 8 thôn thay vì 12 thôn như trước đây."></head>
<body><aside><p class="description">Tin khác: một huyện miền núi vừa khánh thành cây cầu mới bắc qua sông.</p></aside>
<h1>Xã Hòa An giảm 4 thôn sau sáp nhập</h1>
<div class="box"><p class="description">Hộp tin: huyện bên cạnh tổ chức hội thi văn nghệ quần chúng năm nay.</p></div>
<p class="description">Sau sáp nhập, xã Hòa An còn 8 thôn thay vì 12 thôn như trước đây, giảm 4 trưởng thôn.</p>
<article><p>Ngày 3/4, HĐND xã Hòa An đã thông qua nghị quyết sáp nhập các thôn nhỏ trên địa bàn xã.</p>
<p>Việc sáp nhập giúp giảm 4 trưởng thôn và 8 người hoạt động không chuyên trách ở thôn.</p>
<p>Ông Trần Minh, Chủ tịch UBND xã, cho biết người dân đồng tình với chủ trương này.</p>
<p style="text-align:right"><strong>Minh Anh</strong></p></article></body></html>"""


def test_the_printed_lead_opens_the_text_and_the_byline_goes():
    cleaned = clean_html(LEAD_PAGE)
    lead = "Sau sáp nhập, xã Hòa An còn 8 thôn thay vì 12 thôn như trước đây, giảm 4 trưởng thôn."
    assert cleaned.description == lead  # the printed lead, not the shorter meta nor a sidebar box
    lines = cleaned.text.split("\n")
    assert lines[0] == lead and "Minh Anh" not in lines and len(lines) == 4


@pytest.mark.parametrize("line,byline", [
    ("Lê Phương", True), ("NGỌC HÙNG", True), ("Trần Văn Biển", True),
    ("Toàn tỉnh có 48 xã.", False), ("Huyện còn 12 thôn", False), ("Ảnh: Minh Anh", False),
    ("Bí thư Tỉnh ủy Nguyễn Văn An Phát Biểu", False),
])
def test_byline(line, byline):
    from pipeline.clean.furniture import is_byline

    assert is_byline(line) is byline


# --- the fast path (clean/plain.py) reads what trafilatura reads -------------

def reference_pages():
    """Every page at hand: samples, the saved real pages, test pages, 300 bench pages."""
    import gzip

    from pipeline.bench.corpus import iter_pages
    from pipeline.paths import SAMPLE_DIR
    html = SHARED / "data" / "html"
    yield from ((p.name, p.read_bytes()) for p in sorted(SAMPLE_DIR.glob("*.htm*")))
    yield "vnexpress 2023", VNEXPRESS.read_bytes()
    yield "vnexpress 2025", gzip.decompress((html / "vnexpress.net_4954454.html.gz").read_bytes())
    here = Path(__file__).resolve().parent / "data"
    yield from ((p.name, p.read_bytes()) for p in sorted([*here.glob("pages/*.htm*"), *here.glob("sites/*.htm*")]))
    yield from ((f"{p.template} {p.id}", p.html) for p in iter_pages(300, include_samples=False))


def test_fast_path_gives_trafilaturas_reading_wherever_it_is_taken():
    from lxml.etree import strip_elements

    from pipeline.clean import page
    taken = []
    for name, html in reference_pages():
        assert clean_html(html) == clean_html(html, fast=False), name
        tree = page._parse(html)
        strip_elements(tree, *page._NEVER_TEXT, with_tail=False)
        taken.append(page.plain_body(tree, clean_html(html).title) is not None)
    assert sum(taken) >= 0.6 * len(taken)  # the bench templates but the table layout, most samples


@pytest.mark.parametrize("body", [
    "<table><tr><td><div class='c'>{ps}</div></td></tr></table>",  # trafilatura drops tables
    "<div class='c'>{ps}{ps}</div>",                                 # repeated paragraphs
    "<div class='c'>{ps}<h2>Một tiêu đề phụ ở giữa bài</h2>{ps2}</div>",  # not only paragraphs
    "<div class='c'><p>Có <a href='/x'>một đường dẫn</a> ở đây.</p>{ps}</div>",  # link density
])
def test_fast_path_declines_pages_that_are_not_plain(body):
    from pipeline.clean.page import _parse
    from pipeline.clean.plain import plain_body
    ps = "".join(f"<p>Đoạn văn số {n} của bài viết có đủ chữ để là phần thân của một trang tin.</p>"
                 for n in range(6))
    tree = _parse(f"<html><body>{body.format(ps=ps, ps2=ps.replace('Đoạn', 'Phần'))}</body></html>")
    assert plain_body(tree) is None
    assert plain_body(_parse(f"<html><body><div class='c'>{ps}</div></body></html>")) is not None


def test_tidy_of_squashed_lines_needs_no_second_collapse():
    from lxml.etree import strip_elements

    from pipeline.clean import page
    from pipeline.clean.furniture import tidy
    bodies = []
    for _, html in reference_pages():
        tree = page._parse(html)
        strip_elements(tree, *page._NEVER_TEXT, with_tail=False)
        bodies += [page.plain_body(tree) or "", page._largest_p_block(tree)]
    squashed = "\n".join(page.squashed_text(page._parse(f"<p>{t}</p>").find(".//p"))
                          for t in ["a\u2028b", " x\x1cy ", "Tỉnh\u00a0có\u3000 48 xã ", "Bản in", "12/03/2024 08:15"])
    for body in [*bodies, squashed]:
        assert tidy(body, False, True, collapsed=True) == tidy(body, False, True), body[:80]
    assert sum(1 for b in bodies if b) > 300


def test_byline_test_is_its_plain_form():
    import random

    from pipeline.clean.furniture import BYLINE, is_byline

    def plain(line):
        words = line.split()
        return bool(BYLINE.match(line.strip())) and all(w[0].isupper() for w in words) and len(words) <= 5
    rng = random.Random(5)
    pieces = ["Lê", "Phương", "NGỌC", "a", " ", "  ", "\t", ".", "Trần", "\xa0", "1", "X.", "Văn", "\u3000"]
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 16))) for _ in range(20_000)]
    assert [is_byline(line) for line in lines] == [plain(line) for line in lines]
    assert 1_000 < sum(map(plain, lines)) < 19_000


def test_texts_after_an_element_are_xpaths_following_texts():
    from lxml.etree import XPath, strip_elements

    from pipeline.clean import page
    from pipeline.clean.tree import texts_after
    following = XPath("following::text()[normalize-space()][position() <= 15]")
    checked = 0
    for name, html in reference_pages():
        tree = page._parse(html)
        strip_elements(tree, *page._NEVER_TEXT, with_tail=False)
        for element in [*tree.iter("h1", "h2", "time")][:6]:
            assert texts_after(element, 15) == following(element), name
            checked += 1
    assert checked > 300


def test_trafilatura_reads_nothing_where_all_text_is_in_tables():
    from lxml.etree import strip_elements

    from pipeline.clean import page
    from pipeline.clean.plain import all_in_tables
    skipped = 0
    for name, html in reference_pages():
        tree = page._parse(html)
        strip_elements(tree, *page._NEVER_TEXT, with_tail=False)
        if all_in_tables(tree):
            assert page._extract(tree, None, precision=True) == "", name
            skipped += 1
    assert skipped >= 40  # the table-layout bench template (a fifth of 300) and the saved portal page
    ps = "".join(f"<p>Đoạn văn số {n} của bài viết có đủ chữ để là phần thân của một trang tin.</p>" for n in range(6))
    assert all_in_tables(page._parse(f"<html><head><title>Tin</title></head><body><table><tr><td>{ps}"
                                      "</td></tr></table></body></html>"))
    assert not all_in_tables(page._parse(f"<html><body><table><tr><td>{ps}</td></tr></table>"
                                          "<p>Một đoạn ngoài bảng.</p></body></html>"))


def test_the_control_byte_count_refuses_what_the_character_count_refuses():
    import random

    from pipeline.clean import parse

    def refused(text, utf8=None):
        try:
            parse._check_text(text, utf8)
        except CleanError:
            return True
        return False

    rng = random.Random(11)
    pieces = ["a", "ệ", "<p>", "\x01", "\x1b", "\x0b", "\x1f", "𝔸", "\n"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 200))) for _ in range(500)]
    # control characters near the 4,096th character, behind multi-byte letters
    texts += ["ệ" * n + "\x02" * k for n in (4080, 4087, 4088, 4095) for k in (8, 9, 12)]
    verdicts = [refused(t) for t in texts]
    assert [refused(t, t.encode("utf-8")) for t in texts] == verdicts
    assert 20 < sum(verdicts) < len(texts) - 20


def test_text_of_is_text_content():
    from pipeline.clean import page
    from pipeline.clean.tree import text_of
    childless = 0
    for name, html in reference_pages():
        tree = page._parse(html)
        for element in tree.iter():
            assert text_of(element) == element.text_content(), name
            childless += len(element) == 0
    assert childless > 10_000


@pytest.mark.parametrize("value", ["description", "sapo", "lead", "x lead y", "leader", "detail__summary-x",
                                   "mô tả", "", None, "Description", "article-sapo", "lead\tz"])
def test_lead_class_is_the_regex(value):
    from pipeline.clean import page
    assert page._lead_class(value) == bool(page._LEAD_CLASS.search(value or ""))


def test_the_dateline_is_read_from_the_same_window_when_the_texts_stop_early():
    from lxml.etree import strip_elements

    from pipeline.clean import page
    from pipeline.clean.tree import texts_after

    def both(tree):
        for h1 in tree.iter("h1"):
            full = "\n".join(t.strip() for t in texts_after(h1, page.DATELINE_TEXTS))
            window, nfc = page._window_after(h1)
            assert not nfc or unicodedata.is_normalized("NFC", window)  # the flag the cleaner passes on
            yield find_published_date(window, nfc=nfc), find_published_date(full)

    pairs = []
    for name, html in reference_pages():
        tree = page._parse(html)
        strip_elements(tree, *page._NEVER_TEXT, with_tail=False)
        pairs += list(both(tree))
    # decomposed paragraphs: 1,500 characters of NFD are fewer of NFC, and the dateline after them counts
    para = unicodedata.normalize("NFD", "Tỉnh ủy họp bàn việc sắp xếp bộ máy các cơ quan, đơn vị trực thuộc. " * 5)
    page_html = f"<html><body><h1>Tiêu đề</h1>{''.join(f'<p>{para}</p>' for _ in range(4))}" \
                "<p>Cập nhật 12/03/2024 08:15</p></body></html>"
    decomposed = list(both(page._parse(page_html)))
    assert decomposed == [(date(2024, 3, 12), date(2024, 3, 12))]
    assert all(fast == full for fast, full in pairs + decomposed)
    assert sum(1 for fast, _ in pairs if fast) > 50


@pytest.mark.parametrize("text", ["Tỉnh có 48 xã.\nLê Phương", "Lê Phương", "Tỉnh có 48 xã.\nMinh Anh\nLê Phương",
                                  "A\nB\nC\nD", "Tỉnh có 48 xã.", "", "\nLê Phương", "Tỉnh có 48 xã.\n"])
def test_drop_byline_drops_at_most_two_author_lines_never_the_only_line(text):
    from pipeline.clean.furniture import MAX_BYLINES, drop_byline, is_byline
    lines = text.split("\n")
    for _ in range(MAX_BYLINES):
        if len(lines) > 1 and is_byline(lines[-1]):
            lines.pop()
    assert drop_byline(text) == "\n".join(lines)


def test_text_documents_load_no_html_cleaner(tmp_path):
    """`vnfacts ingest` of plain text, as its own process: neither trafilatura
    nor htmldate is imported (~0.2 s of start-up, issue 11); HTML loads them."""
    import subprocess
    import sys

    from tests.conftest import REPO
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('\\nHTML ' + ' '.join(m for m in ('trafilatura', 'htmldate') "
             "if m in sys.modules) + '\\n'))\n"
             "sys.argv = ['vnfacts', *sys.argv[1:]]\n"
             "from pipeline.cli import main\n"
             "main()\n")
    text = tmp_path / "tin.txt"
    text.write_text("Huyện Tân Lạc giảm 9 đầu mối phòng, ban\nSáng 13/3, Huyện ủy Tân Lạc tổ chức hội nghị sơ kết "
                    "việc sắp xếp tổ chức bộ máy của hệ thống chính trị huyện.\n", encoding="utf-8")
    html = tmp_path / "tin.html"
    html.write_text(f"<html><body><h1>Huyện Tân Lạc giảm 9 đầu mối</h1><p>{text.read_text()}</p></body></html>",
                    encoding="utf-8")
    for path, expected in ((text, "HTML"), (html, "HTML trafilatura htmldate")):
        result = subprocess.run([sys.executable, "-c", probe, "ingest", "--db", str(tmp_path / f"{path.suffix[1:]}.duckdb"), str(path)],
                                capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 0, result.stderr
        assert "1 added" in result.stderr and result.stderr.strip().splitlines()[-1] == expected, result.stderr
