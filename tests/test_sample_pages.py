"""The bundled sample pages through the clean stage (fundus-style: each page
with its expected fields; the publication date is in each file name)."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import pytest

from pipeline import core
from tests.conftest import SAMPLE, SHARED

PAGES = sorted(SAMPLE.glob("*.html"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_sample_page_cleans_to_dated_titled_text(page):
    year, month, day = re.search(r"(\d{4})-(\d\d)(\d\d)$", page.stem).groups()
    document = core.prepare_document({"id": page.stem, "html": page.read_bytes()})
    assert document["published"] == dt.date(int(year), int(month), int(day)).isoformat()
    assert document["title"] and document["text"].startswith(document["title"])
    for furniture in ("Số lượt người xem", "Bản in", "HOTLINE", "Để lại nhận xét", "function("):
        assert furniture not in document["text"]


# --- the two saved real VnExpress pages (read from shared, not copied) -------
HTML = SHARED / "data" / "html"


def expected_2023() -> dict:
    """Fields read from the page's own markup (shared/data/README.md)."""
    data = json.loads((HTML / "vnexpress.net_4672302.expected.json").read_text(encoding="utf-8"))
    return {"html": (HTML / data["file"]).read_bytes(), "url": data["url"], "title": data["title"],
            "published": data["gold_publication_date"], "lead": data["description"],
            "paragraphs": data["paragraphs"]}


def expected_2025() -> dict:
    """fundus's expected parse; image captions are figure furniture, not body."""
    data = json.loads((HTML / "vnexpress.net_4954454.fundus.json").read_text(encoding="utf-8"))["V1"]
    captions = [image["caption"] for image in data["images"] if image.get("caption")]
    paragraphs = [p for section in data["body"]["sections"] for p in section["paragraphs"]
                  if not any(p.startswith(caption) for caption in captions)]
    return {"html": gzip.decompress((HTML / "vnexpress.net_4954454.html.gz").read_bytes()), "url": None,
            "title": data["title"], "published": data["publishing_date"][:10],
            "lead": " ".join(data["body"]["summary"]), "paragraphs": paragraphs, "authors": data["authors"]}


@pytest.mark.parametrize("expected", [expected_2023, expected_2025], ids=["2023", "2025"])
def test_real_page_gives_title_date_lead_and_body_and_nothing_else(expected):
    page = expected()
    document = core.prepare_document({"id": "real", "html": page["html"], "url": page["url"]})
    assert document["title"] == page["title"]
    assert document["published"] == page["published"]
    lines = [line for line in document["text"].split("\n") if line.strip()]
    assert lines == [page["title"], page["lead"]] + page["paragraphs"]
    for author in page.get("authors", []):
        assert author not in document["text"]
