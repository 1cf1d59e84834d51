"""The real press set (shared/gold/press: excerpts from 61 sites, hand-made
gold facts) ingested into a temporary DuckDB, extracted and scored; every
figure holds its floor in tests/floors.yaml. Only the documents whose id
ends in the digits the floors file names are read (the held-out third stays
unread until the lead scores it)."""
from __future__ import annotations

import json

import pytest

from pipeline import core, store
from pipeline.cli.output import jsonable
from pipeline.ingest import ingest_paths
from pipeline.quality.evaluate import evaluate
from tests.conftest import SHARED
from tests.floors import FLOORS, below_floors

PRESS = SHARED / "gold" / "press"


def selected(path, key: str, digits: str) -> list[str]:
    """The lines of a JSONL file whose `key` ends in one of `digits`."""
    lines = path.read_text(encoding="utf-8").splitlines(True)
    return [line for line in lines if line.strip() and str(json.loads(line)[key])[-1:] in digits]


@pytest.fixture(scope="module")
def press_result(tmp_path_factory):
    digits = str(FLOORS["press"]["ids_ending"])
    folder = tmp_path_factory.mktemp("press")
    (folder / "articles.jsonl").write_text("".join(selected(PRESS / "articles.jsonl", "id", digits)), encoding="utf-8")
    (folder / "gold.jsonl").write_text("".join(selected(PRESS / "gold.jsonl", "doc", digits)), encoding="utf-8")
    with store.connect(folder / "press.duckdb") as con:
        report = ingest_paths(con, [folder / "articles.jsonl"])
        assert not report.errors, report.errors
        core.extract_pending(con)
        facts = jsonable(con.execute("SELECT * FROM facts").df())
        stored = {row[0] for row in con.execute("SELECT id FROM documents").fetchall()}
    return evaluate(folder / "gold.jsonl", facts, stored_docs=stored), report.added


def test_press_split_is_what_the_floors_file_names(press_result):
    result, added = press_result
    digits = str(FLOORS["press"]["ids_ending"])
    assert added == len(selected(PRESS / "articles.jsonl", "id", digits)) > 0
    assert not result.warnings  # every gold document of the split was stored


def test_press_scores_hold_their_floors(press_result):
    result, _ = press_result
    assert not below_floors(result, "press"), below_floors(result, "press")
