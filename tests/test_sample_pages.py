"""The bundled sample pages through the clean stage (fundus-style: each page
with its expected fields; the publication date is in each file name)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from pipeline import core
from tests.conftest import SAMPLE

PAGES = sorted(SAMPLE.glob("*.html"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_sample_page_cleans_to_dated_titled_text(page):
    year, month, day = re.search(r"(\d{4})-(\d\d)(\d\d)$", page.stem).groups()
    document = core.prepare_document({"id": page.stem, "html": page.read_bytes()})
    assert document["published"] == dt.date(int(year), int(month), int(day)).isoformat()
    assert document["title"] and document["text"].startswith(document["title"])
    for furniture in ("Số lượt người xem", "Bản in", "HOTLINE", "Để lại nhận xét", "function("):
        assert furniture not in document["text"]
