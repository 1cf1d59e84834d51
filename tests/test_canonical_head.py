"""The canonical link read from the page's head alone (crawl/discover.py
declared_canonical) is the one a parse of the whole page reads: on every
page the repository and ../shared hold, and on pages built to mislead it."""
from __future__ import annotations

import gzip

import pytest

from pipeline.crawl.discover import canonical_link, declared_canonical, parse_html
from tests.conftest import REPO, SHARED

BASE = "https://bao.example.vn/tin/"
LINK = '<link rel="canonical" href="{}">'
TRICKY = {
    "in the head": f"<html><head>{LINK.format('/a.html')}</head><body><p>x</p></body></html>",
    "in the body only": f"<html><head><title>t</title></head><body>{LINK.format('/b.html')}</body></html>",
    "head end in a script": "<html><head><script>var s = '</head>';</script>"
                            f"{LINK.format('/c.html')}</head><body></body></html>",
    "head end in a comment": f"<html><head><!-- </head> -->{LINK.format('/d.html')}</head><body/></html>",
    "no head end": f"<html><head>{LINK.format('/e.html')}<body><p>x</p></body></html>",
    "upper case": f"<HTML><HEAD><LINK REL=CANONICAL HREF='/f.html'></HEAD ><BODY></BODY></HTML>",
    "empty href first": f"<html><head>{LINK.format(' ')}</head><body>{LINK.format('/g.html')}</body></html>",
    "none": "<html><head><title>canonical</title></head><body><p>canonical?</p></body></html>",
    "no head at all": f"<p>{LINK.format('/h.html')}</p>",
    "empty": "",
}


def whole_page(text: str) -> str | None:
    return canonical_link(parse_html(text), BASE)


@pytest.mark.parametrize("name", TRICKY)
def test_crafted_pages(name):
    assert declared_canonical(TRICKY[name], BASE) == whole_page(TRICKY[name])


def pages():
    for path in sorted([*(REPO / "corpus" / "sample").glob("*.html"), *(REPO / "tests" / "data").rglob("*.html"),
                        *(SHARED / "data" / "html").glob("*.html*")]):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        yield path.name, data.decode("utf-8", errors="replace")


@pytest.mark.parametrize("name,text", list(pages()))
def test_every_page_we_hold(name, text):
    assert declared_canonical(text, BASE) == whole_page(text)


def test_the_saved_real_pages_declare_one():
    real = [text for name, text in pages() if name.startswith("vnexpress")]
    assert len(real) == 2 and all(declared_canonical(text, BASE) for text in real)
