"""Scoring: attribute accuracy for every scored field, per indicator, the
reliability of confidence, and a gold set that is not in the database."""
from __future__ import annotations

import json

import duckdb
import pytest

from pipeline.quality.evaluate import ATTRIBUTES, evaluate
from tests.conftest import SEEDS, SEEDS_GOLD, run_cli

GOLD = [
    {"doc": "d1", "indicator": "hamlet", "value": 12, "change": "count", "status": "achieved", "level": "hamlet",
     "province": "Quảng Trị", "as_of": "2020-05-31", "approx": "exact", "total": 20, "percent": 60},
    {"doc": "d1", "indicator": "hamlet", "value": 8, "change": "decrease", "status": "target", "level": "hamlet",
     "province": "Quảng Trị", "target_year": 2025, "approx": "about"},
    {"doc": "d2", "indicator": "civil_servant", "value": 300, "change": "decrease", "status": "achieved",
     "province": None, "approx": "at_least"},
    {"doc": "d3", "none": True},
]


def fact(**fields) -> dict:
    base = {"approx": "exact", "change": "count", "status": "achieved", "level": None, "province": None,
            "as_of": None, "target_year": None, "total": None, "percent": None, "quote": "q"}
    return {**base, **fields}


@pytest.fixture
def gold_file(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in GOLD), encoding="utf-8")
    return path


PREDICTED = [
    # matches gold 1; total as a float from the table, percent wrong
    fact(doc="d1", indicator="hamlet", value=12, level="hamlet", province="Quảng Trị", as_of="2020-05-31",
         total=20.0, percent=50, confidence=0.97),
    # matches gold 2; status wrong
    fact(doc="d1", indicator="hamlet", value=8, change="decrease", level="hamlet", province="Quảng Trị",
         target_year=2025, approx="about", confidence=0.92),
    # no gold: a false positive with a high confidence
    fact(doc="d3", indicator="agency", value=5, confidence=0.91),
    # d2's figure missed (wrong number); a false positive with a low confidence
    fact(doc="d2", indicator="civil_servant", value=30, change="decrease", confidence=0.4),
]


def test_attribute_accuracy_covers_every_scored_field(gold_file):
    result = evaluate(gold_file, PREDICTED)
    assert set(ATTRIBUTES) == {"status", "level", "province", "as_of", "target_year", "approx", "total", "percent"}
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (2, 2, 1)
    accuracy = result.attribute_accuracy()
    assert accuracy["total"] == 1.0  # 20 and 20.0 are one number
    assert accuracy["percent"] == 0.5 and accuracy["status"] == 0.5 and accuracy["level"] == 1.0
    assert result.attribute_accuracy("hamlet")["status"] == 0.5
    assert result.attribute_accuracy("civil_servant")["status"] is None  # no matched pair


def test_reliability_and_sure_facts(gold_file):
    result = evaluate(gold_file, PREDICTED)
    rows = {row["bin"]: (row["count"], row["precision"]) for row in result.reliability()}
    assert rows == {"[0.00, 0.50)": (1, 0.0), "[0.90, 0.95)": (2, 0.5), "[0.95, 1.00]": (1, 1.0)}
    sure = result.sure()
    assert sure["count"] == 3 and sure["precision"] == pytest.approx(2 / 3)
    assert sure["coverage"] == pytest.approx(2 / 3)  # 2 of the 3 gold facts
    assert evaluate(gold_file, [{**f, "confidence": None} for f in PREDICTED]).sure() is None


def test_no_gold_document_stored_is_an_error_and_some_missing_a_warning(gold_file):
    with pytest.raises(ValueError, match="none of its 3 documents is in the database"):
        evaluate(gold_file, [], stored_docs={"other"})
    result = evaluate(gold_file, PREDICTED, stored_docs={"d1", "d2"})
    assert result.warnings and "1 of 3 gold documents" in result.warnings[0]


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory):
    """One seed ingested and extracted by the real commands."""
    path = tmp_path_factory.mktemp("eval") / "one.duckdb"
    seed = min(SEEDS.glob("001_*"))
    run_cli("ingest", "--db", path, seed)
    run_cli("extract", "--db", path)
    return path, seed.stem


def test_eval_fails_when_no_gold_document_is_in_the_database(seed_db, tmp_path):
    path, _ = seed_db
    gold = tmp_path / "other.jsonl"
    gold.write_text(json.dumps({"doc": "not-stored", "indicator": "hamlet", "value": 3}) + "\n", encoding="utf-8")
    result = run_cli("eval", gold, "--db", path, check=False)
    assert result.returncode != 0
    assert "none of its 1 documents is in the database" in result.stderr and "R 0.000" not in result.stdout


def test_eval_prints_attributes_by_indicator_and_reliability(seed_db, tmp_path):
    path, doc = seed_db
    gold = tmp_path / "one.jsonl"
    gold.write_text("".join(line for line in SEEDS_GOLD.read_text(encoding="utf-8").splitlines(True)
                            if json.loads(line)["doc"] == doc), encoding="utf-8")
    plain = run_cli("eval", gold, "--db", path, "--by-indicator").stdout
    assert "attribute accuracy over matched pairs" in plain and "percent" in plain
    assert "secretary_hamlet_head" in plain.split("attribute accuracy")[1]
    with duckdb.connect(str(path)) as con:  # sure facts, as a confident extractor would store them
        con.execute("UPDATE facts SET confidence = 0.95")
    out = run_cli("eval", gold, "--db", path).stdout
    assert "reliability" in out and "[0.95, 1.00]" in out
    assert "confidence >= 0.9:" in out and "precision" in out.split("confidence >= 0.9:")[1]
    data = json.loads(run_cli("eval", gold, "--db", path, "--json").stdout)
    assert data["sure"]["count"] == sum(row["count"] for row in data["reliability"])
    assert set(data["attribute_accuracy"]) == set(ATTRIBUTES)
