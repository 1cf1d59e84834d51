"""Issue 9: a fact's numbers are bounded by what a fact can be (extract/bounds.py).

The sentences are our own wording, built like the press's; each carries one
figure no Vietnamese unit can have, next to a control sentence whose figure
is ordinary, so a test fails both if the bound is missing and if it bites
too early."""
from __future__ import annotations

import json
import math

import pytest

import pipeline
from pipeline.extract.bounds import MAX_COUNT, out_of_range, within
from pipeline.lang.vntext import parse_number
from tests.conftest import run_cli

STAFF = "Năm 2024, tỉnh Nghệ An đã tinh giản {} biên chế so với năm 2015 theo kế hoạch của tỉnh."
SHARE = "Năm 2024, tỉnh Nghệ An đã tinh giản {} biên chế so với năm 2015 theo kế hoạch của tỉnh Nghệ An."
HAMLETS = "Đến nay có 152 thôn, đạt {} số thôn của tỉnh Nghệ An đã sáp nhập theo kế hoạch của tỉnh."


def facts_of(text, ruleset):
    return pipeline.extract({"id": "bounds", "text": text, "title": None, "published": None,
                             "province": None}, ruleset)


def test_parse_number_is_always_finite():
    assert parse_number("9" * 400) is None  # was inf
    assert parse_number("9" * 5001) is None
    assert parse_number("1.000.000.000.000.000.000.000") == 1e21  # finite: bounds.py judges it


def test_four_hundred_nines_is_no_fact_and_no_crash(ruleset):
    assert facts_of(STAFF.format("9" * 400), ruleset) == []  # raised OverflowError (int(inf))
    assert [f["value"] for f in facts_of(STAFF.format("1.250"), ruleset)] == [1250]


def test_count_beyond_the_population_is_dropped(ruleset):
    assert facts_of(STAFF.format("1.000.000.000.000.000.000.000"), ruleset) == []
    assert [f["value"] for f in facts_of(STAFF.format("2.500"), ruleset)] == [2500]


def test_percent_over_100_is_dropped_unless_a_growth_rate(ruleset):
    assert facts_of(SHARE.format("250%"), ruleset) == []
    assert [f["percent"] for f in facts_of(SHARE.format("25%"), ruleset)] == [25]
    # the count stays; only the impossible share goes
    found = facts_of(HAMLETS.format("340%"), ruleset)
    assert [(f["value"], f["percent"]) for f in found] == [(152, None)]
    assert [(f["value"], f["percent"]) for f in facts_of(HAMLETS.format("34%"), ruleset)] == [(152, 34)]


@pytest.mark.parametrize("fact,bad", [
    ({"value": MAX_COUNT + 1, "change": "count"}, "value"),
    ({"value": 5, "total": 10 ** 12, "change": "count"}, "total"),
    ({"value": None, "percent": 100.5, "change": "decrease"}, "percent"),
    ({"value": 3, "over_plan_percent": math.inf, "change": "count"}, "over_plan_percent"),
    ({"value": 3, "percent": math.nan, "change": "count"}, "percent"),
])
def test_out_of_range_names_the_figure(fact, bad):
    assert out_of_range(fact, bad) and bad in out_of_range(fact, bad)


def test_growth_rate_and_edges_stay():
    growth = {"value": None, "percent": 150, "change": "increase"}
    edges = {"value": MAX_COUNT, "total": MAX_COUNT, "percent": 100, "change": "count"}
    dropped = []
    assert within([growth, edges], dropped) == [growth, edges] and dropped == []


def test_extract_summary_counts_dropped_figures(tmp_path):
    records = [{"id": "ok", "text": STAFF.format("1.250") + " Các huyện đã hoàn thành việc sắp xếp."},
               {"id": "huge", "text": STAFF.format("1.000.000.000.000.000.000.000") + " Hết."},
               {"id": "share", "text": HAMLETS.format("340%") + " Hết."}]
    source = tmp_path / "bounds.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    db = tmp_path / "b.duckdb"
    run_cli("ingest", "--db", db, source)
    result = run_cli("extract", "--db", db)
    assert "2 figures dropped: out of range" in result.stderr
    assert "document 'huge'" in result.stderr and "document 'share'" in result.stderr
    rows = run_cli("query", "select doc, value, percent from facts order by doc", "--json", "--db", db).stdout
    assert [(r["doc"], r["value"], r["percent"]) for r in json.loads(rows)] == [("ok", 1250, None),
                                                                             ("share", 152, None)]
