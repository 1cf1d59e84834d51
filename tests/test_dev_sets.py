"""Scores on the two development sets written for vnfacts (not the seeds):
the bundled sample pages (HTML, through the cleaner) and 50 short excerpts
in the style of many other outlets. Floors (tests/floors.yaml) are the scores
reached when the rules were last tuned; a change that drops below them is a regression."""
from __future__ import annotations

import pytest

from pipeline import core, store
from pipeline.cli.output import jsonable
from pipeline.ingest import ingest_paths
from pipeline.quality.evaluate import evaluate
from tests.conftest import REPO, SAMPLE
from tests.floors import FLOORS, below_floors

EXCERPTS = REPO / "tests" / "data" / "excerpts"


def score(tmp_path, paths, gold):
    with store.connect(tmp_path / "dev.duckdb") as con:
        report = ingest_paths(con, paths)
        assert not report.errors, report.errors
        core.extract_pending(con)
        facts = jsonable(con.execute("SELECT * FROM facts").df())
    return evaluate(gold, facts)


@pytest.mark.parametrize("name,paths,gold", [
    ("sample", [SAMPLE], REPO / "corpus" / "gold" / "sample.jsonl"),
    ("excerpts", [EXCERPTS], REPO / "tests" / "data" / "excerpts.gold.jsonl"),
])
def test_dev_set_scores(tmp_path, name, paths, gold):
    """F1, precision, strict F1 and attribute floors from tests/floors.yaml."""
    result = score(tmp_path, paths, gold)
    low = below_floors(result, name)
    assert not low, (low, result.false_positives, result.false_negatives[:5])


@pytest.mark.xfail(strict=True, reason="sample as_of under the press date conventions: gold predates them, "
                                       "staff counts undated (tests/floors.yaml known_gaps)")
def test_sample_as_of_known_gap(tmp_path):
    result = score(tmp_path, [SAMPLE], REPO / "corpus" / "gold" / "sample.jsonl")
    target = FLOORS["sample"]["known_gaps"]["as_of"]
    assert result.attribute_accuracy()["as_of"] >= target
