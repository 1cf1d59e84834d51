"""Fuzzing the door (issue 9): generated JSONL records of every JSON type in
every field, and raw byte lines, go through the real ingest into a real
DuckDB file. Nothing escapes as an exception, every line is either stored or
reported as FILE:LINE, and every good record (the last of its id) is stored."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import store
from pipeline.ingest import ingest_paths

SENTENCES = ["Huyện Bảo Thắng hiện có {n} thôn, tổ dân phố sau khi sắp xếp, sáp nhập.",
             "Tỉnh đã giảm {n} người hoạt động không chuyên trách ở cấp xã trong năm qua.",
             "Sau sắp xếp, toàn tỉnh còn {n} đơn vị hành chính cấp xã, giảm nhiều so với trước."]
FIELDS = ["id", "url", "site", "title", "published", "province", "source", "text", "html"]
# No example database: nothing written into the repository.
BUDGET = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8)


@st.composite
def good_records(draw) -> dict:
    doc_id = draw(st.integers(0, 30).map(str) | st.integers(0, 30))
    text = draw(st.sampled_from(SENTENCES)).format(n=draw(st.integers(2, 999)))
    published = draw(st.none() | st.sampled_from(["03/04/2019", "2019-04-05", "2019-04-05T10:00:00+07:00"]))
    return {"id": doc_id, "text": text, "published": published}


@st.composite
def spoiled(draw) -> dict:
    """A good record with one field replaced by any JSON value."""
    record = draw(good_records())
    record[draw(st.sampled_from(FIELDS))] = draw(json_values)
    return record


lines = st.lists(good_records().map(lambda r: ("good", r)) | spoiled().map(lambda r: ("any", r))
                 | json_values.map(lambda v: ("any", v)), min_size=1, max_size=8)


def ingest_lines(text_lines: list[bytes]):
    """(file, report, id -> stored text) of one real ingest into a fresh file;
    a second connection reads what the first one committed."""
    with tempfile.TemporaryDirectory(prefix="vnfacts-fuzz-") as tmp:
        src, db = Path(tmp) / "fuzz.jsonl", Path(tmp) / "f.duckdb"
        src.write_bytes(b"".join(line.replace(b"\n", b" ") + b"\n" for line in text_lines))
        report = ingest_paths(store.Database(db), [src])
        with duckdb.connect(str(db), read_only=True) as con:
            stored = dict(con.execute("SELECT id, text FROM documents").fetchall())
    return src, report, stored


@BUDGET
@given(lines)
def test_any_records_never_crash_and_good_ones_are_stored(generated):
    src, report, stored = ingest_lines([json.dumps(value).encode() for _, value in generated])
    last_good = {}
    for kind, value in generated:
        if isinstance(value, dict) and "id" in value and value.get("id") is not None:
            last_good.pop(str(value["id"]).strip(), None)
        if kind == "good":
            last_good[str(value["id"])] = value["text"]
    for doc_id, text in last_good.items():
        assert stored.get(doc_id) == text, (doc_id, report.errors)
    assert all(e.startswith(f"{src}:") for e in report.errors)
    accounted = report.added + report.updated + report.unchanged + len(report.errors) + report.duplicates
    assert accounted == len(generated)


@BUDGET
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=6))
def test_any_bytes_never_crash(raw_lines):
    raw_lines = [line for line in raw_lines if line.replace(b"\n", b" ").strip()]
    src, report, stored = ingest_lines(raw_lines)
    assert all(e.startswith(f"{src}:") for e in report.errors)
    assert report.added + len(report.errors) + report.duplicates + report.unchanged == len(raw_lines)


def test_a_good_line_is_stored():
    """The oracle itself: one good record, stored under its id as a string."""
    _, report, stored = ingest_lines([json.dumps({"id": 1, "text": SENTENCES[0].format(n=5)}).encode()])
    assert stored == {"1": SENTENCES[0].format(n=5)} and report.added == 1 and not report.errors
