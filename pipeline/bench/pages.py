"""News-page HTML for the benchmark: a VNTC article wrapped as one of five site templates.

The furniture (menus, sidebars, scripts, comments, footers) is what a cleaner
must drop; Page records it, with the expected body text, so tests can check.
"""
from __future__ import annotations

import html as htmllib
import json
import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable


@dataclass
class Page:
    id: str
    url: str
    html: str
    meta: dict
    paragraphs: list[str] = field(default_factory=list)   # expected body text
    title: str = ""
    template: str = ""
    furniture: list[str] = field(default_factory=list)    # strings that must not survive cleaning
    byline: str = ""                                       # author line; a cleaner may keep it


SITES = {
    "vnexpress.net": "express",
    "tuoitre.vn": "tuoitre",
    "nld.com.vn": "nld",
    "thanhnien.vn": "thanhnien",
}
PORTALS = [  # provincial outlets (portal template); province is known from the site
    ("baobentre.vn", "Bến Tre", "Báo Đồng Khởi"),
    ("baobaclieu.vn", "Bạc Liêu", "Báo Bạc Liêu"),
    ("baothanhhoa.vn", "Thanh Hóa", "Báo Thanh Hóa"),
    ("baoquangninh.vn", "Quảng Ninh", "Báo Quảng Ninh"),
    ("baodaklak.vn", "Đắk Lắk", "Báo Đắk Lắk"),
]
TEMPLATES = ("express", "tuoitre", "nld", "thanhnien", "portal")
CATEGORIES = [
    "Thời sự", "Góc nhìn", "Thế giới", "Kinh doanh", "Bất động sản", "Khoa học",
    "Giải trí", "Thể thao", "Pháp luật", "Giáo dục", "Sức khỏe", "Đời sống",
    "Du lịch", "Số hóa", "Xe", "Ý kiến", "Tâm sự",
]
COMMENTERS = ["Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Minh", "Phạm Quốc Bảo",
              "Hoàng Anh", "Vũ Thu Hà", "Đặng Tuấn", "Bùi Ngọc Lan"]
COMMENTS = [
    "Bài viết rất hay, cảm ơn tác giả!",
    "Mong các cơ quan chức năng sớm vào cuộc xử lý dứt điểm.",
    "Đọc xong thấy thương bà con quá, ở quê tôi cũng vậy.",
    "Xã tôi có 12 thôn mà đường sá vẫn lầy lội, mong được quan tâm.",
    "Đồng ý với ý kiến trên, cần làm rõ trách nhiệm.",
    "Tôi đã đọc bài này 3 lần, rất xúc động.",
    "Ủng hộ chủ trương sáp nhập, giảm bớt 5 đầu mối là đúng.",
]


def _slug(text: str, words: int = 8) -> str:
    ascii_text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return "-".join(base.split("-")[:words]) or "bai-viet"


def _article_parts(text: str) -> tuple[str, list[str]]:
    """Title (first words of the first line, as VNTC joins title and lead) and paragraphs."""
    # VNTC keeps some entities as text ("GD&amp;ĐT"); a page would show "GD&ĐT"
    paragraphs = [" ".join(htmllib.unescape(line).split()) for line in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    first = paragraphs[0].split() if paragraphs else ["Tin", "tức"]
    title = " ".join(first[: min(14, max(4, len(first) // 3))])
    return title, paragraphs


def _date(rng: random.Random) -> tuple[str, str, str, str]:
    """(iso datetime, dd/mm/yyyy, hh:mm, weekday) for a date in 2006-2007."""
    day = rng.randrange(0, 700)
    stamp = time.gmtime(1136073600 + day * 86400 + rng.randrange(6 * 3600, 22 * 3600))
    weekday = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"][stamp.tm_wday]
    return (time.strftime("%Y-%m-%dT%H:%M:%S+07:00", stamp), time.strftime("%d/%m/%Y", stamp),
            time.strftime("%H:%M", stamp), weekday)


def _esc(text: str) -> str:
    return htmllib.escape(text, quote=False)


SUBCATEGORIES = [
    "Chính trị", "Dân sinh", "Lao động - Việc làm", "Giao thông", "Quỹ Hy vọng", "Mekong",
    "Tư liệu", "Phân tích", "Người Việt 5 châu", "Cuộc sống đó đây", "Quốc tế", "Doanh nghiệp",
    "Chứng khoán", "Ebank", "Vĩ mô", "Hàng hóa", "Hồ sơ phá án", "Tư vấn", "Tuyển sinh",
    "Du học", "Tin tức", "Điểm đến", "Ẩm thực", "Nhà đất", "Dự án", "Không gian sống",
]


def _nav(rng: random.Random, site: str, cls: str) -> str:
    cats = rng.sample(CATEGORIES, k=rng.randrange(10, len(CATEGORIES)))
    items = []
    for c in cats:
        subs = "".join(f'<li><a href="https://{site}/{_slug(c)}/{_slug(sc)}">{sc}</a></li>'
                       for sc in rng.sample(SUBCATEGORIES, k=rng.randrange(2, 6)))
        items.append(f'<li class="parent"><a href="https://{site}/{_slug(c)}" title="{c}">{c}</a>'
                     f'<ul class="sub">{subs}</ul></li>')
    return f'<nav class="{cls}"><ul class="menu">{"".join(items)}</ul></nav>'


def _related(rng: random.Random, site: str, recent: list[str]) -> str:
    items = "".join(
        f'<article class="item-news"><a class="thumb" href="https://{site}/{_slug(t)}-{rng.randrange(10**6)}.html">'
        f'<img src="https://i.{site}/{rng.randrange(10**8):08x}.jpg" alt="{htmllib.escape(t)}"></a>'
        f'<h4 class="title-news"><a href="https://{site}/{_slug(t)}.html">{_esc(t)}</a></h4></article>'
        for t in recent[:4])
    return f'<div class="box-related"><h3>Tin liên quan</h3>{items}</div>'


def _scripts(rng: random.Random, page_id: str) -> str:
    views = rng.randrange(100, 99999)
    return (
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        f"gtag('js',new Date());gtag('config','G-{rng.randrange(10**9):09d}');</script>"
        f'<script>var article={{"id":"{page_id}","views":{views},"cat":"thoi-su"}};'
        "if(window.innerWidth<768){document.body.className+=' mobile';}</script>"
        f'<script async src="https://static.example.vn/js/main.{rng.randrange(10**6):06d}.js"></script>'
        "<script>var adsConfig=" + json.dumps([
            {"slot": f"div-gpt-ad-{n}", "size": [[300, 250], [300, 600]][n % 2],
             "path": f"/{rng.randrange(10**7)}/news/detail_{n}", "refresh": 30 + n,
             "targeting": {"cate": "thoi-su", "pos": n, "device": "desktop"}}
            for n in range(12)]) + ";adsConfig.forEach(function(a){googletag.defineSlot(a.path,a.size,a.slot)"
        ".addService(googletag.pubads());});</script>"
    )


def _sidebar(rng: random.Random, site: str, recent: Iterable[str], heading: str) -> str:
    items = "".join(
        f'<li><a href="https://{site}/{_slug(t)}-{rng.randrange(10**6)}.html">{_esc(t)}</a>'
        f'<span class="count">{rng.randrange(1, 999)}</span></li>'
        for t in recent
    )
    return (f'<aside class="sidebar"><div class="box-most-read"><h3>{heading}</h3>'
            f'<ol>{items}</ol></div><div class="ads" id="ads-right-{rng.randrange(9)}">'
            '<script>googletag.cmd.push(function(){googletag.display("div-gpt-ad-1");});</script>'
            '</div></aside>')


def _comments(rng: random.Random) -> tuple[str, list[str]]:
    picked = rng.sample(range(len(COMMENTS)), k=rng.randrange(2, 5))
    blocks, texts = [], []
    for n in picked:
        who = rng.choice(COMMENTERS)
        texts.append(COMMENTS[n])
        blocks.append(
            f'<div class="comment-item"><p class="user">{who}</p>'
            f'<p class="content-comment">{_esc(COMMENTS[n])}</p>'
            f'<span class="like">{rng.randrange(0, 300)} thích</span> · '
            f'<span class="time">{rng.randrange(1, 23)} giờ trước</span></div>'
        )
    count = len(blocks) + rng.randrange(0, 50)
    html = (f'<section class="comments" id="box_comment"><h3>Ý kiến bạn đọc ({count})</h3>'
            f'{"".join(blocks)}<form class="comment-form"><textarea placeholder="Ý kiến của bạn">'
            '</textarea><button>Gửi</button></form></section>')
    return html, texts


def _body_p(paragraphs: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    out = []
    for i, p in enumerate(paragraphs):
        out.append(f"<p{attr}>{_esc(p)}</p>")
        if i == 1 and len(paragraphs) > 3:   # an inline ad slot inside the body
            out.append('<div class="ads-inread"><script>loadInRead("banner-inpage");</script></div>')
    return "".join(out)


def _footer(rng: random.Random, name: str, hotline: str) -> tuple[str, list[str]]:
    licence = f"Giấy phép số {rng.randrange(100, 999)}/GP-BTTTT do Bộ Thông tin và Truyền thông cấp"
    phone = f"Đường dây nóng: {hotline}"
    html = (f'<footer class="footer"><div class="copyright">© Bản quyền thuộc về {name}. '
            f'{licence}.</div><div class="contact">Tòa soạn: {rng.randrange(1, 300)} đường '
            f'Lê Duẩn, quận {rng.randrange(1, 12)}. {phone}</div>'
            '<div class="social"><a href="#">Facebook</a> <a href="#">Zalo</a> '
            '<a href="#">YouTube</a></div></footer>')
    return html, [licence, phone]


OUTLET_NAMES = {"express": "VnExpress", "tuoitre": "Báo Tuổi Trẻ", "nld": "Báo Người Lao Động",
                "thanhnien": "Báo Thanh Niên"}
AUTHORS = ["Minh Anh", "Hoàng Long", "Thu Trang", "Quốc Việt", "Ngọc Hà"]


@dataclass
class _Parts:
    """Everything a template lays out; ``rng`` is shared so the draw order stays fixed."""
    rng: random.Random
    site: str
    name: str
    province: str | None
    title: str
    paragraphs: list[str]
    iso: str
    dmy: str
    hm: str
    weekday: str
    views: str
    comments: str
    footer: str
    recent: list[str]
    author: str
    furniture: list[str]


def _outlet(template: str, index: int) -> tuple[str, str | None, str]:
    """(site, province, outlet name); portals rotate through PORTALS."""
    if template == "portal":
        site, province, name = PORTALS[(index // len(TEMPLATES)) % len(PORTALS)]
        return site, province, name
    site = next(s for s, t in SITES.items() if t == template)
    return site, None, OUTLET_NAMES[template]


def wrap_article(article: dict, index: int, recent: Iterable[str] = ()) -> Page:
    """One VNTC article as a full news page; deterministic in (article id, index)."""
    rng = random.Random(f"{article['id']}:{index}")
    title, paragraphs = _article_parts(article["text"])
    # templates rotate with the index so that any prefix of the corpus has all five
    template = TEMPLATES[index % len(TEMPLATES)]
    site, province, name = _outlet(template, index)
    page_id = article["id"]
    url = f"https://{site}/{_slug(title)}-{index + 1000000}.html"
    # the rng draws below keep their order: pages must stay identical run to run
    iso, dmy, hm, weekday = _date(rng)
    views = f"{rng.randrange(100, 9999):,}".replace(",", ".")
    hotline = f"0{rng.randrange(200, 999)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
    comments, comment_texts = _comments(rng)
    footer, footer_texts = _footer(rng, name, hotline)
    author = rng.choice(AUTHORS)
    p = _Parts(rng=rng, site=site, name=name, province=province, title=title,
               paragraphs=paragraphs, iso=iso, dmy=dmy, hm=hm, weekday=weekday, views=views,
               comments=comments, footer=footer, recent=list(recent) or ["Tin mới cập nhật"],
               author=author, furniture=[f"Lượt xem: {views}", *footer_texts, *comment_texts])
    head = _head(p, url, page_id)
    body = _BODIES[template](p)
    meta = {"id": page_id, "url": url, "site": site, "province": province,
            "source": f"bench:vntc:{article.get('orig_file', page_id)}"}
    return Page(id=page_id, url=url, html=head + body, meta=meta, paragraphs=paragraphs,
                title=title, template=template, furniture=p.furniture, byline=author)


def _head(p: _Parts, url: str, page_id: str) -> str:
    title, name, iso = p.title, p.name, p.iso
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{_esc(title)} - {name}</title>"
        f'<meta name="description" content="{_esc(p.paragraphs[0][:160]) if p.paragraphs else ""}">'
        f'<meta property="og:title" content="{htmllib.escape(title)}">'
        f'<meta property="og:url" content="{url}"><meta property="og:site_name" content="{name}">'
        f'<meta property="article:published_time" content="{iso}">'
        f'<link rel="canonical" href="{url}"><link rel="stylesheet" href="https://{p.site}/css/app.css">'
        '<script type="application/ld+json">'
        + json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                      "datePublished": iso, "publisher": {"@type": "Organization", "name": name}},
                     ensure_ascii=False)
        + "</script>" + _scripts(p.rng, page_id) + "</head>"
    )


def _express(p: _Parts) -> str:
    """VnExpress-like: header nav, breadcrumb, article.fck_detail, signed byline."""
    return (
        f'<body><header class="header"><a class="logo" href="/">{p.name}</a>'
        f'{_nav(p.rng, p.site, "main-nav")}<div class="search"><input placeholder="Tìm kiếm"></div></header>'
        f'<div class="container"><div class="sidebar-1"><div class="header-content">'
        f'<ul class="breadcrumb"><li><a href="/thoi-su">Thời sự</a></li><li><a href="/thoi-su/chinh-tri">Chính trị</a></li></ul>'
        f'<span class="date">{p.weekday}, {p.dmy}, {p.hm} (GMT+7)</span></div>'
        f'<h1 class="title-detail">{_esc(p.title)}</h1>'
        f'<article class="fck_detail">{_body_p(p.paragraphs, "Normal")}'
        f'<p class="Normal" style="text-align:right;"><strong>{p.author}</strong></p></article>'
        f'<div class="footer-content"><span class="views">Lượt xem: {p.views}</span>'
        '<div class="social_share"><a class="fb">Chia sẻ</a><a class="tw">Tweet</a></div></div>'
        f"{_related(p.rng, p.site, p.recent)}{p.comments}</div>{_sidebar(p.rng, p.site, p.recent, 'Xem nhiều')}</div>{p.footer}</body></html>"
    )


def _tuoitre(p: _Parts) -> str:
    """Tuổi Trẻ-like: data-role content div, author block, tags."""
    return (
        f'<body><div id="header">{_nav(p.rng, p.site, "menu-nav")}</div>'
        f'<div class="detail-container"><div class="detail-top"><a class="detail-cate" href="/thoi-su.htm">Thời sự</a>'
        f'<div class="detail-time" data-role="publishdate">{p.dmy} {p.hm} GMT+7</div></div>'
        f'<h1 class="detail-title article-title" data-role="title">{_esc(p.title)}</h1>'
        f'<div class="detail-cmain"><div class="detail-content afcbc-body" data-role="content">'
        f'{_body_p(p.paragraphs)}</div>'
        f'<div class="detail-author">{p.author}</div></div>'
        f'<div class="detail-tab"><span class="views">Lượt xem: {p.views}</span>'
        '<a class="btn-fb">Thích</a><a class="btn-share">Chia sẻ</a></div>'
        '<div class="box-tag"><a href="/tag/chinh-quyen.htm">chính quyền</a><a href="/tag/dia-phuong.htm">địa phương</a></div>'
        f"{_related(p.rng, p.site, p.recent)}{p.comments}</div>{_sidebar(p.rng, p.site, p.recent, 'Đọc nhiều')}{p.footer}</body></html>"
    )


def _nld(p: _Parts) -> str:
    """Older markup: a table layout, body paragraphs as <p> inside a content div."""
    return (
        f'<body><table width="100%" cellpadding="0"><tr><td colspan="2" class="top">'
        f'<a href="/"><img src="/images/logo.gif" alt="{p.name}"></a>{_nav(p.rng, p.site, "topmenu")}</td></tr>'
        f'<tr><td class="left" valign="top"><div class="breadcrumb">Trang chủ » Chính trị - Xã hội</div>'
        f'<div class="news-date">{p.dmy} {p.hm}</div>'
        f'<h1 class="title">{_esc(p.title)}</h1>'
        f'<div id="divNewsContent" class="content-news">{_body_p(p.paragraphs)}</div>'
        f'<div class="author">{p.author}</div>'
        f'<div class="tool"><a href="javascript:print()">In bài viết</a> | <a href="#">Gửi cho bạn bè</a> | '
        f'<span>Lượt xem: {p.views}</span></div>{_related(p.rng, p.site, p.recent)}{p.comments}</td>'
        f'<td class="right" valign="top" width="300">{_sidebar(p.rng, p.site, p.recent, "Tin đọc nhiều")}</td></tr>'
        f'</tr></table>{p.footer}</body></html>'
    )


def _thanhnien(p: _Parts) -> str:
    """Thanh Niên-like: <time datetime>, cms-body, author span."""
    return (
        f'<body><div class="site-header"><div class="logo">{p.name}</div>{_nav(p.rng, p.site, "nav")}</div>'
        f'<main class="main"><div class="l-content"><div class="details">'
        f'<div class="details__meta"><div class="meta"><time datetime="{p.iso}">{p.hm} - {p.dmy}</time>'
        f'<span class="views">Lượt xem: {p.views}</span></div></div>'
        f'<h1 class="details__headline cms-title">{_esc(p.title)}</h1>'
        f'<div class="details__content cms-body" itemprop="articleBody">{_body_p(p.paragraphs)}'
        f'<div class="details__author"><span>{p.author}</span></div></div>'
        '<div class="details__tags"><a>Thời sự</a> <a>Chính trị</a></div>'
        f"{_related(p.rng, p.site, p.recent)}{p.comments}</div></div>{_sidebar(p.rng, p.site, p.recent, 'Mới nhất')}</main>"
        f"{p.footer}</body></html>"
    )


def _portal(p: _Parts) -> str:
    """A provincial portal (WordPress-like); its view counter is furniture too."""
    counter = f"Số lượt người xem: {p.rng.randrange(50, 5000)}"
    p.furniture.append(counter)
    return (
        f'<body><div id="wrapper"><div id="banner"><img src="/banner.jpg" alt="{p.name}"></div>'
        f'{_nav(p.rng, p.site, "topnav")}<div class="marquee">Chào mừng kỷ niệm '
        f'{p.rng.randrange(50, 95)} năm Ngày thành lập Đảng bộ tỉnh {p.province}</div>'
        '<div class="reset-layout">Tùy chọn này sẽ đưa trang chủ về bố cục mặc định.<button>Reset</button></div>'
        f'<div id="content"><div class="post"><h1 class="entry-title">{_esc(p.title)}</h1>'
        f'<div class="entry-meta">Đã đăng vào {p.dmy} lúc {p.hm}</div>'
        f'<div class="entry-content">{_body_p(p.paragraphs)}'
        f'<p class="author" style="text-align:right"><strong>{p.author}</strong></p></div>'
        f'<div class="post-views">{counter}</div>'
        f"{p.comments}</div></div>{_sidebar(p.rng, p.site, p.recent, 'Tin cùng chuyên mục')}"
        f"{p.footer}</div></body></html>"
    )


_BODIES: dict[str, Callable[[_Parts], str]] = {
    "express": _express,
    "tuoitre": _tuoitre,
    "nld": _nld,
    "thanhnien": _thanhnien,
    "portal": _portal,
}
