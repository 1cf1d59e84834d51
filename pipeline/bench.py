"""Benchmark library: throughput and memory of every stage, against a naive pipeline.

What it measures (issue 3):

* each stage on its own (clean, normalize, segment, extract, load) and the
  whole path HTML -> facts committed in a real DuckDB file, as docs/s and
  MB/s, with peak RSS;
* the naive pipeline a researcher would write by hand (trafilatura.extract,
  underthesea word_tokenize on every sentence, one regex per indicator, one
  INSERT per fact) on the same documents in the same run, and the ratio;
* peak RSS of the end-to-end pass for 1,000 documents and for the full set,
  each in its own subprocess (memory must be flat in corpus size);
* loading 1,000,000 synthetic fact rows through ``store.replace_facts``;
* re-extraction (``core.extract_pending(con, everything=True)``) on an
  already-ingested database, counting calls to ``clean_html`` (must be 0);
* equivalence: the pre-filtered segmentation must yield exactly the facts of
  full segmentation (gold seed documents, corpus/sample/*.html, bench docs).

The corpus is the VNTC politics/society sample (``../shared/data/bulk``
relative to the repository) wrapped in varied news-page HTML, plus the
bundled sample pages. It is streamed: generated once into a temporary JSONL
file, read back line by line; no pass holds the corpus in memory.
"""
from __future__ import annotations

import cProfile
import gc
import gzip
import html as htmllib
import json
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VNFACTS_SHARED", REPO.parent / "shared"))
VNTC_PATH = SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz"
SEEDS_DIR = SHARED / "corpus" / "seeds"
GOLD_PATH = SHARED / "gold" / "seeds.jsonl"
SAMPLE_DIR = REPO / "corpus" / "sample"
RULES_DIR = REPO / "rules"
VNTC_TOTAL = 12786
MEMORY_SMALL = 1000
LOAD_BATCH_DOCS = 256          # documents per load batch in the staged pass
SYNTH_BATCH_ROWS = 100_000     # rows per replace_facts call in the 1M-row test
MB = 1_000_000


# ---------------------------------------------------------------------------
# Corpus: VNTC articles wrapped in news-page HTML, streamed
# ---------------------------------------------------------------------------

def iter_vntc(path: Path = VNTC_PATH, limit: int | None = None) -> Iterator[dict]:
    """Articles from the gzipped JSONL, one at a time."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


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


def _body_p(paragraphs: list[str], rng: random.Random, cls: str = "") -> str:
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


def wrap_article(article: dict, index: int, recent: Iterable[str] = ()) -> Page:
    """One VNTC article as a full news page; deterministic in (article id, index)."""
    rng = random.Random(f"{article['id']}:{index}")
    title, paragraphs = _article_parts(article["text"])
    # templates rotate with the index so that any prefix of the corpus has all five
    template = TEMPLATES[index % len(TEMPLATES)]
    province = None
    if template == "portal":
        site, province, name = PORTALS[(index // len(TEMPLATES)) % len(PORTALS)]
    else:
        site = next(s for s, t in SITES.items() if t == template)
        name = {"express": "VnExpress", "tuoitre": "Báo Tuổi Trẻ", "nld": "Báo Người Lao Động",
                "thanhnien": "Báo Thanh Niên"}[template]
    page_id = article["id"]
    url = f"https://{site}/{_slug(title)}-{index + 1000000}.html"
    iso, dmy, hm, weekday = _date(rng)
    views = f"{rng.randrange(100, 9999):,}".replace(",", ".")
    hotline = f"0{rng.randrange(200, 999)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
    comments, comment_texts = _comments(rng)
    footer, footer_texts = _footer(rng, name, hotline)
    recent = list(recent) or ["Tin mới cập nhật"]
    author = rng.choice(["Minh Anh", "Hoàng Long", "Thu Trang", "Quốc Việt", "Ngọc Hà"])
    head = (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{_esc(title)} - {name}</title>"
        f'<meta name="description" content="{_esc(paragraphs[0][:160]) if paragraphs else ""}">'
        f'<meta property="og:title" content="{htmllib.escape(title)}">'
        f'<meta property="og:url" content="{url}"><meta property="og:site_name" content="{name}">'
        f'<meta property="article:published_time" content="{iso}">'
        f'<link rel="canonical" href="{url}"><link rel="stylesheet" href="https://{site}/css/app.css">'
        '<script type="application/ld+json">'
        + json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                      "datePublished": iso, "publisher": {"@type": "Organization", "name": name}},
                     ensure_ascii=False)
        + "</script>" + _scripts(rng, page_id) + "</head>"
    )
    furniture = [f"Lượt xem: {views}", *footer_texts, *comment_texts]
    if template == "express":
        body = (
            f'<body><header class="header"><a class="logo" href="/">{name}</a>'
            f'{_nav(rng, site, "main-nav")}<div class="search"><input placeholder="Tìm kiếm"></div></header>'
            f'<div class="container"><div class="sidebar-1"><div class="header-content">'
            f'<ul class="breadcrumb"><li><a href="/thoi-su">Thời sự</a></li><li><a href="/thoi-su/chinh-tri">Chính trị</a></li></ul>'
            f'<span class="date">{weekday}, {dmy}, {hm} (GMT+7)</span></div>'
            f'<h1 class="title-detail">{_esc(title)}</h1>'
            f'<article class="fck_detail">{_body_p(paragraphs, rng, "Normal")}'
            f'<p class="Normal" style="text-align:right;"><strong>{author}</strong></p></article>'
            f'<div class="footer-content"><span class="views">Lượt xem: {views}</span>'
            '<div class="social_share"><a class="fb">Chia sẻ</a><a class="tw">Tweet</a></div></div>'
            f"{_related(rng, site, recent)}{comments}</div>{_sidebar(rng, site, recent, 'Xem nhiều')}</div>{footer}</body></html>"
        )
    elif template == "tuoitre":
        body = (
            f'<body><div id="header">{_nav(rng, site, "menu-nav")}</div>'
            f'<div class="detail-container"><div class="detail-top"><a class="detail-cate" href="/thoi-su.htm">Thời sự</a>'
            f'<div class="detail-time" data-role="publishdate">{dmy} {hm} GMT+7</div></div>'
            f'<h1 class="detail-title article-title" data-role="title">{_esc(title)}</h1>'
            f'<div class="detail-cmain"><div class="detail-content afcbc-body" data-role="content">'
            f'{_body_p(paragraphs, rng)}</div>'
            f'<div class="detail-author">{author}</div></div>'
            f'<div class="detail-tab"><span class="views">Lượt xem: {views}</span>'
            '<a class="btn-fb">Thích</a><a class="btn-share">Chia sẻ</a></div>'
            '<div class="box-tag"><a href="/tag/chinh-quyen.htm">chính quyền</a><a href="/tag/dia-phuong.htm">địa phương</a></div>'
            f"{_related(rng, site, recent)}{comments}</div>{_sidebar(rng, site, recent, 'Đọc nhiều')}{footer}</body></html>"
        )
    elif template == "nld":
        # older markup: a table layout, body paragraphs as <p> inside a content div
        body = (
            f'<body><table width="100%" cellpadding="0"><tr><td colspan="2" class="top">'
            f'<a href="/"><img src="/images/logo.gif" alt="{name}"></a>{_nav(rng, site, "topmenu")}</td></tr>'
            f'<tr><td class="left" valign="top"><div class="breadcrumb">Trang chủ » Chính trị - Xã hội</div>'
            f'<div class="news-date">{dmy} {hm}</div>'
            f'<h1 class="title">{_esc(title)}</h1>'
            f'<div id="divNewsContent" class="content-news">{_body_p(paragraphs, rng)}</div>'
            f'<div class="author">{author}</div>'
            f'<div class="tool"><a href="javascript:print()">In bài viết</a> | <a href="#">Gửi cho bạn bè</a> | '
            f'<span>Lượt xem: {views}</span></div>{_related(rng, site, recent)}{comments}</td>'
            f'<td class="right" valign="top" width="300">{_sidebar(rng, site, recent, "Tin đọc nhiều")}</td></tr>'
            f'</tr></table>{footer}</body></html>'
        )
    elif template == "thanhnien":
        body = (
            f'<body><div class="site-header"><div class="logo">{name}</div>{_nav(rng, site, "nav")}</div>'
            f'<main class="main"><div class="l-content"><div class="details">'
            f'<div class="details__meta"><div class="meta"><time datetime="{iso}">{hm} - {dmy}</time>'
            f'<span class="views">Lượt xem: {views}</span></div></div>'
            f'<h1 class="details__headline cms-title">{_esc(title)}</h1>'
            f'<div class="details__content cms-body" itemprop="articleBody">{_body_p(paragraphs, rng)}'
            f'<div class="details__author"><span>{author}</span></div></div>'
            '<div class="details__tags"><a>Thời sự</a> <a>Chính trị</a></div>'
            f"{_related(rng, site, recent)}{comments}</div></div>{_sidebar(rng, site, recent, 'Mới nhất')}</main>"
            f"{footer}</body></html>"
        )
    else:  # provincial portal
        counter = f"Số lượt người xem: {rng.randrange(50, 5000)}"
        furniture.append(counter)
        body = (
            f'<body><div id="wrapper"><div id="banner"><img src="/banner.jpg" alt="{name}"></div>'
            f'{_nav(rng, site, "topnav")}<div class="marquee">Chào mừng kỷ niệm '
            f'{rng.randrange(50, 95)} năm Ngày thành lập Đảng bộ tỉnh {province}</div>'
            '<div class="reset-layout">Tùy chọn này sẽ đưa trang chủ về bố cục mặc định.<button>Reset</button></div>'
            f'<div id="content"><div class="post"><h1 class="entry-title">{_esc(title)}</h1>'
            f'<div class="entry-meta">Đã đăng vào {dmy} lúc {hm}</div>'
            f'<div class="entry-content">{_body_p(paragraphs, rng)}'
            f'<p class="author" style="text-align:right"><strong>{author}</strong></p></div>'
            f'<div class="post-views">{counter}</div>'
            f"{comments}</div></div>{_sidebar(rng, site, recent, 'Tin cùng chuyên mục')}"
            f"{footer}</div></body></html>"
        )
    meta = {"id": page_id, "url": url, "site": site, "province": province,
            "source": f"bench:vntc:{article.get('orig_file', page_id)}"}
    return Page(id=page_id, url=url, html=head + body, meta=meta, paragraphs=paragraphs,
                title=title, template=template, furniture=furniture, byline=author)


def iter_sample_pages(directory: Path = SAMPLE_DIR) -> Iterator[Page]:
    """The bundled sample pages (corpus/sample/*.html), read as `vnfacts ingest` reads them:
    bytes, id = file stem. Page.html holds the path; iter_corpus reads the bytes."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.htm*")):
        rel = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        meta = {"id": path.stem, "source": str(rel)}
        yield Page(id=path.stem, url="", html="", meta=meta, template="sample",
                   paragraphs=[str(path)])


def iter_pages(limit: int | None = None, include_samples: bool = True,
               vntc_path: Path = VNTC_PATH) -> Iterator[Page]:
    """Sample pages first, then wrapped VNTC articles; ``limit`` counts both."""
    produced = 0
    if include_samples:
        for page in iter_sample_pages():
            if limit is not None and produced >= limit:
                return
            produced += 1
            yield page
    recent: deque[str] = deque(maxlen=10)     # sidebar headlines: earlier articles' titles
    for index, article in enumerate(iter_vntc(vntc_path)):
        if limit is not None and produced >= limit:
            return
        page = wrap_article(article, index, reversed(recent))
        recent.append(page.title)
        produced += 1
        yield page


def write_corpus(path: Path, limit: int | None = None, include_samples: bool = True) -> dict:
    """Stream the corpus into a JSONL file: html + meta per line (samples by path)."""
    docs = html_bytes = samples = 0
    templates: Counter = Counter()
    with open(path, "w", encoding="utf-8") as out:
        for page in iter_pages(limit, include_samples):
            if page.template == "sample":
                record = {"html_path": page.paragraphs[0], "meta": page.meta}
                html_bytes += Path(page.paragraphs[0]).stat().st_size
                samples += 1
            else:
                record = {"html": page.html, "meta": page.meta}
                html_bytes += len(page.html.encode("utf-8"))
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            docs += 1
            templates[page.template] += 1
    return {"docs": docs, "sample_pages": samples, "html_bytes": html_bytes,
            "templates": dict(templates), "path": str(path)}


def iter_corpus(path: Path, limit: int | None = None) -> Iterator[tuple[str | bytes, dict]]:
    """(html, meta) pairs read back one line at a time (sample pages as bytes)."""
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                return
            record = json.loads(line)
            html = record.get("html")
            if html is None:
                html = Path(record["html_path"]).read_bytes()
            yield html, record["meta"]


def nbytes(html: str | bytes) -> int:
    return len(html) if isinstance(html, bytes) else len(html.encode("utf-8"))


# ---------------------------------------------------------------------------
# Measurement helpers
# ---------------------------------------------------------------------------

class RssSampler:
    """Peak resident set size of this process, sampled with psutil in a thread."""

    def __init__(self, interval: float = 0.05):
        import psutil
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.start = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            rss = self.process.memory_info().rss
            if rss > self.peak:
                self.peak = rss

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def _rates(seconds: float, docs: int, nbytes: int) -> dict:
    return {
        "seconds": round(seconds, 4),
        "docs": docs,
        "bytes": nbytes,
        "docs_per_s": round(docs / seconds, 1) if seconds > 0 else None,
        "mb_per_s": round(nbytes / MB / seconds, 3) if seconds > 0 else None,
    }


def load_ruleset():
    from pipeline.rules import load_ruleset as _load
    return _load()   # the default rules dir: the same cached RuleSet the pipeline uses


def _is_segmented(sentence) -> bool:
    for name in ("words", "tokens"):
        value = getattr(sentence, name, None)
        if value is not None:
            return True
    return False


class _Timed:
    """Wrap a module function so the time spent in it is summed (restored on exit)."""

    def __init__(self, module, attr: str):
        self.module, self.attr = module, attr
        self.func = getattr(module, attr)
        self.seconds, self.calls = 0.0, 0

    def __call__(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t
            self.calls += 1

    def __enter__(self):
        setattr(self.module, self.attr, self)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.attr, self.func)


def _record(html, meta: dict) -> dict:
    """An ingest record, as the crawler or `vnfacts ingest` hands it over."""
    return {**meta, "html": html}


# ---------------------------------------------------------------------------
# Passes
# ---------------------------------------------------------------------------

STAGES = ("clean", "normalize", "segment", "extract", "load")


def run_stages(corpus: Path, limit: int | None, db_path: Path, ruleset) -> dict:
    """One streaming pass over the production functions, every stage timed on its own.

    clean = core.clean (clean_html, title); normalize = the rest of
    core.prepare_document (NFC/tone normalization, language check, hash);
    segment = segment_document(text, prefilter=True, ruleset.keywords);
    extract = extract_facts; load = store.upsert_documents + replace_facts
    per batch of LOAD_BATCH_DOCS documents into a fresh DuckDB file.
    clean is measured on HTML bytes, the other stages on clean-text bytes.
    """
    from pipeline import core, store
    from pipeline.clean import CleanError
    from pipeline.extract import extract_facts
    from pipeline.segment import segment_document
    timers = dict.fromkeys(STAGES, 0.0)
    html_bytes = text_bytes = docs = facts_total = sentences = segmented = errors = 0
    clock = time.perf_counter
    con = store.connect(db_path)
    batch_docs: list[dict] = []
    batch_facts: list[dict] = []

    def flush():
        t = clock()
        store.upsert_documents(con, batch_docs)
        store.replace_facts(con, [d["id"] for d in batch_docs], batch_facts, ruleset.version)
        timers["load"] += clock() - t
        batch_docs.clear()
        batch_facts.clear()

    gc.collect()
    with RssSampler() as rss, _Timed(core, "clean") as clean_timer:
        wall = clock()
        for html, meta in iter_corpus(corpus, limit):
            docs += 1
            html_bytes += nbytes(html)
            before = clean_timer.seconds
            t0 = clock()
            try:
                document = core.prepare_document(_record(html, meta))
            except CleanError:
                errors += 1
                timers["clean"] += clean_timer.seconds - before
                continue
            t1 = clock()
            sents = segment_document(document["text"], True, ruleset.keywords)
            t2 = clock()
            facts = extract_facts(document, sents, ruleset)
            t3 = clock()
            cleaning = clean_timer.seconds - before
            timers["clean"] += cleaning
            timers["normalize"] += (t1 - t0) - cleaning
            timers["segment"] += t2 - t1
            timers["extract"] += t3 - t2
            text_bytes += len(document["text"].encode("utf-8"))
            sentences += len(sents)
            segmented += sum(1 for x in sents if _is_segmented(x))
            facts_total += len(facts)
            batch_docs.append(document)
            batch_facts.extend(facts)
            if len(batch_docs) >= LOAD_BATCH_DOCS:
                flush()
        if batch_docs:
            flush()
        wall = clock() - wall
    con.close()
    out = {name: _rates(seconds, docs, html_bytes if name == "clean" else text_bytes)
           for name, seconds in timers.items()}
    out["_pass"] = {"wall_seconds": round(wall, 3), "docs": docs, "clean_errors": errors,
                    "facts": facts_total, "html_bytes": html_bytes, "text_bytes": text_bytes,
                    "sentences": sentences, "segmented_sentences": segmented,
                    "peak_rss_mb": round(rss.peak_mb, 1)}
    return out


def _process_html_loop(con, records, ruleset, counter: dict) -> None:
    """Single pass: core.process_html per page, batched store writes."""
    from pipeline import core, store
    from pipeline.clean import CleanError
    batch_docs, batch_facts = [], []

    def flush():
        store.upsert_documents(con, batch_docs)
        store.replace_facts(con, [d["id"] for d in batch_docs], batch_facts, ruleset.version)
        batch_docs.clear()
        batch_facts.clear()

    for html, meta in records:
        counter["docs"] += 1
        counter["html_bytes"] += nbytes(html)
        try:
            doc_row, facts = core.process_html(html, meta, ruleset)
        except CleanError:
            continue
        batch_docs.append(doc_row)
        batch_facts.extend(facts)
        if len(batch_docs) >= LOAD_BATCH_DOCS:
            flush()
    if batch_docs:
        flush()


E2E_ENTRIES = {
    "ingest+extract": "ingest.ingest_records (clean, normalize, store) then "
                      "core.extract_pending (segment, extract, store facts): the `vnfacts ingest`/`extract` path",
    "process_html": "core.process_html per page + batched store.upsert_documents/replace_facts: one pass",
}


def run_e2e(corpus: Path, limit: int | None, db_path: Path, ruleset=None,
            entry: str = "ingest+extract", collect: bool = True) -> dict:
    """Whole path, HTML on disk -> facts committed in a DuckDB file, timed as one."""
    from pipeline import core, ingest, store
    ruleset = ruleset or load_ruleset()
    counter = {"docs": 0, "html_bytes": 0}
    phases = {}
    if collect:
        gc.collect()
    with RssSampler() as rss:
        t = time.perf_counter()
        con = store.connect(db_path)
        if entry == "ingest+extract":
            def records():
                for html, meta in iter_corpus(corpus, limit):
                    counter["docs"] += 1
                    counter["html_bytes"] += nbytes(html)
                    yield _record(html, meta)
            report = ingest.ingest_records(con, records(), "bench")
            phases["ingest_seconds"] = round(time.perf_counter() - t, 3)
            phases["ingest_errors"] = len(report.errors)
            phases["ingest_error_examples"] = report.errors[:3]
            phases["peak_rss_ingest_mb"] = round(max(rss.peak, rss.process.memory_info().rss) / 2**20, 1)
            core.extract_pending(con, ruleset=ruleset)
            phases["extract_seconds"] = round(time.perf_counter() - t - phases["ingest_seconds"], 3)
        else:
            _process_html_loop(con, iter_corpus(corpus, limit), ruleset, counter)
        con.execute("CHECKPOINT")
        facts, stored = con.execute(
            "SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM documents)").fetchall()[0]
        con.close()
        seconds = time.perf_counter() - t
    out = _rates(seconds, counter["docs"], counter["html_bytes"])
    out.update(facts=facts, stored_docs=stored, entry=entry, peak_rss_mb=round(rss.peak_mb, 1),
               start_rss_mb=round(rss.start / 2**20, 1), **phases)
    return out


# --- the naive pipeline ----------------------------------------------------

_NUM = r"(\d[\d.,]*)"
NAIVE_PATTERNS = {  # what a researcher writes by hand: one regex per indicator
    "secretary_hamlet_head": _NUM + r"(?:/\d+)?\s+(?:đồng chí\s+)?bí thư chi bộ[^.]{0,60}?(?:kiêm|đồng thời là)\s+trưởng\s+(?:thôn|ấp|khóm|bản|khu phố|tổ dân phố)",
    "secretary_committee_chair": _NUM + r"(?:/\d+)?\s+(?:đồng chí\s+)?bí thư (?:đảng ủy|cấp ủy)[^.]{0,60}?(?:kiêm|đồng thời là)\s+chủ tịch (?:UBND|ủy ban)",
    "secretary_council_chair": _NUM + r"(?:/\d+)?\s+(?:đồng chí\s+)?(?:phó )?bí thư[^.]{0,60}?kiêm\s+chủ tịch (?:HĐND|hội đồng)",
    "concurrent_post": _NUM + r"\s+(?:mô hình|trường hợp|chức danh)\s+kiêm nhiệm",
    "non_local_leader": _NUM + r"\s+(?:đồng chí\s+)?(?:bí thư|chủ tịch)[^.]{0,40}?không (?:phải )?là người địa phương",
    "part_time_staff": _NUM + r"\s+người hoạt động không chuyên trách",
    "civil_servant": _NUM + r"\s+(?:biên chế|cán bộ, công chức|công chức|viên chức)",
    "leader_post": _NUM + r"\s+(?:lãnh đạo cấp phòng|cấp trưởng|cấp phó)",
    "admin_unit": _NUM + r"\s+(?:đơn vị hành chính|xã, phường, thị trấn|xã|phường|huyện)",
    "hamlet": _NUM + r"\s+(?:thôn|ấp|khóm|bản|khu phố|tổ dân phố|khu dân cư)",
    "agency": _NUM + r"\s+(?:đầu mối|sở, ban, ngành|phòng, ban|chi cục|cơ quan)",
    "public_service_unit": _NUM + r"\s+đơn vị sự nghiệp",
    "party_org": _NUM + r"\s+(?:tổ chức cơ sở đảng|đảng bộ|chi bộ)",
    "voter_approval": r"(\d[\d,]*)\s*%\s+(?:cử tri|phiếu)[^.]{0,30}?đồng ý",
}


def run_naive(corpus: Path, limit: int | None, db_path: Path) -> dict:
    """trafilatura.extract, word_tokenize every sentence, a regex per indicator, INSERT per fact."""
    import duckdb
    import trafilatura
    from underthesea import sent_tokenize, word_tokenize

    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in NAIVE_PATTERNS.items()}
    docs = html_bytes = facts = sentences = 0
    gc.collect()
    with RssSampler() as rss:
        t = time.perf_counter()
        con = duckdb.connect(str(db_path))
        con.execute("CREATE TABLE facts (doc TEXT, indicator TEXT, value TEXT, quote TEXT, sentence TEXT)")
        for html, meta in iter_corpus(corpus, limit):
            docs += 1
            html_bytes += nbytes(html)
            text = trafilatura.extract(html) or ""
            for line in text.split("\n"):
                if not line.strip():
                    continue
                for sentence in sent_tokenize(line):
                    sentences += 1
                    tokens = word_tokenize(sentence)
                    joined = " ".join(tokens)
                    for indicator, pattern in patterns.items():
                        for match in pattern.finditer(joined):
                            con.execute("INSERT INTO facts VALUES (?, ?, ?, ?, ?)",
                                        [meta.get("id"), indicator, match.group(1), match.group(0), sentence])
                            facts += 1
        con.close()
        seconds = time.perf_counter() - t
    out = _rates(seconds, docs, html_bytes)
    out.update(facts=facts, sentences=sentences, peak_rss_mb=round(rss.peak_mb, 1))
    return out


# --- load, re-extraction ----------------------------------------------------

def synthetic_facts(start: int, count: int, rules_version: str, per_doc: int = 5) -> list[dict]:
    """Plausible fact rows (all store columns) for the load test."""
    indicators = list(NAIVE_PATTERNS)
    levels = ["hamlet", "commune", "district", "province", None]
    provinces = ["Bến Tre", "Bạc Liêu", "Thanh Hóa", "Quảng Ninh", "Đắk Lắk", "Hà Giang"]
    rows = []
    for n in range(start, start + count):
        value = (n * 7919) % 5000
        rows.append({
            "doc": f"synthetic-{n // per_doc:07d}",
            "indicator": indicators[n % len(indicators)],
            "value": float(value), "total": float(value + 17) if n % 3 == 0 else None,
            "percent": round((n % 1000) / 10, 1) if n % 4 == 0 else None,
            "approx": "exact", "change": ("count", "decrease", "increase")[n % 3],
            "status": "achieved" if n % 5 else "target", "over_plan_percent": None,
            "level": levels[n % 5], "locality": f"huyện Số {n % 700}",
            "province": provinces[n % 6], "province_2025": provinces[(n + 1) % 6],
            "as_of": f"20{10 + n % 15}-{1 + n % 12:02d}-28", "target_year": 2025 if n % 5 == 0 else None,
            "quote": f"{value} thôn, tổ dân phố được sáp nhập", "sentence": f"Đến nay toàn tỉnh có {value} thôn, tổ dân phố được sáp nhập.",
            "start": n % 2000, "end": n % 2000 + 30, "rule_id": f"r{n % 40}", "rules_version": rules_version,
        })
    return rows


def run_load(rows: int, db_path: Path, batch_rows: int = SYNTH_BATCH_ROWS) -> dict:
    """Load ``rows`` synthetic facts through store.replace_facts into a fresh DB file."""
    from pipeline import store
    version = "bench-synthetic"
    con = store.connect(db_path)
    load_seconds = gen_seconds = 0.0
    done = 0
    gc.collect()
    with RssSampler() as rss:
        while done < rows:
            count = min(batch_rows, rows - done)
            t = time.perf_counter()
            facts = synthetic_facts(done, count, version)
            doc_ids = sorted({f["doc"] for f in facts})
            gen_seconds += time.perf_counter() - t
            t = time.perf_counter()
            store.replace_facts(con, doc_ids, facts, version)
            load_seconds += time.perf_counter() - t
            done += count
            del facts
        stored = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    con.close()
    return {"rows": rows, "stored": stored, "seconds": round(load_seconds, 3),
            "rows_per_s": round(rows / load_seconds) if load_seconds else None,
            "batch_rows": batch_rows, "generate_seconds_excluded": round(gen_seconds, 3),
            "db_mb": round(db_path.stat().st_size / MB, 1), "peak_rss_mb": round(rss.peak_mb, 1)}


class _CallCounter:
    def __init__(self, func):
        self.func, self.calls = func, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.func(*args, **kwargs)


def _patch_everywhere(owner, attr: str, counter: _CallCounter) -> list[tuple]:
    """Replace ``owner.attr`` and every pipeline.* module's imported copy with the counter."""
    original = counter.func
    patched = []
    for name, module in list(sys.modules.items()):
        if module is None or not (module is owner or name.startswith("pipeline")):
            continue
        if getattr(module, attr, None) is original:
            setattr(module, attr, counter)
            patched.append((module, attr, original))
    return patched


def run_reextract(db_path: Path) -> dict:
    """Time core.extract_pending(con, everything=True) on an ingested DB; count cleaning calls.

    Re-extraction after a rules change must read the stored clean text: any call to
    clean_html, clean_text, core.clean or trafilatura.extract is a failure.
    """
    import trafilatura
    from pipeline import clean, core, store
    counters = {
        "clean_html": _CallCounter(clean.clean_html),
        "clean_text": _CallCounter(clean.clean_text),
        "core.clean": _CallCounter(core.clean),
        "trafilatura.extract": _CallCounter(trafilatura.extract),
    }
    patched = _patch_everywhere(clean, "clean_html", counters["clean_html"])
    patched += _patch_everywhere(clean, "clean_text", counters["clean_text"])
    patched += _patch_everywhere(core, "clean", counters["core.clean"])
    patched += _patch_everywhere(trafilatura, "extract", counters["trafilatura.extract"])
    con = store.connect(db_path)
    try:
        docs, chars = con.execute(
            "SELECT count(*), sum(octet_length(encode(text))) FROM documents").fetchall()[0]
        gc.collect()
        with RssSampler() as rss:
            t = time.perf_counter()
            report = core.extract_pending(con, everything=True)
            seconds = time.perf_counter() - t
        facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    finally:
        con.close()
        for module, attr, original in reversed(patched):
            setattr(module, attr, original)
    out = _rates(seconds, int(docs), int(chars or 0))
    out.update(facts=facts, reported_documents=getattr(report, "documents", None),
               cleaning_calls={k: c.calls for k, c in counters.items()},
               clean_calls=sum(c.calls for c in counters.values()),
               peak_rss_mb=round(rss.peak_mb, 1))
    return out


# --- equivalence -------------------------------------------------------------

_IGNORED = {"rules_version", "extracted_at"}


def fact_key(fact: dict) -> str:
    return json.dumps({k: (str(v) if v is not None else None) for k, v in sorted(fact.items())
                       if k not in _IGNORED}, ensure_ascii=False, sort_keys=True)


def compare_facts(fast: list[dict], full: list[dict]) -> dict:
    """Multiset difference; empty lists mean the two agree exactly."""
    a, b = Counter(map(fact_key, fast)), Counter(map(fact_key, full))
    return {"only_fast": sorted((a - b).elements()), "only_full": sorted((b - a).elements())}


def equivalence_of_text(doc: dict, ruleset) -> dict:
    """Facts with the pre-filter vs every sentence segmented, on one stored document."""
    from pipeline.extract import extract_facts
    from pipeline.segment import segment_document
    keywords = getattr(ruleset, "keywords", None)
    fast = extract_facts(doc, segment_document(doc["text"], True, keywords), ruleset)
    full = extract_facts(doc, segment_document(doc["text"], False, keywords), ruleset)
    diff = compare_facts(fast, full)
    return {"doc": doc["id"], "fast": len(fast), "full": len(full), **diff}


def gold_doc_ids() -> list[str]:
    wanted: list[str] = []
    if GOLD_PATH.is_file():
        with open(GOLD_PATH, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    doc = json.loads(line)["doc"]
                    if doc not in wanted:
                        wanted.append(doc)
    return wanted


def iter_seed_docs() -> Iterator[dict]:
    """The gold file's documents (texts in ../shared/corpus/seeds), prepared as ingest does."""
    from pipeline import core
    paths = {p.stem: p for p in SEEDS_DIR.glob("*.txt")} if SEEDS_DIR.is_dir() else {}
    for doc_id in gold_doc_ids() or sorted(paths):
        if doc_id in paths:
            yield core.prepare_document({"id": doc_id, "text": paths[doc_id].read_bytes(),
                                         "source": str(paths[doc_id])})


def iter_page_docs(pages: Iterable[tuple[str | bytes, dict]]) -> Iterator[dict]:
    from pipeline import core
    from pipeline.clean import CleanError
    for html, meta in pages:
        try:
            yield core.prepare_document(_record(html, meta))
        except CleanError:
            continue


def run_equivalence(ruleset, corpus: Path | None, limit: int | None,
                    show: int = 10, log: Callable[[str], None] | None = None) -> dict:
    """Check seeds (gold), corpus/sample pages and the bench docs; collect mismatches."""
    groups = {
        "gold seeds": iter_seed_docs(),
        "corpus/sample": iter_page_docs(iter_corpus_pages(iter_sample_pages())),
    }
    if corpus is not None:
        groups["bench docs"] = iter_page_docs(
            (html, meta) for html, meta in iter_corpus(corpus, limit)
            if not str(meta.get("source", "")).startswith("corpus/sample"))
    out = {}
    for name, docs in groups.items():
        checked = facts = 0
        mismatches = []
        t = time.perf_counter()
        for doc in docs:
            result = equivalence_of_text(doc, ruleset)
            checked += 1
            facts += result["full"]
            if result["only_fast"] or result["only_full"]:
                mismatches.append(result)
                if log and len(mismatches) <= show:
                    log(f"MISMATCH [{name}] {result['doc']}: pre-filter {result['fast']} facts, "
                        f"full segmentation {result['full']}")
                    for key in result["only_full"][:3]:
                        log(f"   missed by pre-filter: {key[:400]}")
                    for key in result["only_fast"][:3]:
                        log(f"   only with pre-filter: {key[:400]}")
        out[name] = {"docs": checked, "facts_full": facts, "mismatched_docs": len(mismatches),
                     "seconds": round(time.perf_counter() - t, 2),
                     "mismatches": mismatches[:show]}
    return out


def iter_corpus_pages(pages: Iterable[Page]) -> Iterator[tuple[str | bytes, dict]]:
    for page in pages:
        if page.template == "sample":
            yield Path(page.paragraphs[0]).read_bytes(), page.meta
        else:
            yield page.html, page.meta


# --- profile ----------------------------------------------------------------

def run_profile(corpus: Path, limit: int, db_path: Path, top: int = 20) -> dict:
    """cProfile of the end-to-end pass; top functions by own time and by cumulative time."""
    ruleset = load_ruleset()
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    run_e2e(corpus, limit, db_path, ruleset, collect=False)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt

    def rows(sort_key: str) -> list[dict]:
        entries = []
        for (filename, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
            entries.append({"function": f"{_short(filename)}:{line}({func})", "ncalls": nc,
                            "tottime": round(tt, 3), "cumtime": round(ct, 3),
                            "tottime_pct": round(100 * tt / total, 1) if total else None,
                            "cumtime_pct": round(100 * ct / total, 1) if total else None})
        entries.sort(key=lambda e: e[sort_key], reverse=True)
        return entries[:top]

    return {"docs": limit, "total_seconds": round(total, 3),
            "by_tottime": rows("tottime"), "by_cumtime": rows("cumtime")}


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/pipeline/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1] if marker != "/pipeline/" else "pipeline/" + filename.split(marker, 1)[1]
    return filename


# --- memory: end-to-end in separate subprocesses ------------------------------

def run_memory_child(corpus: Path, limit: int | None, workdir: Path) -> dict:
    """Run the end-to-end pass in a fresh interpreter; returns its figures."""
    db = workdir / f"mem-{limit or 'all'}.duckdb"
    cmd = [sys.executable, "-m", "pipeline.bench", "e2e-child", str(corpus), str(db),
           str(limit or 0)]
    proc = subprocess.run(cmd, cwd=str(REPO), capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "docs": limit}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] != "e2e-child":
        print("usage: python -m pipeline.bench e2e-child CORPUS DB LIMIT", file=sys.stderr)
        return 2
    corpus, db, limit = Path(argv[1]), Path(argv[2]), int(argv[3]) or None
    quiet_libraries()
    ruleset = load_ruleset()
    result = run_e2e(corpus, limit, db, ruleset)
    result["rules_version"] = getattr(ruleset, "version", None)
    print(json.dumps(result))
    return 0


# ---------------------------------------------------------------------------
# Orchestration and output
# ---------------------------------------------------------------------------

def median_result(runs: list[dict]) -> dict:
    """Median of every numeric field over repeated runs (first run's other fields)."""
    if len(runs) == 1:
        return dict(runs[0])
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
            out[key] = round(statistics.median(values), 4) if values else value
        elif isinstance(value, dict):
            out[key] = median_result([r[key] for r in runs if isinstance(r.get(key), dict)])
    # rates must follow the median time, not be medians of their own
    if isinstance(out.get("seconds"), (int, float)) and out["seconds"]:
        if out.get("docs"):
            out["docs_per_s"] = round(out["docs"] / out["seconds"], 1)
        if out.get("bytes"):
            out["mb_per_s"] = round(out["bytes"] / MB / out["seconds"], 3)
    return out


def machine_info() -> dict:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("underthesea", "duckdb", "trafilatura", "pandas", "pyarrow"):
        try:
            from importlib.metadata import version
            versions[name] = version(name)
        except Exception:   # noqa: BLE001 - informative only
            versions[name] = None
    return {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
            "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


@dataclass
class Options:
    docs: int | None = 2000          # None = full set
    repeat: int = 1
    skip_naive: bool = False
    rows: int = 1_000_000            # 0 = skip the load test
    memory: bool = True
    equivalence: bool = True
    equivalence_docs: int | None = None   # None = all benchmark docs
    profile_docs: int = 500          # 0 = no profile
    include_samples: bool = True
    workdir: Path | None = None


def quiet_libraries() -> None:
    """trafilatura logs a WARNING per page it gives up on (the cleaner then falls back):
    thousands of stderr lines would drown the report and time the terminal."""
    import logging
    for name in ("trafilatura", "htmldate"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run_benchmark(opts: Options, log: Callable[[str], None] = lambda s: None) -> dict:
    quiet_libraries()
    load_start = os.getloadavg()[0]
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
                     "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()}}
    with tempfile.TemporaryDirectory(prefix="vnfacts-bench-", dir=opts.workdir) as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        want = None if opts.docs is None else opts.docs
        need_full = opts.memory and want is not None
        t = time.perf_counter()
        stats = write_corpus(corpus, None if need_full else want, opts.include_samples)
        results["corpus_written_seconds"] = round(time.perf_counter() - t, 2)
        n = stats["docs"] if want is None else min(want, stats["docs"])
        if want is not None:   # figures for the first n docs only
            bench_bytes = samples = 0
            for html, meta in iter_corpus(corpus, n):
                bench_bytes += nbytes(html)
                samples += str(meta.get("source", "")).startswith("corpus/sample")
            stats = {**stats, "docs": n, "html_bytes": bench_bytes, "sample_pages": samples,
                     "written_docs": stats["docs"]}
        results["corpus"] = stats
        log(f"corpus: {n} docs ({stats['sample_pages']} sample pages), "
            f"{stats['html_bytes'] / MB:.1f} MB HTML, written in {results['corpus_written_seconds']} s")
        ruleset = load_ruleset()
        results["rules_version"] = getattr(ruleset, "version", None)

        stage_runs, naive_runs = [], []
        e2e_runs: dict[str, list] = {entry: [] for entry in E2E_ENTRIES}
        last_db = None
        for k in range(opts.repeat):
            log(f"[{k + 1}/{opts.repeat}] stages ...")
            stage_runs.append(run_stages(corpus, n, tmp / f"stages-{k}.duckdb", ruleset))
            (tmp / f"stages-{k}.duckdb").unlink(missing_ok=True)
            for entry in E2E_ENTRIES:
                log(f"[{k + 1}/{opts.repeat}] end to end ({entry}) ...")
                db = tmp / f"e2e-{entry}-{k}.duckdb"
                e2e_runs[entry].append(run_e2e(corpus, n, db, ruleset, entry))
                if entry == "ingest+extract":
                    if last_db is not None:
                        last_db.unlink(missing_ok=True)
                    last_db = db
                else:
                    db.unlink(missing_ok=True)
            if not opts.skip_naive:
                log(f"[{k + 1}/{opts.repeat}] naive ...")
                naive_runs.append(run_naive(corpus, n, tmp / f"naive-{k}.duckdb"))
                (tmp / f"naive-{k}.duckdb").unlink(missing_ok=True)
        results["stages"] = median_result(stage_runs)
        results["e2e_paths"] = {entry: median_result(runs) for entry, runs in e2e_runs.items()}
        results["e2e"] = results["e2e_paths"]["ingest+extract"]
        results["runs"] = {"stages": stage_runs, "e2e": e2e_runs, "naive": naive_runs}
        if naive_runs:
            results["naive"] = median_result(naive_runs)
            results["speedup_vs_naive"] = round(results["e2e"]["docs_per_s"] / results["naive"]["docs_per_s"], 2)
            results["speedup_vs_naive_by_path"] = {
                entry: round(v["docs_per_s"] / results["naive"]["docs_per_s"], 2)
                for entry, v in results["e2e_paths"].items()}

        log("re-extraction from stored text ...")
        results["reextract"] = run_reextract(last_db)

        if opts.rows:
            log(f"load {opts.rows:,} synthetic fact rows ...")
            results["load"] = run_load(opts.rows, tmp / "load.duckdb")
            (tmp / "load.duckdb").unlink(missing_ok=True)

        if opts.memory:
            log(f"memory: end to end for {MEMORY_SMALL} docs and for all docs, separate processes ...")
            small = run_memory_child(corpus, MEMORY_SMALL, tmp)
            full = run_memory_child(corpus, None, tmp)
            mem = {"small": small, "full": full}
            if "error" not in small and "error" not in full:
                mem["ratio_peak_rss"] = round(full["peak_rss_mb"] / small["peak_rss_mb"], 3)
            results["memory"] = mem

        if opts.profile_docs:
            log(f"profile: end to end on {min(opts.profile_docs, n)} docs ...")
            results["profile"] = run_profile(corpus, min(opts.profile_docs, n), tmp / "profile.duckdb")

        if opts.equivalence:
            log("equivalence: pre-filter vs every sentence segmented ...")
            limit = n if opts.equivalence_docs is None else min(n, opts.equivalence_docs)
            results["equivalence"] = run_equivalence(ruleset, corpus, limit, log=log)
    results["load_average"] = f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"
    results["rules_version_end"] = _current_rules_version()
    if results["rules_version_end"] != results.get("rules_version"):
        log(f"WARNING: the rule files changed during the run ({results.get('rules_version')} -> "
            f"{results['rules_version_end']}); this process kept {results.get('rules_version')} "
            "(load_ruleset is cached), subprocesses (memory check) may have loaded the new rules")
    results["targets"] = check_targets(results)
    return results


def _current_rules_version() -> str | None:
    try:
        from pipeline.rules import RULES_DIR as rules_dir, rules_version
        return rules_version(Path(rules_dir))
    except Exception:   # noqa: BLE001 - informative only
        return None


def check_targets(r: dict) -> dict:
    t = {}
    if "e2e" in r:
        t["e2e_ge_300_docs_s"] = r["e2e"].get("docs_per_s", 0) >= 300
    if "speedup_vs_naive" in r:
        t["speedup_ge_5x"] = r["speedup_vs_naive"] >= 5
    if "ratio_peak_rss" in r.get("memory", {}):
        t["rss_full_le_1.2x_1000"] = r["memory"]["ratio_peak_rss"] <= 1.2
    if "load" in r:
        t["load_1m_lt_10s"] = r["load"]["seconds"] < 10 and r["load"]["rows"] >= 1_000_000
    if "reextract" in r:
        t["reextract_no_clean"] = r["reextract"]["clean_calls"] == 0
    if "equivalence" in r:
        t["prefilter_loses_nothing"] = all(g["mismatched_docs"] == 0 for g in r["equivalence"].values())
    return t


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_table(r: dict) -> str:
    lines = []
    m = r["machine"]
    changed = r.get("rules_version_end") not in (None, r.get("rules_version"))
    lines.append(f"machine: {m['nproc']} cores ({m['affinity']} usable), {m['cpu_model']}, "
                 f"Python {m['python']}; single process; rules {r.get('rules_version')}"
                 + (f" (files CHANGED on disk during the run to {r['rules_version_end']})" if changed else ""))
    if r.get("load_average") is not None:
        lines.append(f"load average at start / end: {r['load_average']}")
    c = r["corpus"]
    lines.append(f"corpus: {c['docs']:,} docs ({c['sample_pages']} sample pages + wrapped VNTC), "
                 f"{c['html_bytes'] / MB:.1f} MB HTML, "
                 f"{r['stages']['_pass']['text_bytes'] / MB:.1f} MB clean text; median of "
                 f"{r['options']['repeat']} run(s)")
    head = f"{'stage':<26}{'docs':>8}{'seconds':>10}{'docs/s':>10}{'MB/s':>9}  {'MB basis':<10}{'peak RSS MB':>12}"
    lines += ["", head, "-" * len(head)]
    s = r["stages"]
    for name in ("clean", "normalize", "segment", "extract", "load"):
        row = s[name]
        lines.append(f"{name:<26}{_fmt(row['docs']):>8}{_fmt(row['seconds'], 2):>10}"
                     f"{_fmt(row['docs_per_s']):>10}{_fmt(row['mb_per_s'], 2):>9}  "
                     f"{'HTML' if name == 'clean' else 'text':<10}{'':>12}")
    p = s["_pass"]
    total = sum(s[n]["seconds"] for n in ("clean", "normalize", "segment", "extract", "load"))
    lines.append(f"{'sum of stages':<26}{_fmt(p['docs']):>8}{_fmt(total, 2):>10}"
                 f"{_fmt(p['docs'] / total if total else None):>10}"
                 f"{_fmt(p['html_bytes'] / MB / total if total else None, 2):>9}  {'HTML':<10}{_fmt(p['peak_rss_mb']):>12}")
    e = r["e2e"]
    for entry, v in r.get("e2e_paths", {"ingest+extract": e}).items():
        label = ("END TO END " if v is e else "end to end ") + f"({entry})"
        lines.append(f"{label:<26}{_fmt(v['docs']):>8}{_fmt(v['seconds'], 2):>10}"
                     f"{_fmt(v['docs_per_s']):>10}{_fmt(v['mb_per_s'], 2):>9}  {'HTML':<10}{_fmt(v['peak_rss_mb']):>12}")
    if "naive" in r:
        nv = r["naive"]
        lines.append(f"{'naive pipeline':<26}{_fmt(nv['docs']):>8}{_fmt(nv['seconds'], 2):>10}"
                     f"{_fmt(nv['docs_per_s']):>10}{_fmt(nv['mb_per_s'], 2):>9}  {'HTML':<10}{_fmt(nv['peak_rss_mb']):>12}")
        lines.append(f"{'speedup vs naive':<26}{'':>8}{'':>10}{_fmt(r['speedup_vs_naive'], 2) + 'x':>10}"
                     + "  (" + ", ".join(f"{k} {v:.2f}x" for k, v in r.get("speedup_vs_naive_by_path", {}).items()) + ")")
    lines.append("")
    lines.append(f"facts: staged pass {p['facts']:,}, end to end {e['facts']:,} ({e.get('stored_docs', 0):,} docs stored)"
                 + (f", naive {r['naive']['facts']:,}" if "naive" in r else "")
                 + f"; sentences {p['sentences']:,}, segmented {p['segmented_sentences']:,}"
                 + (f" ({100 * p['segmented_sentences'] / p['sentences']:.1f}%)" if p["sentences"] else ""))
    if "reextract" in r:
        x = r["reextract"]
        lines.append(f"re-extraction (extract_pending everything=True): {x['docs']:,} docs in "
                     f"{x['seconds']:.2f} s = {_fmt(x['docs_per_s'])} docs/s, {_fmt(x['mb_per_s'], 2)} MB/s of "
                     f"stored text; calls to cleaning functions: {x['clean_calls']} "
                     f"({', '.join(f'{k} {v}' for k, v in x['cleaning_calls'].items())})")
    if "load" in r:
        ld = r["load"]
        lines.append(f"load {ld['rows']:,} fact rows via store.replace_facts ({ld['batch_rows']:,}/call): "
                     f"{ld['seconds']:.2f} s = {_fmt(ld['rows_per_s'])} rows/s; stored {ld['stored']:,}; "
                     f"peak RSS {ld['peak_rss_mb']:.0f} MB")
    if "memory" in r:
        mem = r["memory"]
        parts = []
        for key in ("small", "full"):
            v = mem[key]
            if "error" in v:
                parts.append(f"{key}: ERROR {v['error'][-300:]}")
            else:
                during = (f" (after ingest {v['peak_rss_ingest_mb']:.0f} MB)"
                          if "peak_rss_ingest_mb" in v else "")
                parts.append(f"{v['docs']:,} docs: peak RSS {v['peak_rss_mb']:.0f} MB{during}, "
                             f"{v['docs_per_s']} docs/s")
        ratio = mem.get("ratio_peak_rss")
        lines.append("memory (separate processes): " + "; ".join(parts)
                     + (f"; ratio {ratio:.2f}x" if ratio else ""))
    if "equivalence" in r:
        eq = r["equivalence"]
        lines.append("pre-filter equivalence: " + "; ".join(
            f"{k} {v['docs']} docs / {v['facts_full']} facts: {v['mismatched_docs']} mismatched"
            for k, v in eq.items()))
    if "profile" in r:
        pr = r["profile"]
        lines.append("")
        lines.append(f"profile (cProfile, end to end, {pr['docs']} docs, {pr['total_seconds']:.2f} s "
                     "with profiler overhead) - top by own time:")
        for row in pr["by_tottime"][:12]:
            lines.append(f"  {row['tottime_pct']:5.1f}%  {row['tottime']:8.3f}s  {row['ncalls']:>9,}  {row['function']}")
        lines.append("top by cumulative time:")
        for row in pr["by_cumtime"][:12]:
            lines.append(f"  {row['cumtime_pct']:5.1f}%  {row['cumtime']:8.3f}s  {row['ncalls']:>9,}  {row['function']}")
    lines.append("")
    lines.append("targets: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in r["targets"].items()))
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
