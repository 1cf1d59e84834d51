"""Issue 9: decoding keeps what is decodable (pipeline/lang/decode.py).

The fuzzer's cases: UTF-8 cut off anywhere (987 of 1,000 were rejected,
8 stored as mojibake), a few stray bytes, UTF-16 without a BOM (rejected as
binary), more than 8 vertical tabs or separators in the first 4 KB
(rejected as binary). Texts are the seed articles, read from the shared
folder; every case goes through the real cleaning path (pipeline.prepare).
"""
from __future__ import annotations

import random
import unicodedata

import pytest

import pipeline
from pipeline.clean import CleanError
from pipeline.lang import decode
from pipeline.lang.decode import decode_document, decode_html, utf16_order
from tests.conftest import SEEDS

# Sequences a single-byte charset makes of UTF-8 Vietnamese ("á»" is "ộ" read as cp1252).
MOJIBAKE = ("Ã", "á»", "Ä‘", "Æ°", "áº", "â€")
ARTICLE = (SEEDS / "001_f2a34b4afc4d1185.txt").read_text(encoding="utf-8")
LINE = unicodedata.normalize("NFC", max(ARTICLE.split("\n"), key=len)[:200])  # one paragraph of it


def prepared(data: bytes, key: str = "text") -> dict:
    return pipeline.prepare({"id": "d", key: data})


def page(body: str, charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    return f"<html><head><meta charset='{charset}'><title>Tin</title></head><body><article>{paragraphs}</article></body></html>"


def assert_clean(text: str) -> None:
    assert not any(m in text for m in MOJIBAKE), [m for m in MOJIBAKE if m in text]


def test_truncated_utf8_is_never_rejected_nor_mojibake():
    data = ARTICLE.encode("utf-8")
    cuts = sorted(random.Random(9).sample(range(400, len(data)), 300))
    for cut in cuts:
        text = prepared(data[:cut])["text"]
        assert_clean(text)
        assert "\ufffd" not in text  # a cut tail is dropped, not replaced
        # everything up to the cut is kept (cleaning tidies spaces, so compare words)
        kept = pipeline.prepare({"id": "d", "text": data[:cut].decode("utf-8", "ignore")})["text"]
        assert text == kept


def test_truncated_html_page_is_kept():
    data = page(ARTICLE).encode("utf-8")
    for cut in random.Random(3).sample(range(len(data) // 2, len(data)), 12):
        text = prepared(data[:cut], "html")["text"]
        assert_clean(text) and len(text) > 200


@pytest.mark.parametrize("seed", range(20))
def test_a_few_stray_bytes_are_marked_not_misread(seed):
    rng = random.Random(seed)
    data = bytearray(ARTICLE.encode("utf-8"))
    strays = rng.randint(1, 3)
    for _ in range(strays):
        data.insert(rng.randrange(len(data)), rng.choice([0x80, 0xBF, 0xC3, 0xE1, 0xFE, 0xFF]))
    text = prepared(bytes(data))["text"]
    assert_clean(text)
    # one stray byte inside a 3-byte letter leaves at most 4 marks (the letter is lost)
    assert 1 <= text.count("\ufffd") <= 4 * strays
    words = set(pipeline.prepare({"id": "d", "text": ARTICLE})["text"].split())
    assert len(set(text.split()) & words) >= 0.97 * len(words)


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(order):
    expected = prepared(ARTICLE.encode("utf-8"))["text"]
    assert prepared(ARTICLE.encode(order))["text"] == expected
    html = page(ARTICLE)
    assert prepared(html.encode(order), "html")["text"] == prepared(html.encode("utf-8"), "html")["text"]
    assert utf16_order(ARTICLE.encode(order)) == order
    assert LINE in decode_html(page(ARTICLE).encode(order))


def test_utf16_cut_to_an_odd_length_is_kept():
    text, encoding = decode_document(ARTICLE.encode("utf-16-le")[:2001])
    assert encoding.startswith("utf-16-le") and text == ARTICLE[:1000]


@pytest.mark.parametrize("mark", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"])
def test_vertical_tabs_and_separators_are_not_binary(mark):
    lines = ARTICLE.split("\n")
    text = mark.join(lines[:3]) + "\n" + mark * 12 + "\n" + "\n".join(lines[3:])
    assert text[:4096].count(mark) > 8
    for stored in (prepared(text.encode("utf-8"))["text"], prepared(page(text).encode("utf-8"), "html")["text"]):
        assert mark not in stored and "Bạc Liêu" in stored


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4,
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(random.Random(1).randrange(256) for _ in range(3000)),
    "Chữ\x00 nhị phân".encode("utf-8") * 50,
])
def test_binary_is_still_refused(data):
    with pytest.raises(CleanError, match="binary|undecodable|Vietnamese"):
        prepared(data)


def test_legacy_windows_1258_still_decodes():
    body = decode.encode_cp1258(page(ARTICLE, "windows-1258"))
    assert LINE in decode_html(body, "text/html; charset=utf-8")
    text, encoding = decode_document(decode.encode_cp1258(ARTICLE))
    assert encoding == "cp1258" and unicodedata.normalize("NFC", text) == unicodedata.normalize("NFC", ARTICLE)


def test_utf8_pages_are_decided_without_scoring_letters(monkeypatch):
    """Issue 11: the declared charset and a validity test decide; the per-letter
    score is for legacy pages only (a spy, not a stand-in: decoding is real)."""
    calls = []
    monkeypatch.setattr(decode, "score", lambda text: calls.append(1) or 0.0)
    utf8 = page(ARTICLE, "iso-8859-1").encode("utf-8")
    assert LINE in decode_html(utf8, "text/html; charset=iso-8859-1")
    assert LINE in decode_html(utf8[:-7] + b"\xff" + utf8[-7:], None)
    assert calls == []
    decode_html(decode.encode_cp1258(page(ARTICLE, "iso-8859-1")), None)
    assert calls  # a legacy page declared latin-1 is scored against windows-1258


def test_jsonl_line_with_stray_bytes_is_stored_with_a_warning(tmp_path):
    import json

    from pipeline import store
    from pipeline.ingest import ingest_paths

    good = json.dumps({"id": "a", "text": ARTICLE}, ensure_ascii=False).encode("utf-8")
    cut = good.index("Bạc Liêu".encode("utf-8")) + 2  # inside the "ạ"
    stray = good[:cut] + b"\xff" + good[cut:]
    source = tmp_path / "in.jsonl"
    source.write_bytes(stray + b"\n" + json.dumps({"id": "b", "text": ARTICLE}).encode("ascii") + b"\n")
    with store.connect(tmp_path / "db.duckdb") as con:
        report = ingest_paths(con, [source])
        texts = dict(con.execute("SELECT id, text FROM documents").fetchall())
    assert report.errors == [] and report.added == 2
    assert any(w.startswith(f"{source}:1: ") and "not UTF-8" in w for w in report.warnings), report.warnings
    assert "\ufffd" in texts["a"] and "\ufffd" not in texts["b"]
    assert_clean(texts["a"])


@pytest.mark.parametrize("raw, text, stray", [
    ('{"id": "xã"}'.encode(), '{"id": "xã"}', 0),
    (b"\xef\xbb\xbf" + '{"id": "ấp"}'.encode(), '{"id": "ấp"}', 0),             # a BOM, as utf-8-sig drops it
    (b'{"id": "a\xff\xfeb"}', '{"id": "a\ufffd\ufffdb"}', 2),                     # two stray bytes
    (b"\xef\xbb\xbf" + b'{"id": "\xe1\xba"}', '{"id": "\ufffd"}', 1),             # a BOM and a cut-off letter
    ('{"id": "\ufffd"}'.encode() + b"\xff", '{"id": "\ufffd"}\ufffd', 1),        # a real U+FFFD is no stray byte
], ids=["utf-8", "bom", "stray", "bom and cut", "real U+FFFD"])
def test_a_jsonl_line_is_decoded_once_with_its_stray_bytes_counted(raw, text, stray):
    from pipeline.ingest import decoded_line

    assert decoded_line(raw) == (text, stray)
    assert decoded_line(raw)[0] == raw.decode("utf-8-sig", "replace")
