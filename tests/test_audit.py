"""Hand judgements of facts the extractor found in unseen bulk text (the 2006
VNTC politics/society sample and the 2020 Dân trí sample in shared/data/bulk).
Each line of tests/data/audit/*.jsonl names a document, a span, an indicator
and a value, and a verdict by FACTS.md: a fact judged `fact` must still be
extracted, one judged `not_fact` must no longer be, unless the line says
`"known_gap": true` (a strict xfail: it fails once the gap is fixed, so the
line can be updated). The files hold offsets and ids only, no article text:
the documents are read from the shared data."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline import core, store
from pipeline.ingest import ingest_records
from tests.conftest import SHARED

AUDIT = Path(__file__).parent / "data" / "audit"
CORPORA = {"vntc": "vntc_sample.jsonl.gz", "dantri": "uvn_dantri2020_sample.jsonl.gz"}
VERDICTS = {"fact", "not_fact"}


def judgements() -> list[dict]:
    """Every judgement of every audit file, with the file it came from."""
    rows = []
    for path in sorted(AUDIT.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append({**json.loads(line), "where": f"{path.name}:{number}"})
    return rows


def params() -> list:
    marks = pytest.mark.xfail(strict=True, reason="known gap (audit file)")
    return [pytest.param(row, id=f"{row['where']}-{row['verdict']}-{row['indicator']}",
                         marks=marks if row.get("known_gap") else ())
            for row in judgements()]


def documents(wanted: set[tuple[str, str]]) -> list[dict]:
    """The records of the judged documents, read from the shared bulk files."""
    records = []
    for corpus, name in CORPORA.items():
        ids = {doc for c, doc in wanted if c == corpus}
        if not ids:
            continue
        with gzip.open(SHARED / "data" / "bulk" / name, "rt", encoding="utf-8") as lines:
            records += [r for r in map(json.loads, lines) if r["id"] in ids]
    return records


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, list[dict]]:
    """doc id -> the facts extracted from it now."""
    wanted = {(row["corpus"], row["doc"]) for row in judgements()}
    with store.connect(tmp_path_factory.mktemp("audit") / "audit.duckdb") as con:
        report = ingest_records(con, documents(wanted), "audit")
        assert not report.errors, report.errors
        core.extract_pending(con)
        cursor = con.execute('SELECT doc, indicator, value, percent, start, "end" FROM facts')
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    facts: dict[str, list[dict]] = {}
    for row in rows:
        facts.setdefault(row["doc"], []).append(row)
    return facts


def number(fact: dict) -> float | None:
    return fact["value"] if fact.get("value") is not None else fact.get("percent")


def produced(row: dict, facts: dict[str, list[dict]]) -> bool:
    """A fact of the row's indicator and number whose span overlaps the judged one."""
    return any(fact["indicator"] == row["indicator"] and number(fact) == row["value"]
               and fact["start"] < row["end"] and row["start"] < fact["end"]
               for fact in facts.get(row["doc"], []))


def test_audit_files_are_well_formed():
    rows = judgements()
    assert rows, f"no judgements in {AUDIT}"
    for row in rows:
        assert row["corpus"] in CORPORA and row["verdict"] in VERDICTS, row["where"]
        assert 0 <= row["start"] < row["end"] and row.get("why"), row["where"]


def test_every_judged_document_is_in_the_bulk_files():
    wanted = {(row["corpus"], row["doc"]) for row in judgements()}
    assert {record["id"] for record in documents(wanted)} == {doc for _, doc in wanted}


@pytest.mark.parametrize("row", params())
def test_judged_fact(row, extracted):
    assert produced(row, extracted) == (row["verdict"] == "fact"), row["why"]
